//! [`PiHttpd`]: an inbox served over smart HTTP by the real
//! `public-inbox-httpd` on 127.0.0.1.

use std::fs::{self, File};
use std::net::TcpListener;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::git::{EpochBuilder, git, scrub_git_env};
use super::{missing, which};

/// True when `public-inbox-init`, `public-inbox-httpd` and `git` are in `PATH`.
pub fn public_inbox_available() -> bool {
    which("public-inbox-init").is_some()
        && which("public-inbox-httpd").is_some()
        && which("git").is_some()
}

/// [`public_inbox_available`], printing a "skipping" line naming `test` when false.
/// Usage: `if !common::require_public_inbox("my_test") { return; }`
pub fn require_public_inbox(test: &str) -> bool {
    let ok = public_inbox_available();
    if !ok {
        missing(&format!(
            "{test}: public-inbox-init / public-inbox-httpd not found in PATH \
             (Debian: apt-get install public-inbox)"
        ));
    }
    ok
}

/// A public-inbox v2 inbox served by `public-inbox-httpd -W0` on 127.0.0.1.
///
/// Layout: `TMP/pi.config`, `TMP/inbox/git/N.git` (mirror clones of the given epochs),
/// logs `TMP/out.log`, `TMP/err.log`. The server process (and only it) is killed on drop,
/// then the temporary directory is removed.
pub struct PiHttpd {
    child: Child,
    port: u16,
    name: String,
    inbox: PathBuf,
    pi_config: PathBuf,
    tmp: tempfile::TempDir,
}

impl PiHttpd {
    /// Serves `epoch0` as epoch 0 of inbox `test`.
    pub fn serve(epoch0: impl AsRef<Path>) -> Self {
        Self::serve_epochs("test", &[epoch0.as_ref()])
    }

    /// Serves inbox `name` whose epoch `n` is a mirror clone of `epochs[n]`. With no
    /// epochs, epoch 0 is the empty repository `public-inbox-init` creates.
    /// Panics (with the server's logs) if the tools are missing or the server
    /// does not answer; check [`require_public_inbox`] first.
    pub fn serve_epochs(name: &str, epochs: &[&Path]) -> Self {
        let tmp = tempfile::tempdir().expect("tempdir for inbox");
        let pi_config = tmp.path().join("pi.config");
        let inbox = tmp.path().join("inbox");
        let out = Command::new("public-inbox-init")
            .env("PI_CONFIG", &pi_config)
            .args(["-V2", name])
            .arg(&inbox)
            .arg(format!("http://127.0.0.1/{name}"))
            .arg(format!("{name}@example.org"))
            .stdin(Stdio::null())
            .output()
            .expect("run public-inbox-init (is public-inbox installed?)");
        assert!(
            out.status.success(),
            "public-inbox-init failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for (n, src) in epochs.iter().enumerate() {
            let dest = inbox.join("git").join(format!("{n}.git"));
            if dest.exists() {
                fs::remove_dir_all(&dest).expect("remove init's empty epoch");
            }
            git(
                tmp.path(),
                &[
                    "clone",
                    "-q",
                    "--mirror",
                    "--no-hardlinks",
                    &src.to_string_lossy(),
                    &dest.to_string_lossy(),
                ],
            );
        }

        // The test binds the socket and hands it to the server (as
        // systemd's socket activation does, and public-inbox's own tests):
        // connections wait in its queue until the server accepts them, so
        // the server is ready as soon as it runs, and no port is ever raced
        // for.
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listening socket");
        let port = listener.local_addr().expect("local_addr").port();
        let child = Self::spawn(tmp.path(), &pi_config, listener, port);
        let httpd = PiHttpd {
            child,
            port,
            name: name.to_string(),
            inbox,
            pi_config,
            tmp,
        };
        // One request, answered once the server has loaded: a server that
        // cannot start fails here, with its logs.
        let answer = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("an HTTP client")
            .get(httpd.root_url())
            .send();
        if let Err(e) = answer {
            panic!(
                "public-inbox-httpd on 127.0.0.1:{port} does not answer: {e}\n{}",
                read_logs(httpd.tmp.path())
            );
        }
        httpd
    }

    /// `public-inbox-httpd -W0` serving on `listener`, passed as fd 3 with
    /// `LISTEN_FDS=1` and `LISTEN_PID` (sd_listen_fds(3)): the socket goes
    /// in as the shell's standard input, which moves it to fd 3 and execs
    /// the server in its own process (so `LISTEN_PID=$$` is the server's).
    fn spawn(dir: &Path, pi_config: &Path, listener: TcpListener, port: u16) -> Child {
        let stdout = File::create(dir.join("stdout.log")).expect("create stdout.log");
        let stderr = File::create(dir.join("stderr.log")).expect("create stderr.log");
        let mut cmd = Command::new("sh");
        scrub_git_env(&mut cmd);
        cmd.env("PI_CONFIG", pi_config)
            .current_dir(dir)
            .arg("-c")
            .arg("exec 3<&0 0</dev/null; LISTEN_PID=$$ LISTEN_FDS=1 exec public-inbox-httpd \"$@\"")
            .arg("sh")
            .args(["-W0", "-l"])
            .arg(format!("http://127.0.0.1:{port}"))
            .arg("-1")
            .arg(dir.join("out.log"))
            .arg("-2")
            .arg(dir.join("err.log"))
            .stdin(Stdio::from(OwnedFd::from(listener)))
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("spawn public-inbox-httpd")
    }

    /// `http://127.0.0.1:PORT`
    pub fn root_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:PORT/NAME`
    pub fn base_url(&self) -> String {
        format!("{}/{}", self.root_url(), self.name)
    }

    /// Clone URL of epoch `n`: `http://127.0.0.1:PORT/NAME/N`.
    pub fn epoch_url(&self, n: usize) -> String {
        format!("{}/{n}", self.base_url())
    }

    /// `http://127.0.0.1:PORT/NAME/manifest.js.gz` (gzipped grokmirror manifest).
    pub fn manifest_url(&self) -> String {
        format!("{}/manifest.js.gz", self.base_url())
    }

    /// The inbox directory (`TMP/inbox`).
    pub fn inbox_dir(&self) -> &Path {
        &self.inbox
    }

    /// `TMP/inbox/git/N.git`, the served bare repository of epoch `n` (write into it to
    /// test incremental fetches).
    pub fn inbox_epoch_path(&self, n: usize) -> PathBuf {
        self.inbox.join("git").join(format!("{n}.git"))
    }

    /// An [`EpochBuilder`] appending to served epoch `n`, created empty if missing.
    pub fn epoch_builder(&self, n: usize) -> EpochBuilder {
        let p = self.inbox_epoch_path(n);
        if p.join("objects").is_dir() {
            EpochBuilder::open(p)
        } else {
            EpochBuilder::create(p)
        }
    }

    /// The `PI_CONFIG` file of this inbox.
    pub fn pi_config(&self) -> &Path {
        &self.pi_config
    }

    /// Contents of the server's err.log (normally only a ReverseProxy warning).
    pub fn err_log(&self) -> String {
        fs::read_to_string(self.tmp.path().join("err.log")).unwrap_or_default()
    }
}

fn read_logs(dir: &Path) -> String {
    let mut s = String::new();
    for f in ["err.log", "stderr.log", "stdout.log", "out.log"] {
        let text = fs::read_to_string(dir.join(f)).unwrap_or_default();
        if !text.is_empty() {
            s.push_str(&format!("--- {f} ---\n{text}\n"));
        }
    }
    s
}

impl Drop for PiHttpd {
    fn drop(&mut self) {
        // Only our own child, by PID (std's kill sends SIGKILL to that process).
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
