//! Load an ARPA model (or its binary cache) with `dialekt_text::lm` and report the time
//! and memory it took, for `bench/decode/run.sh` (which loads it with kenlm too).
//!
//! Usage: `lm_load ARPA [CACHE]` — with CACHE, `lm::load` uses (or writes) the cache.
//! Prints `{"seconds": …, "rss_bytes": …, "peak_rss_bytes": …, "heap_bytes": …,
//! "cache": "…"}`: resident memory after loading minus before, the peak likewise
//! (`VmHWM`), and the model's own heap estimate.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

mod support;

fn main() -> ExitCode {
    support::exit_status(run())
}

/// A `VmRSS`/`VmHWM` line of /proc/self/status, in bytes.
fn status_bytes(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(key))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches(" kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kb| kb * 1024)
}

fn run() -> support::Outcome {
    let args: Vec<String> = std::env::args().collect();
    let Some(arpa) = args.get(1) else {
        return Err("usage: lm_load ARPA [CACHE]".into());
    };
    let (rss, peak) = (status_bytes("VmRSS:"), status_bytes("VmHWM:"));
    let start = Instant::now();
    let (model, cache) = dialekt_text::lm::load(Path::new(arpa), args.get(2).map(Path::new))?;
    let seconds = start.elapsed().as_secs_f64();
    let rss_bytes = status_bytes("VmRSS:").saturating_sub(rss);
    let peak_rss_bytes = status_bytes("VmHWM:").saturating_sub(peak);
    writeln!(
        std::io::stdout().lock(),
        "{{\"seconds\": {seconds}, \"rss_bytes\": {rss_bytes}, \"peak_rss_bytes\": {peak_rss_bytes}, \"heap_bytes\": {}, \"cache\": \"{cache:?}\", \"ngrams\": {}}}",
        model.heap_bytes(),
        model.counts().iter().sum::<u64>()
    )?;
    Ok(())
}
