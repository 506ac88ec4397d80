//! Checking out a recorded code version — its commit plus its uncommitted patch — into a
//! temporary git worktree, so that a run can be re-run with the code that made it rather
//! than with today's.

use std::path::{Path, PathBuf};

use git2::{
    ApplyLocation, Diff, Oid, Repository, Worktree, WorktreeAddOptions, WorktreePruneOptions,
};

use super::{CodeVersion, capture_code};
use crate::Error;

/// A linked worktree of the repository at a recorded code version; removed (and pruned
/// from the repository) when dropped.
pub struct RecordedCheckout {
    worktree: Worktree,
    path: PathBuf,
    /// Holds the directory the worktree lives in.
    _parent: tempfile::TempDir,
}

impl RecordedCheckout {
    /// Checks `code` out of the repository containing `dir`: a detached worktree at the
    /// recorded commit with `patch` applied to its files. The result is verified: its
    /// code version must hash as `code` does.
    ///
    /// # Errors
    /// [`Error::Git`] naming what is missing: no repository, no recorded commit, a commit
    /// the repository does not have, a patch that does not apply or does not give the
    /// recorded code.
    pub fn create(dir: &Path, code: &CodeVersion, patch: &[u8]) -> Result<Self, Error> {
        let git = |message: String| Error::Git {
            path: dir.to_owned(),
            message,
        };
        let repo = Repository::discover(dir).map_err(|e| {
            git(format!(
                "no git repository to check out from: {}",
                e.message()
            ))
        })?;
        let Some(commit) = &code.commit else {
            return Err(git(
                "the run was recorded outside a git repository: there is no commit to check out"
                    .to_owned(),
            ));
        };
        let oid = Oid::from_str(commit)
            .and_then(|oid| repo.find_commit(oid))
            .map_err(|_| {
                git(format!(
                    "commit {commit} is not in this repository (fetch it)"
                ))
            })?
            .id();

        let parent = tempfile::Builder::new()
            .prefix("dialekt-reproduce-")
            .tempdir()
            .map_err(|source| Error::Io {
                path: std::env::temp_dir(),
                source,
            })?;
        let name = parent
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "dialekt-reproduce".to_owned());
        let path = parent.path().join("code");
        let worktree = detached_worktree(&repo, &name, &path, oid).map_err(|e| {
            git(format!(
                "creating a worktree at {}: {}",
                path.display(),
                e.message()
            ))
        })?;
        let checkout = Self {
            worktree,
            path,
            _parent: parent,
        };
        if !patch.is_empty() {
            apply(&checkout.path, patch).map_err(|e| {
                git(format!(
                    "the recorded code.patch does not apply to commit {commit}: {}",
                    e.message()
                ))
            })?;
        }
        let (checked_out, _) = capture_code(&checkout.path)?;
        if checked_out.content_hash() != code.content_hash() {
            return Err(git(format!(
                "commit {commit} with the recorded code.patch does not give the recorded code"
            )));
        }
        Ok(checkout)
    }

    /// The worktree's root directory.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl std::fmt::Debug for RecordedCheckout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordedCheckout")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Drop for RecordedCheckout {
    fn drop(&mut self) {
        // Deletes the files and the repository's record of the worktree; failing that,
        // `git worktree prune` tidies up after the temporary directory is gone.
        let _ = self.worktree.prune(Some(
            WorktreePruneOptions::new()
                .valid(true)
                .locked(true)
                .working_tree(true),
        ));
    }
}

/// A worktree at `oid` with a detached HEAD. libgit2 checks a worktree out on a branch,
/// so a temporary one is made for the checkout and deleted once HEAD is detached: the
/// user's branches are left as they were.
fn detached_worktree(
    repo: &Repository,
    name: &str,
    path: &Path,
    oid: Oid,
) -> Result<Worktree, git2::Error> {
    let commit = repo.find_commit(oid)?;
    let mut branch = repo.branch(name, &commit, false)?;
    let created: Result<Worktree, git2::Error> = (|| {
        let mut options = WorktreeAddOptions::new();
        options.reference(Some(branch.get()));
        let worktree = repo.worktree(name, path, Some(&options))?;
        Repository::open_from_worktree(&worktree)?.set_head_detached(oid)?;
        Ok(worktree)
    })();
    let deleted = branch.delete();
    let worktree = created?;
    deleted?;
    Ok(worktree)
}

/// Applies a patch as `capture_code` writes it to the files of the worktree at `path`.
fn apply(path: &Path, patch: &[u8]) -> Result<(), git2::Error> {
    let repo = Repository::open(path)?;
    let diff = Diff::from_buffer(patch)?;
    repo.apply(&diff, ApplyLocation::WorkDir, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lineage::tests::commit_all;

    fn write(path: &Path, text: &str) {
        crate::atomic::write_atomic(path, text.as_bytes()).unwrap();
    }

    #[test]
    fn an_older_commit_with_its_patch_is_checked_out_and_removed_afterwards() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let repo = Repository::init(root).unwrap();
        write(&root.join("model.rs"), "fn layers() -> usize {\n    2\n}\n");
        write(&root.join(".gitignore"), "/runs/\n");
        commit_all(&repo, "first");
        // The run's code: the first commit, with an edit and a new file not committed.
        write(&root.join("model.rs"), "fn layers() -> usize {\n    4\n}\n");
        write(&root.join("notes/new.rs"), "// new\n");
        let (recorded, patch) = capture_code(root).unwrap();
        assert!(recorded.dirty);

        // Later: the edit is committed, and more changes follow.
        commit_all(&repo, "second");
        write(&root.join("model.rs"), "fn layers() -> usize {\n    5\n}\n");
        let branches = |repo: &Repository| repo.branches(None).unwrap().count();
        let before = branches(&repo);

        let checkout = RecordedCheckout::create(root, &recorded, &patch).unwrap();
        let path = checkout.path().to_owned();
        assert_eq!(
            fs_err::read_to_string(path.join("model.rs")).unwrap(),
            "fn layers() -> usize {\n    4\n}\n"
        );
        assert_eq!(
            fs_err::read_to_string(path.join("notes/new.rs")).unwrap(),
            "// new\n"
        );
        // The user's checkout and branches are untouched.
        assert!(
            fs_err::read_to_string(root.join("model.rs"))
                .unwrap()
                .contains('5')
        );
        assert_eq!(branches(&repo), before);

        drop(checkout);
        assert!(!path.exists());
        assert_eq!(repo.worktrees().unwrap().len(), 0);
    }

    #[test]
    fn a_missing_commit_or_a_foreign_patch_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let repo = Repository::init(root).unwrap();
        write(&root.join("a.rs"), "fn a() {}\n");
        commit_all(&repo, "first");
        let (mut code, _) = capture_code(root).unwrap();

        let unknown = "0123456789abcdef0123456789abcdef01234567";
        code.commit = Some(unknown.to_owned());
        let error = RecordedCheckout::create(root, &code, &[]).unwrap_err();
        assert!(error.to_string().contains(unknown), "{error}");

        let (mut code, _) = capture_code(root).unwrap();
        let foreign = b"diff --git a/b.rs b/b.rs\n--- a/b.rs\n+++ b/b.rs\n@@ -1 +1 @@\n-x\n+y\n";
        code.dirty = true;
        let error = RecordedCheckout::create(root, &code, foreign).unwrap_err();
        assert!(error.to_string().contains("does not apply"), "{error}");
        assert_eq!(repo.worktrees().unwrap().len(), 0);
    }
}
