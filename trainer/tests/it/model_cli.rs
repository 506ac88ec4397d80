//! `trainer model inspect|fetch` and `trainer transcribe` through the real binary, on the
//! tiny fairseq2 fixture: what a user types, and what comes out.

// Helpers outside #[test] fns unwrap too: a failed setup should fail the test.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::process::Output;

use crate::model_fixture::{reference, tiny_dir};
use crate::support;

/// Runs the trainer with its model cache in `cache` and no network access of its own
/// beyond what a test serves.
fn trainer(args: &[&str], cache: &Path, extra_env: &[(&str, &str)]) -> Output {
    let mut command = crate::support::trainer(args);
    command
        .env("DIALEKT_MODEL_CACHE", cache)
        .env("HOME", cache)
        .env_remove("XDG_CACHE_HOME");
    for (key, value) in extra_env {
        command.env(key, value);
    }
    command.output().unwrap()
}

#[test]
fn inspect_reports_arch_tensors_and_parameters() {
    let cache = tempfile::tempdir().unwrap();
    let checkpoint = tiny_dir().join("checkpoint.pt");
    let out = trainer(
        &["model", "inspect", checkpoint.to_str().unwrap()],
        cache.path(),
        &[],
    );
    assert!(out.status.success(), "{}", support::stderr(&out));
    let stdout = support::stdout(&out);
    let expected = reference(&tiny_dir());
    assert!(
        stdout.contains(&format!("tensors:    {}", expected.num_tensors)),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("parameters: {}", expected.param_count)),
        "{stdout}"
    );
    assert!(stdout.contains("\"model_dim\":32"), "{stdout}");
}

/// Writes `samples` as a 32-bit float WAV, so decoding gives them back exactly.
fn write_wav(path: &Path, samples: &[f32]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for &s in samples {
        writer.write_sample(s).unwrap();
    }
    writer.finalize().unwrap();
}

/// The `[frames, vocab]` float32 array of an `.npy` file written by `--emit-logits`.
fn read_npy(path: &Path) -> (Vec<usize>, Vec<f32>) {
    let array = dialekt_model::npy::read(path).unwrap();
    (array.shape, array.data)
}

#[test]
fn transcribe_emits_valid_frames_and_batching_changes_nothing() {
    let work = tempfile::tempdir().unwrap();
    let expected = reference(&tiny_dir());
    let wavs: Vec<_> = expected
        .audio
        .iter()
        .enumerate()
        .map(|(i, samples)| {
            let path = work.path().join(format!("utt{i}.wav"));
            write_wav(&path, samples);
            path
        })
        .collect();
    let checkpoint = tiny_dir().join("checkpoint.pt");
    let emit = |dir: &str, batch: &str| {
        let out_dir = work.path().join(dir);
        let mut args = vec![
            "transcribe",
            "--model",
            checkpoint.to_str().unwrap(),
            "--emit-logits",
            out_dir.to_str().unwrap(),
            "--batch-size",
            batch,
        ];
        args.extend(wavs.iter().map(|p| p.to_str().unwrap()));
        let out = trainer(&args, work.path(), &[]);
        assert!(out.status.success(), "{}", support::stderr(&out));
        (0..wavs.len())
            .map(|i| read_npy(&out_dir.join(format!("utt{i}.npy"))))
            .collect::<Vec<_>>()
    };
    let together = emit("together", "8");
    let alone = emit("alone", "1");
    for (i, ((shape, logits), (_, logits_alone))) in together.iter().zip(&alone).enumerate() {
        // The utterance's valid frames only, whatever it was padded to in the batch.
        assert_eq!(
            shape,
            &[expected.frame_lengths[i], expected.config.target_vocab_size]
        );
        let delta = logits
            .iter()
            .zip(logits_alone)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0_f32, f32::max);
        assert!(
            delta <= 1e-5,
            "utterance {i}: batched vs alone differ by {delta}"
        );
    }
}

/// Serves `files` (name → bytes) over HTTP for `requests` requests.
fn serve(files: Vec<(String, Vec<u8>)>, requests: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/mirror", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for _ in 0..requests {
            let (mut stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line.trim_end().is_empty() {
                    break;
                }
            }
            let path = request_line.split(' ').nth(1).unwrap_or_default();
            let found = files
                .iter()
                .find(|(name, _)| path == format!("/mirror/{name}"));
            let _ = match found {
                Some((_, body)) => stream
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .and_then(|()| stream.write_all(body)),
                None => stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                ),
            };
        }
    });
    base
}

#[test]
fn fetch_downloads_checkpoint_and_tokenizer_from_a_mirror() {
    let cache = tempfile::tempdir().unwrap();
    let checkpoint = fs_err::read(tiny_dir().join("checkpoint.pt")).unwrap();
    let tokenizer = b"not really a sentencepiece model".to_vec();
    let mirror = serve(
        vec![
            ("omniASR-CTC-300M.pt".into(), checkpoint.clone()),
            ("omniASR_tokenizer.model".into(), tokenizer.clone()),
        ],
        2,
    );
    let out = trainer(
        &["model", "fetch", "omniASR_CTC_300M"],
        cache.path(),
        &[("DIALEKT_ASSET_MIRROR", &mirror)],
    );
    assert!(out.status.success(), "{}", support::stderr(&out));
    let stdout = support::stdout(&out);
    let pt = cache.path().join("omniASR-CTC-300M.pt");
    assert!(
        stdout.contains(&format!("omniASR_CTC_300M\t{}", pt.display())),
        "{stdout}"
    );
    assert_eq!(fs_err::read(&pt).unwrap(), checkpoint);
    assert_eq!(
        fs_err::read(cache.path().join("omniASR_tokenizer.model")).unwrap(),
        tokenizer
    );

    // Cached now: no request is made (the server has stopped answering), and the
    // shape check catches that this file is not a 300m model.
    let out = trainer(
        &["model", "inspect", "omniASR_CTC_300M"],
        cache.path(),
        &[("DIALEKT_ASSET_MIRROR", &mirror)],
    );
    let stdout = support::stdout(&out);
    assert!(!out.status.success());
    assert!(stdout.contains("matches arch: MISMATCH"), "{stdout}");
    assert!(stdout.contains(&pt.display().to_string()), "{stdout}");
}

#[test]
fn offline_fetch_says_where_to_put_the_file() {
    let cache = tempfile::tempdir().unwrap();
    let out = trainer(
        &["model", "fetch", "omniASR_CTC_1B"],
        cache.path(),
        &[("DIALEKT_OFFLINE", "1")],
    );
    assert!(!out.status.success());
    let stderr = support::stderr(&out);
    assert!(stderr.contains("DIALEKT_OFFLINE"), "{stderr}");
    assert!(
        stderr.contains("https://dl.fbaipublicfiles.com/mms/omniASR-CTC-1B.pt"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&cache.path().join("omniASR-CTC-1B.pt").display().to_string()),
        "{stderr}"
    );
    let unknown = trainer(&["model", "fetch", "omniASR_CTC_9M"], cache.path(), &[]);
    assert!(support::stderr(&unknown).contains("known: omniASR_CTC_300M"));
}
