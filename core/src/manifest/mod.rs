//! Data manifests: what exactly a dataset directory contained.
//!
//! A manifest lists every file by relative path (forward slashes, sorted by bytes), its
//! size and SHA-256, and for Parquet files the row count. Directory hashes are computed
//! like git trees (a directory's hash covers its entries' names and hashes), so the
//! root hash identifies the whole tree and every sub-directory (`split=dev/...`) has a
//! hash of its own, which is what makes "3 files changed in split=dev" cheap to say.

#[cfg(feature = "fs")]
mod build;
mod diff;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[cfg(feature = "fs")]
pub use build::{BuildOptions, Progress, build, default_cache_path};
pub use diff::{DirectoryChange, ManifestDiff};

use crate::ContentHash;

/// The manifest format version; part of every hash.
pub const MANIFEST_VERSION: u32 = 1;

/// Name of a manifest written inside the directory it describes; never listed in itself.
pub const MANIFEST_FILE_NAME: &str = "dialekt-manifest.json";

/// One file of a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path relative to the dataset root, `/`-separated.
    pub path: String,
    pub size: u64,
    pub sha256: ContentHash,
    /// Rows, for Parquet files (read from the footer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parquet_rows: Option<u64>,
}

/// The content of a dataset directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    /// Root hash of the tree (see the module docs).
    pub root: ContentHash,
    pub total_bytes: u64,
    /// Sorted by `path` (byte order).
    pub files: Vec<FileEntry>,
}

impl Manifest {
    /// Builds a manifest from entries in any order; computes the root hash.
    #[must_use]
    pub fn from_entries(mut files: Vec<FileEntry>) -> Self {
        files.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
        let total_bytes = files.iter().map(|f| f.size).sum();
        let mut manifest = Self {
            version: MANIFEST_VERSION,
            root: ContentHash([0; 32]),
            total_bytes,
            files,
        };
        manifest.root = manifest
            .directory_hashes()
            .remove("")
            .unwrap_or_else(|| tree_hash(&[]));
        manifest
    }

    /// Recomputes the root from the entries and compares: a manifest file edited by hand
    /// (or corrupted) does not verify.
    #[must_use]
    pub fn is_consistent(&self) -> bool {
        Self::from_entries(self.files.clone()) == *self
    }

    /// The hash of every directory, keyed by its path (`""` is the root).
    #[must_use]
    pub fn directory_hashes(&self) -> BTreeMap<String, ContentHash> {
        // Children of each directory: name → hash, filled bottom-up.
        let mut children: BTreeMap<String, BTreeMap<String, (bool, ContentHash)>> = BTreeMap::new();
        children.entry(String::new()).or_default();
        for file in &self.files {
            let (dir, name) = split_parent(&file.path);
            children
                .entry(dir.to_owned())
                .or_default()
                .insert(name.to_owned(), (false, leaf_hash(file)));
            let mut current = dir;
            while !current.is_empty() {
                let (parent, _) = split_parent(current);
                children.entry(parent.to_owned()).or_default();
                current = parent;
            }
        }
        let mut hashes = BTreeMap::new();
        // Deepest directories first, so each child's hash exists before its parent's.
        let mut dirs: Vec<String> = children.keys().cloned().collect();
        dirs.sort_by_key(|d| std::cmp::Reverse(depth(d)));
        for dir in dirs {
            let mut entries: Vec<(String, bool, ContentHash)> = children[&dir]
                .iter()
                .map(|(name, (is_dir, hash))| (name.clone(), *is_dir, *hash))
                .collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            let hash = tree_hash(&entries);
            if !dir.is_empty() {
                let (parent, name) = split_parent(&dir);
                if let Some(siblings) = children.get_mut(parent) {
                    siblings.insert(name.to_owned(), (true, hash));
                }
            }
            hashes.insert(dir, hash);
        }
        hashes
    }

    /// Looks a file up by its relative path.
    #[must_use]
    pub fn file(&self, path: &str) -> Option<&FileEntry> {
        self.files
            .binary_search_by(|f| f.path.as_bytes().cmp(path.as_bytes()))
            .ok()
            .map(|i| &self.files[i])
    }
}

fn split_parent(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

fn depth(dir: &str) -> usize {
    if dir.is_empty() {
        0
    } else {
        dir.matches('/').count() + 1
    }
}

fn leaf_hash(file: &FileEntry) -> ContentHash {
    let mut h = Sha256::new();
    h.update(format!("dialekt/manifest-file/v{MANIFEST_VERSION}\n").as_bytes());
    h.update(file.size.to_le_bytes());
    h.update(file.sha256.0);
    h.update(file.parquet_rows.map_or([0xff; 8], u64::to_le_bytes));
    ContentHash(h.finalize().into())
}

fn tree_hash(entries: &[(String, bool, ContentHash)]) -> ContentHash {
    let mut h = Sha256::new();
    h.update(format!("dialekt/manifest-tree/v{MANIFEST_VERSION}\n").as_bytes());
    for (name, is_dir, hash) in entries {
        h.update(if *is_dir { b"d" } else { b"f" });
        h.update((name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update(hash.0);
    }
    ContentHash(h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn entry(path: &str, content: &[u8]) -> FileEntry {
        FileEntry {
            path: path.to_owned(),
            size: content.len() as u64,
            sha256: ContentHash::of_bytes(content),
            parquet_rows: None,
        }
    }

    #[test]
    fn root_is_independent_of_entry_order() {
        let a = Manifest::from_entries(vec![
            entry("x/a", b"1"),
            entry("b", b"2"),
            entry("x/y/c", b"3"),
        ]);
        let b = Manifest::from_entries(vec![
            entry("x/y/c", b"3"),
            entry("x/a", b"1"),
            entry("b", b"2"),
        ]);
        assert_eq!(a, b);
        assert!(a.is_consistent());
        assert_eq!(a.total_bytes, 3);
    }

    #[test]
    fn a_change_moves_only_its_ancestors() {
        let before = Manifest::from_entries(vec![entry("dev/a", b"1"), entry("train/b", b"2")]);
        let after = Manifest::from_entries(vec![entry("dev/a", b"1"), entry("train/b", b"X")]);
        let (h0, h1) = (before.directory_hashes(), after.directory_hashes());
        assert_eq!(h0["dev"], h1["dev"]);
        assert_ne!(h0["train"], h1["train"]);
        assert_ne!(before.root, after.root);
    }

    #[test]
    fn renames_and_moves_change_the_root() {
        let a = Manifest::from_entries(vec![entry("a/f", b"1")]);
        let b = Manifest::from_entries(vec![entry("a/g", b"1")]);
        let c = Manifest::from_entries(vec![entry("b/f", b"1")]);
        assert_ne!(a.root, b.root);
        assert_ne!(a.root, c.root);
    }

    #[test]
    fn tampered_manifest_is_inconsistent() {
        let mut m = Manifest::from_entries(vec![entry("a", b"1")]);
        m.files[0].size = 2;
        assert!(!m.is_consistent());
    }
}
