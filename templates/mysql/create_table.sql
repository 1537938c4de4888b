{#- One feature table. Context: t, key_type. -#}
{%- set types = {"float": "DOUBLE", "int": "BIGINT", "string": "VARCHAR(64)", "bool": "BOOLEAN"} -%}
CREATE TABLE {{ t.ident }} (
    {{ t.pk }} {{ "BIGINT" if key_type == "int" else "VARCHAR(64)" }} PRIMARY KEY
{%- for c in t.columns %},
    {{ c.ident }} {{ types[c.type] }} NOT NULL
{%- endfor %}
) ENGINE=InnoDB
