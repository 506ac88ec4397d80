//! `trainer report serve`: the report on `http://127.0.0.1:<port>/`, rebuilt while runs
//! train. Loopback only: a report shows configs and paths that are nobody else's business.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::Error;

/// How often the store is checked for changes.
const POLL: Duration = Duration::from_secs(2);

/// The longest request head accepted (a GET line and a browser's headers fit easily).
const MAX_HEAD: usize = 16 * 1024;

/// A running report server.
#[derive(Debug)]
pub struct ReportServer {
    stop: Arc<AtomicBool>,
    pub url: String,
}

impl ReportServer {
    /// Builds the report of `store` into `out` and serves it on 127.0.0.1:`port`
    /// (0: any free port), refreshing `out/data/` when the store changes.
    ///
    /// # Errors
    /// A missing viewer build, unreadable runs, a port in use.
    pub fn start(store: &Path, viewer_dist: &Path, out: &Path, port: u16) -> Result<Self, Error> {
        super::build(store, viewer_dist, out, true)?;
        let cannot_listen = |e: std::io::Error| Error::Program {
            program: "report serve".to_owned(),
            message: format!("cannot listen on 127.0.0.1:{port}: {e}"),
        };
        let listener = TcpListener::bind(("127.0.0.1", port)).map_err(cannot_listen)?;
        let address = listener.local_addr().map_err(cannot_listen)?;
        let stop = Arc::new(AtomicBool::new(false));
        spawn_refresher(store.to_owned(), out.to_owned(), Arc::clone(&stop));
        let (root, stopped) = (out.to_owned(), Arc::clone(&stop));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let root = root.clone();
                // One thread per connection: a browser opens a few at once.
                std::thread::spawn(move || {
                    // A client that went away is not our error.
                    let _ = answer(&root, stream);
                });
            }
        });
        Ok(Self {
            stop,
            url: format!("http://{address}/"),
        })
    }

    /// Serves until the process is stopped.
    pub fn wait(&self) -> ! {
        loop {
            std::thread::park();
        }
    }
}

impl Drop for ReportServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Answers one request and closes the connection. HTTP/1.1 with `Connection: close`:
/// static files for one local user need nothing more, and a connection per request
/// cannot leave a request waiting behind another on a reused connection (which
/// tiny_http 0.12 did with Chromium's parallel fetches).
fn answer(root: &Path, stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(&stream);
    let mut head = String::new();
    loop {
        let before = head.len();
        if reader.read_line(&mut head)? == 0 || head.len() > MAX_HEAD {
            break;
        }
        if head[before..].trim_end().is_empty() {
            break;
        }
    }
    let mut parts = head.lines().next().unwrap_or_default().split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or("/"),
    );
    let (status, content_type, body) = match method {
        "GET" | "HEAD" => respond(root, target),
        _ => (
            405,
            "text/plain; charset=utf-8",
            b"only GET and HEAD".to_vec(),
        ),
    };
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Method Not Allowed",
    };
    let mut writer = &stream;
    write!(
        writer,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        writer.write_all(&body)?;
    }
    writer.flush()
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

/// A file under `root` (status, type, bytes), or 404; never anything outside it.
fn respond(root: &Path, url: &str) -> (u16, &'static str, Vec<u8>) {
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
        (true, Ok(bytes)) => (200, content_type(&file), bytes),
        _ => (404, "text/plain; charset=utf-8", b"not found".to_vec()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_serves_outside_the_root() {
        let dir = tempfile::tempdir().expect("temp dir");
        fs_err::write(dir.path().join("index.html"), "hi").expect("write");
        assert_eq!(respond(dir.path(), "/").0, 200);
        assert_eq!(respond(dir.path(), "/index.html?x=1").2, b"hi");
        assert_eq!(respond(dir.path(), "/../etc/passwd").0, 404);
        assert_eq!(respond(dir.path(), "/data/missing.json").0, 404);
    }

    #[test]
    fn answers_over_tcp_and_closes() {
        use std::io::Read as _;
        let dir = tempfile::tempdir().expect("temp dir");
        fs_err::write(dir.path().join("a.json"), "[1]").expect("write");
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
        let address = listener.local_addr().expect("address");
        let root = dir.path().to_owned();
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().expect("accept");
            answer(&root, stream).expect("answer");
        });
        let mut client = TcpStream::connect(address).expect("connect");
        client
            .write_all(b"GET /a.json HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
            .expect("send");
        let mut reply = String::new();
        client
            .read_to_string(&mut reply)
            .expect("read until closed");
        server.join().expect("server thread");
        assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
        assert!(reply.contains("Content-Type: application/json\r\n"));
        assert!(reply.contains("Connection: close\r\n"));
        assert!(reply.ends_with("\r\n\r\n[1]"));
    }
}
