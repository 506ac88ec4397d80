//! `cargo run --release -p dialekt-core --example manifest -- <dir> [--no-cache]`
//!
//! The manifest builder that `trainer data manifest` calls, without the trainer's
//! tensor dependencies: what `bench/manifest.sh` times against sha256sum and openssl.

use std::path::PathBuf;
use std::process::ExitCode;

use dialekt_core::manifest::{BuildOptions, build, default_cache_path};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(PathBuf::from)
    else {
        eprintln!("usage: manifest <dir> [--no-cache]");
        return ExitCode::from(2);
    };
    let cache = if args.iter().any(|a| a == "--no-cache") {
        None
    } else {
        default_cache_path(&dir)
    };
    match build(
        &dir,
        &BuildOptions {
            cache,
            rehash: false,
        },
        &(),
    ) {
        Ok(manifest) => {
            eprintln!(
                "{} files, {} bytes, root {}",
                manifest.files.len(),
                manifest.total_bytes,
                manifest.root
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
