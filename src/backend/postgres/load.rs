//! PostgreSQL's load methods: `copy` (COPY FROM STDIN, text format, the
//! default), `copy_binary` (COPY FROM STDIN, binary format) and `insert`
//! (the kind's `write.sql` in mode insert: one INSERT ... UNNEST statement
//! of `batch` rows a transaction). Each streams one batch at a time.

use super::PostgresBackend;
use crate::backend::{sqlx_exec, BackendError};
use crate::dataset::{FeatureValue, KeyValue, RowBatches, TableModel};
use crate::scenario::model::{FeatureType, KeyType, Kind, LoadMethod};
use crate::template::Templates;
use indicatif::ProgressBar;
use sqlx::postgres::PgPoolCopyExt;
use std::io::Write as _;

/// The binary COPY file header: signature, flags, header extension length.
const BINARY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

impl PostgresBackend {
    /// Loads table `ti` with `method`, `batch` rows a chunk (COPY) or a
    /// transaction (insert); returns the rows written.
    pub(super) async fn load_table(
        &self,
        templates: &Templates,
        method: LoadMethod,
        ti: usize,
        batch: u64,
        bar: &ProgressBar,
    ) -> Result<u64, BackendError> {
        match method {
            LoadMethod::Copy => self.copy_table(ti, batch, false, bar).await,
            LoadMethod::CopyBinary => {
                self.check_binary_types(ti).await?;
                self.copy_table(ti, batch, true, bar).await
            }
            LoadMethod::Insert => {
                sqlx_exec::insert_load(&self.pool, Kind::Postgres, templates, &self.model, ti, batch, None, bar).await
            }
        }
    }

    /// COPY one table in chunks of `batch` rows, in the text or binary format.
    async fn copy_table(&self, ti: usize, batch: u64, binary: bool, bar: &ProgressBar) -> Result<u64, BackendError> {
        let model = &self.model;
        let t = &model.tables[ti];
        let fail = |e: sqlx::Error| BackendError(format!("postgres load {}: {}", t.name, sqlx_exec::error_text(&e)));
        let cols: Vec<String> =
            std::iter::once(format!("\"{}\"", t.key_column)).chain(t.columns.iter().map(|c| format!("\"{}\"", c.name))).collect();
        let format = if binary { "binary" } else { "text" };
        let stmt = format!("COPY \"{}\" ({}) FROM STDIN (FORMAT {format})", t.name, cols.join(", "));
        let mut copy = self.pool.copy_in_raw(&stmt).await.map_err(fail)?;
        let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
        if binary {
            buf.extend_from_slice(BINARY_HEADER);
        }
        let mut total = 0;
        for range in RowBatches::new(model, ti, batch) {
            for idx in range.clone() {
                let key = model.entities[t.entity].key(idx);
                if binary {
                    binary_row(&mut buf, t, key, idx);
                } else {
                    text_row(&mut buf, t, key, idx);
                }
            }
            copy.send(buf.as_slice()).await.map_err(fail)?;
            buf.clear();
            total += range.end - range.start;
            bar.inc(range.end - range.start);
        }
        if binary {
            // The file trailer: a tuple of -1 fields.
            copy.send(&(-1i16).to_be_bytes()[..]).await.map_err(fail)?;
        }
        copy.finish().await.map_err(fail)?;
        Ok(total)
    }

    /// Binary COPY sends each value in its type's binary form: the table's
    /// columns must have the types `create_table.sql` gives them (a template
    /// override may have changed them; the text formats convert, this one cannot).
    async fn check_binary_types(&self, ti: usize) -> Result<(), BackendError> {
        let t = &self.model.tables[ti];
        let q = "SELECT a.attname::text, format_type(a.atttypid, NULL) FROM pg_attribute a \
                 WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped";
        let found: Vec<(String, String)> = sqlx::query_as(q)
            .bind(format!("\"{}\"", t.name))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| BackendError(format!("postgres load {}: reading its column types: {}", t.name, sqlx_exec::error_text(&e))))?;
        let key = if self.model.entities[t.entity].key_type == KeyType::Int { "bigint" } else { "text" };
        let wanted = std::iter::once((t.key_column.as_str(), key)).chain(t.columns.iter().map(|c| (c.name.as_str(), binary_type(c.ty))));
        for (col, want) in wanted {
            let got = found.iter().find(|(n, _)| n == col).map(|(_, ty)| ty.as_str()).unwrap_or("missing");
            if got != want {
                return Err(BackendError(format!(
                    "postgres load {}: load method copy_binary sends column {col} as {want}, but the table's column is {got}; \
                     use load method copy or insert (they convert), or create the column as {want}",
                    t.name
                )));
            }
        }
        Ok(())
    }
}

/// The type a binary COPY sends a feature as.
fn binary_type(ty: FeatureType) -> &'static str {
    match ty {
        FeatureType::Float => "double precision",
        FeatureType::Int => "bigint",
        FeatureType::String => "text",
        FeatureType::Bool => "boolean",
        FeatureType::Vector => "vector",
        FeatureType::Halfvec => "halfvec",
    }
}

/// One row in COPY's text format.
fn text_row(buf: &mut Vec<u8>, t: &TableModel, key: KeyValue, idx: u64) {
    // Writing into a Vec cannot fail.
    match key {
        KeyValue::Int(i) => {
            let _ = write!(buf, "{i}");
        }
        // Generated keys and strings hold no tab, newline or backslash.
        KeyValue::Str(s) => buf.extend_from_slice(s.as_bytes()),
    }
    for c in 0..t.columns.len() {
        buf.push(b'\t');
        let _ = match t.value(idx, c, 0) {
            FeatureValue::Float(f) => write!(buf, "{f}"),
            FeatureValue::Int(i) => write!(buf, "{i}"),
            FeatureValue::Str(s) => buf.write_all(s.as_bytes()),
            FeatureValue::Bool(b) => buf.write_all(if b { b"t" } else { b"f" }),
            FeatureValue::Vector(v) => {
                crate::dataset::write_vector_text(&v, buf);
                Ok(())
            }
        };
    }
    buf.push(b'\n');
}

/// One row in COPY's binary format: the field count, then each field's
/// length and bytes (network byte order).
fn binary_row(buf: &mut Vec<u8>, t: &TableModel, key: KeyValue, idx: u64) {
    let fields = (t.columns.len() + 1) as i16;
    buf.extend_from_slice(&fields.to_be_bytes());
    let bytes = |buf: &mut Vec<u8>, b: &[u8]| {
        buf.extend_from_slice(&(b.len() as i32).to_be_bytes());
        buf.extend_from_slice(b);
    };
    match key {
        KeyValue::Int(i) => bytes(buf, &i.to_be_bytes()),
        KeyValue::Str(s) => bytes(buf, s.as_bytes()),
    }
    for c in 0..t.columns.len() {
        match t.value(idx, c, 0) {
            FeatureValue::Float(f) => bytes(buf, &f.to_bits().to_be_bytes()),
            FeatureValue::Int(i) => bytes(buf, &i.to_be_bytes()),
            FeatureValue::Str(s) => bytes(buf, s.as_bytes()),
            FeatureValue::Bool(b) => bytes(buf, &[u8::from(b)]),
            FeatureValue::Vector(v) => binary_vector(buf, &v, t.columns[c].ty == FeatureType::Halfvec),
        }
    }
}

/// A pgvector field in COPY's binary format: its length, then [`vector_binary`].
fn binary_vector(buf: &mut Vec<u8>, v: &[f32], half: bool) {
    let width = if half { 2 } else { 4 };
    buf.extend_from_slice(&((4 + width * v.len()) as i32).to_be_bytes());
    vector_binary(buf, v, half);
}

/// pgvector's binary form of a `vector` or `halfvec` (its `recv` function's
/// input): the dimensions (int16), an unused int16, then each component as a
/// 4-byte float (`vector`) or a 2-byte one (`halfvec`), in network byte order.
pub(super) fn vector_binary(buf: &mut Vec<u8>, v: &[f32], half: bool) {
    buf.extend_from_slice(&(v.len() as i16).to_be_bytes());
    buf.extend_from_slice(&0i16.to_be_bytes());
    for x in v {
        if half {
            buf.extend_from_slice(&half_bits(*x).to_be_bytes());
        } else {
            buf.extend_from_slice(&x.to_bits().to_be_bytes());
        }
    }
}

/// The IEEE half-precision bits of `x`, rounded to nearest, ties to even, as
/// pgvector's `halfvec` input rounds (exact for the generated values:
/// multiples of 2^-10 in (-2, 2), see crate::dataset). Beyond the half's
/// range: infinity (which the server refuses, as it refuses the text).
fn half_bits(x: f32) -> u16 {
    let b = x.to_bits();
    let sign = ((b >> 16) & 0x8000) as u16;
    let a = b & 0x7fff_ffff;
    let round = |kept: u32, rest: u32, half: u32| if rest > half || (rest == half && kept & 1 == 1) { kept + 1 } else { kept };
    if a >= 0x7f80_0000 {
        // Infinity, or NaN (kept a NaN).
        return sign | 0x7c00 | if a > 0x7f80_0000 { 0x200 } else { 0 };
    }
    if a < 0x3880_0000 {
        // Below 2^-14: a subnormal half (units of 2^-24), or zero.
        let e = (a >> 23) as i32;
        if e < 102 {
            return sign;
        }
        let m = (a & 0x7f_ffff) | 0x80_0000;
        let shift = (126 - e) as u32;
        return sign | round(m >> shift, m & ((1 << shift) - 1), 1 << (shift - 1)) as u16;
    }
    let exp = ((a >> 23) as i32 - 127 + 15) as u32;
    // A carry out of the mantissa steps the exponent, up to infinity.
    let h = round((exp << 10) | ((a >> 13) & 0x3ff), a & 0x1fff, 0x1000);
    sign | h.min(0x7c00) as u16
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::DataModel;
    use crate::scenario::model::*;
    use indexmap::IndexMap;

    #[test]
    fn a_binary_row_is_its_fields_with_lengths_in_network_order() {
        let mut entities = IndexMap::new();
        entities.insert("u".to_string(), Entity { keys: Some(5), key: KeyType::Int, sample: None });
        let spec = TableSpec {
            name: "t".into(),
            entity: "u".into(),
            count: None,
            features: Features::Count(4),
            types: Some(FeatureTypes::Mixed),
            rows: None,
            key_column: None,
        };
        let m = DataModel::new(1, &Dataset { entities, tables: vec![spec] });
        let t = &m.tables[0];
        let mut buf = Vec::new();
        binary_row(&mut buf, t, KeyValue::Int(3), 3);
        assert_eq!(&buf[..2], &5i16.to_be_bytes(), "key and 4 features");
        assert_eq!(&buf[2..14], &[0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 3], "bigint 3");
        let FeatureValue::Float(f) = t.value(3, 0, 0) else { panic!("f0 is a float") };
        assert_eq!(&buf[14..18], &8i32.to_be_bytes());
        assert_eq!(f64::from_bits(u64::from_be_bytes(buf[18..26].try_into().unwrap())), f);
        // int, 12-hex-digit string, bool: 4+8 + 4+12 + 4+1 more bytes.
        assert_eq!(buf.len(), 26 + 12 + 16 + 5);
        assert_eq!(BINARY_HEADER.len(), 19);
    }

    #[test]
    fn halfs_of_the_generated_values_are_exact() {
        assert_eq!(half_bits(1.0), 0x3c00);
        assert_eq!(half_bits(-2.0 + 1.0 / 1024.0), 0xbfff);
        assert_eq!(half_bits(1.0 / 1024.0), 0x1400);
        assert_eq!(half_bits(0.0), 0);
        assert_eq!(half_bits(-0.5), 0xb800);
    }

    #[test]
    fn halfs_round_to_nearest_even() {
        // 1 + 2^-11 is half-way between 1 and 1 + 2^-10: to the even one, 1.
        assert_eq!(half_bits(1.0 + 1.0 / 2048.0), 0x3c00);
        // 1 + 3 * 2^-11: half-way between 1 + 2^-10 (odd) and 1 + 2^-9 (even).
        assert_eq!(half_bits(1.0 + 3.0 / 2048.0), 0x3c02);
        assert_eq!(half_bits(1.0 + 1.1 / 2048.0), 0x3c01);
        assert_eq!(half_bits(0.1), 0x2e66);
        assert_eq!(half_bits(65504.0), 0x7bff);
        assert_eq!(half_bits(1e6), 0x7c00);
        assert_eq!(half_bits(-1e6), 0xfc00);
        // Subnormals: 2^-24 is the smallest; 2^-25 is a tie, to even (0).
        assert_eq!(half_bits(2f32.powi(-24)), 0x0001);
        assert_eq!(half_bits(2f32.powi(-25)), 0x0000);
        assert_eq!(half_bits(3.0 * 2f32.powi(-25)), 0x0002);
        assert_eq!(half_bits(2f32.powi(-15)), 0x0200);
        assert_eq!(half_bits(2f32.powi(-14)), 0x0400);
        assert_eq!(half_bits(-0.0), 0x8000);
    }
}
