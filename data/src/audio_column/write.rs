//! Encoding one row group's `audio_bytes` chunk: the dictionary page, then V1 data pages
//! of about a MiB that always end at a row boundary, and the offset index.

use bytes::Bytes;
use parquet::basic::{Compression, Encoding};
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::ParquetError;
use parquet::file::metadata::{ColumnChunkMetaData, OffsetIndexBuilder};
use parquet::file::writer::{SerializedPageWriter, SerializedRowGroupWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;

use super::dictionary::{INDEX_BIT_WIDTH, dictionary_page};
use super::levels::{Runs, write_uleb128};

/// Rows are packed into a data page until it holds this many value bytes: Arrow's
/// default data page size. Pages always end at a row boundary.
pub(super) const PAGE_VALUE_BYTES: usize = 1 << 20;

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

/// Consecutive runs of rows holding about [`PAGE_VALUE_BYTES`] each (at least one row).
pub(super) fn page_groups<'r>(rows: &'r [&'r [u8]]) -> impl Iterator<Item = &'r [&'r [u8]]> {
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
pub(super) fn data_page(rows: &[&[u8]]) -> Result<(Page, usize), ParquetError> {
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
pub(super) fn write_indices(buf: &mut Vec<u8>, rows: &[&[u8]], values: usize) {
    buf.push(INDEX_BIT_WIDTH);
    let groups = values.div_ceil(8);
    write_uleb128(buf, (groups << 1) | 1);
    for row in rows {
        buf.extend_from_slice(row);
    }
    buf.resize(buf.len() + groups * 8 - values, 0);
}

pub(super) fn uncompressed(page: Page) -> CompressedPage {
    let size = page.buffer().len();
    CompressedPage::new(page, size)
}

pub(super) fn to_i64(value: impl TryInto<i64>) -> Result<i64, ParquetError> {
    value
        .try_into()
        .map_err(|_| ParquetError::General("audio column offset overflows i64".into()))
}

pub(super) fn to_i32(value: u64) -> Result<i32, ParquetError> {
    i32::try_from(value)
        .map_err(|_| ParquetError::General(format!("audio page of {value} bytes is too big")))
}
