//! Writing files atomically without holding them in memory: a 1.3 GB export streams into a
//! temporary file beside the target, which is renamed over it only once complete.

use std::io::{BufWriter, Write};
use std::path::Path;

use super::ModelError;

/// Streams `write` into `path` atomically (temp file + rename), creating parent directories.
///
/// # Errors
/// [`ModelError::Write`] naming `path`.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<fs_err::File>) -> std::io::Result<()>,
) -> Result<(), ModelError> {
    let err = |source| ModelError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs_err::create_dir_all(dir).map_err(err)?;
    }
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".partial");
    let tmp = path.with_file_name(tmp_name);
    let file = fs_err::File::create(&tmp).map_err(err)?;
    let mut out = BufWriter::new(file);
    let result = write(&mut out)
        .and_then(|()| out.flush())
        .and_then(|()| out.get_ref().sync_all());
    drop(out);
    if let Err(e) = result {
        let _ = fs_err::remove_file(&tmp); // best effort: the error that matters is `e`
        return Err(err(e));
    }
    fs_err::rename(&tmp, path).map_err(err)
}
