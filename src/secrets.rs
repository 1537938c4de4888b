//! Keeps secrets out of every output: values that came from `${env:...}`,
//! and passwords inside URLs.

use serde_json::Value;

#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

pub const MASK: &str = "***";

impl Redactor {
    pub fn new(mut secrets: Vec<String>) -> Self {
        // Longest first, so a secret containing another is masked whole.
        secrets.retain(|s| s.len() >= 3);
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor { secrets }
    }

    pub fn text(&self, s: &str) -> String {
        let mut out = s.to_string();
        for sec in &self.secrets {
            if out.contains(sec.as_str()) {
                out = out.replace(sec.as_str(), MASK);
            }
        }
        url_passwords(&out)
    }

    /// Redacts every string in a JSON tree.
    pub fn value(&self, v: &mut Value) {
        match v {
            Value::String(s) => *s = self.text(s),
            Value::Array(a) => a.iter_mut().for_each(|x| self.value(x)),
            Value::Object(m) => m.values_mut().for_each(|x| self.value(x)),
            _ => {}
        }
    }
}

/// Query parameter names whose values are secrets wherever a URL is printed
/// or stored (`?password=...` authenticates with sqlx; tokens, keys and
/// signatures do elsewhere). Matched as parts of the lower-cased name.
const SECRET_PARAMS: &[&str] = &["pass", "pwd", "secret", "token", "key", "sig", "auth", "credential"];

/// `scheme://user:password@host` -> `scheme://user:***@host`, and every
/// secret-bearing query parameter's value (`?password=`, `&sslpassword=`,
/// `&access_token=`, `&sig=`, ...) -> `***`.
pub fn url_passwords(s: &str) -> String {
    query_secrets(&userinfo_passwords(s))
}

fn userinfo_passwords(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail.find(|c: char| c.is_whitespace() || c == '/' || c == '"' || c == '\'').unwrap_or(tail.len());
        let authority = &tail[..end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at), Some(colon)) if colon < at => {
                out.push_str(&authority[..colon + 1]);
                out.push_str(MASK);
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Masks the value of every `?name=value`, `&name=value` or `;name=value`
/// whose name looks secret.
fn query_secrets(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(['?', '&', ';']) {
        let (head, tail) = rest.split_at(i + 1);
        out.push_str(head);
        let name_end = tail.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))).unwrap_or(tail.len());
        let name = &tail[..name_end];
        let after = &tail[name_end..];
        let lower = name.to_ascii_lowercase();
        if !name.is_empty() && after.starts_with('=') && SECRET_PARAMS.iter().any(|p| lower.contains(p)) {
            out.push_str(name);
            out.push('=');
            let value = &after[1..];
            let end = value.find(|c: char| c.is_whitespace() || matches!(c, '&' | ';' | '#' | '"' | '\'')).unwrap_or(value.len());
            if end > 0 {
                out.push_str(MASK);
            }
            rest = &value[end..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_env_values_and_url_passwords() {
        let r = Redactor::new(vec!["s3cr3t-key".into()]);
        assert_eq!(r.text("key=s3cr3t-key!"), "key=***!");
        assert_eq!(r.text("postgres://bob:hunter2@db:5432/x failed"), "postgres://bob:***@db:5432/x failed");
        assert_eq!(r.text("mysql://root@h/db"), "mysql://root@h/db");
        assert_eq!(url_passwords("a https://h/p?x=1 b"), "a https://h/p?x=1 b");
    }

    #[test]
    fn masks_secrets_in_query_strings() {
        let r = Redactor::new(vec![]);
        assert_eq!(
            r.text("postgres://u@db:5432/x?sslmode=require&password=hunter2 failed"),
            "postgres://u@db:5432/x?sslmode=require&password=*** failed"
        );
        assert_eq!(r.text("--set url=mysql://h/db?sslpassword=a1b2;x=1"), "--set url=mysql://h/db?sslpassword=***;x=1");
        assert_eq!(r.text("https://a.blob/c?sv=1&sig=abc%2Fdef&se=2"), "https://a.blob/c?sv=1&sig=***&se=2");
        assert_eq!(r.text("\"https://h/?access_token=t0k\""), "\"https://h/?access_token=***\"");
        // Harmless parameters stay readable.
        assert_eq!(r.text("https://h/p?x=1&sslmode=disable"), "https://h/p?x=1&sslmode=disable");
    }
}
