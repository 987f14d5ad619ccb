//! The analysis that prebuilt bundles depend on, pinned: fixed Italian texts, every glossary
//! expression and every referral expression analysed as at index time, written out and
//! compared with `tests/golden/analysis.txt`. Bundles written by `sportello build` carry the
//! engine's tables derived with this analysis and are opened by later widgets as long as
//! `ANALYSIS_VERSION` is the same, so any change of this output must bump it.
//!
//! - output changed, version not bumped: this test fails (bump `ANALYSIS_VERSION` in
//!   `src/analysis/mod.rs`);
//! - version bumped: regenerate the file with
//!   `SPORTELLO_BLESS_ANALYSIS=1 cargo test -p sportello-core --profile test-release --test analysis_golden`
//!   (it refuses to rewrite the file of an unchanged version).

use sportello_core::analysis::referrals::OTHER_OFFICES;
use sportello_core::analysis::{
    char_ngrams, glossary::PA_GLOSSARY, is_stop_word, stopwords::STOP_WORDS, words,
    AnalysisOptions, Analyzer, ANALYSIS_VERSION,
};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Everyday questions and answer sentences of Italian agencies: elisions with both
/// apostrophes, accents and their absence, capitals, numbers, "non", stop words, glossary
/// expressions, compounds, long words, punctuation and an emoji.
const TEXTS: &[&str] = &[
    "Quanto costa la carta d'identità elettronica?",
    "quanto si paga la carta d identita",
    "Come rinnovo la CIE se l’ho persa?",
    "Perché non ho ricevuto l'avviso della TARI?",
    "Dove si trova l'isola ecologica (centro di raccolta)?",
    "Orari dell'ufficio anagrafe: lunedì-venerdì 8:30-12:30",
    "Il certificato di residenza si può chiedere online con SPID o CIE",
    "vorrei sapere come iscrivere mio figlio all'asilo nido comunale",
    "Permesso per la ZTL: veicoli elettrici e disabili",
    "C'è un rimborso per l'IMU pagata due volte?",
    "Non riesco ad accedere all'area riservata del portale dei servizi",
    "Cambio di residenza: quali documenti servono per l'iscrizione anagrafica?",
    "pagamento pagoPA della mensa scolastica, 3,50 euro a pasto",
    "Si possono portare i RAEE e gli ingombranti all'ecocentro?",
    "Il contrassegno disabili (CUDE) vale in tutta Europa",
    "Qual è l'IBAN per il versamento dei diritti di segreteria?",
    "Occupazione di suolo pubblico per un ponteggio: autorizzazione e COSAP",
    "Matrimonio civile in Comune: pubblicazioni, testimoni e costi",
    "Come si ottiene il certificato di stato di famiglia storico?",
    "Segnalare una buca nella strada o un lampione spento 🙂",
    "Bonus idrico, ISEE e agevolazioni per le famiglie numerose",
    "Precisazioni sull'autocertificazione e dichiarazione sostitutiva dell'atto di notorietà",
    "PASSAPORTO: dove si richiede? e il permesso di soggiorno?",
    "La mia pensione e l'assegno unico non dipendono dal Comune",
    "Cittadinanza italiana iure sanguinis, trascrizione degli atti dall'estero",
    "accesso agli atti amministrativi (legge 241/1990) e accesso civico generalizzato",
    "www.comune-di-esempio.example/servizi/carta-identita?x=1 urp@comune-di-esempio.example",
    "SCIA, CILA e permesso di costruire: qual è la differenza?",
    "votare fuori sede: tessera elettorale smarrita, duplicato",
    "precipitevolissimevolmente supercalifragilistichespiralidoso",
];

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/analysis.txt")
}

/// The analysis of `text` as the index stores it: each term with its position and kind,
/// then the character n-grams of the folded content words.
fn analysed(analyzer: &Analyzer, text: &str, out: &mut String) {
    let terms: Vec<String> = analyzer
        .analyze(text)
        .iter()
        .map(|t| {
            let kind = if t.synonym {
                "~"
            } else if t.bigram {
                "+"
            } else {
                ""
            };
            format!("{kind}{}@{}", t.text, t.position)
        })
        .collect();
    let mut grams = Vec::new();
    for w in words(text).iter().filter(|w| !analyzer.drops(w) && !w.stop) {
        char_ngrams(&w.folded, &mut grams);
    }
    let _ = writeln!(out, "{text}\n  terms {}", terms.join(" "));
    let _ = writeln!(out, "  grams {}", grams.join(" "));
}

fn output() -> String {
    let analyzer = Analyzer::italian(&[], AnalysisOptions::default());
    let mut out = String::new();
    let _ = writeln!(out, "## options {:?}", AnalysisOptions::default());
    let _ = writeln!(out, "## texts");
    for text in TEXTS {
        analysed(&analyzer, text, &mut out);
    }
    let _ = writeln!(out, "## stop words");
    let stops: Vec<&str> = STOP_WORDS
        .iter()
        .copied()
        .filter(|w| is_stop_word(w))
        .collect();
    let _ = writeln!(out, "{}", stops.join(" "));
    let _ = writeln!(out, "## glossary");
    for group in PA_GLOSSARY {
        let _ = writeln!(out, "# group");
        for expression in *group {
            analysed(&analyzer, expression, &mut out);
        }
    }
    let _ = writeln!(out, "## glossary words");
    let _ = writeln!(out, "{}", analyzer.glossary_words(&[]).join(" "));
    let _ = writeln!(out, "## referrals (prebuilt data stores their index)");
    for (i, referral) in OTHER_OFFICES.iter().enumerate() {
        let _ = writeln!(out, "# {i}: {} -> {}", referral.matter, referral.office);
        for expression in referral.expressions {
            analysed(&analyzer, expression, &mut out);
        }
    }
    out
}

fn first_difference(a: &str, b: &str) -> String {
    for (n, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}:\n  golden: {x}\n  now:    {y}", n + 2);
        }
    }
    format!(
        "the golden file has {} lines, the analysis gives {}",
        a.lines().count(),
        b.lines().count()
    )
}

#[test]
fn analysis_output_is_pinned_by_the_analysis_version() {
    let now = output();
    assert!(
        now.lines().count() > 300,
        "the golden output is too small to pin anything"
    );
    let header = format!("# analysis version {ANALYSIS_VERSION}\n");
    let path = golden_path();
    let golden = std::fs::read_to_string(&path).unwrap_or_default();
    let bless = std::env::var_os("SPORTELLO_BLESS_ANALYSIS").is_some();
    match golden.split_once('\n') {
        Some((first, body)) if format!("{first}\n") == header => {
            if body != now {
                panic!(
                    "the analysis output changed but ANALYSIS_VERSION is still {ANALYSIS_VERSION}: \
                     prebuilt bundles already deployed would be opened with another analysis. \
                     Bump ANALYSIS_VERSION in crates/sportello-core/src/analysis/mod.rs, then run \
                     SPORTELLO_BLESS_ANALYSIS=1 cargo test -p sportello-core --test analysis_golden. \
                     First difference at {}",
                    first_difference(body, &now)
                );
            }
        }
        _ if bless => {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, format!("{header}{now}")).unwrap();
            eprintln!("wrote {} for analysis version {ANALYSIS_VERSION}", path.display());
        }
        _ => panic!(
            "{} is not for analysis version {ANALYSIS_VERSION} (its first line: {:?}): \
             regenerate it with SPORTELLO_BLESS_ANALYSIS=1 cargo test -p sportello-core --test analysis_golden",
            path.display(),
            golden.lines().next().unwrap_or("")
        ),
    }
}
