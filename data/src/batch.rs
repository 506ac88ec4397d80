//! Turning a planned batch (utterance indices) into padded audio.
//!
//! Rows are read with a row selection per row group, so only the pages holding the
//! requested utterances are decompressed; the audio column of a corpus `data prepare`
//! wrote is sliced straight out of those pages ([`audio_column::read_rows`]). FLAC
//! decoding and `normalize_audio` run in parallel over the batch's utterances.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::cast::AsArray as _;
use arrow_array::types::{Int8Type, Int64Type};
use arrow_array::{Array, ListArray, RecordBatch, StringArray};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{RowSelection, RowSelector};
use rayon::prelude::*;

use crate::audio::decode_audio;
use crate::audio_column;
use crate::error::Error;
use crate::index::{DatasetIndex, PartInfo};
use crate::normalize::normalize_audio;
use crate::schema::{AGE, AUDIO_BYTES, DIALECT_GROUP, GENDER, ID_SPEAKER, SOURCE, TEXT};

/// A padded batch, ready to become a tensor: `audio` is `len() × max_len`, row-major,
/// zero-padded after each utterance's `lengths[i]` samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub audio: Vec<f32>,
    pub lengths: Vec<usize>,
    pub max_len: usize,
    pub texts: Vec<String>,
    /// Per-utterance metadata for evaluation breakdowns.
    pub sources: Vec<String>,
    pub dialect_groups: Vec<String>,
    pub speakers: Vec<Option<String>>,
    pub ages: Vec<Option<i64>>,
    pub genders: Vec<Option<String>>,
    /// Position of this batch in the stream (for the reader state).
    pub epoch: u64,
    pub index_in_epoch: usize,
}

impl Batch {
    /// Number of utterances.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    /// Whether the batch has no utterance (never produced by the loader).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// Seconds of (unpadded) audio.
    #[must_use]
    pub fn audio_secs(&self) -> f64 {
        self.lengths.iter().sum::<usize>() as f64 / f64::from(dialekt_core::SAMPLE_RATE_HZ)
    }

    /// One utterance's samples, without padding.
    #[must_use]
    pub fn utterance(&self, i: usize) -> &[f32] {
        let start = i * self.max_len;
        &self.audio[start..start + self.lengths[i]]
    }
}

/// One utterance as read from its part, before decoding.
#[derive(Clone)]
struct RawUtterance {
    text: String,
    flac: Vec<u8>,
    source: String,
    dialect_group: String,
    speaker: Option<String>,
    age: Option<i64>,
    gender: Option<String>,
}

/// Reads, decodes and pads the utterances `members` (indices into the index).
///
/// # Errors
/// [`Error::Parquet`]/[`Error::Arrow`] naming the part, [`Error::Audio`] naming the
/// part and row if a stored FLAC does not decode (a prepared corpus should never
/// contain one).
pub fn load_batch(
    index: &DatasetIndex,
    members: &[usize],
    normalize: bool,
    epoch: u64,
    index_in_epoch: usize,
) -> Result<Batch, Error> {
    let raw = read_rows(index, members)?;
    let decoded: Vec<Vec<f32>> = raw
        .par_iter()
        .zip(members)
        .map(|(utterance, &i)| {
            let u = &index.utterances[i];
            let part = &index.parts[u.part as usize];
            let mut samples = decode_audio(&utterance.flac)
                .map_err(|source| Error::Audio {
                    row: row_in_part(part, u.row_group, u.row),
                    path: part.path.clone(),
                    source,
                })?
                .samples;
            if normalize {
                normalize_audio(&mut samples);
            }
            Ok(samples)
        })
        .collect::<Result<_, Error>>()?;
    let max_len = decoded.iter().map(Vec::len).max().unwrap_or(0);
    let mut audio = vec![0.0f32; max_len * decoded.len()];
    for (row, samples) in audio.chunks_mut(max_len.max(1)).zip(&decoded) {
        row[..samples.len()].copy_from_slice(samples);
    }
    let lengths = decoded.iter().map(Vec::len).collect();
    let mut texts = Vec::with_capacity(raw.len());
    let mut sources = Vec::with_capacity(raw.len());
    let mut dialect_groups = Vec::with_capacity(raw.len());
    let mut speakers = Vec::with_capacity(raw.len());
    let mut ages = Vec::with_capacity(raw.len());
    let mut genders = Vec::with_capacity(raw.len());
    for r in raw {
        texts.push(r.text);
        sources.push(r.source);
        dialect_groups.push(r.dialect_group);
        speakers.push(r.speaker);
        ages.push(r.age);
        genders.push(r.gender);
    }
    Ok(Batch {
        audio,
        lengths,
        max_len,
        texts,
        sources,
        dialect_groups,
        speakers,
        ages,
        genders,
        epoch,
        index_in_epoch,
    })
}

fn row_in_part(part: &PartInfo, row_group: u32, row: u32) -> usize {
    let before: i64 = part.metadata.metadata().row_groups()[..row_group as usize]
        .iter()
        .map(|rg| rg.num_rows())
        .sum();
    usize::try_from(before).unwrap_or(0) + row as usize
}

/// (part, row group, row) of an utterance.
type Location = (u32, u32, u32);

/// Reads the rows of `members`, returned in `members` order.
fn read_rows(index: &DatasetIndex, members: &[usize]) -> Result<Vec<RawUtterance>, Error> {
    // (part, row group) → rows wanted, sorted; each group is one selective read.
    let mut groups: BTreeMap<(u32, u32), Vec<u32>> = BTreeMap::new();
    for &i in members {
        let u = &index.utterances[i];
        groups.entry((u.part, u.row_group)).or_default().push(u.row);
    }
    // Row groups are read in parallel: Parquet decoding is most of a batch's cost.
    let read: Vec<Vec<(Location, RawUtterance)>> = groups
        .into_par_iter()
        .map(|((part, row_group), mut rows)| {
            rows.sort_unstable();
            rows.dedup();
            let info = &index.parts[part as usize];
            let utterances = read_row_group_rows(info, row_group, &rows)?;
            Ok(rows
                .iter()
                .map(|&row| (part, row_group, row))
                .zip(utterances)
                .collect())
        })
        .collect::<Result<_, Error>>()?;
    let mut by_location: BTreeMap<Location, RawUtterance> = read.into_iter().flatten().collect();
    // Move each utterance out on first use; a repeat (possible when a tiny corpus
    // is cycled during mixing) is cloned from its first occurrence.
    let mut out: Vec<RawUtterance> = Vec::with_capacity(members.len());
    let mut first_position: BTreeMap<Location, usize> = BTreeMap::new();
    for &i in members {
        let u = &index.utterances[i];
        let key = (u.part, u.row_group, u.row);
        if let Some(utterance) = by_location.remove(&key) {
            first_position.insert(key, out.len());
            out.push(utterance);
        } else if let Some(&position) = first_position.get(&key) {
            out.push(out[position].clone());
        } else {
            return Err(Error::Column {
                column: AUDIO_BYTES.to_owned(),
                expected: "a row at the indexed position",
                path: index.parts[u.part as usize].path.clone(),
            });
        }
    }
    Ok(out)
}

/// Reads the sorted `rows` of one row group with a row selection.
fn read_row_group_rows(
    part: &PartInfo,
    row_group: u32,
    rows: &[u32],
) -> Result<Vec<RawUtterance>, Error> {
    let path = &part.path;
    let direct_audio = read_audio_directly(part, row_group, rows)?;
    let builder = part.reader()?;
    let schema = Arc::clone(builder.schema());
    let audio_through_arrow = direct_audio.is_none().then_some(AUDIO_BYTES);
    let columns: Vec<usize> = [TEXT, SOURCE, DIALECT_GROUP, ID_SPEAKER, AGE, GENDER]
        .into_iter()
        .chain(audio_through_arrow)
        .filter_map(|c| schema.index_of(c).ok())
        .collect();
    let mask = ProjectionMask::roots(builder.parquet_schema(), columns);
    let reader = builder
        .with_projection(mask)
        .with_row_groups(vec![row_group as usize])
        .with_row_selection(selection(rows))
        .with_batch_size(rows.len().max(1))
        .build()
        .map_err(|e| Error::parquet(path, e))?;
    let mut direct_audio = direct_audio.map(Vec::into_iter);
    let mut out = Vec::with_capacity(rows.len());
    for batch in reader {
        let batch = batch.map_err(|e| Error::arrow(path, e))?;
        out.extend(raw_utterances(&batch, path, direct_audio.as_mut())?);
    }
    Ok(out)
}

/// The FLAC bytes of `rows` read from the pages directly, if the part's audio column
/// is in the layout `data prepare` writes; `None` to read it through Arrow.
fn read_audio_directly(
    part: &PartInfo,
    row_group: u32,
    rows: &[u32],
) -> Result<Option<Vec<Vec<u8>>>, Error> {
    let metadata = part.metadata.metadata();
    let leaves = metadata.file_metadata().schema_descr().columns();
    let Some(column) = leaves
        .iter()
        .position(|leaf| leaf.path().parts().first().map(String::as_str) == Some(AUDIO_BYTES))
    else {
        return Ok(None);
    };
    audio_column::read_rows(
        Arc::new(part.open()?),
        metadata,
        row_group as usize,
        column,
        rows,
    )
    .map_err(|e| Error::parquet(&part.path, e))
}

/// Skip/select runs covering exactly `rows` (sorted, unique).
fn selection(rows: &[u32]) -> RowSelection {
    let mut selectors = Vec::new();
    let mut next = 0usize;
    for &row in rows {
        let row = row as usize;
        if row > next {
            selectors.push(RowSelector::skip(row - next));
        }
        selectors.push(RowSelector::select(1));
        next = row + 1;
    }
    RowSelection::from(selectors)
}

/// The batch's rows; their FLAC bytes come from `direct_audio` when it was read
/// directly, else from the batch's `audio_bytes` column.
fn raw_utterances(
    batch: &RecordBatch,
    path: &std::path::Path,
    mut direct_audio: Option<&mut std::vec::IntoIter<Vec<u8>>>,
) -> Result<Vec<RawUtterance>, Error> {
    let column_error = |column: &str, expected| Error::Column {
        column: column.to_owned(),
        expected,
        path: path.to_path_buf(),
    };
    let strings = |name: &str| {
        batch
            .column_by_name(name)
            .and_then(|c| c.as_any().downcast_ref::<StringArray>())
    };
    let text = strings(TEXT).ok_or_else(|| column_error(TEXT, "string"))?;
    let audio = batch
        .column_by_name(AUDIO_BYTES)
        .and_then(|c| c.as_any().downcast_ref::<ListArray>());
    let source = strings(SOURCE);
    let group = strings(DIALECT_GROUP);
    let speaker = strings(ID_SPEAKER);
    let gender = strings(GENDER);
    let age = batch
        .column_by_name(AGE)
        .and_then(|c| c.as_primitive_opt::<Int64Type>());
    let opt = |col: Option<&StringArray>, i: usize| {
        col.filter(|c| c.is_valid(i)).map(|c| c.value(i).to_owned())
    };
    (0..batch.num_rows())
        .map(|i| {
            let flac = match (direct_audio.as_mut(), audio) {
                (Some(direct), _) => direct
                    .next()
                    .ok_or_else(|| column_error(AUDIO_BYTES, "a row for every selected row"))?,
                (None, Some(audio)) => {
                    let bytes = audio.value(i);
                    let bytes = bytes
                        .as_primitive_opt::<Int8Type>()
                        .ok_or_else(|| column_error(AUDIO_BYTES, "list<int8>"))?;
                    // `list<int8>` holds the FLAC file's bytes; reinterpret each as u8.
                    bytes.values().iter().map(|&b| b as u8).collect()
                }
                (None, None) => return Err(column_error(AUDIO_BYTES, "list<int8>")),
            };
            Ok(RawUtterance {
                text: text.value(i).to_owned(),
                flac,
                source: opt(source, i).unwrap_or_default(),
                dialect_group: opt(group, i).unwrap_or_default(),
                speaker: opt(speaker, i),
                age: age.filter(|c| c.is_valid(i)).map(|c| c.value(i)),
                gender: opt(gender, i),
            })
        })
        .collect()
}
