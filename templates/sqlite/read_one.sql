{#- Read one table for the request's keys of its entity (fetch: serial and parallel). -#}
SELECT {{ t.pk }}{% for c in t.columns %}, {{ c.ident }}{% endfor %}
FROM {{ t.ident }}
WHERE {{ t.pk }} {% if keys[t.entity] | length == 1 %}= {{ bind(keys[t.entity][0]) }}{% else %}IN ({% for k in keys[t.entity] %}{{ bind(k) }}{{ ", " if not loop.last }}{% endfor %}){% endif %}
