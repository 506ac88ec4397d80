//! Progress bars for long operations, drawn on stderr only when it is a terminal
//! (indicatif hides them otherwise), so piped output and CI logs stay clean.

use indicatif::{ProgressBar, ProgressStyle};

/// A byte-count bar fed by [`dialekt_core::manifest::Progress`].
#[derive(Debug)]
pub struct ByteProgress {
    bar: ProgressBar,
}

impl ByteProgress {
    #[must_use]
    pub fn new(what: &str) -> Self {
        let bar = ProgressBar::hidden();
        let style = ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(what.to_owned());
        Self { bar }
    }

    /// Draws the bar (on a terminal) for `total` bytes, `done` of them already there;
    /// an unknown total counts bytes without a bar.
    pub fn show(&self, total: Option<u64>, done: u64) {
        self.bar
            .set_draw_target(indicatif::ProgressDrawTarget::stderr());
        if let Some(total) = total {
            self.bar.set_length(total);
        }
        self.bar.set_position(done);
    }

    pub fn advance(&self, bytes: u64) {
        self.bar.inc(bytes);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl dialekt_core::manifest::Progress for ByteProgress {
    fn start(&self, _files: usize, bytes_to_hash: u64) {
        // Only worth a bar when there is something to read.
        if bytes_to_hash > 0 {
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        self.bar.set_length(bytes_to_hash);
    }

    fn hashed(&self, bytes: u64) {
        self.bar.inc(bytes);
    }
}
