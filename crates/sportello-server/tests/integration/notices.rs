//! Notices in the server's replies: a copy of the example KB with a global notice (no dates:
//! valid whatever the day the test runs) and one about the CIE; the JSON API carries them in
//! the reply's `notices`, Telegram and WhatsApp put their text before the answer.

use crate::common::*;
use serde_json::Value;

fn kb_with_notices(dir: &std::path::Path) -> std::path::PathBuf {
    let kb = dir.join("kb");
    copy_kb(&example_kb(), &kb);
    std::fs::create_dir_all(kb.join("notices")).unwrap();
    std::fs::write(
        kb.join("notices/neve.md"),
        "+++\ntitle = \"Allerta neve\"\npriority = \"alta\"\n+++\nOggi le scuole sono **chiuse**.\n",
    )
    .unwrap();
    std::fs::write(
        kb.join("notices/cie.md"),
        "+++\ntitle = \"Nuove fototessere\"\ntopics = [\"carta d'identità\"]\n+++\nDa oggi le foto si fanno anche in Comune.\n",
    )
    .unwrap();
    kb
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_come_before_answers_in_the_api_and_the_chats() {
    let dir = tempfile::tempdir().unwrap();
    let api = FakeApi::start().await;
    let s = start(Options {
        kb: kb_with_notices(dir.path()),
        graph_base_url: api.base_url.clone(),
        ..Options::default()
    })
    .await;
    let r = s.ask("quanto costa la carta d'identità?").await;
    assert_eq!(r["kind"], "answer", "{r}");
    let ids: Vec<&str> = r["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["neve", "cie"]);
    assert_eq!(r["notices"][0]["priority"], "high");
    assert_eq!(
        r["notices"][0]["html"],
        "<p>Oggi le scuole sono <strong>chiuse</strong>.</p>\n"
    );
    // The global one only on another answer and on a decline.
    let other = s.ask("come si paga la tari?").await;
    assert_eq!(
        other["notices"].as_array().map(Vec::len),
        Some(1),
        "{other}"
    );
    let declined = s.ask("posso portare il cane in spiaggia d'estate?").await;
    assert_eq!(declined["kind"], "decline");
    assert_eq!(declined["notices"][0]["id"], "neve");

    // Telegram: the notices first, then the answer's title.
    let update = telegram_message(7001, 4242, "quanto costa la carta d'identità?");
    let body: Value = post_telegram(&s, &update, Some(TG_SECRET))
        .await
        .json()
        .await
        .unwrap();
    let text = body["text"].as_str().unwrap();
    assert!(
        text.starts_with("🚨 Allerta neve\nOggi le scuole sono chiuse."),
        "{text}"
    );
    let title = text.find("<b>Quanto costa la carta").unwrap();
    assert!(text.find("⚠️ Nuove fototessere").unwrap() < title, "{text}");
    assert!(text.contains("22,21"));

    // WhatsApp: the same order in the text sent through the Graph API.
    let msg = whatsapp_text(
        "wamid.notice1",
        "393331234567",
        "quanto costa la carta d'identità?",
    );
    assert_eq!(post_meta(&s, "whatsapp", &msg, APP_SECRET).await, 200);
    let got = api.wait_for(1).await;
    let sent = got[0].body["text"]["body"].as_str().unwrap();
    assert!(sent.starts_with("🚨 Allerta neve"), "{sent}");
    assert!(sent.find("Nuove fototessere").unwrap() < sent.find("22,21").unwrap());
    s.stop().await;
}
