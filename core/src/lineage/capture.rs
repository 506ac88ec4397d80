//! Capturing the code version with git2 and the machine's facts.

use std::path::Path;

use git2::{DiffFormat, DiffOptions, ErrorCode, Repository, StatusOptions};

use super::CodeVersion;
use crate::{ContentHash, Error};

/// The code version of the repository containing `dir`, and the patch of its
/// uncommitted changes (tracked and untracked, ignored files excluded) — empty when
/// clean. Outside a repository: no commit, clean, no patch.
///
/// # Errors
/// [`Error::Git`] when the repository exists but cannot be read.
pub fn capture_code(dir: &Path) -> Result<(CodeVersion, Vec<u8>), Error> {
    let Ok(repo) = Repository::discover(dir) else {
        return Ok((
            CodeVersion {
                commit: None,
                dirty: false,
                patch_sha256: None,
            },
            Vec::new(),
        ));
    };
    retry_vanished(VANISHED_RETRIES, || capture_repository(&repo)).map_err(|e| Error::Git {
        path: dir.to_owned(),
        message: e.message().to_owned(),
    })
}

/// How often a capture is redone when an untracked file vanished while it was read.
const VANISHED_RETRIES: usize = 5;

/// `capture`, redone while it fails because a file listed by the status was gone when its
/// content was read (a build tool's temporary file, e.g. `viewer/dist.partial/`): the
/// working tree changed under the capture, and a fresh one sees the tree as it is now.
fn retry_vanished<T>(
    retries: usize,
    mut capture: impl FnMut() -> Result<T, git2::Error>,
) -> Result<T, git2::Error> {
    let mut left = retries;
    loop {
        match capture() {
            Err(e) if e.code() == ErrorCode::NotFound && left > 0 => left -= 1,
            result => return result,
        }
    }
}

fn capture_repository(repo: &Repository) -> Result<(CodeVersion, Vec<u8>), git2::Error> {
    let head = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let commit = head.as_ref().map(|c| c.id().to_string());

    let mut status_options = StatusOptions::new();
    status_options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let dirty = !repo.statuses(Some(&mut status_options))?.is_empty();
    if !dirty {
        return Ok((
            CodeVersion {
                commit,
                dirty,
                patch_sha256: None,
            },
            Vec::new(),
        ));
    }

    let tree = head.as_ref().map(git2::Commit::tree).transpose()?;
    let mut diff_options = DiffOptions::new();
    diff_options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .show_untracked_content(true)
        .show_binary(true);
    let diff = repo.diff_tree_to_workdir_with_index(tree.as_ref(), Some(&mut diff_options))?;
    let mut patch = Vec::new();
    diff.print(DiffFormat::Patch, |_, _, line| {
        if matches!(line.origin(), '+' | '-' | ' ') {
            patch.push(line.origin() as u8);
        }
        patch.extend_from_slice(line.content());
        true
    })?;
    let patch_sha256 = Some(ContentHash::of_bytes(&patch));
    Ok((
        CodeVersion {
            commit,
            dirty,
            patch_sha256,
        },
        patch,
    ))
}

/// The project root for an experiment in `dir`: the working tree of the enclosing git
/// repository, else the current directory. Config paths are made relative to it, so the
/// location of a checkout does not change hashes.
#[must_use]
pub fn project_root(dir: &Path) -> std::path::PathBuf {
    let absolute = |p: &Path| {
        crate::config::normalize_lexically(&std::path::absolute(p).unwrap_or_else(|_| p.to_owned()))
    };
    Repository::discover(absolute(dir))
        .ok()
        .and_then(|repo| repo.workdir().map(absolute))
        .unwrap_or_else(|| absolute(Path::new(".")))
}

/// The CPU model name (from `/proc/cpuinfo` on Linux), or `unknown`.
#[must_use]
pub fn cpu_model() -> String {
    fs_err::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lineage::tests::commit_all;

    #[test]
    fn a_capture_is_redone_while_files_vanish_and_other_errors_are_not_retried() {
        let vanished = || git2::Error::new(ErrorCode::NotFound, git2::ErrorClass::Os, "gone");
        let mut calls = 0;
        let captured = retry_vanished(5, || {
            calls += 1;
            if calls < 3 {
                Err(vanished())
            } else {
                Ok(calls)
            }
        });
        assert_eq!(captured.unwrap(), 3);
        let mut calls = 0;
        let gave_up = retry_vanished(2, || {
            calls += 1;
            Err::<(), _>(vanished())
        });
        assert!(gave_up.is_err());
        assert_eq!(calls, 3);
        let mut calls = 0;
        let other = retry_vanished(5, || {
            calls += 1;
            Err::<(), _>(git2::Error::from_str("corrupt index"))
        });
        assert!(other.is_err());
        assert_eq!(calls, 1);
    }

    #[test]
    fn clean_dirty_and_untracked_states_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        crate::atomic::write_atomic(&dir.path().join("a.rs"), b"fn a() {}\n").unwrap();
        crate::atomic::write_atomic(&dir.path().join(".gitignore"), b"runs/\n").unwrap();
        commit_all(&repo, "first");

        let (clean, patch) = capture_code(dir.path()).unwrap();
        assert!(!clean.dirty && patch.is_empty() && clean.commit.is_some());

        // Ignored files never make the tree dirty (the run store lives there).
        crate::atomic::write_atomic(&dir.path().join("runs/x.json"), b"{}").unwrap();
        assert_eq!(capture_code(dir.path()).unwrap().0, clean);

        crate::atomic::write_atomic(&dir.path().join("a.rs"), b"fn a() { 1; }\n").unwrap();
        let (edited, patch) = capture_code(dir.path()).unwrap();
        assert!(edited.dirty);
        assert!(String::from_utf8_lossy(&patch).contains("+fn a() { 1; }"));

        crate::atomic::write_atomic(&dir.path().join("new.rs"), b"// new\n").unwrap();
        let (untracked, patch) = capture_code(dir.path()).unwrap();
        assert!(String::from_utf8_lossy(&patch).contains("+// new"));
        assert_ne!(untracked.content_hash(), edited.content_hash());
        assert_ne!(edited.content_hash(), clean.content_hash());
    }

    #[test]
    fn outside_a_repository_there_is_no_commit() {
        let dir = tempfile::tempdir().unwrap();
        let (code, _) = capture_code(dir.path()).unwrap();
        assert_eq!(code.commit, None);
    }
}
