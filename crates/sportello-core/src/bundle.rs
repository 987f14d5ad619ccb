//! The knowledge-base bundle: what the web widget downloads for one agency, written by
//! `sportello build` as two files side by side. `bundle.json` has the agency (name, contacts,
//! synonyms), the entries without the texts only matching needs (no Markdown answer, short
//! answer or office: a hash of them stands in, `source`), the notices, the small-talk
//! overrides and every answer and notice already rendered (safe HTML and chat text), so the
//! browser never parses Markdown. `bundle.bin` has the engine's tables and index ([`crate::prebuilt`]), binary, so
//! that the widget opens its engine from them ([`open`]) instead of building it.
//!
//! Formats read: 2 (these two files) and 1 (one JSON file with every text and the prebuilt
//! data in base64, written by Sportello before format 2); an older or newer format is refused
//! with the `sportello build` to run. Only format 2 is written.

use crate::config::MatchConfig;
use crate::engine::{Engine, EngineError};
use crate::kb::{Agency, Entry, KnowledgeBase, Notice};
use crate::prebuilt::PrebuiltError;
use crate::render::Rendered;
use crate::smalltalk::SmallTalkOverride;
#[cfg(feature = "format1")]
use base64::{engine::general_purpose::STANDARD as BASE64, Engine as _};
use serde::{Deserialize, Serialize};

/// The bundle format version this library writes.
pub const FORMAT: u32 = 2;
/// The bundle formats this library reads: 1 and 2 with the `format1` feature (default), 2
/// without it (the wasm build: the widget refuses a bundle of format 1 with the command
/// that rebuilds it).
#[cfg(feature = "format1")]
pub const READS_FORMATS: std::ops::RangeInclusive<u32> = 1..=FORMAT;
/// The bundle formats this library reads: 2 (no `format1` feature).
#[cfg(not(feature = "format1"))]
pub const READS_FORMATS: std::ops::RangeInclusive<u32> = FORMAT..=FORMAT;

/// «il formato 2» or «i formati 1–2», for messages.
pub(crate) fn versions_read(range: &std::ops::RangeInclusive<u32>) -> String {
    if range.start() == range.end() {
        format!("il formato {}", range.start())
    } else {
        format!("i formati {}–{}", range.start(), range.end())
    }
}
/// The file with the prebuilt data, beside `bundle.json` (format 2).
pub const PREBUILT_FILE: &str = "bundle.bin";

/// A bundle's `bundle.json` as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bundle {
    /// Format version, [`FORMAT`] when written by this library.
    pub format: u32,
    pub agency: Agency,
    /// The entries; in format 2 without `answer`, `short_answer` and `office`.
    pub entries: Vec<Entry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub smalltalk: Vec<SmallTalkOverride>,
    /// Each entry's answer, rendered, in the order of `entries`.
    #[serde(default)]
    pub rendered: Vec<Rendered>,
    /// Time-limited notices, shown by the engine before the replies they concern.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<Notice>,
    /// Each notice rendered, in the order of `notices`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices_rendered: Vec<Rendered>,
    /// Format 1 only: the engine's tables and index ([`crate::prebuilt`]) in base64 (format
    /// 2 has them in [`PREBUILT_FILE`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prebuilt: Option<String>,
    /// Format 2: the hash of the texts left out (`prebuilt::source_hash`, 16 hex digits),
    /// which the prebuilt data's fingerprint covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The Sportello version that wrote the bundle (for messages; nothing depends on it).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sportello: String,
    /// The prebuilt data's format and analysis versions, as its header declares them (so
    /// that people and tools can tell without decoding it; the reader checks the header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_version: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis_version: Option<u32>,
}

/// What `sportello build` writes: `bundle.json` and, when the engine could be built, the
/// content of [`PREBUILT_FILE`].
#[derive(Debug, Clone)]
pub struct Files {
    pub json: String,
    pub prebuilt: Option<Vec<u8>>,
}

/// How to make a bundle this build opens: the command, with this build's version.
const REBUILD: &str = concat!(
    "ricostruiscilo con `sportello build <cartella della base di conoscenza> --out <cartella del bundle>` di Sportello ",
    env!("CARGO_PKG_VERSION"),
    " (la versione di questo widget) o di una versione successiva che scriva gli stessi formati"
);

/// A bundle that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error(
        "bundle della base di conoscenza non valido ({0}): ricostruiscilo con `sportello build`"
    )]
    Json(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(
        "bundle in formato {found}, ma questa versione legge {}: {REBUILD}",
        versions_read(&READS_FORMATS)
    )]
    Version { found: u32 },
    #[error("il bundle non contiene i dati precalcolati del motore (il file {PREBUILT_FILE} accanto a bundle.json): {REBUILD}")]
    NoPrebuilt,
    #[error("bundle{} non apribile: {source}; {REBUILD}", written_by(.sportello))]
    Prebuilt {
        source: PrebuiltError,
        /// The version that wrote the bundle, if it says.
        sportello: String,
    },
}

fn written_by(version: &str) -> String {
    if version.is_empty() {
        String::new()
    } else {
        format!(" scritto da Sportello {version}")
    }
}

/// Writes a knowledge base as a bundle: `bundle.json` (compact JSON, every answer rendered)
/// and the prebuilt data.
#[cfg(all(feature = "markdown", feature = "index"))]
pub fn write(kb: &KnowledgeBase) -> Files {
    let rendered: Vec<Rendered> = kb.entries.iter().map(crate::render::render_entry).collect();
    // The engine the widget would build, stored; a KB the engine cannot take gets no
    // prebuilt data (the widget then reports the problem).
    let prebuilt = Engine::with_rendered(kb.clone(), MatchConfig::default(), rendered.clone())
        .and_then(|e| e.prebuilt())
        .ok();
    let versions = prebuilt
        .as_deref()
        .and_then(crate::prebuilt::header_versions);
    // What the browser needs of each entry: matching runs on the prebuilt data, replies
    // take the rendered answers.
    let entries = kb
        .entries
        .iter()
        .map(|e| Entry {
            answer: String::new(),
            short_answer: None,
            office: None,
            ..e.clone()
        })
        .collect();
    let bundle = Bundle {
        format: FORMAT,
        agency: kb.agency.clone(),
        entries,
        smalltalk: kb.smalltalk.clone(),
        rendered,
        notices: kb.notices.clone(),
        notices_rendered: crate::notices::render(&kb.notices),
        prebuilt: None,
        source: Some(format!("{:016x}", crate::prebuilt::source_hash(kb))),
        sportello: env!("CARGO_PKG_VERSION").to_string(),
        data_version: versions.map(|v| v.0),
        analysis_version: versions.map(|v| v.1),
    };
    Files {
        json: serde_json::to_string(&bundle).expect("a bundle of strings always serialises"),
        prebuilt,
    }
}

/// A bundle taken apart.
struct Parts {
    kb: KnowledgeBase,
    rendered: Vec<Rendered>,
    notices_rendered: Vec<Rendered>,
    /// Format 1: the prebuilt data inside, decoded from base64 (`Err` when it is not base64).
    inline: Option<Result<Vec<u8>, ()>>,
    /// The version that wrote it.
    sportello: String,
}

impl Bundle {
    fn into_parts(self) -> Parts {
        let kb = KnowledgeBase {
            agency: self.agency,
            entries: self.entries,
            smalltalk: self.smalltalk,
            notices: self.notices,
        };
        Parts {
            kb,
            rendered: self.rendered,
            notices_rendered: self.notices_rendered,
            inline: decode_inline(self.prebuilt),
            sportello: self.sportello,
        }
    }
}

/// The prebuilt data inside a bundle of format 1, from base64.
#[cfg(feature = "format1")]
fn decode_inline(data: Option<String>) -> Option<Result<Vec<u8>, ()>> {
    data.map(|p| BASE64.decode(p).map_err(|_| ()))
}

/// Without the `format1` feature no bundle of format 1 is read, and format 2 has none inside.
#[cfg(not(feature = "format1"))]
fn decode_inline(_: Option<String>) -> Option<Result<Vec<u8>, ()>> {
    None
}

/// Reads a bundle's `bundle.json` back into a knowledge base (from format 2, without the
/// texts it leaves out: Markdown answers, short answers and offices).
pub fn from_json(text: &str) -> Result<KnowledgeBase, BundleError> {
    read(text).map(|b| b.into_parts().kb)
}

/// Opens the engine of a bundle from its prebuilt data only, never building the index: what
/// the web widget does, so that the index writer is not compiled into its WebAssembly (a
/// third of its size). `prebuilt` is the content of [`PREBUILT_FILE`] (format 2; a format 1
/// bundle carries its data inside). A bundle without prebuilt data, or with data written by
/// another data version or analysis version this build does not read, or for other options,
/// is an error that says which `sportello build` to run.
pub fn open(json: &str, prebuilt: Option<&[u8]>) -> Result<Engine, BundleError> {
    let bundle = read(json)?;
    let format = bundle.format;
    if format >= 2 && prebuilt.is_none() {
        return Err(BundleError::NoPrebuilt);
    }
    let source = match &bundle.source {
        Some(hex) => Some(
            u64::from_str_radix(hex, 16)
                .map_err(|_| BundleError::Json(format!("«source» non esadecimale: {hex}")))?,
        ),
        None if format >= 2 => return Err(BundleError::Json("manca «source»".into())),
        None => None,
    };
    let Parts {
        kb,
        rendered,
        notices_rendered,
        inline,
        sportello,
    } = bundle.into_parts();
    let refused = |source| BundleError::Prebuilt {
        source,
        sportello: sportello.clone(),
    };
    let data: std::borrow::Cow<[u8]> = if format >= 2 {
        prebuilt.ok_or(BundleError::NoPrebuilt)?.into()
    } else {
        inline
            .ok_or(BundleError::NoPrebuilt)?
            .map_err(|_| refused(PrebuiltError::Damaged("base64 non valido")))?
            .into()
    };
    // Format 1 carries every text: the hash is computed (format 2 has it, checked above).
    #[cfg(feature = "format1")]
    let source = source.unwrap_or_else(|| crate::prebuilt::source_hash(&kb));
    #[cfg(not(feature = "format1"))]
    let source = source.unwrap_or_default();
    let engine = Engine::from_prebuilt_with(kb, MatchConfig::default(), rendered, &data, source)
        .map_err(|e| match e {
            EngineError::Prebuilt(p) => refused(p),
            other => BundleError::Engine(other),
        })?;
    Ok(engine.with_rendered_notices(&notices_rendered))
}

/// Natively, the engine of a bundle: opened from its prebuilt data, or, for a bundle of
/// format 1 (which carries every text) whose data does not match, built from its knowledge
/// base. A bundle of format 2 cannot be built from (it leaves out the answers' Markdown):
/// it is opened, or refused as by [`open`].
#[cfg(feature = "index")]
pub fn engine(json: &str, prebuilt: Option<&[u8]>) -> Result<Engine, BundleError> {
    let bundle = read(json)?;
    if bundle.format >= 2 {
        return open(json, prebuilt);
    }
    let parts = bundle.into_parts();
    // Prebuilt data that is not valid base64 is treated like data that does not match.
    let data = parts.inline.and_then(Result::ok);
    let engine = Engine::from_prebuilt_or_kb(
        parts.kb,
        MatchConfig::default(),
        parts.rendered,
        data.as_deref(),
    )?;
    Ok(engine.with_rendered_notices(&parts.notices_rendered))
}

/// Parses the bundle once; only when that fails is it read again for its format number, so
/// that a bundle of another format is reported as such rather than as broken JSON.
fn read(text: &str) -> Result<Bundle, BundleError> {
    #[derive(Deserialize)]
    struct Version {
        format: u32,
    }
    let version_error = |found| BundleError::Version { found };
    match serde_json::from_str::<Bundle>(text) {
        Ok(b) if READS_FORMATS.contains(&b.format) => Ok(b),
        Ok(b) => Err(version_error(b.format)),
        Err(e) => match serde_json::from_str::<Version>(text) {
            Ok(v) if !READS_FORMATS.contains(&v.format) => Err(version_error(v.format)),
            _ => Err(BundleError::Json(e.to_string())),
        },
    }
}

#[cfg(all(test, feature = "markdown", feature = "index", feature = "format1"))]
mod tests {
    use super::*;

    fn kb() -> KnowledgeBase {
        let mut kb = KnowledgeBase::from_entries(vec![Entry {
            id: "cie".into(),
            question: "Quanto costa la carta d'identità?".into(),
            alternatives: vec!["costo cie".into()],
            answer: "Costa **22,21 euro**.".into(),
            short_answer: Some("Costa 22,21 euro.".into()),
            tags: vec!["anagrafe".into()],
            office: Some("Servizi demografici".into()),
            source: Some("https://example.org/cie".into()),
            ..Entry::default()
        }]);
        kb.agency.name = "Comune di Prova".into();
        kb.agency.synonyms = vec![vec!["cie".into(), "carta d'identità".into()]];
        kb.smalltalk = vec![SmallTalkOverride {
            intent: "greeting".into(),
            reply: "Salve!".into(),
            patterns: vec![],
        }];
        kb
    }

    fn value(json: &str) -> serde_json::Value {
        serde_json::from_str(json).unwrap()
    }

    /// A bundle of format 1, as Sportello wrote it before format 2 (every text), without
    /// its prebuilt data (version 4, which this build no longer writes: the committed
    /// fixture of `tests/bundle_compat.rs` has some).
    fn format1_without_data(kb: &KnowledgeBase) -> String {
        let rendered: Vec<Rendered> = kb.entries.iter().map(crate::render::render_entry).collect();
        serde_json::json!({
            "format": 1,
            "agency": kb.agency,
            "entries": kb.entries,
            "smalltalk": kb.smalltalk,
            "rendered": rendered,
        })
        .to_string()
    }

    #[test]
    fn round_trip_keeps_what_the_browser_needs() {
        let kb = kb();
        let files = write(&kb);
        let back = from_json(&files.json).unwrap();
        let mut expected = kb.clone();
        for e in &mut expected.entries {
            e.answer.clear();
            e.short_answer = None;
            e.office = None;
        }
        assert_eq!(back, expected);
        let v = value(&files.json);
        assert_eq!(v["format"], 2);
        assert!(v["entries"][0].get("answer").is_none(), "{v}");
        assert!(v.get("prebuilt").is_none());
        assert_eq!(v["rendered"][0]["text"], "Costa 22,21 euro.");
        assert!(files.prebuilt.as_ref().is_some_and(|p| p.len() > 20));
        // Format 1 still reads in full.
        assert_eq!(from_json(&format1_without_data(&kb)).unwrap(), kb);
    }

    #[test]
    fn rejects_other_versions_and_garbage() {
        let json = write(&kb()).json;
        let text = json.replacen("\"format\":2", "\"format\":99", 1);
        assert!(matches!(
            from_json(&text),
            Err(BundleError::Version { found: 99 })
        ));
        let text = json.replacen("\"format\":2", "\"format\":0", 1);
        let err = open(&text, None).unwrap_err();
        assert!(matches!(err, BundleError::Version { found: 0 }), "{err:?}");
        assert!(err.to_string().contains("formati 1–2"), "{err}");
        // A future format whose shape this version cannot read is reported by its number.
        assert!(matches!(
            from_json("{\"format\":3,\"entries\":{\"moved\":true}}"),
            Err(BundleError::Version { found: 3 })
        ));
        assert!(matches!(from_json("{"), Err(BundleError::Json(_))));
        assert!(matches!(
            from_json("{\"format\":2}"),
            Err(BundleError::Json(_))
        ));
    }

    #[test]
    fn open_uses_the_rendered_answers_and_checks_their_count() {
        let files = write(&kb());
        let e = open(&files.json, files.prebuilt.as_deref()).unwrap();
        assert!(e.is_prebuilt());
        match e.ask("quanto costa la carta d'identità") {
            crate::Reply::Answer {
                answer_html,
                answer_text,
                answer,
                ..
            } => {
                assert!(
                    answer_html.contains("<strong>22,21 euro</strong>"),
                    "{answer_html}"
                );
                assert_eq!(answer_text, "Costa 22,21 euro.");
                // The Markdown source stays out of bundles.
                assert_eq!(answer, "");
            }
            other => panic!("{other:?}"),
        }
        let mut v = value(&files.json);
        v["rendered"] = serde_json::json!([]);
        assert!(matches!(
            open(&v.to_string(), files.prebuilt.as_deref()),
            Err(BundleError::Engine(EngineError::Rendered {
                expected: 1,
                found: 0
            }))
        ));
    }

    #[test]
    fn open_uses_only_matching_prebuilt_data() {
        let files = write(&kb());
        let data = files.prebuilt.clone().unwrap();
        let err = open(&files.json, None).unwrap_err();
        assert!(matches!(err, BundleError::NoPrebuilt), "{err:?}");
        assert!(err.to_string().contains("bundle.bin"), "{err}");
        assert!(err.to_string().contains("sportello build"), "{err}");

        // Data prebuilt for another knowledge base is refused, not used: another question,
        // or another answer (which the bundle does not carry, but its hash does).
        let mut other = kb();
        other.entries[0].question = "Come si rinnova la carta d'identità?".into();
        let mut answer = kb();
        answer.entries[0].answer = "Costa **23 euro**.".into();
        let mut tags = kb();
        tags.entries[0].tags.push("documenti".into());
        let mut office = kb();
        office.entries[0].office = Some("URP".into());
        for changed in [other, answer, tags, office] {
            let err = open(&write(&changed).json, Some(&data)).unwrap_err();
            assert!(
                matches!(
                    err,
                    BundleError::Prebuilt {
                        source: PrebuiltError::Fingerprint,
                        ..
                    }
                ),
                "{err:?}"
            );
            assert!(err.to_string().contains("sportello build"), "{err}");
        }
        let mut v = value(&files.json);
        v["source"] = serde_json::json!("non esadecimale");
        assert!(matches!(
            open(&v.to_string(), Some(&data)),
            Err(BundleError::Json(_))
        ));
        v.as_object_mut().unwrap().remove("source");
        assert!(matches!(
            open(&v.to_string(), Some(&data)),
            Err(BundleError::Json(_))
        ));
        let mut cut = data.clone();
        cut.truncate(data.len() / 2);
        assert!(matches!(
            open(&files.json, Some(&cut)),
            Err(BundleError::Prebuilt {
                source: PrebuiltError::Damaged(_),
                ..
            })
        ));
        // `engine` opens a format 2 bundle, and cannot build one.
        assert!(engine(&files.json, Some(&data)).unwrap().is_prebuilt());
        assert!(engine(&files.json, None).is_err());
    }

    #[test]
    fn format1_bundles_are_read_and_built_natively() {
        let kb = kb();
        let text = format1_without_data(&kb);
        let err = open(&text, None).unwrap_err();
        assert!(matches!(err, BundleError::NoPrebuilt), "{err:?}");
        // The fallback still builds that bundle natively, from its Markdown answers.
        let built = engine(&text, None).unwrap();
        assert!(!built.is_prebuilt());
        let mut v = value(&text);
        v["prebuilt"] = serde_json::json!("non è base64!");
        assert!(matches!(
            open(&v.to_string(), None),
            Err(BundleError::Prebuilt {
                source: PrebuiltError::Damaged(_),
                ..
            })
        ));
        assert!(!engine(&v.to_string(), None).unwrap().is_prebuilt());
    }

    #[test]
    fn bundles_declare_their_versions_and_refusals_say_what_to_run() {
        let files = write(&kb());
        let v = value(&files.json);
        assert_eq!(v["sportello"], env!("CARGO_PKG_VERSION"));
        assert_eq!(v["data_version"], crate::prebuilt::DATA_VERSION);
        assert_eq!(v["analysis_version"], crate::prebuilt::ANALYSIS_VERSION);
        // A bundle whose data is of a format this build does not read (as one written by a
        // future or a much older Sportello): refused, naming both versions and the command.
        let data = files.prebuilt.unwrap();
        let mut future = data.clone();
        future[4] = 99;
        let mut w = v.clone();
        w["sportello"] = serde_json::json!("9.0.0");
        let err = open(&w.to_string(), Some(&future)).unwrap_err().to_string();
        assert!(err.contains("scritto da Sportello 9.0.0"), "{err}");
        assert!(err.contains("formato 99"), "{err}");
        assert!(
            err.contains(&format!(
                "sportello build <cartella della base di conoscenza> --out <cartella del bundle>` di Sportello {}",
                env!("CARGO_PKG_VERSION")
            )),
            "{err}"
        );
        let mut other = data;
        other[5] = 99;
        let err = open(&w.to_string(), Some(&other)).unwrap_err().to_string();
        assert!(err.contains("analisi del testo versione 99"), "{err}");
    }
}
