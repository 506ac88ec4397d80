//! Errors of the language-model half. As in the crate's [`crate::Error`], a variant that
//! comes from a file names the file last, after the line where there is one.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum LmError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Writing a file failed (it names the file; what was there before is kept).
    #[error(transparent)]
    Write(#[from] dialekt_core::Error),
    /// A line of an ARPA file is malformed (or contradicts an earlier one).
    #[error("line {line}: {message}: {}", path.display())]
    Arpa {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// The ARPA file as a whole is unusable (no `<s>`, truncated, ...).
    #[error("{message}: {}", path.display())]
    ArpaFile { path: PathBuf, message: String },
    /// A binary model cache that does not belong to its ARPA file or is damaged.
    #[error("unusable LM cache ({reason}): {}", path.display())]
    Cache { path: PathBuf, reason: String },
    #[error("n-gram order {order} is not supported (1 to {max})")]
    UnsupportedOrder { order: usize, max: usize },
    /// The training text has something `lmplz` refuses too.
    #[error("line {line} of the LM text: {message}")]
    Corpus { line: usize, message: String },
    /// Modified Kneser-Ney discounts cannot be computed from the counts (`lmplz` fails the
    /// same way; pass discount fallbacks to override).
    #[error("{order}-gram discounts: {message}")]
    Discount { order: usize, message: String },
}
