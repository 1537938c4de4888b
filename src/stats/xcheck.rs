//! Cross-checks: the server's own counters, read at the boundaries of a
//! phase (never per request), set beside what benchplan counted sending.
//!
//! A backend reads its counters ([`ServerCounters`]) before and after each
//! phase; [`delta`] subtracts them, less the reading's own statements; the
//! report compares each counter with the count of benchplan's it measures
//! ([`Compare`]), within a stated tolerance ([`tolerance`]).

/// What a request sent to the server, for the cross-checks: counted per
/// worker (three additions per request, no allocation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sent {
    /// The operation's own statements (or calls): what `pg_stat_statements` lists.
    pub statements: u64,
    /// Transaction control around them: BEGIN, COMMIT, PREPARE TRANSACTION.
    pub control: u64,
    /// Transactions committed (an autocommit statement is one).
    pub commits: u64,
}

impl Sent {
    /// `n` statements, each its own autocommit transaction.
    pub const fn autocommit(n: u64) -> Self {
        Sent { statements: n, control: 0, commits: n }
    }

    #[inline]
    pub fn add(&mut self, o: &Sent) {
        self.statements += o.statements;
        self.control += o.control;
        self.commits += o.commits;
    }
}

/// Which of benchplan's counts a server counter measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// The operations' own statements (successful requests).
    Statements,
    /// Every statement sent: the operations' and the transaction control.
    AllStatements,
    /// Transactions committed.
    Commits,
    /// Rows read or written.
    Rows,
    /// Nothing benchplan counts (blocks, buffer pool reads): shown as the server's.
    Nothing,
}

impl Compare {
    /// How the summary names benchplan's side.
    pub fn describe(self) -> &'static str {
        match self {
            Compare::Statements => "statements",
            Compare::AllStatements => "statements incl. BEGIN/COMMIT",
            Compare::Commits => "commits",
            Compare::Rows => "rows",
            Compare::Nothing => "-",
        }
    }
}

/// One counter as the server reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Counter {
    /// `pg_stat_statements.calls`, `Questions`, ...
    pub name: String,
    pub value: u64,
    pub compare: Compare,
    /// What one reading adds to this counter itself (MySQL counts the SHOW
    /// in Questions): subtracted once from a delta.
    pub own: u64,
}

/// The server's counters at one moment, and what it could not tell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerCounters {
    pub counters: Vec<Counter>,
    /// `pg_stat_statements is not loaded: ...`: said in the summary.
    pub notes: Vec<String>,
    /// The server's memory in use, bytes (Redis `used_memory`): a gauge,
    /// kept at both boundaries rather than subtracted.
    pub memory_bytes: Option<u64>,
}

/// Counter names the report also shows as results.csv columns
/// (`redirections_moved`, `redirections_ask`): a cluster's redirection replies.
pub const MOVED: &str = "MOVED replies (errorstats)";
pub const ASK: &str = "ASK replies (errorstats)";

/// A counter's change over a phase.
#[derive(Debug, Clone, PartialEq)]
pub struct CounterDelta {
    pub name: String,
    pub delta: u64,
    pub compare: Compare,
}

/// What the server counted over one phase.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerDelta {
    pub counters: Vec<CounterDelta>,
    pub notes: Vec<String>,
    /// The server's memory in use at the phase's start and end, bytes.
    pub memory_bytes: Option<(u64, u64)>,
}

impl ServerDelta {
    /// A counter's change by name, where the server reported it.
    pub fn counter(&self, name: &str) -> Option<u64> {
        self.counters.iter().find(|c| c.name == name).map(|c| c.delta)
    }
}

/// `after - before` per counter read both times, less the after reading's own part.
pub fn delta(before: &ServerCounters, after: &ServerCounters) -> ServerDelta {
    let counters = after
        .counters
        .iter()
        .filter_map(|a| {
            let b = before.counters.iter().find(|b| b.name == a.name)?;
            Some(CounterDelta { name: a.name.clone(), delta: a.value.saturating_sub(b.value).saturating_sub(a.own), compare: a.compare })
        })
        .collect();
    let mut notes = before.notes.clone();
    notes.extend(after.notes.iter().filter(|n| !before.notes.contains(n)).cloned());
    let memory_bytes = before.memory_bytes.zip(after.memory_bytes);
    ServerDelta { counters, notes, memory_bytes }
}

/// The relative part of the tolerance: 1 % of benchplan's count.
pub const TOLERANCE_SHARE: f64 = 0.01;
/// The absolute part: the tool's own reading queries and a connection's setup.
pub const TOLERANCE_SLACK: u64 = 10;

/// The difference allowed between benchplan's count and the server's:
/// 1 % of benchplan's, plus the phase's requests whose statements are not
/// all known (failed ones) times the statements a request may send, plus
/// [`TOLERANCE_SLACK`].
pub fn tolerance(count: u64, uncounted_requests: u64, per_request: u64) -> u64 {
    (count as f64 * TOLERANCE_SHARE).ceil() as u64 + uncounted_requests * per_request.max(1) + TOLERANCE_SLACK
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, value: u64, own: u64) -> Counter {
        Counter { name: name.into(), value, compare: Compare::AllStatements, own }
    }

    #[test]
    fn a_delta_leaves_out_the_readings_own_statements_and_unpaired_counters() {
        let before =
            ServerCounters { counters: vec![c("Questions", 100, 1), c("gone", 5, 0)], notes: vec!["a".into()], memory_bytes: Some(7) };
        let after = ServerCounters {
            counters: vec![c("Questions", 1101, 1), c("new", 9, 0)],
            notes: vec!["a".into(), "b".into()],
            memory_bytes: Some(5),
        };
        let d = delta(&before, &after);
        assert_eq!(d.counters, vec![CounterDelta { name: "Questions".into(), delta: 1000, compare: Compare::AllStatements }]);
        assert_eq!(d.notes, vec!["a".to_string(), "b".to_string()]);
        assert_eq!((d.memory_bytes, d.counter("Questions"), d.counter("gone")), (Some((7, 5)), Some(1000), None));
        // A counter reset (server restart) is no negative count.
        let reset = ServerCounters { counters: vec![c("Questions", 3, 1)], ..Default::default() };
        assert_eq!(delta(&before, &reset).counters[0].delta, 0);
    }

    #[test]
    fn the_tolerance_grows_with_the_count_and_the_uncounted_requests() {
        assert_eq!(tolerance(0, 0, 1), TOLERANCE_SLACK);
        assert_eq!(tolerance(10_000, 0, 3), 100 + TOLERANCE_SLACK);
        assert_eq!(tolerance(10_000, 7, 3), 100 + 21 + TOLERANCE_SLACK);
    }
}
