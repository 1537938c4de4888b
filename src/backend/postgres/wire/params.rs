//! A request's values in PostgreSQL's binary parameter format, with the
//! type each is sent as: the types sqlx gave them (`bigint`, `double
//! precision`, `text`, `boolean`, their arrays; NULL as `bigint`), so a
//! statement means the same on either client.

use crate::backend::sql::Bound;

const INT8: u32 = 20;
const FLOAT8: u32 = 701;
const TEXT: u32 = 25;
const BOOL: u32 = 16;
const INT8_ARRAY: u32 = 1016;
const FLOAT8_ARRAY: u32 = 1022;
const TEXT_ARRAY: u32 = 1009;
const BOOL_ARRAY: u32 = 1000;

/// Appends `v` (its length, then its bytes; -1 for NULL) to `out` and its
/// type to `types`.
pub fn encode(v: &Bound<'_>, out: &mut Vec<u8>, types: &mut Vec<u32>) -> Result<(), String> {
    let ty = match v {
        Bound::Int(i) => sized(out, &i.to_be_bytes(), INT8),
        Bound::Float(f) => sized(out, &f.to_bits().to_be_bytes(), FLOAT8),
        Bound::Str(s) => sized(out, s.as_bytes(), TEXT),
        Bound::Bool(b) => sized(out, &[u8::from(*b)], BOOL),
        Bound::Null => {
            out.extend_from_slice(&(-1i32).to_be_bytes());
            INT8
        }
        Bound::IntArray(a) => array(out, INT8, a.iter().map(|i| i.to_be_bytes()), INT8_ARRAY)?,
        Bound::FloatArray(a) => array(out, FLOAT8, a.iter().map(|f| f.to_bits().to_be_bytes()), FLOAT8_ARRAY)?,
        Bound::BoolArray(a) => array(out, BOOL, a.iter().map(|b| [u8::from(*b)]), BOOL_ARRAY)?,
        Bound::StrArray(a) => array(out, TEXT, a.iter().map(String::as_bytes), TEXT_ARRAY)?,
    };
    types.push(ty);
    Ok(())
}

fn sized(out: &mut Vec<u8>, bytes: &[u8], ty: u32) -> u32 {
    out.extend_from_slice(&len_i32(bytes.len()).to_be_bytes());
    out.extend_from_slice(bytes);
    ty
}

fn len_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A one-dimensional array: dimensions, no-NULLs flag, element type, length
/// and lower bound 1, then each element's length and bytes.
fn array<T: AsRef<[u8]>>(out: &mut Vec<u8>, elem: u32, items: impl ExactSizeIterator<Item = T>, ty: u32) -> Result<u32, String> {
    let n = items.len();
    if n > i32::MAX as usize / 8 {
        return Err(format!("a list of {n} values is more than PostgreSQL takes in one parameter"));
    }
    let at = out.len();
    out.extend_from_slice(&0i32.to_be_bytes());
    let (ndim, dims): (i32, &[i32]) = if n == 0 { (0, &[]) } else { (1, &[n as i32, 1]) };
    out.extend_from_slice(&ndim.to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes());
    out.extend_from_slice(&elem.to_be_bytes());
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    for item in items {
        let b = item.as_ref();
        out.extend_from_slice(&len_i32(b.len()).to_be_bytes());
        out.extend_from_slice(b);
    }
    let len = len_i32(out.len() - at - 4);
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
    Ok(ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_and_arrays_are_in_the_binary_format_with_their_types() {
        let (mut out, mut types) = (Vec::new(), Vec::new());
        encode(&Bound::Int(-2), &mut out, &mut types).unwrap();
        encode(&Bound::Str("ab".into()), &mut out, &mut types).unwrap();
        encode(&Bound::Null, &mut out, &mut types).unwrap();
        encode(&Bound::IntArray(vec![7]), &mut out, &mut types).unwrap();
        assert_eq!(types, [INT8, TEXT, INT8, INT8_ARRAY]);
        let mut want = vec![0, 0, 0, 8, 255, 255, 255, 255, 255, 255, 255, 254, 0, 0, 0, 2, b'a', b'b', 255, 255, 255, 255];
        // int8[] {7}: 1 dimension, no NULLs, int8, length 1 from 1, then 8 bytes.
        want.extend_from_slice(&[0, 0, 0, 32, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 7]);
        assert_eq!(out, want);
    }
}
