{#- Every table in one statement (fetch: packed): one row per table and key, features packed as JSON. -#}
{%- for t in tables %}
{%- if not loop.first %}
UNION ALL
{% endif -%}
SELECT {{ loop.index0 }} AS t, CAST({{ t.pk }} AS CHAR) AS pk, CAST(JSON_ARRAY({% for c in t.columns %}{{ c.ident }}{{ ", " if not loop.last }}{% endfor %}) AS CHAR) AS v
FROM {{ t.ident }}
WHERE {{ t.pk }} {% if keys[t.entity] | length == 1 %}= {{ bind(keys[t.entity][0]) }}{% else %}IN ({% for k in keys[t.entity] %}{{ bind(k) }}{{ ", " if not loop.last }}{% endfor %}){% endif %}
{%- endfor %}
