//! Asks the example knowledge base one question and prints the reply.
//!
//! ```text
//! cargo run -p sportello-core --example ask -- "quanto costa la carta d'identità"
//! ```

use sportello_core::{load, Engine, Reply};
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let question = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "quanto costa la carta d'identità".to_string());
    let kb_dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../knowledge-base/comune-di-esempio");
    let loaded = match load::load_path(&kb_dir) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    for d in loaded.diagnostics.iter().filter(|d| d.is_error()) {
        eprintln!("{d}");
    }
    let engine = match Engine::new(loaded.kb) {
        Ok(engine) => engine,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let reply = engine.ask(&question);
    println!("domanda: {question}");
    println!("tipo: {}", reply.kind());
    match &reply {
        Reply::Answer {
            id,
            question,
            answer_text,
            confidence,
            ..
        } => {
            println!("voce: {id} (fiducia {confidence:.2})");
            println!("{question}\n\n{answer_text}");
        }
        Reply::Clarify {
            message, options, ..
        } => {
            println!("{message}");
            for (i, c) in options.iter().enumerate() {
                println!("  {}. {}", i + 1, c.question);
            }
        }
        Reply::Decline {
            message, contacts, ..
        } => {
            println!("{message}");
            for v in [
                &contacts.office,
                &contacts.phone,
                &contacts.email,
                &contacts.url,
            ]
            .into_iter()
            .flatten()
            {
                println!("  {v}");
            }
        }
        Reply::SmallTalk { message, .. } => println!("{message}"),
    }
    ExitCode::SUCCESS
}
