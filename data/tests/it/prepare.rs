//! `data prepare` end to end: the demo corpus round-trips, output and manifest are
//! byte-stable across runs, a crashed run resumes, and corrupt inputs are skipped
//! or reported by name, never a panic or a half-written part.

// Helpers outside #[test] fns unwrap too: a failed setup should fail the test.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use crate::common::{Row, mini_coral, tone_wav, tree_bytes, write_coral_shard};
use dialekt_core::SAMPLE_RATE_HZ;
use dialekt_core::manifest::{BuildOptions, build};
use dialekt_data::audio::decode_audio;
use dialekt_data::coral::CoralReader;
use dialekt_data::error::Error;
use dialekt_data::prepare::{PrepareOptions, prepare, read_provenance};
use dialekt_data::resample::{resample, resampled_len};
use dialekt_data::skip::{SkipKind, SkipReport};
use dialekt_data::stats::parse_language_distribution;
use dialekt_data::{DatasetIndex, PrepareSummary};

fn options(coral: &Path, out: &Path) -> PrepareOptions {
    PrepareOptions {
        coral_root: coral.to_path_buf(),
        out_root: out.to_path_buf(),
        subsets: vec![],
        splits: vec![],
        max_rows: None,
        corpus_prefix: "coral".into(),
    }
}

fn prepare_demo(out: &Path) -> PrepareSummary {
    prepare(&options(&mini_coral(), out), &()).unwrap()
}

const PART: &str = "version=0/corpus=coral_read_aloud/split=train/language=dan_Latn/part-train-00000-of-00001.parquet";

#[test]
fn demo_corpus_prepares_into_the_omni_layout() {
    let out = tempfile::tempdir().unwrap();
    let summary = prepare_demo(out.path());
    assert_eq!(summary.parts_written, 3);
    assert_eq!(
        summary.parts,
        vec![
            "version=0/corpus=coral_read_aloud/split=dev/language=dan_Latn/part-val-00000-of-00001.parquet",
            "version=0/corpus=coral_read_aloud/split=test/language=dan_Latn/part-test-00000-of-00001.parquet",
            PART,
        ]
    );
    // One demo row is marked `rejected`, as CoRal's validation would.
    assert_eq!(summary.skip_report.total, 1);
    assert_eq!(summary.skip_report.entries[0].kind, SkipKind::Rejected);
    let tsv = std::fs::read_to_string(out.path().join("language_distribution_0.tsv")).unwrap();
    let hours = parse_language_distribution(&tsv);
    let total_hours = hours[&("coral_read_aloud".to_owned(), "dan_Latn".to_owned())];
    let index_secs: f64 = ["train", "dev", "test"]
        .iter()
        .map(|s| DatasetIndex::open(out.path(), s).unwrap().total_secs())
        .sum();
    assert!((total_hours * 3600.0 - index_secs).abs() < 1e-6);
    let report: SkipReport = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("skip_report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report, summary.skip_report);
}

#[test]
fn prepared_audio_matches_the_source_and_audio_size_is_exact() {
    let out = tempfile::tempdir().unwrap();
    prepare_demo(out.path());
    let index = DatasetIndex::open(out.path(), "train").unwrap();
    let mut source =
        CoralReader::open(&mini_coral().join("read_aloud/train-00000-of-00001.parquet")).unwrap();
    let mut source_rows = Vec::new();
    while let Some(batch) = source.next_batch().unwrap() {
        source_rows.extend(batch);
    }
    let source_rows: Vec<_> = source_rows
        .into_iter()
        .filter(|r| r.validated.as_deref() != Some("rejected"))
        .collect();
    assert_eq!(index.utterances.len(), source_rows.len());
    let all: Vec<usize> = (0..index.utterances.len()).collect();
    let batch = dialekt_data::batch::load_batch(&index, &all, false, 0, 0).unwrap();
    for (i, row) in source_rows.iter().enumerate() {
        let decoded = decode_audio(row.audio.as_deref().unwrap()).unwrap();
        let expected = resample(&decoded.samples, decoded.sample_rate_hz, SAMPLE_RATE_HZ).unwrap();
        let stored = batch.utterance(i);
        assert_eq!(batch.texts[i], row.text.as_deref().unwrap().trim());
        // audio_size is exact: the indexed size, the stored length and torchaudio's length rule agree.
        assert_eq!(index.utterances[i].audio_size as usize, stored.len());
        assert_eq!(
            stored.len(),
            resampled_len(decoded.samples.len(), decoded.sample_rate_hz, 16_000)
        );
        // The only loss after resampling is 16-bit quantisation in the FLAC.
        let max_err = expected
            .iter()
            .zip(stored)
            .map(|(a, b)| (a.clamp(-1.0, 1.0) - b).abs())
            .fold(0.0, f32::max);
        assert!(
            max_err <= 1.0 / 32_768.0 + 1e-6,
            "row {i}: max error {max_err}"
        );
    }
}

#[test]
fn output_and_manifest_are_identical_across_runs() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    prepare_demo(a.path());
    prepare_demo(b.path());
    assert_eq!(tree_bytes(a.path()), tree_bytes(b.path()));
    let manifest_a = build(a.path(), &BuildOptions::default(), &()).unwrap();
    let manifest_b = build(b.path(), &BuildOptions::default(), &()).unwrap();
    assert_eq!(manifest_a.root, manifest_b.root);
    assert_eq!(manifest_a, manifest_b);
}

#[test]
fn a_crashed_run_resumes_to_the_same_bytes() {
    let reference = tempfile::tempdir().unwrap();
    prepare_demo(reference.path());
    let out = tempfile::tempdir().unwrap();
    prepare_demo(out.path());
    let part = out.path().join(PART);
    let dir = part.parent().unwrap();
    // A crash mid-write leaves a temporary file and maybe a truncated copy under the final name.
    fs_err::write(dir.join(".tmp-crashed"), b"half a part").unwrap();
    let bytes = std::fs::read(&part).unwrap();
    fs_err::write(&part, &bytes[..bytes.len() / 2]).unwrap();
    std::fs::remove_file(out.path().join("version=0/corpus=coral_read_aloud/split=test/language=dan_Latn/part-test-00000-of-00001.parquet")).unwrap();

    let summary = prepare_demo(out.path());
    assert_eq!((summary.parts_written, summary.parts_reused), (2, 1));
    assert_eq!(tree_bytes(out.path()), tree_bytes(reference.path()));
    // A third run finds everything complete and rewrites nothing.
    let summary = prepare_demo(out.path());
    assert_eq!((summary.parts_written, summary.parts_reused), (0, 3));
}

#[test]
fn max_rows_limits_each_split_and_is_recorded() {
    let out = tempfile::tempdir().unwrap();
    let mut opts = options(&mini_coral(), out.path());
    opts.max_rows = Some(5);
    opts.splits = vec!["train".into()];
    let summary = prepare(&opts, &()).unwrap();
    assert_eq!(summary.parts.len(), 1);
    let provenance = read_provenance(&out.path().join(PART)).unwrap().unwrap();
    assert_eq!(provenance.rows_read, 5);
    // Changing the limit redoes the part instead of trusting it.
    opts.max_rows = Some(7);
    let summary = prepare(&opts, &()).unwrap();
    assert_eq!(summary.parts_written, 1);
}

#[test]
fn corrupt_rows_are_skipped_with_file_row_and_reason() {
    let coral = tempfile::tempdir().unwrap();
    let mut bad_rate = tone_wav(1.0, 16_000);
    // A consistent header claiming 3 Hz: sample rate at byte 24, byte rate at byte 28.
    bad_rate[24..28].copy_from_slice(&3u32.to_le_bytes());
    bad_rate[28..32].copy_from_slice(&6u32.to_le_bytes());
    let mut truncated = tone_wav(1.0, 16_000);
    truncated.truncate(20);
    let rows = vec![
        Row::good("en god sætning", tone_wav(1.0, 48_000)),
        Row {
            audio: Some(b"this is not audio at all".to_vec()),
            ..Row::good("skrald", vec![])
        },
        Row::good("   ", tone_wav(1.0, 16_000)),
        Row {
            text: None,
            ..Row::good("", tone_wav(1.0, 16_000))
        },
        Row::good("forkert rate", bad_rate),
        Row::good("afkortet", truncated),
        Row {
            audio: None,
            ..Row::good("ingen lyd", vec![])
        },
        Row {
            validated: "rejected",
            ..Row::good("afvist", tone_wav(1.0, 16_000))
        },
        Row::good("også god", tone_wav(0.5, 44_100)),
    ];
    write_coral_shard(
        &coral.path().join("read_aloud/train-00000-of-00001.parquet"),
        &rows,
    );
    let out = tempfile::tempdir().unwrap();
    let summary = prepare(&options(coral.path(), out.path()), &()).unwrap();
    let kinds: Vec<(usize, SkipKind)> = summary
        .skip_report
        .entries
        .iter()
        .map(|e| (e.row, e.kind))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (1, SkipKind::UndecodableAudio),
            (2, SkipKind::EmptyText),
            (3, SkipKind::EmptyText),
            (4, SkipKind::UndecodableAudio),
            (5, SkipKind::UndecodableAudio),
            (6, SkipKind::MissingAudio),
            (7, SkipKind::Rejected),
        ]
    );
    assert!(
        summary
            .skip_report
            .entries
            .iter()
            .all(|e| e.file == "read_aloud/train-00000-of-00001.parquet")
    );
    assert!(
        summary.skip_report.entries[3]
            .reason
            .contains("sample rate"),
        "{:?}",
        summary.skip_report.entries[3]
    );
    let index = DatasetIndex::open(out.path(), "train").unwrap();
    assert_eq!(index.utterances.len(), 2);
    assert_eq!(index.utterances[0].audio_size, 16_000);
}

#[test]
fn a_truncated_shard_is_a_clear_error_and_leaves_no_part() {
    let coral = tempfile::tempdir().unwrap();
    let good = coral.path().join("read_aloud/train-00000-of-00002.parquet");
    write_coral_shard(&good, &[Row::good("en", tone_wav(0.5, 16_000))]);
    let broken = coral.path().join("read_aloud/train-00001-of-00002.parquet");
    write_coral_shard(&broken, &[Row::good("to", tone_wav(0.5, 16_000))]);
    let bytes = std::fs::read(&broken).unwrap();
    fs_err::write(&broken, &bytes[..bytes.len() - 100]).unwrap();
    let out = tempfile::tempdir().unwrap();
    let err = prepare(&options(coral.path(), out.path()), &()).unwrap_err();
    assert!(
        matches!(err, Error::Parquet { ref path, .. } if path == &broken),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("train-00001-of-00002.parquet"),
        "{err}"
    );
    let parts: Vec<_> = tree_bytes(out.path()).into_iter().map(|(p, _)| p).collect();
    assert!(parts.iter().all(|p| !p.contains("00001")), "{parts:?}");
}

#[test]
fn a_shard_without_audio_column_is_a_clear_error() {
    let coral = tempfile::tempdir().unwrap();
    let path = coral.path().join("test-00000-of-00001.parquet");
    let schema = std::sync::Arc::new(arrow_schema::Schema::new(vec![arrow_schema::Field::new(
        "text",
        arrow_schema::DataType::Utf8,
        true,
    )]));
    let batch = arrow_array::RecordBatch::try_new(
        schema.clone(),
        vec![std::sync::Arc::new(arrow_array::StringArray::from(vec![
            "hej",
        ]))],
    )
    .unwrap();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, None)
            .unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let out = tempfile::tempdir().unwrap();
    let err = prepare(&options(coral.path(), out.path()), &()).unwrap_err();
    assert!(
        err.to_string().contains("`audio`")
            && err.to_string().contains("test-00000-of-00001.parquet"),
        "{err}"
    );
}
