//! Differences between two manifests, by file and summarised by directory.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Manifest;

/// What changed between two manifests. All lists are sorted by path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestDiff {
    /// In the new manifest only.
    pub added: Vec<String>,
    /// In the old manifest only.
    pub removed: Vec<String>,
    /// In both, with different content (size, hash or rows).
    pub changed: Vec<String>,
}

/// Counts of changes under one directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryChange {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
}

impl ManifestDiff {
    /// Compares `old` with `new` in one merge pass over the sorted entries.
    #[must_use]
    pub fn between(old: &Manifest, new: &Manifest) -> Self {
        let mut diff = Self::default();
        let (mut i, mut j) = (0, 0);
        while i < old.files.len() || j < new.files.len() {
            match (old.files.get(i), new.files.get(j)) {
                (Some(a), Some(b)) if a.path == b.path => {
                    if a != b {
                        diff.changed.push(a.path.clone());
                    }
                    i += 1;
                    j += 1;
                }
                (Some(a), Some(b)) if a.path.as_bytes() < b.path.as_bytes() => {
                    diff.removed.push(a.path.clone());
                    i += 1;
                }
                (Some(a), None) => {
                    diff.removed.push(a.path.clone());
                    i += 1;
                }
                (_, Some(b)) => {
                    diff.added.push(b.path.clone());
                    j += 1;
                }
                (None, None) => break,
            }
        }
        diff
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// Changes counted per parent directory (`""` for files at the root).
    #[must_use]
    pub fn by_directory(&self) -> BTreeMap<String, DirectoryChange> {
        let mut out: BTreeMap<String, DirectoryChange> = BTreeMap::new();
        let dir_of = |p: &String| {
            p.rsplit_once('/')
                .map_or(String::new(), |(d, _)| d.to_owned())
        };
        for p in &self.added {
            out.entry(dir_of(p)).or_default().added += 1;
        }
        for p in &self.removed {
            out.entry(dir_of(p)).or_default().removed += 1;
        }
        for p in &self.changed {
            out.entry(dir_of(p)).or_default().changed += 1;
        }
        out
    }

    /// One line per directory, e.g. `split=dev/language=dan_Latn: 1 changed, 2 added`.
    #[must_use]
    pub fn summary_lines(&self) -> Vec<String> {
        self.by_directory()
            .into_iter()
            .map(|(dir, c)| {
                let parts: Vec<String> = [
                    (c.changed, "changed"),
                    (c.added, "added"),
                    (c.removed, "removed"),
                ]
                .into_iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, what)| format!("{n} {what}"))
                .collect();
                let dir = if dir.is_empty() { "." } else { dir.as_str() };
                format!("{dir}: {}", parts.join(", "))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::entry;
    use super::*;

    #[test]
    fn names_every_added_removed_and_changed_file() {
        let old = Manifest::from_entries(vec![
            entry("a", b"1"),
            entry("d/b", b"2"),
            entry("d/c", b"3"),
        ]);
        let new = Manifest::from_entries(vec![
            entry("d/b", b"X"),
            entry("d/c", b"3"),
            entry("e", b"4"),
        ]);
        let diff = ManifestDiff::between(&old, &new);
        assert_eq!(diff.added, ["e"]);
        assert_eq!(diff.removed, ["a"]);
        assert_eq!(diff.changed, ["d/b"]);
        assert_eq!(
            diff.summary_lines(),
            [".: 1 added, 1 removed", "d: 1 changed"]
        );
        assert!(ManifestDiff::between(&new, &new).is_empty());
    }
}
