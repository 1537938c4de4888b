//! Physical table names, from the scenario alone (no connection).

use crate::dataset::DataModel;
use crate::scenario::model::{DynamodbConfig, Layout};

/// The table of the `single_table` layout unless `table:` names one.
const DEFAULT_SINGLE_TABLE: &str = "features";

/// Physical table names, from the scenario alone (no connection).
#[derive(Debug, Clone)]
pub struct Names {
    pub layout: Layout,
    /// Per dataset table: its DynamoDB table (the single table in single_table layout).
    pub tables: Vec<String>,
}

impl Names {
    pub fn new(c: &DynamodbConfig, model: &DataModel) -> Self {
        let prefix = c.table_prefix.as_deref().unwrap_or("");
        let layout = c.layout.unwrap_or_default();
        let tables = match layout {
            Layout::TablePerTable => model.tables.iter().map(|t| format!("{prefix}{}", t.name)).collect(),
            Layout::SingleTable => {
                let one = format!("{prefix}{}", c.table.as_deref().unwrap_or(DEFAULT_SINGLE_TABLE));
                vec![one; model.tables.len()]
            }
        };
        Names { layout, tables }
    }

    /// The DynamoDB tables to create, each once.
    pub fn physical(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in &self.tables {
            if !out.contains(t) {
                out.push(t.clone());
            }
        }
        out
    }

    pub(super) fn single(&self) -> bool {
        self.layout == Layout::SingleTable
    }
}
