//! Model server addresses as users give them, normalized: Ollama's
//! (`OLLAMA_HOST` rules, [`normalize_host`]) and the bases of
//! OpenAI-compatible servers ([`normalize_base`]). Used to reach a server
//! and to name it in notices and the summary store.

/// Ollama's default address.
pub const DEFAULT_HOST: &str = "http://127.0.0.1:11434";

/// An Ollama address that cannot be used ([`normalize_host`]); `url` is
/// the address as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("Ollama URL {url:?}: unsupported scheme {scheme:?}")]
    Scheme { url: String, scheme: String },
    #[error("Ollama URL {url:?}: bad IPv6 address")]
    Ipv6 { url: String },
    #[error("Ollama URL {url:?}: bad port {port:?}")]
    Port { url: String, port: String },
    #[error("Ollama URL {url:?}: {source}")]
    Parse {
        url: String,
        #[source]
        source: url::ParseError,
    },
}

/// The base URL (ending in `/`) for an `OLLAMA_HOST`-style value, read as
/// Ollama reads it: a scheme is optional (`http` by default), so is the
/// port (11434 without a scheme, else 80/443), a bare `:PORT` or `0.0.0.0`
/// (listen addresses) mean this machine.
pub fn normalize_host(s: &str) -> Result<String, HostError> {
    let s = s.trim();
    let s = if s.is_empty() { DEFAULT_HOST } else { s };
    let (scheme, rest, default_port) = match s.split_once("://") {
        None => ("http", s, "11434"),
        Some((sch, rest)) => {
            let sch = sch.to_ascii_lowercase();
            match sch.as_str() {
                "http" => ("http", rest, "80"),
                "https" => ("https", rest, "443"),
                _ => {
                    return Err(HostError::Scheme {
                        url: s.to_string(),
                        scheme: sch,
                    });
                }
            }
        }
    };
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (host, port) = if let Some(h) = hostport.strip_prefix('[') {
        // [v6]:port
        let (h, after) = h
            .split_once(']')
            .ok_or_else(|| HostError::Ipv6 { url: s.to_string() })?;
        (
            format!("[{h}]"),
            after.strip_prefix(':').unwrap_or("").to_string(),
        )
    } else if hostport.matches(':').count() > 1 {
        // A bare IPv6 address without port.
        (format!("[{hostport}]"), String::new())
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h.to_string(), p.to_string()),
            None => (hostport.to_string(), String::new()),
        }
    };
    let host = match host.as_str() {
        "" | "0.0.0.0" => "127.0.0.1".to_string(),
        "[::]" => "[::1]".to_string(),
        _ => host,
    };
    let port = match port.parse::<u16>() {
        Ok(p) => p.to_string(),
        Err(_) if port.is_empty() => default_port.to_string(),
        Err(_) => {
            return Err(HostError::Port {
                url: s.to_string(),
                port,
            });
        }
    };
    let mut path = path.trim_end_matches('/').to_string();
    path.push('/');
    let url = format!("{scheme}://{host}:{port}{path}");
    reqwest::Url::parse(&url).map_err(|source| HostError::Parse {
        url: s.to_string(),
        source,
    })?;
    Ok(url)
}

/// The base of an OpenAI-compatible server that cannot be used
/// ([`normalize_base`]); `url` is the address as given (trimmed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseError {
    #[error("the openai backend needs a server URL (--llm-url http://127.0.0.1:8080/v1)")]
    Missing,
    #[error("LLM URL {url:?}: {source}")]
    Parse {
        url: String,
        #[source]
        source: url::ParseError,
    },
    #[error("LLM URL {url:?}: unsupported scheme {scheme:?}")]
    Scheme { url: String, scheme: String },
}

/// `http://host:port/v1` from what the user gave (scheme optional, no
/// trailing slash).
pub fn normalize_base(s: &str) -> Result<String, BaseError> {
    let s = s.trim().trim_end_matches('/');
    if s.is_empty() {
        return Err(BaseError::Missing);
    }
    let url = if s.contains("://") {
        s.to_string()
    } else {
        format!("http://{s}")
    };
    let parsed = reqwest::Url::parse(&url).map_err(|source| BaseError::Parse {
        url: s.to_string(),
        source,
    })?;
    match parsed.scheme() {
        "http" | "https" => {}
        other => {
            return Err(BaseError::Scheme {
                url: s.to_string(),
                scheme: other.to_string(),
            });
        }
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_as_ollama_reads_them() {
        let n = |s: &str| normalize_host(s).unwrap();
        assert_eq!(n(""), "http://127.0.0.1:11434/");
        assert_eq!(n("127.0.0.1:11434"), "http://127.0.0.1:11434/");
        assert_eq!(n("localhost"), "http://localhost:11434/");
        assert_eq!(n("0.0.0.0"), "http://127.0.0.1:11434/");
        assert_eq!(n(":9999"), "http://127.0.0.1:9999/");
        assert_eq!(n("http://gpu-box"), "http://gpu-box:80/");
        assert_eq!(n("http://gpu-box:8080/"), "http://gpu-box:8080/");
        assert_eq!(n("https://gpu-box"), "https://gpu-box:443/");
        assert_eq!(n("http://h:1/ollama"), "http://h:1/ollama/");
        assert_eq!(n("[::1]:11434"), "http://[::1]:11434/");
        assert_eq!(n("::1"), "http://[::1]:11434/");
        assert!(normalize_host("ftp://x").is_err());
        assert!(normalize_host("host:notaport").is_err());
    }

    #[test]
    fn base_urls() {
        assert_eq!(
            normalize_base("http://127.0.0.1:8080/v1/").unwrap(),
            "http://127.0.0.1:8080/v1"
        );
        assert_eq!(
            normalize_base("127.0.0.1:8080/v1").unwrap(),
            "http://127.0.0.1:8080/v1"
        );
        assert!(normalize_base("").is_err());
        assert_eq!(
            normalize_base("https://vllm.example.org/v1").unwrap(),
            "https://vllm.example.org/v1"
        );
        assert!(normalize_base("ftp://h/v1").is_err());
    }

    #[test]
    fn bad_addresses_name_the_address_and_keep_the_cause() {
        use std::error::Error as _;
        let e = normalize_host("http://[::1").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Ollama URL \"http://[::1\": bad IPv6 address"
        );
        let e = normalize_host("http://h\u{0}x:1").unwrap_err();
        assert!(matches!(e, HostError::Parse { .. }), "{e:?}");
        assert!(e.source().is_some());
        let e = normalize_base("http://[x").unwrap_err();
        assert!(e.to_string().starts_with("LLM URL \"http://[x\": "), "{e}");
        assert!(e.source().is_some());
        assert_eq!(
            normalize_base("ftp://h/v1").unwrap_err(),
            BaseError::Scheme {
                url: "ftp://h/v1".into(),
                scheme: "ftp".into()
            }
        );
    }
}
