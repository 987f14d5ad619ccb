//! Prints, for every question of evaluation sets, the confidence features of the best entry
//! as JSON lines, for calibrating the confidence offline:
//! `cargo run --release -p sportello-core --example features -- KB QUERIES.jsonl...`

use sportello_core::{eval, load, Engine};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((kb, sets)) = args.split_first() else {
        return Err("usage: features KB QUERIES.jsonl...".into());
    };
    let engine = Engine::new(load::load_path(kb)?.kb)?;
    for set in sets {
        let (queries, _) = eval::parse_queries(set, &std::fs::read_to_string(set)?);
        for q in queries {
            let rows = engine.features(&q.query, 2);
            let (top, f) = rows.first().cloned().unwrap_or_default();
            let second = rows.get(1).map(|r| r.1).unwrap_or_default();
            let correct = q.relevant_ids.contains(&top);
            println!(
                "{}",
                serde_json::json!({
                    "set": set, "id": q.id, "in_scope": !q.relevant_ids.is_empty(),
                    "correct": correct, "coverage": f.coverage, "margin": f.margin,
                    "recall": f.recall, "unknown": f.unknown,
                    "coverage2": second.coverage, "recall2": second.recall,
                    "words": q.query.split_whitespace().count(),
                })
            );
        }
    }
    Ok(())
}
