//! A user's own embeddings: a `.npy` file (a 2-D array of little-endian
//! 4-byte floats, C order) or an `.fvecs` file (each row: its dimension as a
//! little-endian 4-byte integer, then that many 4-byte floats). Only the
//! header (and, for .fvecs, the first row's dimension) is read to check the
//! file; rows are read one at a time when needed, never the whole file.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// An opened, checked embeddings file.
#[derive(Debug)]
pub struct VectorFile {
    file: File,
    /// Byte offset of row 0's first number.
    start: u64,
    /// Bytes from one row's first number to the next's.
    stride: u64,
    pub dim: u32,
    pub rows: u64,
}

impl VectorFile {
    /// Opens and checks `path` (by its extension: .npy or .fvecs).
    pub fn open(path: &Path) -> Result<VectorFile, String> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        if ext != "npy" && ext != "fvecs" {
            return Err(format!("expected a .npy or .fvecs file, found {:?}", path.file_name().unwrap_or_default()));
        }
        let mut file = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let len = file.metadata().map_err(|e| format!("cannot read {}: {e}", path.display()))?.len();
        match ext.as_str() {
            "npy" => npy(file, len),
            "fvecs" => {
                let mut b = [0u8; 4];
                file.read_exact(&mut b).map_err(|_| {
                    "the .fvecs file is empty: expected rows of a 4-byte dimension then that many 4-byte floats".to_string()
                })?;
                let dim = i32::from_le_bytes(b);
                if !(1..=16_000).contains(&dim) {
                    return Err(format!(
                        "the .fvecs file's first row gives {dim} dimensions: expected 1 to 16000 (is it .fvecs, little-endian?)"
                    ));
                }
                let stride = 4 + 4 * dim as u64;
                if len % stride != 0 {
                    return Err(format!(
                        "the .fvecs file's size ({len} bytes) is not a whole number of rows of {dim} dimensions ({stride} bytes each)"
                    ));
                }
                Ok(VectorFile { file, start: 4, stride, dim: dim as u32, rows: len / stride })
            }
            _ => Err(format!("expected a .npy or .fvecs file, found {:?}", path.file_name().unwrap_or_default())),
        }
    }

    /// Row `row`'s numbers into `out` (empty when it cannot be read: the
    /// file changed after it was checked; the server then refuses the row).
    pub fn read_row(&self, row: u64, out: &mut Vec<f32>) {
        out.clear();
        let mut bytes = vec![0u8; 4 * self.dim as usize];
        if row >= self.rows || self.file.read_exact_at(&mut bytes, self.start + row * self.stride).is_err() {
            return;
        }
        out.extend(bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])));
    }
}

/// A .npy header: magic, version, header length, a Python dict literal.
fn npy(mut file: File, len: u64) -> Result<VectorFile, String> {
    let mut head = [0u8; 10];
    file.read_exact(&mut head).map_err(|_| "not a .npy file: shorter than its header".to_string())?;
    if &head[..6] != b"\x93NUMPY" {
        return Err("not a .npy file: it does not start with \\x93NUMPY".into());
    }
    let (header_len, start) = match head[6] {
        1 => (u64::from(u16::from_le_bytes([head[8], head[9]])), 10),
        2 | 3 => {
            let mut more = [0u8; 2];
            file.read_exact(&mut more).map_err(|_| "not a .npy file: shorter than its header".to_string())?;
            (u64::from(u32::from_le_bytes([head[8], head[9], more[0], more[1]])), 12)
        }
        v => return Err(format!("a .npy file of format version {v}: expected 1, 2 or 3")),
    };
    if header_len > 1 << 16 {
        return Err(format!("the .npy header is {header_len} bytes long: expected at most 65536"));
    }
    let mut text = vec![0u8; header_len as usize];
    file.read_exact(&mut text).map_err(|_| "the .npy file ends inside its header".to_string())?;
    let text = String::from_utf8_lossy(&text).replace(' ', "");
    let field = |name: &str| text.split(&format!("'{name}':")).nth(1).map(str::to_string);
    let descr = field("descr").and_then(|d| d.split('\'').nth(1).map(str::to_string)).unwrap_or_default();
    if descr != "<f4" {
        return Err(format!("the .npy array holds {descr:?}: expected little-endian 4-byte floats ('<f4'; numpy: a.astype('<f4'))"));
    }
    if field("fortran_order").is_none_or(|f| !f.starts_with("False")) {
        return Err("the .npy array is in Fortran order: expected C order (numpy: np.ascontiguousarray(a))".into());
    }
    let shape = field("shape").and_then(|s| s.strip_prefix('(').and_then(|s| s.split(')').next()).map(str::to_string)).unwrap_or_default();
    let dims: Vec<u64> = shape.split(',').filter(|s| !s.is_empty()).filter_map(|s| s.parse().ok()).collect();
    let [rows, dim] = dims[..] else {
        return Err(format!("the .npy array has shape ({shape}): expected 2 dimensions (rows, dim)"));
    };
    if !(1..=16_000).contains(&dim) {
        return Err(format!("the .npy array's rows have {dim} numbers: expected 1 to 16000"));
    }
    let start = start + header_len;
    if len < start + rows * dim * 4 {
        return Err(format!("the .npy file is shorter ({len} bytes) than its shape ({rows}, {dim}) says"));
    }
    Ok(VectorFile { file, start, stride: dim * 4, dim: dim as u32, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy_bytes(rows: u64, dim: u64, descr: &str) -> Vec<u8> {
        let mut h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({rows}, {dim}), }}");
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend((h.len() as u16).to_le_bytes());
        b.extend(h.as_bytes());
        for i in 0..rows * dim {
            b.extend((i as f32 * 0.5).to_le_bytes());
        }
        b
    }

    #[test]
    fn npy_and_fvecs_rows_read_back_and_bad_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npy");
        std::fs::write(&p, npy_bytes(5, 3, "<f4")).unwrap();
        let f = VectorFile::open(&p).unwrap();
        assert_eq!((f.rows, f.dim), (5, 3));
        let mut v = Vec::new();
        f.read_row(2, &mut v);
        assert_eq!(v, [3.0, 3.5, 4.0]);
        f.read_row(5, &mut v);
        assert!(v.is_empty());
        std::fs::write(&p, npy_bytes(5, 3, "<f8")).unwrap();
        assert!(VectorFile::open(&p).unwrap_err().contains("'<f4'"));
        let mut short = npy_bytes(5, 3, "<f4");
        short.truncate(short.len() - 4);
        std::fs::write(&p, short).unwrap();
        assert!(VectorFile::open(&p).unwrap_err().contains("shorter"));

        let p = dir.path().join("b.fvecs");
        let mut b = Vec::new();
        for r in 0..4 {
            b.extend(2i32.to_le_bytes());
            b.extend((r as f32).to_le_bytes());
            b.extend((-(r as f32)).to_le_bytes());
        }
        std::fs::write(&p, &b).unwrap();
        let f = VectorFile::open(&p).unwrap();
        assert_eq!((f.rows, f.dim), (4, 2));
        f.read_row(3, &mut v);
        assert_eq!(v, [3.0, -3.0]);
        std::fs::write(&p, &b[..b.len() - 1]).unwrap();
        assert!(VectorFile::open(&p).unwrap_err().contains("whole number of rows"));
        assert!(VectorFile::open(&dir.path().join("c.csv")).unwrap_err().contains(".npy or .fvecs"));
    }
}
