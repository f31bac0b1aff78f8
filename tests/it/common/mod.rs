//! Shared support code for lore-digest integration tests.
//!
//! Include it from an integration test with `mod common;`. Not every test uses every
//! helper, hence the crate-wide `dead_code` allowance below.
//!
//! Contents:
//! - paths: [`lore_digest_bin`], [`shared_corpus`], [`shared_file`];
//! - git helpers: [`git`], [`git_bytes`], [`try_git`], [`git_command`];
//! - [`EpochBuilder`]: writes public-inbox v2 epochs (one `m` or `d` file per commit);
//! - mail construction: [`mail`], [`MailBuilder`], RFC 2047 / RFC 2822 helpers;
//! - [`PiHttpd`]: serves an inbox over smart HTTP with `public-inbox-httpd` on 127.0.0.1;
//! - [`http_get`]: a tiny std-only HTTP/1.0 client (for manifests and such).
//!
//! Only std and `tempfile` are used; git and public-inbox are driven via their CLIs.

#![allow(dead_code)]

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------

/// `lore-digest --data-dir DATA` for a test: standard input closed, the
/// generation time fixed (2022-03-15, `SOURCE_DATE_EPOCH`) and no
/// `OLLAMA_HOST` of the caller's.
pub fn lore(data: &Path) -> Command {
    let mut c = lore_digest_cmd();
    c.arg("--data-dir")
        .arg(data)
        .env("SOURCE_DATE_EPOCH", "1647302400")
        .env_remove("OLLAMA_HOST")
        .stdin(std::process::Stdio::null());
    c
}

/// Run a command to its end, whatever its status.
pub fn run_cmd(c: &mut Command) -> std::process::Output {
    c.output().expect("run lore-digest")
}

/// Run a command that must succeed; on failure the panic shows its status,
/// stdout and stderr.
pub fn run_ok(c: &mut Command) -> std::process::Output {
    let out = run_cmd(c);
    assert_success(&out, &format!("{c:?}"));
    out
}

/// Panic with `what`, the status, stdout and stderr unless `out` succeeded.
pub fn assert_success(out: &std::process::Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Standard output of a command that must succeed, as text.
pub fn ok_stdout(c: &mut Command) -> String {
    String::from_utf8(run_ok(c).stdout).expect("UTF-8 on stdout")
}

/// The file of extension `ext` (`"json"`) that a successful `report`
/// printed.
pub fn written(o: &std::process::Output, ext: &str) -> PathBuf {
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let printed = String::from_utf8_lossy(&o.stdout);
    PathBuf::from(
        printed
            .lines()
            .find(|l| l.ends_with(&format!(".{ext}")))
            .unwrap_or_else(|| panic!("no .{ext}: {printed}")),
    )
}

/// The text of the file of extension `ext` a successful `report` printed.
pub fn written_text(o: &std::process::Output, ext: &str) -> String {
    std::fs::read_to_string(written(o, ext)).unwrap()
}

/// The JSON file a successful `report` printed.
pub fn written_json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_str(&written_text(o, "json")).unwrap()
}

/// Standard error, as text.
pub fn stderr_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Path of the `lore-digest` binary built by cargo for this integration test run.
///
/// `CARGO_BIN_EXE_<name>` is only defined when compiling integration tests (and benches),
/// which is exactly where this module is included.
pub fn lore_digest_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_lore-digest"))
}

/// A `Command` for the `lore-digest` binary.
pub fn lore_digest_cmd() -> Command {
    Command::new(lore_digest_bin())
}

/// The crate root (`/work/main`).
pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `CARGO_MANIFEST_DIR/../shared` (may not exist).
pub fn shared_dir() -> PathBuf {
    let p = manifest_dir().join("..").join("shared");
    p.canonicalize().unwrap_or(p)
}

/// True when the tests run under CI (`CI=true`): there a resource a test needs
/// must be present.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A resource a test needs is missing: on a developer's machine the test says
/// so on stderr and skips; under `CI=true` it fails, so that a broken install
/// step can never pass as a skipped test.
pub fn missing(what: &str) {
    if under_ci() {
        panic!("CI=true and a resource this test needs is missing: {what}");
    }
    eprintln!("skipping: {what}");
}

/// A file or directory under `../shared/corpora/`, or `None` (see [`missing`])
/// when it is absent.
pub fn shared_file(name: &str) -> Option<PathBuf> {
    let p = shared_dir().join("corpora").join(name);
    if p.exists() {
        Some(p.canonicalize().unwrap_or(p))
    } else {
        missing(&format!(
            "../shared/corpora not found ({} does not exist)",
            p.display()
        ));
        None
    }
}

/// The read-only real epoch `../shared/corpora/kvmarm-columbia.git`, or `None` (with a
/// "skipping" message) when absent. Never write into it.
pub fn shared_corpus() -> Option<PathBuf> {
    shared_file("kvmarm-columbia.git")
}

/// `../shared/corpora/kvmarm-columbia.threads.tsv`, or `None`.
pub fn shared_threads_tsv() -> Option<PathBuf> {
    shared_file("kvmarm-columbia.threads.tsv")
}

/// `../shared/corpora/kvmarm-columbia.weeks.tsv`, or `None`.
pub fn shared_weeks_tsv() -> Option<PathBuf> {
    shared_file("kvmarm-columbia.weeks.tsv")
}

/// Searches `PATH` for an executable named `prog`.
pub fn which(prog: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(prog))
        .find(|p| p.is_file())
}

// ---------------------------------------------------------------------------------------
// git helpers
// ---------------------------------------------------------------------------------------

/// `git -C dir` with inherited repository-selecting variables removed (so a test run from a
/// git hook cannot leak `GIT_DIR` into the commands) and prompts disabled.
pub fn git_command(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(dir);
    scrub_git_env(&mut cmd);
    cmd
}

fn scrub_git_env(cmd: &mut Command) {
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("GIT_TERMINAL_PROMPT", "0");
}

/// Runs `git -C dir ARGS`; `Ok(stdout)` on success, `Err(description)` otherwise.
pub fn try_git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = git_command(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git {args:?}: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(format!(
            "git -C {} {:?} failed ({}):\n{}",
            dir.display(),
            args,
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Runs `git -C dir ARGS`, panics on failure, returns raw stdout.
pub fn git_bytes(dir: &Path, args: &[&str]) -> Vec<u8> {
    try_git(dir, args).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `git -C dir ARGS`, panics on failure, returns stdout (lossy UTF-8) with trailing
/// whitespace trimmed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    String::from_utf8_lossy(&git_bytes(dir, args))
        .trim_end()
        .to_string()
}

/// `git clone -q --mirror SRC DEST` (SRC may be a URL or a path); panics on failure.
pub fn git_clone_mirror(src: &str, dest: &Path) {
    let parent = dest.parent().unwrap_or_else(|| Path::new("."));
    fs::create_dir_all(parent).expect("create clone parent dir");
    git(
        parent,
        &["clone", "-q", "--mirror", src, &dest.to_string_lossy()],
    );
}

// ---------------------------------------------------------------------------------------
// EpochBuilder: public-inbox v2 epochs
// ---------------------------------------------------------------------------------------

/// Identity used for committers (and for authors of `rm` commits and of messages without
/// a usable `From:`).
pub const DEFAULT_IDENT: &str = "lore-digest test <test@example.org>";

/// One change appended to an epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EpochOp {
    /// A commit whose tree holds only `m` = `raw`, as `public-inbox` adds a message.
    Add { raw: Vec<u8>, commit_time: i64 },
    /// A commit whose tree holds only `d` = `raw` (message "rm"), as `public-inbox` removes
    /// a message. `raw` must be the removed message's bytes for the `d` blob to equal the
    /// removed `m` blob.
    Delete { raw: Vec<u8>, commit_time: i64 },
}

/// Creates / extends a bare public-inbox v2 epoch repository (`INBOX/git/N.git`).
///
/// `refs/heads/master` stays linear; every commit's tree holds exactly one file, `m` or
/// `d`. For `m` commits the author is the mail's `From:` (falling back to `Sender:`, then
/// [`DEFAULT_IDENT`]), the author date is the `Date:` header (falling back to the commit
/// time), the message is the decoded, unfolded subject (`(no subject)` if absent); the
/// committer is [`EpochBuilder::committer`] at `commit_time` (+0000). `rm` commits use the
/// committer ident and `commit_time` for both author and committer.
///
/// Objects are written with `git fast-import` (one process per call, any bytes allowed).
#[derive(Clone, Debug)]
pub struct EpochBuilder {
    git_dir: PathBuf,
    committer: String,
}

impl EpochBuilder {
    /// `git init --bare` at `path` (parents created), initial branch `master`.
    pub fn create(path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        fs::create_dir_all(path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
        git(
            path,
            &["init", "-q", "--bare", "--initial-branch=master", "."],
        );
        Self::open(path)
    }

    /// Creates `inbox_dir/git/N.git`.
    pub fn create_in_inbox(inbox_dir: impl AsRef<Path>, epoch: usize) -> Self {
        Self::create(inbox_dir.as_ref().join("git").join(format!("{epoch}.git")))
    }

    /// Creates an epoch `0.git` inside a fresh temporary directory; keep the `TempDir`
    /// alive as long as the repository is needed.
    pub fn temp() -> (tempfile::TempDir, Self) {
        let dir = tempfile::tempdir().expect("tempdir");
        let b = Self::create(dir.path().join("0.git"));
        (dir, b)
    }

    /// Appends to an existing bare repository (e.g. [`PiHttpd::inbox_epoch_path`]).
    pub fn open(path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        assert!(
            path.join("objects").is_dir(),
            "{} is not a bare git repository",
            path.display()
        );
        EpochBuilder {
            git_dir: path.canonicalize().unwrap_or_else(|_| path.to_path_buf()),
            committer: DEFAULT_IDENT.to_string(),
        }
    }

    /// Sets the committer identity (`"Name <email>"`), e.g. public-inbox's
    /// `"list.example.org.0 <list@example.org>"`.
    pub fn with_committer(mut self, ident: &str) -> Self {
        self.committer = sanitize_ident(ident);
        self
    }

    /// The committer identity in use.
    pub fn committer(&self) -> &str {
        &self.committer
    }

    /// The bare repository path.
    pub fn path(&self) -> &Path {
        &self.git_dir
    }

    /// Appends one `m` commit; returns its hex id.
    pub fn add_message(&self, raw: &[u8], commit_time: i64) -> String {
        self.apply(&[EpochOp::Add {
            raw: raw.to_vec(),
            commit_time,
        }])
        .pop()
        .expect("one commit")
    }

    /// Appends one `d` commit ("rm") whose blob is `raw`; returns its hex id.
    pub fn delete_message(&self, raw: &[u8], commit_time: i64) -> String {
        self.apply(&[EpochOp::Delete {
            raw: raw.to_vec(),
            commit_time,
        }])
        .pop()
        .expect("one commit")
    }

    /// Appends one `m` commit per `(raw, commit_time)` with a single `git fast-import`;
    /// returns the commit ids in order.
    /// Add `mails`, each committed at its Date header's time plus its
    /// position (seconds), so that commit order follows the list.
    pub fn add_dated(&self, mails: Vec<Vec<u8>>) -> Vec<String> {
        let ops: Vec<(Vec<u8>, i64)> = mails
            .into_iter()
            .enumerate()
            .map(|(i, m)| {
                let date = header_value(&m, "Date").expect("a Date header");
                let t = parse_rfc2822_date(std::str::from_utf8(&date).expect("UTF-8 Date"))
                    .expect("a valid Date")
                    .0;
                (m, t + i as i64)
            })
            .collect();
        self.add_messages(&ops)
    }

    pub fn add_messages(&self, msgs: &[(Vec<u8>, i64)]) -> Vec<String> {
        let ops: Vec<EpochOp> = msgs
            .iter()
            .map(|(raw, t)| EpochOp::Add {
                raw: raw.clone(),
                commit_time: *t,
            })
            .collect();
        self.apply(&ops)
    }

    /// Appends a mixed batch with a single `git fast-import`; returns the commit ids.
    pub fn apply(&self, ops: &[EpochOp]) -> Vec<String> {
        if ops.is_empty() {
            return Vec::new();
        }
        let parent = self.head();
        let mut stream: Vec<u8> = Vec::new();
        let mut commit_marks = Vec::with_capacity(ops.len());
        let mut mark = 1usize;
        for (i, op) in ops.iter().enumerate() {
            let (raw, commit_time, file) = match op {
                EpochOp::Add { raw, commit_time } => (raw, *commit_time, "m"),
                EpochOp::Delete { raw, commit_time } => (raw, *commit_time, "d"),
            };
            let ct = commit_time.max(0); // git uses unsigned times (as public-inbox)
            let blob = mark;
            let commit = mark + 1;
            mark += 2;
            commit_marks.push(commit);

            write!(stream, "blob\nmark :{blob}\ndata {}\n", raw.len()).unwrap();
            stream.extend_from_slice(raw);
            stream.push(b'\n');

            let (author, at, tz, msg): (Vec<u8>, i64, String, Vec<u8>) = if file == "m" {
                let author =
                    mail_author_ident(raw).unwrap_or_else(|| self.committer.as_bytes().to_vec());
                let (at, tz) = header_value(raw, "Date")
                    .and_then(|d| parse_rfc2822_date(&String::from_utf8_lossy(&d)))
                    .unwrap_or((ct, "+0000".to_string()));
                (author, at.max(0), tz, mail_commit_subject(raw))
            } else {
                (
                    self.committer.as_bytes().to_vec(),
                    ct,
                    "+0000".to_string(),
                    b"rm".to_vec(),
                )
            };
            write!(stream, "commit refs/heads/master\nmark :{commit}\nauthor ").unwrap();
            stream.extend_from_slice(&author);
            write!(
                stream,
                " {at} {tz}\ncommitter {} {ct} +0000\ndata {}\n",
                self.committer,
                msg.len() + 1
            )
            .unwrap();
            stream.extend_from_slice(&msg);
            stream.extend_from_slice(b"\n\n");
            if let (0, Some(p)) = (i, &parent) {
                writeln!(stream, "from {p}").unwrap();
            }
            writeln!(stream, "deleteall\nM 100644 :{blob} {file}\n").unwrap();
        }
        stream.extend_from_slice(b"done\n");

        let tmp = tempfile::tempdir().expect("tempdir for marks");
        let marks_path = tmp.path().join("marks");
        let mut cmd = Command::new("git");
        scrub_git_env(&mut cmd);
        let mut child = cmd
            .arg("--git-dir")
            .arg(&self.git_dir)
            .args([
                "fast-import",
                "--quiet",
                "--done",
                "--date-format=raw-permissive",
            ])
            .arg(format!("--export-marks={}", marks_path.display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn git fast-import");
        let mut stdin = child.stdin.take().expect("fast-import stdin");
        // Feed stdin from a thread so a chatty stderr can never deadlock us.
        let writer = std::thread::spawn(move || stdin.write_all(&stream));
        let out = child.wait_with_output().expect("wait for git fast-import");
        let write_res = writer.join().expect("fast-import writer thread");
        assert!(
            out.status.success(),
            "git fast-import into {} failed ({}): {}",
            self.git_dir.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        write_res.expect("write fast-import stream");

        let marks_text = fs::read_to_string(&marks_path).expect("read fast-import marks");
        let marks: HashMap<usize, String> = marks_text
            .lines()
            .filter_map(|l| {
                let (m, oid) = l.strip_prefix(':')?.split_once(' ')?;
                Some((m.parse().ok()?, oid.trim().to_string()))
            })
            .collect();
        commit_marks
            .iter()
            .map(|m| marks.get(m).cloned().expect("commit mark exported"))
            .collect()
    }

    /// Current `refs/heads/master`, if any.
    pub fn head(&self) -> Option<String> {
        try_git(
            &self.git_dir,
            &["rev-parse", "--verify", "-q", "refs/heads/master"],
        )
        .ok()
        .map(|o| String::from_utf8_lossy(&o).trim().to_string())
        .filter(|s| !s.is_empty())
    }

    /// All commits of `master`, oldest first.
    pub fn commits(&self) -> Vec<String> {
        if self.head().is_none() {
            return Vec::new();
        }
        git(
            &self.git_dir,
            &["rev-list", "--reverse", "refs/heads/master"],
        )
        .lines()
        .map(str::to_string)
        .collect()
    }

    /// Runs `git ARGS` in this repository; see [`git`].
    pub fn git(&self, args: &[&str]) -> String {
        git(&self.git_dir, args)
    }
}

fn sanitize_ident(ident: &str) -> String {
    ident.replace(['\n', '\r', '\0'], " ")
}

/// Author ident (`Name <email>`, bytes) as public-inbox derives it from `From:` (or
/// `Sender:`): `None` when no address is found.
pub fn mail_author_ident(raw: &[u8]) -> Option<Vec<u8>> {
    for h in ["From", "Sender"] {
        let addr = header_value(raw, h).and_then(|v| parse_address(&decode_rfc2047(&v)));
        if let Some((name, email)) = addr {
            let mut id = Vec::new();
            id.extend_from_slice(&name);
            id.extend_from_slice(b" <");
            id.extend_from_slice(&email);
            id.push(b'>');
            return Some(id);
        }
    }
    None
}

/// Commit message public-inbox would use for an `m` commit: decoded, unfolded subject with
/// whitespace runs collapsed, `(no subject)` when absent.
pub fn mail_commit_subject(raw: &[u8]) -> Vec<u8> {
    match header_value(raw, "Subject") {
        None => b"(no subject)".to_vec(),
        Some(v) => collapse_ws(&decode_rfc2047(&v)),
    }
}

fn collapse_ws(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut ws = false;
    for &b in v {
        if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
            ws = true;
        } else {
            if ws && !out.is_empty() {
                out.push(b' ');
            }
            ws = false;
            out.push(b);
        }
    }
    out
}

fn strip_ident_chars(v: &[u8]) -> Vec<u8> {
    let cleaned: Vec<u8> = v
        .iter()
        .copied()
        .filter(|b| !matches!(b, b'<' | b'>' | b'\n' | b'\r' | b'\0'))
        .collect();
    trim_bytes(&cleaned).to_vec()
}

fn trim_bytes(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    &v[start..end]
}

/// Parses a (decoded) address header into `(name, email)`; the name falls back to the
/// comment or the local part. `None` without an `@`-address.
fn parse_address(v: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (mut name, email) = if let Some(lt) = v.iter().position(|&b| b == b'<') {
        let rest = &v[lt + 1..];
        let gt = rest.iter().position(|&b| b == b'>')?;
        (v[..lt].to_vec(), rest[..gt].to_vec())
    } else {
        let s = v;
        let tok = s
            .split(|b| b.is_ascii_whitespace() || *b == b',')
            .find(|t| t.contains(&b'@'))?;
        let comment = match (
            s.iter().position(|&b| b == b'('),
            s.iter().rposition(|&b| b == b')'),
        ) {
            (Some(a), Some(b)) if a < b => s[a + 1..b].to_vec(),
            _ => Vec::new(),
        };
        (comment, tok.to_vec())
    };
    let email = strip_ident_chars(&email);
    if email.is_empty() {
        return None;
    }
    name = trim_bytes(&name).to_vec();
    if name.len() >= 2 && name[0] == b'"' && name[name.len() - 1] == b'"' {
        name = name[1..name.len() - 1].to_vec();
    }
    name.retain(|&b| b != b'\\');
    let mut name = strip_ident_chars(&name);
    if name.is_empty() {
        name = email.split(|&b| b == b'@').next().unwrap_or(&[]).to_vec();
    }
    Some((name, email))
}

// ---------------------------------------------------------------------------------------
// Header parsing (minimal, for the builder and for test assertions)
// ---------------------------------------------------------------------------------------

/// Header fields of a raw message in order, names as written, values unfolded (line
/// breaks of continuation lines removed, their leading whitespace kept) and with leading
/// whitespace trimmed. Stops at the first empty line; ignores lines without a colon.
pub fn parse_headers(raw: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut current_valid = false;
    for line in raw.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if let (true, Some(last)) = (current_valid, out.last_mut()) {
                last.1.extend_from_slice(line);
            }
            continue;
        }
        match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let name = String::from_utf8_lossy(trim_bytes(&line[..colon])).into_owned();
                let value = &line[colon + 1..];
                let start = value
                    .iter()
                    .position(|&b| b != b' ' && b != b'\t')
                    .unwrap_or(value.len());
                out.push((name, value[start..].to_vec()));
                current_valid = true;
            }
            None => current_valid = false,
        }
    }
    out
}

/// First value of header `name` (case-insensitive), unfolded, raw bytes.
pub fn header_value(raw: &[u8], name: &str) -> Option<Vec<u8>> {
    parse_headers(raw)
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// All values of header `name` (case-insensitive).
pub fn header_values(raw: &[u8], name: &str) -> Vec<Vec<u8>> {
    parse_headers(raw)
        .into_iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .collect()
}

// ---------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`]: `(year, month, day)`.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Unix timestamp of a UTC date and time.
pub fn utc_ts(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
    days_from_civil(y, mo, d) * 86_400 + i64::from(h * 3600 + mi * 60 + s)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
// 1970-01-01 was a Thursday.
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// RFC 2822 date in UTC, e.g. `Fri, 06 Jan 2023 12:16:15 +0000`.
pub fn rfc2822_date(ts: i64) -> String {
    rfc2822_date_tz(ts, 0)
}

/// RFC 2822 date of `ts` shown in a zone `offset_minutes` east of UTC.
pub fn rfc2822_date_tz(ts: i64, offset_minutes: i32) -> String {
    let local = ts + i64::from(offset_minutes) * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let off = offset_minutes.unsigned_abs();
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} {}{:02}{:02}",
        WEEKDAYS[days.rem_euclid(7) as usize],
        d,
        MONTHS[(m - 1) as usize],
        y,
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        sign,
        off / 60,
        off % 60
    )
}

fn month_num(tok: &str) -> Option<u32> {
    let t = tok.get(..3)?;
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(t))
        .map(|i| i as u32 + 1)
}

/// Zone token to (minutes east of UTC, git-style `+hhmm` text).
fn parse_zone(tok: &str) -> Option<(i32, String)> {
    let b = tok.as_bytes();
    if b.len() == 5 && (b[0] == b'+' || b[0] == b'-') && b[1..].iter().all(u8::is_ascii_digit) {
        let hh: i32 = tok[1..3].parse().ok()?;
        let mm: i32 = tok[3..5].parse().ok()?;
        let mins = hh * 60 + mm;
        return Some((if b[0] == b'-' { -mins } else { mins }, tok.to_string()));
    }
    let hours = match tok.to_ascii_uppercase().as_str() {
        "UT" | "UTC" | "GMT" | "Z" => 0,
        "EDT" => -4,
        "EST" | "CDT" => -5,
        "CST" | "MDT" => -6,
        "MST" | "PDT" => -7,
        "PST" => -8,
        _ => return None,
    };
    let sign = if hours < 0 { '-' } else { '+' };
    Some((hours * 60, format!("{sign}{:02}00", hours.abs())))
}

/// Lenient RFC 2822 date parser: `[Day,] D Mon YYYY HH:MM[:SS] [zone] [(comment)]`.
/// Returns `(unix timestamp, "+hhmm")`; unknown / missing zones count as `+0000`.
pub fn parse_rfc2822_date(s: &str) -> Option<(i64, String)> {
    // drop (comments)
    let mut cleaned = String::with_capacity(s.len());
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => cleaned.push(c),
            _ => {}
        }
    }
    let toks: Vec<&str> = cleaned
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .collect();
    let mut i = 0;
    if toks
        .first()
        .is_some_and(|t| t.chars().all(|c| c.is_ascii_alphabetic()) && month_num(t).is_none())
    {
        i += 1; // day of week
    }
    let day: u32 = toks.get(i)?.parse().ok()?;
    let month = month_num(toks.get(i + 1)?)?;
    let year_tok = toks.get(i + 2)?;
    let mut year: i64 = year_tok.parse().ok()?;
    match year_tok.len() {
        1 | 2 => year += if year < 50 { 2000 } else { 1900 },
        3 => year += 1900,
        _ => {}
    }
    let mut hms = toks.get(i + 3)?.split(':');
    let h: u32 = hms.next()?.parse().ok()?;
    let mi: u32 = hms.next()?.parse().ok()?;
    let sec: u32 = match hms.next() {
        Some(x) => x.parse().ok()?,
        None => 0,
    };
    if !(1..=31).contains(&day) || h > 24 || mi > 59 || sec > 60 {
        return None;
    }
    let (off, tz) = toks
        .get(i + 4)
        .and_then(|z| parse_zone(z))
        .unwrap_or((0, "+0000".to_string()));
    Some((
        utc_ts(year, month, day, h, mi, sec) - i64::from(off) * 60,
        tz,
    ))
}

// ---------------------------------------------------------------------------------------
// RFC 2047 / base64
// ---------------------------------------------------------------------------------------

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Lenient base64 decoder (ignores padding and invalid characters).
pub fn base64_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for &c in s {
        let Some(v) = B64.iter().position(|&x| x == c) else {
            continue;
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// `=?UTF-8?B?...?=` encoded word for `text`.
pub fn encode_word_b(text: &str) -> String {
    encode_word_b_charset("UTF-8", text.as_bytes())
}

/// `=?CHARSET?B?...?=` encoded word for already-encoded bytes.
pub fn encode_word_b_charset(charset: &str, bytes: &[u8]) -> String {
    format!("=?{charset}?B?{}?=", base64_encode(bytes))
}

/// `=?UTF-8?Q?...?=` encoded word for `text`.
pub fn encode_word_q(text: &str) -> String {
    let mut out = String::from("=?UTF-8?Q?");
    for &b in text.as_bytes() {
        match b {
            b' ' => out.push('_'),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'!' | b'*' | b'+' | b'-' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("={b:02X}")),
        }
    }
    out.push_str("?=");
    out
}

fn hex_val(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Decodes one encoded word at the start of `s`: `(decoded bytes, bytes consumed)`.
fn decode_word(s: &[u8]) -> Option<(Vec<u8>, usize)> {
    let rest = s.strip_prefix(b"=?")?;
    let q1 = rest.iter().take(80).position(|&b| b == b'?')?;
    let charset = String::from_utf8_lossy(&rest[..q1]).to_ascii_lowercase();
    let charset = charset.split('*').next().unwrap_or("").to_string();
    let enc = *rest.get(q1 + 1)?;
    if rest.get(q1 + 2) != Some(&b'?') {
        return None;
    }
    let text_start = q1 + 3;
    let text_len = rest[text_start..].windows(2).position(|w| w == b"?=")?;
    let text = &rest[text_start..text_start + text_len];
    if text.iter().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let bytes = match enc.to_ascii_uppercase() {
        b'B' => base64_decode(text),
        b'Q' => {
            let mut out = Vec::with_capacity(text.len());
            let mut i = 0;
            while i < text.len() {
                match text[i] {
                    b'_' => out.push(b' '),
                    b'=' if i + 2 < text.len() => {
                        match (hex_val(text[i + 1]), hex_val(text[i + 2])) {
                            (Some(h), Some(l)) => {
                                out.push(h * 16 + l);
                                i += 2;
                            }
                            _ => out.push(b'='),
                        }
                    }
                    c => out.push(c),
                }
                i += 1;
            }
            out
        }
        _ => return None,
    };
    let decoded = match charset.as_str() {
        "iso-8859-1" | "latin1" | "iso-8859-15" | "windows-1252" | "cp1252" => bytes
            .iter()
            .map(|&b| b as char)
            .collect::<String>()
            .into_bytes(),
        _ => bytes, // utf-8, us-ascii, or left as-is
    };
    Some((decoded, 2 + text_start + text_len + 2))
}

/// Decodes RFC 2047 encoded words (UTF-8, US-ASCII and Latin-1 charsets are converted to
/// UTF-8; other charsets' bytes are passed through). Whitespace between adjacent encoded
/// words is dropped; everything else, including raw 8-bit bytes, is kept.
pub fn decode_rfc2047(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    let mut last_word = false;
    while i < v.len() {
        if let Some((dec, n)) = decode_word(&v[i..]) {
            out.extend_from_slice(&dec);
            i += n;
            last_word = true;
            continue;
        }
        if last_word && (v[i] == b' ' || v[i] == b'\t') {
            let start = i;
            while i < v.len() && (v[i] == b' ' || v[i] == b'\t') {
                i += 1;
            }
            if i < v.len() && decode_word(&v[i..]).is_some() {
                continue;
            }
            out.extend_from_slice(&v[start..i]);
            last_word = false;
            continue;
        }
        out.push(v[i]);
        i += 1;
        last_word = false;
    }
    out
}

// ---------------------------------------------------------------------------------------
// Mail construction
// ---------------------------------------------------------------------------------------

/// `<mid>` unless already bracketed.
pub fn angle(mid: &str) -> String {
    let t = mid.trim();
    if t.starts_with('<') {
        t.to_string()
    } else {
        format!("<{t}>")
    }
}

/// A simple, well-formed raw message (LF line endings):
///
/// ```text
/// Received: from x by y; DATE
/// From: FROM
/// To: list@example.org
/// Subject: SUBJECT
/// Date: DATE
/// Message-ID: <MID>
/// In-Reply-To: <IRT>            (if given)
/// References: <R1>              (if any; one per folded line)
///  <R2>
/// MIME-Version: 1.0
/// Content-Type: text/plain; charset=utf-8
///
/// BODY (newline appended if missing)
/// ```
/// Message ids may be given with or without angle brackets.
pub fn mail(
    mid: &str,
    from: &str,
    subject: &str,
    date_rfc2822: &str,
    in_reply_to: Option<&str>,
    references: &[&str],
    body: &str,
) -> Vec<u8> {
    let mut b = MailBuilder::new()
        .received(date_rfc2822)
        .from(from)
        .header("To", "list@example.org")
        .subject(subject)
        .date(date_rfc2822)
        .message_id(mid);
    if let Some(irt) = in_reply_to {
        b = b.in_reply_to(irt);
    }
    if !references.is_empty() {
        b = b.references(references);
    }
    let mut body = body.to_string();
    if !body.is_empty() && !body.ends_with('\n') {
        body.push('\n');
    }
    b.header("MIME-Version", "1.0")
        .header("Content-Type", "text/plain; charset=utf-8")
        .body(&body)
        .build()
}

#[derive(Clone, Debug)]
enum HeaderLine {
    /// Built line without terminator; `\n` inside becomes the chosen line ending.
    Gen(Vec<u8>),
    /// Verbatim bytes, terminator included.
    Raw(Vec<u8>),
}

/// Builder for arbitrary (also malformed) raw messages.
///
/// Header lines keep the order in which they were added; a `\n` inside a value folds the
/// header (write `"a\n\tb"`). With [`MailBuilder::crlf`] every generated line ending and
/// every bare `\n` of `.header()` values and `.body()` becomes `\r\n`; `*_raw` / `*_bytes`
/// content is never converted.
#[derive(Clone, Debug, Default)]
pub struct MailBuilder {
    lines: Vec<HeaderLine>,
    body: Vec<u8>,
    body_convert: bool,
    crlf: bool,
    headers_only: bool,
}

impl MailBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// `Name: value` (value may contain `\n` + whitespace for folding).
    pub fn header(self, name: &str, value: &str) -> Self {
        self.header_bytes(name.as_bytes(), value.as_bytes())
    }

    /// Like [`header`](Self::header) with arbitrary bytes (raw 8-bit, invalid UTF-8...).
    pub fn header_bytes(mut self, name: &[u8], value: &[u8]) -> Self {
        let mut l = name.to_vec();
        l.extend_from_slice(b": ");
        l.extend_from_slice(value);
        self.lines.push(HeaderLine::Gen(l));
        self
    }

    /// A verbatim header-section line; include its terminator (`\n`, `\r\n` or none).
    pub fn raw_line(mut self, line: &[u8]) -> Self {
        self.lines.push(HeaderLine::Raw(line.to_vec()));
        self
    }

    /// `Name: part0` followed by continuation lines `\tpart1`, `\tpart2`, ...
    pub fn folded(self, name: &str, parts: &[&str]) -> Self {
        self.header(name, &parts.join("\n\t"))
    }

    /// `Received: from x by y; DATE`
    pub fn received(self, date: &str) -> Self {
        self.header("Received", &format!("from x by y; {date}"))
    }

    pub fn message_id(self, mid: &str) -> Self {
        self.header("Message-ID", &angle(mid))
    }

    pub fn from(self, from: &str) -> Self {
        self.header("From", from)
    }

    pub fn to(self, to: &str) -> Self {
        self.header("To", to)
    }

    pub fn subject(self, subject: &str) -> Self {
        self.header("Subject", subject)
    }

    /// `Subject: =?UTF-8?B?...?=`
    pub fn encoded_subject(self, subject: &str) -> Self {
        self.header("Subject", &encode_word_b(subject))
    }

    pub fn date(self, date: &str) -> Self {
        self.header("Date", date)
    }

    pub fn in_reply_to(self, mid: &str) -> Self {
        self.header("In-Reply-To", &angle(mid))
    }

    /// `References:` with one id per (folded) line.
    pub fn references(self, mids: &[&str]) -> Self {
        let v: Vec<String> = mids.iter().map(|m| angle(m)).collect();
        self.header("References", &v.join("\n "))
    }

    /// Body text (converted to CRLF in CRLF mode).
    pub fn body(mut self, body: &str) -> Self {
        self.body = body.as_bytes().to_vec();
        self.body_convert = true;
        self
    }

    /// Body bytes, verbatim.
    pub fn body_bytes(mut self, body: &[u8]) -> Self {
        self.body = body.to_vec();
        self.body_convert = false;
        self
    }

    /// Use `\r\n` line endings.
    pub fn crlf(mut self, yes: bool) -> Self {
        self.crlf = yes;
        self
    }

    /// Omit the blank separator line and the body.
    pub fn headers_only(mut self, yes: bool) -> Self {
        self.headers_only = yes;
        self
    }

    /// The raw message bytes.
    pub fn build(&self) -> Vec<u8> {
        let eol: &[u8] = if self.crlf { b"\r\n" } else { b"\n" };
        let conv = |v: &[u8], out: &mut Vec<u8>| {
            if !self.crlf {
                out.extend_from_slice(v);
                return;
            }
            for (i, &b) in v.iter().enumerate() {
                if b == b'\n' && (i == 0 || v[i - 1] != b'\r') {
                    out.push(b'\r');
                }
                out.push(b);
            }
        };
        let mut out = Vec::new();
        for l in &self.lines {
            match l {
                HeaderLine::Gen(v) => {
                    conv(v, &mut out);
                    out.extend_from_slice(eol);
                }
                HeaderLine::Raw(v) => out.extend_from_slice(v),
            }
        }
        if !self.headers_only {
            out.extend_from_slice(eol);
            if self.body_convert {
                conv(&self.body, &mut out);
            } else {
                out.extend_from_slice(&self.body);
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------
// Minimal HTTP client
// ---------------------------------------------------------------------------------------

/// A GET response.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// HTTP/1.0 GET of an `http://host:port/path` URL (no TLS, no redirects), with a timeout
/// for connecting and for each read.
pub fn http_get(url: &str, timeout: Duration) -> Result<HttpResponse, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("not an http:// URL: {url}"))?;
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let hostport_full = if hostport.contains(':') {
        hostport.to_string()
    } else {
        format!("{hostport}:80")
    };
    let addr: SocketAddr = hostport_full
        .to_socket_addrs()
        .map_err(|e| format!("resolve {hostport}: {e}"))?
        .next()
        .ok_or_else(|| format!("no address for {hostport}"))?;
    let mut s =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_read_timeout(Some(timeout)).ok();
    s.set_write_timeout(Some(timeout)).ok();
    let req = format!("GET {path} HTTP/1.0\r\nHost: {hostport}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes())
        .map_err(|e| format!("send to {addr}: {e}"))?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)
        .map_err(|e| format!("read from {addr}: {e}"))?;
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no HTTP header end in response from {url}"))?;
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?} from {url}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            Some((n.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    let mut resp = HttpResponse {
        status,
        headers,
        body: buf[split + 4..].to_vec(),
    };
    if resp
        .header("Transfer-Encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        resp.body = dechunk(&resp.body);
    }
    Ok(resp)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size_txt = String::from_utf8_lossy(&data[..eol]);
        let size_txt = size_txt.split(';').next().unwrap_or("").trim();
        let Ok(size) = usize::from_str_radix(size_txt, 16) else {
            break;
        };
        data = &data[eol + 2..];
        if size == 0 || data.len() < size {
            out.extend_from_slice(&data[..size.min(data.len())]);
            break;
        }
        out.extend_from_slice(&data[..size]);
        data = data.get(size + 2..).unwrap_or(&[]);
    }
    out
}

// ---------------------------------------------------------------------------------------
// public-inbox-httpd
// ---------------------------------------------------------------------------------------

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

/// A free TCP port on 127.0.0.1 (bound then released; a small race is possible).
pub fn free_loopback_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local_addr").port()
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
    /// Panics (with logs) if the tools are missing or the server does not come up within
    /// 20 s; check [`public_inbox_available`] first.
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

        let deadline = Instant::now() + Duration::from_secs(20);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = free_loopback_port();
            let mut child = Self::spawn(tmp.path(), &pi_config, port);
            match Self::wait_ready(&mut child, port, deadline) {
                Ok(()) => {
                    return PiHttpd {
                        child,
                        port,
                        name: name.to_string(),
                        inbox,
                        pi_config,
                        tmp,
                    };
                }
                Err(why) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let logs = read_logs(tmp.path());
                    // The port may have been taken between probing and binding: retry.
                    if attempt < 3 && Instant::now() < deadline && why.contains("exited") {
                        eprintln!("public-inbox-httpd on port {port} {why}; retrying\n{logs}");
                        continue;
                    }
                    panic!("public-inbox-httpd on 127.0.0.1:{port} {why}\n{logs}");
                }
            }
        }
    }

    fn spawn(dir: &Path, pi_config: &Path, port: u16) -> Child {
        let stdout = File::create(dir.join("stdout.log")).expect("create stdout.log");
        let stderr = File::create(dir.join("stderr.log")).expect("create stderr.log");
        let mut cmd = Command::new("public-inbox-httpd");
        scrub_git_env(&mut cmd);
        cmd.env("PI_CONFIG", pi_config)
            .current_dir(dir)
            .args(["-W0", "-l"])
            .arg(format!("http://127.0.0.1:{port}"))
            .arg("-1")
            .arg(dir.join("out.log"))
            .arg("-2")
            .arg(dir.join("err.log"))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("spawn public-inbox-httpd")
    }

    fn wait_ready(child: &mut Child, port: u16, deadline: Instant) -> Result<(), String> {
        let url = format!("http://127.0.0.1:{port}/");
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("exited early ({status})"));
            }
            if http_get(&url, Duration::from_millis(500)).is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err("did not answer HTTP within 20 s".to_string());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
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

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// PID of the server process.
    pub fn pid(&self) -> u32 {
        self.child.id()
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

    /// Contents of the server's out.log (access log).
    pub fn out_log(&self) -> String {
        fs::read_to_string(self.tmp.path().join("out.log")).unwrap_or_default()
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
