//! A request's values in COM_STMT_EXECUTE's binary format, with the types
//! sqlx gives them (BIGINT, DOUBLE, VARCHAR, unsigned TINYINT for booleans;
//! NULL as BIGINT), so a statement means the same on either client.

use crate::backend::sql::Bound;

const TINY: u8 = 0x01;
const DOUBLE: u8 = 0x05;
const LONGLONG: u8 = 0x08;
const VAR_STRING: u8 = 0xfd;
const UNSIGNED: u8 = 0x80;

/// A request's parameters: the NULL bitmap, two type bytes each, the values.
#[derive(Default)]
pub struct Params {
    pub nulls: Vec<u8>,
    pub types: Vec<u8>,
    pub values: Vec<u8>,
    pub count: usize,
}

impl Params {
    pub fn clear(&mut self) {
        self.nulls.clear();
        self.types.clear();
        self.values.clear();
        self.count = 0;
    }

    /// Appends the next parameter.
    pub fn push(&mut self, v: &Bound<'_>) -> Result<(), String> {
        let i = self.count;
        if i % 8 == 0 {
            self.nulls.push(0);
        }
        self.count += 1;
        let (ty, flags) = match v {
            Bound::Int(n) => {
                self.values.extend_from_slice(&n.to_le_bytes());
                (LONGLONG, 0)
            }
            Bound::Float(f) => {
                self.values.extend_from_slice(&f.to_bits().to_le_bytes());
                (DOUBLE, 0)
            }
            Bound::Str(s) => {
                lenenc(&mut self.values, s.len() as u64);
                self.values.extend_from_slice(s.as_bytes());
                (VAR_STRING, 0)
            }
            Bound::Bool(b) => {
                self.values.push(u8::from(*b));
                (TINY, UNSIGNED)
            }
            Bound::Null => {
                self.nulls[i / 8] |= 1 << (i % 8);
                (LONGLONG, 0)
            }
            Bound::IntArray(_) | Bound::StrArray(_) | Bound::FloatArray(_) | Bound::BoolArray(_) => {
                return Err("binding a list is supported on PostgreSQL only".into());
            }
        };
        self.types.extend_from_slice(&[ty, flags]);
        Ok(())
    }
}

/// A length-encoded integer.
pub fn lenenc(out: &mut Vec<u8>, n: u64) {
    match n {
        0..=250 => out.push(n as u8),
        251..=0xffff => {
            out.push(0xfc);
            out.extend_from_slice(&(n as u16).to_le_bytes());
        }
        0x1_0000..=0xff_ffff => {
            out.push(0xfd);
            out.extend_from_slice(&(n as u32).to_le_bytes()[..3]);
        }
        _ => {
            out.push(0xfe);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
}

/// Reads a length-encoded integer at `*at`, moving past it.
pub fn read_lenenc(b: &[u8], at: &mut usize) -> Option<u64> {
    let first = *b.get(*at)?;
    let (n, len) = match first {
        0..=250 => (u64::from(first), 1),
        0xfc => (u64::from(u16::from_le_bytes(b.get(*at + 1..*at + 3)?.try_into().ok()?)), 3),
        0xfd => {
            let x = b.get(*at + 1..*at + 4)?;
            (u64::from(x[0]) | u64::from(x[1]) << 8 | u64::from(x[2]) << 16, 4)
        }
        0xfe => (u64::from_le_bytes(b.get(*at + 1..*at + 9)?.try_into().ok()?), 9),
        _ => return None,
    };
    *at += len;
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_go_in_the_binary_format_with_their_types_and_nulls() {
        let mut p = Params::default();
        for v in [Bound::Int(-2), Bound::Str("ab".into()), Bound::Null, Bound::Bool(true), Bound::Float(1.5)] {
            p.push(&v).unwrap();
        }
        assert_eq!(p.count, 5);
        assert_eq!(p.nulls, [0b100]);
        assert_eq!(p.types, [LONGLONG, 0, VAR_STRING, 0, LONGLONG, 0, TINY, UNSIGNED, DOUBLE, 0]);
        let mut want = vec![254, 255, 255, 255, 255, 255, 255, 255, 2, b'a', b'b', 1];
        want.extend_from_slice(&1.5f64.to_le_bytes());
        assert_eq!(p.values, want);
        assert!(p.push(&Bound::IntArray(vec![1])).unwrap_err().contains("PostgreSQL only"));
    }

    #[test]
    fn length_encoded_integers_round_trip() {
        for n in [0u64, 250, 251, 0xffff, 0x1_0000, 0xff_ffff, 0x100_0000, u64::MAX] {
            let mut b = vec![9];
            lenenc(&mut b, n);
            let mut at = 1;
            assert_eq!(read_lenenc(&b, &mut at), Some(n));
            assert_eq!(at, b.len());
        }
        assert_eq!(read_lenenc(&[0xfc, 1], &mut 0), None);
        assert_eq!(read_lenenc(&[0xff], &mut 0), None);
    }
}
