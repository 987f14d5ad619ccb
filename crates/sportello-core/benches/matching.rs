//! Index build time and per-question latency on three knowledge bases:
//!
//! - `example`: the example KB of the repository (questions from its dev sets);
//! - `qa4faq`: the public QA4FAQ benchmark, read from `../shared/eval/qa4faq` beside the
//!   repository (skipped with a note when absent; its licence forbids copying it here);
//! - `synthetic-10k`: 10,000 generated municipal entries, to see how matching scales.
//!
//! Run with `cargo bench -p sportello-core --bench matching`. Query benchmarks cycle through
//! a fixed list of questions, so each figure is a mean per question.

use criterion::{criterion_group, criterion_main, Criterion};
use sportello_core::load;
use sportello_core::{eval, Engine, Entry, KnowledgeBase};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn queries_from(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (queries, diags) = eval::parse_queries(&path.display().to_string(), &text);
    assert!(diags.is_empty(), "{}: {diags:?}", path.display());
    queries.into_iter().map(|q| q.query).collect()
}

fn example() -> (KnowledgeBase, Vec<String>) {
    let root = repo_root();
    let loaded = load::load_path(root.join("knowledge-base/comune-di-esempio"))
        .expect("the example KB is readable");
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let dev = root.join("tests/eval/comune-di-esempio");
    let mut questions = queries_from(&dev.join("in-scope.jsonl"));
    questions.extend(queries_from(&dev.join("out-of-scope.jsonl")));
    (loaded.kb, questions)
}

fn qa4faq() -> Option<(KnowledgeBase, Vec<String>)> {
    let dir = repo_root().join("../shared/eval/qa4faq");
    if !dir.join("kb.jsonl").is_file() {
        eprintln!(
            "note: {} not found; skipping the qa4faq benchmarks",
            dir.display()
        );
        return None;
    }
    let bytes = std::fs::read(dir.join("kb.jsonl")).expect("qa4faq kb.jsonl");
    let (entries, diags) = load::parse_jsonl("qa4faq/kb.jsonl", &bytes);
    assert!(
        !diags.iter().any(|d| d.is_error()),
        "qa4faq kb.jsonl: {diags:?}"
    );
    Some((
        KnowledgeBase::from_entries(entries),
        queries_from(&dir.join("queries.jsonl")),
    ))
}

/// A small linear congruential generator: deterministic and dependency-free.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// (name, two alternatives) for services, actions and objects: 20 × 25 × 20 = 10,000 entries.
const SERVICES: &[(&str, [&str; 2])] = &[
    (
        "all'anagrafe",
        ["ai servizi demografici", "allo sportello anagrafe"],
    ),
    (
        "all'ufficio tributi",
        ["all'ufficio tasse", "al servizio entrate"],
    ),
    (
        "alla polizia locale",
        ["ai vigili urbani", "alla polizia municipale"],
    ),
    (
        "all'ufficio tecnico",
        ["allo sportello edilizia", "all'urbanistica"],
    ),
    (
        "ai servizi sociali",
        ["all'assistenza sociale", "al segretariato sociale"],
    ),
    (
        "all'ufficio scuola",
        ["ai servizi educativi", "all'ufficio istruzione"],
    ),
    (
        "alla biblioteca",
        ["alla biblioteca civica", "al servizio bibliotecario"],
    ),
    (
        "all'URP",
        [
            "all'ufficio relazioni con il pubblico",
            "allo sportello del cittadino",
        ],
    ),
    (
        "all'ufficio elettorale",
        ["al servizio elettorale", "all'ufficio elezioni"],
    ),
    (
        "allo stato civile",
        ["all'ufficio stato civile", "ai registri di stato civile"],
    ),
    (
        "all'ecocentro",
        ["all'isola ecologica", "al centro di raccolta"],
    ),
    (
        "al SUAP",
        [
            "allo sportello attività produttive",
            "all'ufficio commercio",
        ],
    ),
    (
        "all'ufficio cimiteri",
        ["ai servizi cimiteriali", "all'ufficio necroscopico"],
    ),
    (
        "all'ufficio casa",
        ["al servizio politiche abitative", "all'ufficio alloggi"],
    ),
    (
        "all'ufficio sport",
        ["al servizio impianti sportivi", "all'ufficio palestre"],
    ),
    (
        "all'ufficio cultura",
        ["al servizio eventi", "all'assessorato cultura"],
    ),
    (
        "all'ufficio ambiente",
        ["al servizio verde pubblico", "all'ufficio ecologia"],
    ),
    (
        "all'ufficio mobilità",
        ["al servizio trasporti", "all'ufficio viabilità"],
    ),
    (
        "all'ufficio protocollo",
        ["all'archivio generale", "allo sportello protocollo"],
    ),
    (
        "all'ufficio personale",
        ["al servizio risorse umane", "all'ufficio concorsi"],
    ),
];

const ACTIONS: &[(&str, [&str; 2])] = &[
    ("richiedere", ["chiedere", "domandare"]),
    ("rinnovare", ["prorogare", "aggiornare"]),
    ("pagare", ["versare", "saldare"]),
    ("prenotare", ["fissare un appuntamento per", "riservare"]),
    ("annullare", ["disdire", "revocare"]),
    ("modificare", ["cambiare", "correggere"]),
    ("presentare", ["consegnare", "depositare"]),
    ("ritirare", ["prendere", "ottenere"]),
    ("scaricare", ["stampare", "salvare"]),
    ("sospendere", ["interrompere", "bloccare"]),
    ("contestare", ["fare ricorso contro", "opporsi a"]),
    ("verificare", ["controllare", "consultare"]),
    ("integrare", ["completare", "aggiungere documenti a"]),
    ("rateizzare", ["dilazionare", "pagare a rate"]),
    ("trasferire", ["spostare", "passare"]),
    ("duplicare", ["avere una copia di", "rifare"]),
    (
        "delegare",
        ["far ritirare a un altro", "autorizzare qualcuno per"],
    ),
    ("sollecitare", ["chiedere notizie su", "accelerare"]),
    (
        "rinunciare a",
        ["ritirare la domanda per", "non volere più"],
    ),
    (
        "iscriversi per",
        ["registrarsi per", "fare l'iscrizione per"],
    ),
    (
        "segnalare un errore in",
        ["far correggere", "denunciare un problema con"],
    ),
    ("autocertificare", ["dichiarare", "attestare"]),
    (
        "volturare",
        ["intestare a un altro", "cambiare intestatario di"],
    ),
    ("rimborsare", ["farsi restituire", "recuperare i soldi di"]),
    (
        "inviare online",
        ["mandare via PEC", "trasmettere per email"],
    ),
];

const OBJECTS: &[(&str, [&str; 2])] = &[
    (
        "il certificato di residenza",
        ["il certificato anagrafico", "l'attestato di residenza"],
    ),
    ("la carta d'identità", ["la CIE", "il documento d'identità"]),
    ("la TARI", ["la tassa rifiuti", "la tassa sulla spazzatura"]),
    ("l'IMU", ["l'imposta municipale", "la tassa sulla casa"]),
    ("la multa", ["la sanzione", "il verbale"]),
    (
        "il permesso ZTL",
        ["il pass ZTL", "l'autorizzazione al centro storico"],
    ),
    (
        "il contrassegno disabili",
        ["il pass invalidi", "il tagliando disabili"],
    ),
    ("la mensa scolastica", ["la refezione", "i pasti a scuola"]),
    ("il trasporto scolastico", ["lo scuolabus", "il pulmino"]),
    (
        "l'iscrizione all'asilo nido",
        ["il posto al nido", "la domanda per il nido"],
    ),
    (
        "il bonus affitto",
        ["il contributo affitto", "l'aiuto per l'affitto"],
    ),
    (
        "il passo carrabile",
        ["il passo carraio", "l'accesso carrabile"],
    ),
    (
        "l'occupazione di suolo pubblico",
        ["il permesso per il dehors", "la concessione di suolo"],
    ),
    (
        "la SCIA",
        ["la segnalazione certificata", "la pratica edilizia"],
    ),
    (
        "il cambio di residenza",
        [
            "il trasferimento di residenza",
            "la variazione di indirizzo",
        ],
    ),
    (
        "la tessera elettorale",
        ["il certificato elettorale", "la scheda per votare"],
    ),
    ("il loculo", ["la concessione cimiteriale", "la tomba"]),
    (
        "la sala comunale",
        ["lo spazio pubblico", "la sala riunioni"],
    ),
    (
        "il ritiro degli ingombranti",
        ["lo smaltimento dei mobili", "la raccolta ingombranti"],
    ),
    (
        "l'accesso agli atti",
        ["la copia dei documenti", "la richiesta FOIA"],
    ),
];

const WORDS: &[&str] = &[
    "domanda",
    "modulo",
    "ufficio",
    "sportello",
    "online",
    "appuntamento",
    "documento",
    "identità",
    "codice",
    "fiscale",
    "pagamento",
    "pagoPA",
    "ricevuta",
    "giorni",
    "lavorativi",
    "entro",
    "scadenza",
    "comune",
    "cittadini",
    "residenti",
    "richiesta",
    "firma",
    "delega",
    "copia",
    "originale",
    "marca",
    "bollo",
    "euro",
    "esente",
    "ISEE",
    "tariffa",
    "orari",
    "lunedì",
    "venerdì",
    "mattina",
    "pomeriggio",
    "telefono",
    "email",
    "PEC",
    "sito",
    "portale",
    "SPID",
    "CIE",
    "accesso",
    "area",
    "riservata",
    "stato",
    "pratica",
    "esito",
    "comunicazione",
    "indirizzo",
    "sede",
    "piano",
    "terra",
    "servizio",
    "gratuito",
    "costo",
    "rimborso",
    "termine",
    "legge",
    "regolamento",
    "comunale",
    "delibera",
    "allegare",
    "presentare",
    "consegnare",
    "ritirare",
    "verificare",
    "necessario",
    "possibile",
    "obbligatorio",
    "attenzione",
    "informazioni",
    "dettagli",
    "assistenza",
    "operatore",
];

/// Districts that multiply the 10,000 service × action × object combinations (a regional
/// or national pack repeats procedures per office or area).
const DISTRICTS: &[&str] = &[
    "",
    "nel centro storico",
    "a borgo nuovo",
    "nella frazione di colle",
    "al quartiere nord",
    "al quartiere sud",
    "nella zona industriale",
    "a marina",
    "in collina",
    "a ponte vecchio",
];

fn synthetic(n: usize) -> KnowledgeBase {
    let mut rng = Lcg(0x5eed_2026);
    let mut entries = Vec::with_capacity(n);
    'outer: for (di, district) in DISTRICTS.iter().enumerate() {
        for (si, (service, service_alts)) in SERVICES.iter().enumerate() {
            for (ai, (action, action_alts)) in ACTIONS.iter().enumerate() {
                for (oi, (object, object_alts)) in OBJECTS.iter().enumerate() {
                    if entries.len() == n {
                        break 'outer;
                    }
                    let answer: Vec<&str> = (0..60).map(|_| rng.pick(WORDS)).collect();
                    let mut answer = answer.join(" ");
                    answer.push('.');
                    let place = if district.is_empty() {
                        String::new()
                    } else {
                        format!(" {district}")
                    };
                    let id = if di == 0 {
                        format!("voce-{si:02}-{ai:02}-{oi:02}")
                    } else {
                        format!("voce-{di}-{si:02}-{ai:02}-{oi:02}")
                    };
                    entries.push(Entry {
                        id,
                        question: format!("Come posso {action} {object} {service}{place}?"),
                        alternatives: vec![
                            format!(
                                "vorrei {} {} {}{place}",
                                action_alts[0], object_alts[0], service_alts[0]
                            ),
                            format!(
                                "{} {} {}{place}",
                                action_alts[1], object_alts[1], service_alts[1]
                            ),
                        ],
                        answer,
                        tags: vec![service.trim_start_matches("all'").to_string()],
                        ..Entry::default()
                    });
                }
            }
        }
    }
    KnowledgeBase::from_entries(entries)
}

const SYNTHETIC_QUESTIONS: &[&str] = &[
    "come rinnovo la carta d'identità all'anagrafe",
    "vorrei pagare la tari a rate",
    "come faccio a contestare una multa dei vigili",
    "dove si prenota la sala comunale",
    "posso chiedere il bonus affitto online?",
    "annullare l'iscrizione alla mensa scolastica",
    "quanto costa il passo carrabile",
    "chi mi può aiutare con la SCIA per la cucina",
    "voglio ritirare la tessera elettorale per votare",
    "come si chiede l'accesso agli atti di una pratica edilizia",
    "rimborso imu pagata due volte",
    "prenotare il ritiro degli ingombranti",
];

fn bench_kb(c: &mut Criterion, name: &str, kb: &KnowledgeBase, questions: &[String]) {
    if kb.entries.len() > 20_000 {
        // Ten samples of a build this large would take minutes: one timed build is printed.
        let t = std::time::Instant::now();
        let engine = Engine::new(kb.clone()).expect("engine builds");
        println!(
            "build/{name}: one build of {} entries in {:.2} s",
            kb.entries.len(),
            t.elapsed().as_secs_f64()
        );
        return bench_questions(c, name, &engine, questions);
    }
    let mut build = c.benchmark_group("build");
    build
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        // A 10,000-entry build takes about 2 s: give its 10 samples room.
        .measurement_time(Duration::from_secs(if kb.entries.len() > 1000 {
            30
        } else {
            3
        }));
    build.bench_function(name, |b| {
        b.iter_batched(
            || kb.clone(),
            |kb| Engine::new(kb).expect("engine builds"),
            criterion::BatchSize::LargeInput,
        )
    });
    build.finish();
    let engine = Engine::new(kb.clone()).expect("engine builds");
    bench_questions(c, name, &engine, questions);
}

fn bench_questions(c: &mut Criterion, name: &str, engine: &Engine, questions: &[String]) {
    let mut query = c.benchmark_group("ask");
    query
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let mut i = 0usize;
    query.bench_function(name, |b| {
        b.iter(|| {
            let q = &questions[i % questions.len()];
            i += 1;
            black_box(engine.ask(black_box(q)))
        })
    });
    query.finish();

    let mut search = c.benchmark_group("search");
    search
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let mut i = 0usize;
    search.bench_function(name, |b| {
        b.iter(|| {
            let q = &questions[i % questions.len()];
            i += 1;
            black_box(engine.search(black_box(q), 10))
        })
    });
    search.finish();
}

fn matching(c: &mut Criterion) {
    let (kb, questions) = example();
    bench_kb(c, "example", &kb, &questions);
    if let Some((kb, questions)) = qa4faq() {
        bench_kb(c, "qa4faq", &kb, &questions);
    }
    let questions: Vec<String> = SYNTHETIC_QUESTIONS.iter().map(|s| s.to_string()).collect();
    let kb = synthetic(10_000);
    assert_eq!(kb.entries.len(), 10_000);
    bench_kb(c, "synthetic-10k", &kb, &questions);
    if std::env::var_os("SPORTELLO_BENCH_100K").is_some() {
        let kb = synthetic(100_000);
        assert_eq!(kb.entries.len(), 100_000);
        bench_kb(c, "synthetic-100k", &kb, &questions);
    }
}

criterion_group!(benches, matching);
criterion_main!(benches);
