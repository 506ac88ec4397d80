//! The metadata of a prepared split, read once: for every utterance its location
//! (part, row group, row) and the two numbers planning needs (`audio_size`, the
//! number of text characters). Audio is never read here, so indexing 300 000
//! utterances takes seconds and planning an epoch needs no I/O at all.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{Array, Int64Array, StringArray};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::file::metadata::PageIndexPolicy;
use sha2::{Digest as _, Sha256};

use crate::error::Error;
use crate::prepare::collect_parts;
use crate::schema::{AUDIO_SIZE, TEXT};

/// One utterance's place and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtteranceRef {
    /// Index into [`DatasetIndex::parts`].
    pub part: u32,
    pub row_group: u32,
    /// Row within the row group.
    pub row: u32,
    /// Samples at 16 kHz.
    pub audio_size: u64,
    /// Unicode scalar values in `text` (for the fast-speech filter).
    pub text_chars: u32,
}

/// A part file and the partition it belongs to.
#[derive(Debug, Clone)]
pub struct PartInfo {
    pub path: PathBuf,
    /// Path relative to the dataset root, `/`-separated.
    pub relative_path: String,
    pub corpus: String,
    pub language: String,
    /// Footer and page index, parsed once and shared by every read of this part.
    pub metadata: ArrowReaderMetadata,
}

impl PartInfo {
    /// A reader of this part that reuses the already parsed footer and page index.
    ///
    /// # Errors
    /// [`Error`] naming the part when it cannot be opened.
    pub fn reader(&self) -> Result<ParquetRecordBatchReaderBuilder<std::fs::File>, Error> {
        Ok(ParquetRecordBatchReaderBuilder::new_with_metadata(
            self.open()?,
            self.metadata.clone(),
        ))
    }

    /// The part's file, for readers of its pages.
    ///
    /// # Errors
    /// [`Error`] naming the part when it cannot be opened.
    pub fn open(&self) -> Result<std::fs::File, Error> {
        fs_err::File::open(&self.path)
            .map(|file| file.into_parts().0)
            .map_err(|e| Error::io(&self.path, e))
    }
}

/// Every utterance of one split of a prepared dataset.
#[derive(Debug, Clone)]
pub struct DatasetIndex {
    pub root: PathBuf,
    pub split: String,
    pub parts: Vec<Arc<PartInfo>>,
    /// In part, row-group, row order.
    pub utterances: Vec<UtteranceRef>,
    /// SHA-256 over part paths, sizes and row counts: a saved reader state is only
    /// valid for the exact same data.
    pub fingerprint: String,
}

impl DatasetIndex {
    /// Indexes `<root>/version=0/corpus=*/split=<split>/language=*/part-*.parquet`.
    ///
    /// # Errors
    /// [`Error::Parquet`] for unreadable parts, [`Error::Column`] if `audio_size` or
    /// `text` is missing, [`Error::EmptyDataset`] if the split has no rows.
    pub fn open(root: &Path, split: &str) -> Result<Self, Error> {
        let mut paths = Vec::new();
        collect_parts(&root.join("version=0"), &mut paths)?;
        let split_dir = format!("split={split}");
        let mut paths: Vec<PathBuf> = paths
            .into_iter()
            .filter(|p| p.components().any(|c| c.as_os_str() == split_dir.as_str()))
            .collect();
        paths.sort();
        let mut parts = Vec::with_capacity(paths.len());
        let mut utterances = Vec::new();
        let mut hasher = Sha256::new();
        for (part_index, path) in paths.iter().enumerate() {
            let part = open_part(root, path)?;
            let rows = index_part(&part, u32::try_from(part_index).unwrap_or(u32::MAX))?;
            let bytes = fs_err::metadata(path)
                .map_err(|e| Error::io(path, e))?
                .len();
            hasher.update(format!("{}\t{bytes}\t{}\n", part.relative_path, rows.len()).as_bytes());
            utterances.extend(rows);
            parts.push(Arc::new(part));
        }
        if utterances.is_empty() {
            return Err(Error::EmptyDataset {
                split: split.to_owned(),
                root: root.to_path_buf(),
            });
        }
        Ok(Self {
            root: root.to_path_buf(),
            split: split.to_owned(),
            parts,
            utterances,
            fingerprint: hex::encode(hasher.finalize()),
        })
    }

    /// Total audio in seconds.
    #[must_use]
    pub fn total_secs(&self) -> f64 {
        self.utterances
            .iter()
            .map(|u| u.audio_size as f64)
            .sum::<f64>()
            / f64::from(dialekt_core::SAMPLE_RATE_HZ)
    }
}

fn open_part(root: &Path, path: &Path) -> Result<PartInfo, Error> {
    let file = fs_err::File::open(path).map_err(|e| Error::io(path, e))?;
    let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Optional);
    let metadata =
        ArrowReaderMetadata::load(file.file(), options).map_err(|e| Error::parquet(path, e))?;
    let relative_path = path
        .strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    let partition_value = |key: &str| {
        path.components()
            .filter_map(|c| c.as_os_str().to_str())
            .find_map(|c| c.strip_prefix(key))
            .unwrap_or_default()
            .to_owned()
    };
    Ok(PartInfo {
        path: path.to_path_buf(),
        relative_path,
        corpus: partition_value("corpus="),
        language: partition_value("language="),
        metadata,
    })
}

impl DatasetIndex {
    /// The transcript of every utterance, in index order (e.g. to train an n-gram LM on a
    /// split); only the `text` column is read.
    ///
    /// # Errors
    /// [`Error`] naming a part that cannot be read or has no `text` column.
    pub fn transcripts(&self) -> Result<Vec<String>, Error> {
        let mut texts = Vec::with_capacity(self.utterances.len());
        for part in &self.parts {
            let path = &part.path;
            let builder = part.reader()?;
            let column = builder.schema().index_of(TEXT).map_err(|_| Error::Column {
                column: TEXT.to_owned(),
                expected: "present",
                path: path.clone(),
            })?;
            let mask = ProjectionMask::roots(builder.parquet_schema(), [column]);
            let reader = builder
                .with_projection(mask)
                .with_batch_size(8192)
                .build()
                .map_err(|e| Error::parquet(path, e))?;
            for batch in reader {
                let batch = batch.map_err(|e| Error::arrow(path, e))?;
                let text = batch
                    .column(0)
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .ok_or_else(|| Error::Column {
                        column: TEXT.to_owned(),
                        expected: "string",
                        path: path.clone(),
                    })?;
                texts.extend((0..batch.num_rows()).map(|i| {
                    if text.is_valid(i) {
                        text.value(i).to_owned()
                    } else {
                        String::new()
                    }
                }));
            }
        }
        Ok(texts)
    }
}

/// Reads `audio_size` and `text` of every row of one part.
fn index_part(part: &PartInfo, part_index: u32) -> Result<Vec<UtteranceRef>, Error> {
    let path = &part.path;
    let builder = part.reader()?;
    let schema = Arc::clone(builder.schema());
    let column_index = |name: &str| {
        schema.index_of(name).map_err(|_| Error::Column {
            column: name.to_owned(),
            expected: "present",
            path: path.clone(),
        })
    };
    let mask = ProjectionMask::roots(
        builder.parquet_schema(),
        [column_index(AUDIO_SIZE)?, column_index(TEXT)?],
    );
    let row_group_rows: Vec<usize> = builder
        .metadata()
        .row_groups()
        .iter()
        .map(|rg| usize::try_from(rg.num_rows()).unwrap_or(0))
        .collect();
    let reader = builder
        .with_projection(mask)
        .with_batch_size(8192)
        .build()
        .map_err(|e| Error::parquet(path, e))?;
    let mut sizes = Vec::new();
    let mut chars = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| Error::arrow(path, e))?;
        let column_error = |column: &str, expected| Error::Column {
            column: column.to_owned(),
            expected,
            path: path.clone(),
        };
        let size = batch
            .column_by_name(AUDIO_SIZE)
            .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
            .ok_or_else(|| column_error(AUDIO_SIZE, "int64"))?;
        let text = batch
            .column_by_name(TEXT)
            .and_then(|c| c.as_any().downcast_ref::<StringArray>())
            .ok_or_else(|| column_error(TEXT, "string"))?;
        for i in 0..batch.num_rows() {
            sizes.push(u64::try_from(size.value(i)).unwrap_or(0));
            chars.push(if text.is_valid(i) {
                text.value(i).chars().count()
            } else {
                0
            });
        }
    }
    let mut utterances = Vec::with_capacity(sizes.len());
    let mut next = 0;
    for (row_group, &rows) in row_group_rows.iter().enumerate() {
        for row in 0..rows {
            let (Some(&audio_size), Some(&text_chars)) = (sizes.get(next), chars.get(next)) else {
                break;
            };
            utterances.push(UtteranceRef {
                part: part_index,
                row_group: u32::try_from(row_group).unwrap_or(u32::MAX),
                row: u32::try_from(row).unwrap_or(u32::MAX),
                audio_size,
                text_chars: u32::try_from(text_chars).unwrap_or(u32::MAX),
            });
            next += 1;
        }
    }
    Ok(utterances)
}
