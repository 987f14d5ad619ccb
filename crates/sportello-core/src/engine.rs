//! The matcher: questions in, [`Reply`] out.
//!
//! The life of a question: small talk is checked first; then the question is split into
//! words, unknown words are corrected against the KB vocabulary, the words are analysed like
//! the index (stems plus synonym tokens), BM25 over the index scores every phrasing document and
//! every answer/tags document, the best phrasing of each entry plus its answer/tags score
//! ranks the entries, and the calibrated confidence of the best ones decides the reply.

use crate::analysis::referrals::{Referral, OTHER_OFFICES};
use crate::analysis::typo::Vocabulary;
use crate::analysis::{words, AnalysisOptions, Analyzer};
use crate::confidence::{self, Decision, Features, ANSWER_ONLY_CREDIT};
use crate::hash::{FastMap, FastSet};
use crate::index::{self, DocKind, FieldId, KbIndex, TermKey};
use crate::kb::{KnowledgeBase, Thresholds};
use crate::prebuilt;
use crate::render::Rendered;
use crate::reply::{Candidate, DeclineReason, Explanation, MatchedWord, Reply};
use crate::smalltalk::SmallTalkPack;
use std::sync::Arc;

/// Longer questions are cut here (in characters) before analysis: enough for any real
/// question, and it bounds the work an enormous message can cause.
pub const MAX_QUESTION_CHARS: usize = 1000;

/// How many of the best entries are re-ranked with their coverage.
const RERANK_DEPTH: usize = 20;

/// Matching settings. The defaults are the measured best; the switches exist for ablations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchConfig {
    pub analysis: AnalysisOptions,
    /// Correct unknown question words to known ones.
    pub typos: bool,
    /// Weight of the phrasing field (main question and alternatives).
    pub phrase_boost: f32,
    /// Weight of the answer text.
    pub answer_boost: f32,
    /// Weight of tags and office.
    pub tags_boost: f32,
    /// Weight of synonym-group tokens relative to words.
    pub synonym_weight: f32,
    /// Weight of a corrected word relative to a word as written.
    pub corrected_weight: f32,
    /// Credit, in the coverage, of a question word matched only after typo correction
    /// (relative to a word matched as written).
    pub corrected_credit: f32,
    /// Weight of a pair of neighbouring words.
    pub bigram_weight: f32,
    /// Weight, in the coverage, of a question word the KB never uses (relative to a word
    /// used by one entry).
    pub unknown_word_weight: f32,
    /// Total weight of a word's character n-grams (0 switches them off).
    pub ngram_weight: f32,
    /// Share of the score that depends on coverage when re-ranking the best entries (0–1).
    pub coverage_rerank: f32,
    /// Share of the score that depends on the entry-side recall (how much of the best
    /// phrasing the question asks) when re-ranking (0–1).
    pub recall_rerank: f32,
    /// Drop greetings, thanks and politeness ("vorrei sapere") from questions.
    pub drop_filler: bool,
    /// Count the words of the synonym groups (glossary and agency) as known words for typo
    /// correction, even when no entry uses them: "prezo" is corrected to "prezzo" (a
    /// synonym of "costo"), and "prezzo" itself is never "corrected" to another word.
    pub glossary_typos: bool,
    /// Point questions about other administrations' matters (passport, pension…) that the KB
    /// does not cover to the competent office, instead of offering loosely related entries.
    pub referrals: bool,
    /// Share of credit for the best-covered clause: the confidence's coverage is the larger
    /// of the whole question's and this share of the coverage of its best clause (words
    /// between punctuation marks), so that context sentences around the question ("ho appena
    /// traslocato da Napoli per lavoro, …") weigh less. 0 turns it off.
    pub clause_coverage: f32,
    /// Re-rank with the clause coverage too (measured, off).
    pub clause_rerank: bool,
    /// The recall used by the confidence is at least this share of the coverage, so that an
    /// entry that answers the question in its answer text or tags, but words its phrasings
    /// otherwise, is not given confidence 0 ("reclamo", "certificato di destinazione
    /// urbanistica" written only in the answer). 0 turns it off.
    pub recall_floor: f32,
    /// Thresholds overriding the agency's (for measuring the trade-off).
    pub thresholds: Option<Thresholds>,
}

impl Default for MatchConfig {
    fn default() -> Self {
        MatchConfig {
            analysis: AnalysisOptions::default(),
            typos: true,
            phrase_boost: 1.0,
            answer_boost: 0.35,
            tags_boost: 0.5,
            synonym_weight: 0.7,
            corrected_weight: 0.8,
            corrected_credit: 1.0,
            bigram_weight: 0.5,
            unknown_word_weight: 1.0,
            ngram_weight: 0.0,
            coverage_rerank: 1.0,
            recall_rerank: 0.1,
            drop_filler: true,
            glossary_typos: true,
            referrals: true,
            clause_coverage: 1.0,
            clause_rerank: false,
            recall_floor: 0.5,
            thresholds: None,
        }
    }
}

impl MatchConfig {
    /// Sets one setting by name (`typos=false`, `answer_boost=0.5`…), for experiments and
    /// the ablation table.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let flag = || {
            value
                .parse::<bool>()
                .map_err(|_| format!("{key}: atteso true o false, trovato «{value}»"))
        };
        let num = || {
            value
                .parse::<f32>()
                .map_err(|_| format!("{key}: atteso un numero, trovato «{value}»"))
        };
        match key {
            "stemming" => self.analysis.stemming = flag()?,
            "stop_words" => self.analysis.stop_words = flag()?,
            "synonyms" => self.analysis.synonyms = flag()?,
            "question_words" => self.analysis.question_words = flag()?,
            "bigrams" => self.analysis.bigrams = flag()?,
            "light_stemmer" => self.analysis.light_stemmer = flag()?,
            "negation" => self.analysis.negation = flag()?,
            "bigram_weight" => self.bigram_weight = num()?,
            "unknown_word_weight" => self.unknown_word_weight = num()?,
            "ngram_weight" => self.ngram_weight = num()?,
            "coverage_rerank" => self.coverage_rerank = num()?,
            "recall_rerank" => self.recall_rerank = num()?,
            "drop_filler" => self.drop_filler = flag()?,
            "referrals" => self.referrals = flag()?,
            "clause_coverage" => self.clause_coverage = num()?,
            "clause_rerank" => self.clause_rerank = flag()?,
            "recall_floor" => self.recall_floor = num()?,
            "answer_threshold" => {
                let t = self.thresholds.get_or_insert_with(Thresholds::default);
                t.answer = num()?;
            }
            "clarify_threshold" => {
                let t = self.thresholds.get_or_insert_with(Thresholds::default);
                t.clarify = num()?;
            }
            "typos" => self.typos = flag()?,
            "glossary_typos" => self.glossary_typos = flag()?,
            "phrase_boost" => self.phrase_boost = num()?,
            "answer_boost" => self.answer_boost = num()?,
            "tags_boost" => self.tags_boost = num()?,
            "synonym_weight" => self.synonym_weight = num()?,
            "corrected_weight" => self.corrected_weight = num()?,
            "corrected_credit" => self.corrected_credit = num()?,
            _ => {
                return Err(format!(
                    "impostazione sconosciuta «{key}»; ammesse: {}",
                    Self::KEYS.join(", ")
                ))
            }
        }
        Ok(())
    }

    /// Whether character n-grams are indexed and searched (their weight is above 0).
    pub(crate) fn ngrams(&self) -> bool {
        self.ngram_weight > 0.0
    }

    /// The names accepted by [`MatchConfig::set`].
    pub const KEYS: &'static [&'static str] = &[
        "stemming",
        "stop_words",
        "synonyms",
        "question_words",
        "bigrams",
        "light_stemmer",
        "negation",
        "bigram_weight",
        "unknown_word_weight",
        "ngram_weight",
        "coverage_rerank",
        "recall_rerank",
        "drop_filler",
        "referrals",
        "clause_coverage",
        "clause_rerank",
        "recall_floor",
        "answer_threshold",
        "clarify_threshold",
        "typos",
        "glossary_typos",
        "phrase_boost",
        "answer_boost",
        "tags_boost",
        "synonym_weight",
        "corrected_weight",
        "corrected_credit",
    ];
}

/// Failure to build an engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Index(#[from] index::IndexError),
    #[error("risposte già pronte per {found} voci, ma la base di conoscenza ne ha {expected}: ricostruisci il bundle con `sportello build`")]
    Rendered { expected: usize, found: usize },
    #[error(transparent)]
    Prebuilt(#[from] prebuilt::PrebuiltError),
}

/// A question word after correction, with its terms.
#[derive(Debug, Clone)]
struct QueryWord {
    original: String,
    corrected: Option<String>,
    /// Ids of the terms (own stem and covering synonyms) in the engine's term table.
    terms: Vec<Option<u32>>,
    idf: f32,
    /// Which clause of the question (words between punctuation marks) the word is in.
    clause: u32,
}

/// A content word of a phrasing: its terms (stem and synonym tokens), its own stem and its
/// idf (computed when the engine is assembled; not stored in prebuilt data).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PhrasingWord {
    pub terms: Vec<u32>,
    pub stem: Option<u32>,
    pub idf: f32,
}

/// An analysed question.
#[derive(Debug, Clone, Default)]
struct Analysed {
    words: Vec<QueryWord>,
    /// (term text, weight), deduplicated.
    terms: Vec<(String, f32)>,
    /// (character n-gram, weight), deduplicated.
    grams: Vec<(String, f32)>,
    /// Ids of every term of the question's words, sorted and deduplicated.
    asked: Vec<u32>,
    /// Index in [`OTHER_OFFICES`] of another administration's matter the question names.
    referral: Option<usize>,
}

/// A scored entry.
#[derive(Debug, Clone, Copy)]
struct Scored {
    entry: u32,
    score: f32,
    best_phrasing: u32,
    /// Coverage of the question, once computed (by the re-ranking).
    coverage: Option<f32>,
    /// Recall of the entry's best phrasing, once computed (by the re-ranking).
    recall: Option<f32>,
}

/// Other administrations' expressions (as stems) with the index of their office in
/// [`OTHER_OFFICES`].
type Referrals = Vec<(Vec<String>, usize)>;

/// What opening prebuilt data gives: the analyzer, the tables, the index and the referrals.
type Opened = (Arc<Analyzer>, Tables, KbIndex, Referrals);

/// The matching engine for one knowledge base. Immutable, `Send + Sync`: share it in an `Arc`.
pub struct Engine {
    kb: KnowledgeBase,
    analyzer: Arc<Analyzer>,
    index: KbIndex,
    vocab: Vocabulary,
    known_stems: FastSet<String>,
    /// Other administrations' matters the KB does not cover: the stems of one expression and
    /// the matter's index in [`OTHER_OFFICES`].
    referrals: Referrals,
    /// Term text → id, over every analysed text of the KB.
    term_ids: FastMap<String, u32>,
    /// Entries containing each term (any field).
    entry_df: Vec<u32>,
    /// Per entry: sorted term ids of phrasings and tags; of the answer.
    question_terms: Vec<Vec<u32>>,
    answer_terms: Vec<Vec<u32>>,
    /// Per entry, per phrasing: its content words as (term ids, idf), for the share of the
    /// phrasing a question covers.
    phrasing_words: Vec<Vec<Vec<PhrasingWord>>>,
    /// Per entry: the answer as safe HTML and as chat text.
    rendered: Vec<Rendered>,
    config: MatchConfig,
    thresholds: Thresholds,
    smalltalk: SmallTalkPack,
    /// Opened from prebuilt data rather than built from the KB's texts.
    prebuilt: bool,
}

/// What an engine derives from the KB's texts (the expensive part of building it).
struct Tables {
    term_ids: FastMap<String, u32>,
    question_terms: Vec<Vec<u32>>,
    answer_terms: Vec<Vec<u32>>,
    phrasing_words: Vec<Vec<Vec<PhrasingWord>>>,
    vocab: Vocabulary,
    known_stems: FastSet<String>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("agency", &self.kb.agency.id)
            .field("entries", &self.kb.entries.len())
            .field("config", &self.config)
            .finish()
    }
}

#[cfg(feature = "index")]
/// The content words of one phrasing with their term ids (idf filled in later).
fn phrasing_word_list(
    analyzer: &Analyzer,
    ws: &[crate::analysis::Word],
    terms: &[crate::analysis::Term],
    term_ids: &mut FastMap<String, u32>,
) -> Vec<PhrasingWord> {
    let mut list: Vec<PhrasingWord> = Vec::new();
    for w in ws.iter().filter(|w| !w.stop && !analyzer.drops(w)) {
        let mut ids: Vec<u32> = terms
            .iter()
            .filter(|t| !t.bigram && t.from <= w.from && t.to >= w.to)
            .map(|t| intern(term_ids, &t.text))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let stem = terms
            .iter()
            .find(|t| !t.synonym && !t.bigram && t.from == w.from)
            .map(|t| intern(term_ids, &t.text));
        if !ids.is_empty() && !list.iter().any(|p| p.terms == ids) {
            list.push(PhrasingWord {
                terms: ids,
                stem,
                idf: 0.0,
            });
        }
    }
    list
}

#[cfg(feature = "index")]
fn intern(ids: &mut FastMap<String, u32>, term: &str) -> u32 {
    let next = ids.len() as u32;
    *ids.entry(term.to_string()).or_insert(next)
}

/// Above this share of the best entry's phrasing found in the question, a question naming
/// another administration's matter is still taken as the agency's (see [`Engine::ask`]).
const REFERRAL_MAX_RECALL: f32 = 0.7;

impl Engine {
    /// Builds the engine with the default configuration.
    #[cfg(all(feature = "markdown", feature = "index"))]
    pub fn new(kb: KnowledgeBase) -> Result<Engine, EngineError> {
        Engine::with_config(kb, MatchConfig::default())
    }

    /// Builds the engine with an explicit configuration (answers rendered from Markdown).
    #[cfg(all(feature = "markdown", feature = "index"))]
    pub fn with_config(kb: KnowledgeBase, config: MatchConfig) -> Result<Engine, EngineError> {
        let rendered = kb.entries.iter().map(crate::render::render_entry).collect();
        Engine::with_rendered(kb, config, rendered)
    }

    /// Builds the engine with answers already rendered, one per entry in order (as read from a
    /// bundle).
    #[cfg(feature = "index")]
    pub fn with_rendered(
        kb: KnowledgeBase,
        config: MatchConfig,
        rendered: Vec<Rendered>,
    ) -> Result<Engine, EngineError> {
        Self::check_rendered(&kb, &rendered)?;
        let analyzer = Arc::new(Analyzer::italian(&kb.agency.synonyms, config.analysis));
        let (tables, prepared) = Self::derive(&kb, &analyzer, config.glossary_typos);
        let prepared = Arc::new(std::sync::Mutex::new(prepared));
        let index = index::build(
            &kb,
            analyzer.clone(),
            prepared,
            config.ngrams(),
            &tables.term_ids,
        )?;
        Ok(Self::assemble(
            kb, config, rendered, analyzer, tables, index, None,
        ))
    }

    /// Opens the engine from the data [`Engine::prebuilt`] wrote for this knowledge base,
    /// without analysing its texts or building its index again (what the web widget does
    /// with a bundle). The replies are the same as those of an engine built from `kb`. Data
    /// for another knowledge base, version or configuration, or damaged data, is an error:
    /// build from the knowledge base instead.
    pub fn from_prebuilt(
        kb: KnowledgeBase,
        config: MatchConfig,
        rendered: Vec<Rendered>,
        data: &[u8],
    ) -> Result<Engine, EngineError> {
        Self::check_rendered(&kb, &rendered)?;
        let opened = Self::open_prebuilt(&kb, config, data)?;
        Ok(Self::assemble_opened(kb, config, rendered, opened))
    }

    fn assemble_opened(
        kb: KnowledgeBase,
        config: MatchConfig,
        rendered: Vec<Rendered>,
        (analyzer, tables, index, referrals): Opened,
    ) -> Engine {
        Self::assemble(
            kb,
            config,
            rendered,
            analyzer,
            tables,
            index,
            Some(referrals),
        )
    }

    /// Opens from `data` when it was prebuilt for this knowledge base and configuration, else
    /// builds from the knowledge base (as [`Engine::with_rendered`]): prebuilt data is a cache.
    #[cfg(feature = "index")]
    pub fn from_prebuilt_or_kb(
        kb: KnowledgeBase,
        config: MatchConfig,
        rendered: Vec<Rendered>,
        data: Option<&[u8]>,
    ) -> Result<Engine, EngineError> {
        Self::check_rendered(&kb, &rendered)?;
        if let Some(Ok(opened)) = data.map(|d| Self::open_prebuilt(&kb, config, d)) {
            return Ok(Self::assemble_opened(kb, config, rendered, opened));
        }
        Self::with_rendered(kb, config, rendered)
    }

    fn open_prebuilt(
        kb: &KnowledgeBase,
        config: MatchConfig,
        data: &[u8],
    ) -> Result<Opened, EngineError> {
        // The fingerprint needs no analysis, and the analyzer's synonym table is read from
        // the data: opening analyses nothing.
        let fingerprint = prebuilt::fingerprint(kb, config.analysis, &config);
        let stored = prebuilt::decode(data, fingerprint, kb.entries.len())?;
        let referrals = stored
            .referrals
            .into_iter()
            .map(|(stems, office)| match OTHER_OFFICES.get(office as usize) {
                Some(_) if !stems.is_empty() => Ok((stems, office as usize)),
                _ => Err(prebuilt::PrebuiltError::Damaged("rinvio inesistente")),
            })
            .collect::<Result<Referrals, _>>()?;
        let analyzer = Arc::new(Analyzer::with_synonym_table(
            config.analysis,
            stored.synonyms,
        ));
        let index = KbIndex::from_parts(kb, stored.index)
            .map_err(|e| prebuilt::PrebuiltError::Index(e.to_string()))?;
        let mut term_ids =
            FastMap::with_capacity_and_hasher(stored.terms.len(), Default::default());
        for (i, t) in stored.terms.into_iter().enumerate() {
            term_ids.insert(t, i as u32);
        }
        let mut known_stems =
            FastSet::with_capacity_and_hasher(stored.known_stems.len(), Default::default());
        known_stems.extend(stored.known_stems);
        let tables = Tables {
            term_ids,
            question_terms: stored.question_terms,
            answer_terms: stored.answer_terms,
            phrasing_words: stored.phrasing_words,
            vocab: Vocabulary::from_counts(stored.vocab),
            known_stems,
        };
        Ok((analyzer, tables, index, referrals))
    }

    /// What [`Engine::from_prebuilt`] reads: the engine's term tables, vocabulary and index
    /// files, with a fingerprint of the knowledge base and the configuration.
    pub fn prebuilt(&self) -> Result<Vec<u8>, EngineError> {
        let mut terms = vec![String::new(); self.term_ids.len()];
        for (t, &id) in &self.term_ids {
            terms[id as usize] = t.clone();
        }
        let mut known_stems: Vec<String> = self.known_stems.iter().cloned().collect();
        known_stems.sort_unstable();
        let tables = prebuilt::Tables {
            terms,
            question_terms: self.question_terms.clone(),
            answer_terms: self.answer_terms.clone(),
            phrasing_words: self.phrasing_words.clone(),
            vocab: self.vocab.counts(),
            known_stems,
            synonyms: self.analyzer.synonym_table(),
            referrals: self
                .referrals
                .iter()
                .map(|(stems, office)| (stems.clone(), *office as u32))
                .collect(),
            index: self.index.fields.clone(),
        };
        let fingerprint = prebuilt::fingerprint(&self.kb, self.analyzer.options(), &self.config);
        Ok(prebuilt::encode(&tables, fingerprint))
    }

    /// Whether this engine was opened from prebuilt data.
    pub fn is_prebuilt(&self) -> bool {
        self.prebuilt
    }

    fn check_rendered(kb: &KnowledgeBase, rendered: &[Rendered]) -> Result<(), EngineError> {
        if rendered.len() != kb.entries.len() {
            return Err(EngineError::Rendered {
                expected: kb.entries.len(),
                found: rendered.len(),
            });
        }
        Ok(())
    }

    /// Analyses every text of the KB once, for the term tables, the phrasing words, the
    /// vocabulary and (through `Prepared`) the index.
    #[cfg(feature = "index")]
    fn derive(
        kb: &KnowledgeBase,
        analyzer: &Analyzer,
        glossary_typos: bool,
    ) -> (Tables, FastMap<String, Vec<crate::analysis::Term>>) {
        let mut term_ids = FastMap::default();
        let mut question_terms = Vec::with_capacity(kb.entries.len());
        let mut answer_terms = Vec::with_capacity(kb.entries.len());
        let mut vocab_words: Vec<String> = Vec::new();
        let mut known_stems = FastSet::default();
        let mut phrasing_words = Vec::with_capacity(kb.entries.len());
        let mut prepared = FastMap::default();
        for e in &kb.entries {
            // Each text is split and analysed once, for the index, the term tables, the
            // phrasing words and the vocabulary.
            let mut per_phrasing = Vec::new();
            let mut q = Vec::new();
            let phrasings = 1 + e.alternatives.len();
            let side_texts = e
                .phrasings()
                .chain(e.tags.iter().map(String::as_str))
                .chain(e.office.as_deref());
            for (k, text) in side_texts.enumerate() {
                let ws = words(text);
                let terms = analyzer.analyze_words(&ws);
                for t in &terms {
                    q.push(intern(&mut term_ids, &t.text));
                }
                if k < phrasings {
                    per_phrasing.push(phrasing_word_list(analyzer, &ws, &terms, &mut term_ids));
                    prepared.insert(text.to_string(), terms);
                }
                vocab_words.extend(ws.into_iter().filter(|w| !w.stop).map(|w| w.folded));
            }
            phrasing_words.push(per_phrasing);
            let ws = words(&e.answer);
            let terms = analyzer.analyze_words(&ws);
            let mut a: Vec<u32> = terms
                .iter()
                .map(|t| intern(&mut term_ids, &t.text))
                .collect();
            prepared.insert(e.answer.clone(), terms);
            vocab_words.extend(ws.into_iter().filter(|w| !w.stop).map(|w| w.folded));
            q.sort_unstable();
            q.dedup();
            a.sort_unstable();
            a.dedup();
            question_terms.push(q);
            answer_terms.push(a);
        }
        if glossary_typos {
            vocab_words.extend(analyzer.glossary_words(&kb.agency.synonyms));
        }
        let mut seen = FastSet::default();
        for w in &vocab_words {
            if seen.insert(w.as_str()) {
                known_stems.insert(analyzer.stem(w));
            }
        }
        let vocab = Vocabulary::build(vocab_words.iter().map(String::as_str));
        let tables = Tables {
            term_ids,
            question_terms,
            answer_terms,
            phrasing_words,
            vocab,
            known_stems,
        };
        (tables, prepared)
    }

    /// The engine from its derived tables and index: document frequencies, idf, referrals,
    /// thresholds and small talk (all cheap).
    fn assemble(
        kb: KnowledgeBase,
        config: MatchConfig,
        rendered: Vec<Rendered>,
        analyzer: Arc<Analyzer>,
        tables: Tables,
        index: KbIndex,
        stored_referrals: Option<Referrals>,
    ) -> Engine {
        let prebuilt = stored_referrals.is_some();
        let Tables {
            term_ids,
            question_terms,
            answer_terms,
            mut phrasing_words,
            vocab,
            known_stems,
        } = tables;
        let mut entry_df = vec![0u32; term_ids.len()];
        for (q, a) in question_terms.iter().zip(&answer_terms) {
            let mut all: Vec<u32> = q.iter().chain(a).copied().collect();
            all.sort_unstable();
            all.dedup();
            for t in all {
                entry_df[t as usize] += 1;
            }
        }
        let n = kb.entries.len() as f32;
        for p in phrasing_words.iter_mut().flatten().flatten() {
            let df = p.stem.map_or(1, |t| entry_df[t as usize].max(1)) as f32;
            p.idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
        }
        // Computed whatever `config.referrals` says, so that prebuilt data carries them.
        let referrals = stored_referrals
            .unwrap_or_else(|| Self::uncovered_referrals(&analyzer, &term_ids, &question_terms));
        let thresholds = config
            .thresholds
            .or(kb.agency.thresholds)
            .unwrap_or_default();
        let smalltalk = SmallTalkPack::new(&kb.agency.name, &kb.smalltalk);
        Engine {
            kb,
            analyzer,
            index,
            vocab,
            known_stems,
            referrals,
            term_ids,
            entry_df,
            question_terms,
            answer_terms,
            phrasing_words,
            rendered,
            config,
            thresholds,
            smalltalk,
            prebuilt,
        }
    }

    /// Builds what the engine otherwise builds on first use (the typo-correction table, a
    /// few milliseconds), so that no citizen's question waits for it. Servers call it right
    /// after building; the web widget calls it when the page is idle.
    pub fn warm_up(&self) {
        self.vocab.warm_up();
    }

    /// The knowledge base behind this engine.
    pub fn kb(&self) -> &KnowledgeBase {
        &self.kb
    }

    /// The thresholds in use (the agency's, or the defaults).
    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
    }

    /// The sentence telling citizens they are talking to an automatic assistant.
    pub fn ai_disclosure(&self) -> String {
        self.kb.agency.ai_disclosure.clone().unwrap_or_else(|| {
            format!(
                "Sono un assistente automatico: rispondo con le informazioni pubblicate da {}. Le risposte possono contenere errori; per i casi particolari contatti l'ufficio.",
                self.kb.agency.name
            )
        })
    }

    /// The expressions of [`OTHER_OFFICES`] as stems, keeping those with a word that no
    /// entry's phrasings or tags use: a KB with entries about passports answers passport
    /// questions itself, while an answer that only mentions one ("CIE or passport") does not.
    fn uncovered_referrals(
        analyzer: &Analyzer,
        term_ids: &FastMap<String, u32>,
        question_terms: &[Vec<u32>],
    ) -> Vec<(Vec<String>, usize)> {
        let asked: FastSet<u32> = question_terms.iter().flatten().copied().collect();
        let covered = |stem: &String| term_ids.get(stem).is_some_and(|id| asked.contains(id));
        let mut out = Vec::new();
        for (i, referral) in OTHER_OFFICES.iter().enumerate() {
            for expression in referral.expressions {
                let stems = analyzer.content_stems(expression);
                if !stems.is_empty() && !stems.iter().all(covered) {
                    out.push((stems, i));
                }
            }
        }
        out
    }

    /// The other administration's matter the question is about, if any: one of its
    /// expressions appears in the question's content words, in order and side by side.
    fn referral_in(&self, terms: &[crate::analysis::Term]) -> Option<usize> {
        if !self.config.referrals || self.referrals.is_empty() {
            return None;
        }
        let mut stems: Vec<&crate::analysis::Term> =
            terms.iter().filter(|t| !t.synonym && !t.bigram).collect();
        stems.sort_by_key(|t| t.position);
        let stems: Vec<&str> = stems.iter().map(|t| t.text.as_str()).collect();
        self.referrals.iter().find_map(|(expression, i)| {
            stems
                .windows(expression.len())
                .any(|w| w.iter().zip(expression).all(|(a, b)| *a == b))
                .then_some(*i)
        })
    }

    fn idf(&self, df: u32) -> f32 {
        let n = self.kb.entries.len() as f32;
        (1.0 + (n - df as f32 + 0.5) / (df as f32 + 0.5)).ln()
    }

    fn analyse(&self, question: &str) -> Analysed {
        let mut ws = words(question);
        let marks: Vec<usize> = question
            .char_indices()
            .filter(|(_, c)| matches!(c, ',' | '.' | ';' | ':' | '?' | '!' | '\n'))
            .map(|(i, _)| i)
            .collect();
        let clause_of = |from: usize| marks.partition_point(|&m| m < from) as u32;
        let mut originals = Vec::with_capacity(ws.len());
        let mut corrected = Vec::with_capacity(ws.len());
        for w in ws.iter_mut() {
            originals.push(question[w.from..w.to].to_string());
            if self.config.drop_filler && crate::analysis::stopwords::is_query_filler(&w.folded) {
                w.stop = true;
            }
            let mut fix = None;
            if self.config.typos
                && !w.stop
                && !self.vocab.contains(&w.folded)
                && !self.known_stems.contains(&self.analyzer.stem(&w.folded))
            {
                if let Some(c) = self.vocab.correct(&w.folded) {
                    fix = Some(c.to_string());
                    w.folded = c.to_string();
                    w.stop = crate::analysis::is_stop_word(c);
                }
            }
            corrected.push(fix);
        }
        let terms = self.analyzer.analyze_words(&ws);
        let mut out = Analysed {
            referral: self.referral_in(&terms),
            ..Analysed::default()
        };
        if self.config.ngrams() {
            let mut grams = Vec::new();
            for w in ws.iter().filter(|w| !w.stop) {
                grams.clear();
                crate::analysis::char_ngrams(&w.folded, &mut grams);
                let weight = self.config.ngram_weight / grams.len().max(1) as f32;
                for g in grams.drain(..) {
                    match out.grams.iter_mut().find(|(t, _)| *t == g) {
                        Some(existing) => existing.1 += weight,
                        None => out.grams.push((g, weight)),
                    }
                }
            }
        }
        for (i, w) in ws.iter().enumerate() {
            if self.analyzer.drops(w) {
                continue;
            }
            let own: Vec<Option<u32>> = terms
                .iter()
                .filter(|t| !t.bigram && t.from <= w.from && t.to >= w.to)
                .map(|t| self.term_ids.get(&t.text).copied())
                .collect();
            let stem_df = terms
                .iter()
                .find(|t| !t.synonym && t.from == w.from)
                .and_then(|t| self.term_ids.get(&t.text))
                .map_or(0, |&id| self.entry_df[id as usize]);
            out.words.push(QueryWord {
                original: originals[i].clone(),
                corrected: corrected[i].clone(),
                terms: own.clone(),
                idf: if stem_df == 0 && own.iter().all(Option::is_none) {
                    // A word the KB never uses: it may be what makes the question out of
                    // scope, or just context ("salve, mi sono trasferito da Roma…").
                    self.idf(1) * self.config.unknown_word_weight
                } else {
                    self.idf(stem_df)
                },
                clause: clause_of(w.from),
            });
        }
        for t in &terms {
            let word_corrected = ws
                .iter()
                .zip(&corrected)
                .any(|(w, c)| c.is_some() && t.from <= w.from && t.to >= w.to);
            let mut weight = if t.synonym {
                self.config.synonym_weight
            } else if t.bigram {
                self.config.bigram_weight
            } else {
                1.0
            };
            if word_corrected {
                weight *= self.config.corrected_weight;
            }
            match out.terms.iter_mut().find(|(text, _)| *text == t.text) {
                Some(existing) => existing.1 = existing.1.max(weight),
                None => out.terms.push((t.text.clone(), weight)),
            }
        }
        out.asked = out
            .words
            .iter()
            .flat_map(|w| w.terms.iter().flatten())
            .copied()
            .collect();
        out.asked.sort_unstable();
        out.asked.dedup();
        out
    }

    fn score(&self, a: &Analysed) -> Vec<Scored> {
        let mut clauses: Vec<(FieldId, TermKey, f32)> = Vec::new();
        for (text, weight) in &a.terms {
            let Some(&id) = self.term_ids.get(text) else {
                continue;
            };
            for (field, boost) in [
                (FieldId::Phrase, self.config.phrase_boost),
                (FieldId::Answer, self.config.answer_boost),
                (FieldId::Tags, self.config.tags_boost),
            ] {
                if boost > 0.0 {
                    clauses.push((field, TermKey::Id(id), boost * weight));
                }
            }
        }
        for (gram, weight) in &a.grams {
            clauses.push((FieldId::Grams, TermKey::Text(gram), *weight));
        }
        if clauses.is_empty() {
            return Vec::new();
        }
        let hits = self.index.search(&clauses);
        let mut best: FastMap<u32, Scored> =
            FastMap::with_capacity_and_hasher(hits.len(), Default::default());
        let mut body: FastMap<u32, f32> = FastMap::default();
        for (doc, score) in hits {
            let Some(meta) = self.index.docs.get(doc as usize) else {
                continue;
            };
            match meta.kind {
                DocKind::Phrasing(p) => {
                    let s = best.entry(meta.entry).or_insert(Scored {
                        entry: meta.entry,
                        score: 0.0,
                        best_phrasing: p,
                        coverage: None,
                        recall: None,
                    });
                    if score > s.score {
                        s.score = score;
                        s.best_phrasing = p;
                    }
                }
                DocKind::Body => {
                    body.insert(meta.entry, score);
                    best.entry(meta.entry).or_insert(Scored {
                        entry: meta.entry,
                        score: 0.0,
                        best_phrasing: 0,
                        coverage: None,
                        recall: None,
                    });
                }
            }
        }
        let mut ranked: Vec<Scored> = best
            .into_values()
            .map(|mut s| {
                s.score += body.get(&s.entry).copied().unwrap_or(0.0);
                s
            })
            .collect();
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        if self.config.coverage_rerank > 0.0 {
            // BM25 rewards repeating a rare word; coverage rewards matching all of the
            // question. The head of the list is re-ranked on both.
            let lambda = self.config.coverage_rerank;
            let head = ranked.len().min(RERANK_DEPTH);
            for s in &mut ranked[..head] {
                let mut coverage = self.coverage(a, s.entry);
                if self.config.clause_rerank {
                    coverage = self.clause_coverage(a, s.entry, coverage);
                }
                s.coverage = Some(coverage);
                s.score *= 1.0 - lambda + lambda * coverage;
                if self.config.recall_rerank > 0.0 {
                    let mu = self.config.recall_rerank;
                    let recall = self.phrasing_recall(a, s.entry);
                    s.recall = Some(recall);
                    s.score *= 1.0 - mu + mu * recall;
                }
            }
            ranked[..head].sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        }
        ranked
    }

    /// Share of the question's idf mass found in the entry.
    fn coverage(&self, a: &Analysed, entry: u32) -> f32 {
        self.coverage_of_words(&a.words, entry)
    }

    /// The larger of `whole` (the question's coverage) and the clause share of its best
    /// clause's coverage ([`MatchConfig::clause_coverage`]). Words come in clause order.
    fn clause_coverage(&self, a: &Analysed, entry: u32, whole: f32) -> f32 {
        let share = self.config.clause_coverage;
        let one_clause = a.words.first().map(|w| w.clause) == a.words.last().map(|w| w.clause);
        if share <= 0.0 || one_clause {
            return whole;
        }
        a.words
            .chunk_by(|x, y| x.clause == y.clause)
            .filter(|c| c.len() >= 2)
            .map(|c| share * self.coverage_of_words(c, entry))
            .fold(whole, f32::max)
    }

    /// The coverage of the entry over these words of the question.
    fn coverage_of_words(&self, words: &[QueryWord], entry: u32) -> f32 {
        let q = &self.question_terms[entry as usize];
        let ans = &self.answer_terms[entry as usize];
        let (mut total, mut got) = (0.0f32, 0.0f32);
        for w in words {
            total += w.idf;
            let credit = if w.corrected.is_some() {
                self.config.corrected_credit
            } else {
                1.0
            };
            let ids = w.terms.iter().flatten();
            if ids.clone().any(|t| q.binary_search(t).is_ok()) {
                got += w.idf * credit;
            } else if ids.into_iter().any(|t| ans.binary_search(t).is_ok()) {
                got += w.idf * ANSWER_ONLY_CREDIT * credit;
            }
        }
        if total > 0.0 {
            got / total
        } else {
            0.0
        }
    }

    /// Share of the entry's best-covered phrasing (idf-weighted content words) that the
    /// question contains: high when the citizen asked for everything the phrasing asks,
    /// whatever else the message says.
    fn phrasing_recall(&self, a: &Analysed, entry: u32) -> f32 {
        let asked = &a.asked;
        let mut best = 0.0f32;
        for words in &self.phrasing_words[entry as usize] {
            let (mut total, mut got) = (0.0f32, 0.0f32);
            for w in words {
                total += w.idf;
                if w.terms.iter().any(|t| asked.binary_search(t).is_ok()) {
                    got += w.idf;
                }
            }
            if total > 0.0 {
                best = best.max(got / total);
            }
        }
        best
    }

    /// The entry's coverage, reusing the value computed by the re-ranking.
    fn coverage_of(&self, a: &Analysed, s: &Scored) -> f32 {
        s.coverage.unwrap_or_else(|| self.coverage(a, s.entry))
    }

    fn feature_row(&self, a: &Analysed, s: &Scored, margin: f32) -> Features {
        let unknown = a
            .words
            .iter()
            .filter(|w| w.terms.iter().all(Option::is_none))
            .count();
        let coverage = self.clause_coverage(a, s.entry, self.coverage_of(a, s));
        Features {
            coverage,
            margin,
            // An entry whose phrasings word the question otherwise (its words are in the
            // answer or the tags) keeps part of the credit its coverage earns.
            recall: s
                .recall
                .unwrap_or_else(|| self.phrasing_recall(a, s.entry))
                .max(self.config.recall_floor * coverage),
            unknown: unknown as f32 / a.words.len().max(1) as f32,
        }
    }

    /// The best `k` entries with the quantities their confidence is computed from, for
    /// calibration tools.
    pub fn features(&self, question: &str, k: usize) -> Vec<(String, Features)> {
        let a = self.analyse(Self::truncated(question));
        let ranked = self.score(&a);
        let margin = Self::margin(&ranked);
        ranked
            .iter()
            .take(k)
            .enumerate()
            .map(|(i, s)| {
                let m = if i == 0 { margin } else { 0.0 };
                (
                    self.kb.entries[s.entry as usize].id.clone(),
                    self.feature_row(&a, s, m),
                )
            })
            .collect()
    }

    /// Relative gap between the best and the second entry: (best − second) / best.
    fn margin(ranked: &[Scored]) -> f32 {
        let top = ranked.first().map_or(0.0, |s| s.score);
        let second = ranked.get(1).map_or(0.0, |s| s.score);
        if top > 0.0 {
            (top - second) / top
        } else {
            0.0
        }
    }

    fn candidates(&self, a: &Analysed, ranked: &[Scored], k: usize) -> Vec<Candidate> {
        ranked
            .iter()
            .take(k)
            .enumerate()
            .map(|(i, s)| {
                let margin = if i == 0 { Self::margin(ranked) } else { 0.0 };
                let conf = confidence::confidence(self.feature_row(a, s, margin));
                let e = &self.kb.entries[s.entry as usize];
                Candidate {
                    id: e.id.clone(),
                    question: e.question.clone(),
                    score: s.score,
                    confidence: conf,
                }
            })
            .collect()
    }

    fn truncated(question: &str) -> &str {
        match question.char_indices().nth(MAX_QUESTION_CHARS) {
            Some((i, _)) => &question[..i],
            None => question,
        }
    }

    /// The `k` best entries for a question, with scores and confidences (no decision).
    pub fn search(&self, question: &str, k: usize) -> Vec<Candidate> {
        let a = self.analyse(Self::truncated(question));
        let ranked = self.score(&a);
        self.candidates(&a, &ranked, k)
    }

    /// Up to `k` entries a citizen may be looking for while still typing `partial`, best first.
    ///
    /// An unfinished last word (no space after it) is also completed from the knowledge base's
    /// vocabulary ("carta d'ide" → "identita"); only entries whose confidence reaches the
    /// clarify threshold are suggested, so the list stays empty rather than noisy.
    pub fn suggest(&self, partial: &str, k: usize) -> Vec<Candidate> {
        const COMPLETIONS: usize = 3;
        let partial = Self::truncated(partial);
        if k == 0 || partial.trim().chars().count() < 3 {
            return Vec::new();
        }
        let mut variants = vec![partial.to_string()];
        if !partial.ends_with(char::is_whitespace) {
            if let Some(last) = words(partial).last() {
                for c in self.vocab.completions(&last.folded, COMPLETIONS) {
                    if c != last.folded {
                        variants.push(format!("{}{}", &partial[..last.from], c));
                    }
                }
            }
        }
        let mut best: Vec<Candidate> = Vec::new();
        for v in &variants {
            for c in self.search(v, k) {
                if c.confidence < self.thresholds.clarify {
                    continue;
                }
                match best.iter_mut().find(|b| b.id == c.id) {
                    Some(b) if b.confidence < c.confidence => *b = c,
                    Some(_) => {}
                    None => best.push(c),
                }
            }
        }
        best.sort_by(|a, b| b.confidence.total_cmp(&a.confidence).then(a.id.cmp(&b.id)));
        best.truncate(k);
        best
    }

    /// Answers a citizen's question.
    pub fn ask(&self, question: &str) -> Reply {
        self.ask_with_ranking(question, 3).0
    }

    /// Answers a question and also returns the `k` best candidates (for evaluation and
    /// editors), from one analysis and one search.
    pub fn ask_with_ranking(&self, question: &str, k: usize) -> (Reply, Vec<Candidate>) {
        let question = Self::truncated(question);
        let a = self.analyse(question);
        let ranked = self.score(&a);
        let cands = self.candidates(&a, &ranked, k.max(3));
        let reply = self.decide(question, &a, &ranked, &cands);
        (reply, cands.into_iter().take(k).collect())
    }

    fn decide(
        &self,
        question: &str,
        a: &Analysed,
        ranked: &[Scored],
        cands: &[Candidate],
    ) -> Reply {
        if let Some(st) = self.smalltalk.detect(question) {
            return Reply::SmallTalk {
                intent: st.intent,
                message: st.text,
                contacts: st.show_contacts.then(|| self.kb.agency.contacts.clone()),
            };
        }
        if a.words.is_empty() {
            return self.decline(DeclineReason::Empty, Vec::new());
        }
        if ranked.is_empty() {
            return self.decline(DeclineReason::NoMatch, Vec::new());
        }
        let best = &cands[0];
        if let Some(r) = a.referral {
            // Another administration's matter the KB does not cover: unless an entry answers
            // it outright, or the question asks for most of what the best entry is about
            // (the passport is then context: "rubati carta d'identità e patente"), say who
            // handles it rather than offering entries that share a word with it.
            let top = &ranked[0];
            let recall = top
                .recall
                .unwrap_or_else(|| self.phrasing_recall(a, top.entry));
            // A glossary topic (CIE, TARI…) shared by the question and the best entry's
            // phrasings means the question names one of the agency's own matters too.
            let entry_terms = &self.question_terms[top.entry as usize];
            let names_own_topic = a.terms.iter().any(|(t, _)| {
                t.starts_with(crate::analysis::SYNONYM_MARK)
                    && self
                        .term_ids
                        .get(t)
                        .is_some_and(|id| entry_terms.binary_search(id).is_ok())
            });
            if best.confidence < self.thresholds.answer
                && recall < REFERRAL_MAX_RECALL
                && !names_own_topic
            {
                return self.refer(&OTHER_OFFICES[r], cands.iter().take(3).cloned().collect());
            }
        }
        match confidence::decide(
            self.thresholds,
            best.confidence,
            cands.get(1).map(|c| c.confidence),
        ) {
            Decision::Answer => self.answer(a, ranked, best.confidence),
            Decision::Clarify => {
                let floor = self.thresholds.clarify * 0.6;
                let mut options: Vec<Candidate> = cands
                    .iter()
                    .take(3)
                    .filter(|c| c.confidence >= floor)
                    .cloned()
                    .collect();
                if options.len() < 2 {
                    options = cands.iter().take(2).cloned().collect();
                }
                Reply::Clarify {
                    message: "Forse cercavi…".into(),
                    confidence: best.confidence,
                    options,
                }
            }
            Decision::Decline => self.decline(
                DeclineReason::LowConfidence,
                cands.iter().take(3).cloned().collect(),
            ),
        }
    }

    /// Answers with a chosen entry (for instance after a "Forse cercavi…" choice).
    pub fn answer_entry(&self, id: &str) -> Option<Reply> {
        let i = self.kb.entries.iter().position(|e| e.id == id)?;
        let e = &self.kb.entries[i];
        Some(self.answer_reply(
            i,
            1.0,
            Explanation {
                best_phrasing: e.question.clone(),
                coverage: 1.0,
                margin: 1.0,
                words: Vec::new(),
            },
        ))
    }

    fn answer(&self, a: &Analysed, ranked: &[Scored], confidence: f32) -> Reply {
        let top = ranked[0];
        let e = &self.kb.entries[top.entry as usize];
        let q = &self.question_terms[top.entry as usize];
        let ans = &self.answer_terms[top.entry as usize];
        let words = a
            .words
            .iter()
            .map(|w| {
                let found = |list: &Vec<u32>| -> Option<bool> {
                    let mut via = None;
                    for (k, t) in w.terms.iter().enumerate() {
                        if t.is_some_and(|t| list.binary_search(&t).is_ok()) {
                            // Term 0 is the word's own stem; later ones are synonyms.
                            via = Some(via.unwrap_or(true) && k > 0);
                        }
                    }
                    via
                };
                let (matched_in, via_synonym) = match (found(q), found(ans)) {
                    (Some(s), _) => (Some("domanda"), s),
                    (None, Some(s)) => (Some("risposta"), s),
                    _ => (None, false),
                };
                MatchedWord {
                    word: w.original.clone(),
                    corrected_to: w.corrected.clone(),
                    matched_in,
                    via_synonym,
                }
            })
            .collect();
        let why = Explanation {
            best_phrasing: e
                .phrasings()
                .nth(top.best_phrasing as usize)
                .unwrap_or(&e.question)
                .to_string(),
            coverage: self.coverage_of(a, &top),
            margin: Self::margin(ranked),
            words,
        };
        self.answer_reply(top.entry as usize, confidence, why)
    }

    fn answer_reply(&self, i: usize, confidence: f32, why: Explanation) -> Reply {
        let e = &self.kb.entries[i];
        let related = e
            .related
            .iter()
            .filter_map(|id| {
                self.kb
                    .entry(id)
                    .map(|r| (r.id.clone(), r.question.clone()))
            })
            .collect();
        Reply::Answer {
            id: e.id.clone(),
            question: e.question.clone(),
            answer: e.answer.clone(),
            answer_html: self.rendered[i].html.clone(),
            answer_text: self.rendered[i].text.clone(),
            source: e.source.clone(),
            confidence,
            related,
            why,
        }
    }

    /// Declines a question about another administration's matter, naming the office.
    fn refer(&self, referral: &Referral, candidates: Vec<Candidate>) -> Reply {
        Reply::Decline {
            message: format!(
                "La domanda sembra riguardare {}: se ne occupa {}. Tra le informazioni di {} non c'è una risposta; per altre domande può contattare l'ufficio:",
                referral.matter, referral.office, self.kb.agency.name
            ),
            reason: DeclineReason::OtherOffice,
            contacts: self.kb.agency.contacts.clone(),
            candidates,
        }
    }

    fn decline(&self, reason: DeclineReason, candidates: Vec<Candidate>) -> Reply {
        let message = match reason {
            DeclineReason::Empty => "Non ho capito la domanda. Può scriverla con parole sue, per esempio: «Come rinnovo la carta d'identità?»".to_string(),
            _ => format!(
                "Mi dispiace, non ho trovato una risposta a questa domanda tra le informazioni di {}. Può contattare direttamente l'ufficio:",
                self.kb.agency.name
            ),
        };
        Reply::Decline {
            message,
            reason,
            contacts: self.kb.agency.contacts.clone(),
            candidates,
        }
    }
}
