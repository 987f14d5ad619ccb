//! The report as CSV files for spreadsheets: `gruppi.csv`, `settimane.csv`, `voci.csv`.
//! Cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) are prefixed
//! with an apostrophe: the questions were typed by citizens.

use super::Report;
use sportello_core::date;

/// One CSV cell, quoted when needed and defused against formula injection.
fn cell(text: &str) -> String {
    let clean = sportello_core::redact::strip_controls(text);
    let clean = if clean.starts_with(['=', '+', '-', '@']) {
        format!("'{clean}")
    } else {
        clean
    };
    if clean.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", clean.replace('"', "\"\""))
    } else {
        clean
    }
}

fn line(cells: &[String]) -> String {
    let mut s = cells.iter().map(|c| cell(c)).collect::<Vec<_>>().join(",");
    s.push_str("\r\n");
    s
}

/// The three files, as (name, contents).
pub fn render(r: &Report) -> Vec<(&'static str, String)> {
    let mut groups = line(&[
        "ente".into(),
        "domanda_esempio".into(),
        "volte".into(),
        "senza_risposta".into(),
        "forse_cercavi".into(),
        "pollice_giu".into(),
        "voce_proposta".into(),
        "fiducia".into(),
        "ultima_volta".into(),
    ]);
    for g in &r.groups {
        let (pick, conf) = match &g.pick {
            Some(p) => (p.entry_id.clone(), format!("{:.2}", p.confidence)),
            None => (g.row.top_entry.clone().unwrap_or_default(), String::new()),
        };
        groups.push_str(&line(&[
            g.row.agency.clone(),
            g.row.example.clone(),
            g.row.count.to_string(),
            g.row.unanswered.to_string(),
            g.row.clarified.to_string(),
            g.row.thumbs_down.to_string(),
            pick,
            conf,
            date::iso(date::day_of_unix(g.row.last_at)),
        ]));
    }
    let mut weeks = line(&[
        "settimana".into(),
        "canale".into(),
        "tipo".into(),
        "domande".into(),
    ]);
    for w in &r.weeks {
        weeks.push_str(&line(&[
            date::iso(w.week),
            w.channel.clone(),
            w.kind.clone(),
            w.count.to_string(),
        ]));
    }
    let mut entries = line(&[
        "ente".into(),
        "voce".into(),
        "domanda".into(),
        "risposte".into(),
        "forse_cercavi".into(),
        "pollice_su".into(),
        "pollice_giu".into(),
    ]);
    for e in &r.entries {
        let c = &e.counts;
        entries.push_str(&line(&[
            c.agency.clone(),
            c.entry_id.clone(),
            e.question.clone().unwrap_or_default(),
            c.answered.to_string(),
            c.clarified.to_string(),
            c.thumbs_up.to_string(),
            c.thumbs_down.to_string(),
        ]));
    }
    vec![
        ("gruppi.csv", groups),
        ("settimane.csv", weeks),
        ("voci.csv", entries),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("di \"lui\""), "\"di \"\"lui\"\"\"");
        assert_eq!(cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(cell("-2+3"), "'-2+3");
        assert_eq!(cell("piscina"), "piscina");
    }
}
