//! Repetition and definition levels as the RLE half of Parquet's hybrid encoding
//! (levels are 0 or 1, bit width 1): written by the page writer, read back by the
//! page reader.

use parquet::errors::ParquetError;

use super::corrupt;

/// Run-length encoded levels (the RLE half of Parquet's hybrid encoding). Levels are
/// 0 or 1, bit width 1, so a run's value takes one byte.
#[derive(Debug, Default)]
pub(super) struct Runs {
    pub(super) runs: Vec<(u8, usize)>,
}

impl Runs {
    /// Appends `count` copies of `level`, merging with the previous run if equal.
    pub(super) fn push(&mut self, level: u8, count: usize) {
        if count == 0 {
            return;
        }
        match self.runs.last_mut() {
            Some((last, run)) if *last == level => *run += count,
            _ => self.runs.push((level, count)),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.runs.iter().map(|&(_, count)| count).sum()
    }

    /// V1 layout: the encoded length as a little-endian `u32`, then the runs, each a
    /// ULEB128 header `count << 1` and the level in one byte.
    pub(super) fn write_v1(&self, buf: &mut Vec<u8>) {
        let length_at = buf.len();
        buf.extend_from_slice(&[0; 4]);
        for &(level, count) in &self.runs {
            write_uleb128(buf, count << 1);
            buf.push(level);
        }
        // At most two runs per row and a row per byte of a page: far below 4 GiB.
        let length = (buf.len() - length_at - 4) as u32;
        buf[length_at..length_at + 4].copy_from_slice(&length.to_le_bytes());
    }
}

/// One V1 level section (`u32` length, then runs) of a page of `slots` values; `None`
/// if it has a bit-packed run, which [`Runs::write_v1`] never writes. Runs of more
/// levels than the page has values are an error: a corrupt run header could otherwise
/// claim billions of rows, each given memory.
pub(super) fn level_runs(buf: &[u8], slots: usize) -> Result<Option<(Runs, &[u8])>, ParquetError> {
    let (length, rest) = buf
        .split_first_chunk::<4>()
        .ok_or_else(|| corrupt("levels length missing".into()))?;
    let length = u32::from_le_bytes(*length) as usize;
    if length > rest.len() {
        return Err(corrupt(format!(
            "levels of {length} bytes overrun the page"
        )));
    }
    let (mut section, rest) = rest.split_at(length);
    let (mut runs, mut levels) = (Vec::new(), 0_usize);
    while !section.is_empty() {
        let header = read_uleb128(&mut section)?;
        let Some((&level, tail)) = section.split_first() else {
            return Err(corrupt("level run without its value".into()));
        };
        if header & 1 == 1 {
            return Ok(None);
        }
        let count = header >> 1;
        levels = levels.saturating_add(count);
        if levels > slots {
            return Err(corrupt(format!(
                "levels for more than the page's {slots} values"
            )));
        }
        runs.push((level, count));
        section = tail;
    }
    Ok(Some((Runs { runs }, rest)))
}

pub(super) fn write_uleb128(buf: &mut Vec<u8>, mut value: usize) {
    while value >= 0x80 {
        buf.push((value as u8) | 0x80);
        value >>= 7;
    }
    buf.push(value as u8);
}

pub(super) fn read_uleb128(buf: &mut &[u8]) -> Result<usize, ParquetError> {
    let mut value = 0_usize;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = buf
            .split_first()
            .ok_or_else(|| corrupt("run header cut short".into()))?;
        *buf = rest;
        value |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(corrupt("run header too long".into()))
}
