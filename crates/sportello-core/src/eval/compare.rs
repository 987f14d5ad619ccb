//! Paired comparison of two evaluation runs on the same queries (`sportello eval-compare A B`):
//! the difference B − A of top1, MRR@10 and false declines over the in-scope queries, and of
//! the decline rate over the out-of-scope ones, each with a bootstrap 95% interval, plus the
//! queries whose outcome changed.

use super::PerQuery;
use crate::diag::Diagnostic;
use serde::Serialize;
use std::collections::HashMap;

/// Bootstrap resamples; fixed seed, so a comparison prints the same figures every time.
const RESAMPLES: usize = 2000;
const SEED: u64 = 0x5EED_2016;

/// The paired difference of one metric.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Delta {
    pub a: f64,
    pub b: f64,
    /// `b − a`.
    pub diff: f64,
    /// Bootstrap 95% interval of `diff` (2.5th and 97.5th percentiles).
    pub low: f64,
    pub high: f64,
}

impl Delta {
    /// True when the interval excludes zero.
    pub fn significant(&self) -> bool {
        self.low > 0.0 || self.high < 0.0
    }
}

/// A query whose rank or reply changed between the runs.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Changed {
    pub id: String,
    pub query: String,
    pub rank_a: Option<usize>,
    pub rank_b: Option<usize>,
    pub kind_a: String,
    pub kind_b: String,
}

/// The comparison of run B against run A.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Comparison {
    /// Paired queries (in scope, out of scope).
    pub n: usize,
    pub n_out_of_scope: usize,
    pub top1: Delta,
    pub mrr10: Delta,
    pub false_decline_rate: Delta,
    /// `None` when there are no out-of-scope queries.
    pub decline_rate: Option<Delta>,
    /// Queries of A missing from B, and of B missing from A (by id and text).
    pub unpaired: usize,
    pub changed: Vec<Changed>,
}

/// Reads a `--per-query` file (JSON Lines).
pub fn parse_per_query(file: &str, text: &str) -> (Vec<PerQuery>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let mut diags = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<PerQuery>(line) {
            Ok(p) => out.push(p),
            Err(e) => diags.push(
                Diagnostic::error(file, Some(i + 1), format!("riga non valida: {e}"))
                    .hint("il file si scrive con `sportello eval --per-query FILE`"),
            ),
        }
    }
    (out, diags)
}

/// splitmix64: a small deterministic generator for the bootstrap.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Paired bootstrap of the mean difference of `pairs` (value in A, value in B).
fn delta(pairs: &[(f64, f64)], rng: &mut SplitMix) -> Delta {
    let n = pairs.len();
    let mean = |f: &dyn Fn(&(f64, f64)) -> f64| {
        if n == 0 {
            0.0
        } else {
            pairs.iter().map(f).sum::<f64>() / n as f64
        }
    };
    let a = mean(&|p| p.0);
    let b = mean(&|p| p.1);
    let diffs: Vec<f64> = pairs.iter().map(|p| p.1 - p.0).collect();
    let mut means = Vec::with_capacity(RESAMPLES);
    if n > 0 {
        for _ in 0..RESAMPLES {
            let s: f64 = (0..n).map(|_| diffs[rng.below(n)]).sum();
            means.push(s / n as f64);
        }
    }
    means.sort_by(f64::total_cmp);
    let pick = |p: f64| {
        if means.is_empty() {
            0.0
        } else {
            means[((p * (means.len() - 1) as f64).round() as usize).min(means.len() - 1)]
        }
    };
    Delta {
        a,
        b,
        diff: b - a,
        low: pick(0.025),
        high: pick(0.975),
    }
}

/// Compares run `b` against run `a`, pairing queries by id and text.
pub fn compare(a: &[PerQuery], b: &[PerQuery]) -> Comparison {
    let key = |p: &PerQuery| (p.id.clone(), p.query.clone());
    let in_b: HashMap<(String, String), &PerQuery> = b.iter().map(|p| (key(p), p)).collect();
    let mut pairs = Vec::new();
    for pa in a {
        if let Some(pb) = in_b.get(&key(pa)) {
            pairs.push((pa, *pb));
        }
    }
    let unpaired = a.len() + b.len() - 2 * pairs.len();
    let (inside, outside): (Vec<_>, Vec<_>) = pairs.iter().partition(|(pa, _)| !pa.out_of_scope());
    let as_f = |x: bool| if x { 1.0 } else { 0.0 };
    let mut rng = SplitMix(SEED);
    let top1: Vec<(f64, f64)> = inside
        .iter()
        .map(|(pa, pb)| (as_f(pa.rank == Some(1)), as_f(pb.rank == Some(1))))
        .collect();
    let rr: Vec<(f64, f64)> = inside
        .iter()
        .map(|(pa, pb)| (pa.reciprocal_rank(), pb.reciprocal_rank()))
        .collect();
    let fd: Vec<(f64, f64)> = inside
        .iter()
        .map(|(pa, pb)| (as_f(pa.declined()), as_f(pb.declined())))
        .collect();
    let dr: Vec<(f64, f64)> = outside
        .iter()
        .map(|(pa, pb)| (as_f(pa.declined()), as_f(pb.declined())))
        .collect();
    let changed = pairs
        .iter()
        .filter(|(pa, pb)| pa.rank != pb.rank || pa.declined() != pb.declined())
        .map(|(pa, pb)| Changed {
            id: pa.id.clone(),
            query: pa.query.clone(),
            rank_a: pa.rank,
            rank_b: pb.rank,
            kind_a: pa.kind.clone(),
            kind_b: pb.kind.clone(),
        })
        .collect();
    Comparison {
        n: inside.len(),
        n_out_of_scope: outside.len(),
        top1: delta(&top1, &mut rng),
        mrr10: delta(&rr, &mut rng),
        false_decline_rate: delta(&fd, &mut rng),
        decline_rate: (!dr.is_empty()).then(|| delta(&dr, &mut rng)),
        unpaired,
        changed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pq(id: &str, rel: &[&str], rank: Option<usize>, declined: bool) -> PerQuery {
        PerQuery {
            id: id.into(),
            query: format!("domanda {id}"),
            relevant_ids: rel.iter().map(|s| s.to_string()).collect(),
            rank,
            kind: if declined { "decline" } else { "answer" }.into(),
            answered: (!declined).then(|| "x".to_string()),
            top: vec![],
        }
    }

    #[test]
    fn paired_differences_and_changed_queries() {
        // 40 in-scope queries: B moves 10 of them from rank 2 to rank 1, and declines one
        // that A answered; 2 out-of-scope queries, B declines one more.
        let mut a = Vec::new();
        let mut b = Vec::new();
        for i in 0..40 {
            let id = i.to_string();
            let (ra, rb) = if i < 10 { (2, 1) } else { (1, 1) };
            a.push(pq(&id, &["e"], Some(ra), false));
            b.push(pq(&id, &["e"], Some(rb), i == 39));
        }
        a.push(pq("o1", &[], None, false));
        b.push(pq("o1", &[], None, true));
        a.push(pq("o2", &[], None, true));
        b.push(pq("o2", &[], None, true));
        b.push(pq("only-in-b", &["e"], Some(1), false));
        let c = compare(&a, &b);
        assert_eq!((c.n, c.n_out_of_scope, c.unpaired), (40, 2, 1));
        assert!((c.top1.a - 0.75).abs() < 1e-9 && (c.top1.b - 1.0).abs() < 1e-9);
        assert!((c.top1.diff - 0.25).abs() < 1e-9);
        assert!(c.top1.significant() && c.top1.low > 0.0 && c.top1.high <= 0.5);
        assert!((c.mrr10.diff - 10.0 * 0.5 / 40.0).abs() < 1e-9);
        assert!((c.false_decline_rate.diff - 1.0 / 40.0).abs() < 1e-9);
        assert!(!c.false_decline_rate.significant(), "one query is noise");
        let d = c.decline_rate.unwrap();
        assert!((d.a - 0.5).abs() < 1e-9 && (d.b - 1.0).abs() < 1e-9);
        // 10 rank changes, 1 new decline, 1 out-of-scope change.
        assert_eq!(c.changed.len(), 12);
        assert!(c
            .changed
            .iter()
            .any(|ch| ch.id == "39" && ch.kind_b == "decline"));
    }

    #[test]
    fn identical_runs_differ_by_nothing() {
        let a: Vec<_> = (0..20)
            .map(|i| pq(&i.to_string(), &["e"], Some(1 + i % 3), i % 4 == 0))
            .collect();
        let c = compare(&a, &a);
        assert_eq!(c.top1.diff, 0.0);
        assert_eq!((c.top1.low, c.top1.high), (0.0, 0.0));
        assert!(c.changed.is_empty() && c.decline_rate.is_none());
    }

    #[test]
    fn reads_what_eval_writes_and_reports_bad_lines() {
        let line = serde_json::to_string(&pq("7", &["e"], Some(2), false)).unwrap();
        let (ps, d) = parse_per_query("a.jsonl", &format!("{line}\n{{\"id\": 1}}\n"));
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].rank, Some(2));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].line, Some(2));
    }
}
