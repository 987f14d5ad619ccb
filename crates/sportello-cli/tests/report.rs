//! `sportello report --html` and `--csv` on a store filled here with a few hundred events
//! over ten weeks: what the page shows, and that it needs nothing from the network.

use sportello_server::feedback::{
    FeedbackEvent, FeedbackKind, FeedbackStore, ReplyCount, SqliteStore,
};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn temp_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sportello-report-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn today() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    sportello_core::date::day_of_unix(secs)
}

/// 300 replies over ten weeks, 40 stored questions (one group of 25 with personal data).
fn fill(db: &Path) {
    let store = SqliteStore::open(db).unwrap();
    let day0 = today() - 69;
    let mut counts = Vec::new();
    for i in 0..300i64 {
        let day = day0 + i * 70 / 300;
        let (kind, entry) = match i % 10 {
            0 | 1 => ("decline", ""),
            2 => ("clarify", "tari-pagamento"),
            3 => ("small_talk", ""),
            _ => ("answer", "cie-costo"),
        };
        let channel = if i % 3 == 0 { "telegram" } else { "api" };
        let c = |kind, entry: &str| ReplyCount {
            agency: "comune-di-esempio".into(),
            channel,
            kind,
            entry_id: entry.into(),
            day,
        };
        counts.push((c(kind, entry), 1));
        if kind == "answer" && i % 4 == 0 {
            counts.push((
                c(if i % 8 == 0 { "vote_down" } else { "vote_up" }, entry),
                1,
            ));
        }
    }
    store.count(&counts).unwrap();
    let mut events = Vec::new();
    for i in 0..40 {
        let (q, kind) = if i < 25 {
            (
                "quando apre la piscina comunale? chiamatemi al 333 1234567",
                FeedbackKind::Unanswered,
            )
        } else {
            ("pagare la tari in ritardo", FeedbackKind::Clarified)
        };
        let mut ev = FeedbackEvent::new("comune-di-esempio", "api", kind, q, vec![]);
        ev.at = (day0 + i) * 86_400;
        events.push(ev);
    }
    store.record(&events).unwrap();
}

#[test]
fn html_and_csv_report_of_a_filled_store() {
    let dir = temp_dir("html");
    let db = dir.join("feedback.sqlite");
    fill(&db);
    let out = Command::new(env!("CARGO_BIN_EXE_sportello"))
        .arg("report")
        .arg(&db)
        .arg("--html")
        .arg(dir.join("r.html"))
        .arg("--csv")
        .arg(dir.join("csv"))
        .arg("--kb")
        .arg(repo_root().join("knowledge-base/comune-di-esempio"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(dir.join("r.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"it\">"));
    // Two charts, each an image with a title, and no way to reach the network.
    assert_eq!(html.matches("<svg ").count(), 2, "{html}");
    assert_eq!(html.matches("role=\"img\"").count(), 2);
    for external in [
        "<script", "src=", "url(", "@import", "<link", "http://", "https://",
    ] {
        assert!(!html.contains(external), "{external} in the page");
    }
    // Ten or eleven weekly columns (the span may straddle a Monday), 300 questions in all.
    let weeks = std::fs::read_to_string(dir.join("csv/settimane.csv")).unwrap();
    let total: u64 = weeks
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 300);
    assert!(html.contains("<strong>300</strong>domande"));
    // 60 declines of 300.
    assert!(
        html.contains("<strong>20%</strong>senza risposta"),
        "{html}"
    );
    // The group, redacted, with the entry the engine would pick for it today.
    assert!(html.contains("quando apre la piscina comunale? chiamatemi al [TELEFONO]"));
    assert!(!html.contains("1234567"));
    let groups = std::fs::read_to_string(dir.join("csv/gruppi.csv")).unwrap();
    let first = groups.lines().nth(1).unwrap();
    assert!(
        first.starts_with("comune-di-esempio,quando apre la piscina"),
        "{groups}"
    );
    assert!(first.contains(",25,25,0,0,"), "{first}");
    let pick = first.split(',').nth(6).unwrap();
    assert!(
        html.contains(&format!("<code>{pick}</code>")),
        "the page names the pick {pick}"
    );
    // Satisfaction: cie-costo got 17 votes down of 27 (i ≡ 0 mod 8 among i ≡ 0 mod 4, answers).
    let entries = std::fs::read_to_string(dir.join("csv/voci.csv")).unwrap();
    let cie = entries.lines().find(|l| l.contains(",cie-costo,")).unwrap();
    let n = |col: usize| cie.split(',').nth(col).unwrap().parse::<u64>().unwrap();
    assert_eq!(n(3), 180, "{cie}");
    assert_eq!(
        n(5) + n(6),
        (0..300).filter(|i| i % 10 >= 4 && i % 4 == 0).count() as u64
    );
    assert_eq!(
        n(6),
        (0..300).filter(|i| i % 10 >= 4 && i % 8 == 0).count() as u64
    );
    if let Ok(keep) = std::env::var("SPORTELLO_REPORT_KEEP") {
        std::fs::copy(dir.join("r.html"), keep).unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
