//! Evaluation: the metrics of the project's interchange format (`top1`, `c_at_1`, `mrr10`,
//! `recall5`, `false_decline_rate`, `decline_rate`, `p50_us`, `p99_us`, `n`, `n_out_of_scope`)
//! two baselines measured on the same data (a plain tantivy BM25 and the EVALITA Lucene recipe,
//! [`strong`]), each query's outcome ([`PerQuery`]) and paired comparisons of two runs
//! ([`compare`]).

pub mod compare;
#[cfg(feature = "index")]
pub mod strong;

use crate::diag::Diagnostic;
#[cfg(feature = "index")]
use crate::kb::KnowledgeBase;
use crate::reply::Reply;
use crate::Engine;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// One evaluation question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub id: String,
    pub query: String,
    /// Entries that answer it; empty means the right reply is a decline.
    pub relevant_ids: Vec<String>,
}

/// Parses a JSONL query set; other keys (such as `category`) are ignored.
pub fn parse_queries(file: &str, text: &str) -> (Vec<Query>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let mut diags = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        #[derive(serde::Deserialize)]
        struct Raw {
            id: serde_json::Value,
            query: String,
            #[serde(default)]
            relevant_ids: Vec<serde_json::Value>,
        }
        let as_string = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match serde_json::from_str::<Raw>(line) {
            Ok(r) => out.push(Query {
                id: as_string(&r.id),
                query: r.query,
                relevant_ids: r.relevant_ids.iter().map(as_string).collect(),
            }),
            Err(e) => diags.push(
                Diagnostic::error(
                    file,
                    Some(i + 1),
                    format!("domanda di valutazione non valida: {e}"),
                )
                .hint("ogni riga: {\"id\": \"1\", \"query\": \"…\", \"relevant_ids\": [\"…\"]}"),
            ),
        }
    }
    (out, diags)
}

/// The metrics, with the key names of the interchange format.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Metrics {
    pub top1: f64,
    pub c_at_1: f64,
    pub mrr10: f64,
    pub recall5: f64,
    pub false_decline_rate: f64,
    pub decline_rate: Option<f64>,
    pub p50_us: f64,
    pub p99_us: f64,
    pub n: usize,
    pub n_out_of_scope: usize,
}

/// A query the engine got wrong, for editors and developers.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub id: String,
    pub query: String,
    pub expected: Vec<String>,
    /// The engine's top entries.
    pub got: Vec<String>,
    /// The reply kind (`answer`, `clarify`, `decline`, `small_talk`).
    pub kind: &'static str,
    /// 1-based rank of the first relevant entry in the top 10, if any.
    pub rank: Option<usize>,
}

/// What the engine did with one query, as written by `sportello eval --per-query` (one JSON
/// object per line) and read by `sportello eval-compare`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PerQuery {
    pub id: String,
    pub query: String,
    pub relevant_ids: Vec<String>,
    /// 1-based rank of the first relevant entry in the top 10 (`None`: not there, or out of scope).
    pub rank: Option<usize>,
    /// The reply kind (`answer`, `clarify`, `decline`, `small_talk`).
    pub kind: String,
    /// The entry answered (an answer or the first "Forse cercavi…" choice); `None` if declined.
    pub answered: Option<String>,
    /// The first three ranked entries.
    pub top: Vec<String>,
}

impl PerQuery {
    /// True when the right reply is a decline.
    pub fn out_of_scope(&self) -> bool {
        self.relevant_ids.is_empty()
    }

    /// Reciprocal rank in the top 10 (0 if absent).
    pub fn reciprocal_rank(&self) -> f64 {
        self.rank.map_or(0.0, |r| 1.0 / r as f64)
    }

    /// True when the question got no entry (declined, or a small-talk reply).
    pub fn declined(&self) -> bool {
        self.answered.is_none()
    }
}

/// What one system did with one query.
pub(crate) struct Outcome {
    ranking: Vec<String>,
    /// The entry answered (an answer, or the first "Forse cercavi…" choice), or `None` if declined.
    answered: Option<String>,
    kind: &'static str,
    micros: f64,
}

impl Outcome {
    /// A baseline's outcome: tantivy's hits (document order = entry order) ranked by score,
    /// the first one answered, timed from `start`.
    #[cfg(feature = "index")]
    fn from_hits(
        kb: &KnowledgeBase,
        hits: &[(f32, tantivy::DocAddress)],
        start: Instant,
    ) -> Outcome {
        let ranking: Vec<String> = hits
            .iter()
            .filter_map(|(_, addr)| kb.entries.get(addr.doc_id as usize).map(|e| e.id.clone()))
            .collect();
        Outcome {
            answered: ranking.first().cloned(),
            ranking,
            kind: "answer",
            micros: start.elapsed().as_secs_f64() * 1e6,
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn metrics(queries: &[Query], outcomes: &[Outcome]) -> Metrics {
    let (
        mut n,
        mut n_out,
        mut top1,
        mut rr,
        mut r5,
        mut answered_right,
        mut declined,
        mut out_declined,
    ) = (
        0usize, 0usize, 0usize, 0.0f64, 0usize, 0usize, 0usize, 0usize,
    );
    let mut times: Vec<f64> = outcomes.iter().map(|o| o.micros).collect();
    times.sort_by(f64::total_cmp);
    for (q, o) in queries.iter().zip(outcomes) {
        if q.relevant_ids.is_empty() {
            n_out += 1;
            if o.answered.is_none() {
                out_declined += 1;
            }
            continue;
        }
        n += 1;
        let relevant = |id: &String| q.relevant_ids.contains(id);
        if o.ranking.first().is_some_and(relevant) {
            top1 += 1;
        }
        if let Some(pos) = o.ranking.iter().take(10).position(relevant) {
            rr += 1.0 / (pos as f64 + 1.0);
            if pos < 5 {
                r5 += 1;
            }
        }
        match &o.answered {
            Some(id) if relevant(id) => answered_right += 1,
            Some(_) => {}
            None => declined += 1,
        }
    }
    let nf = n.max(1) as f64;
    Metrics {
        top1: top1 as f64 / nf,
        c_at_1: (answered_right as f64 + declined as f64 * answered_right as f64 / nf) / nf,
        mrr10: rr / nf,
        recall5: r5 as f64 / nf,
        false_decline_rate: declined as f64 / nf,
        decline_rate: (n_out > 0).then(|| out_declined as f64 / n_out as f64),
        p50_us: percentile(&times, 50.0),
        p99_us: percentile(&times, 99.0),
        n,
        n_out_of_scope: n_out,
    }
}

/// The result of an evaluation run.
#[derive(Debug, Clone)]
pub struct Report {
    pub metrics: Metrics,
    /// Misses, worst first: in-scope queries whose relevant entry was not answered (not in the
    /// top 10 first), then out-of-scope queries that got an answer.
    pub failures: Vec<Failure>,
    /// Every query's outcome, in the order of the queries.
    pub per_query: Vec<PerQuery>,
}

fn rank_of(q: &Query, o: &Outcome) -> Option<usize> {
    if q.relevant_ids.is_empty() {
        return None;
    }
    o.ranking
        .iter()
        .take(10)
        .position(|id| q.relevant_ids.contains(id))
        .map(|p| p + 1)
}

fn per_query(queries: &[Query], outcomes: &[Outcome]) -> Vec<PerQuery> {
    queries
        .iter()
        .zip(outcomes)
        .map(|(q, o)| PerQuery {
            id: q.id.clone(),
            query: q.query.clone(),
            relevant_ids: q.relevant_ids.clone(),
            rank: rank_of(q, o),
            kind: o.kind.to_string(),
            answered: o.answered.clone(),
            top: o.ranking.iter().take(3).cloned().collect(),
        })
        .collect()
}

/// Runs every query through the engine and computes the metrics.
pub fn evaluate(engine: &Engine, queries: &[Query]) -> Report {
    // Latencies are those of a running engine, not of its first use.
    engine.warm_up();
    let mut outcomes = Vec::with_capacity(queries.len());
    for q in queries {
        let start = Instant::now();
        let (reply, ranking) = engine.ask_with_ranking(&q.query, 10);
        let micros = start.elapsed().as_secs_f64() * 1e6;
        let answered = match &reply {
            Reply::Answer { id, .. } => Some(id.clone()),
            Reply::Clarify { options, .. } => options.first().map(|c| c.id.clone()),
            _ => None,
        };
        outcomes.push(Outcome {
            ranking: ranking.into_iter().map(|c| c.id).collect(),
            answered,
            kind: reply.kind(),
            micros,
        });
    }
    let metrics = metrics(queries, &outcomes);
    let mut failures: Vec<Failure> = queries
        .iter()
        .zip(&outcomes)
        .filter(|(q, o)| match &o.answered {
            _ if q.relevant_ids.is_empty() => o.answered.is_some(),
            Some(id) => !q.relevant_ids.contains(id),
            None => true,
        })
        .map(|(q, o)| Failure {
            id: q.id.clone(),
            query: q.query.clone(),
            expected: q.relevant_ids.clone(),
            got: o.ranking.iter().take(3).cloned().collect(),
            kind: o.kind,
            rank: rank_of(q, o),
        })
        .collect();
    // Worst first: in scope not found at all, then found low, then out-of-scope answered.
    failures.sort_by_key(|f| {
        (
            f.expected.is_empty(),
            std::cmp::Reverse(f.rank.unwrap_or(usize::MAX)),
        )
    });
    let per_query = per_query(queries, &outcomes);
    Report {
        metrics,
        failures,
        per_query,
    }
}

/// The two baselines of `sportello eval --baseline`, run on the same queries as the engine.
#[cfg(feature = "index")]
#[derive(Debug, Clone, Serialize)]
pub struct Baselines {
    /// Plain tantivy BM25, default tokenizer ([`baseline`]).
    pub plain: Metrics,
    /// The EVALITA 2016 Lucene recipe with Italian analysis ([`strong`]).
    pub strong: Metrics,
}

/// Runs both baselines.
#[cfg(feature = "index")]
pub fn baselines(kb: &KnowledgeBase, queries: &[Query]) -> tantivy::Result<Baselines> {
    Ok(Baselines {
        plain: baseline(kb, queries)?,
        strong: strong_baseline(kb, queries)?.metrics,
    })
}

/// The strong baseline ([`strong`]): its metrics and each query's outcome.
#[cfg(feature = "index")]
pub fn strong_baseline(kb: &KnowledgeBase, queries: &[Query]) -> tantivy::Result<Report> {
    let outcomes = strong::run(kb, queries)?;
    Ok(Report {
        metrics: metrics(queries, &outcomes),
        failures: Vec::new(),
        per_query: per_query(queries, &outcomes),
    })
}

/// The baseline: a plain tantivy BM25 index with the default tokenizer over question,
/// alternatives, answer and tags, queried through tantivy's query parser. It always answers.
#[cfg(feature = "index")]
pub fn baseline(kb: &KnowledgeBase, queries: &[Query]) -> tantivy::Result<Metrics> {
    use tantivy::collector::TopDocs;
    use tantivy::query::QueryParser;
    use tantivy::schema::{Schema, TEXT};
    let mut sb = Schema::builder();
    let question = sb.add_text_field("question", TEXT);
    let answer = sb.add_text_field("answer", TEXT);
    let tags = sb.add_text_field("tags", TEXT);
    let settings = tantivy::IndexSettings {
        docstore_compress_dedicated_thread: false,
        ..Default::default()
    };
    let mut writer = tantivy::Index::builder()
        .schema(sb.build())
        .settings(settings)
        .single_segment_index_writer(tantivy::directory::RamDirectory::default(), 32_000_000)?;
    for e in &kb.entries {
        let questions = e.phrasings().collect::<Vec<_>>().join("\n");
        writer.add_document(tantivy::doc!(question => questions, answer => e.answer.as_str(), tags => e.tags.join(", ")))?;
    }
    let index = writer.finalize()?;
    let searcher = index.reader()?.searcher();
    let parser = QueryParser::for_index(&index, vec![question, answer, tags]);
    let mut outcomes = Vec::with_capacity(queries.len());
    for q in queries {
        let start = Instant::now();
        // Lenient parsing never fails on user text; the errors list is ignored.
        let (query, _) = parser.parse_query_lenient(&q.query);
        let hits = searcher
            .search(&query, &TopDocs::with_limit(10).order_by_score())
            .unwrap_or_default();
        outcomes.push(Outcome::from_hits(kb, &hits, start));
    }
    Ok(metrics(queries, &outcomes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(rel: &[&str]) -> Query {
        Query {
            id: "q".into(),
            query: "x".into(),
            relevant_ids: rel.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn o(ranking: &[&str], answered: Option<&str>) -> Outcome {
        Outcome {
            ranking: ranking.iter().map(|s| s.to_string()).collect(),
            answered: answered.map(str::to_string),
            kind: "answer",
            micros: 1.0,
        }
    }

    #[test]
    fn computes_the_published_formulas() {
        let queries = vec![q(&["a"]), q(&["b"]), q(&["c"]), q(&["d"]), q(&[])];
        let outcomes = vec![
            o(&["a", "x"], Some("a")),                // right, rank 1
            o(&["x", "b"], Some("x")),                // wrong answer, rank 2
            o(&["x", "y", "z", "w", "v", "c"], None), // declined, rank 6
            o(&["x"], None),                          // declined, not found
            o(&["x"], None),                          // out of scope, declined
        ];
        let m = metrics(&queries, &outcomes);
        assert_eq!(m.n, 4);
        assert_eq!(m.n_out_of_scope, 1);
        assert!((m.top1 - 0.25).abs() < 1e-9);
        assert!((m.mrr10 - (1.0 + 0.5 + 1.0 / 6.0) / 4.0).abs() < 1e-9);
        assert!((m.recall5 - 0.5).abs() < 1e-9);
        assert!((m.false_decline_rate - 0.5).abs() < 1e-9);
        // c@1 = (nR + nU * nR / n) / n = (1 + 2 * 1/4) / 4
        assert!((m.c_at_1 - 0.375).abs() < 1e-9);
        assert_eq!(m.decline_rate, Some(1.0));
    }

    #[test]
    fn parses_queries_and_ignores_other_keys() {
        let (qs, d) = parse_queries("q.jsonl", "{\"id\": 3, \"query\": \"ciao\", \"relevant_ids\": [\"1\"], \"category\": \"x\"}\nnot json\n");
        assert_eq!(qs.len(), 1);
        assert_eq!(qs[0].id, "3");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].line, Some(2));
    }
}
