{#- Write `rows` into one table. Context: t, key_type, mode (insert | upsert | update | replace), rows, arrays.
    One row: plain statements. More rows: one statement whatever their number, each column bound as one array
    (arrays.pk, arrays.values[i]) and unnested, so the parameters do not grow with the batch. replace is a
    DELETE of the keys, then the INSERT: two statements, separated by ";", in the request's transaction. -#}
{%- set types = {"float": "float8", "int": "bigint", "string": "text", "bool": "boolean", "vector": "vector", "halfvec": "halfvec"} -%}
{#- Vectors are bound as text ('[x,y,...]') and cast. -#}
{%- macro cast(c) -%}{{ "::" ~ types[c.type] if c.type in ["vector", "halfvec"] }}{%- endmacro -%}
{%- set pk_type = "bigint" if key_type == "int" else "text" -%}
{%- set one = rows|length == 1 -%}
{%- macro unnest() -%}
UNNEST({{ bind(arrays.pk) }}::{{ pk_type }}[]{% for c in t.columns %}, {{ bind(arrays.values[loop.index0]) }}::{{ types[c.type] }}[]{% endfor %})
{%- endmacro -%}
{%- if mode == "update" and one -%}
UPDATE {{ t.ident }} SET {% for c in t.columns %}{{ c.ident }} = {{ bind(rows[0].values[loop.index0]) }}{{ cast(c) }}{{ ", " if not loop.last }}{% endfor %}
WHERE {{ t.pk }} = {{ bind(rows[0].pk) }}
{%- elif mode == "update" -%}
UPDATE {{ t.ident }} AS t SET {% for c in t.columns %}{{ c.ident }} = u.{{ c.ident }}{{ ", " if not loop.last }}{% endfor %}
FROM {{ unnest() }} AS u({{ t.pk }}{% for c in t.columns %}, {{ c.ident }}{% endfor %})
WHERE t.{{ t.pk }} = u.{{ t.pk }}
{%- else -%}
{%- if mode == "replace" -%}
DELETE FROM {{ t.ident }} WHERE {{ t.pk }} {% if one %}= {{ bind(rows[0].pk) }}{% else %}= ANY({{ bind(arrays.pk) }}::{{ pk_type }}[]){% endif %};
{% endif -%}
INSERT INTO {{ t.ident }} ({{ t.pk }}{% for c in t.columns %}, {{ c.ident }}{% endfor %})
{% if one -%}
VALUES ({{ bind(rows[0].pk) }}{% for v in rows[0].values %}, {{ bind(v) }}{{ cast(t.columns[loop.index0]) }}{% endfor %})
{%- else -%}
SELECT * FROM {{ unnest() }}
{%- endif %}
{%- if mode == "upsert" %}
ON CONFLICT ({{ t.pk }}) DO UPDATE SET {% for c in t.columns %}{{ c.ident }} = EXCLUDED.{{ c.ident }}{{ ", " if not loop.last }}{% endfor %}
{%- endif %}
{%- endif %}
