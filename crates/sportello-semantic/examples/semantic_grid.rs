//! Evaluates several semantic-stage settings on one knowledge base and question set with the
//! model loaded and every text embedded once (the ablation rows of docs/quality.md):
//!
//! ```sh
//! cargo run --release -p sportello-semantic --example semantic_grid -- MODEL KB QUERIES \
//!     "lexical" "semantic_weight=0.5" "semantic_weight=0.7,semantic_confidence=0.3"
//! ```
//!
//! Question files are separated by `:`. Each setting is a comma-separated list of `key=value` (`lexical` runs without the encoder).
//! One line of figures per setting.

use sportello_core::{eval, load, Encoder, Engine, MatchConfig};
use sportello_semantic::{Cached, E5};
use std::sync::Arc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        eprintln!("uso: semantic_grid MODELLO KB DOMANDE IMPOSTAZIONI…");
        std::process::exit(2);
    }
    let e5 = E5::open(&args[0]).unwrap_or_else(|e| panic!("{e}"));
    let encoder = Arc::new(Cached::new(e5, 1 << 20));
    let loaded = load::load_path(std::path::Path::new(&args[1])).unwrap_or_else(|e| panic!("{e}"));
    let mut queries = Vec::new();
    for file in args[2].split(':') {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        queries.extend(eval::parse_queries(file, &text).0);
    }
    for setting in &args[3..] {
        let mut config = MatchConfig::default();
        let lexical = setting == "lexical";
        if !lexical {
            for kv in setting.split(',').filter(|s| !s.is_empty()) {
                let (k, v) = kv.split_once('=').expect("key=value");
                config.set(k, v).unwrap_or_else(|e| panic!("{e}"));
            }
        }
        let mut engine = Engine::with_config(loaded.kb.clone(), config).expect("engine");
        if !lexical {
            engine = engine.with_encoder(encoder.clone() as Arc<dyn Encoder>);
        }
        let m = eval::evaluate(&engine, &queries).metrics;
        println!(
            "{setting:<60} top1 {:.4} mrr10 {:.4} c@1 {:.4} false_decline {:.4} decline {} p50 {:.0}µs",
            m.top1,
            m.mrr10,
            m.c_at_1,
            m.false_decline_rate,
            m.decline_rate.map_or("-".into(), |d| format!("{d:.4}")),
            m.p50_us
        );
    }
}
