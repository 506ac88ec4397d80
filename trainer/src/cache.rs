//! Where dialekt keeps what it downloads or builds for the user, outside any project:
//! `$XDG_CACHE_HOME/dialekt`, else `~/.cache/dialekt`.

use std::path::PathBuf;

/// The user's cache directory: `$XDG_CACHE_HOME`, else `~/.cache`.
#[must_use]
pub fn user_cache() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME").map_or_else(|| home().join(".cache"), PathBuf::from)
}

/// dialekt's directory in the user's cache.
#[must_use]
pub fn dialekt_cache() -> PathBuf {
    user_cache().join("dialekt")
}

/// `$HOME`, else the current directory.
#[must_use]
pub fn home() -> PathBuf {
    std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from)
}
