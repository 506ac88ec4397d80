//! The one error type of `dialekt-core`. Every variant names the file, key or run it is
//! about, so that a message read without context still says where to look.

use std::path::PathBuf;

/// Where a configuration value came from: a file position or a `--set` override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A position in a YAML file (1-based line and column).
    File {
        path: PathBuf,
        line: usize,
        column: usize,
    },
    /// A whole file, when no position is known.
    WholeFile(PathBuf),
    /// A command-line `--set key=value`.
    Override(String),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::File { path, line, column } => write!(f, "{}:{line}:{column}", path.display()),
            Origin::WholeFile(path) => write!(f, "{}", path.display()),
            Origin::Override(text) => write!(f, "--set {text}"),
        }
    }
}

/// Errors of `dialekt-core`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("I/O error on {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid JSON in {}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{origin}: invalid YAML: {message}")]
    Yaml { origin: Origin, message: String },
    #[error("{origin}: unknown key `{key}` in `{section}`{}", suggestion_text(suggestion.as_deref()))]
    UnknownKey {
        origin: Origin,
        /// The dotted section the key was found in (`<root>` at the top).
        section: String,
        key: String,
        /// The closest valid key, if one is close enough to be a likely typo.
        suggestion: Option<String>,
    },
    #[error("{origin}: invalid value{}: {message}", key_text(key.as_deref()))]
    InvalidValue {
        origin: Origin,
        key: Option<String>,
        message: String,
    },
    #[error("{}: invalid experiment:\n  {}", path.display(), problems.join("\n  "))]
    InvalidConfig {
        path: PathBuf,
        problems: Vec<String>,
    },
    #[error("invalid override `{text}`: {message}")]
    Override { text: String, message: String },
    #[error("{}: include cycle through {}", origin, path.display())]
    IncludeCycle { origin: Origin, path: PathBuf },
    #[error("git error in {}: {message}", path.display())]
    Git { path: PathBuf, message: String },
    #[error("no run matches `{prefix}` in {}", store.display())]
    RunNotFound { store: PathBuf, prefix: String },
    #[error("`{prefix}` is ambiguous in {}: it matches {}", store.display(), candidates.join(", "))]
    AmbiguousRun {
        store: PathBuf,
        prefix: String,
        candidates: Vec<String>,
    },
    #[error("{}: {message}", path.display())]
    Corrupt { path: PathBuf, message: String },
}

fn suggestion_text(suggestion: Option<&str>) -> String {
    suggestion.map_or_else(String::new, |s| format!(" (did you mean `{s}`?)"))
}

fn key_text(key: Option<&str>) -> String {
    key.map_or_else(String::new, |k| format!(" for `{k}`"))
}
