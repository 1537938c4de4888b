//! JUnit XML for checks and comparisons, so that CI systems show them natively.
