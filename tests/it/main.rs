//! The integration tests, as one test binary (one link of the crate instead of
//! one per file). Each module is one area; `common` and `summarize_support` are
//! the shared helpers.
//!
//! Tests that need `../shared/corpora`, `public-inbox-httpd` or `chromium` skip
//! with a message when those are missing, except under `CI=true`, where a
//! missing resource fails the test (see `common::require`).

mod common;
mod summarize_support;

mod b4_fetch;
mod corpus_index;
mod display;
mod docs;
mod exit_status;
mod faults;
mod feed_watch;
mod fuzz_regressions;
mod grounding_measure;
mod grounding_real;
mod grounding_report;
mod highlights_model;
mod highlights_report;
mod hostile;
mod net_errors;
mod people_report;
mod prompt_real;
mod report_charts;
mod report_cli;
mod report_compact;
mod review_across;
mod series_ledger;
mod stats_per;
mod store_versions;
mod summaries_replay;
mod summarize_measure;
mod summarize_ollama;
mod summarize_openai;
mod summarize_prompt;
mod summarize_rolling;
mod summarize_servers;
mod support_selftest;
mod sync_http;
mod sync_index;
mod sync_safety;
mod thread_ids;
mod threads_cli;
mod threads_corpus;
