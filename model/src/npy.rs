//! `.npy` arrays of logits: written by `trainer transcribe --emit-logits` (NumPy format
//! 1.0, float32, C order, so `numpy.load` reads them without any other tool), read by
//! `trainer decode` from us or from anything that saves logits with NumPy (format 1.0,
//! 2.0 or 3.0; little-endian float16, float32 or float64; C order).

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

/// A float array read from a `.npy` file, widened to `f32`, in C order.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// Reads a `.npy` file of floats.
///
/// # Errors
/// [`ModelError::Npy`] naming the file and what is wrong (not `.npy`, a dtype other than
/// little-endian float16/32/64, Fortran order, a truncated body).
pub fn read(path: &Path) -> Result<NpyArray, ModelError> {
    let bytes = fs_err::read(path).map_err(|e| npy_error(path, e.to_string()))?;
    parse(&bytes).map_err(|message| npy_error(path, message))
}

fn npy_error(path: &Path, message: String) -> ModelError {
    ModelError::Npy {
        path: path.to_owned(),
        message,
    }
}

/// Parses `.npy` bytes; the problem in words when they are not a float array.
///
/// # Errors
/// What is wrong, for [`read`] to name with the file.
pub fn parse(bytes: &[u8]) -> Result<NpyArray, String> {
    let rest = bytes
        .strip_prefix(b"\x93NUMPY")
        .ok_or("not a .npy file (no \\x93NUMPY magic)")?;
    let (&[major, _minor], rest) = rest.split_first_chunk::<2>().ok_or("truncated header")?;
    let (header_len, rest) = match major {
        1 => {
            let (len, rest) = rest.split_first_chunk::<2>().ok_or("truncated header")?;
            (usize::from(u16::from_le_bytes(*len)), rest)
        }
        2 | 3 => {
            let (len, rest) = rest.split_first_chunk::<4>().ok_or("truncated header")?;
            (u32::from_le_bytes(*len) as usize, rest)
        }
        other => return Err(format!("format version {other} is not 1, 2 or 3")),
    };
    let header = rest.get(..header_len).ok_or("truncated header")?;
    let header = std::str::from_utf8(header).map_err(|_| "the header is not text")?;
    let body = &rest[header_len..];
    let descr = header_value(header, "descr").ok_or("the header has no 'descr'")?;
    let width = match descr.trim_matches(|c| c == '\'' || c == '"') {
        "<f2" => 2,
        "<f4" => 4,
        "<f8" => 8,
        other => {
            return Err(format!(
                "dtype {other} is not a little-endian float16, float32 or float64"
            ));
        }
    };
    if header_value(header, "fortran_order").is_some_and(|v| v.starts_with("True")) {
        return Err("Fortran order is not supported (save with C order)".into());
    }
    let shape = parse_shape(header)?;
    let count: usize = shape.iter().product();
    if body.len() != count * width {
        return Err(format!(
            "shape {shape:?} needs {} bytes of data, the file has {}",
            count * width,
            body.len()
        ));
    }
    let data = match width {
        2 => body
            .chunks_exact(2)
            .map(|c| half_to_f32(u16::from_le_bytes([c[0], c[1]])))
            .collect(),
        4 => body
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        _ => body
            .chunks_exact(8)
            .map(|c| {
                #[allow(clippy::cast_possible_truncation)] // logits fit f32
                let value =
                    f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32;
                value
            })
            .collect(),
    };
    Ok(NpyArray { shape, data })
}

/// The text after `'key':` in a header dict, up to the next top-level comma (one outside
/// a tuple and a quoted string) or the dict's end.
fn header_value<'h>(header: &'h str, key: &str) -> Option<&'h str> {
    let at = header.find(&format!("'{key}':"))?;
    let value = header[at + key.len() + 3..].trim_start();
    let mut depth = 0_usize;
    let mut quote = None;
    for (i, c) in value.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth = depth.saturating_sub(1),
            (None, ',' | '}') if depth == 0 => return Some(value[..i].trim_end()),
            _ => {}
        }
    }
    Some(value.trim_end())
}

fn parse_shape(header: &str) -> Result<Vec<usize>, String> {
    let value = header_value(header, "shape").ok_or("the header has no 'shape'")?;
    let inner = value
        .strip_prefix('(')
        .and_then(|v| v.split(')').next())
        .ok_or("the shape is not a tuple")?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|_| format!("shape entry `{s}` is not a size"))
        })
        .collect()
}

/// IEEE half → single (exact).
fn half_to_f32(bits: u16) -> f32 {
    let sign = u32::from(bits >> 15) << 31;
    let exponent = u32::from((bits >> 10) & 0x1f);
    let mantissa = u32::from(bits & 0x3ff);
    let magnitude = match (exponent, mantissa) {
        (0, 0) => 0,
        // Subnormal: value = mantissa × 2^-24, exactly representable in f32.
        (0, m) => {
            #[allow(clippy::cast_precision_loss)]
            let value = m as f32 * f32::powi(2.0, -24);
            value.to_bits()
        }
        (0x1f, 0) => 0x7f80_0000,
        (0x1f, m) => 0x7f80_0000 | (m << 13),
        (e, m) => ((e + 127 - 15) << 23) | (m << 13),
    };
    f32::from_bits(sign | magnitude)
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
        let array = parse(&bytes).unwrap();
        assert_eq!(array.shape, vec![2, 3]);
        assert_eq!(array.data[5], -6.5);
        assert_eq!(read(&path).unwrap(), array);
    }

    fn npy(version: u8, descr: &str, shape: &str, body: &[u8]) -> Vec<u8> {
        let header =
            format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}\n");
        let mut bytes = b"\x93NUMPY".to_vec();
        bytes.extend_from_slice(&[version, 0]);
        if version == 1 {
            bytes.extend_from_slice(&u16::try_from(header.len()).unwrap().to_le_bytes());
        } else {
            bytes.extend_from_slice(&u32::try_from(header.len()).unwrap().to_le_bytes());
        }
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(body);
        bytes
    }

    #[test]
    fn reads_what_numpy_writes_in_every_float_width_and_version() {
        let doubles: Vec<u8> = [1.5f64, -2.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(
            parse(&npy(1, "<f8", "(1, 2)", &doubles)).unwrap().data,
            [1.5, -2.0]
        );
        // float16: 1.0 = 0x3c00, -2.5 = 0xc100, the smallest subnormal 2^-24 = 0x0001.
        let halves: Vec<u8> = [0x3c00u16, 0xc100, 0x0001]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let array = parse(&npy(2, "<f2", "(3,)", &halves)).unwrap();
        assert_eq!(array.data, [1.0, -2.5, f32::powi(2.0, -24)]);
        assert_eq!(array.shape, [3]);
    }

    #[test]
    fn what_is_not_a_float_array_is_named() {
        let err = |bytes: &[u8]| parse(bytes).unwrap_err();
        assert!(err(b"PK\x03\x04").contains("not a .npy file"));
        assert!(err(&npy(1, "<i8", "(2,)", &[0; 16])).contains("dtype <i8"));
        assert!(err(&npy(1, "<f4", "(2, 3)", &[0; 8])).contains("needs 24 bytes"));
        let path = std::path::Path::new("/nonexistent/x.npy");
        assert!(read(path).unwrap_err().to_string().contains("x.npy"));
    }
}
