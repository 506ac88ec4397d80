//! Downloading released assets into the cache on first use, as fairseq2's asset store
//! does, but safe for the ways our users work:
//!
//! * **Resumable.** Bytes go to `<file>.partial`; an interrupted download (a 7B
//!   checkpoint is ~25 GB) continues with an HTTP `Range` request where the server
//!   allows it, and starts over where it does not.
//! * **Atomic.** Only a complete body (exactly `Content-Length` bytes) is renamed to the
//!   final name, so a file in the cache is always whole.
//! * **One download per file.** A lock file serialises processes: the ranks of a gang
//!   on one node, or two runs started together, download once and the others wait.
//! * **Offline and mirrored clusters.** `DIALEKT_OFFLINE=1` never touches the network
//!   (compute nodes without internet get the "put it here" message at once);
//!   `DIALEKT_ASSET_MIRROR=<base URL>` fetches the same file names from an internal
//!   mirror. Proxies come from `HTTPS_PROXY`/`ALL_PROXY`, as in every HTTP tool.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use thiserror::Error;

use crate::progress::ByteProgress;

/// Set to anything but `0` to forbid downloads.
pub const OFFLINE_ENV: &str = "DIALEKT_OFFLINE";
/// Base URL that replaces the upstream one (everything up to the file name).
pub const MIRROR_ENV: &str = "DIALEKT_ASSET_MIRROR";

/// Why a download did not complete.
#[derive(Debug, Error)]
pub enum DownloadError {
    #[error("downloads are off: {OFFLINE_ENV} is set")]
    Offline,
    #[error("{url}: {cause}")]
    Http {
        url: String,
        cause: Box<ureq::Error>,
    },
    #[error("{url}: the server answered {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: the transfer broke off after {received} bytes ({cause}); run again to resume")]
    Interrupted {
        url: String,
        received: u64,
        cause: std::io::Error,
    },
    #[error("{}: {cause}", path.display())]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
}

/// Whether this process may download (`DIALEKT_OFFLINE` unset, empty or `0`).
#[must_use]
pub fn online() -> bool {
    std::env::var(OFFLINE_ENV).map_or(true, |v| v.is_empty() || v == "0")
}

/// Where `url` is fetched from: the mirror (`DIALEKT_ASSET_MIRROR`) with the same file
/// name, else `url` itself.
#[must_use]
pub fn source_url(url: &str) -> String {
    with_mirror(url, std::env::var(MIRROR_ENV).ok().as_deref())
}

fn with_mirror(url: &str, mirror: Option<&str>) -> String {
    match mirror {
        Some(mirror) if !mirror.is_empty() => {
            format!("{}/{}", mirror.trim_end_matches('/'), file_name(url))
        }
        _ => url.to_owned(),
    }
}

/// The file a URL names: its last path segment.
#[must_use]
pub fn file_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

/// Downloads `url` (or its mirror) to `dest` unless `dest` already exists, with a
/// progress bar labelled `what` on a terminal. Returns the bytes downloaded (0 if the
/// file was there, or another process fetched it while this one waited).
///
/// # Errors
/// [`DownloadError`]: offline, a network or HTTP failure (the partial file is kept for
/// resuming), or a file-system error naming the path.
pub fn download(url: &str, dest: &Path, what: &str) -> Result<u64, DownloadError> {
    if dest.is_file() {
        return Ok(0);
    }
    if !online() {
        return Err(DownloadError::Offline);
    }
    let io = |path: &Path| {
        let path = path.to_owned();
        move |cause| DownloadError::Io { path, cause }
    };
    let dir = dest.parent().unwrap_or_else(|| Path::new("."));
    fs_err::create_dir_all(dir).map_err(io(dir))?;
    let lock_path = sibling(dest, "lock");
    let lock = std::fs::File::create(&lock_path).map_err(io(&lock_path))?;
    lock.lock().map_err(io(&lock_path))?;
    if dest.is_file() {
        // Another process downloaded it while this one waited.
        let _ = fs_err::remove_file(&lock_path);
        return Ok(0);
    }
    let partial = sibling(dest, "partial");
    let url = source_url(url);
    let received = fetch_to(&url, &partial, what)?;
    fs_err::rename(&partial, dest).map_err(io(dest))?;
    // Waiters hold the old lock file open and re-check `dest` once they get it, so the
    // file can go; a process arriving later finds `dest` first.
    let _ = fs_err::remove_file(&lock_path);
    Ok(received)
}

/// `<dest>.<suffix>`, next to `dest`.
fn sibling(dest: &Path, suffix: &str) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_owned();
    name.push(format!(".{suffix}"));
    dest.with_file_name(name)
}

/// Completes `partial` from `url`, resuming from its current length when the server
/// honours the range. Returns the bytes received in this call.
fn fetch_to(url: &str, partial: &Path, what: &str) -> Result<u64, DownloadError> {
    let io = |cause| DownloadError::Io {
        path: partial.to_owned(),
        cause,
    };
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(30)))
            // A stalled connection, not a slow one: each read must make progress.
            .timeout_recv_body(None)
            .timeout_per_read(Some(Duration::from_secs(120)))
            .build(),
    );
    let have = fs_err::metadata(partial).map_or(0, |m| m.len());
    let mut request = agent.get(url);
    if have > 0 {
        request = request.header("Range", format!("bytes={have}-"));
    }
    let mut response = request.call().map_err(|cause| DownloadError::Http {
        url: url.to_owned(),
        cause: Box::new(cause),
    })?;
    let status = response.status().as_u16();
    let resumes = have > 0 && status == 206 && content_range_start(&response) == Some(have);
    if have > 0 && (status == 416 || (status == 206 && !resumes)) {
        // The partial file does not fit what the server has: start over (without a
        // range this time, so this happens at most once).
        fs_err::remove_file(partial).map_err(io)?;
        return fetch_to(url, partial, what);
    }
    if status != 200 && !resumes {
        return Err(DownloadError::Status {
            url: url.to_owned(),
            status,
        });
    }
    let start = if resumes { have } else { 0 };
    let length = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let mut file = fs_err::OpenOptions::new()
        .create(true)
        .write(true)
        .append(resumes)
        .truncate(!resumes)
        .open(partial)
        .map_err(io)?;
    let bar = ByteProgress::new(what);
    bar.show(length.map(|n| start + n), start);
    let mut body = response.body_mut().as_reader();
    let mut buffer = vec![0_u8; 1 << 20];
    let mut received = 0_u64;
    loop {
        // ureq fails the read if the connection closes before Content-Length bytes.
        let n = body
            .read(&mut buffer)
            .map_err(|cause| DownloadError::Interrupted {
                url: url.to_owned(),
                received: start + received,
                cause,
            })?;
        if n == 0 {
            break;
        }
        file.write_all(&buffer[..n]).map_err(io)?;
        received += n as u64;
        bar.advance(n as u64);
    }
    file.sync_all().map_err(io)?;
    bar.finish();
    Ok(received)
}

/// The first byte of a `206` response (`Content-Range: bytes <first>-<last>/<total>`).
fn content_range_start(response: &ureq::http::Response<ureq::Body>) -> Option<u64> {
    let range = response.headers().get("content-range")?.to_str().ok()?;
    let first = range.strip_prefix("bytes ")?.split('-').next()?;
    first.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead as _, BufReader};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// How the test server answers.
    #[derive(Clone, Copy)]
    struct Serve {
        honour_range: bool,
        /// Close the connection after this many body bytes (Content-Length stays whole).
        cut_after: Option<usize>,
        status: u16,
    }

    const WHOLE: Serve = Serve {
        honour_range: true,
        cut_after: None,
        status: 200,
    };

    /// Serves `body` at any path for `requests` connections; returns the base URL and
    /// the `Range` header of each request (None when absent).
    fn server(body: Vec<u8>, answers: Vec<Serve>) -> (String, Arc<Mutex<Vec<Option<String>>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/omniASR-test.pt", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for serve in answers {
                let (stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut range = None;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(value) = line.to_ascii_lowercase().strip_prefix("range: bytes=") {
                        range = Some(value.trim_end_matches('-').to_owned());
                    }
                }
                log.lock().unwrap().push(range.clone());
                let mut stream = stream;
                if serve.status != 200 {
                    let head = format!(
                        "HTTP/1.1 {} Nope\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        serve.status
                    );
                    stream.write_all(head.as_bytes()).unwrap();
                    continue;
                }
                let from = match (&range, serve.honour_range) {
                    (Some(r), true) => r.parse::<usize>().unwrap(),
                    _ => 0,
                };
                let part = &body[from..];
                let head = if from > 0 {
                    format!(
                        "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {from}-{}/{}\r\nConnection: close\r\n\r\n",
                        part.len(),
                        body.len() - 1,
                        body.len()
                    )
                } else {
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        part.len()
                    )
                };
                stream.write_all(head.as_bytes()).unwrap();
                let sent = serve.cut_after.map_or(part.len(), |n| n.min(part.len()));
                // The client may give up early; a broken pipe is not the test's failure.
                let _ = stream.write_all(&part[..sent]);
            }
        });
        (url, seen)
    }

    fn payload() -> Vec<u8> {
        (0..3_000_000_u32).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn a_download_lands_whole_and_leaves_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("models/omniASR-test.pt");
        let (url, seen) = server(payload(), vec![WHOLE]);
        assert_eq!(download(&url, &dest, "test").unwrap(), 3_000_000);
        assert_eq!(fs_err::read(&dest).unwrap(), payload());
        let names: Vec<_> = fs_err::read_dir(dest.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["omniASR-test.pt"]);
        assert_eq!(*seen.lock().unwrap(), [None]);
        // Present now: no request at all (the server would not answer one).
        assert_eq!(download(&url, &dest, "test").unwrap(), 0);
    }

    #[test]
    fn a_broken_transfer_keeps_its_bytes_and_the_next_call_resumes() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("omniASR-test.pt");
        let cut = Serve {
            cut_after: Some(1_200_000),
            ..WHOLE
        };
        let (url, seen) = server(payload(), vec![cut, WHOLE]);
        let err = download(&url, &dest, "test").unwrap_err();
        assert!(matches!(err, DownloadError::Interrupted { .. }), "{err}");
        assert!(err.to_string().contains("run again to resume"), "{err}");
        assert!(!dest.exists());
        let partial = sibling(&dest, "partial");
        assert_eq!(fs_err::metadata(&partial).unwrap().len(), 1_200_000);

        assert_eq!(download(&url, &dest, "test").unwrap(), 1_800_000);
        assert_eq!(fs_err::read(&dest).unwrap(), payload());
        assert!(!partial.exists());
        assert_eq!(*seen.lock().unwrap(), [None, Some("1200000".to_owned())]);
    }

    #[test]
    fn a_server_without_ranges_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("omniASR-test.pt");
        fs_err::write(sibling(&dest, "partial"), b"stale bytes from another file").unwrap();
        let plain = Serve {
            honour_range: false,
            ..WHOLE
        };
        let (url, _) = server(payload(), vec![plain]);
        assert_eq!(download(&url, &dest, "test").unwrap(), 3_000_000);
        assert_eq!(fs_err::read(&dest).unwrap(), payload());
    }

    #[test]
    fn an_http_error_is_named_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("omniASR-test.pt");
        let missing = Serve {
            status: 404,
            ..WHOLE
        };
        let (url, _) = server(payload(), vec![missing]);
        let err = download(&url, &dest, "test").unwrap_err();
        assert!(
            matches!(err, DownloadError::Status { status: 404, .. }),
            "{err}"
        );
        assert!(err.to_string().contains(&url), "{err}");
        assert!(!dest.exists());
    }

    #[test]
    fn a_closed_port_is_a_transport_error() {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}/omniASR-test.pt");
        let err = download(&url, &dir.path().join("x.pt"), "test").unwrap_err();
        assert!(matches!(err, DownloadError::Http { .. }), "{err}");
    }

    #[test]
    fn a_mirror_keeps_the_file_name() {
        let url = "https://dl.fbaipublicfiles.com/mms/omniASR-CTC-300M.pt";
        assert_eq!(
            with_mirror(url, Some("http://m/x/")),
            "http://m/x/omniASR-CTC-300M.pt"
        );
        assert_eq!(with_mirror(url, Some("")), url);
        assert_eq!(with_mirror(url, None), url);
    }

    #[test]
    fn siblings_sit_next_to_the_file() {
        assert_eq!(
            sibling(Path::new("/c/models/a.pt"), "partial"),
            PathBuf::from("/c/models/a.pt.partial")
        );
    }
}
