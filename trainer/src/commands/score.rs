//! `trainer score`: WER/CER (jiwer 4.0.0-exact) of hypotheses against references, broken
//! down by dialect, age group and gender as CoRal does, with bootstrap confidence
//! intervals and an optional paired comparison against a second system.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use dialekt_text::bootstrap::{self, Unit};
use dialekt_text::groups::Category;
use dialekt_text::io::{self as text_io, Meta};
use dialekt_text::normalize::Style;
use dialekt_text::score::{self, Options, System};
use dialekt_text::tokenizer::Tokenizer;
use serde_json::{Map, Value};

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// References: a text file (one utterance per line), JSONL (`--ref-column`) or Parquet.
    #[arg(long)]
    pub refs: PathBuf,
    /// Hypotheses, one per reference, in the same formats (`--hyp-column`).
    #[arg(long)]
    pub hyps: PathBuf,
    /// A second system's hypotheses: adds its scores and a paired bootstrap test.
    #[arg(long)]
    pub compare: Option<PathBuf>,
    /// Speaker metadata, one record per reference (JSONL or Parquet with CoRal's columns
    /// id_speaker, dialect, country_birth, age, gender). Defaults to the references file
    /// when that is JSONL or Parquet.
    #[arg(long)]
    pub meta: Option<PathBuf>,
    /// Break down by these groups and all their combinations, e.g. `dialect,age,gender`.
    #[arg(long, value_delimiter = ',')]
    pub by: Vec<Category>,
    /// Normalise both sides first (`coral` to compare with CoRal's published numbers).
    #[arg(long)]
    pub normalize: Option<Style>,
    #[arg(long, default_value = "text")]
    pub ref_column: String,
    #[arg(long, default_value = "text")]
    pub hyp_column: String,
    /// Bootstrap resamples for confidence intervals; 0 turns them off.
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Interval coverage.
    #[arg(long, default_value_t = 0.95)]
    pub level: f64,
    /// Resample utterances, or whole speakers (needs `id_speaker` metadata).
    #[arg(long, value_enum, default_value_t = Resample::Utterance)]
    pub resample: Resample,
    /// SentencePiece model: also report UER over its token ids (fairseq2's `uer`).
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    /// Print JSON (with per-utterance counts) instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Resample {
    Utterance,
    Speaker,
}

impl ScoreArgs {
    /// # Errors
    /// Unreadable or malformed inputs (naming file and line), mismatched lengths.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        if !(0.0 < self.level && self.level < 1.0) {
            bail!("--level must be between 0 and 1, got {}", self.level);
        }
        let references = read_transcripts(&self.refs, &self.ref_column)?;
        let hypotheses = read_transcripts(&self.hyps, &self.hyp_column)?;
        text_io::check_same_length(
            (&self.refs, references.len()),
            (&self.hyps, hypotheses.len()),
        )?;
        let other = match &self.compare {
            Some(path) => {
                let other = read_transcripts(path, &self.hyp_column)?;
                text_io::check_same_length((&self.refs, references.len()), (path, other.len()))?;
                Some(other)
            }
            None => None,
        };
        let meta_path = self
            .meta
            .clone()
            .or_else(|| (!is_text(&self.refs)).then(|| self.refs.clone()));
        let meta = match &meta_path {
            Some(path) => {
                let meta = read_meta(path)?;
                text_io::check_same_length((&self.refs, references.len()), (path, meta.len()))?;
                Some(meta)
            }
            None if !self.by.is_empty() => bail!("--by needs speaker metadata: pass --meta"),
            None => None,
        };
        if matches!(self.resample, Resample::Speaker)
            && !meta
                .as_ref()
                .is_some_and(|m| m.iter().any(|m| m.speaker.is_some()))
        {
            bail!("--resample speaker needs `id_speaker` in the metadata");
        }
        let options = Options {
            normalize: self.normalize,
            by: self.by.clone(),
            bootstrap: (self.bootstrap > 0).then_some(bootstrap::Config {
                resamples: self.bootstrap,
                seed: self.seed,
                level: self.level,
                unit: match self.resample {
                    Resample::Utterance => Unit::Utterance,
                    Resample::Speaker => Unit::Speaker,
                },
            }),
        };
        let tokenizer = match &self.tokenizer {
            Some(path) => Some(Tokenizer::from_file(path)?),
            None => None,
        };
        let system_name = self.hyps.display().to_string();
        let other_name = self.compare.as_ref().map(|p| p.display().to_string());
        let report = score::score(
            &references,
            System {
                name: &system_name,
                hypotheses: &hypotheses,
            },
            other
                .as_deref()
                .zip(other_name.as_deref())
                .map(|(hypotheses, name)| System { name, hypotheses }),
            meta.as_deref(),
            tokenizer.as_ref(),
            &options,
        );
        let mut out = std::io::stdout().lock();
        if self.json {
            serde_json::to_writer_pretty(&mut out, &report).context("writing JSON")?;
            writeln!(out).context("writing stdout")?;
        } else {
            out.write_all(score::render_table(&report).as_bytes())
                .context("writing stdout")?;
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn is_parquet(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "parquet")
}

fn is_text(path: &Path) -> bool {
    !is_parquet(path) && !text_io::is_jsonl(path)
}

fn read_transcripts(path: &Path, column: &str) -> anyhow::Result<Vec<String>> {
    if is_parquet(path) {
        let records = parquet_records(path, &[column])?;
        return Ok(text_io::transcripts_from_records(&records, column, path)?);
    }
    Ok(text_io::read_transcripts(path, column)?)
}

fn read_meta(path: &Path) -> anyhow::Result<Vec<Meta>> {
    if is_parquet(path) {
        let records = parquet_records(path, text_io::META_COLUMNS)?;
        return Ok(text_io::meta_from_records(&records, path)?);
    }
    Ok(text_io::read_meta(path)?)
}

/// The scalar `columns` of every row of a Parquet file (others, e.g. audio, are not read).
fn parquet_records(path: &Path, columns: &[&str]) -> anyhow::Result<Vec<Map<String, Value>>> {
    use parquet::file::reader::{FileReader as _, SerializedFileReader};
    use parquet::record::Field;
    use parquet::schema::types::Type;

    let file = fs_err::File::open(path)?;
    let reader = SerializedFileReader::new(file.into_parts().0)
        .with_context(|| format!("not a Parquet file: {}", path.display()))?;
    let schema = reader.metadata().file_metadata().schema();
    let fields: Vec<_> = schema
        .get_fields()
        .iter()
        .filter(|field| columns.contains(&field.name()))
        .cloned()
        .collect();
    let projection = Type::group_type_builder(schema.name())
        .with_fields(fields)
        .build()?;
    let mut records = Vec::new();
    for (index, row) in reader.get_row_iter(Some(projection))?.enumerate() {
        let row = row.with_context(|| format!("row {} of {}", index + 1, path.display()))?;
        let mut record = Map::new();
        for (name, field) in row.get_column_iter() {
            let value = match field {
                Field::Null => Value::Null,
                Field::Bool(b) => Value::Bool(*b),
                Field::Str(s) => Value::String(s.clone()),
                Field::Byte(n) => Value::from(*n),
                Field::Short(n) => Value::from(*n),
                Field::Int(n) => Value::from(*n),
                Field::Long(n) => Value::from(*n),
                Field::UByte(n) => Value::from(*n),
                Field::UShort(n) => Value::from(*n),
                Field::UInt(n) => Value::from(*n),
                Field::ULong(n) => Value::from(*n),
                Field::Float(x) => Value::from(f64::from(*x)),
                Field::Double(x) => Value::from(*x),
                other => bail!(
                    "row {}: column `{name}` has unsupported type ({other}): {}",
                    index + 1,
                    path.display()
                ),
            };
            record.insert(name.clone(), value);
        }
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, BinaryArray, Int64Array, RecordBatch, StringArray};
    use parquet::arrow::ArrowWriter;

    use super::*;

    /// A CoRal-shaped Parquet file: transcripts, speaker columns and an audio blob that
    /// must not be needed.
    fn write_parquet(path: &Path) {
        let columns: Vec<(&str, ArrayRef)> = vec![
            (
                "text",
                Arc::new(StringArray::from(vec![Some("Det er 21 år"), None])),
            ),
            ("id_speaker", Arc::new(StringArray::from(vec!["s1", "s2"]))),
            ("age", Arc::new(Int64Array::from(vec![Some(25), None]))),
            (
                "dialect",
                Arc::new(StringArray::from(vec!["lollandsk", "fynsk"])),
            ),
            (
                "country_birth",
                Arc::new(StringArray::from(vec![None, Some("SE")])),
            ),
            (
                "gender",
                Arc::new(StringArray::from(vec!["female", "male"])),
            ),
            (
                "audio",
                Arc::new(BinaryArray::from(vec![&b"RIFF"[..], &b"RIFF"[..]])),
            ),
        ];
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        let file = std::fs::File::create(path).unwrap();
        let mut writer = ArrowWriter::try_new(file, batch.schema(), None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
    }

    #[test]
    fn reads_transcripts_and_metadata_from_parquet() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test.parquet");
        write_parquet(&path);
        assert_eq!(
            read_transcripts(&path, "text").unwrap(),
            ["Det er 21 år", ""]
        );
        let meta = read_meta(&path).unwrap();
        assert_eq!(meta[0].speaker.as_deref(), Some("s1"));
        assert_eq!(meta[0].labels.dialect.as_deref(), Some("Sydømål"));
        assert_eq!(meta[0].labels.age_group.as_deref(), Some("25-49"));
        assert_eq!(meta[1].labels.dialect.as_deref(), Some("Non-native"));
        assert_eq!(meta[1].labels.age_group, None);
        let missing = read_transcripts(&path, "prediction")
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("no column `prediction`") && missing.contains("test.parquet"),
            "{missing}"
        );
    }

    #[test]
    fn mismatched_lengths_name_both_files() {
        let dir = tempfile::tempdir().unwrap();
        let (refs, hyps) = (dir.path().join("refs.txt"), dir.path().join("hyps.txt"));
        std::fs::File::create(&refs)
            .unwrap()
            .write_all(b"a\nb\n")
            .unwrap();
        std::fs::File::create(&hyps)
            .unwrap()
            .write_all(b"a\n")
            .unwrap();
        let args = ScoreArgs {
            refs: refs.clone(),
            hyps: hyps.clone(),
            compare: None,
            meta: None,
            by: Vec::new(),
            normalize: None,
            ref_column: "text".to_owned(),
            hyp_column: "text".to_owned(),
            bootstrap: 0,
            seed: 0,
            level: 0.95,
            resample: Resample::Utterance,
            tokenizer: None,
            json: false,
        };
        let error = args.run().unwrap_err().to_string();
        assert!(
            error.contains("2 lines in")
                && error.contains("refs.txt")
                && error.contains("hyps.txt"),
            "{error}"
        );
    }
}
