//! `trainer decode --logits <file.npy|dir> --tokenizer <spm>`: transcripts of stored logits
//! (`[frames, vocab]`, as `trainer transcribe --emit-logits` writes them, or anything
//! saved with NumPy), so a decoder and its LM weights can be tried without re-running the
//! model, and the decoder can be checked on its own.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Args;
use dialekt_model::npy;
use dialekt_text::tokenizer::Tokenizer;

use crate::commands::decoder_args::{DecoderArgs, DecoderKind};
use crate::decoding::PreparedDecoder;

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// A `.npy` file of `[frames, vocab]` logits (or log-probabilities), or a directory of
    /// them (one utterance each).
    #[arg(long)]
    pub logits: PathBuf,
    /// The SentencePiece model the logits' columns are the pieces of (blank = id 0).
    #[arg(long)]
    pub tokenizer: PathBuf,
    #[command(flatten)]
    pub decoder: DecoderArgs,
}

impl DecodeArgs {
    /// # Errors
    /// Unreadable files (named), logits that do not fit the tokenizer, bad flags.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let tokenizer = Tokenizer::from_file(&self.tokenizer)
            .with_context(|| format!("reading tokenizer {}", self.tokenizer.display()))?;
        let choice = self.decoder.choice(DecoderKind::Beam)?;
        let prepared = PreparedDecoder::load(&choice, &tokenizer)?;
        let files = npy_files(&self.logits)?;
        match &prepared {
            // One decoder (and one LM scorer) for every file.
            Some(prepared) => prepared.with_decoder(|decoder| {
                print_transcripts(&files, &tokenizer, |logits, vocab| {
                    Ok(decoder.decode(logits, vocab)?)
                })
            })??,
            None => print_transcripts(&files, &tokenizer, |logits, vocab| {
                Ok(greedy(logits, vocab, &tokenizer))
            })?,
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// `name<TAB>transcript` for every file, in order.
fn print_transcripts(
    files: &[PathBuf],
    tokenizer: &Tokenizer,
    mut transcribe: impl FnMut(&[f32], usize) -> anyhow::Result<String>,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for file in files {
        let array = npy::read(file)?;
        let [_, vocab] = array.shape[..] else {
            bail!(
                "{}: logits must be [frames, vocab], not {:?}",
                file.display(),
                array.shape
            );
        };
        if vocab != tokenizer.vocab_size() {
            bail!(
                "{}: {vocab} columns, but the tokenizer has {} pieces",
                file.display(),
                tokenizer.vocab_size()
            );
        }
        let text = transcribe(&array.data, vocab)
            .with_context(|| format!("decoding {}", file.display()))?;
        let name = file
            .file_stem()
            .map(|s| s.to_string_lossy())
            .unwrap_or_default();
        writeln!(out, "{name}\t{text}")?;
    }
    Ok(())
}

/// `path` itself, or the `.npy` files in it, by name.
fn npy_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files: Vec<PathBuf> = fs_err::read_dir(path)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|p| p.extension().is_some_and(|e| e == "npy"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("{}: no .npy files", path.display());
    }
    Ok(files)
}

/// Greedy CTC on a host matrix: argmax per frame, repeats collapsed, blanks dropped.
fn greedy(logits: &[f32], vocab: usize, tokenizer: &Tokenizer) -> String {
    let best = logits.chunks_exact(vocab).map(|frame| {
        let (id, _) = frame
            .iter()
            .enumerate()
            .fold((0, f32::NEG_INFINITY), |best, (i, &v)| {
                if v > best.1 { (i, v) } else { best }
            });
        u32::try_from(id).unwrap_or(0)
    });
    tokenizer.decode(&dialekt_model::decode::collapse(best))
}
