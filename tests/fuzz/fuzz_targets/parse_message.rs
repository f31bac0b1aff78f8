//! Raw bytes of an `m` blob → `mail::parse` (the indexing path), the content
//! digest, the body text and its facts, and the subject parser. The
//! invariants live in `common/checks.rs`, shared with
//! `tests/fuzz_regressions.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../common/checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| {
    checks::check_message(data);
});
