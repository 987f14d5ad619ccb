//! The inverted index of a knowledge base: one document per phrasing (`phrase`: the main
//! question or an alternative) and one per entry (`answer`, `tags` with the office).
//! Documents are added in order, so a document id is an index into [`KbIndex::docs`].
//!
//! tantivy builds it (feature `index`), in RAM with one segment and no threads. Its postings
//! (document and term frequency), field lengths and token counts are then read out into
//! [`KbIndex`], which is what the engine searches ([`KbIndex::search`], BM25 computed as
//! tantivy computes it for a boolean query of boosted term queries) and what prebuilt data
//! stores. A few hundred documents need no more than that, and so the browser, which opens
//! prebuilt data, carries no tantivy at all.

#[cfg(feature = "index")]
use crate::analysis::tokenizer::{ItalianTokenizer, NgramTokenizer, Prepared, ITALIAN, NGRAMS};
#[cfg(feature = "index")]
use crate::analysis::Analyzer;
use crate::hash::FastMap;
use crate::kb::KnowledgeBase;
#[cfg(feature = "index")]
use std::sync::Arc;
#[cfg(feature = "index")]
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
#[cfg(feature = "index")]
use tantivy::{doc, Index, IndexSettings, ReloadPolicy};

#[cfg(feature = "index")]
/// Memory budget of the single-segment writer. It only sizes the writer's initial term table
/// (a third of it; the table doubles when it fills), so a budget matched to the KB saves
/// allocating and zeroing megabytes, which was most of the index build time of a small KB in
/// the browser. One byte of budget per byte of KB text (a table slot per 24 bytes, more than
/// the distinct terms of ordinary text), between 256 KB and 4 MB.
fn writer_memory(kb: &KnowledgeBase) -> usize {
    let text_bytes: usize = kb
        .entries
        .iter()
        .map(|e| e.answer.len() + e.phrasings().map(str::len).sum::<usize>())
        .sum();
    text_bytes.clamp(256_000, 4_000_000)
}

/// What a document stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// A phrasing of the entry: 0 is the main question, then the alternatives.
    Phrasing(u32),
    /// The entry's answer and tags.
    Body,
}

/// One indexed document: which entry it belongs to and what it holds.
#[derive(Debug, Clone, Copy)]
pub struct DocMeta {
    pub entry: u32,
    pub kind: DocKind,
}

/// The index fields, in the order of [`KbIndex`]'s tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldId {
    Phrase = 0,
    Answer = 1,
    Tags = 2,
    /// Character n-grams of the phrasing.
    Grams = 3,
}

/// Number of fields.
pub const FIELDS: usize = 4;

const FIELD_NAMES: [&str; FIELDS] = ["phrase", "answer", "tags", "grams"];

/// How a query names a term: by its id in the engine's term table (the words of the
/// phrasings, tags and answers), or by its text (the character n-grams, which are not in it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermKey<'a> {
    Id(u32),
    Text(&'a str),
}

/// One field's part of the index.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct FieldIndex {
    /// (document, term frequency) of every term, term after term, by increasing document.
    pub postings: Vec<(u32, u32)>,
    /// Per term id, its range in `postings` (start, length; empty when the field lacks it).
    pub by_id: Vec<(u32, u32)>,
    /// The ranges of the terms that are not in the term table (character n-grams).
    pub by_text: FastMap<String, (u32, u32)>,
    /// Per document, the field's length in tokens as tantivy stores it (rounded to one of
    /// 256 values, which BM25 then uses).
    pub norms: Vec<u32>,
    /// Tokens of the field in all documents.
    pub total_tokens: u64,
}

impl FieldIndex {
    pub(crate) fn list(&self, key: TermKey) -> &[(u32, u32)] {
        let range = match key {
            TermKey::Id(id) => self.by_id.get(id as usize).copied(),
            TermKey::Text(t) => self.by_text.get(t).copied(),
        };
        range
            .and_then(|(start, len)| {
                self.postings
                    .get(start as usize..start as usize + len as usize)
            })
            .unwrap_or(&[])
    }

    fn ranges(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.by_id.iter().chain(self.by_text.values()).copied()
    }
}

/// The index: the documents' layout and, per field, the postings and lengths.
#[derive(Debug, Clone)]
pub struct KbIndex {
    pub docs: Vec<DocMeta>,
    pub(crate) fields: [FieldIndex; FIELDS],
}

/// BM25 parameters (tantivy's).
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// BM25's inverse document frequency (tantivy's) of a term in `df` of `n` documents: the one
/// formula for the index's scores and the engine's word weights.
pub(crate) fn idf(n: f32, df: f32) -> f32 {
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

impl KbIndex {
    /// Scores every document that has at least one of the clauses' terms: the sum over
    /// clauses `(field, term, boost)` of `boost × BM25(term, field, document)`, as tantivy
    /// scores a boolean query of boosted term queries. Documents in increasing order.
    pub fn search(&self, clauses: &[(FieldId, TermKey, f32)]) -> Vec<(u32, f32)> {
        let n = self.docs.len();
        let mut scores = vec![0f32; n];
        let mut hit = vec![false; n];
        let mut touched: Vec<u32> = Vec::new();
        for &(field, term, boost) in clauses {
            let f = &self.fields[field as usize];
            let list = f.list(term);
            if list.is_empty() {
                continue;
            }
            let avg = f.total_tokens as f32 / n.max(1) as f32;
            let df = list.len() as f32;
            let idf = idf(n as f32, df);
            let mut weight = idf * (1.0 + K1);
            if boost != 1.0 {
                weight *= boost;
            }
            for &(doc, tf) in list {
                let d = doc as usize;
                let norm = K1 * (1.0 - B + B * f.norms[d] as f32 / avg);
                let tf = tf as f32;
                scores[d] += weight * (tf / (tf + norm));
                if !hit[d] {
                    hit[d] = true;
                    touched.push(doc);
                }
            }
        }
        if touched.len() > n / 16 {
            // Many hits: reading them off in document order is cheaper than sorting them.
            return (0..n as u32)
                .filter(|&d| hit[d as usize])
                .map(|d| (d, scores[d as usize]))
                .collect();
        }
        touched.sort_unstable();
        touched
            .into_iter()
            .map(|d| (d, scores[d as usize]))
            .collect()
    }

    /// The index read back from prebuilt data, for `kb` (whose documents it must describe).
    pub(crate) fn from_parts(
        kb: &KnowledgeBase,
        fields: [FieldIndex; FIELDS],
    ) -> Result<KbIndex, IndexError> {
        let docs = layout(kb);
        for (name, f) in FIELD_NAMES.iter().zip(&fields) {
            if f.norms.len() != docs.len() {
                return Err(IndexError::Layout {
                    expected: docs.len(),
                    found: f.norms.len(),
                });
            }
            let in_order = f.ranges().all(|(start, len)| {
                let Some(list) = f
                    .postings
                    .get(start as usize..start as usize + len as usize)
                else {
                    return false;
                };
                list.iter()
                    .all(|&(d, tf)| (d as usize) < docs.len() && tf > 0)
                    && list.windows(2).all(|w| w[0].0 < w[1].0)
            });
            if !in_order {
                return Err(IndexError::Postings(name));
            }
        }
        Ok(KbIndex { docs, fields })
    }
}

/// Errors building the index (these are internal failures, not problems of the KB).
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[cfg(feature = "index")]
    #[error("errore interno dell'indice: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error(
        "errore interno dell'indice: attesi {expected} documenti in un segmento, trovati {found}"
    )]
    Layout { expected: usize, found: usize },
    #[error("errore interno dell'indice: voci del campo «{0}» fuori posto")]
    Postings(&'static str),
    #[error("errore interno dell'indice: {0}")]
    Io(#[from] std::io::Error),
}

#[cfg(feature = "index")]
fn text_field(tokenizer: &str, record: IndexRecordOption) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(record),
    )
}

#[cfg(feature = "index")]
/// Builds the index of `kb` with `analyzer`, taking the terms of texts already analysed from
/// `prepared` (see [`Prepared`]). `ngrams` adds the character n-gram field to phrasing documents.
/// Words are keyed by their id in `term_ids` (the engine's term table, which has every word
/// of the KB: a query asks only for those); character n-grams by their text.
pub fn build(
    kb: &KnowledgeBase,
    analyzer: Arc<Analyzer>,
    prepared: Prepared,
    ngrams: bool,
    term_ids: &FastMap<String, u32>,
) -> Result<KbIndex, IndexError> {
    let (index, fields) = build_tantivy(kb, analyzer, prepared, ngrams)?;
    read_out(&index, fields, layout(kb), term_ids)
}

/// The tantivy index of `kb` and its fields in [`FieldId`] order.
#[cfg(feature = "index")]
fn build_tantivy(
    kb: &KnowledgeBase,
    analyzer: Arc<Analyzer>,
    prepared: Prepared,
    ngrams: bool,
) -> Result<(Index, [Field; FIELDS]), IndexError> {
    let mut sb = Schema::builder();
    let with_freqs = IndexRecordOption::WithFreqs;
    let phrase = sb.add_text_field(FIELD_NAMES[0], text_field(ITALIAN, with_freqs));
    let answer = sb.add_text_field(FIELD_NAMES[1], text_field(ITALIAN, with_freqs));
    let tags_field = sb.add_text_field(FIELD_NAMES[2], text_field(ITALIAN, with_freqs));
    let grams = sb.add_text_field(FIELD_NAMES[3], text_field(NGRAMS, with_freqs));
    let settings = IndexSettings {
        docstore_compress_dedicated_thread: false,
        ..IndexSettings::default()
    };
    let dir = tantivy::directory::RamDirectory::default();
    let tokenizers = tantivy::tokenizer::TokenizerManager::default();
    tokenizers.register(
        ITALIAN,
        ItalianTokenizer::with_prepared(analyzer, prepared.clone()),
    );
    tokenizers.register(NGRAMS, NgramTokenizer);
    let mut writer = Index::builder()
        .schema(sb.build())
        .settings(settings)
        .tokenizers(tokenizers)
        .single_segment_index_writer(dir, writer_memory(kb))?;
    for e in &kb.entries {
        for text in e.phrasings() {
            let doc = if ngrams {
                doc!(phrase => text, grams => text)
            } else {
                doc!(phrase => text)
            };
            writer.add_document(doc)?;
        }
        let mut tags = e.tags.join(" . ");
        if let Some(office) = &e.office {
            tags.push_str(" . ");
            tags.push_str(office);
        }
        writer.add_document(doc!(answer => e.answer.as_str(), tags_field => tags))?;
    }
    let index: Index = writer.finalize()?;
    // Whatever was not taken (repeated texts) is not needed any more.
    if let Ok(mut m) = prepared.lock() {
        *m = Default::default();
    }
    Ok((index, [phrase, answer, tags_field, grams]))
}

/// The documents of `kb` in index order: each entry's phrasings, then its body.
fn layout(kb: &KnowledgeBase) -> Vec<DocMeta> {
    let mut docs = Vec::new();
    for (i, e) in kb.entries.iter().enumerate() {
        for p in 0..e.phrasings().count() {
            docs.push(DocMeta {
                entry: i as u32,
                kind: DocKind::Phrasing(p as u32),
            });
        }
        docs.push(DocMeta {
            entry: i as u32,
            kind: DocKind::Body,
        });
    }
    docs
}

/// Reads the postings, lengths and token counts of each field out of the built index,
/// checked against the expected layout.
#[cfg(feature = "index")]
fn read_out(
    index: &Index,
    fields: [Field; FIELDS],
    docs: Vec<DocMeta>,
    term_ids: &FastMap<String, u32>,
) -> Result<KbIndex, IndexError> {
    use tantivy::postings::Postings;
    use tantivy::DocSet;
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    let searcher = reader.searcher();
    let found = searcher.num_docs() as usize;
    let segments = searcher.segment_readers();
    if segments.len() != 1 || found != docs.len() {
        return Err(IndexError::Layout {
            expected: docs.len(),
            found,
        });
    }
    let segment = &segments[0];
    let mut out: [FieldIndex; FIELDS] = Default::default();
    for (k, (slot, field)) in out.iter_mut().zip(fields).enumerate() {
        let by_text = k == FieldId::Grams as usize;
        slot.by_id = vec![(0, 0); term_ids.len()];
        let inverted = segment.inverted_index(field)?;
        slot.total_tokens = inverted.total_num_tokens();
        let norms = segment.get_fieldnorms_reader(field)?;
        slot.norms = (0..docs.len() as u32).map(|d| norms.fieldnorm(d)).collect();
        let mut terms = inverted.terms().stream()?;
        while terms.advance() {
            let Ok(text) = std::str::from_utf8(terms.key()) else {
                continue;
            };
            let id = term_ids.get(text).copied();
            if !by_text && id.is_none() {
                // Never asked for: queries only name terms of the term table.
                continue;
            }
            let mut postings = inverted
                .read_postings_from_terminfo(terms.value(), IndexRecordOption::WithFreqs)?;
            let start = slot.postings.len();
            while postings.doc() != tantivy::TERMINATED {
                slot.postings.push((postings.doc(), postings.term_freq()));
                postings.advance();
            }
            let range = (start as u32, (slot.postings.len() - start) as u32);
            match id {
                Some(id) if !by_text => slot.by_id[id as usize] = range,
                _ => {
                    slot.by_text.insert(text.to_string(), range);
                }
            }
        }
    }
    Ok(KbIndex { docs, fields: out })
}

#[cfg(all(test, feature = "index"))]
mod tests {
    use super::*;
    use crate::analysis::AnalysisOptions;
    use crate::kb::Entry;
    use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};

    fn kb() -> KnowledgeBase {
        let entry = |id: &str, q: &str, alt: &[&str], a: &str, tags: &[&str]| Entry {
            id: id.into(),
            question: q.into(),
            alternatives: alt.iter().map(|s| s.to_string()).collect(),
            answer: a.into(),
            tags: tags.iter().map(|s| s.to_string()).collect(),
            ..Entry::default()
        };
        KnowledgeBase::from_entries(vec![
            entry(
                "cie",
                "Quanto costa la carta d'identità elettronica?",
                &["costo CIE", "prezzo della carta d'identità per i minori"],
                "La carta costa 22,21 euro; il duplicato della carta costa 27,37 euro.",
                &["documenti", "anagrafe"],
            ),
            entry(
                "tari",
                "Come pago la TARI?",
                &["pagare la tassa sui rifiuti"],
                "Con pagoPA, entro le scadenze dell'avviso. La tassa si paga in due rate.",
                &["tributi"],
            ),
            entry(
                "residenza",
                "Come cambio la residenza?",
                &[],
                "Con la dichiarazione di residenza online o allo sportello anagrafe.",
                &["anagrafe"],
            ),
        ])
    }

    /// tantivy's own scores for a boolean query of boosted term queries, by document.
    fn tantivy_scores(
        index: &Index,
        fields: &[Field; FIELDS],
        clauses: &[(FieldId, &str, f32)],
    ) -> Vec<(u32, f32)> {
        use tantivy::collector::DocSetCollector;
        let searcher = index.reader().unwrap().searcher();
        let query = BooleanQuery::new(
            clauses
                .iter()
                .map(|&(f, t, boost)| {
                    let term = tantivy::Term::from_field_text(fields[f as usize], t);
                    let q = TermQuery::new(term, IndexRecordOption::WithFreqs);
                    let q: Box<dyn Query> = Box::new(BoostQuery::new(Box::new(q), boost));
                    (Occur::Should, q)
                })
                .collect(),
        );
        let weight = query
            .weight(tantivy::query::EnableScoring::enabled_from_searcher(
                &searcher,
            ))
            .unwrap();
        let docs = searcher.search(&query, &DocSetCollector).unwrap();
        let mut out: Vec<(u32, f32)> = docs
            .into_iter()
            .map(|d| {
                let e = weight
                    .explain(searcher.segment_reader(d.segment_ord), d.doc_id)
                    .unwrap();
                (d.doc_id, e.value())
            })
            .collect();
        out.sort_by_key(|&(d, _)| d);
        out
    }

    #[test]
    fn search_scores_as_tantivy_does() {
        let kb = kb();
        let analyzer = Arc::new(Analyzer::italian(&[], AnalysisOptions::default()));
        let (index, fields) =
            build_tantivy(&kb, analyzer.clone(), Prepared::default(), true).unwrap();
        let mut term_ids = FastMap::default();
        for e in &kb.entries {
            let texts = e.phrasings().chain(std::iter::once(e.answer.as_str()));
            for t in texts.chain(e.tags.iter().map(String::as_str)) {
                for term in analyzer.analyze(t) {
                    let next = term_ids.len() as u32;
                    term_ids.entry(term.text).or_insert(next);
                }
            }
        }
        let ours = read_out(&index, fields, layout(&kb), &term_ids).unwrap();
        assert_eq!(ours.docs.len(), 9);
        let terms = |text: &str| -> Vec<String> {
            analyzer.analyze(text).into_iter().map(|t| t.text).collect()
        };
        let questions = [
            "quanto costa la carta d'identità",
            "tassa rifiuti pagare rate",
            "anagrafe residenza sportello",
            "duplicato carta",
        ];
        let mut compared = 0;
        for q in questions {
            let ts = terms(q);
            let mut clauses = Vec::new();
            let mut texts = Vec::new();
            for t in &ts {
                let id = term_ids[t];
                for (field, boost) in [
                    (FieldId::Phrase, 1.0),
                    (FieldId::Answer, 0.35),
                    (FieldId::Tags, 0.5),
                ] {
                    clauses.push((field, TermKey::Id(id), boost));
                    texts.push((field, t.as_str(), boost));
                }
            }
            clauses.push((FieldId::Grams, TermKey::Text("cart"), 0.25));
            texts.push((FieldId::Grams, "cart", 0.25));
            let mine = ours.search(&clauses);
            let theirs = tantivy_scores(&index, &fields, &texts);
            assert!(!mine.is_empty(), "{q}");
            assert_eq!(
                mine.iter().map(|h| h.0).collect::<Vec<_>>(),
                theirs.iter().map(|h| h.0).collect::<Vec<_>>(),
                "{q}"
            );
            for (m, t) in mine.iter().zip(&theirs) {
                assert!(
                    (m.1 - t.1).abs() <= 1e-5 * t.1.abs().max(1.0),
                    "{q}: {m:?} vs {t:?}"
                );
                compared += 1;
            }
        }
        assert!(compared >= 10);
        // A term in no document scores nothing.
        assert!(ours
            .search(&[(FieldId::Phrase, TermKey::Text("inesistent"), 1.0)])
            .is_empty());
        assert!(ours
            .search(&[(FieldId::Phrase, TermKey::Id(9999), 1.0)])
            .is_empty());
    }

    #[test]
    fn read_back_parts_are_checked_against_the_layout() {
        let kb = kb();
        let analyzer = Arc::new(Analyzer::italian(&[], AnalysisOptions::default()));
        let built = build(
            &kb,
            analyzer,
            Prepared::default(),
            false,
            &FastMap::default(),
        )
        .unwrap();
        assert!(KbIndex::from_parts(&kb, built.fields.clone()).is_ok());
        let mut short = built.fields.clone();
        short[1].norms.pop();
        assert!(matches!(
            KbIndex::from_parts(&kb, short),
            Err(IndexError::Layout { .. })
        ));
        let with = |list: Vec<(u32, u32)>| {
            let mut fields = built.fields.clone();
            let start = fields[0].postings.len() as u32;
            let len = list.len() as u32;
            fields[0].postings.extend(list);
            fields[0].by_text.insert("x".into(), (start, len));
            KbIndex::from_parts(&kb, fields)
        };
        assert!(with(vec![(1, 1), (2, 3)]).is_ok());
        assert!(matches!(
            with(vec![(99, 1)]),
            Err(IndexError::Postings("phrase"))
        ));
        assert!(with(vec![(2, 1), (1, 1)]).is_err());
        assert!(with(vec![(1, 0)]).is_err());
        let mut beyond = built.fields.clone();
        beyond[2].by_text.insert("y".into(), (0, 99_999));
        assert!(KbIndex::from_parts(&kb, beyond).is_err());
    }
}
