//! Shared helpers for the data tests: paths to the committed demo corpus and a writer
//! for small CoRal-format shards (HF `Audio` struct of WAV bytes), so corrupt inputs
//! can be built in the test instead of committed.

#![allow(clippy::unwrap_used)]
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{BinaryBuilder, StringBuilder};
use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray, StructArray};
use arrow_schema::{DataType, Field, Fields, Schema};
use dialekt_data::audio::encode_wav_i16;
use parquet::arrow::ArrowWriter;

/// The committed 35-row synthetic test corpus (CoRal raw layout, varied recording formats); `DIALEKT_MINI_CORAL`
/// overrides the location.
pub fn mini_coral() -> PathBuf {
    std::env::var_os("DIALEKT_MINI_CORAL").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/coral-mini"),
        PathBuf::from,
    )
}

/// One row of a hand-made CoRal shard.
pub struct Row {
    pub text: Option<&'static str>,
    pub audio: Option<Vec<u8>>,
    pub speaker: &'static str,
    pub dialect: &'static str,
    pub country_birth: Option<&'static str>,
    pub validated: &'static str,
}

impl Row {
    pub fn good(text: &'static str, audio: Vec<u8>) -> Self {
        Self {
            text: Some(text),
            audio: Some(audio),
            speaker: "spk",
            dialect: "fynsk",
            country_birth: None,
            validated: "validated",
        }
    }
}

/// A 440 Hz tone of `secs` seconds as a 16-bit WAV at `rate` Hz.
pub fn tone_wav(secs: f32, rate: u32) -> Vec<u8> {
    let n = (secs * rate as f32) as usize;
    let samples: Vec<f32> = (0..n)
        .map(|i| (2.0 * std::f32::consts::PI * 440.0 * i as f32 / rate as f32).sin() * 0.3)
        .collect();
    encode_wav_i16(&samples, rate).unwrap()
}

/// Writes `rows` as a CoRal shard at `path`.
pub fn write_coral_shard(path: &Path, rows: &[Row]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let audio_fields = Fields::from(vec![
        Field::new("bytes", DataType::Binary, true),
        Field::new("path", DataType::Utf8, true),
    ]);
    let schema = Arc::new(Schema::new(vec![
        Field::new("id_speaker", DataType::Utf8, true),
        Field::new("text", DataType::Utf8, true),
        Field::new("age", DataType::Int64, true),
        Field::new("gender", DataType::Utf8, true),
        Field::new("dialect", DataType::Utf8, true),
        Field::new("country_birth", DataType::Utf8, true),
        Field::new("validated", DataType::Utf8, true),
        Field::new("audio", DataType::Struct(audio_fields.clone()), true),
    ]));
    let mut bytes = BinaryBuilder::new();
    let mut names = StringBuilder::new();
    for row in rows {
        bytes.append_option(row.audio.as_deref());
        names.append_value("x.wav");
    }
    let audio = StructArray::new(
        audio_fields,
        vec![
            Arc::new(bytes.finish()) as ArrayRef,
            Arc::new(names.finish()),
        ],
        None,
    );
    let strings = |f: &dyn Fn(&Row) -> Option<&'static str>| -> ArrayRef {
        Arc::new(rows.iter().map(f).collect::<StringArray>())
    };
    let columns: Vec<ArrayRef> = vec![
        strings(&|r| Some(r.speaker)),
        strings(&|r| r.text),
        Arc::new(rows.iter().map(|_| Some(40)).collect::<Int64Array>()),
        strings(&|_| Some("female")),
        strings(&|r| Some(r.dialect)),
        strings(&|r| r.country_birth),
        strings(&|r| Some(r.validated)),
        Arc::new(audio),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = ArrowWriter::try_new(file, schema, None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

/// Every file under `root` with its bytes, relative paths sorted.
pub fn tree_bytes(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}
