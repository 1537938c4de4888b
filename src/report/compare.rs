//! `benchplan compare BASE NEW`: deltas between two runs, regressions by
//! threshold and significance.
