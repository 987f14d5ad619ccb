//! The knowledge-base bundle: one JSON document with everything an engine needs for one
//! agency (agency metadata, entries, small-talk overrides), written by `sportello build` and
//! downloaded by the web widget, which opens its engine from the prebuilt tables and index in
//! it ([`open`]; natively, [`engine`] builds them when they do not match). Answers travel already
//! rendered (safe HTML and chat text), so the browser never parses Markdown.

use crate::config::MatchConfig;
use crate::engine::{Engine, EngineError};
use crate::kb::{Agency, Entry, KnowledgeBase, Notice};
use crate::prebuilt::PrebuiltError;
use crate::render::Rendered;
use crate::smalltalk::SmallTalkOverride;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// The bundle format version this library writes and reads.
pub const FORMAT: u32 = 1;

/// A bundle as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bundle {
    /// Format version, [`FORMAT`].
    pub format: u32,
    pub agency: Agency,
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
    /// The engine's tables and index ([`crate::prebuilt`]), base64: the browser opens the
    /// engine from them instead of building it. Optional; ignored when it does not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prebuilt: Option<String>,
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
    #[error("bundle in formato {found}, ma questa versione legge il formato {FORMAT}: {REBUILD}")]
    Version { found: u32 },
    #[error("il bundle non contiene i dati precalcolati del motore: {REBUILD}")]
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

/// Serialises a knowledge base as a bundle (compact JSON), rendering every answer.
#[cfg(all(feature = "markdown", feature = "index"))]
pub fn to_json(kb: &KnowledgeBase) -> String {
    let rendered: Vec<Rendered> = kb.entries.iter().map(crate::render::render_entry).collect();
    // The engine the widget would build, stored; a KB the engine cannot take gets no
    // prebuilt data (the widget then reports the problem when it builds).
    let prebuilt = Engine::with_rendered(kb.clone(), MatchConfig::default(), rendered.clone())
        .and_then(|e| e.prebuilt())
        .ok();
    let versions = prebuilt
        .as_deref()
        .and_then(crate::prebuilt::header_versions);
    let bundle = Bundle {
        format: FORMAT,
        agency: kb.agency.clone(),
        entries: kb.entries.clone(),
        smalltalk: kb.smalltalk.clone(),
        rendered,
        notices: kb.notices.clone(),
        notices_rendered: crate::notices::render(&kb.notices),
        prebuilt: prebuilt.map(|bytes| BASE64.encode(bytes)),
        sportello: env!("CARGO_PKG_VERSION").to_string(),
        data_version: versions.map(|v| v.0),
        analysis_version: versions.map(|v| v.1),
    };
    serde_json::to_string(&bundle).expect("a bundle of strings always serialises")
}

/// A bundle taken apart.
struct Parts {
    kb: KnowledgeBase,
    rendered: Vec<Rendered>,
    notices_rendered: Vec<Rendered>,
    /// The prebuilt data, base64.
    prebuilt: Option<String>,
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
            prebuilt: self.prebuilt,
            sportello: self.sportello,
        }
    }
}

/// Reads a bundle back into a knowledge base.
pub fn from_json(text: &str) -> Result<KnowledgeBase, BundleError> {
    read(text).map(|b| b.into_parts().kb)
}

/// Builds the engine of a bundle, with the answers it carries already rendered.
#[cfg(feature = "index")]
pub fn engine(text: &str) -> Result<Engine, BundleError> {
    let parts = read(text)?.into_parts();
    // Prebuilt data that is not valid base64 is treated like data that does not match.
    let prebuilt = parts.prebuilt.and_then(|p| BASE64.decode(p).ok());
    let engine = Engine::from_prebuilt_or_kb(
        parts.kb,
        MatchConfig::default(),
        parts.rendered,
        prebuilt.as_deref(),
    )?;
    Ok(engine.with_rendered_notices(&parts.notices_rendered))
}

/// Opens the engine of a bundle from its prebuilt data only, never building the index: what
/// the web widget does, so that the index writer is not compiled into its WebAssembly (a
/// third of its size). A bundle without prebuilt data, or with data written by another
/// data version or analysis version this build does not read, or for other options, is an
/// error that says which `sportello build` to run.
pub fn open(text: &str) -> Result<Engine, BundleError> {
    let Parts {
        kb,
        rendered,
        notices_rendered,
        prebuilt,
        sportello,
    } = read(text)?.into_parts();
    let data = prebuilt.ok_or(BundleError::NoPrebuilt)?;
    let refused = |source| BundleError::Prebuilt {
        source,
        sportello: sportello.clone(),
    };
    let data = BASE64
        .decode(data)
        .map_err(|_| refused(PrebuiltError::Damaged("base64 non valido")))?;
    let engine = Engine::from_prebuilt(kb, MatchConfig::default(), rendered, &data).map_err(
        |e| match e {
            EngineError::Prebuilt(p) => refused(p),
            other => BundleError::Engine(other),
        },
    )?;
    Ok(engine.with_rendered_notices(&notices_rendered))
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
        Ok(b) if b.format == FORMAT => Ok(b),
        Ok(b) => Err(version_error(b.format)),
        Err(e) => match serde_json::from_str::<Version>(text) {
            Ok(v) if v.format != FORMAT => Err(version_error(v.format)),
            _ => Err(BundleError::Json(e.to_string())),
        },
    }
}

#[cfg(all(test, feature = "markdown"))]
mod tests {
    use super::*;

    fn kb() -> KnowledgeBase {
        let mut kb = KnowledgeBase::from_entries(vec![Entry {
            id: "cie".into(),
            question: "Quanto costa la carta d'identità?".into(),
            alternatives: vec!["costo cie".into()],
            answer: "Costa **22,21 euro**.".into(),
            tags: vec!["anagrafe".into()],
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

    #[test]
    fn round_trip_keeps_everything() {
        let kb = kb();
        assert_eq!(from_json(&to_json(&kb)).unwrap(), kb);
    }

    #[test]
    fn rejects_other_versions_and_garbage() {
        let text = to_json(&kb()).replacen("\"format\":1", "\"format\":99", 1);
        assert!(matches!(
            from_json(&text),
            Err(BundleError::Version { found: 99 })
        ));
        // A future format whose shape this version cannot read is reported by its number.
        assert!(matches!(
            from_json("{\"format\":2,\"entries\":{\"moved\":true}}"),
            Err(BundleError::Version { found: 2 })
        ));
        assert!(matches!(from_json("{"), Err(BundleError::Json(_))));
        assert!(matches!(
            from_json("{\"format\":1}"),
            Err(BundleError::Json(_))
        ));
    }

    #[test]
    fn engine_uses_the_rendered_answers_and_checks_their_count() {
        let text = to_json(&kb());
        let e = engine(&text).unwrap();
        match e.ask("quanto costa la carta d'identità") {
            crate::Reply::Answer { answer_html, .. } => {
                assert!(
                    answer_html.contains("<strong>22,21 euro</strong>"),
                    "{answer_html}"
                )
            }
            other => panic!("{other:?}"),
        }
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["rendered"] = serde_json::json!([]);
        assert!(matches!(
            engine(&v.to_string()),
            Err(BundleError::Engine(EngineError::Rendered {
                expected: 1,
                found: 0
            }))
        ));
    }

    #[test]
    fn open_uses_only_prebuilt_data() {
        let text = to_json(&kb());
        let e = open(&text).unwrap();
        assert!(e.is_prebuilt());
        assert!(matches!(
            e.ask("quanto costa la carta d'identità"),
            crate::Reply::Answer { .. }
        ));

        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let data = v["prebuilt"].take();
        v.as_object_mut().unwrap().remove("prebuilt");
        let err = open(&v.to_string()).unwrap_err();
        assert!(matches!(err, BundleError::NoPrebuilt), "{err:?}");
        assert!(err.to_string().contains("sportello build"), "{err}");
        // The fallback still builds that bundle natively.
        assert!(!engine(&v.to_string()).unwrap().is_prebuilt());

        // Data prebuilt for another knowledge base is refused, not used.
        let mut other = kb();
        other.entries[0].question = "Come si rinnova la carta d'identità?".into();
        let mut w: serde_json::Value = serde_json::from_str(&to_json(&other)).unwrap();
        w["prebuilt"] = data.clone();
        let err = open(&w.to_string()).unwrap_err();
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

        v["prebuilt"] = serde_json::json!("non è base64!");
        assert!(matches!(
            open(&v.to_string()),
            Err(BundleError::Prebuilt {
                source: PrebuiltError::Damaged(_),
                ..
            })
        ));
    }

    #[test]
    fn bundles_declare_their_versions_and_refusals_say_what_to_run() {
        let text = to_json(&kb());
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["sportello"], env!("CARGO_PKG_VERSION"));
        assert_eq!(v["data_version"], crate::prebuilt::DATA_VERSION);
        assert_eq!(v["analysis_version"], crate::prebuilt::ANALYSIS_VERSION);
        // A bundle whose data is of a format this build does not read (as one written by a
        // future or a much older Sportello): refused, naming both versions and the command.
        let data = BASE64.decode(v["prebuilt"].as_str().unwrap()).unwrap();
        let mut future = data.clone();
        future[4] = 99;
        let mut w = v.clone();
        w["prebuilt"] = serde_json::json!(BASE64.encode(&future));
        w["sportello"] = serde_json::json!("9.0.0");
        let err = open(&w.to_string()).unwrap_err().to_string();
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
        w["prebuilt"] = serde_json::json!(BASE64.encode(&other));
        let err = open(&w.to_string()).unwrap_err().to_string();
        assert!(err.contains("analisi del testo versione 99"), "{err}");
    }
}
