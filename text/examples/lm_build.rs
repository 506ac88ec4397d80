//! Estimate an ARPA model from a text file with `dialekt_text::lm::estimate` (lmplz's
//! modified Kneser–Ney), for the reference fixture generator and the benchmark.
//!
//! Usage: `lm_build ORDER TEXT OUT.arpa [--normalize] [--discount-fallback]` — with `--normalize`, the lines go
//! through CoRal's LM-corpus normalisation first (`lm::corpus::prepare`, no dedup).
//! `--discount-fallback` is lmplz's `--discount_fallback` (0.5 1 1.5).
//! Prints the elapsed seconds as JSON on stdout.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use dialekt_text::lm::corpus;
use dialekt_text::lm::estimate::{EstimateConfig, LMPLZ_DISCOUNT_FALLBACK, estimate};

mod support;

fn main() -> ExitCode {
    support::exit_status(run())
}

fn run() -> support::Outcome {
    let args: Vec<String> = std::env::args().collect();
    let [_, order, text, out, rest @ ..] = args.as_slice() else {
        return Err(
            "usage: lm_build ORDER TEXT OUT.arpa [--normalize] [--discount-fallback]".into(),
        );
    };
    let start = Instant::now();
    let text = std::fs::read_to_string(text)?;
    let lines: Vec<String> = if rest.iter().any(|arg| arg == "--normalize") {
        corpus::prepare(text.lines(), false)
    } else {
        text.lines().map(str::to_owned).collect()
    };
    let mut config = EstimateConfig::order(order.parse()?);
    if rest.iter().any(|arg| arg == "--discount-fallback") {
        config.discount_fallback = Some(LMPLZ_DISCOUNT_FALLBACK);
    }
    let model = estimate(&lines, &config)?;
    model.write_arpa_file(Path::new(out))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{{\"seconds\": {}}}", start.elapsed().as_secs_f64())?;
    Ok(())
}
