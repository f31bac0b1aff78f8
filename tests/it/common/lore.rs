//! [`Lore`]: the one way the tests run the `lore-digest` binary, and [`Run`],
//! what a finished run left (status, stdout, stderr) with the assertions the
//! tests make on it.
//!
//! ```ignore
//! let data = tempfile::tempdir().unwrap();
//! Lore::new(data.path()).args(["sync", "t", "--url"]).arg(repo).ok();
//! let week = Lore::new(data.path())
//!     .args(["stats", "t", "--week", "2022-W10", "--json"])
//!     .ok()
//!     .json();
//! let refused = Lore::new(data.path()).args(["index", "t"]).run().code(75);
//! assert!(refused.stderr.contains("another lore-digest"));
//! ```

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};

use serde_json::Value;

/// The generation time every run gets unless a test sets its own:
/// 2022-03-15 00:00 UTC, the Tuesday after the tests' usual week 2022-W10.
pub const SDE: &str = "1647302400";

/// Path of the `lore-digest` binary cargo built for this test run.
pub fn lore_digest_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_lore-digest"))
}

/// `lore-digest` about to be run by a test: standard input closed, the
/// generation time fixed ([`SDE`], as `SOURCE_DATE_EPOCH`) and no
/// `OLLAMA_HOST` of the caller's. Each method adds to the command line or
/// the environment; [`run`](Lore::run) and [`ok`](Lore::ok) run it.
#[must_use = "a Lore does nothing until .run() or .ok()"]
pub struct Lore {
    cmd: Command,
    shown: Vec<String>,
}

impl Lore {
    /// `lore-digest --data-dir DATA`.
    pub fn new(data: impl AsRef<Path>) -> Lore {
        Lore::bare().arg("--data-dir").arg(data.as_ref())
    }

    /// `lore-digest` without a data folder (`--help`, `--version`, a
    /// command given `--data-dir` later, or `LORE_DIGEST_DATA_DIR`).
    pub fn bare() -> Lore {
        let mut cmd = Command::new(lore_digest_bin());
        cmd.env("SOURCE_DATE_EPOCH", SDE)
            .env_remove("OLLAMA_HOST")
            .stdin(Stdio::null());
        Lore {
            cmd,
            shown: vec!["lore-digest".to_string()],
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Lore {
        self.shown.push(arg.as_ref().to_string_lossy().into_owned());
        self.cmd.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Lore
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for a in args {
            self = self.arg(a);
        }
        self
    }

    /// `--quiet`: no progress lines on stderr.
    pub fn quiet(self) -> Lore {
        self.arg("--quiet")
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Lore {
        self.cmd.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Lore {
        self.cmd.env_remove(key);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Lore {
        self.cmd.current_dir(dir);
        self
    }

    /// Run lore-digest under another program: `wrapper` is the command line
    /// up to lore-digest's (`["setpriv", "--inh-caps=-all", "--"]`); what is
    /// added after goes to lore-digest.
    pub fn under(self, wrapper: &[&str]) -> Lore {
        let (program, rest) = wrapper.split_first().expect("a wrapper program");
        let mut cmd = Command::new(program);
        cmd.args(rest)
            .arg(self.cmd.get_program())
            .args(self.cmd.get_args())
            .stdin(Stdio::null());
        for (k, v) in self.cmd.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        if let Some(dir) = self.cmd.get_current_dir() {
            cmd.current_dir(dir);
        }
        let mut shown: Vec<String> = wrapper.iter().map(|s| s.to_string()).collect();
        shown.extend(self.shown);
        Lore { cmd, shown }
    }

    /// The command line, for messages.
    pub fn shown(&self) -> String {
        self.shown.join(" ")
    }

    /// The `Command`, for a test that starts the run itself (to kill it, or
    /// to read its output while it runs).
    pub fn command(self) -> Command {
        self.cmd
    }

    /// Run to the end, whatever the exit status.
    pub fn run(mut self) -> Run {
        let shown = self.shown();
        let out = self
            .cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
        Run::new(shown, out)
    }

    /// Run to the end; it must succeed (see [`Run::success`]).
    pub fn ok(self) -> Run {
        self.run().success()
    }
}

/// A finished run: its exit status and its output as text.
#[derive(Debug)]
pub struct Run {
    /// The command line that ran.
    pub what: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Wrap the output of any command (`what` names it in messages).
    /// lore-digest writes text only, so stdout must be UTF-8.
    pub fn new(what: impl Into<String>, out: Output) -> Run {
        let what = what.into();
        let stdout = String::from_utf8(out.stdout)
            .unwrap_or_else(|e| panic!("{what}: stdout is not UTF-8: {e}"));
        Run {
            what,
            status: out.status,
            stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Run `cmd` (any program) to the end.
    pub fn of(cmd: &mut Command) -> Run {
        let what = format!("{cmd:?}");
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
        Run::new(what, out)
    }

    /// The exit code (`None` when killed by a signal).
    pub fn exit_code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Panics, showing the command, its status, stdout and stderr, unless it
    /// succeeded.
    #[track_caller]
    pub fn success(self) -> Run {
        assert!(self.status.success(), "{} failed: {self}", self.what);
        self
    }

    /// Panics, showing everything, unless the exit code is `code`.
    #[track_caller]
    pub fn code(self, code: i32) -> Run {
        assert_eq!(
            self.status.code(),
            Some(code),
            "{}: exit code: {self}",
            self.what
        );
        self
    }

    /// Stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{}: no JSON on stdout ({e}): {self}", self.what))
    }

    /// The last line of stderr: the error a user reads first.
    pub fn last_err_line(&self) -> &str {
        self.stderr.trim_end().lines().last().unwrap_or("")
    }

    /// The files a successful run (`report`) printed whose names end with
    /// `suffix`, in order.
    #[track_caller]
    pub fn files(&self, suffix: &str) -> Vec<PathBuf> {
        assert!(self.status.success(), "{} failed: {self}", self.what);
        self.stdout
            .lines()
            .filter(|l| l.ends_with(suffix))
            .map(PathBuf::from)
            .collect()
    }

    /// The file of extension `ext` (`"json"`) a `report` printed (the
    /// first, when it wrote several), whatever its exit status (a failed
    /// summary makes it non-zero).
    #[track_caller]
    pub fn printed(&self, ext: &str) -> PathBuf {
        self.stdout
            .lines()
            .find(|l| l.ends_with(&format!(".{ext}")))
            .map(PathBuf::from)
            .unwrap_or_else(|| panic!("{}: no .{ext} printed: {self}", self.what))
    }

    /// [`printed`](Run::printed) by a run that succeeded.
    #[track_caller]
    pub fn written(&self, ext: &str) -> PathBuf {
        assert!(self.status.success(), "{} failed: {self}", self.what);
        self.printed(ext)
    }

    /// The text of [`written`](Run::written).
    #[track_caller]
    pub fn written_text(&self, ext: &str) -> String {
        let p = self.written(ext);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
    }

    /// The JSON report a successful `report` printed.
    #[track_caller]
    pub fn written_json(&self) -> Value {
        serde_json::from_str(&self.written_text("json")).expect("the report's JSON")
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}
