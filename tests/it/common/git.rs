//! git, run through its CLI, and [`EpochBuilder`], which writes
//! public-inbox v2 epochs (one `m` or `d` file per commit) with
//! `git fast-import`.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::mail::{header_value, mail_author_ident, mail_commit_subject, parse_rfc2822_date};

/// `git -C dir` with inherited repository-selecting variables removed (so a test run from a
/// git hook cannot leak `GIT_DIR` into the commands) and prompts disabled.
pub fn git_command(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(dir);
    scrub_git_env(&mut cmd);
    cmd
}

pub(super) fn scrub_git_env(cmd: &mut Command) {
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

/// An epoch in a temporary folder with `n` patch mails of `tag`, an hour
/// apart from Monday 2022-03-07 10:00 UTC (2022-W10).
pub fn epoch_of(tag: &str, n: usize) -> (tempfile::TempDir, EpochBuilder) {
    const T0: i64 = 1_646_647_200;
    let (t, b) = EpochBuilder::temp();
    let mails: Vec<(Vec<u8>, i64)> = (0..n)
        .map(|i| {
            let at = T0 + i as i64 * 3600;
            (
                super::mail::mail(
                    &format!("{tag}-{i}@example.org"),
                    &format!("{tag} sender <{tag}@example.org>"),
                    &format!("[PATCH] {tag}: change {i}"),
                    &super::mail::rfc2822_date(at),
                    None,
                    &[],
                    "body",
                ),
                at,
            )
        })
        .collect();
    b.add_messages(&mails);
    (t, b)
}
