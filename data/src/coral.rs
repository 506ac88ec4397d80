//! Reading CoRal's raw Hugging Face Parquet shards.
//!
//! CoRal's releases differ in their columns (see `shared/research/coral.md` §1.3), so
//! only the columns every release has are read: `text`, `audio` (the HF `Audio`
//! struct `{bytes, path}` holding the original WAV file), `id_speaker`, `age`,
//! `gender`, `dialect`, `country_birth`, and `validated` where present. Everything
//! else is never decoded (column projection), which keeps reading cheap.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, BinaryArray, Int64Array, RecordBatch, StringArray, StructArray,
};
use arrow_schema::DataType;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use crate::error::Error;

/// CoRal's split names (note `val`, not `validation`).
pub const CORAL_SPLITS: [&str; 3] = ["train", "val", "test"];

/// Rows decoded per Arrow batch: bounds memory (≈ 100 × 0.5 MB of WAV) while
/// giving rayon enough utterances to spread over cores.
const READ_BATCH_ROWS: usize = 64;

/// One input shard, with the subset and split its location implies.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CoralShard {
    /// `read_aloud`, `conversation`, or `default` for a flat folder.
    pub subset: String,
    /// `train`, `val` or `test`.
    pub split: String,
    /// Path relative to the CoRal root, `/`-separated (stable across machines).
    pub relative_path: String,
    pub path: PathBuf,
}

impl CoralShard {
    /// Output file stem: the shard's own stem (`train-00015-of-00252`), prefixed by
    /// the split directory for the `{subset}/{split}/0000.parquet` layout.
    #[must_use]
    pub fn part_stem(&self) -> String {
        let stem = self
            .path
            .file_stem()
            .map_or_else(|| "shard".to_owned(), |s| s.to_string_lossy().into_owned());
        if stem.starts_with(&self.split) {
            stem
        } else {
            format!("{}-{stem}", self.split)
        }
    }
}

/// Finds CoRal shards under `root`, sorted by relative path.
///
/// Accepts `{subset}/{split}-NNNNN-of-NNNNN.parquet` (the `datasets` push layout),
/// `{subset}/{split}/NNNN.parquet` (HF's parquet conversion), and a flat folder of
/// `{split}-*.parquet` (subset `default`). Empty `subsets`/`splits` mean "all".
///
/// # Errors
/// [`Error::Io`] if a directory cannot be listed, [`Error::NoShards`] if nothing matches.
pub fn discover_shards(
    root: &Path,
    subsets: &[String],
    splits: &[String],
) -> Result<Vec<CoralShard>, Error> {
    let mut files = Vec::new();
    collect_parquet_files(root, &mut files)?;
    let mut shards: Vec<CoralShard> = files
        .into_iter()
        .filter_map(|path| classify(root, path))
        .filter(|s| subsets.is_empty() || subsets.contains(&s.subset))
        .filter(|s| splits.is_empty() || splits.contains(&s.split))
        .collect();
    shards.sort();
    if shards.is_empty() {
        return Err(Error::NoShards {
            subsets: subsets.to_vec(),
            splits: splits.to_vec(),
            root: root.to_path_buf(),
        });
    }
    Ok(shards)
}

fn collect_parquet_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let entries = fs_err::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut paths = Vec::new();
    for entry in entries {
        paths.push(entry.map_err(|e| Error::io(dir, e))?.path());
    }
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect_parquet_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "parquet") {
            out.push(path);
        }
    }
    Ok(())
}

/// Derives subset and split from a shard's location, or `None` if it is not a
/// CoRal shard (unknown split).
fn classify(root: &Path, path: PathBuf) -> Option<CoralShard> {
    let relative = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let file_name = parts.last()?;
    let split_from_name = CORAL_SPLITS
        .iter()
        .find(|s| file_name.starts_with(&format!("{s}-")) || file_name == &format!("{s}.parquet"));
    let dirs = &parts[..parts.len() - 1];
    let (split, subset_dirs) = match split_from_name {
        Some(split) => ((*split).to_owned(), dirs),
        None => {
            let (last, rest) = dirs.split_last()?;
            let split = CORAL_SPLITS.iter().find(|s| *s == last)?;
            ((*split).to_owned(), rest)
        }
    };
    let subset = subset_dirs
        .last()
        .cloned()
        .unwrap_or_else(|| "default".to_owned());
    Some(CoralShard {
        subset,
        split,
        relative_path: parts.join("/"),
        path,
    })
}

/// One CoRal utterance as stored, before any audio processing.
#[derive(Debug, Clone, PartialEq)]
pub struct CoralRow {
    /// Row index within the shard (for skip reports and provenance).
    pub row: usize,
    pub text: Option<String>,
    /// The WAV (or FLAC) file bytes from `audio.bytes`.
    pub audio: Option<Vec<u8>>,
    pub id_speaker: Option<String>,
    pub age: Option<i64>,
    pub gender: Option<String>,
    pub dialect: Option<String>,
    pub country_birth: Option<String>,
    pub validated: Option<String>,
}

/// Streams a shard's rows in batches of [`READ_BATCH_ROWS`].
#[derive(Debug)]
pub struct CoralReader {
    path: PathBuf,
    reader: ParquetRecordBatchReader,
    next_row: usize,
    num_rows: usize,
}

/// Required columns; reading fails with a clear error if one is missing.
const REQUIRED: [&str; 2] = ["text", "audio"];
/// Metadata columns; a release without one yields `None` for it.
const OPTIONAL: [&str; 6] = [
    "id_speaker",
    "age",
    "gender",
    "dialect",
    "country_birth",
    "validated",
];

impl CoralReader {
    /// Opens a shard and checks its schema.
    ///
    /// # Errors
    /// [`Error::Parquet`] for unreadable files (truncated, not Parquet),
    /// [`Error::Column`] if `text` or `audio` is missing.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let file = fs_err::File::open(path).map_err(|e| Error::io(path, e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file.into_parts().0)
            .map_err(|e| Error::parquet(path, e))?;
        let schema = Arc::clone(builder.schema());
        for column in REQUIRED {
            if schema.index_of(column).is_err() {
                return Err(Error::Column {
                    column: column.to_owned(),
                    expected: "present",
                    path: path.to_path_buf(),
                });
            }
        }
        let roots: Vec<usize> = REQUIRED
            .iter()
            .chain(OPTIONAL.iter())
            .filter_map(|name| schema.index_of(name).ok())
            .collect();
        let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
        let num_rows = usize::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
        let reader = builder
            .with_projection(mask)
            .with_batch_size(READ_BATCH_ROWS)
            .build()
            .map_err(|e| Error::parquet(path, e))?;
        Ok(Self {
            path: path.to_path_buf(),
            reader,
            next_row: 0,
            num_rows,
        })
    }

    /// Rows in the shard according to its footer.
    #[must_use]
    pub fn num_rows(&self) -> usize {
        self.num_rows
    }

    /// The next batch of rows, or `None` at the end of the shard.
    ///
    /// # Errors
    /// [`Error::Arrow`] if a page is corrupt, [`Error::Column`] on a type mismatch.
    pub fn next_batch(&mut self) -> Result<Option<Vec<CoralRow>>, Error> {
        let Some(batch) = self.reader.next() else {
            return Ok(None);
        };
        let batch = batch.map_err(|e| Error::arrow(&self.path, e))?;
        let rows = rows_from_batch(&batch, self.next_row, &self.path)?;
        self.next_row += rows.len();
        Ok(Some(rows))
    }
}

fn rows_from_batch(
    batch: &RecordBatch,
    first_row: usize,
    path: &Path,
) -> Result<Vec<CoralRow>, Error> {
    let text = string_column(batch, "text", path)?;
    let audio = audio_bytes_column(batch, path)?;
    let id_speaker = string_column(batch, "id_speaker", path)?;
    let gender = string_column(batch, "gender", path)?;
    let dialect = string_column(batch, "dialect", path)?;
    let country_birth = string_column(batch, "country_birth", path)?;
    let validated = string_column(batch, "validated", path)?;
    let age = int_column(batch, "age", path)?;
    let get_str = |col: &Option<StringArray>, i: usize| {
        col.as_ref()
            .filter(|c| c.is_valid(i))
            .map(|c| c.value(i).to_owned())
    };
    Ok((0..batch.num_rows())
        .map(|i| CoralRow {
            row: first_row + i,
            text: get_str(&text, i),
            audio: audio
                .as_ref()
                .filter(|c| c.is_valid(i))
                .map(|c| c.value(i).to_vec()),
            id_speaker: get_str(&id_speaker, i),
            age: age.as_ref().filter(|c| c.is_valid(i)).map(|c| c.value(i)),
            gender: get_str(&gender, i),
            dialect: get_str(&dialect, i),
            country_birth: get_str(&country_birth, i),
            validated: get_str(&validated, i),
        })
        .collect())
}

/// A string-like column cast to `Utf8`, or `None` if the shard lacks it.
fn string_column(
    batch: &RecordBatch,
    name: &str,
    path: &Path,
) -> Result<Option<StringArray>, Error> {
    cast_column(batch, name, &DataType::Utf8, "a string", path)
        .map(|c| c.and_then(|c| c.as_any().downcast_ref::<StringArray>().cloned()))
}

/// An integer column cast to `Int64`, or `None` if the shard lacks it.
fn int_column(batch: &RecordBatch, name: &str, path: &Path) -> Result<Option<Int64Array>, Error> {
    cast_column(batch, name, &DataType::Int64, "an integer", path)
        .map(|c| c.and_then(|c| c.as_any().downcast_ref::<Int64Array>().cloned()))
}

fn cast_column(
    batch: &RecordBatch,
    name: &str,
    to: &DataType,
    expected: &'static str,
    path: &Path,
) -> Result<Option<ArrayRef>, Error> {
    let Some(column) = batch.column_by_name(name) else {
        return Ok(None);
    };
    arrow_cast::cast(column, to)
        .map(Some)
        .map_err(|_| Error::Column {
            column: name.to_owned(),
            expected,
            path: path.to_path_buf(),
        })
}

/// `audio.bytes` of the HF `Audio` struct, or plain binary `audio`.
fn audio_bytes_column(batch: &RecordBatch, path: &Path) -> Result<Option<BinaryArray>, Error> {
    let column_error = || Error::Column {
        column: "audio".to_owned(),
        expected: "a struct with binary `bytes` (HF Audio) or binary",
        path: path.to_path_buf(),
    };
    let Some(column) = batch.column_by_name("audio") else {
        return Err(column_error());
    };
    let bytes: ArrayRef = match column.data_type() {
        DataType::Struct(_) => {
            let strukt = column
                .as_any()
                .downcast_ref::<StructArray>()
                .ok_or_else(column_error)?;
            let inner = strukt.column_by_name("bytes").ok_or_else(column_error)?;
            // A null struct means a null row even if the child slot holds data.
            match strukt.nulls() {
                Some(nulls) => {
                    let data = inner.to_data().into_builder().nulls(Some(nulls.clone()));
                    arrow_array::make_array(data.build().map_err(|e| Error::arrow(path, e))?)
                }
                None => Arc::clone(inner),
            }
        }
        _ => Arc::clone(column),
    };
    let bytes = arrow_cast::cast(&bytes, &DataType::Binary).map_err(|_| column_error())?;
    bytes
        .as_any()
        .downcast_ref::<BinaryArray>()
        .cloned()
        .map(Some)
        .ok_or_else(column_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(root: &Path, rel: &str) -> Option<CoralShard> {
        classify(root, root.join(rel))
    }

    #[test]
    fn classifies_all_three_layouts() {
        let root = Path::new("/c");
        let s = shard(root, "read_aloud/train-00015-of-00252.parquet").unwrap();
        assert_eq!(
            (s.subset.as_str(), s.split.as_str()),
            ("read_aloud", "train")
        );
        assert_eq!(s.part_stem(), "train-00015-of-00252");
        let s = shard(root, "conversation/val/0000.parquet").unwrap();
        assert_eq!(
            (s.subset.as_str(), s.split.as_str()),
            ("conversation", "val")
        );
        assert_eq!(s.part_stem(), "val-0000");
        let s = shard(root, "test-00000-of-00001.parquet").unwrap();
        assert_eq!((s.subset.as_str(), s.split.as_str()), ("default", "test"));
        assert!(shard(root, "read_aloud/validation-0.parquet").is_none());
    }
}
