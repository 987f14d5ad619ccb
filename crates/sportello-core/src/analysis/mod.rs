//! Italian text analysis, shared by indexing and questions.
//!
//! The pipeline: Unicode word splitting (UAX #29) → lowercase → accent folding (`perché` =
//! `perche`) → elision splitting on both apostrophes (`dell'anagrafe`, `l’ufficio`) → Italian
//! stop words → Snowball Italian stemming → synonym and acronym tokens (built-in PA glossary
//! plus the agency's groups). Typo correction ([`typo`]) runs on questions only, against the
//! knowledge base's own vocabulary. [`tokenizer`] exposes the same pipeline to tantivy.

pub mod glossary;
pub mod referrals;
pub mod segment;
pub mod stopwords;
#[cfg(feature = "index")]
pub mod tokenizer;
pub mod typo;

use std::collections::HashMap;

pub use stopwords::is_stop_word;

/// Version of the analysis that prebuilt data is derived with: bump it whenever what the
/// analyzer gives for a text changes (splitting, folding, stop words, stemmer, glossary, the
/// referral list). Bundles carry it, and an engine opens prebuilt data only of its own
/// analysis version; `tests/analysis_golden.rs` fails when the output changes without a bump.
pub const ANALYSIS_VERSION: u32 = 1;

/// Words longer than this (in bytes) are noise (hashes, pasted URLs) and are dropped.
const MAX_WORD_BYTES: usize = 48;

/// Marks synonym-group tokens, so they never collide with a real stem.
pub const SYNONYM_MARK: char = '≈';

/// A word of the input, lowercased and accent-folded, with where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Lowercase, accent-folded form.
    pub folded: String,
    /// Byte range in the original text.
    pub from: usize,
    pub to: usize,
    /// Index of the word in the text (stop words count), for proximity.
    pub position: usize,
    pub stop: bool,
}

/// An index or query term produced by the analyzer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub text: String,
    pub position: usize,
    pub from: usize,
    pub to: usize,
    /// True for a synonym-group token added by the glossary.
    pub synonym: bool,
    /// True for a pair of neighbouring words.
    pub bigram: bool,
}

/// Lowercases and strips diacritics: `Perché` → `perche`, `Città` → `citta`.
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        for l in c.to_lowercase() {
            if l.is_ascii() {
                out.push(l);
                continue;
            }
            unicode_normalization::char::decompose_canonical(l, |d| {
                if !unicode_normalization::char::is_combining_mark(d) {
                    out.push(d);
                }
            });
        }
    }
    out
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | '‘' | 'ʼ' | '`' | '´')
}

/// Splits text into folded words, breaking elisions and dropping dots inside acronyms.
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut position = 0;
    for (start, w) in segment::word_indices(text) {
        let mut part_start = start;
        for part in w.split(is_apostrophe) {
            let from = part_start;
            part_start += part.len();
            // Skip the apostrophe itself (1 to 3 bytes).
            if let Some(c) = text[part_start..].chars().next() {
                if is_apostrophe(c) {
                    part_start += c.len_utf8();
                }
            }
            if part.is_empty() || part.len() > MAX_WORD_BYTES {
                continue;
            }
            let mut folded = fold(part);
            if folded.contains('.') {
                folded.retain(|c| c != '.');
            }
            if !folded.chars().any(char::is_alphanumeric) {
                continue;
            }
            let stop = is_stop_word(&folded);
            out.push(Word {
                folded,
                from,
                to: from + part.len(),
                position,
                stop,
            });
            position += 1;
        }
    }
    out
}

/// Savoy's light Italian stemmer (the algorithm of Lucene's `ItalianLightStemmer`), on folded
/// words: strips the final vowel, and an `i`/`h` before it, from words of six letters or more.
pub fn light_stem(folded: &str) -> &str {
    let b = folded.as_bytes();
    let n = b.len();
    if n < 6 || !folded.is_ascii() {
        return folded;
    }
    let cut = match (b[n - 2], b[n - 1]) {
        (b'i' | b'h', b'e') | (b'h' | b'i', b'i') | (b'i', b'a') | (b'i', b'o') => 2,
        (_, b'e' | b'i' | b'a' | b'o') => 1,
        _ => 0,
    };
    &folded[..n - cut]
}

/// Length of the character n-grams of [`char_ngrams`].
pub const NGRAM: usize = 4;

/// Character 4-grams of a folded word padded with `_` ("carta" → `_car`, `cart`, `arta`,
/// `rta_`), for matching inflections and misspellings the stemmer and the typo corrector miss.
/// Words shorter than four letters give none.
pub fn char_ngrams(folded: &str, out: &mut Vec<String>) {
    let chars: Vec<char> = std::iter::once('_')
        .chain(folded.chars())
        .chain(std::iter::once('_'))
        .collect();
    if chars.len() < NGRAM + 2 {
        return;
    }
    for w in chars.windows(NGRAM) {
        out.push(w.iter().collect());
    }
}

/// One synonym expression: the stems after its first one, and the group token.
#[derive(Debug, Clone)]
struct Expression {
    rest: Vec<String>,
    token: String,
}

/// One row of the synonym table, as stored in prebuilt data: an expression's first stem, the
/// stems after it and its group's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SynonymRow {
    pub head: String,
    pub rest: Vec<String>,
    pub token: String,
}

/// Which parts of the pipeline are on (all of them by default; switched off for ablations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnalysisOptions {
    pub stemming: bool,
    pub stop_words: bool,
    pub synonyms: bool,
    /// Keep question words (come, dove, quando…) as terms.
    pub question_words: bool,
    /// Add a term for each pair of neighbouring content words ("carta identit"), so
    /// compound expressions score above their words scattered.
    pub bigrams: bool,
    /// Use Savoy's light Italian stemmer (as Lucene's ItalianLightStemFilter) instead of Snowball.
    pub light_stemmer: bool,
    /// Keep "non" as a word (Snowball's stop list drops it): "non ho ricevuto la fattura" and
    /// "ho ricevuto una fattura elevata" are different questions.
    pub negation: bool,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            stemming: true,
            stop_words: true,
            synonyms: true,
            question_words: false,
            bigrams: false,
            light_stemmer: false,
            negation: true,
        }
    }
}

/// The Italian analyzer: stemmer plus synonym table. Cheap to share behind an `Arc`.
pub struct Analyzer {
    stemmer: rust_stemmers::Stemmer,
    /// Folded word → stem. A KB repeats its words many times and each text is analysed by
    /// the index and by the engine's tables, so most stems are computed once.
    stems: std::sync::RwLock<HashMap<String, String>>,
    /// First stem of an expression → the expressions starting with it.
    synonyms: HashMap<String, Vec<Expression>>,
    options: AnalysisOptions,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field(
                "synonym_expressions",
                &self.synonyms.values().map(Vec::len).sum::<usize>(),
            )
            .field("options", &self.options)
            .finish()
    }
}

/// Most distinct words whose stems are kept.
const STEM_CACHE_MAX: usize = 50_000;

impl Analyzer {
    /// The Italian analyzer with the built-in glossary and the agency's synonym groups.
    pub fn italian(agency_synonyms: &[Vec<String>], options: AnalysisOptions) -> Analyzer {
        let mut analyzer = Analyzer {
            stemmer: rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::Italian),
            stems: Default::default(),
            synonyms: HashMap::new(),
            options,
        };
        if options.synonyms {
            let builtin = glossary::PA_GLOSSARY
                .iter()
                .map(|g| g.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            let groups: Vec<Vec<String>> = builtin.chain(agency_synonyms.iter().cloned()).collect();
            for group in &groups {
                analyzer.add_group(group);
            }
        }
        analyzer
    }

    /// The synonym table, in a stable order (by first stem, then longest expression first):
    /// what [`Analyzer::with_synonym_table`] takes back.
    pub(crate) fn synonym_table(&self) -> Vec<SynonymRow> {
        let mut heads: Vec<&String> = self.synonyms.keys().collect();
        heads.sort_unstable();
        heads
            .into_iter()
            .flat_map(|head| {
                self.synonyms[head].iter().map(move |e| SynonymRow {
                    head: head.clone(),
                    rest: e.rest.clone(),
                    token: e.token.clone(),
                })
            })
            .collect()
    }

    /// The analyzer with a synonym table from [`Analyzer::synonym_table`] (prebuilt data):
    /// the same analyzer as [`Analyzer::italian`] for the same groups, without analysing them.
    pub(crate) fn with_synonym_table(options: AnalysisOptions, rows: Vec<SynonymRow>) -> Analyzer {
        let mut synonyms: HashMap<String, Vec<Expression>> = HashMap::new();
        for row in rows {
            synonyms.entry(row.head).or_default().push(Expression {
                rest: row.rest,
                token: row.token,
            });
        }
        Analyzer {
            stemmer: rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::Italian),
            stems: Default::default(),
            synonyms,
            options,
        }
    }

    /// The folded content words of the glossary's and the agency's synonym expressions,
    /// sorted and without repeats (none when synonyms are off): words the engine knows even
    /// when no entry uses them. Computed on demand, only when an engine is built from its KB.
    pub fn glossary_words(&self, agency_synonyms: &[Vec<String>]) -> Vec<String> {
        if !self.options.synonyms {
            return Vec::new();
        }
        let builtin = glossary::PA_GLOSSARY.iter().flat_map(|g| g.iter().copied());
        let agency = agency_synonyms.iter().flatten().map(String::as_str);
        let mut ws: Vec<String> = builtin
            .chain(agency)
            .flat_map(words)
            .filter(|w| !self.drops(w))
            .map(|w| w.folded)
            .collect();
        ws.sort_unstable();
        ws.dedup();
        ws
    }

    fn add_group(&mut self, group: &[String]) {
        let Some(first) = group.iter().find(|e| !self.content_stems(e).is_empty()) else {
            return;
        };
        let token = format!("{SYNONYM_MARK}{}", self.content_stems(first).join("_"));
        for expression in group {
            let stems = self.content_stems(expression);
            let Some((head, rest)) = stems.split_first() else {
                continue;
            };
            let list = self.synonyms.entry(head.clone()).or_default();
            if !list.iter().any(|e| e.rest == rest && e.token == token) {
                list.push(Expression {
                    rest: rest.to_vec(),
                    token: token.clone(),
                });
                // Longest expressions first, so "carta d'identità elettronica" wins over "carta d'identità".
                list.sort_by_key(|e| std::cmp::Reverse(e.rest.len()));
            }
        }
    }

    /// Stems of the non-stop words of `text` (how synonym expressions and referral
    /// expressions are compared).
    pub fn content_stems(&self, text: &str) -> Vec<String> {
        words(text)
            .iter()
            .filter(|w| !w.stop)
            .map(|w| self.stem(&w.folded))
            .collect()
    }

    /// The options this analyzer was built with.
    pub fn options(&self) -> AnalysisOptions {
        self.options
    }

    /// The stem of a folded word (the word itself when stemming is off).
    pub fn stem(&self, folded: &str) -> String {
        if !self.options.stemming || folded.chars().any(|c| c.is_ascii_digit()) {
            return folded.to_string();
        }
        if self.options.light_stemmer {
            return light_stem(folded).to_string();
        }
        if let Some(stem) = self.stems.read().ok().and_then(|m| m.get(folded).cloned()) {
            return stem;
        }
        let stem = self.stemmer.stem(folded).into_owned();
        if let Ok(mut m) = self.stems.write() {
            // Bounded, so that a stream of unseen words cannot grow memory without end.
            if m.len() < STEM_CACHE_MAX {
                m.insert(folded.to_string(), stem.clone());
            }
        }
        stem
    }

    /// Whether a word is dropped as a stop word under the current options.
    pub fn drops(&self, w: &Word) -> bool {
        if !self.options.negation && w.folded == "non" {
            return true;
        }
        w.stop
            && self.options.stop_words
            && !(self.options.question_words
                && stopwords::QUESTION_WORDS.contains(&w.folded.as_str()))
    }

    /// Analyzes text: the terms that are indexed or searched.
    pub fn analyze(&self, text: &str) -> Vec<Term> {
        self.analyze_words(&words(text))
    }

    /// Analyzes already split (and possibly corrected) words.
    pub fn analyze_words(&self, words: &[Word]) -> Vec<Term> {
        let mut terms: Vec<Term> = Vec::with_capacity(words.len() + 2);
        let mut content: Vec<usize> = Vec::with_capacity(words.len());
        for w in words.iter().filter(|w| !self.drops(w)) {
            if !w.stop {
                content.push(terms.len());
            }
            terms.push(Term {
                text: self.stem(&w.folded),
                position: w.position,
                from: w.from,
                to: w.to,
                synonym: false,
                bigram: false,
            });
        }
        if self.options.bigrams {
            let pairs: Vec<Term> = content
                .windows(2)
                .map(|p| (&terms[p[0]], &terms[p[1]]))
                .filter(|(a, b)| b.position - a.position <= 2)
                .map(|(a, b)| Term {
                    text: format!("{} {}", a.text, b.text),
                    position: a.position,
                    from: a.from,
                    to: b.to,
                    synonym: false,
                    bigram: true,
                })
                .collect();
            terms.extend(pairs);
        }
        if self.synonyms.is_empty() {
            return terms;
        }
        // Synonyms are matched on the stems of content words only, so "carta di identità"
        // and "carta d'identità" are the same expression.
        let mut added: Vec<Term> = Vec::new();
        for (ci, &ti) in content.iter().enumerate() {
            let Some(list) = self.synonyms.get(&terms[ti].text) else {
                continue;
            };
            for e in list {
                let end = ci + e.rest.len();
                if end >= content.len() {
                    continue;
                }
                let matches = e
                    .rest
                    .iter()
                    .enumerate()
                    .all(|(k, stem)| &terms[content[ci + 1 + k]].text == stem);
                let position = terms[ti].position;
                if matches
                    && !added
                        .iter()
                        .any(|t| t.text == e.token && t.position == position)
                {
                    added.push(Term {
                        text: e.token.clone(),
                        position,
                        from: terms[ti].from,
                        to: terms[content[end]].to,
                        synonym: true,
                        bigram: false,
                    });
                }
            }
        }
        terms.extend(added);
        terms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(a: &Analyzer, s: &str) -> Vec<String> {
        a.analyze(s).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn a_stored_synonym_table_gives_the_same_analysis() {
        let agency = vec![vec!["vigili".to_string(), "polizia municipale".to_string()]];
        let built = Analyzer::italian(&agency, AnalysisOptions::default());
        let table = built.synonym_table();
        assert!(table.iter().any(|r| r.head == "vigil"));
        let opened = Analyzer::with_synonym_table(AnalysisOptions::default(), table.clone());
        assert_eq!(opened.synonym_table(), table);
        for text in [
            "Quanto costa la carta d'identità elettronica? E la CIE per i minori?",
            "ho una multa dei vigili, la polizia municipale dove si trova",
            "orari ZTL e TARI, a che ora apre l'ufficio",
        ] {
            assert_eq!(opened.analyze(text), built.analyze(text), "{text}");
        }
        // Without the table, the same text analyses differently: the test can fail.
        let bare = Analyzer::with_synonym_table(AnalysisOptions::default(), Vec::new());
        assert_ne!(
            bare.analyze("carta d'identità"),
            built.analyze("carta d'identità")
        );
    }

    #[test]
    fn folds_accents_and_case() {
        assert_eq!(fold("Perché CITTÀ è"), "perche citta e");
    }

    #[test]
    fn splits_elisions_with_both_apostrophes() {
        let a = Analyzer::italian(&[], AnalysisOptions::default());
        assert_eq!(texts(&a, "dell'anagrafe"), texts(&a, "anagrafe"));
        assert_eq!(texts(&a, "l’ufficio"), texts(&a, "ufficio"));
        assert!(!texts(&a, "dell'anagrafe").contains(&"dell".to_string()));
    }

    #[test]
    fn accents_do_not_matter() {
        let a = Analyzer::italian(&[], AnalysisOptions::default());
        assert_eq!(
            texts(&a, "perche identita citta"),
            texts(&a, "perché identità città")
        );
    }

    #[test]
    fn stems_inflections_together() {
        let a = Analyzer::italian(&[], AnalysisOptions::default());
        assert_eq!(texts(&a, "certificati")[0], texts(&a, "certificato")[0]);
        assert_eq!(texts(&a, "rinnovare")[0], texts(&a, "rinnovo")[0]);
    }

    #[test]
    fn acronym_and_expansion_share_a_token() {
        let a = Analyzer::italian(&[], AnalysisOptions::default());
        let short = texts(&a, "CIE");
        let long = texts(&a, "la carta d'identità elettronica");
        let dotted = texts(&a, "la C.I.E.");
        let shared: Vec<_> = short
            .iter()
            .filter(|t| t.starts_with(SYNONYM_MARK))
            .collect();
        assert!(!shared.is_empty(), "{short:?}");
        assert!(long.contains(shared[0]), "{long:?}");
        assert!(dotted.contains(shared[0]), "{dotted:?}");
        assert!(texts(&a, "carta di identita").contains(shared[0]));
    }

    #[test]
    fn agency_synonyms_apply() {
        let a = Analyzer::italian(
            &[vec!["ecocentro".into(), "isola ecologica".into()]],
            AnalysisOptions::default(),
        );
        let t1 = texts(&a, "dove si trova l'isola ecologica");
        let t2 = texts(&a, "ecocentro");
        assert!(
            t2.iter()
                .any(|t| t.starts_with(SYNONYM_MARK) && t1.contains(t)),
            "{t1:?} {t2:?}"
        );
    }

    #[test]
    fn drops_stop_words_keeps_numbers() {
        let a = Analyzer::italian(&[], AnalysisOptions::default());
        assert_eq!(texts(&a, "il modello 730 della"), vec!["modell", "730"]);
    }

    #[test]
    fn negation_is_kept_unless_switched_off() {
        let a = Analyzer::italian(&[], AnalysisOptions::default());
        assert_eq!(
            texts(&a, "non ho ricevuto la fattura"),
            vec!["non", "ricev", "fattur"]
        );
        let off = AnalysisOptions {
            negation: false,
            ..AnalysisOptions::default()
        };
        let a = Analyzer::italian(&[], off);
        assert_eq!(
            texts(&a, "non ho ricevuto la fattura"),
            vec!["ricev", "fattur"]
        );
    }

    #[test]
    fn junk_gives_no_terms() {
        let a = Analyzer::italian(&[], AnalysisOptions::default());
        assert!(a.analyze("?!?! ... 🙂🙂 \u{0} \u{7}").is_empty());
        assert!(a.analyze("").is_empty());
    }
}
