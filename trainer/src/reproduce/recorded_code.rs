//! Reproducing with the code that made the run. When the checked-out code is not the
//! recorded code, re-running with today's trainer would test today's code, not the run.
//! Instead the recorded commit and uncommitted patch are checked out into a temporary
//! git worktree, the trainer is built there, and *that* trainer performs the
//! reproduction (`reproduce --code-from <worktree>`), with the data of this checkout.
//!
//! The build goes to a target directory of its own (so the user's `target/` binary is
//! never replaced by an old one), kept in the cache between reproductions. The first time,
//! it is seeded with the compiled dependencies of the running trainer's own target
//! directory, so that only dialekt's crates are compiled rather than all of burn.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use dialekt_core::lineage::{RecordedCheckout, RunRecord};
use dialekt_core::store::{PATCH_FILE, RunDir};

use super::{Input, ReproduceOptions};
use crate::Error;
use crate::error::During as _;

/// Checks the recorded code out, builds its trainer and has it reproduce the run; the
/// exit code is that trainer's.
///
/// # Errors
/// The recorded code cannot be checked out (named), the build or the trainer fails.
pub fn reproduce(
    args: &ReproduceOptions,
    original: &RunDir,
    record: &RunRecord,
    root: &Path,
) -> Result<ExitCode, Error> {
    let patch = if record.code.dirty {
        fs_err::read(original.file(PATCH_FILE))?
    } else {
        Vec::new()
    };
    let commit = record.code.commit.as_deref().unwrap_or("(none)");
    let checkout = RecordedCheckout::create(root, &record.code, &patch).during(|| {
        format!(
            "cannot check out the code of run {} (reproduce with --allow code to use today's code instead)",
            record.run_id.short()
        )
    })?;
    eprintln!(
        "reproducing with the recorded code: commit {commit}{} checked out in {}",
        if patch.is_empty() {
            ""
        } else {
            " with its recorded uncommitted changes"
        },
        checkout.path().display()
    );
    let trainer = build(checkout.path())?;

    let store = std::path::absolute(&args.store)?;
    let mut command = Command::new(&trainer);
    command
        .arg("reproduce")
        .arg(record.run_id.to_string())
        .arg("--store")
        .arg(store)
        .arg("--code-from")
        .arg(checkout.path())
        .arg("--tolerance")
        .arg(args.tolerance.to_string());
    if let Some(steps) = args.steps {
        command.arg("--steps").arg(steps.to_string());
    }
    if let Some(step) = args.from_checkpoint {
        command.arg("--from-checkpoint").arg(step.to_string());
    }
    let allowed: Vec<String> = args
        .allow
        .iter()
        .filter(|input| **input != Input::Code)
        .map(|input| format!("{input:?}").to_lowercase())
        .collect();
    if !allowed.is_empty() {
        command.arg("--allow").arg(allowed.join(","));
    }
    let status = command.status().map_err(|e| Error::Program {
        program: trainer.display().to_string(),
        message: format!("cannot run it: {e}"),
    })?;
    drop(checkout);
    Ok(status
        .code()
        .and_then(|code| u8::try_from(code).ok())
        .map_or(ExitCode::FAILURE, ExitCode::from))
}

/// Builds the trainer of the checkout at `source` and returns its path.
fn build(source: &Path) -> Result<PathBuf, Error> {
    if !source.join("Cargo.toml").is_file() {
        return Err(Error::Mismatch(
            "the recorded code has no Cargo.toml at its root: it is not a dialekt checkout whose trainer can be rebuilt; reproduce with --allow code to use today's trainer instead".to_owned(),
        ));
    }
    let profile = Profile::of_running_trainer();
    let target = build_cache();
    let output = target.join(&profile.dir_name);
    if !output.exists()
        && let Some(seed) = &profile.seed
    {
        eprintln!(
            "seeding {} with the compiled dependencies of {} (once)",
            output.display(),
            seed.display()
        );
        seed_target(seed, &output)?;
    }
    let features = FeatureSelection::new(&running_features(), &declared_features(source)?);
    for feature in &features.undeclared {
        eprintln!("the recorded code has no feature `{feature}`: building its trainer without it");
    }
    eprintln!(
        "building the recorded trainer (cargo build --profile {} {}) into {}",
        profile.cargo_name,
        features.cargo_args().join(" "),
        target.display()
    );
    let status = cargo_in(source)
        .args([
            "build",
            "--locked",
            "-p",
            "dialekt-trainer",
            "--bin",
            "trainer",
        ])
        .args(["--profile", &profile.cargo_name])
        .args(features.cargo_args())
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .map_err(|e| {
            cargo_failed(format!(
                "cannot run it (is a Rust toolchain installed?): {e}"
            ))
        })?;
    if !status.success() {
        return Err(cargo_failed(format!(
            "building the trainer of the recorded code failed ({status}); reproduce with --allow code to use today's trainer instead"
        )));
    }
    let trainer = output.join(format!("trainer{}", std::env::consts::EXE_SUFFIX));
    if !trainer.is_file() {
        return Err(cargo_failed(format!(
            "the build produced no {}",
            trainer.display()
        )));
    }
    Ok(trainer)
}

fn cargo_failed(message: String) -> Error {
    Error::Program {
        program: "cargo".to_owned(),
        message,
    }
}

/// Cargo, run in the checkout: its own rust-toolchain.toml picks the toolchain, as it did
/// for the run.
fn cargo_in(source: &Path) -> Command {
    let mut cargo = Command::new("cargo");
    cargo
        .current_dir(source)
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTC");
    cargo
}

/// The features of the running trainer (build.rs), `default` among them when the
/// defaults are on.
fn running_features() -> Vec<&'static str> {
    env!("DIALEKT_FEATURES")
        .split(',')
        .filter(|feature| !feature.is_empty())
        .collect()
}

/// The features the recorded code's `dialekt-trainer` declares, as cargo reads them.
fn declared_features(source: &Path) -> Result<BTreeSet<String>, Error> {
    let output = cargo_in(source)
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .output()
        .map_err(|e| {
            cargo_failed(format!(
                "cannot run cargo metadata (is a Rust toolchain installed?): {e}"
            ))
        })?;
    if !output.status.success() {
        return Err(cargo_failed(format!(
            "cargo metadata failed on the recorded code ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| cargo_failed(format!("cannot read cargo metadata's output: {e}")))?;
    metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|package| package["name"] == "dialekt-trainer")
        .and_then(|package| package["features"].as_object())
        .map(|features| features.keys().cloned().collect())
        .ok_or_else(|| cargo_failed("the recorded code has no dialekt-trainer package".to_owned()))
}

/// The running trainer's features, as far as the recorded code declares them: the
/// rebuilt trainer can then run the same backends (a run on `cuda` needs `cuda`), and
/// shares the seeded dependencies, which were compiled for these features.
#[derive(Debug, PartialEq, Eq)]
struct FeatureSelection {
    /// Whether the defaults are on, as they were for the running trainer.
    defaults: bool,
    /// The other features, declared by the recorded code.
    features: Vec<String>,
    /// Features of the running trainer that the recorded code does not declare.
    undeclared: Vec<String>,
}

impl FeatureSelection {
    fn new(running: &[&str], declared: &BTreeSet<String>) -> Self {
        let (features, undeclared) = running
            .iter()
            .filter(|feature| **feature != "default")
            .map(|feature| (*feature).to_owned())
            .partition(|feature| declared.contains(feature));
        Self {
            defaults: running.contains(&"default"),
            features,
            undeclared,
        }
    }

    fn cargo_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if !self.defaults {
            args.push("--no-default-features".to_owned());
        }
        if !self.features.is_empty() {
            args.push(format!("--features={}", self.features.join(",")));
        }
        args
    }
}

/// The cargo profile to build with: the running trainer's, so that the rebuilt one
/// computes the same way (optimisation levels can change floating-point results).
#[derive(Debug, PartialEq, Eq)]
struct Profile {
    /// As `cargo build --profile` takes it.
    cargo_name: String,
    /// Its directory under the target directory.
    dir_name: String,
    /// The running trainer's profile directory, when it was built by cargo.
    seed: Option<PathBuf>,
}

impl Profile {
    fn of_running_trainer() -> Self {
        let exe = std::env::current_exe().ok();
        Self::of_binary(exe.as_deref())
    }

    /// A binary in `<target>/<profile>/` (beside `deps/` and `.fingerprint/`) was built
    /// with that profile; an installed one is taken to be a release build.
    fn of_binary(exe: Option<&Path>) -> Self {
        let dir = exe.and_then(Path::parent);
        let built_by_cargo =
            dir.filter(|d| d.join(".fingerprint").is_dir() && d.join("deps").is_dir());
        let dir_name = built_by_cargo.and_then(Path::file_name).map_or_else(
            || "release".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        );
        let cargo_name = if dir_name == "debug" {
            "dev".to_owned()
        } else {
            dir_name.clone()
        };
        Self {
            cargo_name,
            dir_name,
            seed: built_by_cargo.map(Path::to_owned),
        }
    }
}

/// The target directory of rebuilt trainers: `$DIALEKT_BUILD_CACHE`, else
/// `$XDG_CACHE_HOME/dialekt/reproduce-target` (`~/.cache/...`).
fn build_cache() -> PathBuf {
    std::env::var_os("DIALEKT_BUILD_CACHE").map_or_else(
        || crate::cache::dialekt_cache().join("reproduce-target"),
        PathBuf::from,
    )
}

/// Copies a profile directory's compiled units (`deps/`, `build/`, `.fingerprint/`) with
/// their modification times, which cargo's freshness checks compare; the dependencies'
/// artifacts are then fresh for the checkout too (their hashes do not depend on where
/// the workspace is), while dialekt's own crates are rebuilt. Libraries are hard-linked
/// where possible (see [`is_replaced_by_rename`]). Written beside and renamed.
fn seed_target(from: &Path, to: &Path) -> Result<(), Error> {
    let partial = to.with_extension("partial");
    if partial.exists() {
        fs_err::remove_dir_all(&partial)?;
    }
    for dir in ["deps", "build", ".fingerprint"] {
        if from.join(dir).is_dir() {
            copy_tree(&from.join(dir), &partial.join(dir), dir == "deps")?;
        }
    }
    if let Some(parent) = to.parent() {
        fs_err::create_dir_all(parent)?;
    }
    fs_err::rename(&partial, to)?;
    Ok(())
}

/// `libraries_only`: skip extension-less files, the executables (binaries and test
/// harnesses) of `deps/`, which no other unit needs and which are most of its size.
fn copy_tree(from: &Path, to: &Path, libraries_only: bool) -> Result<(), Error> {
    fs_err::create_dir_all(to)?;
    for entry in fs_err::read_dir(from)? {
        let entry = entry?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&source, &target, libraries_only)?;
        } else if kind.is_file() && !(libraries_only && source.extension().is_none()) {
            link_or_copy(&source, &target)?;
        }
        // Symlinks (none are made by cargo in these directories) are skipped.
    }
    Ok(())
}

/// A hard link where the file may be shared and the file system allows it, else a copy
/// with the original's modification time.
fn link_or_copy(source: &Path, target: &Path) -> Result<(), Error> {
    if is_replaced_by_rename(source) && fs_err::hard_link(source, target).is_ok() {
        return Ok(());
    }
    fs_err::copy(source, target)?;
    let modified = fs_err::metadata(source)?.modified()?;
    fs_err::File::options()
        .write(true)
        .open(target)?
        .set_modified(modified)?;
    Ok(())
}

/// Whether rustc replaces the file by writing a new one and renaming it over the old,
/// as it does for libraries and their metadata: such a file can be shared by a hard
/// link (same file system), since a rebuild in either target directory leaves the other's
/// copy intact. They are most of the seed's gigabytes. Everything else (dep-info,
/// fingerprints, build-script output) may be rewritten in place, so it is copied.
fn is_replaced_by_rename(file: &Path) -> bool {
    file.extension()
        .is_some_and(|extension| extension == "rlib" || extension == "rmeta")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_is_read_from_where_the_binary_was_built() {
        let target = tempfile::tempdir().unwrap();
        for profile in ["debug", "release", "bench-fast"] {
            let dir = target.path().join(profile);
            fs_err::create_dir_all(dir.join("deps")).unwrap();
            fs_err::create_dir_all(dir.join(".fingerprint")).unwrap();
        }
        let of =
            |profile: &str| Profile::of_binary(Some(&target.path().join(profile).join("trainer")));
        assert_eq!(of("debug").cargo_name, "dev");
        assert_eq!(of("debug").dir_name, "debug");
        assert_eq!(of("release").cargo_name, "release");
        assert_eq!(of("bench-fast").cargo_name, "bench-fast");
        assert_eq!(of("release").seed, Some(target.path().join("release")));

        let installed = Profile::of_binary(Some(Path::new("/usr/local/bin/trainer")));
        assert_eq!(installed.cargo_name, "release");
        assert_eq!(installed.seed, None);
    }

    #[test]
    fn the_running_trainers_features_are_the_compiled_ones() {
        let running = running_features();
        for (feature, compiled) in [
            ("default", cfg!(feature = "default")),
            ("tch", cfg!(feature = "tch")),
            ("flex", cfg!(feature = "flex")),
            ("cuda", cfg!(feature = "cuda")),
            ("distributed", cfg!(feature = "distributed")),
            ("nccl", cfg!(feature = "nccl")),
        ] {
            assert_eq!(
                running.contains(&feature),
                compiled,
                "{feature} in {running:?}"
            );
        }
    }

    #[test]
    fn the_rebuild_selects_the_running_features_the_recorded_code_declares() {
        let declared: BTreeSet<String> =
            ["default", "tch", "flex", "cuda"].map(str::to_owned).into();
        let with_defaults =
            FeatureSelection::new(&["default", "distributed", "flex", "tch"], &declared);
        assert_eq!(with_defaults.undeclared, ["distributed"]);
        assert_eq!(with_defaults.cargo_args(), ["--features=flex,tch"]);

        let cuda_only = FeatureSelection::new(&["cuda"], &declared);
        assert_eq!(
            cuda_only.cargo_args(),
            ["--no-default-features", "--features=cuda"]
        );
        assert!(cuda_only.undeclared.is_empty());

        assert_eq!(
            FeatureSelection::new(&[], &declared).cargo_args(),
            ["--no-default-features"]
        );
    }

    #[test]
    fn the_declared_features_are_read_with_cargo() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let declared = declared_features(root).unwrap();
        for feature in ["default", "tch", "flex", "cuda", "distributed", "nccl"] {
            assert!(declared.contains(feature), "{feature} in {declared:?}");
        }
        let broken = tempfile::tempdir().unwrap();
        fs_err::write(broken.path().join("Cargo.toml"), "[package").unwrap();
        let error = declared_features(broken.path()).unwrap_err();
        assert!(
            error.to_string().contains("cargo metadata failed"),
            "{error:#}"
        );
    }

    #[test]
    fn seeding_copies_the_compiled_units_with_their_times() {
        let from = tempfile::tempdir().unwrap();
        let to = tempfile::tempdir().unwrap();
        let unit = from.path().join(".fingerprint/burn-1234/lib-burn");
        fs_err::create_dir_all(unit.parent().unwrap()).unwrap();
        fs_err::write(&unit, "abc").unwrap();
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        fs_err::File::options()
            .write(true)
            .open(&unit)
            .unwrap()
            .set_modified(old)
            .unwrap();
        fs_err::create_dir_all(from.path().join("incremental/x")).unwrap();
        fs_err::create_dir_all(from.path().join("deps")).unwrap();
        fs_err::write(from.path().join("deps/libburn-1234.rlib"), "lib").unwrap();
        fs_err::write(from.path().join("deps/train_run-1234"), "test binary").unwrap();

        let seeded = to.path().join("debug");
        seed_target(from.path(), &seeded).unwrap();
        let copy = seeded.join(".fingerprint/burn-1234/lib-burn");
        assert_eq!(fs_err::read_to_string(&copy).unwrap(), "abc");
        assert_eq!(fs_err::metadata(&copy).unwrap().modified().unwrap(), old);
        assert!(!seeded.join("incremental").exists());
        assert!(seeded.join("deps/libburn-1234.rlib").exists());
        assert!(!seeded.join("deps/train_run-1234").exists());
    }

    /// Libraries are shared by hard links (no second copy of gigabytes on one file
    /// system); a rebuild's rename in the seeded directory leaves the original alone,
    /// while a file that may be rewritten in place is a copy of its own.
    #[cfg(unix)]
    #[test]
    fn seeding_links_libraries_and_copies_what_may_be_rewritten() {
        use std::os::unix::fs::MetadataExt as _;
        let from = tempfile::tempdir().unwrap();
        let to = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(from.path().join("deps")).unwrap();
        for file in ["libburn-1.rlib", "libburn-1.rmeta", "burn-1.d"] {
            fs_err::write(from.path().join("deps").join(file), file).unwrap();
        }
        let seeded = to.path().join("debug");
        seed_target(from.path(), &seeded).unwrap();

        let links = |file: &str| {
            fs_err::metadata(seeded.join("deps").join(file))
                .unwrap()
                .nlink()
        };
        assert_eq!(links("libburn-1.rlib"), 2);
        assert_eq!(links("libburn-1.rmeta"), 2);
        assert_eq!(links("burn-1.d"), 1);

        // rustc's way of replacing a library: a new file renamed over the old one.
        let rebuilt = seeded.join("deps/libburn-1.rlib");
        fs_err::write(seeded.join("deps/tmp.a"), "rebuilt").unwrap();
        fs_err::rename(seeded.join("deps/tmp.a"), &rebuilt).unwrap();
        let original = fs_err::read_to_string(from.path().join("deps/libburn-1.rlib")).unwrap();
        assert_eq!(original, "libburn-1.rlib");
    }
}
