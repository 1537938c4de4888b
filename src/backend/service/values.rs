//! Statement templates' values: keys bound as named placeholders.

use crate::template::Part;

/// Text with the request's keys as named placeholders (`<sigil>bp_<entity>_<j>`),
/// never pasted in: the text, and each placeholder once with its key.
pub fn bind_keys(parts: Vec<Part>, sigil: char) -> (String, Vec<(String, Part)>) {
    let mut text = String::new();
    let mut bound: Vec<(String, Part)> = Vec::new();
    for p in parts {
        match p {
            Part::Text(t) => text.push_str(&t),
            Part::Key { entity, j } => {
                let ph = format!("{sigil}bp_{entity}_{j}");
                text.push_str(&ph);
                if !bound.iter().any(|(k, _)| *k == ph) {
                    bound.push((ph, Part::Key { entity, j }));
                }
            }
        }
    }
    (text, bound)
}
