//! `trainer runs verify`: every artifact of a run re-hashed against its record, so that a
//! hand-edited file or a flipped byte is named rather than trusted.

use dialekt_core::store::{CONFIG_JSON_FILE, MANIFEST_FILE, METRICS_FILE, RUN_FILE, RunDir};

use crate::Error;
use crate::train::checkpoint;

/// One artifact checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Whether it matches its record.
    pub intact: bool,
    /// What was checked (or what is wrong with it).
    pub what: String,
}

/// Checks a run's id against its recorded inputs, its config, manifest and metrics chain,
/// and every checkpoint file.
///
/// # Errors
/// An unreadable `run.json` or checkpoint directory (a tampered file is a [`Check`], not
/// an error).
pub fn verify_run(dir: &RunDir) -> Result<Vec<Check>, Error> {
    let mut checks = Vec::new();
    let mut check = |intact: bool, what: String| checks.push(Check { intact, what });
    let record = dir.record()?;
    check(
        record.id_matches_inputs(),
        format!(
            "{RUN_FILE}: its inputs derive its id {}",
            record.run_id.short()
        ),
    );
    let config = dir.experiment().ok();
    check(
        config.is_some_and(|c| c.content_hash() == record.config_sha256),
        format!("{CONFIG_JSON_FILE}: hashes to the recorded config hash"),
    );
    let manifest = dir.manifest().ok();
    check(
        manifest.is_some_and(|m| m.is_consistent() && m.root == record.data_root),
        format!("{MANIFEST_FILE}: consistent, root is the recorded data root"),
    );
    match dir.metrics() {
        Ok(lines) => check(
            true,
            format!("{METRICS_FILE}: {} lines, hash chain intact", lines.len()),
        ),
        Err(e) => check(false, e.to_string()),
    }
    for saved in checkpoint::list(&dir.path)? {
        let name = format!("checkpoints/step_{}", saved.record.step);
        match saved.verify() {
            Ok(()) => check(true, format!("{name}: every file matches checkpoint.json")),
            Err(e) => check(false, crate::error::chain(&e)),
        }
    }
    Ok(checks)
}
