//! Score a file of hypotheses against a file of references (one utterance per line) and
//! print the pooled counts and the best-of-N alignment time as JSON. Used by
//! `bench/text/score.sh` to compare with jiwer on the same machine.
//!
//! Usage: `score_files REFS HYPS [REPEATS] [PER_PAIR_OUT]`

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use dialekt_text::io::{check_same_length, read_lines};
use dialekt_text::metrics::Summary;
use dialekt_text::score::pair_counts;

mod support;

fn main() -> ExitCode {
    support::exit_status(run())
}

fn run() -> support::Outcome {
    let args: Vec<String> = std::env::args().collect();
    let (refs_path, hyps_path) = match (args.get(1), args.get(2)) {
        (Some(r), Some(h)) => (Path::new(r), Path::new(h)),
        _ => return Err("usage: score_files REFS HYPS [REPEATS] [PER_PAIR_OUT]".into()),
    };
    let repeats: usize = args.get(3).map_or(Ok(5), |r| r.parse())?;
    let references = read_lines(refs_path)?;
    let hypotheses = read_lines(hyps_path)?;
    check_same_length((refs_path, references.len()), (hyps_path, hypotheses.len()))?;

    let mut best = f64::INFINITY;
    let mut pairs = Vec::new();
    for _ in 0..repeats.max(1) {
        let start = Instant::now();
        pairs = pair_counts(&references, &hypotheses, None);
        best = best.min(start.elapsed().as_secs_f64());
    }
    let summary = Summary::from_pairs(&pairs);
    if let Some(path) = args.get(4) {
        let mut text = String::new();
        for pair in &pairs {
            let (w, c) = (pair.words, pair.chars);
            text.push_str(&format!(
                "{} {} {} {} {} {} {} {}\n",
                w.hits,
                w.substitutions,
                w.deletions,
                w.insertions,
                c.hits,
                c.substitutions,
                c.deletions,
                c.insertions
            ));
        }
        let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
        file.write_all(text.as_bytes())?;
    }
    let counts =
        |c: dialekt_text::align::EditCounts| [c.hits, c.substitutions, c.deletions, c.insertions];
    let report = serde_json::json!({
        "pairs": pairs.len(),
        "seconds": best,
        "words": counts(summary.words),
        "chars": counts(summary.chars),
        "wer": summary.wer,
        "cer": summary.cer,
    });
    writeln!(std::io::stdout().lock(), "{report}")?;
    Ok(())
}
