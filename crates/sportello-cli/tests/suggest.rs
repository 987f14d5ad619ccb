//! `sportello suggest-alternatives` on a small test KB: citizens' wordings that got no answer
//! are written into the entry files as alternatives. The files change only by the added lines,
//! `check` stays clean, and `eval` on the KB's question set rises.

use sportello_server::feedback::{FeedbackEvent, FeedbackKind, FeedbackStore, SqliteStore};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn temp_dir(label: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("sportello-suggest-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("entries")).unwrap();
    dir
}

const ECOCENTRO: &str = "+++
question = \"Dove si trova l'ecocentro e quando è aperto?\"
# Come lo chiedono i cittadini allo sportello:
alternatives = [
  \"orari ecocentro\",
  \"indirizzo isola ecologica\", # dal modulo web
]
tags = [\"rifiuti\"]
reviewed = 2026-10-01
+++
L'ecocentro è in via delle Industrie 4, aperto dal lunedì al sabato 8-12.
Si possono portare mobili, divani, materassi ed elettrodomestici.
";

const BIBLIOTECA: &str = "+++
question = \"Come mi iscrivo alla biblioteca comunale?\"
tags = [\"cultura\"]
+++
L'iscrizione è gratuita: basta un documento. Con la tessera si prendono in prestito libri e film.
";

const TARI: &str = "+++
question = \"Come si paga la TARI?\"
alternatives = [
  \"pagamento tassa rifiuti\",
]
+++
Con il modello F24 o con pagoPA entro le scadenze indicate nell'avviso.
";

fn kb(dir: &Path) -> PathBuf {
    let kb = dir.join("kb");
    std::fs::create_dir_all(kb.join("entries")).unwrap();
    std::fs::write(
        kb.join("agency.toml"),
        "name = \"Comune di Prova\"\n[contacts]\nphone = \"0123 456789\"\n",
    )
    .unwrap();
    for (name, text) in [
        ("ecocentro", ECOCENTRO),
        ("biblioteca", BIBLIOTECA),
        ("tari", TARI),
    ] {
        std::fs::write(kb.join(format!("entries/{name}.md")), text).unwrap();
    }
    kb
}

fn run(args: &[&std::ffi::OsStr], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sportello"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The lines of `after` that are not in `before`, checking that every line of `before` is
/// still there, in order.
fn added_lines(before: &str, after: &str) -> Vec<String> {
    let old: Vec<&str> = before.lines().collect();
    let mut i = 0;
    let mut added = Vec::new();
    for line in after.lines() {
        if i < old.len() && old[i] == line {
            i += 1;
        } else {
            added.push(line.to_string());
        }
    }
    assert_eq!(
        i,
        old.len(),
        "a line was changed or removed:\n{before}\n---\n{after}"
    );
    added
}

/// (before, after) of one figure of the printed eval.
fn figure(text: &str, name: &str) -> (f64, f64) {
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(name))
        .expect(text);
    let nums: Vec<f64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    (nums[0], nums[1])
}

#[test]
fn accepted_wordings_become_alternatives_and_eval_rises() {
    let dir = temp_dir("loop");
    let kb = kb(&dir);
    // The agency's own question set: other citizens asking the same things in other words.
    let queries = dir.join("domande.jsonl");
    std::fs::write(
        &queries,
        concat!(
            r#"{"id": "q1", "query": "dove posso buttare un vecchio divano", "relevant_ids": ["ecocentro"]}"#, "\n",
            r#"{"id": "q2", "query": "prendere in prestito un film in biblioteca", "relevant_ids": ["biblioteca"]}"#, "\n",
            r#"{"id": "q3", "query": "come pago la tari", "relevant_ids": ["tari"]}"#, "\n",
        ),
    )
    .unwrap();
    let db = dir.join("feedback.sqlite");
    let store = SqliteStore::open(&db).unwrap();
    let ev = |q: &str, kind| FeedbackEvent::new("kb", "widget", kind, q, vec![]);
    store
        .record(&[
            ev("dove butto il divano vecchio", FeedbackKind::Unanswered),
            ev("dove butto il vecchio divano?", FeedbackKind::Unanswered),
            ev("posso avere un film in prestito", FeedbackKind::Clarified),
            ev(
                "chiamatemi al 333 1234567 per il divano",
                FeedbackKind::Unanswered,
            ),
            ev("orari ecocentro", FeedbackKind::Clarified),
        ])
        .unwrap();
    drop(store);
    let before: Vec<String> = ["ecocentro", "biblioteca", "tari"]
        .iter()
        .map(|n| std::fs::read_to_string(kb.join(format!("entries/{n}.md"))).unwrap())
        .collect();

    // A dry run changes nothing and names the entries.
    let o = run(
        &[
            "suggest-alternatives".as_ref(),
            db.as_os_str(),
            kb.as_os_str(),
            "--dry-run".as_ref(),
        ],
        "",
    );
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        text.contains("«dove butto il vecchio divano?» (2 volte)"),
        "{text}"
    );
    assert!(text.contains("voce proposta: ecocentro"), "{text}");
    assert!(text.contains("voce proposta: biblioteca"), "{text}");
    assert!(
        !text.contains("[TELEFONO]"),
        "redacted wordings are not proposed: {text}"
    );
    assert!(
        !text.contains("«orari ecocentro»"),
        "known wordings are not proposed: {text}"
    );
    assert_eq!(
        std::fs::read_to_string(kb.join("entries/ecocentro.md")).unwrap(),
        before[0]
    );

    // The editor accepts both (one by the proposed entry, one by naming it).
    let o = run(
        &[
            "suggest-alternatives".as_ref(),
            db.as_os_str(),
            kb.as_os_str(),
            "--queries".as_ref(),
            queries.as_os_str(),
        ],
        "s\nbiblioteca\n",
    );
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let after: Vec<String> = ["ecocentro", "biblioteca", "tari"]
        .iter()
        .map(|n| std::fs::read_to_string(kb.join(format!("entries/{n}.md"))).unwrap())
        .collect();
    assert_eq!(
        added_lines(&before[0], &after[0]),
        ["  \"dove butto il vecchio divano?\","]
    );
    assert_eq!(
        added_lines(&before[1], &after[1]),
        ["alternatives = [\"posso avere un film in prestito\"]"]
    );
    assert_eq!(
        after[2], before[2],
        "an entry with nothing accepted is untouched"
    );

    let check = run(&["check".as_ref(), kb.as_os_str()], "");
    let out = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(0), "{out}");
    assert!(out.contains("nessun errore"), "{out}");

    // The wordings were found (top1) before; now they are answered rather than declined.
    let (c1_before, c1_after) = figure(&text, "c@1");
    assert!(c1_after > c1_before, "eval did not rise: {text}");
    let (fd_before, fd_after) = figure(&text, "rifiuti sbagliati");
    assert!(fd_after < fd_before, "{text}");
    let (t_before, t_after) = figure(&text, "top1");
    assert!(t_after >= t_before, "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
