{#- Write `rows` into one table: a request's batch, or a chunk of it where the batch would bind more than 65,535
    placeholders (the chunks run in the request's transaction). Context: t, key_type, mode (insert | upsert |
    update | replace), rows. -#}
{%- if mode == "update" and rows|length == 1 -%}
UPDATE {{ t.ident }} SET {% for c in t.columns %}{{ c.ident }} = {{ bind(rows[0].values[loop.index0]) }}{{ ", " if not loop.last }}{% endfor %}
WHERE {{ t.pk }} = {{ bind(rows[0].pk) }}
{%- elif mode == "update" -%}
UPDATE {{ t.ident }} AS t JOIN (
{%- for r in rows %}
{% if loop.first %}SELECT {{ bind(r.pk) }} AS {{ t.pk }}{% for v in r.values %}, {{ bind(v) }} AS {{ t.columns[loop.index0].ident }}{% endfor %}
{%- else %}UNION ALL SELECT {{ bind(r.pk) }}{% for v in r.values %}, {{ bind(v) }}{% endfor %}{% endif %}
{%- endfor %}
) AS u ON t.{{ t.pk }} = u.{{ t.pk }}
SET {% for c in t.columns %}t.{{ c.ident }} = u.{{ c.ident }}{{ ", " if not loop.last }}{% endfor %}
{%- else -%}
{{ "REPLACE" if mode == "replace" else "INSERT" }} INTO {{ t.ident }} ({{ t.pk }}{% for c in t.columns %}, {{ c.ident }}{% endfor %})
VALUES {% for r in rows %}({{ bind(r.pk) }}{% for v in r.values %}, {{ bind(v) }}{% endfor %}){{ ", " if not loop.last }}{% endfor %}
{%- if mode == "upsert" %}
ON DUPLICATE KEY UPDATE {% for c in t.columns %}{{ c.ident }} = VALUES({{ c.ident }}){{ ", " if not loop.last }}{% endfor %}
{%- endif %}
{%- endif %}
