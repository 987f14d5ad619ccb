//! Every command of the editors' guide (`docs/guida-redattori.md`, its ```sh blocks) runs as
//! written on a copy of `examples/kb-repo`, with a feedback database like the server's.

use sportello_server::feedback::{
    FeedbackEvent, FeedbackKind, FeedbackStore, ReplyCount, SqliteStore,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// The lines of the guide's ```sh blocks.
fn guide_commands() -> Vec<String> {
    let text = std::fs::read_to_string(repo_root().join("docs/guida-redattori.md")).unwrap();
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("```") {
            inside = line.trim() == "```sh";
            continue;
        }
        if inside && !line.trim().is_empty() {
            out.push(line.trim().to_string());
        }
    }
    out
}

/// What `sportello serve` would have stored: questions without an answer, and reply counts.
fn fill(db: &Path) {
    let store = SqliteStore::open(db).unwrap();
    let ev = |q: &str, kind| FeedbackEvent::new("comune-di-modello", "telegram", kind, q, vec![]);
    store
        .record(&[
            ev("dove butto un materasso vecchio", FeedbackKind::Unanswered),
            ev("dove butto il materasso vecchio?", FeedbackKind::Unanswered),
            ev(
                "mi chiamo Mario, il mio numero è 333 1234567",
                FeedbackKind::Unanswered,
            ),
            ev("la biblioteca apre la domenica", FeedbackKind::Clarified),
        ])
        .unwrap();
    let c = |kind, entry: &str| {
        (
            ReplyCount::now("comune-di-modello", "telegram", kind, entry),
            3,
        )
    };
    store
        .count(&[
            c("answer", "ecocentro"),
            c("decline", ""),
            c("vote_up", "ecocentro"),
        ])
        .unwrap();
}

#[test]
fn every_command_of_the_guide_works_as_written() {
    let commands = guide_commands();
    assert!(commands.len() >= 8, "{commands:?}");
    assert!(
        commands.iter().all(|c| c.starts_with("sportello ")),
        "{commands:?}"
    );
    let tmp = std::env::temp_dir().join(format!("sportello-guide-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    // The agency's id is the folder's name.
    let kb = tmp.join("comune-di-modello");
    copy_dir(&repo_root().join("examples/kb-repo"), &kb);
    fill(&kb.join("segnalazioni.sqlite"));
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_sportello"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut outputs = Vec::new();
    for cmd in &commands {
        let mut child = Command::new("sh")
            .args(["-c", cmd])
            .current_dir(&kb)
            .env("PATH", &path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The editor answers «s» to every question of the interactive commands.
        use std::io::Write as _;
        let _ = child
            .stdin
            .take()
            .unwrap()
            .write_all("s\n".repeat(20).as_bytes());
        let o = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(
            o.status.success(),
            "`{cmd}` failed: {text}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        outputs.push((cmd.clone(), text));
    }
    let out = |prefix: &str| {
        outputs
            .iter()
            .find(|(c, _)| c.starts_with(prefix))
            .map(|(_, t)| t.clone())
            .unwrap()
    };
    assert!(out("sportello check . --today").contains("scade il 30 novembre 2026"));
    assert!(out("sportello ask").to_lowercase().contains("ecocentro"));
    assert!(out("sportello report segnalazioni.sqlite --kb").contains("rapporto.html"));
    let html = std::fs::read_to_string(kb.join("rapporto.html")).unwrap();
    assert!(html.contains("dove butto il materasso vecchio?") && !html.contains("1234567"));
    assert!(kb.join("rapporto-csv/voci.csv").exists());
    assert!(
        out("sportello suggest-alternatives segnalazioni.sqlite . --dry-run")
            .contains("voce proposta: ecocentro")
    );
    let accepted = out("sportello suggest-alternatives segnalazioni.sqlite . --queries");
    assert!(
        accepted.contains("Qualità sulle domande di prova"),
        "{accepted}"
    );
    let eco = std::fs::read_to_string(kb.join("entries/ecocentro.md")).unwrap();
    assert!(
        eco.contains("  \"dove butto il materasso vecchio?\","),
        "{eco}"
    );
    assert!(kb.join("bundle/bundle.json").exists());
    let _ = std::fs::remove_dir_all(&tmp);
}
