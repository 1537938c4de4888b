{#- One feature table. Context: t = { name, ident, columns: [{ name, ident, type }] }, key_type. -#}
{%- set types = {"float": "REAL", "int": "INTEGER", "string": "TEXT", "bool": "INTEGER"} -%}
CREATE TABLE {{ t.ident }} (
    {{ t.pk }} {{ "INTEGER" if key_type == "int" else "TEXT" }} PRIMARY KEY
{%- for c in t.columns %},
    {{ c.ident }} {{ types[c.type] }} NOT NULL
{%- endfor %}
)
