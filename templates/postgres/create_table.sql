{#- One feature table. Context: t, key_type, unlogged. -#}
{%- set types = {"float": "DOUBLE PRECISION", "int": "BIGINT", "string": "TEXT", "bool": "BOOLEAN", "vector": "VECTOR", "halfvec": "HALFVEC"} -%}
CREATE {{ "UNLOGGED " if unlogged }}TABLE {{ t.ident }} (
    {{ t.pk }} {{ "BIGINT" if key_type == "int" else "TEXT" }} PRIMARY KEY
{%- for c in t.columns %},
    {{ c.ident }} {{ types[c.type] }}{% if c.dim %}({{ c.dim }}){% endif %} NOT NULL
{%- endfor %}
)
