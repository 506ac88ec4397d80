//! Building a manifest from a directory: files hashed in parallel and streamed, with a
//! stat cache so an unchanged tree is re-verified without reading file contents.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{FileEntry, MANIFEST_FILE_NAME, Manifest};
use crate::atomic::{read_json, write_json_atomic};
use crate::{ContentHash, Error};

/// Bytes read per `read` call while hashing: large enough to amortise syscalls, small
/// enough that memory stays bounded (one buffer per worker thread).
const READ_BUFFER_BYTES: usize = 1 << 20;

/// A file modified this recently may change again within the filesystem's timestamp
/// granularity without its mtime changing ("racy clean" in git): never cache it.
const RACY_WINDOW_NS: u128 = 2_000_000_000;

/// How to build a manifest.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Stat cache file; `None` hashes everything.
    pub cache: Option<PathBuf>,
    /// Ignore the cache (but refresh it): re-hash every file.
    pub rehash: bool,
}

/// Progress callbacks, so the CLI can draw a bar without this crate knowing about it.
pub trait Progress: Sync {
    /// Called once with the total number of bytes that will be read.
    fn start(&self, _files: usize, _bytes_to_hash: u64) {}
    /// Called after each file hashed (from worker threads).
    fn hashed(&self, _bytes: u64) {}
}

impl Progress for () {}

/// The cache's key for a file: if any part changes, the file is hashed again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StatKey {
    size: u64,
    mtime_ns: u128,
    inode: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CachedFile {
    stat: StatKey,
    sha256: ContentHash,
    parquet_rows: Option<u64>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StatCache {
    root: String,
    files: BTreeMap<String, CachedFile>,
}

/// The default cache file for `root`: `$DIALEKT_CACHE_DIR` (else `$XDG_CACHE_HOME/dialekt`,
/// else `~/.cache/dialekt`) `/manifests/<sha256 of the absolute path>.json`. Kept outside
/// the dataset so read-only datasets work and the cache never hashes itself.
#[must_use]
pub fn default_cache_path(root: &Path) -> Option<PathBuf> {
    let base = std::env::var_os("DIALEKT_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("dialekt")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/dialekt")))?;
    let absolute = std::path::absolute(root).ok()?;
    let key = ContentHash::of_bytes(absolute.to_string_lossy().as_bytes()).to_hex();
    Some(base.join("manifests").join(format!("{key}.json")))
}

/// Builds the manifest of every regular file under `root` (following symlinks to files,
/// skipping [`MANIFEST_FILE_NAME`] at the root).
///
/// # Errors
/// [`Error::Io`] naming the file that could not be listed or read; [`Error::Corrupt`]
/// for a `.parquet` file whose footer cannot be read.
pub fn build(
    root: &Path,
    options: &BuildOptions,
    progress: &dyn Progress,
) -> Result<Manifest, Error> {
    let listed = list_files(root)?;
    let cache = match (&options.cache, options.rehash) {
        (Some(path), false) if path.exists() => read_json::<StatCache>(path).unwrap_or_default(),
        _ => StatCache::default(),
    };
    let now_ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());

    let (cached, to_hash): (Vec<_>, Vec<_>) = listed
        .into_iter()
        .partition(|(rel, _, stat)| cache.files.get(rel).is_some_and(|c| c.stat == *stat));
    progress.start(to_hash.len(), to_hash.iter().map(|(_, _, s)| s.size).sum());

    let hashed: Vec<(String, StatKey, FileEntry)> = to_hash
        .into_par_iter()
        .map(|(rel, path, stat)| {
            let entry = hash_file(&rel, &path)?;
            progress.hashed(entry.size);
            Ok((rel, stat, entry))
        })
        .collect::<Result<_, Error>>()?;

    let mut new_cache = StatCache {
        root: root.to_string_lossy().into_owned(),
        files: BTreeMap::new(),
    };
    let mut entries = Vec::with_capacity(cached.len() + hashed.len());
    for (rel, _, stat) in cached {
        let hit = &cache.files[&rel];
        entries.push(FileEntry {
            path: rel.clone(),
            size: stat.size,
            sha256: hit.sha256,
            parquet_rows: hit.parquet_rows,
        });
        new_cache.files.insert(rel, hit.clone());
    }
    for (rel, stat, entry) in hashed {
        if now_ns.saturating_sub(stat.mtime_ns) > RACY_WINDOW_NS {
            new_cache.files.insert(
                rel,
                CachedFile {
                    stat,
                    sha256: entry.sha256,
                    parquet_rows: entry.parquet_rows,
                },
            );
        }
        entries.push(entry);
    }
    if let Some(path) = &options.cache {
        write_json_atomic(path, &new_cache)?;
    }
    Ok(Manifest::from_entries(entries))
}

/// Every regular file below `root` as (relative path, absolute path, stat key), sorted.
fn list_files(root: &Path) -> Result<Vec<(String, PathBuf, StatKey)>, Error> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Io { path, source }
    };
    let mut out = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(rel_dir) = pending.pop() {
        let dir = root.join(&rel_dir);
        for item in fs_err::read_dir(&dir).map_err(io(&dir))? {
            let item = item.map_err(io(&dir))?;
            let rel = rel_dir.join(item.file_name());
            let path = item.path();
            // `metadata` follows symlinks: a link to a file is hashed as that file.
            let meta = fs_err::metadata(&path).map_err(io(&path))?;
            if meta.is_dir() {
                pending.push(rel);
            } else if meta.is_file() && rel.as_os_str() != MANIFEST_FILE_NAME {
                let rel = rel.to_string_lossy().replace('\\', "/");
                out.push((rel, path, stat_key(&meta)));
            }
        }
    }
    out.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    Ok(out)
}

fn stat_key(meta: &std::fs::Metadata) -> StatKey {
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(meta);
    #[cfg(not(unix))]
    let inode = 0;
    StatKey {
        size: meta.len(),
        mtime_ns,
        inode,
    }
}

fn hash_file(rel: &str, path: &Path) -> Result<FileEntry, Error> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = fs_err::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; READ_BUFFER_BYTES];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buffer).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    let parquet_rows = if rel.ends_with(".parquet") {
        Some(parquet_rows(path)?)
    } else {
        None
    };
    Ok(FileEntry {
        path: rel.to_owned(),
        size,
        sha256: ContentHash(hasher.finalize().into()),
        parquet_rows,
    })
}

/// Row count from the Parquet footer (only the footer is read).
fn parquet_rows(path: &Path) -> Result<u64, Error> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let corrupt = |message: String| Error::Corrupt {
        path: path.to_owned(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    let reader = SerializedFileReader::new(file)
        .map_err(|e| corrupt(format!("unreadable Parquet footer: {e}")))?;
    u64::try_from(reader.metadata().file_metadata().num_rows())
        .map_err(|_| corrupt("negative Parquet row count".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, content) in [
            ("a.txt", "alpha"),
            ("split=dev/b.txt", "beta"),
            ("split=dev/x/c", ""),
        ] {
            let full = dir.path().join(path);
            fs_err::create_dir_all(full.parent().unwrap()).unwrap();
            crate::atomic::write_atomic(&full, content.as_bytes()).unwrap();
        }
        dir
    }

    #[derive(Default)]
    struct Count(AtomicU64);
    impl Progress for Count {
        fn hashed(&self, _bytes: u64) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn lists_hashes_and_sorts_every_file() {
        let dir = tree();
        let m = build(dir.path(), &BuildOptions::default(), &()).unwrap();
        let paths: Vec<_> = m.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["a.txt", "split=dev/b.txt", "split=dev/x/c"]);
        assert_eq!(m.files[0].sha256, ContentHash::of_bytes(b"alpha"));
        assert_eq!(m.total_bytes, 9);
    }

    #[test]
    fn cache_skips_unchanged_files_but_not_changed_ones() {
        let dir = tree();
        let cache_dir = tempfile::tempdir().unwrap();
        let options = BuildOptions {
            cache: Some(cache_dir.path().join("c.json")),
            rehash: false,
        };
        // Backdate the files so they are outside the racy window and get cached.
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        for f in ["a.txt", "split=dev/b.txt", "split=dev/x/c"] {
            std::fs::File::options()
                .write(true)
                .open(dir.path().join(f))
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        let first = build(dir.path(), &options, &()).unwrap();
        let count = Count::default();
        let second = build(dir.path(), &options, &count).unwrap();
        assert_eq!(first, second);
        assert_eq!(count.0.load(Ordering::Relaxed), 0, "nothing re-hashed");

        crate::atomic::write_atomic(&dir.path().join("a.txt"), b"ALPHA").unwrap();
        let count = Count::default();
        let third = build(dir.path(), &options, &count).unwrap();
        assert_eq!(count.0.load(Ordering::Relaxed), 1);
        assert_ne!(third.root, first.root);
    }

    #[test]
    fn parquet_row_counts_come_from_the_footer() {
        let dir = tree();
        let fixture = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/three_rows.parquet"
        );
        fs_err::copy(fixture, dir.path().join("split=dev/part-0.parquet")).unwrap();
        let m = build(dir.path(), &BuildOptions::default(), &()).unwrap();
        assert_eq!(
            m.file("split=dev/part-0.parquet").unwrap().parquet_rows,
            Some(3)
        );
        assert_eq!(m.file("a.txt").unwrap().parquet_rows, None);
    }

    #[test]
    fn a_truncated_parquet_file_is_named() {
        let dir = tree();
        let fixture = fs_err::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/three_rows.parquet"
        ))
        .unwrap();
        crate::atomic::write_atomic(
            &dir.path().join("cut.parquet"),
            &fixture[..fixture.len() / 2],
        )
        .unwrap();
        let err = build(dir.path(), &BuildOptions::default(), &()).unwrap_err();
        assert!(err.to_string().contains("cut.parquet"), "{err}");
    }

    #[test]
    fn a_garbage_parquet_file_is_named() {
        let dir = tree();
        crate::atomic::write_atomic(&dir.path().join("bad.parquet"), b"not parquet").unwrap();
        let err = build(dir.path(), &BuildOptions::default(), &()).unwrap_err();
        assert!(err.to_string().contains("bad.parquet"), "{err}");
    }
}
