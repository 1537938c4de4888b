//! "did you mean `zipfian`?": the known name nearest to a mistyped one, and
//! lists of known names as error messages give them (each name once).

/// The known names nearest to `word`, when they are near enough to be a
/// typo: at most a third of the word's length in edits (at least 1; a swap
/// of two neighbouring letters is one edit, a change of case is none).
/// Every name at the smallest distance, in `known`'s order, each once; never
/// the word itself.
pub fn nearest<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    let lower = word.to_lowercase();
    let scored: Vec<(usize, &str)> = known
        .into_iter()
        .filter(|k| *k != word)
        .map(|k| (strsim::damerau_levenshtein(&lower, &k.to_lowercase()), k))
        .filter(|(d, _)| *d <= limit)
        .collect();
    let Some(best) = scored.iter().map(|(d, _)| *d).min() else { return Vec::new() };
    let mut out: Vec<&str> = Vec::new();
    for (d, k) in scored {
        if d == best && !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

/// `; did you mean `x`?` (or `` `x`, `y` or `z` ``) after a message about `word`, or nothing.
pub fn did_you_mean<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    let near = nearest(word, known);
    if near.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = near.iter().map(|k| format!("`{k}`")).collect();
    let names = match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
    };
    format!("; did you mean {names}?")
}

/// `a, b, c` with each name once, in first-seen order; `none` for no names.
pub fn name_list<'a>(known: impl IntoIterator<Item = &'a str>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for k in known {
        if !seen.contains(&k) {
            seen.push(k);
        }
    }
    if seen.is_empty() {
        "none".into()
    } else {
        seen.join(", ")
    }
}

/// Adds a suggestion to one of serde's messages about an unknown field or
/// variant: ``unknown variant `zipfain`, expected one of `uniform`, `zipfian` ``
/// gets `; did you mean `zipfian`?`. Other messages are returned as they are.
pub fn serde_message(msg: &str) -> String {
    let Some(rest) = msg.strip_prefix("unknown field `").or_else(|| msg.strip_prefix("unknown variant `")) else {
        return msg.to_string();
    };
    let Some((word, after)) = rest.split_once('`') else { return msg.to_string() };
    // The candidates: every `name` after "expected".
    let Some((_, expected)) = after.split_once("expected") else { return msg.to_string() };
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    format!("{msg}{}", did_you_mean(word, known))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_name_and_strangers_find_none() {
        let dists = ["uniform", "zipfian", "hotspot", "sequential", "latest"];
        assert_eq!(nearest("zipfain", dists), ["zipfian"], "a swap is one edit");
        assert_eq!(nearest("Zipfian", dists), ["zipfian"], "case is no edit");
        assert_eq!(nearest("unifrom", dists), ["uniform"]);
        assert_eq!(nearest("hotspt", dists), ["hotspot"]);
        assert!(nearest("gaussian", dists).is_empty());
        assert!(nearest("zipfian", dists).is_empty(), "the word itself is not a suggestion");
        // Short words allow one edit only.
        assert_eq!(nearest("ab", ["ac", "xy"]), ["ac"]);
        assert!(nearest("ab", ["xy"]).is_empty());
        // A tie names every nearest name, in the known order, each once.
        assert_eq!(nearest("p98_ms", ["p50_ms", "p90_ms", "p99_ms", "p90_ms"]), ["p90_ms", "p99_ms"]);
        assert_eq!(did_you_mean("p98_ms", ["p90_ms", "p99_ms"]), "; did you mean `p90_ms` or `p99_ms`?");
        assert_eq!(did_you_mean("p98_ms", ["p90_ms", "p95_ms", "p99_ms"]), "; did you mean `p90_ms`, `p95_ms` or `p99_ms`?");
        assert_eq!(did_you_mean("gaussian", dists), "");
    }

    #[test]
    fn serde_messages_get_a_suggestion_when_one_is_near() {
        assert_eq!(
            serde_message("unknown variant `zipfain`, expected one of `uniform`, `zipfian`, `hotspot`"),
            "unknown variant `zipfain`, expected one of `uniform`, `zipfian`, `hotspot`; did you mean `zipfian`?"
        );
        assert_eq!(
            serde_message("unknown field `paht`, expected `path` or `pool`"),
            "unknown field `paht`, expected `path` or `pool`; did you mean `path`?"
        );
        assert_eq!(serde_message("unknown field `colour`, expected `path` or `pool`"), "unknown field `colour`, expected `path` or `pool`");
        assert_eq!(serde_message("unknown field `x`, there are no fields"), "unknown field `x`, there are no fields");
        assert_eq!(serde_message("invalid type: string, expected u64"), "invalid type: string, expected u64");
    }

    #[test]
    fn name_lists_say_each_name_once() {
        assert_eq!(name_list(["hot", "rows", "hot"]), "hot, rows");
        assert_eq!(name_list([]), "none");
    }
}
