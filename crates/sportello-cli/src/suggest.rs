//! `sportello suggest-alternatives DB KB`: the wordings of unanswered and clarified groups
//! proposed as alternatives of the entry the engine would pick; the accepted ones are written
//! into the entry files (only the `alternatives` lines change), the KB is checked again (the
//! files are restored if it got worse) and the `eval` figures before and after are printed.

use crate::commands::{load_for_use, read_queries};
use anyhow::{bail, Context, Result};
use sportello_core::load::edit::add_alternatives;
use sportello_core::{eval, Engine};
use sportello_server::report::suggest::{suggestions, Suggestion};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// How suggestions are accepted.
pub struct SuggestOptions<'a> {
    /// Accept, without asking, those at or above `min_confidence`.
    pub yes: bool,
    pub min_confidence: Option<f32>,
    /// Only print the suggestions.
    pub dry_run: bool,
    pub limit: usize,
    /// The KB's own question sets, for the eval before and after.
    pub queries: &'a [PathBuf],
}

pub fn suggest_alternatives(db: &Path, kb: &Path, o: SuggestOptions<'_>) -> Result<ExitCode> {
    let store = sportello_server::open_store(db)?;
    let engine = load_for_use(kb)?;
    let found = suggestions(&*store, &engine, o.limit)?;
    if found.is_empty() {
        outln!(
            "Nessun suggerimento: nessuna domanda senza risposta da aggiungere come alternativa."
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let min = o.min_confidence.unwrap_or(engine.thresholds().clarify);
    let accepted = choose(&engine, &found, &o, min)?;
    if o.dry_run || accepted.is_empty() {
        outln!("Nessuna modifica ai file.")?;
        return Ok(ExitCode::SUCCESS);
    }
    let queries = read_queries(o.queries)?;
    let before = (!queries.is_empty()).then(|| eval::evaluate(&engine, &queries).metrics);
    let errors_before = errors(kb)?;
    let originals = write_accepted(&engine, &accepted)?;
    let errors_after = errors(kb)?;
    if errors_after > errors_before {
        for (path, text) in &originals {
            std::fs::write(path, text)
                .with_context(|| format!("{}: impossibile ripristinare", path.display()))?;
        }
        bail!(
            "dopo le modifiche `sportello check` trova {errors_after} errori (prima {errors_before}): file ripristinati, nessuna modifica"
        );
    }
    outln!(
        "Aggiunte {} alternative in {} file; sportello check: {errors_after} errori.",
        accepted.values().map(Vec::len).sum::<usize>(),
        originals.len()
    )?;
    if let Some(before) = before {
        let after = eval::evaluate(&load_for_use(kb)?, &queries).metrics;
        outln!(
            "Qualità sulle domande di prova ({} domande):",
            after.n + after.n_out_of_scope
        )?;
        let row = |name: &str, a: f64, b: f64| {
            outln!(
                "  {name:<22} prima {a:.4}  dopo {b:.4}  differenza {:+.4}",
                b - a
            )
        };
        row("top1", before.top1, after.top1)?;
        row("c@1", before.c_at_1, after.c_at_1)?;
        row("mrr10", before.mrr10, after.mrr10)?;
        row(
            "rifiuti sbagliati",
            before.false_decline_rate,
            after.false_decline_rate,
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn errors(kb: &Path) -> Result<usize> {
    let loaded = sportello_core::load::load_path(kb)?;
    Ok(loaded.diagnostics.iter().filter(|d| d.is_error()).count())
}

/// Asks for each suggestion (or decides with `--yes`); the accepted wordings by entry id.
fn choose(
    engine: &Engine,
    found: &[Suggestion],
    o: &SuggestOptions<'_>,
    min: f32,
) -> Result<BTreeMap<String, Vec<String>>> {
    let mut accepted: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    for (i, s) in found.iter().enumerate() {
        outln!(
            "{}/{}  «{}» ({} {})\n      voce proposta: {} — {} (fiducia {:.0}%)",
            i + 1,
            found.len(),
            s.phrasing,
            s.count,
            if s.count == 1 { "volta" } else { "volte" },
            s.entry_id,
            s.entry_question,
            s.confidence * 100.0
        )?;
        let target = if o.dry_run {
            None
        } else if o.yes {
            let ok = s.confidence >= min;
            outln!(
                "      {}",
                if ok {
                    "accettata".to_string()
                } else {
                    format!("saltata: fiducia sotto {:.0}%", min * 100.0)
                }
            )?;
            ok.then(|| s.entry_id.clone())
        } else {
            out!("      Aggiungere come alternativa? [s = sì, n = no, o l'id di un'altra voce] ")?;
            std::io::Write::flush(&mut std::io::stdout()).map_err(crate::OutputError)?;
            let answer = lines.next().transpose()?.unwrap_or_default();
            if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                outln!("{}", answer.trim())?;
            }
            match answer.trim() {
                "s" | "S" | "si" | "sì" => Some(s.entry_id.clone()),
                "" | "n" | "N" | "no" => None,
                id if engine.kb().entry(id).is_some() => Some(id.to_string()),
                id => {
                    outln!("      voce «{id}» inesistente: saltata")?;
                    None
                }
            }
        };
        if let Some(id) = target {
            let list = accepted.entry(id).or_default();
            if !list.contains(&s.phrasing) {
                list.push(s.phrasing.clone());
            }
        }
    }
    Ok(accepted)
}

/// Writes the accepted wordings into each entry's file; returns the files' previous texts.
fn write_accepted(
    engine: &Engine,
    accepted: &BTreeMap<String, Vec<String>>,
) -> Result<Vec<(PathBuf, String)>> {
    let mut edits = Vec::new();
    for (id, phrasings) in accepted {
        let Some(entry) = engine.kb().entry(id) else {
            continue;
        };
        let Some(file) = entry.origin.as_ref().map(|o| PathBuf::from(&o.file)) else {
            bail!("voce {id}: file di origine sconosciuto");
        };
        if file.extension().and_then(|e| e.to_str()) != Some("md") {
            bail!(
                "voce {id}: {} non è un file del formato nativo (.md); le alternative si aggiungono solo lì (convertire con sportello import)",
                file.display()
            );
        }
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("{}: impossibile leggere", file.display()))?;
        let new = add_alternatives(&text, phrasings)
            .with_context(|| format!("{}: alternative non aggiunte", file.display()))?;
        edits.push((file, text, new));
    }
    let mut originals = Vec::new();
    for (file, text, new) in edits {
        std::fs::write(&file, new)
            .with_context(|| format!("{}: impossibile scrivere", file.display()))?;
        outln!("modificato {}", file.display())?;
        originals.push((file, text));
    }
    Ok(originals)
}
