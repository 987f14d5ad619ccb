//! The strong baseline: the EVALITA 2016 QA4FAQ Lucene recipe, one BM25 document per entry with
//! three fields (question and alternatives boosted ×4, answer ×2, tags ×1; each query word is
//! searched in all three and the scores add up) and an analysis like Lucene's `ItalianAnalyzer`:
//! elisions split, Snowball's Italian stop words, accent folding and the Snowball Italian
//! stemmer. No synonyms, typo correction, re-ranking or decisions: it always answers with its
//! first entry. It runs in the same process, on the same data, as the engine it is compared to.
//!
//! On `../shared/eval/unlockpa-dev` it gives top1 0.546 and MRR@10 0.640, the anchors its
//! SOURCE.md records for this recipe (0.546 / 0.641).

use super::{Outcome, Query};
use crate::analysis::words;
use crate::kb::KnowledgeBase;
use std::time::Instant;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query as TantivyQuery, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::Term;

/// Field boosts of the recipe: phrasings, answer, tags.
const BOOSTS: [f32; 3] = [4.0, 2.0, 1.0];

/// Words the engine's stop list drops but Snowball's does not (the analyzer's own additions).
const NOT_SNOWBALL: &[&str] = &["n", "po", "qual", "quant", "cos"];

/// Lucene-ItalianAnalyzer-like terms: folded words with elisions split, Snowball's Italian stop
/// words ("non" included) dropped, Snowball stems.
pub fn lucene_italian_terms(stemmer: &rust_stemmers::Stemmer, text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .filter(|w| {
            let stop = (w.stop && !NOT_SNOWBALL.contains(&w.folded.as_str())) || w.folded == "non";
            !stop
        })
        .map(|w| stemmer.stem(&w.folded).into_owned())
        .collect()
}

/// One optional clause per query word (a repeated word counts again, as with Lucene's parser),
/// each summing the word's boosted BM25 scores in the three fields.
fn query(fields: &[Field; 3], terms: &[String]) -> BooleanQuery {
    let clauses = terms
        .iter()
        .map(|t| {
            let per_field = fields
                .iter()
                .zip(BOOSTS)
                .map(|(&f, boost)| {
                    let term =
                        TermQuery::new(Term::from_field_text(f, t), IndexRecordOption::WithFreqs);
                    let q: Box<dyn TantivyQuery> = Box::new(BoostQuery::new(Box::new(term), boost));
                    (Occur::Should, q)
                })
                .collect();
            let q: Box<dyn TantivyQuery> = Box::new(BooleanQuery::new(per_field));
            (Occur::Should, q)
        })
        .collect();
    BooleanQuery::new(clauses)
}

/// Runs the recipe on `queries`; the outcomes carry each query's top 10.
pub(super) fn run(kb: &KnowledgeBase, queries: &[Query]) -> tantivy::Result<Vec<Outcome>> {
    let stemmer = rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::Italian);
    let mut sb = Schema::builder();
    // Texts are analysed here and indexed as space-separated terms.
    let indexing = TextFieldIndexing::default()
        .set_tokenizer("whitespace")
        .set_index_option(IndexRecordOption::WithFreqs);
    let opts = TextOptions::default().set_indexing_options(indexing);
    let fields = [
        sb.add_text_field("phrasings", opts.clone()),
        sb.add_text_field("answer", opts.clone()),
        sb.add_text_field("tags", opts),
    ];
    let settings = tantivy::IndexSettings {
        docstore_compress_dedicated_thread: false,
        ..Default::default()
    };
    let mut writer = tantivy::Index::builder()
        .schema(sb.build())
        .settings(settings)
        .single_segment_index_writer(tantivy::directory::RamDirectory::default(), 32_000_000)?;
    let analysed = |text: &str| lucene_italian_terms(&stemmer, text).join(" ");
    for e in &kb.entries {
        let phrasings = e.phrasings().collect::<Vec<_>>().join("\n");
        let mut doc = tantivy::TantivyDocument::default();
        doc.add_text(fields[0], analysed(&phrasings));
        doc.add_text(fields[1], analysed(&e.answer));
        doc.add_text(fields[2], analysed(&e.tags.join("\n")));
        writer.add_document(doc)?;
    }
    let index = writer.finalize()?;
    let searcher = index.reader()?.searcher();
    let mut outcomes = Vec::with_capacity(queries.len());
    for q in queries {
        let start = Instant::now();
        let terms = lucene_italian_terms(&stemmer, &q.query);
        let hits = if terms.is_empty() {
            Vec::new()
        } else {
            searcher
                .search(
                    &query(&fields, &terms),
                    &TopDocs::with_limit(10).order_by_score(),
                )
                .unwrap_or_default()
        };
        outcomes.push(Outcome::from_hits(kb, &hits, start));
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analysis_is_lucene_italian_like() {
        let stemmer = rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::Italian);
        // Elision split and dropped, accents folded, stop words ("perché", "non") dropped, stems.
        assert_eq!(
            lucene_italian_terms(
                &stemmer,
                "Perché non ho l’attestato dell'anagrafe? Un po' di città"
            ),
            vec!["attest", "anagraf", "po", "citt"]
        );
    }
}
