//! Atomic writes: every artifact is written to a temporary file in the destination
//! directory, flushed, and renamed over the target. A crash leaves either the old
//! file or the new one, never half of either.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::Error;

/// Name prefix of every temporary file an [`AtomicFile`] creates: one left by a process
/// that was killed mid-write can be recognised (and removed) by it.
pub const TEMP_PREFIX: &str = ".tmp-";

/// Whether `file_name` is an [`AtomicFile`]'s temporary file (left over by a crash).
#[must_use]
pub fn is_temp_file(file_name: &str) -> bool {
    file_name.starts_with(TEMP_PREFIX)
}

/// A file being written in place of `path`: the bytes go to a temporary file in the same
/// directory (so the rename cannot cross filesystems), and only [`AtomicFile::commit`]
/// syncs it and renames it over `path`. Dropped without a commit, the temporary file is
/// removed. This is the one atomic writer of the workspace: small artifacts go through
/// [`write_atomic`], streams (a 1.3 GB export, a Parquet part) through [`write_streaming`]
/// or through the file itself.
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    temp: tempfile::NamedTempFile,
}

impl AtomicFile {
    /// Starts the file that will replace `path`, creating parent directories.
    ///
    /// # Errors
    /// [`Error::Io`] naming `path`'s directory.
    pub fn create(path: &Path) -> Result<Self, Error> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let io = |source| Error::Io {
            path: dir.to_owned(),
            source,
        };
        fs_err::create_dir_all(dir).map_err(io)?;
        let mut builder = tempfile::Builder::new();
        builder.prefix(TEMP_PREFIX);
        // Temporary files are private (0600) by default; an artifact is an ordinary file,
        // readable as the umask allows (a served report, a corpus shared on a cluster).
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let temp = builder.tempfile_in(dir).map_err(io)?;
        Ok(Self {
            path: path.to_owned(),
            temp,
        })
    }

    /// The final path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The temporary file, to write into.
    pub fn file(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// A second handle on the temporary file, for writers that must own theirs
    /// (Parquet's); it is named as the final path in errors.
    ///
    /// # Errors
    /// [`Error::Io`] naming the final path.
    pub fn reopen(&self) -> Result<fs_err::File, Error> {
        let file = self.temp.reopen().map_err(|source| self.io(source))?;
        Ok(fs_err::File::from_parts(file, &self.path))
    }

    /// Syncs the temporary file and renames it over the final path.
    ///
    /// # Errors
    /// [`Error::Io`] naming the final path; the temporary file is then removed.
    pub fn commit(self) -> Result<(), Error> {
        self.temp.as_file().sync_all().map_err(|e| self.io(e))?;
        let path = self.path;
        self.temp.persist(&path).map_err(|e| Error::Io {
            path: path.clone(),
            source: e.error,
        })?;
        Ok(())
    }

    fn io(&self, source: std::io::Error) -> Error {
        Error::Io {
            path: self.path.clone(),
            source,
        }
    }
}

/// Writes `bytes` to `path` atomically, creating parent directories.
///
/// # Errors
/// [`Error::Io`] naming `path` when any step fails.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_streaming(path, |out| out.write_all(bytes))
}

/// Streams `write` into `path` atomically (buffered), creating parent directories; a
/// failed `write` leaves `path` as it was.
///
/// # Errors
/// [`Error::Io`] naming `path`.
pub fn write_streaming(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&mut File>) -> std::io::Result<()>,
) -> Result<(), Error> {
    let mut file = AtomicFile::create(path)?;
    let mut out = BufWriter::new(file.file());
    let written = write(&mut out).and_then(|()| out.flush());
    drop(out);
    written.map_err(|e| file.io(e))?;
    file.commit()
}

/// Writes `value` as pretty JSON (with a trailing newline) atomically.
///
/// # Errors
/// As [`write_atomic`], or [`Error::Json`] if `value` cannot be serialised.
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> Result<(), Error> {
    let mut text = serde_json::to_string_pretty(value).map_err(|source| Error::Json {
        path: path.to_owned(),
        source,
    })?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

/// Writes `value` as compact JSON atomically (for files read by programs only).
///
/// # Errors
/// As [`write_json_atomic`].
pub fn write_compact_json_atomic<T: Serialize>(path: &Path, value: &T) -> Result<(), Error> {
    let bytes = serde_json::to_vec(value).map_err(|source| Error::Json {
        path: path.to_owned(),
        source,
    })?;
    write_atomic(path, &bytes)
}

/// Reads and parses a JSON file, naming the file in any error.
///
/// # Errors
/// [`Error::Io`] or [`Error::Json`] naming `path`.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, Error> {
    let text = fs_err::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| Error::Json {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/file.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs_err::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs_err::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("file.json")]);
    }

    #[test]
    fn a_failed_stream_leaves_the_old_file_and_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.pt");
        write_atomic(&path, b"old").unwrap();
        let err = write_streaming(&path, |out| {
            out.write_all(b"half of the new")?;
            Err(std::io::Error::other("disk full"))
        })
        .unwrap_err();
        assert!(err.to_string().contains("export.pt"), "{err}");
        assert_eq!(fs_err::read(&path).unwrap(), b"old");
        assert_eq!(fs_err::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_uncommitted_file_is_removed_and_temp_names_are_recognised() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = AtomicFile::create(&dir.path().join("part-0.parquet")).unwrap();
        file.file().write_all(b"rows").unwrap();
        let names: Vec<String> = fs_err::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| is_temp_file(n)), "{names:?}");
        drop(file);
        assert_eq!(fs_err::read_dir(dir.path()).unwrap().count(), 0);
        assert!(!is_temp_file("part-0.parquet"));
    }

    #[cfg(unix)]
    #[test]
    fn artifacts_are_readable_by_others_unlike_temp_files() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        write_compact_json_atomic(&path, &[1, 2]).unwrap();
        assert_eq!(fs_err::read_to_string(&path).unwrap(), "[1,2]");
        let mode = |p: &Path| fs_err::metadata(p).unwrap().permissions().mode() & 0o777;
        // As any ordinary new file under this process's umask.
        let ordinary = dir.path().join("ordinary");
        fs_err::File::create(&ordinary).unwrap();
        assert_eq!(mode(&path), mode(&ordinary));
    }
}
