//! `trainer transcribe`: greedy CTC transcripts (and optionally logits) for audio files.
//!
//! Files are decoded, resampled to 16 kHz and normalised per utterance exactly as the training
//! data path does, then run in padded batches; the model masks padding, so a file's transcript
//! and logits do not depend on which files share its batch.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use dialekt_core::SAMPLE_RATE_HZ;
use dialekt_text::tokenizer::Tokenizer;

use crate::assets::asset::resolve_model;
use crate::commands::decoder_args::{DecoderArgs, DecoderKind};
use crate::decoding::{DecoderChoice, PreparedDecoder, Transcriber};
use burn::tensor::Device;
use dialekt_data::audio::decode_audio;
use dialekt_data::normalize::normalize_audio;
use dialekt_data::resample::resample;
use dialekt_model::backend::{self, Accelerator, BackendName, DeviceSpec};
use dialekt_model::checkpoint::{LoadedModel, load_model};
use dialekt_model::decode::greedy_decode;
use dialekt_model::{ArchConfig, AudioBatch, npy};

#[derive(Debug, Args)]
pub struct TranscribeArgs {
    /// Checkpoint (`.pt`, fairseq2 `step_N` directory) or asset name (`omniASR_CTC_300M`).
    #[arg(long)]
    pub model: String,
    /// SentencePiece model; without it, token ids are printed.
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    /// Arch preset or YAML/JSON dimensions file; inferred from tensor shapes otherwise.
    #[arg(long)]
    pub arch: Option<String>,
    /// Write `<audio stem>.npy` (float32 `[frames, vocab]`, valid frames only) here.
    #[arg(long)]
    pub emit_logits: Option<PathBuf>,
    /// `tch` (libtorch), `flex` (pure Rust) or `cuda` (CubeCL).
    #[arg(long, default_value_t = backend::default_compiled())]
    pub backend: BackendName,
    /// `cpu`, `cuda`, `cuda:N` or `auto`.
    #[arg(long, default_value_t = DeviceSpec::Cpu)]
    pub device: DeviceSpec,
    /// Files per padded batch.
    #[arg(long, default_value_t = 8)]
    pub batch_size: usize,
    /// Audio files (WAV or FLAC, any rate, mono or multi-channel).
    #[arg(required = true)]
    pub audio: Vec<PathBuf>,
    #[command(flatten)]
    pub decoder: DecoderArgs,
}

impl TranscribeArgs {
    /// # Errors
    /// Unreadable model, tokenizer or audio, with the file named.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let accelerator = Accelerator::choose(
            self.device,
            self.backend,
            backend::nvidia_driver_present(),
            None,
        );
        let device = backend::device(self.backend, accelerator)?;
        let (path, asset) = resolve_model(&self.model)?;
        let arch = match (self.arch.as_deref(), asset) {
            (Some(arch), _) => Some(ArchConfig::from_name_or_file(arch)?),
            (None, Some(asset)) => Some(ArchConfig::preset(asset.arch)?),
            (None, None) => None,
        };
        let loaded = load_model(&path, arch, &device)?;
        let mut err = std::io::stderr().lock();
        for assumption in &loaded.assumed {
            writeln!(err, "note: assumed {assumption} (pass --arch to set it)")?;
        }
        drop(err);
        let tokenizer = self
            .tokenizer
            .as_deref()
            .map(|p| {
                Tokenizer::from_file(p)
                    .with_context(|| format!("reading tokenizer {}", p.display()))
            })
            .transpose()?;
        if let Some(tokenizer) = &tokenizer
            && tokenizer.vocab_size() != loaded.arch.target_vocab_size
        {
            anyhow::bail!(
                "tokenizer has {} pieces but the model's head has {}",
                tokenizer.vocab_size(),
                loaded.arch.target_vocab_size
            );
        }
        let choice = self.decoder.choice(DecoderKind::Greedy)?;
        let prepared = match (&choice, &tokenizer) {
            (DecoderChoice::Greedy, _) => None,
            (DecoderChoice::Beam(_), None) => {
                anyhow::bail!("--decoder beam needs --tokenizer (it spells words from pieces)")
            }
            (DecoderChoice::Beam(_), Some(tokenizer)) => PreparedDecoder::load(&choice, tokenizer)?,
        };
        match (&prepared, &tokenizer) {
            (Some(prepared), Some(tokenizer)) => prepared.with_decoder(|decoder| {
                self.transcribe_all(
                    &loaded,
                    &device,
                    Some(tokenizer),
                    Transcriber::Beam(decoder),
                )
            })??,
            _ => self.transcribe_all(&loaded, &device, tokenizer.as_ref(), Transcriber::Greedy)?,
        }
        Ok(ExitCode::SUCCESS)
    }

    /// Runs the model over the files in batches and prints `file<TAB>transcript` (token ids
    /// without a tokenizer), writing logits first if asked.
    fn transcribe_all(
        &self,
        loaded: &LoadedModel,
        device: &Device,
        tokenizer: Option<&Tokenizer>,
        transcriber: Transcriber<'_>,
    ) -> anyhow::Result<()> {
        let vocab = loaded.arch.target_vocab_size;
        let mut out = std::io::stdout().lock();
        for files in self.audio.chunks(self.batch_size.max(1)) {
            let waveforms = files
                .iter()
                .map(|f| read_waveform(f))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let batch = AudioBatch::from_waveforms(&waveforms, device);
            let output = loaded
                .model
                .forward(&loaded.arch, &batch)
                .with_context(|| format!("running {}", files[0].display()))?;
            if let Some(dir) = &self.emit_logits {
                write_logits(dir, files, &output, vocab)?;
            }
            let texts: Vec<String> = match tokenizer {
                Some(tokenizer) => transcriber
                    .transcribe(&output, tokenizer)?
                    .into_iter()
                    .map(|t| t.text)
                    .collect(),
                None => greedy_decode(&output)
                    .iter()
                    .map(|ids| {
                        ids.iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect(),
            };
            for (file, text) in files.iter().zip(texts) {
                writeln!(out, "{}\t{text}", file.display())?;
            }
        }
        Ok(())
    }
}

/// Decoded, 16 kHz, normalised samples of one file.
fn read_waveform(path: &Path) -> anyhow::Result<Vec<f32>> {
    let bytes = fs_err::read(path)?;
    let audio = decode_audio(&bytes).with_context(|| format!("decoding {}", path.display()))?;
    let mut samples = resample(&audio.samples, audio.sample_rate_hz, SAMPLE_RATE_HZ)
        .with_context(|| format!("resampling {}", path.display()))?;
    normalize_audio(&mut samples);
    Ok(samples)
}

fn write_logits(
    dir: &Path,
    files: &[PathBuf],
    output: &dialekt_model::CtcOutput,
    vocab: usize,
) -> anyhow::Result<()> {
    for (i, (file, logits)) in files.iter().zip(output.valid_logits()).enumerate() {
        let stem = file
            .file_stem()
            .map_or_else(|| format!("{i}"), |s| s.to_string_lossy().into_owned());
        npy::write_f32(
            &dir.join(format!("{stem}.npy")),
            &[logits.len() / vocab.max(1), vocab],
            &logits,
        )?;
    }
    Ok(())
}
