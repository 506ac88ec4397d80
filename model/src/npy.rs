//! Minimal `.npy` (NumPy format 1.0) for `trainer transcribe --emit-logits`: float32,
//! C order, so `numpy.load` reads our logits without any other tool.

use std::io::Write;
use std::path::Path;

use super::ModelError;
use dialekt_core::atomic::write_streaming;

/// Writes a row-major float32 array of `shape`.
///
/// # Errors
/// [`ModelError::Write`] naming `path`.
pub fn write_f32(path: &Path, shape: &[usize], data: &[f32]) -> Result<(), ModelError> {
    let dims: Vec<String> = shape.iter().map(ToString::to_string).collect();
    let shape_text = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape_text}, }}");
    // magic (6) + version (2) + header length (2) + header, padded to 64 bytes, ending in \n
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let header_len = u16::try_from(header.len()).unwrap_or(u16::MAX);
    write_streaming(path, |out| {
        out.write_all(b"\x93NUMPY\x01\x00")?;
        out.write_all(&header_len.to_le_bytes())?;
        out.write_all(header.as_bytes())?;
        for v in data {
            out.write_all(&v.to_le_bytes())?;
        }
        Ok(())
    })?;
    Ok(())
}

/// Reads back what [`write_f32`] writes (tests and tools); `None` for anything else.
pub fn read_f32(bytes: &[u8]) -> Option<(Vec<usize>, Vec<f32>)> {
    let header_len = usize::from(u16::from_le_bytes([*bytes.get(8)?, *bytes.get(9)?]));
    let header = std::str::from_utf8(bytes.get(10..10 + header_len)?).ok()?;
    if !header.contains("'<f4'") {
        return None;
    }
    let shape_text = header.split("'shape': (").nth(1)?.split(')').next()?;
    let shape = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().ok())
        .collect::<Option<Vec<usize>>>()?;
    let data = bytes
        .get(10 + header_len..)?
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Some((shape, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_pads_the_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.npy");
        write_f32(&path, &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, -6.5]).unwrap();
        let bytes = fs_err::read(&path).unwrap();
        let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
        assert_eq!((10 + header_len) % 64, 0);
        let (shape, data) = read_f32(&bytes).unwrap();
        assert_eq!(shape, vec![2, 3]);
        assert_eq!(data[5], -6.5);
    }
}
