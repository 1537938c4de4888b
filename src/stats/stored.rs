//! Histograms in JSON: the V2 serialisation of HDR histograms, base64, for
//! what a shard run keeps in run.json (its raw measurements, so that
//! `benchplan merge` adds histograms exactly rather than averaging
//! percentiles). Used through `#[serde(with = ...)]`.

use base64::Engine;
use hdrhistogram::serialization::{Deserializer as HistDeserializer, Serializer as _, V2Serializer};
use hdrhistogram::Histogram;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A histogram as base64 of its V2 serialisation.
pub fn encode(h: &Histogram<u64>) -> Result<String, String> {
    let mut buf = Vec::new();
    V2Serializer::new().serialize(h, &mut buf).map_err(|e| format!("cannot encode a histogram: {e:?}"))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(buf))
}

/// The histogram `encode` wrote.
pub fn decode(data: &str) -> Result<Histogram<u64>, String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(data).map_err(|e| format!("bad histogram encoding: {e}"))?;
    HistDeserializer::new().deserialize(&mut bytes.as_slice()).map_err(|e| format!("bad histogram data: {e:?}"))
}

fn enc_opt<E: serde::ser::Error>(h: &Option<Histogram<u64>>) -> Result<Option<String>, E> {
    h.as_ref().map(encode).transpose().map_err(E::custom)
}

fn dec_opt<E: serde::de::Error>(s: Option<String>) -> Result<Option<Histogram<u64>>, E> {
    s.as_deref().map(decode).transpose().map_err(E::custom)
}

/// `Option<Histogram<u64>>`
pub mod opt {
    use super::*;
    pub fn serialize<S: Serializer>(h: &Option<Histogram<u64>>, s: S) -> Result<S::Ok, S::Error> {
        enc_opt::<S::Error>(h)?.serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Histogram<u64>>, D::Error> {
        dec_opt(Option::<String>::deserialize(d)?)
    }
}

/// `Vec<Option<Histogram<u64>>>`
pub mod vec {
    use super::*;
    pub fn serialize<S: Serializer>(v: &[Option<Histogram<u64>>], s: S) -> Result<S::Ok, S::Error> {
        v.iter().map(enc_opt::<S::Error>).collect::<Result<Vec<_>, _>>()?.serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Option<Histogram<u64>>>, D::Error> {
        Vec::<Option<String>>::deserialize(d)?.into_iter().map(dec_opt).collect()
    }
}

/// `[Option<Histogram<u64>>; 3]` (the segments cold, mixed, hot).
pub mod three {
    use super::*;
    pub fn serialize<S: Serializer>(v: &[Option<Histogram<u64>>; 3], s: S) -> Result<S::Ok, S::Error> {
        super::vec::serialize(v, s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[Option<Histogram<u64>>; 3], D::Error> {
        let v = super::vec::deserialize(d)?;
        let n = v.len();
        v.try_into().map_err(|_| serde::de::Error::custom(format!("expected 3 segment histograms, found {n}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_survives_json() {
        let mut h = crate::stats::new_hist();
        for v in 1..=10_000u64 {
            h.record(v * 1000).unwrap();
        }
        #[derive(Serialize, Deserialize)]
        struct W {
            #[serde(with = "opt")]
            a: Option<Histogram<u64>>,
            #[serde(with = "three")]
            b: [Option<Histogram<u64>>; 3],
        }
        let w = W { a: Some(h.clone()), b: [None, Some(h.clone()), None] };
        let back: W = serde_json::from_str(&serde_json::to_string(&w).unwrap()).unwrap();
        assert_eq!(back.a.as_ref().unwrap(), &h);
        assert_eq!(back.b[1].as_ref().unwrap().value_at_quantile(0.99), h.value_at_quantile(0.99));
        assert!(back.b[0].is_none() && back.b[2].is_none());
    }
}
