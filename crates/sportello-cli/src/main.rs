//! `sportello`: the command-line tool for editors and developers of Sportello knowledge bases.
//!
//! `check` validates a knowledge base, `ask` tries questions (one, or interactively), `eval`
//! measures answer quality on a question set, `import` and `export` convert between the
//! native folder, JSONL and CSV, `build` writes the website widget's bundle.

/// `println!` that returns an [`OutputError`] instead of panicking when standard output is
/// a closed pipe (`sportello export … | head -1`) or a full disk.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*).map_err($crate::OutputError)
    }};
}

/// `print!` that returns an [`OutputError`] instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*).map_err($crate::OutputError)
    }};
}

mod commands;
mod model;
mod print;
mod serve;
mod suggest;

/// Writing the results failed: standard output was closed by its reader, or the disk is full.
#[derive(Debug, thiserror::Error)]
#[error("impossibile scrivere i risultati sull'uscita standard: {0}")]
pub struct OutputError(#[source] pub std::io::Error);

/// A closed pipe: the reader (`head`, a pager) has what it wanted. The exit status is the
/// shell's for a process ended by SIGPIPE, and nothing is printed.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "sportello",
    version,
    about = "Sportello: risposte ai cittadini dalle FAQ dell'ente"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Il modello della fase semantica (e5-small-q4.bin, da scripts/fetch-model.sh); se manca,
    /// quello indicato da SPORTELLO_MODEL; senza nessuno dei due la ricerca è solo lessicale.
    #[arg(long, global = true, value_name = "FILE")]
    model: Option<PathBuf>,
}

/// Flat formats for import and export.
#[derive(Clone, Copy, ValueEnum)]
pub enum FlatFormat {
    Jsonl,
    Csv,
}

#[derive(Subcommand)]
enum Command {
    /// Controlla una base di conoscenza e segnala tutti i problemi (esce con errore se ce ne sono).
    Check {
        /// Cartella (formato nativo), file .jsonl o .csv.
        kb: PathBuf,
        /// Stampa i problemi come JSON.
        #[arg(long)]
        json: bool,
        /// Avvisa quando la data «reviewed» di una voce ha più di tanti mesi.
        #[arg(long, value_name = "MESI", default_value_t = sportello_core::lifecycle::DEFAULT_REVIEW_MONTHS)]
        review_months: u32,
        /// La data con cui confrontare «reviewed», «valid_from» e «valid_until» (AAAA-MM-GG; di norma oggi).
        #[arg(long, value_name = "DATA", value_parser = parse_day)]
        today: Option<i64>,
    },
    /// Fa una domanda, come la leggerebbe un cittadino; senza domanda apre la modalità interattiva.
    Ask {
        kb: PathBuf,
        /// La domanda (se manca: modalità interattiva, una domanda per riga).
        question: Option<String>,
        /// Risposta in JSON (kind, id, confidence…).
        #[arg(long)]
        json: bool,
        /// Mostra perché è stata scelta la risposta e i candidati (per i redattori).
        #[arg(long)]
        explain: bool,
    },
    /// Modalità interattiva: prova molte domande di seguito.
    Chat {
        kb: PathBuf,
        #[arg(long)]
        explain: bool,
    },
    /// Misura la qualità delle risposte su un insieme di domande (JSONL con relevant_ids).
    Eval {
        #[arg(long)]
        kb: PathBuf,
        #[arg(long)]
        queries: Vec<PathBuf>,
        /// Un solo oggetto JSON su stdout.
        #[arg(long)]
        json: bool,
        /// Aggiunge il confronto con due basi: un indice BM25 tantivy semplice e la ricetta Lucene
        /// di EVALITA 2016 con analisi italiana (calcolate nella stessa esecuzione).
        #[arg(long)]
        baseline: bool,
        /// Scrive l'esito di ogni domanda (posizione, tipo di risposta) in FILE, JSONL, per eval-compare.
        #[arg(long, value_name = "FILE")]
        per_query: Option<PathBuf>,
        /// Scrive l'esito di ogni domanda secondo la ricetta Lucene di EVALITA in FILE, JSONL.
        #[arg(long, value_name = "FILE")]
        baseline_per_query: Option<PathBuf>,
        /// Elenca le N risposte peggiori.
        #[arg(long, value_name = "N")]
        failures: Option<usize>,
        /// Cambia un'impostazione del motore (per esperimenti e ablazioni), es. --set typos=false.
        #[arg(long = "set", value_name = "CHIAVE=VALORE")]
        settings: Vec<String>,
    },
    /// Confronta due esecuzioni di eval --per-query sulle stesse domande: differenza B − A di top1,
    /// MRR@10 e rifiuti sbagliati con intervallo bootstrap al 95% e le domande cambiate.
    EvalCompare {
        a: PathBuf,
        b: PathBuf,
        /// Un solo oggetto JSON su stdout.
        #[arg(long)]
        json: bool,
        /// Quante domande cambiate elencare (tutte con --json).
        #[arg(long, default_value_t = 20)]
        changed: usize,
    },
    /// Importa un file JSONL o CSV in una cartella in formato nativo.
    Import {
        /// File .jsonl o .csv da importare.
        source: PathBuf,
        /// Cartella di destinazione (creata se non esiste).
        dest: PathBuf,
        /// Sovrascrive le voci già presenti.
        #[arg(long)]
        force: bool,
    },
    /// Esporta una base di conoscenza in JSONL o CSV.
    Export {
        kb: PathBuf,
        #[arg(long, value_enum)]
        format: FlatFormat,
        /// File di destinazione (altrimenti stdout).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Prepara il bundle per il widget del sito (bundle.json e bundle.bin nella cartella indicata).
    Build {
        kb: PathBuf,
        /// Cartella di destinazione (creata se non esiste).
        #[arg(long)]
        out: PathBuf,
    },
    /// Avvia il server dei bot (API JSON, Telegram, WhatsApp, Messenger) per gli enti della configurazione.
    Serve {
        /// File di configurazione TOML (enti, basi di conoscenza, canali).
        #[arg(long)]
        config: PathBuf,
        /// Indirizzo e porta (sostituisce server.listen), es. 127.0.0.1:8080.
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
    /// Invia un avviso agli iscritti dell'ente (Telegram, WhatsApp, Messenger): una consegna per
    /// iscritto in coda nell'archivio, ritmo entro i limiti delle piattaforme; rilanciato dopo
    /// un'interruzione invia solo quello che manca, senza doppioni.
    Notify {
        /// Il file di configurazione di sportello serve.
        config: PathBuf,
        /// L'id dell'ente, come in [[agency]] id.
        agency: String,
        /// L'id dell'avviso: il nome del file in notices/ senza .md.
        notice: String,
        /// Messaggi al secondo al massimo (Telegram ne consente circa 30).
        #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u32).range(1..=30))]
        per_second: u32,
        /// Invia di nuovo anche le consegne rimaste incerte dopo un'interruzione brusca (il
        /// destinatario potrebbe riceverle due volte).
        #[arg(long)]
        resend_uncertain: bool,
    },
    /// Propone le domande rimaste senza risposta come alternative della voce che il motore
    /// sceglierebbe; scrive nei file delle voci quelle accettate e mostra la qualità prima e dopo.
    SuggestAlternatives {
        /// Il database delle segnalazioni: file SQLite, URL postgres://… oppure env:NOME.
        db: PathBuf,
        /// La base di conoscenza (cartella in formato nativo).
        kb: PathBuf,
        /// Accetta senza chiedere i suggerimenti con fiducia almeno --min-confidence.
        #[arg(long)]
        yes: bool,
        /// Fiducia minima per --yes (0–1; di norma la soglia di «Forse cercavi…» dell'ente).
        #[arg(long, value_name = "F")]
        min_confidence: Option<f32>,
        /// Mostra i suggerimenti senza modificare nulla.
        #[arg(long)]
        dry_run: bool,
        /// Quanti gruppi di domande esaminare.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Le domande di prova dell'ente (JSONL con relevant_ids): eval prima e dopo.
        #[arg(long)]
        queries: Vec<PathBuf>,
    },
    /// Mostra ai redattori le domande più frequenti rimaste senza risposta (database delle segnalazioni).
    Report {
        /// Il database delle segnalazioni: il file SQLite (feedback.database nella
        /// configurazione), un URL postgres://utente:password@host/database, oppure env:NOME,
        /// l'URL preso dalla variabile d'ambiente NOME (la password non resta nella cronologia).
        db: PathBuf,
        /// Solo questo ente.
        #[arg(long)]
        agency: Option<String>,
        /// Quanti gruppi mostrare.
        #[arg(long, default_value_t = 30)]
        limit: usize,
        /// Risultato in JSON.
        #[arg(long)]
        json: bool,
        /// Scrive il rapporto completo in una pagina HTML (grafici inclusi, nessuna risorsa esterna).
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
        /// Scrive il rapporto in file CSV per i fogli di calcolo (gruppi.csv, settimane.csv, voci.csv) nella cartella.
        #[arg(long, value_name = "CARTELLA")]
        csv: Option<PathBuf>,
        /// La base di conoscenza dell'ente: aggiunge la voce che il motore sceglierebbe, le domande
        /// delle voci e le voci da ricontrollare.
        #[arg(long)]
        kb: Option<PathBuf>,
        /// Una voce è da ricontrollare quando la sua data «reviewed» ha più di tanti mesi.
        #[arg(long, value_name = "MESI", default_value_t = sportello_core::lifecycle::DEFAULT_REVIEW_MONTHS)]
        review_months: u32,
    },
}

/// A `YYYY-MM-DD` argument as a day number.
fn parse_day(s: &str) -> Result<i64, String> {
    sportello_core::date::parse(s)
        .ok_or_else(|| format!("data non valida «{s}»: scrivi anno-mese-giorno, es. 2026-03-31"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    model::set_flag(cli.model.clone());
    let result = match cli.command {
        Command::Check {
            kb,
            json,
            review_months,
            today,
        } => commands::check(
            &kb,
            json,
            commands::CheckDates {
                today: today.unwrap_or_else(serve::today),
                review_months,
            },
        ),
        Command::Ask {
            kb,
            question: Some(q),
            json,
            explain,
        } => commands::ask(&kb, &q, json, explain),
        Command::Ask {
            kb,
            question: None,
            explain,
            ..
        }
        | Command::Chat { kb, explain } => commands::chat(&kb, explain),
        Command::Eval {
            kb,
            queries,
            json,
            baseline,
            per_query,
            baseline_per_query,
            failures,
            settings,
        } => commands::eval(
            &kb,
            &queries,
            commands::EvalOutput {
                json,
                baseline,
                per_query: per_query.as_deref(),
                baseline_per_query: baseline_per_query.as_deref(),
                failures,
            },
            &settings,
        ),
        Command::EvalCompare {
            a,
            b,
            json,
            changed,
        } => commands::eval_compare(&a, &b, json, changed),
        Command::Import {
            source,
            dest,
            force,
        } => commands::import(&source, &dest, force),
        Command::Export { kb, format, out } => commands::export(&kb, format, out.as_deref()),
        Command::Build { kb, out } => commands::build(&kb, &out),
        Command::SuggestAlternatives {
            db,
            kb,
            yes,
            min_confidence,
            dry_run,
            limit,
            queries,
        } => suggest::suggest_alternatives(
            &db,
            &kb,
            suggest::SuggestOptions {
                yes,
                min_confidence,
                dry_run,
                limit,
                queries: &queries,
            },
        ),
        Command::Serve { config, listen } => serve::serve(&config, listen),
        Command::Notify {
            config,
            agency,
            notice,
            per_second,
            resend_uncertain,
        } => serve::notify(&config, &agency, &notice, per_second, resend_uncertain),
        Command::Report {
            db,
            agency,
            limit,
            json,
            html,
            csv,
            kb,
            review_months,
        } => match (html, csv) {
            (None, None) => serve::report(&db, agency.as_deref(), limit, json),
            (html, csv) => serve::report_files(
                &db,
                serve::ReportOptions {
                    agency: agency.as_deref(),
                    limit,
                    kb: kb.as_deref(),
                    review_months,
                    html: html.as_deref(),
                    csv: csv.as_deref(),
                },
            ),
        },
    };
    // What is still buffered (the last `print!` without a new line) is written now, so that
    // its error is reported like the others.
    let result = result.and_then(|code| {
        use std::io::Write as _;
        std::io::stdout().flush().map_err(OutputError)?;
        Ok(code)
    });
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::from(141),
        Err(e) => {
            eprintln!("sportello: {e:#}");
            ExitCode::from(2)
        }
    }
}
