//! Container names, from the scenario alone (no connection).

use crate::dataset::DataModel;
use crate::scenario::model::{CosmosConfig, Layout};

/// The container of the `single_table` layout unless `container:` names one.
const DEFAULT_CONTAINER: &str = "features";

/// Container names, from the scenario alone (no connection).
#[derive(Debug, Clone)]
pub struct Names {
    pub layout: Layout,
    pub database: String,
    /// Per dataset table: its container (the one container in single_table layout).
    pub containers: Vec<String>,
    /// The containers to create, each once.
    pub physical: Vec<String>,
    /// Per dataset table: its index in `physical`.
    pub(super) slot: Vec<usize>,
}

impl Names {
    pub fn new(c: &CosmosConfig, model: &DataModel) -> Self {
        let prefix = c.container_prefix.as_deref().unwrap_or("");
        let layout = c.layout.unwrap_or_default();
        let containers: Vec<String> = match layout {
            Layout::TablePerTable => model.tables.iter().map(|t| format!("{prefix}{}", t.name)).collect(),
            Layout::SingleTable => {
                let one = format!("{prefix}{}", c.container.as_deref().unwrap_or(DEFAULT_CONTAINER));
                vec![one; model.tables.len()]
            }
        };
        let mut physical: Vec<String> = Vec::new();
        let mut slot = Vec::with_capacity(containers.len());
        for name in &containers {
            match physical.iter().position(|p| p == name) {
                Some(i) => slot.push(i),
                None => {
                    slot.push(physical.len());
                    physical.push(name.clone());
                }
            }
        }
        Names { layout, database: c.database.clone(), containers, physical, slot }
    }

    pub fn single(&self) -> bool {
        self.layout == Layout::SingleTable
    }
}
