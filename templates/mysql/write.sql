{#- Write `rows` into one table. mode: insert | upsert | update (update writes one row). -#}
{%- if mode == "update" -%}
UPDATE {{ t.ident }} SET {% for c in t.columns %}{{ c.ident }} = {{ bind(rows[0].values[loop.index0]) }}{{ ", " if not loop.last }}{% endfor %}
WHERE {{ t.pk }} = {{ bind(rows[0].pk) }}
{%- else -%}
INSERT INTO {{ t.ident }} ({{ t.pk }}{% for c in t.columns %}, {{ c.ident }}{% endfor %})
VALUES {% for r in rows %}({{ bind(r.pk) }}{% for v in r.values %}, {{ bind(v) }}{% endfor %}){{ ", " if not loop.last }}{% endfor %}
{%- if mode == "upsert" %}
ON DUPLICATE KEY UPDATE {% for c in t.columns %}{{ c.ident }} = VALUES({{ c.ident }}){{ ", " if not loop.last }}{% endfor %}
{%- endif %}
{%- endif %}
