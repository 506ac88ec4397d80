//! The prepared (training) Parquet schema: omniASR's MIXTURE_PARQUET columns
//! (`text`, `audio_bytes` as `list<int8>`, `audio_size`) plus the speaker metadata
//! the per-dialect evaluation groups by. Partition values (`corpus`, `split`,
//! `language`) live in the directory names, as fairseq2 expects.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef};

pub const TEXT: &str = "text";
/// FLAC file bytes, 16 kHz mono. `list<int8>` rather than `binary` because that is
/// what omniASR's loader reads (it avoids a copy on the Python side).
pub const AUDIO_BYTES: &str = "audio_bytes";
/// Decoded length in samples at 16 kHz: bucketing and length filters use it without
/// decoding the audio.
pub const AUDIO_SIZE: &str = "audio_size";
pub const ID_SPEAKER: &str = "id_speaker";
pub const AGE: &str = "age";
pub const GENDER: &str = "gender";
/// CoRal's raw lower-case sub-dialect.
pub const DIALECT: &str = "dialect";
/// The ten-label evaluation group (see [`crate::dialect`]).
pub const DIALECT_GROUP: &str = "dialect_group";
pub const COUNTRY_BIRTH: &str = "country_birth";
/// `<shard path>#<row>`: where the utterance came from in the raw corpus.
pub const SOURCE: &str = "source";

/// The language partition value for Danish in omniASR's naming.
pub const LANGUAGE: &str = "dan_Latn";

/// Rows per row group: omniASR's streaming and shuffling unit.
pub const ROW_GROUP_ROWS: usize = 100;

/// The Arrow schema of every prepared part file.
#[must_use]
pub fn prepared_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new(TEXT, DataType::Utf8, false),
        Field::new(
            AUDIO_BYTES,
            DataType::List(Arc::new(Field::new_list_field(DataType::Int8, false))),
            false,
        ),
        Field::new(AUDIO_SIZE, DataType::Int64, false),
        Field::new(ID_SPEAKER, DataType::Utf8, true),
        Field::new(AGE, DataType::Int64, true),
        Field::new(GENDER, DataType::Utf8, true),
        Field::new(DIALECT, DataType::Utf8, true),
        Field::new(DIALECT_GROUP, DataType::Utf8, false),
        Field::new(COUNTRY_BIRTH, DataType::Utf8, true),
        Field::new(SOURCE, DataType::Utf8, false),
    ]))
}

/// One prepared utterance, ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedRow {
    pub text: String,
    /// FLAC bytes.
    pub audio_flac: Vec<u8>,
    /// Samples at 16 kHz.
    pub audio_size: i64,
    pub id_speaker: Option<String>,
    pub age: Option<i64>,
    pub gender: Option<String>,
    pub dialect: Option<String>,
    pub dialect_group: String,
    pub country_birth: Option<String>,
    pub source: String,
}

/// The omniASR partition directory for one corpus and split, relative to the
/// output root: `version=0/corpus=<corpus>/split=<split>/language=dan_Latn`.
#[must_use]
pub fn partition_dir(corpus: &str, split: &str) -> String {
    format!("version=0/corpus={corpus}/split={split}/language={LANGUAGE}")
}

/// CoRal's split name mapped to omniASR's (`val` → `dev`).
#[must_use]
pub fn omni_split(coral_split: &str) -> &str {
    match coral_split {
        "val" => "dev",
        other => other,
    }
}
