//! The subcommands.

use crate::print;
use crate::FlatFormat;
use anyhow::{bail, Context, Result};
use sportello_core::load::{self, Loaded};
use sportello_core::{eval, AskContext, Diagnostic, Engine, MatchConfig, Timestamp};
use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

fn load(kb: &Path) -> Result<Loaded> {
    Ok(load::load_path(kb)?)
}

/// Loads a KB for use, by core's loading policy ([`for_serving`]).
pub(crate) fn load_for_use(kb: &Path) -> Result<Engine> {
    load_with(kb, MatchConfig::default())
}

fn load_with(kb: &Path, config: MatchConfig) -> Result<Engine> {
    let loaded = for_serving(kb)?;
    crate::model::attach(Engine::with_config(loaded.kb, config)?)
}

/// Core's loading policy (the server's too): a KB with errors is refused, each error printed.
fn for_serving(kb: &Path) -> Result<Loaded> {
    match load::for_serving(kb) {
        Ok(loaded) => Ok(loaded),
        Err(load::Refused::Invalid { errors, .. }) => {
            for d in &errors {
                eprintln!("{d}");
            }
            bail!(
                "{} errori nella base di conoscenza: correggili (sportello check {}) e riprova",
                errors.len(),
                kb.display()
            )
        }
        Err(other) => Err(other.into()),
    }
}

/// What `check` compares review and validity dates with.
pub struct CheckDates {
    /// Day number of "today" (see `sportello_core::date`).
    pub today: i64,
    pub review_months: u32,
}

pub fn check(kb: &Path, json: bool, dates: CheckDates) -> Result<ExitCode> {
    let mut loaded = load(kb)?;
    loaded
        .diagnostics
        .extend(sportello_core::lifecycle::diagnostics(
            &loaded.kb,
            dates.today,
            dates.review_months,
        ));
    let errors = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = loaded.diagnostics.len() - errors;
    if json {
        let v = serde_json::json!({
            "ok": errors == 0,
            "entries": loaded.kb.entries.len(),
            "errors": errors,
            "warnings": warnings,
            "diagnostics": loaded.diagnostics,
        });
        outln!("{v}")?;
    } else {
        for d in &loaded.diagnostics {
            outln!("{d}")?;
        }
        if errors == 0 {
            outln!(
                "OK: {} voci, nessun errore, {warnings} avvisi.",
                loaded.kb.entries.len()
            )?;
        } else {
            outln!(
                "{errors} errori e {warnings} avvisi ({} voci caricate; quelle con errori gravi sono escluse).",
                loaded.kb.entries.len()
            )?;
        }
    }
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The context of a question asked now (the engine reads no clock).
fn now() -> AskContext {
    AskContext::at(Timestamp::from_system_time(std::time::SystemTime::now()))
}

pub fn ask(kb: &Path, question: &str, json: bool, explain: bool) -> Result<ExitCode> {
    let engine = load_for_use(kb)?;
    let (reply, ranking) = engine.ask_with_ranking_in(question, 5, &now());
    if json {
        outln!("{}", print::reply_json(&engine, &reply, &ranking, explain))?;
    } else {
        out!("{}", print::reply(&engine, &reply, explain, &ranking))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn chat(kb: &Path, explain: bool) -> Result<ExitCode> {
    let engine = load_for_use(kb)?;
    let stdin = std::io::stdin();
    let mut out = std::io::stdout();
    writeln!(
        out,
        "{} — {}",
        engine.kb().agency.name,
        engine.ai_disclosure()
    )?;
    writeln!(out, "Scrivi una domanda (riga vuota o Ctrl+D per uscire).")?;
    loop {
        write!(out, "> ")?;
        out.flush()?;
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        let (reply, ranking) = engine.ask_with_ranking_in(line.trim_end(), 5, &now());
        writeln!(out, "{}", print::reply(&engine, &reply, explain, &ranking))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// What `sportello eval` prints and writes.
pub struct EvalOutput<'a> {
    pub json: bool,
    pub baseline: bool,
    pub per_query: Option<&'a Path>,
    pub baseline_per_query: Option<&'a Path>,
    pub failures: Option<usize>,
}

fn write_per_query(path: &Path, rows: &[eval::PerQuery]) -> Result<()> {
    let mut text = String::new();
    for r in rows {
        text.push_str(&serde_json::to_string(r)?);
        text.push('\n');
    }
    std::fs::write(path, text).with_context(|| format!("{}: impossibile scrivere", path.display()))
}

/// Reads question sets (JSONL with relevant_ids); problems go to stderr.
pub(crate) fn read_queries(query_files: &[std::path::PathBuf]) -> Result<Vec<eval::Query>> {
    let mut queries = Vec::new();
    for f in query_files {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("{}: impossibile leggere", f.display()))?;
        let (q, diags) = eval::parse_queries(&f.display().to_string(), &text);
        for d in &diags {
            eprintln!("{d}");
        }
        if diags.iter().any(Diagnostic::is_error) {
            bail!("{}: domande non valide", f.display());
        }
        queries.extend(q);
    }
    Ok(queries)
}

pub fn eval(
    kb: &Path,
    query_files: &[std::path::PathBuf],
    out: EvalOutput,
    settings: &[String],
) -> Result<ExitCode> {
    let EvalOutput {
        json,
        baseline,
        per_query,
        baseline_per_query,
        failures,
    } = out;
    if query_files.is_empty() {
        bail!("indica almeno un file di domande con --queries");
    }
    let mut config = MatchConfig::default();
    for s in settings {
        let Some((k, v)) = s.split_once('=') else {
            bail!("--set {s}: usa la forma chiave=valore");
        };
        config.set(k.trim(), v.trim()).map_err(anyhow::Error::msg)?;
    }
    let engine = load_with(kb, config)?;
    let queries = read_queries(query_files)?;
    let report = eval::evaluate(&engine, &queries);
    if let Some(path) = per_query {
        write_per_query(path, &report.per_query)?;
    }
    let base = if baseline {
        Some(eval::baseline(engine.kb(), &queries)?)
    } else {
        None
    };
    let strong = if baseline || baseline_per_query.is_some() {
        Some(eval::strong_baseline(engine.kb(), &queries)?)
    } else {
        None
    };
    if let (Some(path), Some(s)) = (baseline_per_query, &strong) {
        write_per_query(path, &s.per_query)?;
    }
    let strong = strong.filter(|_| baseline).map(|s| s.metrics);
    let shown: Vec<_> = report.failures.iter().take(failures.unwrap_or(0)).collect();
    if json {
        let mut v = serde_json::to_value(&report.metrics)?;
        if let (Some(obj), Some(b)) = (v.as_object_mut(), &base) {
            obj.insert("baseline".into(), serde_json::to_value(b)?);
        }
        if let (Some(obj), Some(b)) = (v.as_object_mut(), &strong) {
            obj.insert("strong_baseline".into(), serde_json::to_value(b)?);
        }
        if let (Some(obj), true) = (v.as_object_mut(), failures.is_some()) {
            obj.insert("failures".into(), serde_json::to_value(&shown)?);
        }
        outln!("{v}")?;
    } else {
        let m = &report.metrics;
        let row = |name: &str, m: &eval::Metrics| {
            format!(
                "{name:<10} top1 {:.4}  c@1 {:.4}  mrr10 {:.4}  recall5 {:.4}  false_decline {:.4}  decline {}  p50 {:.0}µs  p99 {:.0}µs",
                m.top1,
                m.c_at_1,
                m.mrr10,
                m.recall5,
                m.false_decline_rate,
                m.decline_rate.map_or("-".into(), |d| format!("{d:.4}")),
                m.p50_us,
                m.p99_us
            )
        };
        outln!(
            "{} domande nell'ambito, {} fuori ambito",
            m.n,
            m.n_out_of_scope
        )?;
        outln!("{}", row("sportello", m))?;
        if let Some(b) = &base {
            outln!("{}", row("baseline", b))?;
        }
        if let Some(b) = &strong {
            outln!("{}", row("evalita", b))?;
        }
        for f in shown {
            outln!(
                "- [{}] «{}»: atteso {:?}, risposta {} {:?}, posizione {}",
                f.id,
                f.query,
                f.expected,
                f.kind,
                f.got,
                f.rank.map_or("-".into(), |r| r.to_string())
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_per_query(path: &Path) -> Result<Vec<eval::PerQuery>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: impossibile leggere", path.display()))?;
    let (rows, diags) = eval::compare::parse_per_query(&path.display().to_string(), &text);
    for d in &diags {
        eprintln!("{d}");
    }
    if !diags.is_empty() {
        bail!("{}: file non valido", path.display());
    }
    Ok(rows)
}

pub fn eval_compare(a: &Path, b: &Path, json: bool, changed: usize) -> Result<ExitCode> {
    let c = eval::compare::compare(&read_per_query(a)?, &read_per_query(b)?);
    if c.n + c.n_out_of_scope == 0 {
        bail!(
            "{} e {}: nessuna domanda in comune (stesso id e testo)",
            a.display(),
            b.display()
        );
    }
    if json {
        outln!("{}", serde_json::to_string(&c)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{} domande appaiate nell'ambito, {} fuori ambito, {} non appaiate",
        c.n,
        c.n_out_of_scope,
        c.unpaired
    )?;
    let row = |name: &str, d: &eval::compare::Delta| {
        format!(
            "{name:<14} A {:.4}  B {:.4}  B−A {:+.4}  IC95% [{:+.4}, {:+.4}]{}",
            d.a,
            d.b,
            d.diff,
            d.low,
            d.high,
            if d.significant() { "  *" } else { "" }
        )
    };
    outln!("{}", row("top1", &c.top1))?;
    outln!("{}", row("mrr10", &c.mrr10))?;
    outln!("{}", row("false_decline", &c.false_decline_rate))?;
    if let Some(d) = &c.decline_rate {
        outln!("{}", row("decline (out)", d))?;
    }
    let pos = |r: Option<usize>| r.map_or("-".into(), |r| r.to_string());
    outln!("{} domande cambiate:", c.changed.len())?;
    for ch in c.changed.iter().take(changed) {
        outln!(
            "- [{}] «{}»: posizione {} → {}, {} → {}",
            ch.id,
            ch.query,
            pos(ch.rank_a),
            pos(ch.rank_b),
            ch.kind_a,
            ch.kind_b
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn import(source: &Path, dest: &Path, force: bool) -> Result<ExitCode> {
    let loaded = load(source)?;
    if loaded.has_errors() {
        for d in loaded.diagnostics.iter().filter(|d| d.is_error()) {
            eprintln!("{d}");
        }
        bail!(
            "{}: correggi gli errori prima di importare (nessun file scritto)",
            source.display()
        );
    }
    let entries_dir = dest.join("entries");
    let mut existing = Vec::new();
    for e in &loaded.kb.entries {
        if entries_dir.join(format!("{}.md", e.id)).exists() {
            existing.push(e.id.clone());
        }
    }
    if !existing.is_empty() && !force {
        bail!(
            "{} voci esistono già in {} (per esempio «{}»): usa --force per sovrascriverle",
            existing.len(),
            entries_dir.display(),
            existing[0]
        );
    }
    std::fs::create_dir_all(&entries_dir)
        .with_context(|| format!("{}: impossibile creare", entries_dir.display()))?;
    let agency = dest.join("agency.toml");
    if !agency.exists() {
        std::fs::write(&agency, load::to_agency_file(&loaded.kb.agency))?;
        eprintln!(
            "creato {}: completa nome e contatti dell'ente",
            agency.display()
        );
    }
    for e in &loaded.kb.entries {
        let path = entries_dir.join(format!("{}.md", e.id));
        std::fs::write(&path, load::to_entry_file(e))
            .with_context(|| format!("{}: impossibile scrivere", path.display()))?;
    }
    outln!(
        "{} voci importate in {}",
        loaded.kb.entries.len(),
        entries_dir.display()
    )?;
    Ok(ExitCode::SUCCESS)
}

pub fn export(kb: &Path, format: FlatFormat, out: Option<&Path>) -> Result<ExitCode> {
    let loaded = load(kb)?;
    if loaded.has_errors() {
        for d in loaded.diagnostics.iter().filter(|d| d.is_error()) {
            eprintln!("{d}");
        }
        bail!("{}: correggi gli errori prima di esportare", kb.display());
    }
    let text = match format {
        FlatFormat::Jsonl => load::to_jsonl(&loaded.kb.entries),
        FlatFormat::Csv => load::to_csv(&loaded.kb.entries),
    };
    match out {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("{}: impossibile scrivere", path.display()))?,
        None => out!("{text}")?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the web widget's bundle for one agency. A knowledge base with errors is refused, so
/// that a broken file never reaches the website.
pub fn build(kb: &Path, out: &Path) -> Result<ExitCode> {
    let loaded = for_serving(kb)?;
    // Writing the bundle builds the engine once (its prebuilt data goes into bundle.bin).
    let started = std::time::Instant::now();
    let files = sportello_core::bundle::write(&loaded.kb);
    let build_ms = started.elapsed().as_secs_f64() * 1000.0;
    // Opening the bundle here proves that the browser can open it, with the same code (from
    // its prebuilt data only). When it cannot, building the engine from the KB says why (an
    // engine error), else the prebuilt data itself is at fault.
    let started = std::time::Instant::now();
    let opened = sportello_core::bundle::open(&files.json, files.prebuilt.as_deref());
    let open_ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Err(e) = opened {
        sportello_core::Engine::new(loaded.kb.clone())?;
        bail!("errore interno: il bundle scritto non si apre dai suoi dati precalcolati ({e})");
    }
    let prebuilt = files.prebuilt.unwrap_or_default();
    std::fs::create_dir_all(out)
        .with_context(|| format!("{}: impossibile creare la cartella", out.display()))?;
    let path = out.join("bundle.json");
    let bin = out.join(sportello_core::bundle::PREBUILT_FILE);
    // The two files go together: a widget given one with the other of another build refuses
    // them (the data's fingerprint), with the command to run.
    std::fs::write(&bin, &prebuilt)
        .with_context(|| format!("{}: impossibile scrivere", bin.display()))?;
    std::fs::write(&path, &files.json)
        .with_context(|| format!("{}: impossibile scrivere", path.display()))?;
    outln!(
        "{}: {} voci, {} KB + {} KB di dati precalcolati in {} (su questa macchina: motore aperto dal bundle in {open_ms:.1} ms, costruito dalla base di conoscenza in {build_ms:.1} ms)",
        path.display(),
        loaded.kb.entries.len(),
        files.json.len().div_ceil(1024),
        prebuilt.len().div_ceil(1024),
        sportello_core::bundle::PREBUILT_FILE,
    )?;
    Ok(ExitCode::SUCCESS)
}
