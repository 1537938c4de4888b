{#- Write `rows` into one table: a request's batch, or a chunk of it where the batch would bind more than SQLite's
    32,766 parameters (the chunks run in the request's transaction). Context: t, key_type, mode (insert | upsert |
    update | replace), rows. -#}
{%- if mode == "update" and rows|length == 1 -%}
UPDATE {{ t.ident }} SET {% for c in t.columns %}{{ c.ident }} = {{ bind(rows[0].values[loop.index0]) }}{{ ", " if not loop.last }}{% endfor %}
WHERE {{ t.pk }} = {{ bind(rows[0].pk) }}
{%- elif mode == "update" -%}
UPDATE {{ t.ident }} SET {% for c in t.columns %}{{ c.ident }} = u.column{{ loop.index + 1 }}{{ ", " if not loop.last }}{% endfor %}
FROM (VALUES {% for r in rows %}({{ bind(r.pk) }}{% for v in r.values %}, {{ bind(v) }}{% endfor %}){{ ", " if not loop.last }}{% endfor %}) AS u
WHERE {{ t.ident }}.{{ t.pk }} = u.column1
{%- else -%}
{{ "REPLACE" if mode == "replace" else "INSERT" }} INTO {{ t.ident }} ({{ t.pk }}{% for c in t.columns %}, {{ c.ident }}{% endfor %})
VALUES {% for r in rows %}({{ bind(r.pk) }}{% for v in r.values %}, {{ bind(v) }}{% endfor %}){{ ", " if not loop.last }}{% endfor %}
{%- if mode == "upsert" %}
ON CONFLICT ({{ t.pk }}) DO UPDATE SET {% for c in t.columns %}{{ c.ident }} = excluded.{{ c.ident }}{{ ", " if not loop.last }}{% endfor %}
{%- endif %}
{%- endif %}
