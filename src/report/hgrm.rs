//! HdrHistogram percentile distribution files (`.hgrm`), values in milliseconds,
//! in the format HdrHistogram's own tools print and plot.

use base64::Engine;
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;

/// Decodes a histogram stored in run.json.
pub fn decode(data: &str) -> Result<Histogram<u64>, String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(data).map_err(|e| format!("bad histogram encoding: {e}"))?;
    Deserializer::new().deserialize(&mut bytes.as_slice()).map_err(|e| format!("bad histogram data: {e:?}"))
}

pub fn hgrm(h: &Histogram<u64>) -> Vec<u8> {
    use std::fmt::Write;
    let ms = |ns: f64| ns / 1_000_000.0;
    let mut s = String::new();
    let _ = writeln!(s, "{:>12} {:>14} {:>10} {:>14}\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
    if !h.is_empty() {
        let mut total = 0u64;
        for v in h.iter_quantiles(5) {
            total += v.count_since_last_iteration();
            let q = v.quantile_iterated_to();
            let inv = if q < 1.0 { format!("{:>14.2}", 1.0 / (1.0 - q)) } else { String::new() };
            let _ = writeln!(s, "{:>12.3} {:>14.12} {:>10} {inv}", ms(v.value_iterated_to() as f64), q, total);
        }
    }
    let _ = writeln!(s, "#[Mean    = {:>12.3}, StdDeviation   = {:>12.3}]", ms(h.mean()), ms(h.stdev()));
    let _ = writeln!(s, "#[Max     = {:>12.3}, Total count    = {:>12}]", ms(h.max() as f64), h.len());
    let _ = writeln!(s, "#[Buckets = {:>12}, SubBuckets     = {:>12}]", h.buckets(), h.distinct_values());
    s.into_bytes()
}
