//! `trainer report serve`: the report on `http://127.0.0.1:<port>/`, rebuilt while runs
//! train. Loopback only: a report shows configs and paths that are nobody else's business.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use tiny_http::{Header, Response, Server};

/// How often the store is checked for changes.
const POLL: Duration = Duration::from_secs(2);

/// A running report server.
pub struct ReportServer {
    server: Arc<Server>,
    stop: Arc<AtomicBool>,
    pub url: String,
}

impl ReportServer {
    /// Builds the report of `store` into `out` and serves it on 127.0.0.1:`port`
    /// (0: any free port), refreshing `out/data/` when the store changes.
    ///
    /// # Errors
    /// A missing viewer build, unreadable runs, a port in use.
    pub fn start(store: &Path, viewer_dist: &Path, out: &Path, port: u16) -> anyhow::Result<Self> {
        super::build(store, viewer_dist, out, true)?;
        let server = Server::http(("127.0.0.1", port))
            .map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1:{port}: {e}"))?;
        let address = server
            .server_addr()
            .to_ip()
            .context("the server has no IP address")?;
        let server = Arc::new(server);
        let stop = Arc::new(AtomicBool::new(false));
        spawn_refresher(store.to_owned(), out.to_owned(), Arc::clone(&stop));
        let root = out.to_owned();
        let handler = Arc::clone(&server);
        std::thread::spawn(move || {
            for request in handler.incoming_requests() {
                let response = respond(&root, request.url());
                // A client that went away is not our error.
                let _ = request.respond(response);
            }
        });
        Ok(Self {
            server,
            stop,
            url: format!("http://{address}/"),
        })
    }

    /// Serves until the process is stopped.
    pub fn wait(&self) {
        while !self.stop.load(Ordering::Relaxed) {
            std::thread::sleep(POLL);
        }
    }
}

impl std::fmt::Debug for ReportServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportServer")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Drop for ReportServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.server.unblock();
    }
}

/// Rebuilds `out/data/` whenever the store's report inputs change.
fn spawn_refresher(store: PathBuf, out: PathBuf, stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        let mut seen = super::fingerprint(&store).ok();
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(POLL);
            let now = super::fingerprint(&store).ok();
            if now != seen {
                match super::write_data(&store, &out, true) {
                    Ok(index) => eprintln!("report: refreshed ({} runs)", index.runs.len()),
                    // A run being written can be briefly unreadable; the next poll retries.
                    Err(error) => eprintln!("report: not refreshed yet: {error:#}"),
                }
                seen = now;
            }
        }
    });
}

/// A file under `root`, or 404; never anything outside it.
fn respond(root: &Path, url: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    let path = url.split(['?', '#']).next().unwrap_or("/");
    let relative = path.trim_start_matches('/');
    let relative = if relative.is_empty() {
        "index.html"
    } else {
        relative
    };
    let inside = Path::new(relative)
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    let file = root.join(relative);
    match (inside, fs_err::read(&file)) {
        (true, Ok(bytes)) => Response::from_data(bytes)
            .with_header(header("Content-Type", content_type(&file)))
            .with_header(header("Cache-Control", "no-store"))
            .with_header(header("X-Content-Type-Options", "nosniff")),
        _ => Response::from_data(b"not found".to_vec())
            .with_status_code(404)
            .with_header(header("Content-Type", "text/plain; charset=utf-8")),
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("css") => "text/css; charset=utf-8",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes())
        .unwrap_or_else(|()| unreachable!("static header {name}: {value} is valid ASCII"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_serves_outside_the_root() {
        let dir = tempfile::tempdir().expect("temp dir");
        fs_err::write(dir.path().join("index.html"), "hi").expect("write");
        assert_eq!(respond(dir.path(), "/").status_code().0, 200);
        assert_eq!(respond(dir.path(), "/index.html?x=1").status_code().0, 200);
        assert_eq!(respond(dir.path(), "/../etc/passwd").status_code().0, 404);
        assert_eq!(
            respond(dir.path(), "/data/missing.json").status_code().0,
            404
        );
    }
}
