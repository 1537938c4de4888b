//! Statement templates' values, rendered per request: one tree ([`Tv`]) of
//! text with key references, literals, lists and maps, whichever the
//! service's value type ([`Leaf`]: DynamoDB's `AttributeValue`, Cosmos DB's
//! JSON), with keys typed as the service stores them ([`KeyEncoding`]); and
//! keys written in a statement's text bound as named placeholders
//! ([`bind_keys`]).

use crate::dataset::DataModel;
use crate::scenario::model::Kind;
use crate::template::{Part, Templates};
use crate::workload::Request;
use serde_json::Value;

/// A service's value type, as a statement template's values render to it.
pub trait Leaf: Clone {
    /// Text: a template string that is not one key reference alone.
    fn text(s: String) -> Self;
    fn list(items: impl Iterator<Item = Self>) -> Self;
    fn map(entries: impl Iterator<Item = (String, Self)>) -> Self;
    /// A number, boolean or null written in the template (strings, lists
    /// and mappings are templates, never literals).
    fn literal(v: &Value) -> Self;
}

/// Keys as a service stores them: what a template string that is one key
/// reference alone renders to.
pub trait KeyEncoding {
    type Leaf: Leaf;
    fn model(&self) -> &DataModel;
    /// Key `idx` of an entity, typed as the service stores it.
    fn key(&self, entity: usize, idx: u64) -> Self::Leaf;
}

/// A value of a statement template.
#[derive(Debug, Clone)]
pub enum Tv<L> {
    /// Text with key references (text, or the key's own type when it is one reference).
    Parts(Vec<Part>),
    Lit(L),
    List(Vec<Tv<L>>),
    Map(Vec<(String, Tv<L>)>),
}

/// A template mapping: names and their values, in the order written.
pub type TMap<L> = Vec<(String, Tv<L>)>;

impl<L: Leaf> Tv<L> {
    /// A statement's JSON value as a template value: strings are rendered as
    /// templates of `kind` (keys left as references), other scalars kept.
    pub fn from_json(templates: &Templates, kind: Kind, model: &DataModel, name: &str, v: &Value) -> Result<Self, String> {
        let tv = |x: &Value| Tv::from_json(templates, kind, model, name, x);
        Ok(match v {
            Value::String(s) => Tv::Parts(templates.render_parts(kind, name, s, model).map_err(|e| e.0)?),
            Value::Array(a) => Tv::List(a.iter().map(tv).collect::<Result<_, _>>()?),
            Value::Object(m) => Tv::Map(m.iter().map(|(k, x)| Ok((k.clone(), tv(x)?))).collect::<Result<_, String>>()?),
            other => Tv::Lit(L::literal(other)),
        })
    }

    /// The value for one request, its keys typed by `keys`.
    pub fn render<K: KeyEncoding<Leaf = L>>(&self, keys: &K, req: &Request) -> L {
        match self {
            Tv::Parts(p) => match p.as_slice() {
                [Part::Key { entity, j }] => keys.key(*entity, req.key(*entity, *j)),
                parts => L::text(render_text(parts, keys.model(), req)),
            },
            Tv::Lit(v) => v.clone(),
            Tv::List(l) => L::list(l.iter().map(|v| v.render(keys, req))),
            Tv::Map(m) => L::map(render_entries(m, keys, req)),
        }
    }
}

/// A template mapping's entries for one request, in the order written.
pub fn render_entries<'a, K: KeyEncoding>(
    m: &'a [(String, Tv<K::Leaf>)],
    keys: &'a K,
    req: &'a Request,
) -> impl Iterator<Item = (String, K::Leaf)> + 'a {
    m.iter().map(move |(k, v)| (k.clone(), v.render(keys, req)))
}

/// Text with the request's keys pasted in as text.
fn render_text(parts: &[Part], model: &DataModel, req: &Request) -> String {
    let mut s = String::new();
    for p in parts {
        match p {
            Part::Text(t) => s.push_str(t),
            Part::Key { entity, j } => s.push_str(&model.entities[*entity].key(req.key(*entity, *j)).to_string()),
        }
    }
    s
}

/// Text with the request's keys as named placeholders (`<sigil>bp_<entity>_<j>`),
/// never pasted in: returns the text, and adds each placeholder that `bound`
/// does not hold yet with its key as a value of its own.
pub fn bind_keys<L>(parts: Vec<Part>, sigil: char, bound: &mut TMap<L>) -> String {
    let mut text = String::new();
    for p in parts {
        match p {
            Part::Text(t) => text.push_str(&t),
            Part::Key { entity, j } => {
                let ph = format!("{sigil}bp_{entity}_{j}");
                text.push_str(&ph);
                if !bound.iter().any(|(k, _)| *k == ph) {
                    bound.push((ph, Tv::Parts(vec![Part::Key { entity, j }])));
                }
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_is_bound_once_across_texts() {
        let key = |entity, j| Part::Key { entity, j };
        let mut bound: TMap<()> = vec![(":bp_1_0".to_string(), Tv::Parts(vec![key(1, 0)]))];
        let text =
            bind_keys(vec![Part::Text("a = ".into()), key(0, 0), Part::Text(" OR b = ".into()), key(0, 0), key(1, 0)], ':', &mut bound);
        assert_eq!(text, "a = :bp_0_0 OR b = :bp_0_0:bp_1_0");
        let names: Vec<&str> = bound.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, [":bp_1_0", ":bp_0_0"]);
    }
}
