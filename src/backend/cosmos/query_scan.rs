//! The query scanner: finds the outer query's clauses (outside string
//! literals and parentheses) and adds the partition filter to a statement's
//! query text.

/// The parameter that carries the partition key in every query.
pub(super) const PK_PARAM: &str = "@bp_pk";

/// Finds `word` (ASCII, case-insensitive) as a whole word from byte `from`,
/// outside string literals (with `\\` escapes) and outside parentheses
/// (subqueries, function calls), so only the outer query's clauses match.
fn find_word(sql: &str, word: &str, from: usize) -> Option<usize> {
    let b = sql.as_bytes();
    let w = word.as_bytes();
    let mut quote: Option<u8> = None;
    let mut depth = 0usize;
    let mut i = from;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(_) if c == b'\\' => i += 1,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'\'' || c == b'"' => quote = Some(c),
            None if c == b'(' || c == b'[' => depth += 1,
            None if c == b')' || c == b']' => depth = depth.saturating_sub(1),
            None if depth == 0 => {
                let word_char = |x: u8| x.is_ascii_alphanumeric() || x == b'_';
                let end = i + w.len();
                if (i == 0 || !word_char(b[i - 1]))
                    && end <= b.len()
                    && b[i..end].eq_ignore_ascii_case(w)
                    && (end == b.len() || !word_char(b[end]))
                {
                    return Some(i);
                }
            }
            None => {}
        }
        i += 1;
    }
    None
}

/// The query with `<alias>.pk = @bp_pk` added to its WHERE clause (the
/// user's condition kept whole, in parentheses), so that it filters on the
/// partition key in its text as well as in its options. The query must
/// select from the container itself (`FROM c`, `FROM root r`, `FROM c AS d`):
/// with `FROM c.children ch` or `FROM x IN c.tags` the alias would not be the
/// item, so it is refused rather than given a filter that matches nothing.
pub fn with_pk_filter(sql: &str) -> Result<String, String> {
    let from = find_word(sql, "FROM", 0).ok_or("expected a query with FROM (e.g. SELECT * FROM c WHERE ...)")?;
    let rest = &sql[from + 4..];
    let mut words = rest.split_whitespace();
    let source = words.next().ok_or("expected a container alias after FROM")?;
    let simple = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let clause = |w: &str| ["WHERE", "ORDER", "GROUP", "OFFSET", "JOIN"].iter().any(|k| w.eq_ignore_ascii_case(k));
    let alias = match words.next() {
        Some(w) if w.eq_ignore_ascii_case("AS") => words.next().ok_or("expected an alias after AS")?,
        Some(w) if w.eq_ignore_ascii_case("IN") => {
            return Err(format!(
                "`FROM {source} IN ...` iterates inside items; select from the container itself (e.g. `FROM c`) and use JOIN"
            ))
        }
        Some(w) if !clause(w) => w,
        _ => source,
    };
    if !simple(source) || !simple(alias) || clause(alias) {
        return Err(format!(
            "expected `FROM <container alias>` (e.g. `FROM c`), found `FROM {source}`: the partition filter `<alias>.pk` needs the item itself"
        ));
    }
    let filter = format!("{alias}.pk = {PK_PARAM}");
    let tail_at = |start: usize| ["ORDER", "GROUP", "OFFSET"].iter().filter_map(|k| find_word(sql, k, start)).min().unwrap_or(sql.len());
    // (head, condition, tail): the condition goes between WHERE and ORDER/GROUP/OFFSET.
    let (head, cond, end) = match find_word(sql, "WHERE", from) {
        Some(w) => {
            let end = tail_at(w + 5);
            (&sql[..w], format!("{filter} AND ({})", sql[w + 5..end].trim()), end)
        }
        None => {
            let end = tail_at(from);
            (&sql[..end], filter, end)
        }
    };
    let mut out = format!("{} WHERE {cond}", head.trim_end());
    let tail = sql[end..].trim();
    if !tail.is_empty() {
        out.push(' ');
        out.push_str(tail);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pk_filter_is_added_to_every_query() {
        let t = |s: &str| with_pk_filter(s).unwrap_or_else(|e| format!("ERR {e}"));
        assert_eq!(t("SELECT * FROM c"), "SELECT * FROM c WHERE c.pk = @bp_pk");
        assert_eq!(t("SELECT * FROM c WHERE c.f0 > 0.5 OR c.f1 < 2"), "SELECT * FROM c WHERE c.pk = @bp_pk AND (c.f0 > 0.5 OR c.f1 < 2)");
        assert_eq!(
            t("SELECT TOP 5 * FROM root r WHERE r.x = @x ORDER BY r._ts DESC"),
            "SELECT TOP 5 * FROM root r WHERE r.pk = @bp_pk AND (r.x = @x) ORDER BY r._ts DESC"
        );
        assert_eq!(
            t("select value count(1) from c as d order by d.x"),
            "select value count(1) from c as d WHERE d.pk = @bp_pk order by d.x"
        );
        // Words inside string literals (escapes included) and subqueries are not clauses.
        assert_eq!(t("SELECT * FROM c WHERE c.s = 'a where b'"), "SELECT * FROM c WHERE c.pk = @bp_pk AND (c.s = 'a where b')");
        assert_eq!(
            t(r"SELECT * FROM c WHERE c.n = 'O\'Brien order by' ORDER BY c.n"),
            r"SELECT * FROM c WHERE c.pk = @bp_pk AND (c.n = 'O\'Brien order by') ORDER BY c.n"
        );
        assert_eq!(
            t("SELECT c.id, ARRAY(SELECT VALUE t FROM t IN c.tags WHERE t > 1) AS x FROM c WHERE c.f0 > 0"),
            "SELECT c.id, ARRAY(SELECT VALUE t FROM t IN c.tags WHERE t > 1) AS x FROM c WHERE c.pk = @bp_pk AND (c.f0 > 0)"
        );
        assert_eq!(
            t("SELECT * FROM c JOIN t IN c.tags WHERE t = 'x'"),
            "SELECT * FROM c JOIN t IN c.tags WHERE c.pk = @bp_pk AND (t = 'x')"
        );
        // Aliases that are not the item are refused, not given a filter that matches nothing.
        assert!(t("SELECT * FROM c.children ch").starts_with("ERR"), "{}", t("SELECT * FROM c.children ch"));
        assert!(t("SELECT * FROM x IN c.tags").starts_with("ERR"));
        assert!(t("SELECT * FROM c[\"children\"]").starts_with("ERR"));
        assert!(t("SELECT 1").starts_with("ERR"));
    }
}
