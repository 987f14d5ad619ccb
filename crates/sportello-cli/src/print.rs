//! Terminal rendering of replies and diagnostics.

use sportello_core::reply::Reply;
use sportello_core::{Candidate, Contacts, Engine};

pub fn contacts(c: &Contacts) -> String {
    let mut out = String::new();
    let mut line = |label: &str, v: &Option<String>| {
        if let Some(v) = v {
            out.push_str(&format!("  {label}: {v}\n"));
        }
    };
    line("Ufficio", &c.office);
    line("Telefono", &c.phone);
    line("E-mail", &c.email);
    line("Orari", &c.hours);
    line("Sito", &c.url);
    line("Indirizzo", &c.address);
    out
}

fn candidates(list: &[Candidate]) -> String {
    list.iter()
        .map(|c| {
            format!(
                "  - {} «{}» (punteggio {:.2}, fiducia {:.2})\n",
                c.id, c.question, c.score, c.confidence
            )
        })
        .collect()
}

/// The reply as a citizen would read it (plus details for editors with `explain`).
pub fn reply(engine: &Engine, r: &Reply, explain: bool, ranking: &[Candidate]) -> String {
    let mut out = String::new();
    for n in r.notices() {
        let mark = match n.priority {
            sportello_core::Priority::High => "AVVISO URGENTE",
            sportello_core::Priority::Normal => "AVVISO",
        };
        out.push_str(&format!("[{mark}] {}\n\n", n.text.trim()));
    }
    match r {
        Reply::Answer {
            question,
            answer,
            source,
            related,
            confidence,
            why,
            ..
        } => {
            out.push_str(&format!(
                "{question}\n\n{}\n",
                sportello_core::render::markdown_to_text(answer)
            ));
            if let Some(s) = source {
                out.push_str(&format!("\nFonte: {s}\n"));
            }
            if !related.is_empty() {
                out.push_str("\nPotrebbe interessarti anche:\n");
                for (_, q) in related {
                    out.push_str(&format!("  - {q}\n"));
                }
            }
            if explain {
                out.push_str(&format!(
                    "\n[spiegazione] risposta (fiducia {confidence:.2}; copertura {:.2}, distacco {:.2}; soglie: risposta {:.2}, chiarimento {:.2})\n",
                    why.coverage,
                    why.margin,
                    engine.thresholds().answer,
                    engine.thresholds().clarify
                ));
                out.push_str(&format!("  frase più vicina: «{}»\n", why.best_phrasing));
                for w in &why.words {
                    let place = w.matched_in.unwrap_or("nessun riscontro");
                    let fix = w
                        .corrected_to
                        .as_ref()
                        .map(|c| format!(" (corretto in «{c}»)"))
                        .unwrap_or_default();
                    let syn = if w.via_synonym {
                        " tramite sinonimo"
                    } else {
                        ""
                    };
                    out.push_str(&format!("  «{}»{fix}: {place}{syn}\n", w.word));
                }
            }
        }
        Reply::Clarify {
            message,
            options,
            confidence,
            ..
        } => {
            out.push_str(&format!("{message}\n"));
            for (i, c) in options.iter().enumerate() {
                out.push_str(&format!("  {}. {}\n", i + 1, c.question));
            }
            if explain {
                out.push_str(&format!(
                    "\n[spiegazione] chiarimento (fiducia {confidence:.2})\n"
                ));
            }
        }
        Reply::Decline {
            message,
            contacts: c,
            reason,
            ..
        } => {
            out.push_str(&format!("{message}\n{}", contacts(c)));
            if explain {
                out.push_str(&format!("\n[spiegazione] nessuna risposta ({reason:?})\n"));
            }
        }
        Reply::SmallTalk {
            message,
            contacts: c,
            intent,
        } => {
            out.push_str(&format!("{message}\n"));
            if let Some(c) = c {
                out.push_str(&contacts(c));
            }
            if explain {
                out.push_str(&format!("\n[spiegazione] conversazione ({intent})\n"));
            }
        }
    }
    if explain && !ranking.is_empty() {
        out.push_str("  candidati:\n");
        out.push_str(&candidates(ranking));
    }
    out
}

/// The reply in the wire format (as the JSON API and the wasm give it); with `explain`, the
/// ranked `candidates` for editors too.
pub fn reply_json(
    engine: &Engine,
    r: &Reply,
    ranking: &[Candidate],
    explain: bool,
) -> serde_json::Value {
    let mut v = serde_json::to_value(engine.wire(r)).unwrap_or_default();
    if let Some(obj) = v.as_object_mut() {
        if explain {
            obj.insert(
                "candidates".into(),
                serde_json::to_value(ranking).unwrap_or_default(),
            );
        }
    }
    v
}
