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

/// `sportello notify`: queues a notice for the agency's subscribers and sends it, printing
/// the progress (counts only: never a subscriber).
pub fn notify(
    config_path: &Path,
    agency: &str,
    notice: &str,
    per_second: u32,
    resend_uncertain: bool,
) -> Result<ExitCode> {
    use sportello_server::broadcast::{notify, send};
    let config = sportello_server::config::Config::load(config_path)?;
    let now = sportello_core::Timestamp::from_system_time(std::time::SystemTime::now());
    let p = notify::prepare(&config, config_path, agency, notice, now)?;
    let total: u64 = p.subscribers.iter().map(|(_, n)| n).sum();
    let per_channel: Vec<String> = p
        .subscribers
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    outln!(
        "Avviso «{}» ({}) agli iscritti dell'ente {}: {total}{}",
        p.message.notice_id,
        p.message.title,
        p.agency,
        if per_channel.is_empty() {
            String::new()
        } else {
            format!(" ({})", per_channel.join(", "))
        }
    )?;
    for (channel, note) in &p.notes {
        outln!("  {channel}: {note}")?;
    }
    if total == 0 {
        outln!("Nessun iscritto agli avvisi: niente da inviare. I cittadini si iscrivono scrivendo /avvisi al bot di Telegram, oppure «avvisi» su WhatsApp o Messenger.")?;
        return Ok(ExitCode::SUCCESS);
    }
    let opts = send::SendOptions {
        per_second,
        resend_uncertain,
        stop_on_signals: true,
        ..Default::default()
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut last = None;
    let mut print_error = None;
    let summary = send::run(
        &*p.store,
        &p.agency,
        &p.message,
        &p.targets,
        &opts,
        stop,
        &mut |pr| {
            let line = format!(
                "inviati {}/{} · in coda {} · in corso {} · non riusciti {} · rimossi {} · saltati {} · incerti {}",
                pr.sent, pr.total, pr.waiting, pr.sending, pr.failed, pr.removed, pr.skipped, pr.uncertain
            );
            if last.as_ref() != Some(&line) {
                if let Err(e) = outln!("{line}") {
                    print_error.get_or_insert(e);
                }
                last = Some(line);
            }
        },
    )?;
    if let Some(e) = print_error {
        return Err(e.into());
    }
    let pr = &summary.progress;
    if summary.queued.interrupted > 0 {
        outln!(
            "{} consegne erano in corso quando il precedente invio si è interrotto di colpo: non si sa se sono arrivate, e per non mandarle due volte non vengono ripetute (--resend-uncertain le invia di nuovo).",
            summary.queued.interrupted
        )?;
    }
    if summary.interrupted {
        outln!(
            "Interrotto: inviati {} di {}. Rilanciare lo stesso comando per inviare il resto (nessuno riceverà l'avviso due volte).",
            pr.sent, pr.total
        )?;
        return Ok(ExitCode::from(2));
    }
    outln!(
        "Fatto: inviati {} di {} (in questo invio {}); rimossi {} (bot bloccato o chat inesistente); non riusciti {}; saltati {}; incerti {}.",
        pr.sent, pr.total, summary.sent_now, pr.removed, pr.failed, pr.skipped, pr.uncertain
    )?;
    if pr.uncertain > 0 && summary.queued.interrupted == 0 {
        outln!(
            "{} consegne sono incerte (una richiesta senza risposta, o un invio interrotto di colpo): non vengono ripetute per non mandarle due volte; --resend-uncertain le invia di nuovo.",
            pr.uncertain
        )?;
    }
    if pr.failed > 0 || pr.skipped > 0 {
        outln!("Le consegne non riuscite o saltate restano in coda: rilanciare il comando più tardi per riprovarle.")?;
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}
