//! The epochs an inbox lists in its grokmirror manifest
//! (`BASE/manifest.js.gz`), downloaded over HTTP(S).

use std::io::Read;

use super::source::epoch_number;

/// Epoch numbers listed by `BASE/manifest.js.gz` (grokmirror manifest).
pub fn discover_epochs(base: &str) -> Result<Vec<u32>, FetchError> {
    let url = format!("{}/manifest.js.gz", base.trim_end_matches('/'));
    let body = http_get(&url)?;
    parse_manifest(&body, base).map_err(FetchError::Unusable)
}

/// Parse a gzipped (or plain) grokmirror manifest, keeping the epochs of the
/// inbox at `base` (keys `/LIST/git/N.git`; any `/git/N.git` if none match).
pub fn parse_manifest(body: &[u8], base: &str) -> Result<Vec<u32>, ManifestError> {
    let mut json = Vec::new();
    if body.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(body)
            .read_to_end(&mut json)
            .map_err(ManifestError::Gzip)?;
    } else {
        json = body.to_vec();
    }
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&json).map_err(ManifestError::Json)?;
    let list = base.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let mut exact = Vec::new();
    let mut any = Vec::new();
    for key in map.keys() {
        let Some(prefix) = key.strip_suffix(".git") else {
            continue;
        };
        let Some((head, num)) = prefix.rsplit_once("/git/") else {
            continue;
        };
        let Some(n) = epoch_number(num) else { continue };
        any.push(n);
        if head.rsplit('/').next() == Some(list) {
            exact.push(n);
        }
    }
    let mut out = if exact.is_empty() { any } else { exact };
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Why an HTTP download failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// No answer from the server: `cause` says why in words
    /// ([`crate::net::cause`]).
    #[error("cannot connect: {cause}")]
    NoAnswer {
        cause: String,
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with this status.
    #[error("HTTP {0}")]
    Status(u16),
    /// The server answered, but the body is not usable.
    #[error(transparent)]
    Unusable(#[from] ManifestError),
}

/// Why a manifest cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("bad gzip: {0}")]
    Gzip(#[source] std::io::Error),
    #[error("bad manifest JSON: {0}")]
    Json(#[source] serde_json::Error),
}

/// GET `url` (redirects followed) with the blocking reqwest client. Called
/// from inside a tokio runtime (where that client panics) it runs on a
/// thread of its own.
fn http_get(url: &str) -> Result<Vec<u8>, FetchError> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return std::thread::scope(|s| {
            s.spawn(|| blocking_get(url))
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))
        });
    }
    blocking_get(url)
}

fn blocking_get(url: &str) -> Result<Vec<u8>, FetchError> {
    const CONNECT: std::time::Duration = std::time::Duration::from_secs(20);
    let no_answer = |e: reqwest::Error| FetchError::NoAnswer {
        cause: if e.is_timeout() {
            format!("no answer from {} in time ({e})", crate::net::target(url))
        } else {
            crate::net::cause(&e, url)
        },
        source: e,
    };
    let client = reqwest::blocking::Client::builder()
        .connect_timeout(CONNECT)
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .map_err(|e| FetchError::NoAnswer {
            cause: format!("HTTP client: {e}"),
            source: e,
        })?;
    let res = client.get(url).send().map_err(no_answer)?;
    let status = res.status().as_u16();
    if status != 200 {
        return Err(FetchError::Status(status));
    }
    Ok(res.bytes().map_err(no_answer)?.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_keys_select_the_list() {
        let json = br#"{"/kvmarm/git/0.git": {}, "/kvmarm/git/1.git": {}, "/other/git/0.git": {}, "/kvmarm/git/x.git": {}}"#;
        assert_eq!(
            parse_manifest(json, "https://lore.kernel.org/kvmarm").unwrap(),
            vec![0, 1]
        );
        let mut gz = Vec::new();
        {
            use std::io::Write;
            let mut enc = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::fast());
            enc.write_all(json).unwrap();
        }
        assert_eq!(
            parse_manifest(&gz, "http://127.0.0.1:1/kvmarm").unwrap(),
            vec![0, 1]
        );
        assert!(parse_manifest(b"not json", "x").is_err());
    }

    #[test]
    fn manifest_download_inside_a_runtime_does_not_panic() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let r = rt.block_on(async { discover_epochs(&format!("http://127.0.0.1:{port}/t")) });
        match r {
            Err(FetchError::NoAnswer { cause, .. }) => {
                assert_eq!(cause, format!("connection refused (127.0.0.1:{port})"))
            }
            other => panic!("{other:?}"),
        }
    }
}
