//! `write.sql`: a write of some rows into one table, rendered once per
//! statement size. Its context (docs/scenario-format.md#templates):
//!
//! - `t`, `key_type` as for `create_table.sql`; `mode` (`insert`, `upsert`,
//!   `update`, `replace`);
//! - `rows`: the rows this statement writes, each `pk` and `values` (one per
//!   column), each to be bound with `bind()`. It is built lazily, so a
//!   template that does not use it costs nothing for a large batch;
//! - `arrays` (PostgreSQL): `pk` and `values[i]`, each binding a whole
//!   column of those rows as one array, so that the statement's parameters
//!   do not grow with the rows.
//!
//! A template may render several statements separated by `;`; they run one
//! after another (in the request's transaction), each with its own
//! placeholders.

use super::{finish, key_type, table_ctx, Rendered, TemplateError, Templates, BIND, MARK};
use crate::dataset::{DataModel, TableModel};
use crate::scenario::model::{Kind, WriteMode};
use minijinja::context;
use minijinja::value::{Enumerator, Object, ObjectRepr, Value as JValue};
use std::sync::Arc;

/// The `rows` of a write: `n` rows of `cols` values, made when asked for.
#[derive(Debug)]
struct Rows {
    n: usize,
    cols: usize,
}

impl Object for Rows {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &JValue) -> Option<JValue> {
        let r = key.as_usize().filter(|r| *r < self.n)?;
        let values: Vec<String> = (0..self.cols).map(|c| format!("{MARK}v:{r}:{c}{MARK}")).collect();
        Some(context! { pk => format!("{MARK}p:{r}{MARK}"), values => values })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.n)
    }
}

/// Splits rendered text into statements at each `;` outside quotes ('...',
/// "...", `...`) and outside bind tokens; empty pieces are dropped.
pub(super) fn split_statements(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, ch) in text.char_indices() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(ch),
            (None, c) if c == BIND => quote = Some(BIND),
            (None, ';') => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out.into_iter().filter(|s| !s.trim().is_empty()).collect()
}

impl Templates {
    /// A write of `rows` rows into one table: its statements, in order.
    pub fn write(
        &self,
        kind: Kind,
        model: &DataModel,
        t: &TableModel,
        mode: WriteMode,
        rows: usize,
    ) -> Result<Vec<Rendered>, TemplateError> {
        let cols = t.columns.len();
        let arrays = context! {
            pk => format!("{MARK}pa:{rows}{MARK}"),
            values => (0..cols).map(|c| format!("{MARK}va:{c}:{rows}{MARK}")).collect::<Vec<_>>(),
        };
        let ctx = context! {
            t => table_ctx(kind, model, t),
            key_type => key_type(model, t),
            mode => mode.as_str(),
            rows => JValue::from_object(Rows { n: rows, cols }),
            arrays => arrays,
        };
        let text = self.render(kind, "write.sql", ctx)?;
        let parts = split_statements(&text);
        if parts.is_empty() {
            return Err(TemplateError(format!("template {kind}/write.sql rendered no statement for mode {}", mode.as_str())));
        }
        parts.into_iter().map(|p| finish(kind, p, model).map_err(TemplateError)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_split_at_semicolons_outside_quotes_and_binds() {
        assert_eq!(split_statements("DELETE x;\nINSERT y"), vec!["DELETE x", "\nINSERT y"]);
        assert_eq!(split_statements("SELECT ';' , \"a;b\";"), vec!["SELECT ';' , \"a;b\""]);
        let token = format!("SELECT {BIND}{MARK}l:\"a\\\";\"{MARK}{BIND}; SELECT 2");
        assert_eq!(split_statements(&token).len(), 2, "a bound literal's text does not split");
        assert!(split_statements(" ; \n").is_empty());
    }
}
