//! `trainer report build|serve`: the browser report of a run store.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::report::serve::ReportServer;
use crate::report::{build, default_viewer_dist};

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Write a static report folder (viewer + pre-aggregated data) of every run.
    Build {
        /// Run store directory.
        #[arg(default_value = "runs")]
        store: PathBuf,
        #[arg(long, default_value = "report")]
        out: PathBuf,
        #[command(flatten)]
        viewer: ViewerArgs,
    },
    /// Serve the report on 127.0.0.1, rebuilding its data while runs train.
    Serve {
        #[arg(default_value = "runs")]
        store: PathBuf,
        /// 0 picks a free port.
        #[arg(long, default_value_t = 8765)]
        port: u16,
        /// Where the served report is written (default: `<store>/.report`).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        viewer: ViewerArgs,
    },
}

#[derive(Debug, Args)]
pub struct ViewerArgs {
    /// The built viewer (`./dev viewer`); default `viewer/dist` or `$DIALEKT_VIEWER_DIST`.
    #[arg(long)]
    viewer_dist: Option<PathBuf>,
}

impl ViewerArgs {
    fn dist(&self) -> PathBuf {
        self.viewer_dist.clone().unwrap_or_else(default_viewer_dist)
    }
}

impl ReportCommand {
    /// # Errors
    /// A missing viewer build, unreadable runs (named), a port in use.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let mut out = std::io::stdout().lock();
        match self {
            Self::Build {
                store,
                out: dir,
                viewer,
            } => {
                let index = build(&store, &viewer.dist(), &dir, false)?;
                writeln!(
                    out,
                    "report of {} runs in {}: serve it with `trainer report serve {}`, or any static server",
                    index.runs.len(),
                    dir.display(),
                    store.display()
                )?;
            }
            Self::Serve {
                store,
                port,
                out: dir,
                viewer,
            } => {
                let dir = dir.unwrap_or_else(|| store.join(".report"));
                let server = ReportServer::start(&store, &viewer.dist(), &dir, port)?;
                writeln!(
                    out,
                    "serving the report of {} at {}",
                    store.display(),
                    server.url
                )?;
                out.flush()?;
                drop(out);
                server.wait()
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
