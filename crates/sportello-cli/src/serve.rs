//! `serve` and `report`: the bot backend and the editors' report of unanswered questions
//! (both in the `sportello-server` crate).

use anyhow::Result;
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
