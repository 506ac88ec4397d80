//! Reading a few rows of a row group's `audio_bytes` chunk straight from the pages that
//! hold them (the offset index skips the rest), for chunks in the writer's layout.

use std::ops::Range;
use std::sync::Arc;

use parquet::basic::{Encoding, Type as PhysicalType};
use parquet::column::page::{Page, PageReader};
use parquet::errors::ParquetError;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::reader::ChunkReader;
use parquet::file::serialized_reader::SerializedPageReader;

use super::corrupt;
use super::dictionary::{INDEX_BIT_WIDTH, dictionary_bytes};
use super::levels::{level_runs, read_uleb128};

/// Reads the bytes of `rows` (sorted, unique, numbered within the row group) of one
/// row group's `audio_bytes` chunk (leaf `column`), straight from its pages.
///
/// `Ok(None)` if the chunk is not in the layout [`AudioChunk::encode`] writes, or the
/// file has no offset index: the caller then reads it through Arrow.
///
/// # Errors
/// [`ParquetError`] if a page cannot be read or is inconsistent (levels that overrun
/// the page, fewer values than levels say, rows past the row group's end).
pub fn read_rows<R: ChunkReader + 'static>(
    reader: Arc<R>,
    metadata: &ParquetMetaData,
    row_group: usize,
    column: usize,
    rows: &[u32],
) -> Result<Option<Vec<Vec<u8>>>, ParquetError> {
    let group = metadata.row_group(row_group);
    let chunk = group.column(column);
    let descr = chunk.column_descr();
    let index = metadata.page_index_for_row_group(row_group);
    let (PhysicalType::INT32, 1, 1, Some(offsets)) = (
        descr.physical_type(),
        descr.max_rep_level(),
        descr.max_def_level(),
        index.offset_index(column),
    ) else {
        return Ok(None);
    };
    let total_rows = usize::try_from(group.num_rows()).unwrap_or(0);
    let locations = offsets.page_locations().clone();
    let mut pages = SerializedPageReader::new(reader, chunk, total_rows, Some(locations))?;
    let mut wanted = rows.iter().map(|&row| row as usize).peekable();
    let mut out = Vec::with_capacity(rows.len());
    let (mut first_row, mut identity_dictionary) = (0, false);
    while let Some(next) = pages.peek_next_page()? {
        if next.is_dict {
            let Some(Page::DictionaryPage { buf, .. }) = pages.get_next_page()? else {
                return Ok(None);
            };
            identity_dictionary = *buf == *dictionary_bytes();
            continue;
        }
        let end = first_row + next.num_rows.unwrap_or(0);
        if wanted.peek().is_none_or(|&row| row >= end) {
            pages.skip_next_page()?;
            first_row = end;
            continue;
        }
        if !identity_dictionary {
            return Ok(None);
        }
        let Some(page) = pages.get_next_page()? else {
            break;
        };
        let Some(decoded) = DecodedPage::parse(&page)? else {
            return Ok(None);
        };
        while let Some(row) = wanted.next_if(|&row| row < end) {
            out.push(decoded.row(row - first_row)?.to_vec());
        }
        first_row = end;
    }
    if out.len() != rows.len() {
        return Err(corrupt(format!(
            "{} of {} wanted rows are in the row group's {total_rows}",
            out.len(),
            rows.len()
        )));
    }
    Ok(Some(out))
}

/// A data page's values and where each of its rows' values lie.
#[derive(Debug)]
pub(super) struct DecodedPage {
    pub(super) values: Vec<u8>,
    pub(super) rows: Vec<Range<usize>>,
}

impl DecodedPage {
    /// `Ok(None)` unless it is a V1 `RLE_DICTIONARY` page with RLE-run levels and 8-bit
    /// indices, as [`data_page`] writes.
    pub(super) fn parse(page: &Page) -> Result<Option<Self>, ParquetError> {
        let Page::DataPage {
            buf,
            num_values,
            encoding: Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY,
            def_level_encoding: Encoding::RLE,
            rep_level_encoding: Encoding::RLE,
            ..
        } = page
        else {
            return Ok(None);
        };
        let slots = *num_values as usize;
        let Some((repetition, rest)) = level_runs(buf, slots)? else {
            return Ok(None);
        };
        let Some((definition, rest)) = level_runs(rest, slots)? else {
            return Ok(None);
        };
        let rows = row_ranges(&repetition.runs, &definition.runs)?;
        let count = rows.last().map_or(0, |row| row.end);
        let Some(values) = indices(rest, count)? else {
            return Ok(None);
        };
        Ok(Some(Self { values, rows }))
    }

    pub(super) fn row(&self, row: usize) -> Result<&[u8], ParquetError> {
        let range = self
            .rows
            .get(row)
            .ok_or_else(|| corrupt(format!("row {row} is not in its page")))?;
        Ok(&self.values[range.clone()])
    }
}

/// Each row's range of values, from its levels: a row starts at repetition 0 and runs
/// over the 1s after it; definition 0 at its start marks an empty list.
pub(super) fn row_ranges(
    repetition: &[(u8, usize)],
    definition: &[(u8, usize)],
) -> Result<Vec<Range<usize>>, ParquetError> {
    let mut row_slots: Vec<usize> = Vec::new();
    for &(level, count) in repetition {
        match (level, row_slots.last_mut()) {
            (0, _) => row_slots.extend(std::iter::repeat_n(1, count)),
            (1, Some(slots)) => *slots += count,
            _ => return Err(corrupt(format!("repetition level {level} out of place"))),
        }
    }
    let mut definitions = LevelCursor::new(definition);
    let (mut ranges, mut start) = (Vec::with_capacity(row_slots.len()), 0);
    for slots in row_slots {
        // All 1 for a list of `slots` values; a single 0 for an empty list.
        let values = match definitions.take(slots) {
            Some(1) => slots,
            Some(0) if slots == 1 => 0,
            _ => return Err(corrupt("definition levels disagree with repetition".into())),
        };
        ranges.push(start..start + values);
        start += values;
    }
    Ok(ranges)
}

/// Walks run-length encoded levels a run at a time, not a level at a time.
#[derive(Debug)]
pub(super) struct LevelCursor<'r> {
    runs: &'r [(u8, usize)],
    /// Levels of `runs[0]` already taken.
    used: usize,
}

impl<'r> LevelCursor<'r> {
    pub(super) fn new(runs: &'r [(u8, usize)]) -> Self {
        Self { runs, used: 0 }
    }

    /// Takes the next `count` levels; their level if they all share one.
    pub(super) fn take(&mut self, mut count: usize) -> Option<u8> {
        let mut shared = None;
        while count > 0 {
            let &(level, run) = self.runs.first()?;
            if shared
                .replace(level)
                .is_some_and(|earlier| earlier != level)
            {
                return None;
            }
            let step = count.min(run - self.used);
            (count, self.used) = (count - step, self.used + step);
            if self.used == run {
                (self.runs, self.used) = (&self.runs[1..], 0);
            }
        }
        shared
    }
}

/// `count` dictionary indices (here the bytes themselves); `None` unless 8 bits wide.
/// A run may declare more indices than `count` (bit-packed runs are padded to groups of
/// 8); only `count` are kept.
pub(super) fn indices(buf: &[u8], count: usize) -> Result<Option<Vec<u8>>, ParquetError> {
    let Some((&INDEX_BIT_WIDTH, mut runs)) = buf.split_first() else {
        return Ok(None);
    };
    let mut values = Vec::with_capacity(count + 8);
    while values.len() < count {
        let header = read_uleb128(&mut runs)?;
        let length = header >> 1;
        if length == 0 {
            return Err(corrupt("empty index run".into()));
        }
        if header & 1 == 1 {
            let (run, tail) = length
                .checked_mul(8)
                .and_then(|bytes| runs.split_at_checked(bytes))
                .ok_or_else(|| corrupt(format!("{length} packed groups overrun the page")))?;
            values.extend_from_slice(run);
            runs = tail;
        } else {
            let (&value, tail) = runs
                .split_first()
                .ok_or_else(|| corrupt("index run without its value".into()))?;
            values.resize(values.len() + length.min(count - values.len()), value);
            runs = tail;
        }
    }
    values.truncate(count);
    Ok(Some(values))
}
