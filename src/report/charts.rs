//! SVG charts of a run (issue 7): drawn from the report alone, so that
//! `benchplan report` rebuilds them byte for byte.
