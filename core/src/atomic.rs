//! Atomic writes: every artifact is written to a temporary file in the destination
//! directory, flushed, and renamed over the target. A crash leaves either the old
//! file or the new one, never half of either.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::Error;

/// Writes `bytes` to `path` atomically, creating parent directories.
///
/// # Errors
/// [`Error::Io`] naming `path` when any step fails.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    fs_err::create_dir_all(dir).map_err(io)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tmp-");
    // Temporary files are private (0600) by default; an artifact is an ordinary file,
    // readable as the umask allows (a served report, a shared run store).
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(dir).map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
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
