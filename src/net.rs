//! What went wrong on the network, in words: the root cause of an HTTP
//! client error (refused connection, unresolvable host name, TLS failure,
//! time-out), found by walking the error's source chain, for the messages
//! of `sync` and of the model backends.

use std::error::Error as StdError;
use std::io::ErrorKind;

/// `host:port` of a URL (default port by scheme), or the URL itself.
pub fn target(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port_or_known_default()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => url.to_string(),
        },
        Err(_) => url.to_string(),
    }
}

fn host(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| url.to_string())
}

/// The errors of a source chain, outermost first.
fn chain<'a>(err: &'a (dyn StdError + 'static)) -> Vec<&'a (dyn StdError + 'static)> {
    let mut out = Vec::new();
    let mut cur = Some(err);
    while let Some(e) = cur {
        out.push(e);
        cur = e.source();
        if out.len() > 32 {
            break;
        }
    }
    out
}

/// Why a request to `url` got no answer, e.g. `connection refused
/// (127.0.0.1:9)`, `host name x.invalid not found (DNS: …)`, `TLS failure
/// with h:443: … certificate verify failed …`; else the innermost message.
pub fn cause(err: &(dyn StdError + 'static), url: &str) -> String {
    let errs = chain(err);
    let texts: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
    let innermost = texts.last().cloned().unwrap_or_default();
    let lower: Vec<String> = texts.iter().map(|t| t.to_ascii_lowercase()).collect();
    let has = |needles: &[&str]| lower.iter().any(|t| needles.iter().any(|n| t.contains(n)));
    let target = target(url);
    if has(&[
        "dns error",
        "failed to lookup address",
        "name or service not known",
        "temporary failure in name resolution",
        "no address associated",
        "nodename nor servname",
    ]) {
        return format!("host name {} not found (DNS: {innermost})", host(url));
    }
    // The innermost I/O error is the operating system's own.
    for e in errs.iter().rev() {
        let Some(io) = e.downcast_ref::<std::io::Error>() else {
            continue;
        };
        match io.kind() {
            ErrorKind::ConnectionRefused => return format!("connection refused ({target})"),
            ErrorKind::TimedOut => return format!("timed out ({target})"),
            ErrorKind::HostUnreachable => return format!("host unreachable ({target})"),
            ErrorKind::NetworkUnreachable => return format!("network unreachable ({target})"),
            ErrorKind::ConnectionReset => return format!("connection reset by {target}"),
            _ => {}
        }
    }
    if has(&["certificate", "ssl", "tls", "handshake"]) {
        return format!("TLS failure with {target}: {innermost}");
    }
    if has(&["connection refused"]) {
        return format!("connection refused ({target})");
    }
    innermost
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrap(&'static str, Option<Box<dyn StdError + Send + Sync>>);
    impl std::fmt::Display for Wrap {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl StdError for Wrap {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            self.1.as_deref().map(|e| e as &(dyn StdError + 'static))
        }
    }

    #[test]
    fn causes_are_found_in_the_chain() {
        let refused = Wrap(
            "error sending request",
            Some(Box::new(Wrap(
                "tcp connect error",
                Some(Box::new(std::io::Error::from(ErrorKind::ConnectionRefused))),
            ))),
        );
        assert_eq!(
            cause(&refused, "http://127.0.0.1:9/x"),
            "connection refused (127.0.0.1:9)"
        );
        let dns = Wrap(
            "error sending request",
            Some(Box::new(Wrap(
                "dns error",
                Some(Box::new(std::io::Error::other(
                    "failed to lookup address information: Name or service not known",
                ))),
            ))),
        );
        let c = cause(&dns, "https://nowhere.invalid/list");
        assert!(c.starts_with("host name nowhere.invalid not found"), "{c}");
        let tls = Wrap(
            "error sending request",
            Some(Box::new(Wrap(
                "error:0A000086:SSL routines::certificate verify failed",
                None,
            ))),
        );
        let c = cause(&tls, "https://h/x");
        assert!(c.starts_with("TLS failure with h:443: "), "{c}");
        assert_eq!(cause(&Wrap("odd", None), "http://h/"), "odd");
        assert_eq!(target("http://[::1]:8080/v1"), "[::1]:8080");
    }
}
