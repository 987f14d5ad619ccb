//! `serve` and `report`: the bot backend and the editors' report of unanswered questions
//! (both in the `sportello-server` crate).

use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

pub fn serve(config: &Path, listen: Option<SocketAddr>) -> Result<ExitCode> {
    sportello_server::serve(config, listen)?;
    Ok(ExitCode::SUCCESS)
}

pub fn report(db: &Path, agency: Option<&str>, limit: usize, json: bool) -> Result<ExitCode> {
    let rows = sportello_server::report(db, agency, limit)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        outln!("Nessuna domanda senza risposta registrata.")?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("Domande più frequenti senza risposta, con \"Forse cercavi…\" o con 👎 (dati personali già rimossi):")?;
    outln!()?;
    // Stored questions are cleaned when stored; cleaned again here in case an older or
    // foreign row still holds terminal escapes.
    let clean = sportello_core::redact::strip_controls;
    for (i, r) in rows.iter().enumerate() {
        outln!(
            "{:>3}. {}× «{}»  [ente {}; senza risposta {}, forse cercavi {}, 👎 {}]",
            i + 1,
            r.count,
            clean(&r.example),
            clean(&r.agency),
            r.unanswered,
            r.clarified,
            r.thumbs_down
        )?;
        if let Some(e) = &r.top_entry {
            let e = clean(e);
            outln!(
                "      voce più vicina: {e} (aggiungere la frase tra le alternative, se è giusta)"
            )?;
        }
    }
    outln!()?;
    outln!("Per ogni gruppo: aggiungere la domanda come alternativa della voce giusta, o creare una voce nuova.")?;
    Ok(ExitCode::SUCCESS)
}

/// What `report --html` / `--csv` write.
pub struct ReportOptions<'a> {
    pub agency: Option<&'a str>,
    pub limit: usize,
    pub kb: Option<&'a Path>,
    pub review_months: u32,
    pub html: Option<&'a Path>,
    pub csv: Option<&'a Path>,
}

/// Today's day number from the system clock (the report's date).
pub fn today() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    sportello_core::date::day_of_unix(secs)
}

pub fn report_files(db: &Path, o: ReportOptions<'_>) -> Result<ExitCode> {
    use sportello_server::report;
    let store = sportello_server::open_store(db)?;
    let engine = o.kb.map(crate::commands::load_for_use).transpose()?;
    let data = report::gather(&report::Source {
        store: &*store,
        agency: o.agency,
        limit: o.limit,
        engine: engine.as_ref(),
        today: today(),
        review_months: o.review_months,
    })?;
    if let Some(path) = o.html {
        std::fs::write(path, report::html::render(&data))
            .with_context(|| format!("impossibile scrivere {}", path.display()))?;
        outln!("Rapporto HTML scritto in {}", path.display())?;
    }
    if let Some(dir) = o.csv {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("impossibile creare la cartella {}", dir.display()))?;
        for (name, text) in report::csv::render(&data) {
            let path = dir.join(name);
            std::fs::write(&path, text)
                .with_context(|| format!("impossibile scrivere {}", path.display()))?;
            outln!("Scritto {}", path.display())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
