//! Turning an experiment into a recorded run: resolve the config, hash the data,
//! capture code and environment, derive the run id and create `runs/<id>/`.
//! `trainer runs init` stops there; `trainer run` goes on to train.

use std::path::{Path, PathBuf};

use dialekt_core::config::{BackendName, Resolved};
use dialekt_core::lineage::{
    CodeVersion, Environment, RUN_RECORD_VERSION, RunId, RunRecord, capture_code, cpu_model,
    project_root,
};
use dialekt_core::manifest::{BuildOptions, Manifest, build, default_cache_path};
use dialekt_core::store::{NewRun, RunDir, RunStore};

use crate::Error;
use crate::distributed::GangConfig;
use crate::error::During as _;
use crate::plan::{ExperimentSource, RunPlan};
use crate::progress::ByteProgress;

/// Everything a run is derived from, before anything is written.
#[derive(Debug)]
pub struct PlannedRun {
    pub plan: RunPlan,
    pub manifest: Manifest,
    pub code: CodeVersion,
    pub patch: Vec<u8>,
    pub record: RunRecord,
}

impl PlannedRun {
    /// Resolves the experiment, plans it and computes its run id.
    ///
    /// # Errors
    /// Config errors, a missing or unreadable dataset (with how to prepare it), git errors.
    pub fn plan(source: &ExperimentSource) -> Result<Self, Error> {
        let (plan, resolved) = RunPlan::from_source(source)?;
        Self::new(plan, &resolved)
    }

    /// Computes the run id of a planned experiment (`resolved` is what it was planned
    /// from: its source files and overrides are recorded).
    ///
    /// # Errors
    /// A missing or unreadable dataset (with how to prepare it), git errors.
    pub fn new(plan: RunPlan, resolved: &Resolved) -> Result<Self, Error> {
        plan.check_data_dir()?;
        let manifest = data_manifest(&plan.data_root)?;
        let experiment = &plan.experiment;
        let (code, patch) = capture_code(&plan.project_root)?;
        let environment = environment(experiment.backend.name);
        let config_sha256 = experiment.content_hash();
        let run_id = RunId::derive(
            &config_sha256,
            &manifest.root,
            &code.content_hash(),
            &environment.lock_hash(),
            experiment.seed,
        );
        let record = RunRecord {
            version: RUN_RECORD_VERSION,
            run_id,
            experiment: experiment.name.clone().unwrap_or_default(),
            config_sha256,
            config_sources: resolved.sources.clone(),
            overrides: resolved.overrides.clone(),
            data_root: manifest.root,
            code: code.clone(),
            environment_lock_sha256: environment.lock_hash(),
            seed: experiment.seed,
            parent_run: None,
            parent_checkpoint_sha256: None,
            attempts: Vec::new(),
            reproductions: Vec::new(),
        };
        Ok(Self {
            plan,
            manifest,
            code,
            patch,
            record,
        })
    }

    /// The run store the experiment's `output` names.
    #[must_use]
    pub fn store(&self) -> RunStore {
        RunStore::new(absolute_in(
            &self.plan.project_root,
            &self.plan.experiment.output,
        ))
    }

    /// Creates the run directory; `true` in the result when it already existed.
    ///
    /// # Errors
    /// Write errors naming the file.
    pub fn create(&self) -> Result<(RunDir, bool), Error> {
        let new = NewRun {
            record: &self.record,
            experiment: &self.plan.experiment,
            manifest: &self.manifest,
            patch: &self.patch,
        };
        Ok(self.store().create(&new)?)
    }
}

/// The manifest of a prepared dataset (files unchanged since the last build are taken
/// from the stat cache), with a progress bar.
///
/// # Errors
/// Unreadable files, named.
pub fn data_manifest(data_dir: &Path) -> Result<Manifest, Error> {
    let progress = ByteProgress::new("hashing data");
    let options = BuildOptions {
        cache: default_cache_path(data_dir),
        rehash: false,
    };
    let manifest = build(data_dir, &options, &progress)
        .during(|| format!("building the manifest of {}", data_dir.display()))?;
    progress.finish();
    Ok(manifest)
}

/// The project a run store belongs to: the git work tree containing it (paths in its
/// runs' configs are relative to that).
#[must_use]
pub fn store_project_root(store: &Path) -> PathBuf {
    let dir = store.parent().filter(|p| !p.as_os_str().is_empty());
    project_root(dir.unwrap_or(Path::new(".")))
}

/// Now, as the RFC 3339 UTC timestamp run records use.
#[must_use]
pub fn timestamp() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

fn absolute_in(root: &Path, path: &str) -> PathBuf {
    let path = Path::new(path);
    if path.is_absolute() {
        path.to_owned()
    } else {
        root.join(path)
    }
}

/// The environment of this process: build facts baked in by `build.rs`, the backend,
/// and the machine.
#[must_use]
pub fn environment(backend: BackendName) -> Environment {
    let (name, version) = match backend {
        BackendName::Tch => (
            "tch",
            format!("libtorch {}", env!("DIALEKT_LIBTORCH_VERSION")),
        ),
        BackendName::Flex => ("flex", "burn-flex".to_owned()),
        BackendName::Cuda => ("cuda", "cubecl-cuda".to_owned()),
    };
    Environment {
        rustc: env!("DIALEKT_RUSTC_VERSION").to_owned(),
        target: env!("DIALEKT_TARGET").to_owned(),
        cargo_lock_sha256: env!("DIALEKT_CARGO_LOCK_SHA256")
            .parse()
            .unwrap_or(dialekt_core::ContentHash([0; 32])),
        backend: name.to_owned(),
        backend_version: version,
        // The launcher's word (torchrun, srun, --nproc-per-node); a malformed one is
        // reported when the gang is joined.
        world_size: GangConfig::from_process_env()
            .ok()
            .flatten()
            .map_or(1, |gang| gang.world_size),
        cpu_model: cpu_model(),
        gpu_model: None,
        threads: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        os: std::env::consts::OS.to_owned(),
    }
}
