//! The `audio_bytes: list<int8>` column chunk of one row group, encoded directly.
//!
//! Arrow's generic writer (and pyarrow's) handles this column one byte at a time: it
//! widens the byte to Parquet's `INT32`, computes its repetition and definition
//! levels, looks it up in a dictionary hash table, then RLE-encodes the levels. That
//! was a quarter of `data prepare`'s time, as much as libFLAC's. Its outcome is known
//! in advance, though: FLAC bytes take all 256 values, so the dictionary has 256
//! entries and the indices are 8 bits wide. Ordering the dictionary by byte makes
//! each index the byte itself, and bit-packing 8-bit values is a copy. This module
//! writes exactly that: a `PLAIN` dictionary page, then V1 data pages of
//! `RLE_DICTIONARY` values with `RLE` levels, the encodings the generic writer uses,
//! so every Parquet reader reads it as before.
//!
//! [`read_rows`] is the other half: the loader reads a few rows from many row groups,
//! and Arrow's reader spends most of that decoding each byte through the dictionary
//! and building list offsets from per-value levels. For a chunk in this layout it
//! reads the pages holding the wanted rows (the offset index skips the rest) and
//! slices the bytes out; for any other layout (a corpus written by pyarrow, say) it
//! answers `None` and the caller reads through Arrow.
//!
//! Level layout, for the schema's `required group audio_bytes (LIST) { repeated group
//! list { required int32 item (INT_8) } }`: max repetition level 1, max definition
//! level 1. A row of `n > 0` bytes is `n` slots: repetition 0 then 1s, definition 1.
//! An empty list is one slot with definition 0 and no value.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use parquet::basic::{Compression, Encoding, Type as PhysicalType};
use parquet::column::page::{CompressedPage, Page, PageReader, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::ParquetError;
use parquet::file::metadata::{ColumnChunkMetaData, OffsetIndexBuilder, ParquetMetaData};
use parquet::file::reader::ChunkReader;
use parquet::file::serialized_reader::SerializedPageReader;
use parquet::file::writer::{SerializedPageWriter, SerializedRowGroupWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;

/// Rows are packed into a data page until it holds this many value bytes: Arrow's
/// default data page size. Pages always end at a row boundary.
const PAGE_VALUE_BYTES: usize = 1 << 20;

/// Width of a dictionary index: 256 entries.
const INDEX_BIT_WIDTH: u8 = 8;

/// One row group's encoded `audio_bytes` chunk and the metadata that describes it.
#[derive(Debug)]
pub struct AudioChunk {
    bytes: Bytes,
    close: ColumnCloseResult,
}

impl AudioChunk {
    /// Encodes `rows` (each row's FLAC bytes) for the leaf column `descr`.
    ///
    /// # Errors
    /// [`ParquetError`] if a page or the metadata cannot be written (it cannot run out
    /// of anything but memory; the error type is the writer's).
    pub fn encode(descr: ColumnDescPtr, rows: &[&[u8]]) -> Result<Self, ParquetError> {
        let mut sink = TrackedWrite::new(Vec::new());
        let mut pages = SerializedPageWriter::new(&mut sink);
        let dictionary = pages.write_page(uncompressed(dictionary_page()))?;
        let mut offsets = OffsetIndexBuilder::new();
        let (mut slots, mut first_data_page) = (0_usize, None);
        for page_rows in page_groups(rows) {
            let (page, page_slots) = data_page(page_rows)?;
            let spec = pages.write_page(uncompressed(page))?;
            first_data_page.get_or_insert(spec.offset);
            offsets.append_offset_and_size(to_i64(spec.offset)?, to_i32(spec.bytes_written)?);
            offsets.append_row_count(to_i64(page_rows.len())?);
            slots += page_slots;
        }
        pages.close()?;
        let bytes = Bytes::from(sink.into_inner()?);
        let size = to_i64(bytes.len())?;
        let metadata = ColumnChunkMetaData::builder(descr)
            .set_encodings(vec![
                Encoding::PLAIN,
                Encoding::RLE,
                Encoding::RLE_DICTIONARY,
            ])
            .set_compression(Compression::UNCOMPRESSED)
            .set_num_values(to_i64(slots)?)
            .set_total_compressed_size(size)
            .set_total_uncompressed_size(size)
            .set_dictionary_page_offset(Some(to_i64(dictionary.offset)?))
            .set_data_page_offset(to_i64(first_data_page.unwrap_or(dictionary.offset))?)
            .build()?;
        let close = ColumnCloseResult {
            bytes_written: bytes.len() as u64,
            rows_written: rows.len() as u64,
            metadata,
            bloom_filter: None,
            column_index: None,
            offset_index: Some(offsets.build()),
        };
        Ok(Self { bytes, close })
    }

    /// Splices the chunk into `row_group` as its next column.
    ///
    /// # Errors
    /// [`ParquetError`] if `audio_bytes` is not the row group's next column.
    pub fn append_to<W: std::io::Write + Send>(
        self,
        row_group: &mut SerializedRowGroupWriter<'_, W>,
    ) -> Result<(), ParquetError> {
        row_group.append_column(&self.bytes, self.close)
    }
}

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
struct DecodedPage {
    values: Vec<u8>,
    rows: Vec<Range<usize>>,
}

impl DecodedPage {
    /// `Ok(None)` unless it is a V1 `RLE_DICTIONARY` page with RLE-run levels and 8-bit
    /// indices, as [`data_page`] writes.
    fn parse(page: &Page) -> Result<Option<Self>, ParquetError> {
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

    fn row(&self, row: usize) -> Result<&[u8], ParquetError> {
        let range = self
            .rows
            .get(row)
            .ok_or_else(|| corrupt(format!("row {row} is not in its page")))?;
        Ok(&self.values[range.clone()])
    }
}

/// One V1 level section (`u32` length, then runs) of a page of `slots` values; `None`
/// if it has a bit-packed run, which [`Runs::write_v1`] never writes. Runs of more
/// levels than the page has values are an error: a corrupt run header could otherwise
/// claim billions of rows, each given memory.
fn level_runs(buf: &[u8], slots: usize) -> Result<Option<(Runs, &[u8])>, ParquetError> {
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

/// Each row's range of values, from its levels: a row starts at repetition 0 and runs
/// over the 1s after it; definition 0 at its start marks an empty list.
fn row_ranges(
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
struct LevelCursor<'r> {
    runs: &'r [(u8, usize)],
    /// Levels of `runs[0]` already taken.
    used: usize,
}

impl<'r> LevelCursor<'r> {
    fn new(runs: &'r [(u8, usize)]) -> Self {
        Self { runs, used: 0 }
    }

    /// Takes the next `count` levels; their level if they all share one.
    fn take(&mut self, mut count: usize) -> Option<u8> {
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
fn indices(buf: &[u8], count: usize) -> Result<Option<Vec<u8>>, ParquetError> {
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

fn read_uleb128(buf: &mut &[u8]) -> Result<usize, ParquetError> {
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

fn corrupt(what: String) -> ParquetError {
    ParquetError::General(format!("audio_bytes page: {what}"))
}

/// Dictionary entry `i` is byte `i` read as `int8`, widened to `INT32` (`PLAIN`).
fn dictionary_page() -> Page {
    Page::DictionaryPage {
        buf: dictionary_bytes().clone(),
        num_values: 256,
        encoding: Encoding::PLAIN,
        is_sorted: false,
    }
}

/// The `PLAIN` bytes of that dictionary, made once.
fn dictionary_bytes() -> &'static Bytes {
    static BYTES: std::sync::OnceLock<Bytes> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| {
        (0..=u8::MAX)
            .flat_map(|byte| i32::from(byte.cast_signed()).to_le_bytes())
            .collect::<Vec<u8>>()
            .into()
    })
}

/// Consecutive runs of rows holding about [`PAGE_VALUE_BYTES`] each (at least one row).
fn page_groups<'r>(rows: &'r [&'r [u8]]) -> impl Iterator<Item = &'r [&'r [u8]]> {
    let mut rest = rows;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut bytes = 0;
        let end = rest
            .iter()
            .position(|row| {
                bytes += row.len();
                bytes >= PAGE_VALUE_BYTES
            })
            .map_or(rest.len(), |last| last + 1);
        let (page, tail) = rest.split_at(end);
        rest = tail;
        Some(page)
    })
}

/// A V1 data page: repetition levels, definition levels, then the dictionary
/// indices; returns it with its slot count.
fn data_page(rows: &[&[u8]]) -> Result<(Page, usize), ParquetError> {
    let values: usize = rows.iter().map(|row| row.len()).sum();
    let mut repetition = Runs::default();
    let mut definition = Runs::default();
    for row in rows {
        repetition.push(0, 1);
        repetition.push(1, row.len().saturating_sub(1));
        definition.push(u8::from(!row.is_empty()), row.len().max(1));
    }
    let slots = definition.len();
    let mut buf = Vec::with_capacity(values + 64);
    repetition.write_v1(&mut buf);
    definition.write_v1(&mut buf);
    write_indices(&mut buf, rows, values);
    let page = Page::DataPage {
        buf: buf.into(),
        num_values: u32::try_from(slots)
            .map_err(|_| ParquetError::General(format!("{slots} values in one audio page")))?,
        encoding: Encoding::RLE_DICTIONARY,
        def_level_encoding: Encoding::RLE,
        rep_level_encoding: Encoding::RLE,
        statistics: None,
    };
    Ok((page, slots))
}

/// The index bit width, then one bit-packed run of all values. At 8 bits a packed
/// group of 8 values is those 8 bytes; the last group is padded with zeros.
fn write_indices(buf: &mut Vec<u8>, rows: &[&[u8]], values: usize) {
    buf.push(INDEX_BIT_WIDTH);
    let groups = values.div_ceil(8);
    write_uleb128(buf, (groups << 1) | 1);
    for row in rows {
        buf.extend_from_slice(row);
    }
    buf.resize(buf.len() + groups * 8 - values, 0);
}

/// Run-length encoded levels (the RLE half of Parquet's hybrid encoding). Levels are
/// 0 or 1, bit width 1, so a run's value takes one byte.
#[derive(Debug, Default)]
struct Runs {
    runs: Vec<(u8, usize)>,
}

impl Runs {
    /// Appends `count` copies of `level`, merging with the previous run if equal.
    fn push(&mut self, level: u8, count: usize) {
        if count == 0 {
            return;
        }
        match self.runs.last_mut() {
            Some((last, run)) if *last == level => *run += count,
            _ => self.runs.push((level, count)),
        }
    }

    fn len(&self) -> usize {
        self.runs.iter().map(|&(_, count)| count).sum()
    }

    /// V1 layout: the encoded length as a little-endian `u32`, then the runs, each a
    /// ULEB128 header `count << 1` and the level in one byte.
    fn write_v1(&self, buf: &mut Vec<u8>) {
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

fn write_uleb128(buf: &mut Vec<u8>, mut value: usize) {
    while value >= 0x80 {
        buf.push((value as u8) | 0x80);
        value >>= 7;
    }
    buf.push(value as u8);
}

fn uncompressed(page: Page) -> CompressedPage {
    let size = page.buffer().len();
    CompressedPage::new(page, size)
}

fn to_i64(value: impl TryInto<i64>) -> Result<i64, ParquetError> {
    value
        .try_into()
        .map_err(|_| ParquetError::General("audio column offset overflows i64".into()))
}

fn to_i32(value: u64) -> Result<i32, ParquetError> {
    i32::try_from(value)
        .map_err(|_| ParquetError::General(format!("audio page of {value} bytes is too big")))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn dictionary_entry_i_is_byte_i_as_int8() {
        let Page::DictionaryPage {
            buf, num_values, ..
        } = dictionary_page()
        else {
            panic!("not a dictionary page");
        };
        assert_eq!(num_values, 256);
        let entries: Vec<i32> = buf
            .chunks_exact(4)
            .map(|le| i32::from_le_bytes(le.try_into().unwrap()))
            .collect();
        assert_eq!(entries[0x00], 0);
        assert_eq!(entries[0x7f], 127);
        assert_eq!(entries[0x80], -128);
        assert_eq!(entries[0xff], -1);
    }

    #[test]
    fn levels_merge_equal_runs_and_count_empty_lists_once() {
        let rows: [&[u8]; 4] = [&[1, 2, 3], &[], &[4], &[5, 6]];
        let (
            Page::DataPage {
                buf, num_values, ..
            },
            slots,
        ) = data_page(&rows).unwrap()
        else {
            panic!("not a data page");
        };
        assert_eq!((slots, num_values), (7, 7));
        // Repetition: 0 1 1 | 0 | 0 | 0 1 → runs (0,1) (1,2) (0,3) (1,1).
        let repetition = [8, 0, 0, 0, 2, 0, 4, 1, 6, 0, 2, 1];
        // Definition: 1 1 1 | 0 | 1 | 1 1 → runs (1,3) (0,1) (1,3).
        let definition = [6, 0, 0, 0, 6, 1, 2, 0, 6, 1];
        // Indices: width 8, one bit-packed group of 8 (6 values and 2 of padding).
        let indices = [8, 3, 1, 2, 3, 4, 5, 6, 0, 0];
        assert_eq!(
            buf.as_ref(),
            [&repetition[..], &definition, &indices].concat()
        );
    }

    fn data_page_of(buf: Vec<u8>, num_values: u32) -> Page {
        Page::DataPage {
            buf: buf.into(),
            num_values,
            encoding: Encoding::RLE_DICTIONARY,
            def_level_encoding: Encoding::RLE,
            rep_level_encoding: Encoding::RLE,
            statistics: None,
        }
    }

    proptest! {
        #[test]
        fn a_written_page_decodes_to_its_rows(
            data in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..30)
        ) {
            let rows: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
            let (page, _) = data_page(&rows).unwrap();
            let decoded = DecodedPage::parse(&page).unwrap().unwrap();
            for (index, row) in rows.iter().enumerate() {
                prop_assert_eq!(decoded.row(index).unwrap(), *row);
            }
            prop_assert!(decoded.row(rows.len()).is_err());
        }

        #[test]
        fn arbitrary_page_bytes_are_an_error_or_a_decline_never_a_panic(
            buf in proptest::collection::vec(any::<u8>(), 0..64),
            num_values in 0_u32..1_000,
        ) {
            if let Ok(Some(decoded)) = DecodedPage::parse(&data_page_of(buf, num_values)) {
                for row in 0..=decoded.rows.len() {
                    let _ = decoded.row(row);
                }
            }
        }

        #[test]
        fn pages_cover_the_rows_in_order_and_end_at_the_target(
            lens in proptest::collection::vec(0_usize..400_000, 0..40)
        ) {
            let data: Vec<Vec<u8>> = lens.iter().map(|&n| vec![7; n]).collect();
            let rows: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
            let pages: Vec<&[&[u8]]> = page_groups(&rows).collect();
            prop_assert_eq!(pages.concat(), rows.clone());
            for (index, page) in pages.iter().enumerate() {
                prop_assert!(!page.is_empty());
                let bytes: usize = page.iter().map(|r| r.len()).sum();
                let without_last = bytes - page.last().map_or(0, |r| r.len());
                // A page is cut as soon as it reaches the target, never before
                // (except the last page, which takes what is left).
                prop_assert!(without_last < PAGE_VALUE_BYTES);
                if index + 1 < pages.len() {
                    prop_assert!(bytes >= PAGE_VALUE_BYTES);
                }
            }
        }
    }

    #[test]
    fn levels_that_overrun_the_page_are_an_error() {
        let mut buf = vec![200, 0, 0, 0, 2, 0];
        buf.extend([4, 0, 0, 0, 2, 1, 8, 3]);
        assert!(DecodedPage::parse(&data_page_of(buf, 1)).is_err());
    }

    /// A run header may claim any count; more levels than the page's values is an
    /// error before anything is allocated for them.
    #[test]
    fn level_runs_beyond_the_page_values_are_an_error() {
        // Repetition: one run of 2^40 zeros (ULEB128 of 2^41), in a page of 3 values.
        let mut buf = vec![8, 0, 0, 0];
        write_uleb128(&mut buf, 1 << 41);
        buf.push(0);
        buf[0] = (buf.len() - 4) as u8;
        let error = DecodedPage::parse(&data_page_of(buf, 3)).unwrap_err();
        assert!(
            error.to_string().contains("more than the page's 3 values"),
            "{error}"
        );
    }

    #[test]
    fn index_runs_are_bounded_by_the_page() {
        // One row of one value; then a bit-packed run of 2^62 groups, whose byte count
        // overflows, and an RLE run of 2^62 copies, of which one is kept.
        let levels = [2, 0, 0, 0, 2, 0, 2, 0, 0, 0, 2, 1];
        let mut packed = vec![8];
        write_uleb128(&mut packed, (1 << 63) | 1);
        let packed = DecodedPage::parse(&data_page_of([&levels[..], &packed].concat(), 1));
        assert!(packed.unwrap_err().to_string().contains("overrun the page"));

        let mut repeated = vec![8];
        write_uleb128(&mut repeated, 1 << 63);
        repeated.push(42);
        let decoded = DecodedPage::parse(&data_page_of([&levels[..], &repeated].concat(), 1))
            .unwrap()
            .unwrap();
        assert_eq!(decoded.row(0).unwrap(), [42]);
    }

    #[test]
    fn fewer_values_than_levels_say_is_an_error() {
        // One row of 3 values, but one packed group holds only 2 more bytes.
        let buf = vec![4, 0, 0, 0, 2, 0, 4, 1, 2, 0, 0, 0, 6, 1, 8, 3, 1, 2];
        assert!(DecodedPage::parse(&data_page_of(buf, 3)).is_err());
    }

    #[test]
    fn uleb128_matches_the_spec_examples() {
        let encode = |value| {
            let mut buf = Vec::new();
            write_uleb128(&mut buf, value);
            buf
        };
        assert_eq!(encode(0), [0]);
        assert_eq!(encode(127), [127]);
        assert_eq!(encode(128), [0x80, 1]);
        assert_eq!(encode(624_485), [0xe5, 0x8e, 0x26]);
    }
}
