//! Writing one prepared part file atomically.
//!
//! Rows go to a temporary file in the destination directory; only [`PartWriter::finish`]
//! renames it to `part-*.parquet`. A crash at any point therefore leaves either no
//! part or a complete one, never a truncated file under the final name.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, StringArray};
use arrow_schema::SchemaRef;
use dialekt_core::atomic::AtomicFile;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{ArrowRowGroupWriterFactory, compute_leaves};
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;

use crate::audio_column::AudioChunk;
use crate::error::Error;
use crate::schema::{
    AGE, AUDIO_BYTES, AUDIO_SIZE, COUNTRY_BIRTH, DIALECT, DIALECT_GROUP, GENDER, ID_SPEAKER,
    PreparedRow, ROW_GROUP_ROWS, SOURCE, TEXT, prepared_schema,
};

/// Streams [`PreparedRow`]s into a temporary Parquet file, renamed on `finish`.
///
/// Row groups of [`ROW_GROUP_ROWS`] are encoded column by column: `audio_bytes` by
/// [`AudioChunk`], the others by Arrow's column writers.
#[derive(Debug)]
pub struct PartWriter {
    path: PathBuf,
    file: AtomicFile,
    writer: SerializedFileWriter<fs_err::File>,
    columns: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    /// Rows not yet in a row group (fewer than [`ROW_GROUP_ROWS`]).
    pending: Vec<PreparedRow>,
    row_groups: usize,
    rows: usize,
}

impl PartWriter {
    /// Starts a part that will be renamed to `path`.
    ///
    /// # Errors
    /// [`Error::Io`] if the directory or temporary file cannot be created.
    pub fn create(path: &Path) -> Result<Self, Error> {
        let atomic = AtomicFile::create(path)?;
        let file = atomic.reopen()?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .build();
        let schema = prepared_schema();
        // ArrowWriter sets up the Parquet schema and the `ARROW:schema` footer entry;
        // the row groups are then written through its lower-level parts.
        let (writer, columns) = ArrowWriter::try_new(file, Arc::clone(&schema), Some(props))
            .and_then(ArrowWriter::into_serialized_writer)
            .map_err(|e| Error::parquet(path, e))?;
        Ok(Self {
            path: path.to_path_buf(),
            file: atomic,
            writer,
            columns,
            schema,
            pending: Vec::with_capacity(ROW_GROUP_ROWS),
            row_groups: 0,
            rows: 0,
        })
    }

    /// Appends rows (any count; row groups are cut at [`ROW_GROUP_ROWS`]).
    ///
    /// # Errors
    /// [`Error::Parquet`] or [`Error::Arrow`] if encoding fails.
    pub fn write(&mut self, rows: Vec<PreparedRow>) -> Result<(), Error> {
        self.rows += rows.len();
        for row in rows {
            self.pending.push(row);
            if self.pending.len() == ROW_GROUP_ROWS {
                self.flush_row_group()?;
            }
        }
        Ok(())
    }

    /// Rows written so far.
    #[must_use]
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Writes the last row group and the footer with `metadata` (provenance, skip
    /// entries, so a resumed run can verify the part), syncs, and renames the file
    /// into place.
    ///
    /// # Errors
    /// [`Error::Parquet`] or [`Error::Io`]; the temporary file is removed on failure.
    pub fn finish(mut self, metadata: Vec<(String, String)>) -> Result<PathBuf, Error> {
        if !self.pending.is_empty() {
            self.flush_row_group()?;
        }
        for (key, value) in metadata {
            self.writer
                .append_key_value_metadata(KeyValue::new(key, value));
        }
        // The parquet writer's handle is flushed; the atomic file syncs and renames.
        self.writer
            .into_inner()
            .map_err(|e| Error::parquet(&self.path, e))?;
        self.file.commit()?;
        Ok(self.path)
    }

    /// Encodes the pending rows as one row group, in schema order.
    fn flush_row_group(&mut self) -> Result<(), Error> {
        let rows = std::mem::replace(&mut self.pending, Vec::with_capacity(ROW_GROUP_ROWS));
        let writers = self
            .columns
            .create_column_writers(self.row_groups)
            .map_err(|e| Error::parquet(&self.path, e))?;
        // Every field is one Parquet leaf (`audio_bytes` too: its one leaf is `item`),
        // so a field's index is its leaf's.
        let audio_index = self
            .schema
            .index_of(AUDIO_BYTES)
            .map_err(|e| Error::arrow(&self.path, e))?;
        let audio_leaf = self.writer.schema_descr().column(audio_index);
        let mut row_group = self
            .writer
            .next_row_group()
            .map_err(|e| Error::parquet(&self.path, e))?;
        for (index, (field, mut writer)) in self.schema.fields().iter().zip(writers).enumerate() {
            if index == audio_index {
                let audio: Vec<&[u8]> = rows.iter().map(|r| r.audio_flac.as_slice()).collect();
                AudioChunk::encode(Arc::clone(&audio_leaf), &audio)
                    .and_then(|chunk| chunk.append_to(&mut row_group))
                    .map_err(|e| Error::parquet(&self.path, e))?;
                continue;
            }
            let array = column_array(field.name(), &rows).ok_or_else(|| {
                let unknown = format!("no rows-to-array conversion for column {}", field.name());
                Error::parquet(&self.path, ParquetError::General(unknown))
            })?;
            let written = compute_leaves(field, &array)
                .and_then(|leaves| leaves.iter().try_for_each(|leaf| writer.write(leaf)))
                .and_then(|()| writer.close())
                .and_then(|chunk| chunk.append_to_row_group(&mut row_group));
            written.map_err(|e| Error::parquet(&self.path, e))?;
        }
        row_group
            .close()
            .map_err(|e| Error::parquet(&self.path, e))?;
        self.row_groups += 1;
        Ok(())
    }
}

/// Column `name` of `rows` as an Arrow array; `None` for `audio_bytes`, which
/// [`AudioChunk`] encodes from the rows directly.
fn column_array(name: &str, rows: &[PreparedRow]) -> Option<ArrayRef> {
    let strings = |f: fn(&PreparedRow) -> Option<&str>| -> ArrayRef {
        Arc::new(rows.iter().map(f).collect::<StringArray>())
    };
    let integers = |f: fn(&PreparedRow) -> Option<i64>| -> ArrayRef {
        Arc::new(rows.iter().map(f).collect::<Int64Array>())
    };
    let array = match name {
        TEXT => strings(|r| Some(r.text.as_str())),
        AUDIO_SIZE => integers(|r| Some(r.audio_size)),
        ID_SPEAKER => strings(|r| r.id_speaker.as_deref()),
        AGE => integers(|r| r.age),
        GENDER => strings(|r| r.gender.as_deref()),
        DIALECT => strings(|r| r.dialect.as_deref()),
        DIALECT_GROUP => strings(|r| Some(r.dialect_group.as_str())),
        COUNTRY_BIRTH => strings(|r| r.country_birth.as_deref()),
        SOURCE => strings(|r| Some(r.source.as_str())),
        _ => return None,
    };
    Some(array)
}

#[cfg(test)]
mod tests {
    use arrow_array::{Array, Int8Array, ListArray, RecordBatch};
    use parquet::arrow::arrow_reader::{
        ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection, RowSelector,
    };
    use parquet::file::metadata::PageIndexPolicy;

    use super::*;

    /// Rows of every shape the audio column meets: empty, one byte, all 256 byte
    /// values, and longer than a data page.
    fn rows(count: usize) -> Vec<PreparedRow> {
        (0..count)
            .map(|i| {
                let len = match i % 7 {
                    0 => 0,
                    1 => 1,
                    2 => (1 << 20) + 1_234,
                    _ => 300 + i * 37,
                };
                PreparedRow {
                    text: format!("sætning {i}"),
                    audio_flac: (0..len)
                        .map(|j| (i * 131 + j * 7 + j / 256) as u8)
                        .collect(),
                    audio_size: i as i64 * 16_000,
                    id_speaker: (i % 3 != 0).then(|| format!("spk{}", i % 5)),
                    age: (i % 4 != 0).then_some(20 + i as i64),
                    gender: Some("female".into()),
                    dialect: None,
                    dialect_group: "Sjællandsk".into(),
                    country_birth: Some("DK".into()),
                    source: format!("train-0000{}", i % 2),
                }
            })
            .collect()
    }

    fn write_part(dir: &Path, rows: &[PreparedRow]) -> PathBuf {
        let mut writer = PartWriter::create(&dir.join("part-0.parquet")).unwrap();
        // Uneven batches: row groups must still be cut at ROW_GROUP_ROWS.
        for batch in rows.chunks(37) {
            writer.write(batch.to_vec()).unwrap();
        }
        assert_eq!(writer.rows(), rows.len());
        writer.finish(vec![("k".into(), "v".into())]).unwrap()
    }

    /// The whole part as one batch, optionally only the rows `selection` picks.
    fn read(
        path: &Path,
        options: ArrowReaderOptions,
        selection: Option<RowSelection>,
    ) -> RecordBatch {
        let file = std::fs::File::open(path).unwrap();
        let mut builder = ParquetRecordBatchReaderBuilder::try_new_with_options(file, options)
            .unwrap()
            .with_batch_size(10_000);
        if let Some(selection) = selection {
            builder = builder.with_row_selection(selection);
        }
        let mut batches = builder.build().unwrap().map(Result::unwrap);
        let batch = batches.next().unwrap();
        assert!(batches.next().is_none());
        batch
    }

    fn audio_of(batch: &RecordBatch) -> Vec<Vec<u8>> {
        let list = batch
            .column_by_name(AUDIO_BYTES)
            .unwrap()
            .as_any()
            .downcast_ref::<ListArray>()
            .unwrap();
        (0..list.len())
            .map(|row| {
                let values = list.value(row);
                let bytes = values.as_any().downcast_ref::<Int8Array>().unwrap();
                bytes.values().iter().map(|&b| b.cast_unsigned()).collect()
            })
            .collect()
    }

    #[test]
    fn every_column_round_trips_in_row_groups_of_100() {
        let dir = tempfile::tempdir().unwrap();
        let rows = rows(250);
        let path = write_part(dir.path(), &rows);
        let batch = read(&path, ArrowReaderOptions::new(), None);
        assert_eq!(batch.schema().fields(), prepared_schema().fields());
        let audio: Vec<Vec<u8>> = rows.iter().map(|r| r.audio_flac.clone()).collect();
        assert!(audio_of(&batch) == audio, "audio_bytes differ");
        for field in prepared_schema().fields() {
            if let Some(expected) = column_array(field.name(), &rows) {
                let read = batch.column_by_name(field.name()).unwrap();
                assert_eq!(&**read, &*expected, "{}", field.name());
            }
        }
        let metadata = read_metadata(&path);
        let group_rows: Vec<i64> = metadata.row_groups().iter().map(|g| g.num_rows()).collect();
        assert_eq!(group_rows, [100, 100, 50]);
        let footer = metadata.file_metadata().key_value_metadata().unwrap();
        assert!(
            footer
                .iter()
                .any(|kv| kv.key == "k" && kv.value.as_deref() == Some("v"))
        );
    }

    #[test]
    fn the_offset_index_lets_a_reader_skip_to_any_row() {
        let dir = tempfile::tempdir().unwrap();
        let rows = rows(250);
        let path = write_part(dir.path(), &rows);
        let metadata = read_metadata(&path);
        let audio_pages = metadata
            .page_index_for_row_group(0)
            .offset_index(1)
            .expect("audio_bytes has an offset index")
            .page_locations()
            .len();
        assert!(
            audio_pages > 10,
            "big rows span several pages: {audio_pages}"
        );
        for (skip, take) in [(0, 3), (103, 5), (198, 4), (249, 1)] {
            let selection = RowSelection::from(vec![
                RowSelector::skip(skip),
                RowSelector::select(take),
                RowSelector::skip(250 - skip - take),
            ]);
            let options =
                ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Required);
            let batch = read(&path, options, Some(selection));
            let expected: Vec<Vec<u8>> = rows[skip..skip + take]
                .iter()
                .map(|r| r.audio_flac.clone())
                .collect();
            assert!(audio_of(&batch) == expected, "rows {skip}..{}", skip + take);
        }
    }

    /// `audio_column::read_rows` on `rows` of every row group of the part at `path`.
    fn read_directly(path: &Path, rows: &[u32]) -> Vec<Option<Vec<Vec<u8>>>> {
        let metadata = read_metadata(path);
        let file = Arc::new(std::fs::File::open(path).unwrap());
        (0..metadata.num_row_groups())
            .map(|group| {
                let group_rows = metadata.row_group(group).num_rows() as u32;
                let wanted: Vec<u32> = rows.iter().copied().filter(|&r| r < group_rows).collect();
                crate::audio_column::read_rows(Arc::clone(&file), &metadata, group, 1, &wanted)
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn direct_reads_of_the_audio_column_return_the_written_rows() {
        let dir = tempfile::tempdir().unwrap();
        let rows = rows(250);
        let path = write_part(dir.path(), &rows);
        for wanted in [
            vec![0, 1, 2, 3, 4, 5, 6, 7],
            vec![2, 9, 16, 44, 99],
            vec![49],
            vec![],
        ] {
            for (group, direct) in read_directly(&path, &wanted).into_iter().enumerate() {
                let direct = direct.expect("our own layout is read directly");
                let expected: Vec<Vec<u8>> = wanted
                    .iter()
                    .map(|&r| group * ROW_GROUP_ROWS + r as usize)
                    .filter(|&r| r < rows.len())
                    .map(|r| rows[r].audio_flac.clone())
                    .collect();
                assert!(direct == expected, "group {group}, rows {wanted:?}");
            }
        }
    }

    #[test]
    fn a_generic_arrow_layout_is_left_to_arrow() {
        // As Arrow (and pyarrow) write it: dictionary in first-seen order.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("generic.parquet");
        let rows = rows(20);
        let audio: ArrayRef = Arc::new(ListArray::from_iter_primitive::<
            arrow_array::types::Int8Type,
            _,
            _,
        >(rows.iter().map(|r| {
            Some(
                r.audio_flac
                    .iter()
                    .map(|&b| Some(b.cast_signed()))
                    .collect::<Vec<_>>(),
            )
        })));
        let field = arrow_schema::Field::new(AUDIO_BYTES, audio.data_type().clone(), true);
        let batch = RecordBatch::try_new(
            Arc::new(arrow_schema::Schema::new(vec![field])),
            vec![audio],
        )
        .unwrap();
        let mut writer =
            ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), batch.schema(), None)
                .unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        let metadata = read_metadata(&path);
        let file = Arc::new(std::fs::File::open(&path).unwrap());
        let direct = crate::audio_column::read_rows(file, &metadata, 0, 0, &[3, 4]).unwrap();
        assert!(direct.is_none());
    }

    #[cfg(unix)]
    #[test]
    fn a_part_gets_the_permissions_of_any_new_file() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let part = write_part(dir.path(), &rows(3));
        let ordinary = dir.path().join("ordinary");
        std::fs::File::create(&ordinary).unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode(&part), mode(&ordinary));
    }

    fn read_metadata(path: &Path) -> parquet::file::metadata::ParquetMetaData {
        let file = std::fs::File::open(path).unwrap();
        let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Required);
        ParquetRecordBatchReaderBuilder::try_new_with_options(file, options)
            .unwrap()
            .metadata()
            .as_ref()
            .clone()
    }
}
