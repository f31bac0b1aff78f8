//! The network, for sync and the model backends: `https://` works (TLS is
//! compiled in, for the manifest, gix's transport and both backends), and a
//! failure names its real cause (connection refused, unresolvable host
//! name, TLS, HTTP status); an explicitly requested backend that cannot be
//! used exits 3, only the implicit default falls back to extractive.
//!
//! Everything is on loopback; host names end in `.invalid` (RFC 2606), which
//! no resolver may answer.

use crate::common;
use crate::summarize_support;
use common::{LoopbackServer, Lore, not_found_server, read_request_head, respond_404};

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lore_digest::progress::Progress;
use lore_digest::summarize::{self, Backend, Failure, FailureKind, Settings, SummarySource};
use summarize_support::*;

/// `lore-digest --data-dir DATA --quiet` working in `cwd`, with no
/// configuration file and no certificate variables of the caller's.
fn isolated(data: &Path, cwd: &Path) -> Lore {
    Lore::new(data)
        .quiet()
        .current_dir(cwd)
        .env("XDG_CONFIG_HOME", cwd)
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
}

/// A loopback HTTPS server with a fresh self-signed certificate for
/// 127.0.0.1, answering 404 to every request it can read. Counts TLS
/// ClientHellos (first byte 0x16) and keeps the request lines.
struct TlsServer {
    server: LoopbackServer,
    hellos: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
    cert: PathBuf,
    _dir: tempfile::TempDir,
}

impl TlsServer {
    fn start() -> TlsServer {
        use openssl::asn1::Asn1Time;
        use openssl::bn::BigNum;
        use openssl::ec::{EcGroup, EcKey};
        use openssl::hash::MessageDigest;
        use openssl::nid::Nid;
        use openssl::pkey::PKey;
        use openssl::ssl::{SslAcceptor, SslMethod};
        use openssl::x509::extension::{BasicConstraints, SubjectAlternativeName};
        use openssl::x509::{X509, X509NameBuilder};

        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", "127.0.0.1").unwrap();
        let name = name.build();
        let mut b = X509::builder().unwrap();
        b.set_version(2).unwrap();
        b.set_serial_number(&BigNum::from_u32(1).unwrap().to_asn1_integer().unwrap())
            .unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::days_from_now(2).unwrap())
            .unwrap();
        let bc = BasicConstraints::new().critical().ca().build().unwrap();
        b.append_extension(bc).unwrap();
        let san = SubjectAlternativeName::new()
            .ip("127.0.0.1")
            .dns("localhost")
            .build(&b.x509v3_context(None, None))
            .unwrap();
        b.append_extension(san).unwrap();
        b.sign(&key, MessageDigest::sha256()).unwrap();
        let x509 = b.build();
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("cert.pem");
        std::fs::write(&cert, x509.to_pem().unwrap()).unwrap();

        let mut acc = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap();
        acc.set_private_key(&key).unwrap();
        acc.set_certificate(&x509).unwrap();
        let acceptor = Arc::new(acc.build());

        let hellos = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (h, r) = (hellos.clone(), requests.clone());
        let server = LoopbackServer::start(move |c| {
            let (h, r, acceptor) = (h.clone(), r.clone(), acceptor.clone());
            std::thread::spawn(move || serve_tls(c, &acceptor, &h, &r));
        });
        TlsServer {
            server,
            hellos,
            requests,
            cert,
            _dir: dir,
        }
    }

    fn port(&self) -> u16 {
        self.server.port()
    }

    fn hellos(&self) -> usize {
        self.hellos.load(Ordering::SeqCst)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve_tls(
    c: TcpStream,
    acceptor: &openssl::ssl::SslAcceptor,
    hellos: &AtomicUsize,
    requests: &Mutex<Vec<String>>,
) {
    let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
    let mut first = [0u8; 1];
    if c.peek(&mut first).ok() == Some(1) && first[0] == 0x16 {
        hellos.fetch_add(1, Ordering::SeqCst);
    }
    let Ok(mut s) = acceptor.accept(c) else {
        return;
    };
    let head = read_request_head(&mut s);
    if !head.contains("\r\n\r\n") {
        return;
    }
    requests
        .lock()
        .unwrap()
        .push(head.lines().next().unwrap_or("").to_string());
    respond_404(&mut s, "no such thing here\n");
    let _ = s.shutdown();
}

/// Two small threads in 2022-W10.
fn two_threads() -> Vec<Vec<u8>> {
    [
        simple_thread("a@x", "first topic", "Some words about the first topic."),
        simple_thread("b@x", "second topic", "Some words about the second topic."),
    ]
    .concat()
}

fn summarize_with(s: &Settings) -> summarize::Outcome {
    let (_r, _d, archive, digest) = synthetic_digest(two_threads());
    assert!(!digest.threads.is_empty());
    summarize::summarize(
        &digest,
        s,
        &lore_digest::summarize::cache::open_store(&archive.summaries_path(), None).unwrap(),
        &Progress::hidden(),
    )
}

/// Every summary is unavailable and its error contains `needle`.
fn assert_unavailable(o: &summarize::Outcome, needle: &str) {
    assert!(!o.summaries.is_empty());
    for x in &o.summaries {
        assert_eq!(x.source, SummarySource::Unavailable, "{x:?}");
        let e = x.error.as_ref().map(Failure::as_str).unwrap_or("");
        assert!(e.contains(needle), "{needle:?} not in {e:?}");
        // A request that failed, asked again by the next run.
        assert_eq!(
            x.error.as_ref().map(Failure::kind),
            Some(FailureKind::Request)
        );
    }
    assert_eq!(o.failed, o.summaries.len());
    let n = o.notice.as_deref().unwrap_or("");
    assert!(n.contains(needle), "{needle:?} not in the notice {n:?}");
}

#[test]
fn https_model_endpoints_are_reached_with_tls() {
    let server = TlsServer::start();
    let p = server.port();
    for (backend, url) in [
        (Backend::Ollama, format!("https://127.0.0.1:{p}")),
        (Backend::OpenAi, format!("https://127.0.0.1:{p}/v1")),
    ] {
        let before = server.hellos();
        let o = summarize_with(&test_settings(backend, &url));
        assert!(server.hellos() > before, "{backend:?}: no TLS ClientHello");
        // The certificate is self-signed: the handshake fails, and says so.
        assert_unavailable(&o, &format!("TLS failure with 127.0.0.1:{p}"));
        assert!(
            o.summaries[0]
                .error
                .as_ref()
                .map(Failure::as_str)
                .unwrap()
                .contains("certificate"),
            "{:?}",
            o.summaries[0].error
        );
    }
}

#[test]
fn https_lore_is_synced_with_tls_by_the_manifest_client_and_by_gix() {
    let server = TlsServer::start();
    let p = server.port();
    let data = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();

    // Untrusted certificate: the manifest download says so, and nothing is
    // probed.
    let url = format!("https://127.0.0.1:{p}/t");
    let out = isolated(data.path(), cwd.path())
        .args(["sync", "t", "--url", &url])
        .run()
        .code(69);
    let err = &out.stderr;
    let last = out.last_err_line();
    assert!(
        last.contains(&format!(
            "sync of t from {url}: cannot connect: TLS failure with 127.0.0.1:{p}"
        )),
        "{err}"
    );
    assert!(last.contains("certificate"), "{err}");
    assert!(!err.contains("no public-inbox archive"), "{err}");
    assert!(server.hellos() >= 1);

    // gix's transport speaks TLS too (an epoch URL goes to gix directly).
    let before = server.hellos();
    let out = isolated(data.path(), cwd.path())
        .args(["sync", "e", "--url", &format!("https://127.0.0.1:{p}/t/0")])
        .run()
        .code(69);
    let err = &out.stderr;
    assert!(server.hellos() > before, "gix sent no ClientHello: {err}");

    // With the certificate trusted (OpenSSL reads SSL_CERT_FILE), both
    // clients complete the handshake and get the server's 404: a server
    // that answers without an archive.
    let out = isolated(data.path(), cwd.path())
        .env("SSL_CERT_FILE", &server.cert)
        .args(["sync", "t", "--url", &url])
        .run()
        .code(69);
    let err = &out.stderr;
    let reqs = server.requests();
    assert!(
        reqs.iter().any(|r| r.starts_with("GET /t/manifest.js.gz ")),
        "{reqs:?}"
    );
    assert!(
        reqs.iter().any(|r| r.starts_with("GET /t/0/info/refs")),
        "gix did not get through TLS: {reqs:?}\n{err}"
    );
    let last = out.last_err_line();
    assert!(last.contains("no public-inbox archive there"), "{err}");
    assert!(last.contains("manifest.js.gz gives HTTP 404"), "{err}");
}

#[test]
fn sync_errors_name_the_network_cause() {
    let data = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();

    // Nothing listens.
    let dead = dead_port();
    let url = format!("http://127.0.0.1:{dead}/kvmarm");
    let out = isolated(data.path(), cwd.path())
        .args(["sync", "kvmarm", "--url", &url])
        .run()
        .code(69);
    let err = &out.stderr;
    let last = out.last_err_line();
    assert!(
        last.contains(&format!(
            "sync of kvmarm from {url}: cannot connect: connection refused (127.0.0.1:{dead})"
        )),
        "{err}"
    );
    assert!(!err.contains("no public-inbox archive"), "{err}");

    // A host name no resolver knows.
    let url = "http://lore.invalid/kvmarm";
    let out = isolated(data.path(), cwd.path())
        .args(["sync", "kvmarm", "--url", url])
        .run()
        .code(69);
    let err = &out.stderr;
    let last = out.last_err_line();
    assert!(
        last.contains("cannot connect: host name lore.invalid not found (DNS"),
        "{err}"
    );
    assert!(!err.contains("no public-inbox archive"), "{err}");

    // A server that answers, without an archive: that one may say so.
    let nf = not_found_server();
    let url = format!("http://127.0.0.1:{}/kvmarm", nf.port());
    let out = isolated(data.path(), cwd.path())
        .args(["sync", "kvmarm", "--url", &url])
        .run()
        .code(69);
    let err = &out.stderr;
    let last = out.last_err_line();
    assert!(last.contains("no public-inbox archive there"), "{err}");
    assert!(last.contains("manifest.js.gz gives HTTP 404"), "{err}");
    assert!(last.contains("--url"), "says what to do: {err}");
}

#[test]
fn model_backend_errors_name_the_network_cause() {
    let dead = dead_port();
    let nf = not_found_server();
    for backend in [Backend::Ollama, Backend::OpenAi] {
        let v1 = if backend == Backend::OpenAi {
            "/v1"
        } else {
            ""
        };
        let o = summarize_with(&test_settings(
            backend,
            &format!("http://127.0.0.1:{dead}{v1}"),
        ));
        assert_unavailable(&o, &format!("connection refused (127.0.0.1:{dead})"));

        let o = summarize_with(&test_settings(
            backend,
            &format!("http://llm.invalid:8080{v1}"),
        ));
        assert_unavailable(&o, "host name llm.invalid not found (DNS");

        let o = summarize_with(&test_settings(
            backend,
            &format!("http://127.0.0.1:{}{v1}", nf.port()),
        ));
        assert_unavailable(&o, "HTTP 404");
    }
}

/// A synced list `t` with threads in 2022-W10.
fn synced_list() -> (tempfile::TempDir, tempfile::TempDir) {
    let (repo, data, archive, digest) = synthetic_digest(two_threads());
    assert!(!digest.threads.is_empty());
    drop(archive);
    (repo, data)
}

fn report(data: &Path, cwd: &Path, out: &Path, extra: &[&str]) -> Lore {
    isolated(data, cwd)
        .args([
            "report", "t", "--week", "2022-W10", "--format", "json", "--lang", "en", "--out",
        ])
        .arg(out)
        .args(["--timeout", "5"])
        .args(extra)
}

#[test]
fn an_explicit_backend_that_cannot_be_used_exits_3_only_the_default_falls_back() {
    let (_repo, data) = synced_list();
    let cwd = tempfile::tempdir().unwrap();
    let out = cwd.path().join("out");
    let dead = dead_port();
    let refused = format!("connection refused (127.0.0.1:{dead})");
    let host = format!("127.0.0.1:{dead}");
    let v1 = format!("http://127.0.0.1:{dead}/v1");

    let cfg = |body: &str| {
        let p = cwd.path().join(format!("c{}.toml", body.len()));
        std::fs::write(&p, format!("[defaults]\n{body}\n")).unwrap();
        p
    };
    let cfg_ollama = cfg(&format!("ollama_url = \"{host}\""));
    let cfg_backend = cfg(&format!("backend = \"ollama\"\nollama_url = \"{host}\""));
    let cfg_openai = cfg(&format!("backend = \"openai\"\nllm_url = \"{v1}\""));
    let cases: Vec<(&str, Lore)> = vec![
        (
            "--ollama-url",
            report(data.path(), cwd.path(), &out, &["--ollama-url", &host]),
        ),
        (
            "--backend ollama + OLLAMA_HOST",
            report(data.path(), cwd.path(), &out, &["--backend", "ollama"])
                .env("OLLAMA_HOST", &host),
        ),
        (
            "--model + OLLAMA_HOST",
            report(data.path(), cwd.path(), &out, &["--model", "m:1b"]).env("OLLAMA_HOST", &host),
        ),
        (
            "config ollama_url",
            report(data.path(), cwd.path(), &out, &[])
                .arg("--config")
                .arg(&cfg_ollama),
        ),
        (
            "config backend",
            report(data.path(), cwd.path(), &out, &[])
                .arg("--config")
                .arg(&cfg_backend),
        ),
        (
            "config openai",
            report(data.path(), cwd.path(), &out, &[])
                .arg("--config")
                .arg(&cfg_openai),
        ),
        (
            "--backend openai",
            report(
                data.path(),
                cwd.path(),
                &out,
                &["--backend", "openai", "--llm-url", &v1],
            ),
        ),
    ];
    for (what, c) in cases {
        let out = c.run();
        let err = &out.stderr;
        assert_eq!(out.exit_code(), Some(3), "{what}: {err}");
        assert!(err.contains(&refused), "{what}: {err}");
        assert!(err.contains("unavailable"), "{what}: {err}");
    }

    // The default (nothing asked for on the command line or in the config;
    // OLLAMA_HOST only moves the default's address): the extractive
    // summary, a notice naming the cause, exit 0.
    let out = report(data.path(), cwd.path(), &out, &[])
        .env("OLLAMA_HOST", &host)
        .run()
        .code(0);
    let err = &out.stderr;
    assert!(err.contains("extractive"), "{err}");
    assert!(err.contains(&refused), "{err}");
}
