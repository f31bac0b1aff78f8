//! Which summarizer a report uses: one rule over the flags, the
//! configuration and the defaults, resolved into typed settings.

use super::*;

/// The backend a run uses, from the one rule of precedence: `--no-llm` >
/// `--backend` > the server flag the user gave (`--llm-url` => openai,
/// `--ollama-url` => ollama) > `backend` of `[defaults]` > the server key
/// present in `[defaults]` > ollama (`None`: the default, not asked for).
/// A flag that the chosen backend would not use is refused (exit 2, naming
/// both), never dropped.
pub(super) fn choose_backend(a: &ReportArgs, config: &Config) -> Result<Option<Backend>> {
    let d = &config.defaults;
    let conflict = |x: &str, y: &str| Err(Error::Usage(format!("{x} cannot be used with {y}")));
    // The model flags the user gave, as the user spelled them.
    let model_flags: Vec<&str> = [
        (a.backend.is_some(), "--backend"),
        (a.model.is_some(), "--model"),
        (!a.llm_url.is_empty(), "--llm-url"),
        (!a.ollama_url.is_empty(), "--ollama-url"),
        (a.num_ctx.is_some(), "--num-ctx"),
        (a.timeout.is_some(), "--timeout"),
        (a.jobs.is_some(), "--jobs"),
        (a.refresh_summaries, "--refresh-summaries"),
        (a.no_rolling, "--no-rolling"),
        (!a.summaries_from.is_empty(), "--summaries-from"),
    ]
    .into_iter()
    .filter_map(|(given, flag)| given.then_some(flag))
    .collect();
    if a.no_llm {
        if let Some(f) = model_flags.first() {
            return conflict("--no-llm", f);
        }
        return Ok(Some(Backend::Extractive));
    }
    let llm = !a.llm_url.is_empty();
    let ollama = !a.ollama_url.is_empty();
    if let Some(b) = a.backend {
        match b {
            Backend::Ollama if llm => return conflict("--backend ollama", "--llm-url"),
            Backend::OpenAi if ollama => return conflict("--backend openai", "--ollama-url"),
            Backend::Extractive => {
                if let Some(f) = model_flags.iter().find(|f| **f != "--backend") {
                    return conflict("--backend extractive", f);
                }
            }
            _ => {}
        }
        return Ok(Some(b));
    }
    match (llm, ollama) {
        (true, true) => return conflict("--llm-url", "--ollama-url"),
        (true, false) => return Ok(Some(Backend::OpenAi)),
        (false, true) => return Ok(Some(Backend::Ollama)),
        (false, false) => {}
    }
    if let Some(b) = &d.backend {
        let b = b
            .parse::<Backend>()
            .map_err(|e| Error::Usage(format!("[defaults] backend: {e}")))?;
        if b == Backend::Extractive
            && let Some(f) = model_flags.first()
        {
            return conflict("backend = \"extractive\" of [defaults]", f);
        }
        return Ok(Some(b));
    }
    match (d.llm_url.is_some(), d.ollama_url.is_some()) {
        (true, true) => Err(Error::Usage(
            "[defaults] gives both llm_url and ollama_url: say which to use with \
             backend = \"openai\" or \"ollama\" (or --backend)"
                .into(),
        )),
        (true, false) => Ok(Some(Backend::OpenAi)),
        (false, true) => Ok(Some(Backend::Ollama)),
        (false, false) => Ok(None),
    }
}

/// The summarizer as asked for; also whether the Ollama address came from
/// `OLLAMA_HOST`.
pub(super) fn summarizer_settings(
    a: &ReportArgs,
    config: &Config,
    lang: Lang,
) -> Result<(Settings, bool)> {
    let d = &config.defaults;
    let mut s = Settings::defaults(lang);
    let backend = choose_backend(a, config)?;
    // A backend, model or server asked for on the command line or in the
    // configuration is a request that must be met: when it cannot be used
    // the summaries are unavailable and the exit status is 3. Only the
    // default falls back to extractive summaries with a notice; OLLAMA_HOST,
    // the environment's address of Ollama (as Ollama's own tools read it),
    // moves that default, it does not ask for a model.
    let ollama_host = std::env::var("OLLAMA_HOST")
        .ok()
        .filter(|v| !v.trim().is_empty());
    s.backend_explicit = backend.is_some()
        || a.model.is_some()
        || !a.llm_url.is_empty()
        || !a.ollama_url.is_empty()
        || d.model.is_some()
        || d.llm_url.is_some()
        || d.ollama_url.is_some();
    if let Some(b) = backend {
        s.backend = b;
    }
    if let Some(m) = a.model.clone().or_else(|| d.model.clone()) {
        s.model = m;
    }
    let ollama_from_env =
        a.ollama_url.is_empty() && d.ollama_url.is_none() && ollama_host.is_some();
    let urls = |flag: &[String], config: &Option<UrlList>| -> Vec<String> {
        if flag.is_empty() {
            config.as_ref().map(UrlList::to_vec).unwrap_or_default()
        } else {
            flag.to_vec()
        }
    };
    let ollama = urls(&a.ollama_url, &d.ollama_url);
    if !ollama.is_empty() {
        s.ollama_urls = ollama;
    } else if let Some(h) = ollama_host {
        s.ollama_urls = vec![h];
    }
    let llm = urls(&a.llm_url, &d.llm_url);
    if !llm.is_empty() {
        s.llm_urls = llm;
    }
    if matches!(s.backend, Backend::OpenAi) && s.llm_urls.is_empty() {
        return Err(Error::Usage(
            "--backend openai needs --llm-url (e.g. http://127.0.0.1:8080/v1)".into(),
        ));
    }
    if let Some(j) = a.jobs.or(d.jobs) {
        if !(1..=64).contains(&j) {
            return Err(Error::Usage(format!(
                "jobs {j} (--jobs or [defaults] jobs) must be 1 to 64"
            )));
        }
        s.jobs = j;
    }
    if let Some(n) = a.num_ctx.or(d.num_ctx) {
        s.num_ctx = n;
    }
    if let Some(t) = a.timeout.or(d.timeout_secs) {
        if t == 0 {
            return Err(Error::Usage(
                "a timeout of 0 seconds (--timeout or [defaults] timeout_secs) cannot be met"
                    .into(),
            ));
        }
        s.timeout = std::time::Duration::from_secs(t);
    }
    s.refresh = a.refresh_summaries;
    s.rolling = !a.no_rolling && d.rolling.unwrap_or(true);
    Ok((s, ollama_from_env))
}
