//! The engine: questions in, [`Reply`] out. [`Engine`] holds one knowledge base's tables
//! and index and runs the stages in the order a question meets them:
//!
//! 1. [`crate::smalltalk`]: greetings, thanks, "sei un robot?"… answered at once;
//! 2. [`crate::query`]: words, politeness dropped, typos corrected, stems and synonyms;
//! 3. [`crate::retrieval`]: BM25 over the index, documents grouped by entry;
//! 4. [`crate::rerank`]: the head re-scored by coverage and recall ([`crate::overlap`]);
//!    4b. [`crate::semantic`] (with an encoder): the entries closest in meaning join, and the
//!    scores fuse lexical and semantic evidence;
//! 5. [`crate::confidence`]: the candidates' features and calibrated confidence;
//! 6. [`crate::decision`]: answer, "Forse cercavi…", referral or decline;
//! 7. [`crate::compose`]: the [`Reply`], with the sentences of [`crate::messages`].

use crate::analysis::{words, Analyzer};
use crate::compose::Replier;
use crate::confidence::Features;
use crate::config::MatchConfig;
use crate::context::AskContext;
use crate::decision;
use crate::index::{self, KbIndex};
use crate::kb::{KnowledgeBase, Thresholds};
use crate::notices::{self, Notices};
use crate::overlap::Overlap;
use crate::prebuilt;
use crate::query::{self, Analysed, QueryAnalysis};
use crate::render::Rendered;
use crate::reply::{Candidate, Explanation, Reply};
use crate::rerank;
use crate::retrieval::{self, Scored};
#[cfg(feature = "semantic")]
use crate::semantic::{self, Encoder, SemanticIndex};
use crate::smalltalk::SmallTalkPack;
use crate::tables::Tables;
use std::sync::Arc;

pub use crate::query::MAX_QUESTION_CHARS;

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

/// The matching engine for one knowledge base. Immutable, `Send + Sync`: share it in an `Arc`.
pub struct Engine {
    kb: KnowledgeBase,
    analyzer: Arc<Analyzer>,
    index: KbIndex,
    tables: Tables,
    /// Per entry: the answer as safe HTML and as chat text.
    rendered: Vec<Rendered>,
    config: MatchConfig,
    thresholds: Thresholds,
    smalltalk: SmallTalkPack,
    /// Opened from prebuilt data rather than built from the KB's texts.
    prebuilt: bool,
    /// The semantic stage, when an encoder is attached ([`Engine::with_encoder`]).
    #[cfg(feature = "semantic")]
    semantic: Option<SemanticIndex>,
    /// The KB's notices, ready to go before replies.
    notices: Notices,
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

/// A question after the ranking stages.
struct Ranked {
    analysed: Analysed,
    ranked: Vec<Scored>,
}

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
        let (tables, texts) = Tables::derive(&kb, &analyzer, config.glossary_typos);
        let texts = Arc::new(std::sync::Mutex::new(texts));
        let index = index::build(
            &kb,
            analyzer.clone(),
            texts,
            config.ngrams(),
            &tables.term_ids,
        )?;
        Ok(Self::assemble(
            kb, config, rendered, analyzer, tables, index, false,
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
        let source = prebuilt::source_hash(&kb);
        Self::from_prebuilt_with(kb, config, rendered, data, source)
    }

    /// [`Engine::from_prebuilt`] for a knowledge base without the texts a bundle leaves out
    /// (answers in Markdown, tags, offices), whose hash (`prebuilt::source_hash`) is given
    /// instead.
    pub(crate) fn from_prebuilt_with(
        kb: KnowledgeBase,
        config: MatchConfig,
        rendered: Vec<Rendered>,
        data: &[u8],
        source: u64,
    ) -> Result<Engine, EngineError> {
        Self::check_rendered(&kb, &rendered)?;
        let (analyzer, tables, index) = Self::open_prebuilt(&kb, config, data, source)?;
        Ok(Self::assemble(
            kb, config, rendered, analyzer, tables, index, true,
        ))
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
        if let Some(Ok((analyzer, tables, index))) =
            data.map(|d| Self::open_prebuilt(&kb, config, d, prebuilt::source_hash(&kb)))
        {
            return Ok(Self::assemble(
                kb, config, rendered, analyzer, tables, index, true,
            ));
        }
        Self::with_rendered(kb, config, rendered)
    }

    /// The analyzer, tables and index stored in `data` for `kb`.
    fn open_prebuilt(
        kb: &KnowledgeBase,
        config: MatchConfig,
        data: &[u8],
        source: u64,
    ) -> Result<(Arc<Analyzer>, Tables, KbIndex), EngineError> {
        // The fingerprint needs no analysis, and the analyzer's synonym table is read from
        // the data: opening analyses nothing. It is computed as the data's version defines it.
        let fingerprint = |_version: u32| {
            #[cfg(feature = "format1")]
            if _version == 4 {
                return prebuilt::fingerprint_v4(kb, config.analysis, &config);
            }
            prebuilt::fingerprint_with(kb, config.analysis, &config, source)
        };
        let stored = prebuilt::decode(data, fingerprint, kb.entries.len())?;
        let analyzer = Arc::new(Analyzer::with_synonym_table(
            config.analysis,
            stored.synonyms,
        ));
        let index = KbIndex::from_parts(kb, stored.index)
            .map_err(|e| prebuilt::PrebuiltError::Index(e.to_string()))?;
        Ok((analyzer, stored.tables, index))
    }

    /// What [`Engine::from_prebuilt`] reads: the engine's term tables, vocabulary and index
    /// files, with a fingerprint of the knowledge base and the configuration.
    pub fn prebuilt(&self) -> Result<Vec<u8>, EngineError> {
        let fingerprint = prebuilt::fingerprint(&self.kb, self.analyzer.options(), &self.config);
        Ok(prebuilt::encode(
            &self.tables,
            &self.analyzer.synonym_table(),
            &self.index.fields,
            fingerprint,
        ))
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

    /// The engine from its derived tables and index: document frequencies, idf, thresholds
    /// and small talk (all cheap).
    fn assemble(
        kb: KnowledgeBase,
        config: MatchConfig,
        rendered: Vec<Rendered>,
        analyzer: Arc<Analyzer>,
        mut tables: Tables,
        index: KbIndex,
        prebuilt: bool,
    ) -> Engine {
        tables.finish(kb.entries.len());
        let thresholds = config.thresholds(kb.agency.thresholds);
        let smalltalk = SmallTalkPack::new(&kb.agency.name, &kb.smalltalk);
        let notices = Notices::new(&kb.notices, &notices::render(&kb.notices), &kb.entries);
        Engine {
            kb,
            analyzer,
            index,
            tables,
            rendered,
            config,
            thresholds,
            smalltalk,
            prebuilt,
            #[cfg(feature = "semantic")]
            semantic: None,
            notices,
        }
    }

    /// Replaces the notices' rendering with one made elsewhere (a bundle's, in the order of
    /// the KB's notices), for builds without the Markdown renderer; a list of another length
    /// is ignored.
    pub fn with_rendered_notices(mut self, rendered: &[Rendered]) -> Engine {
        if rendered.len() == self.kb.notices.len() {
            self.notices = Notices::new(&self.kb.notices, rendered, &self.kb.entries);
        }
        self
    }

    /// Attaches a sentence encoder: every phrasing is embedded now, and each question is
    /// embedded when asked, so that ranking and confidence also weigh closeness in meaning
    /// (stage 4b, [`crate::semantic`]). One encoder is shared by every engine of a process.
    #[cfg(feature = "semantic")]
    pub fn with_encoder(mut self, encoder: Arc<dyn Encoder>) -> Engine {
        let with_answers = self.config.semantic_answer > 0.0;
        self.semantic = Some(SemanticIndex::build(&self.kb, encoder, with_answers));
        self
    }

    /// The semantic stage's model, when one is attached.
    pub fn semantic_model(&self) -> Option<&str> {
        #[cfg(feature = "semantic")]
        return self.semantic.as_ref().map(SemanticIndex::model);
        #[cfg(not(feature = "semantic"))]
        None
    }

    /// Builds what the engine otherwise builds on first use (the typo-correction table, a
    /// few milliseconds), so that no citizen's question waits for it. Servers call it right
    /// after building; the web widget calls it when the page is idle.
    pub fn warm_up(&self) {
        self.tables.vocab.warm_up();
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
        self.kb
            .agency
            .ai_disclosure
            .clone()
            .unwrap_or_else(|| crate::messages::ai_disclosure(&self.kb.agency.name))
    }

    fn overlap(&self) -> Overlap<'_> {
        Overlap {
            tables: &self.tables,
            config: &self.config,
        }
    }

    fn replier(&self) -> Replier<'_> {
        Replier {
            kb: &self.kb,
            rendered: &self.rendered,
            overlap: self.overlap(),
        }
    }

    /// Query analysis, retrieval and re-ranking of a question (already cut).
    fn rank(&self, question: &str) -> Ranked {
        let analysed = QueryAnalysis {
            analyzer: &self.analyzer,
            tables: &self.tables,
            config: &self.config,
        }
        .analyse(question);
        let mut ranked = retrieval::retrieve(&self.index, &self.tables, &self.config, &analysed);
        rerank::rerank(&self.overlap(), &analysed, &mut ranked);
        #[cfg(feature = "semantic")]
        if let Some(sem) = &self.semantic {
            if let Some(close) = sem
                .closeness(question, self.config.semantic_answer)
                .filter(|_| !analysed.words.is_empty())
            {
                semantic::fuse(&mut ranked, &close, &self.config);
            }
        }
        Ranked { analysed, ranked }
    }

    /// The best `k` candidates of a ranked question, with their confidence.
    fn candidates(&self, r: &Ranked, k: usize) -> Vec<Candidate> {
        self.overlap()
            .candidates(&self.kb.entries, &r.analysed, &r.ranked, k)
    }

    /// The best `k` entries with the quantities their confidence is computed from, for
    /// calibration tools.
    pub fn features(&self, question: &str, k: usize) -> Vec<(String, Features)> {
        let r = self.rank(query::truncated(question));
        let features = self.overlap().ranked_features(&r.analysed, &r.ranked, k);
        r.ranked
            .iter()
            .zip(features)
            .map(|(s, f)| (self.kb.entries[s.entry as usize].id.clone(), f))
            .collect()
    }

    /// The `k` best entries for a question, with scores and confidences (no decision).
    pub fn search(&self, question: &str, k: usize) -> Vec<Candidate> {
        let r = self.rank(query::truncated(question));
        self.candidates(&r, k)
    }

    /// Up to `k` entries a citizen may be looking for while still typing `partial`, best first.
    ///
    /// An unfinished last word (no space after it) is also completed from the knowledge base's
    /// vocabulary ("carta d'ide" → "identita"); only entries whose confidence reaches the
    /// clarify threshold are suggested, so the list stays empty rather than noisy.
    pub fn suggest(&self, partial: &str, k: usize) -> Vec<Candidate> {
        const COMPLETIONS: usize = 3;
        let partial = query::truncated(partial);
        if k == 0 || partial.trim().chars().count() < 3 {
            return Vec::new();
        }
        let mut variants = vec![partial.to_string()];
        if !partial.ends_with(char::is_whitespace) {
            if let Some(last) = words(partial).last() {
                for c in self.tables.vocab.completions(&last.folded, COMPLETIONS) {
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

    /// `reply` in the wire format ([`crate::reply::Wire`]), with this engine's agency.
    pub fn wire<'a>(&'a self, reply: &'a Reply) -> crate::reply::Wire<'a> {
        reply.wire(&self.kb.agency.id)
    }

    /// Answers a citizen's question, with no time given (as [`Engine::ask_in`] with the
    /// default [`AskContext`]).
    pub fn ask(&self, question: &str) -> Reply {
        self.ask_in(question, &AskContext::default())
    }

    /// Answers a citizen's question asked in `context` (the moment, given by the caller: the
    /// engine reads no clock).
    pub fn ask_in(&self, question: &str, context: &AskContext) -> Reply {
        let question = query::truncated(question);
        if let Some(st) = self.smalltalk.detect(question) {
            return self.replier().small_talk(st);
        }
        let mut r = self.rank(question);
        self.keep_valid(&mut r, context);
        let cands = self.candidates(&r, 3);
        self.decide(&r, &cands, context)
    }

    /// Leaves out the entries outside their `valid_from` / `valid_until` window on the day
    /// of the question (the Italian date); with no time given, every entry stays.
    fn keep_valid(&self, r: &mut Ranked, context: &AskContext) {
        let Some(now) = context.now else {
            return;
        };
        let today = now.date_italy().days_since_epoch();
        r.ranked
            .retain(|s| crate::lifecycle::is_valid_on(&self.kb.entries[s.entry as usize], today));
    }

    /// Answers a question and also returns the `k` best candidates (for evaluation and
    /// editors), from one analysis and one search; small talk is answered as such, and the
    /// ranking is still given.
    pub fn ask_with_ranking(&self, question: &str, k: usize) -> (Reply, Vec<Candidate>) {
        self.ask_with_ranking_in(question, k, &AskContext::default())
    }

    /// [`Engine::ask_with_ranking`] for a question asked in `context`.
    pub fn ask_with_ranking_in(
        &self,
        question: &str,
        k: usize,
        context: &AskContext,
    ) -> (Reply, Vec<Candidate>) {
        let question = query::truncated(question);
        let small_talk = self.smalltalk.detect(question);
        let mut r = self.rank(question);
        self.keep_valid(&mut r, context);
        let cands = self.candidates(&r, k.max(3));
        let reply = match small_talk {
            Some(st) => self.replier().small_talk(st),
            None => self.decide(&r, &cands, context),
        };
        (reply, cands.into_iter().take(k).collect())
    }

    /// Decision and reply for a ranked question and its best candidates (at least three
    /// when there are), in the caller's context, with the notices valid at its moment.
    fn decide(&self, r: &Ranked, cands: &[Candidate], context: &AskContext) -> Reply {
        let verdict = decision::verdict(
            &self.overlap(),
            self.thresholds,
            &r.analysed,
            &r.ranked,
            cands,
        );
        let mut reply = self.replier().reply(verdict, &r.analysed, &r.ranked);
        self.add_notices(&mut reply, context);
        reply
    }

    /// Puts before `reply` the notices valid in `context` that concern the entries it
    /// offers, or that are global ([`crate::notices`]).
    fn add_notices(&self, reply: &mut Reply, context: &AskContext) {
        if self.notices.is_empty() {
            return;
        }
        let offered: Vec<u32> = reply
            .entry_ids()
            .iter()
            .filter_map(|id| self.kb.entries.iter().position(|e| e.id == *id))
            .map(|i| i as u32)
            .collect();
        let shown = self.notices.for_reply(&offered, context.now);
        if let Some(notices) = reply.notices_mut() {
            *notices = shown;
        }
    }

    /// Answers with a chosen entry (for instance after a "Forse cercavi…" choice), with no
    /// time given.
    pub fn answer_entry(&self, id: &str) -> Option<Reply> {
        self.answer_entry_in(id, &AskContext::default())
    }

    /// [`Engine::answer_entry`] in `context`: with the notices valid at its moment.
    pub fn answer_entry_in(&self, id: &str, context: &AskContext) -> Option<Reply> {
        let mut reply = self.chosen_entry(id)?;
        self.add_notices(&mut reply, context);
        Some(reply)
    }

    fn chosen_entry(&self, id: &str) -> Option<Reply> {
        let i = self.kb.entries.iter().position(|e| e.id == id)?;
        let e = &self.kb.entries[i];
        Some(self.replier().answer_reply(
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
}
