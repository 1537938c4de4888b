{#- Every table in one statement (fetch: packed): one row per table and key, features packed as JSON. -#}
{%- for t in tables %}
{%- if not loop.first %}
UNION ALL
{% endif -%}
SELECT {{ loop.index0 }} AS t, {{ t.pk }}::text AS pk, json_build_array({% for c in t.columns %}{{ c.ident }}{{ ", " if not loop.last }}{% endfor %})::text AS v
FROM {{ t.ident }}
WHERE {{ t.pk }} {% if keys[t.entity] | length == 1 %}= {{ bind(keys[t.entity][0]) }}{% else %}= ANY({{ bind(keys[t.entity]) }}){% endif %}
{%- endfor %}
