//! `trainer report`: the browser viewer's bundle, built natively from a run store.
//!
//! The wasm viewer (crate `dialekt-viewer`, built by `./dev viewer`) is static: this
//! module copies it next to a `data/` folder of pre-aggregated JSON (the schema is
//! [`dialekt_core::report`]), so a report folder can be served by anything, or by
//! [`serve`], which also rebuilds the data while runs train.

pub mod collect;
pub mod evaluation;
pub mod serve;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use dialekt_core::atomic::write_compact_json_atomic as write_json_atomic;
use dialekt_core::hash::ContentHash;
use dialekt_core::lineage::RunId;
use dialekt_core::report::{Index, RunSummary, SCHEMA_VERSION, pair_file};
use dialekt_core::store::RunStore;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::error::During as _;
use crate::recording::{store_project_root, timestamp};

/// The files of a built viewer (`./dev viewer` writes them to `viewer/dist/`).
pub const VIEWER_FILES: [&str; 5] = [
    "index.html",
    "boot.js",
    "viewer.js",
    "viewer_bg.wasm",
    "plotly-basic.min.js",
];

/// Where `./dev viewer` puts the built viewer, unless `DIALEKT_VIEWER_DIST` says otherwise.
#[must_use]
pub fn default_viewer_dist() -> PathBuf {
    std::env::var_os("DIALEKT_VIEWER_DIST").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../viewer/dist"),
        PathBuf::from,
    )
}

/// Builds the report of every run in `store` into `out`: the viewer's files from
/// `viewer_dist`, and `data/`.
///
/// # Errors
/// A missing viewer build, unreadable runs (named), write errors.
pub fn build(store: &Path, viewer_dist: &Path, out: &Path, live: bool) -> Result<Index, Error> {
    copy_viewer(viewer_dist, out)?;
    write_data(store, out, live)
}

/// Copies the built viewer into `out`.
///
/// # Errors
/// A viewer file missing from `viewer_dist` (with how to build it), write errors.
pub fn copy_viewer(viewer_dist: &Path, out: &Path) -> Result<(), Error> {
    let missing: Vec<&str> = VIEWER_FILES
        .into_iter()
        .filter(|f| !viewer_dist.join(f).is_file())
        .collect();
    if !missing.is_empty() {
        return Err(Error::NotFound(format!(
            "the viewer is not built: {} missing from {} (build it with `./dev viewer`, or point DIALEKT_VIEWER_DIST at a build)",
            missing.join(", "),
            viewer_dist.display()
        )));
    }
    fs_err::create_dir_all(out)?;
    for file in VIEWER_FILES {
        let bytes = fs_err::read(viewer_dist.join(file))?;
        dialekt_core::atomic::write_atomic(&out.join(file), &bytes)?;
    }
    Ok(())
}

/// Where [`write_data`] remembers what each run's files were built from.
const BUILD_CACHE: &str = ".build-cache.json";

/// Per run: the hash of its report inputs when its files were last written, and its
/// summary, so that a rebuild (every few seconds while serving) redoes only what changed.
#[derive(Debug, Default, Serialize, Deserialize)]
struct BuildCache {
    schema_version: u32,
    runs: BTreeMap<String, CachedRun>,
}

#[derive(Debug, Serialize, Deserialize)]
struct CachedRun {
    inputs: ContentHash,
    summary: RunSummary,
}

/// Writes `out/data/`: the index, one report and one full series file per run, and the
/// paired comparison of every two runs evaluated on the same split. Runs whose inputs
/// are unchanged since the last build of `out` (and pairs of two such runs) are kept.
///
/// # Errors
/// Unreadable runs or evaluations (named), write errors.
pub fn write_data(store: &Path, out: &Path, live: bool) -> Result<Index, Error> {
    let data = out.join("data");
    for dir in ["runs", "series", "pairs"] {
        fs_err::create_dir_all(data.join(dir))?;
    }
    let counts = collect::DataCounts {
        project_root: store_project_root(store),
        cache_dir: data.join("counts"),
    };
    let cache_path = out.join(BUILD_CACHE);
    let previous: BuildCache = fs_err::read(&cache_path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .filter(|c: &BuildCache| c.schema_version == SCHEMA_VERSION)
        .unwrap_or_default();
    let mut cache = BuildCache {
        schema_version: SCHEMA_VERSION,
        runs: BTreeMap::new(),
    };
    let store = RunStore::new(store);
    let mut runs = Vec::new();
    let mut changed = BTreeSet::new();
    let mut evaluated: BTreeMap<String, Vec<(RunId, PathBuf)>> = BTreeMap::new();
    for record in store
        .list()
        .during(|| format!("listing runs in {}", store.root().display()))?
    {
        let run = store.dir(record.run_id);
        let inputs = inputs_hash(&run.path);
        let (report_file, series_file) = (
            data.join(format!("runs/{}.json", run.id)),
            data.join(format!("series/{}.json", run.id)),
        );
        let cached = previous
            .runs
            .get(&run.id.to_string())
            .filter(|c| c.inputs == inputs && report_file.is_file() && series_file.is_file());
        let summary = if let Some(cached) = cached {
            cached.summary.clone()
        } else {
            let (report, full) = collect::run_report(&run, &counts)
                .during(|| format!("reading run {}", run.path.display()))?;
            write_json_atomic(&report_file, &report)?;
            write_json_atomic(&series_file, &full)?;
            changed.insert(run.id);
            report.summary
        };
        for (split, dir) in newest_evaluation_per_split(&run.path)? {
            evaluated.entry(split).or_default().push((run.id, dir));
        }
        cache.runs.insert(
            run.id.to_string(),
            CachedRun {
                inputs,
                summary: summary.clone(),
            },
        );
        runs.push(summary);
    }
    runs.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(a.id.cmp(&b.id)));
    let mut pairs = Vec::new();
    for (split, members) in &evaluated {
        for (i, (a, a_dir)) in members.iter().enumerate() {
            for (b, b_dir) in &members[i + 1..] {
                let (first, second) = if a < b {
                    ((*a, a_dir.as_path()), (*b, b_dir.as_path()))
                } else {
                    ((*b, b_dir.as_path()), (*a, a_dir.as_path()))
                };
                let file = data.join(pair_file(&first.0, &second.0));
                if !changed.contains(a) && !changed.contains(b) {
                    // Unchanged runs: paired before if and only if the file exists.
                    if file.is_file() {
                        pairs.push((first.0, second.0));
                    }
                    continue;
                }
                let Ok(pair) = evaluation::pair_report(first, second, split) else {
                    continue; // different utterances: nothing to pair
                };
                write_json_atomic(&file, &pair)?;
                pairs.push((pair.a, pair.b));
            }
        }
    }
    pairs.sort();
    pairs.dedup();
    let index = Index {
        schema_version: SCHEMA_VERSION,
        generated_at: timestamp(),
        generation: fingerprint(store.root())?.to_hex(),
        live,
        runs,
        pairs,
    };
    write_json_atomic(&data.join("index.json"), &index)?;
    write_json_atomic(&cache_path, &cache)?;
    Ok(index)
}

/// The newest (highest checkpoint step) greedy evaluation directory of each split: what
/// runs are paired on (a run's other decoders are compared with its greedy result on its
/// own page).
fn newest_evaluation_per_split(run_dir: &Path) -> Result<BTreeMap<String, PathBuf>, Error> {
    let mut newest: BTreeMap<String, (u64, PathBuf)> = BTreeMap::new();
    for dir in evaluation::eval_dirs(run_dir)? {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let Some((split, step, "")) = evaluation::parse_eval_dir(name) else {
            continue;
        };
        if newest.get(split).is_none_or(|(s, _)| step > *s) {
            newest.insert(split.to_owned(), (step, dir.clone()));
        }
    }
    Ok(newest.into_iter().map(|(k, (_, d))| (k, d)).collect())
}

/// A hash of the names, sizes and modification times of every file a report reads, so
/// that [`serve`] rebuilds only when a run changed.
///
/// # Errors
/// An unreadable store directory.
pub fn fingerprint(store: &Path) -> Result<ContentHash, Error> {
    if !store.is_dir() {
        return Err(Error::NotFound(format!(
            "{}: not a run store directory",
            store.display()
        )));
    }
    Ok(inputs_hash(store))
}

/// The hash of the report inputs below `dir` (names, sizes, modification times).
fn inputs_hash(dir: &Path) -> ContentHash {
    let mut entries = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        let Ok(read) = fs_err::read_dir(&dir) else {
            continue; // removed while we looked
        };
        for entry in read.filter_map(Result::ok) {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if meta.is_dir() && !name.starts_with('.') && name != "checkpoints" {
                pending.push(path);
            } else if meta.is_file() && collect::is_report_input(&path) {
                let modified = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                entries.push(format!("{}\t{}\t{modified}", path.display(), meta.len()));
            }
        }
    }
    entries.sort();
    ContentHash::tagged("dialekt/report-inputs/v1", entries.join("\n").as_bytes())
}
