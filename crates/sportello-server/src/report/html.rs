//! The report as one self-contained HTML page: inline CSS and SVG, no script, no external
//! request; every chart has its numbers in a table as well.

use super::chart::{stacked_columns, stacked_rows, Bar};
use super::{Report, KINDS};
use sportello_core::date;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Text escaped for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let clean = sportello_core::redact::strip_controls(text);
    let mut out = String::with_capacity(clean.len());
    for c in clean.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
:root{color:#1f2328;background:#fff;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}
body{margin:0}main{max-width:62rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.7rem;margin:.2rem 0}h2{font-size:1.3rem;margin-top:2.2rem;border-bottom:2px solid #d0d7de;padding-bottom:.2rem}
.meta{color:#57606a;margin:0}
.cards{display:flex;flex-wrap:wrap;gap:.8rem;list-style:none;padding:0;margin:1.2rem 0}
.cards li{border:1px solid #d0d7de;border-radius:.5rem;padding:.6rem .9rem;min-width:9rem}
.cards strong{display:block;font-size:1.5rem}
table{border-collapse:collapse;width:100%;margin:.8rem 0;font-size:.95rem}
caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border-bottom:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.chart{width:100%;height:auto;display:block;margin:.6rem 0}
.chart .grid{stroke:#d0d7de}.chart .axis{fill:#1f2328;font-size:12px}
.k-answer{fill:#1a7f37}.k-clarify{fill:#9a6700}.k-decline{fill:#cf222e}.k-small_talk{fill:#6e7781}
.k-up{fill:#1a7f37}.k-down{fill:#cf222e}
.legend{display:flex;flex-wrap:wrap;gap:1rem;list-style:none;padding:0;margin:0}
.legend span{display:inline-block;width:.9rem;height:.9rem;margin-right:.35rem;vertical-align:-.1rem;border-radius:2px}
.s-answer,.s-up{background:#1a7f37}.s-clarify{background:#9a6700}.s-decline,.s-down{background:#cf222e}.s-small_talk{background:#6e7781}
.hint{color:#57606a}
code{font-size:.9em;background:#f6f8fa;padding:0 .2rem;border-radius:3px}
";

/// The whole page.
pub fn render(r: &Report) -> String {
    let mut s = String::new();
    let who = r
        .agency_name
        .clone()
        .or_else(|| r.agency.clone())
        .unwrap_or_else(|| "tutti gli enti".to_string());
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"it\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Rapporto per i redattori — {who}</title><style>{STYLE}</style></head><body><main><h1>Rapporto per i redattori</h1><p class=\"meta\">{who} · generato il {} · i dati personali sono stati tolti dalle domande prima di salvarle</p>",
        date::italian(r.today),
        who = esc(&who),
    );
    summary(&mut s, r);
    weeks(&mut s, r);
    groups(&mut s, r);
    entries(&mut s, r);
    review(&mut s, r);
    s.push_str("</main></body></html>\n");
    s
}

fn pct(part: u64, total: u64) -> String {
    if total == 0 {
        return "—".into();
    }
    format!("{:.0}%", 100.0 * part as f64 / total as f64)
}

fn summary(s: &mut String, r: &Report) {
    let total: u64 = r.weeks.iter().map(|w| w.count).sum();
    let of = |k: &str| -> u64 {
        r.weeks
            .iter()
            .filter(|w| w.kind == k)
            .map(|w| w.count)
            .sum()
    };
    let up: u64 = r.entries.iter().map(|e| e.counts.thumbs_up).sum();
    let down: u64 = r.entries.iter().map(|e| e.counts.thumbs_down).sum();
    let _ = write!(
        s,
        "<h2>In sintesi</h2><ul class=\"cards\"><li><strong>{total}</strong>domande</li><li><strong>{}</strong>con risposta</li><li><strong>{}</strong>con «Forse cercavi…»</li><li><strong>{}</strong>senza risposta</li><li><strong>{up} / {down}</strong>voti utili / non utili</li></ul>",
        pct(of("answer"), total),
        pct(of("clarify"), total),
        pct(of("decline"), total),
    );
}

fn week_label(week: i64) -> String {
    let (_, m, d) = date::civil_from_days(week);
    format!("{d}/{m}")
}

fn weeks(s: &mut String, r: &Report) {
    s.push_str("<h2>Domande per settimana</h2>");
    if r.weeks.is_empty() {
        s.push_str("<p>Nessuna domanda registrata.</p>");
        return;
    }
    let mut by_week: BTreeMap<i64, BTreeMap<&str, u64>> = BTreeMap::new();
    let mut by_channel: BTreeMap<i64, BTreeMap<&str, u64>> = BTreeMap::new();
    for w in &r.weeks {
        *by_week
            .entry(w.week)
            .or_default()
            .entry(&w.kind)
            .or_default() += w.count;
        *by_channel
            .entry(w.week)
            .or_default()
            .entry(&w.channel)
            .or_default() += w.count;
    }
    let bars: Vec<Bar> = by_week
        .iter()
        .map(|(week, kinds)| Bar {
            label: week_label(*week),
            parts: KINDS
                .iter()
                .map(|(k, _)| {
                    let class = match *k {
                        "answer" => "k-answer",
                        "clarify" => "k-clarify",
                        "decline" => "k-decline",
                        _ => "k-small_talk",
                    };
                    (kinds.get(k).copied().unwrap_or(0), class)
                })
                .collect(),
        })
        .collect();
    s.push_str(&stacked_columns(
        "settimane",
        "Domande per settimana e tipo di risposta",
        "Colonne impilate, una per settimana (data del lunedì): risposte, «Forse cercavi…», nessuna risposta, conversazione. I numeri sono nella tabella che segue.",
        &bars,
    ));
    s.push_str("<ul class=\"legend\">");
    for (k, name) in KINDS {
        let _ = write!(s, "<li><span class=\"s-{k}\"></span>{}</li>", esc(name));
    }
    s.push_str("</ul><table><caption>Domande per settimana e tipo di risposta</caption><thead><tr><th scope=\"col\">Settimana dal</th>");
    for (_, name) in KINDS {
        let _ = write!(s, "<th scope=\"col\" class=\"n\">{}</th>", esc(name));
    }
    s.push_str("<th scope=\"col\" class=\"n\">Totale</th></tr></thead><tbody>");
    for (week, kinds) in &by_week {
        let _ = write!(s, "<tr><th scope=\"row\">{}</th>", date::italian(*week));
        for (k, _) in KINDS {
            let _ = write!(
                s,
                "<td class=\"n\">{}</td>",
                kinds.get(k).copied().unwrap_or(0)
            );
        }
        let _ = write!(
            s,
            "<td class=\"n\">{}</td></tr>",
            kinds.values().sum::<u64>()
        );
    }
    s.push_str("</tbody></table>");
    let channels: std::collections::BTreeSet<&str> =
        r.weeks.iter().map(|w| w.channel.as_str()).collect();
    s.push_str("<table><caption>Domande per settimana e canale</caption><thead><tr><th scope=\"col\">Settimana dal</th>");
    for c in &channels {
        let _ = write!(
            s,
            "<th scope=\"col\" class=\"n\">{}</th>",
            esc(channel_name(c))
        );
    }
    s.push_str("</tr></thead><tbody>");
    for (week, per) in &by_channel {
        let _ = write!(s, "<tr><th scope=\"row\">{}</th>", date::italian(*week));
        for c in &channels {
            let _ = write!(
                s,
                "<td class=\"n\">{}</td>",
                per.get(c).copied().unwrap_or(0)
            );
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
}

fn channel_name(c: &str) -> &str {
    match c {
        "api" => "API",
        "widget" => "Sito (widget)",
        "telegram" => "Telegram",
        "whatsapp" => "WhatsApp",
        "messenger" => "Messenger",
        other => other,
    }
}

fn groups(s: &mut String, r: &Report) {
    s.push_str("<h2>Domande senza risposta o con «Forse cercavi…»</h2>");
    let shown: Vec<_> = r
        .groups
        .iter()
        .filter(|g| g.row.unanswered + g.row.clarified > 0)
        .collect();
    if shown.is_empty() {
        s.push_str("<p>Nessuna domanda senza risposta registrata.</p>");
        return;
    }
    s.push_str("<p class=\"hint\">Domande simili sono raggruppate; è mostrata la più recente. Se la voce proposta è quella giusta, aggiungere la domanda tra le sue alternative (<code>sportello suggest-alternatives</code>); altrimenti scrivere una voce nuova.</p>");
    s.push_str("<table><caption>Gruppi più frequenti</caption><thead><tr><th scope=\"col\">Domanda (esempio)</th><th scope=\"col\" class=\"n\">Volte</th><th scope=\"col\" class=\"n\">Senza risposta</th><th scope=\"col\" class=\"n\">Forse cercavi</th><th scope=\"col\">Voce che il motore sceglierebbe oggi</th><th scope=\"col\" class=\"n\">Fiducia</th></tr></thead><tbody>");
    for g in shown {
        let (pick, conf) = match &g.pick {
            Some(p) => (
                format!("<code>{}</code> {}", esc(&p.entry_id), esc(&p.question)),
                format!("{:.0}%", p.confidence * 100.0),
            ),
            None => (
                g.row
                    .top_entry
                    .as_deref()
                    .map_or("—".to_string(), |e| format!("<code>{}</code>", esc(e))),
                "—".into(),
            ),
        };
        let _ = write!(
            s,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{pick}</td><td class=\"n\">{conf}</td></tr>",
            esc(&g.row.example),
            g.row.count,
            g.row.unanswered,
            g.row.clarified
        );
    }
    s.push_str("</tbody></table>");
}

fn entries(s: &mut String, r: &Report) {
    s.push_str("<h2>Soddisfazione per voce</h2>");
    if r.entries.is_empty() {
        s.push_str("<p>Nessuna risposta registrata.</p>");
        return;
    }
    let mut voted: Vec<_> = r
        .entries
        .iter()
        .filter(|e| e.counts.thumbs_up + e.counts.thumbs_down > 0)
        .collect();
    voted.sort_by_key(|e| std::cmp::Reverse(e.counts.thumbs_up + e.counts.thumbs_down));
    voted.truncate(12);
    if !voted.is_empty() {
        let bars: Vec<Bar> = voted
            .iter()
            .map(|e| Bar {
                label: e.counts.entry_id.clone(),
                parts: vec![
                    (e.counts.thumbs_up, "k-up"),
                    (e.counts.thumbs_down, "k-down"),
                ],
            })
            .collect();
        s.push_str(&stacked_rows(
            "voti",
            "Voti per voce",
            "Barre orizzontali, una per voce tra le più votate: in verde i voti utili, in rosso i non utili. I numeri sono nella tabella che segue.",
            &bars,
        ));
        s.push_str("<ul class=\"legend\"><li><span class=\"s-up\"></span>utile</li><li><span class=\"s-down\"></span>non utile</li></ul>");
    }
    s.push_str("<table><caption>Risposte e voti per voce</caption><thead><tr><th scope=\"col\">Voce</th><th scope=\"col\" class=\"n\">Risposte</th><th scope=\"col\" class=\"n\">Prima scelta di «Forse cercavi…»</th><th scope=\"col\" class=\"n\">Utile</th><th scope=\"col\" class=\"n\">Non utile</th><th scope=\"col\" class=\"n\">Soddisfatti</th></tr></thead><tbody>");
    for e in &r.entries {
        let c = &e.counts;
        let name = match &e.question {
            Some(q) => format!("<code>{}</code> {}", esc(&c.entry_id), esc(q)),
            None => format!("<code>{}</code>", esc(&c.entry_id)),
        };
        let _ = write!(
            s,
            "<tr><td>{name}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            c.answered,
            c.clarified,
            c.thumbs_up,
            c.thumbs_down,
            pct(c.thumbs_up, c.thumbs_up + c.thumbs_down)
        );
    }
    s.push_str("</tbody></table>");
}

fn review(s: &mut String, r: &Report) {
    s.push_str("<h2>Voci da ricontrollare</h2>");
    if r.review.is_empty() {
        let _ = write!(
            s,
            "<p>Nessuna voce da ricontrollare (controlli: data «reviewed» più vecchia di {} mesi, voci scadute, in scadenza o non ancora valide{}).</p>",
            r.review_months,
            if r.agency_name.is_none() {
                "; indicare la base di conoscenza con --kb"
            } else {
                ""
            }
        );
        return;
    }
    let _ = write!(
        s,
        "<table><caption>Voci scadute, in scadenza, non ancora valide o ricontrollate più di {} mesi fa</caption><thead><tr><th scope=\"col\">Voce</th><th scope=\"col\">Stato</th><th scope=\"col\">File</th></tr></thead><tbody>",
        r.review_months
    );
    for l in &r.review {
        let _ = write!(
            s,
            "<tr><td><code>{}</code> {}</td><td>{}</td><td>{}</td></tr>",
            esc(&l.entry_id),
            esc(&l.question),
            esc(&l.note),
            l.location.as_deref().map_or("—".into(), esc)
        );
    }
    s.push_str("</tbody></table>");
}
