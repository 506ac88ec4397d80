//! `trainer text normalize`: transcript normalisation as a line filter (stdin → stdout),
//! so references, hypotheses and LM corpora can be prepared with exactly the normaliser
//! the scorer and the training targets use.

use std::io::{BufRead as _, Write as _};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;
use dialekt_text::normalize::Style;

#[derive(Debug, Subcommand)]
pub enum TextCommand {
    /// Normalise stdin line by line to stdout.
    Normalize {
        /// `coral`: CoRal's evaluation normalisation (numerals → Danish words, lower-case,
        /// fillers removed, allow-list). `omniasr`: omnilingual-asr's data-prep
        /// `text_normalize`, used for training targets.
        #[arg(long)]
        style: Style,
    },
}

impl TextCommand {
    /// # Errors
    /// A stdin line that is not UTF-8 (naming the line), or an I/O failure.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let Self::Normalize { style } = self;
        let stdin = std::io::stdin().lock();
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for (index, line) in stdin.split(b'\n').enumerate() {
            let line = line.context("reading stdin")?;
            let line = line.strip_suffix(b"\r").unwrap_or(&line);
            let text = std::str::from_utf8(line)
                .with_context(|| format!("line {} is not valid UTF-8: <stdin>", index + 1))?;
            writeln!(out, "{}", style.apply(text)).context("writing stdout")?;
        }
        out.flush().context("writing stdout")?;
        Ok(ExitCode::SUCCESS)
    }
}
