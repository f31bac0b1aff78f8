//! A small set of messages (0–64) whose ids come from a small alphabet, so
//! that Message-IDs, References and In-Reply-To collide: loops, self
//! references, duplicates, unknown ids, prompt answers (`y`/`n`) and the
//! sender's own address. `thread::build` must give a well-formed partition
//! that does not depend on the input order (checks in `common/checks.rs`).
//!
//! `cargo fuzz fmt --fuzz-dir tests/fuzz thread_messages ARTIFACT` prints a
//! case in the text format of `tests/fuzz/regressions/thread_messages/`.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;

#[path = "../common/checks.rs"]
mod checks;

use checks::MsgSpec;

const MAX_MESSAGES: usize = 64;
const MAX_LIST: usize = 8;

/// Ids to pick from: few enough to collide often.
const IDS: &[&str] = &[
    "a@x",
    "b@x",
    "c@x",
    "d@x",
    "e@x",
    "f@x",
    "g@x",
    "h@x",
    "i@x",
    "j@x",
    "k@x",
    "l@x",
    "y",
    "n",
    "",
    "alice@example.org",
    "Alice@Example.org",
    "<<>>",
    "a@x ",
    "A@X",
];

const FROM: &[&str] = &["alice@example.org", "bob@example.org", "a@x", ""];

#[derive(Arbitrary)]
struct RawMsg {
    mid: u8,
    extra: Vec<u8>,
    refs: Vec<u8>,
    irt: Vec<u8>,
    from: u8,
    ds: u8,
    epoch: u8,
    seq: u8,
}

struct Case {
    specs: Vec<MsgSpec>,
    seed: u64,
}

fn ids(raw: &[u8]) -> Vec<String> {
    raw.iter()
        .take(MAX_LIST)
        .map(|&b| IDS[b as usize % IDS.len()].to_string())
        .collect()
}

impl<'a> Arbitrary<'a> for Case {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let seed = u64::arbitrary(u)?;
        let mut specs = Vec::new();
        for raw in u.arbitrary_iter::<RawMsg>()? {
            if specs.len() == MAX_MESSAGES {
                break;
            }
            let r = raw?;
            specs.push(MsgSpec {
                mid: IDS[r.mid as usize % IDS.len()].to_string(),
                extra: ids(&r.extra),
                refs: ids(&r.refs),
                irt: ids(&r.irt),
                from: FROM[r.from as usize % FROM.len()].to_string(),
                ds: i64::from(r.ds % 8),
                epoch: u32::from(r.epoch % 2),
                seq: u64::from(r.seq % 16),
            });
        }
        Ok(Case { specs, seed })
    }
}

/// The case in the regression text format (used by `cargo fuzz fmt`).
impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "# thread_messages case, shuffle seed {}", self.seed)?;
        f.write_str(&checks::case_to_text(&self.specs))
    }
}

fuzz_target!(|case: Case| {
    // The text format must carry the case exactly.
    let text = checks::case_to_text(&case.specs);
    assert_eq!(checks::case_from_text(&text).as_ref(), Ok(&case.specs));

    let msgs = checks::messages(&case.specs);
    checks::check_thread_case(&msgs, &[case.seed]);
});
