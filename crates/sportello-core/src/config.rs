//! The matching settings ([`MatchConfig`]): one table gives each setting's name, type,
//! default and meaning, and the struct, its defaults, [`MatchConfig::set`] and
//! [`MatchConfig::KEYS`] are generated from it, so adding or removing a switch is one line.

use crate::analysis::AnalysisOptions;
use crate::kb::Thresholds;

/// A setting's value as read from `key=value` text.
trait SettingValue: Sized {
    fn parse_setting(key: &str, value: &str) -> Result<Self, String>;
}

impl SettingValue for bool {
    fn parse_setting(key: &str, value: &str) -> Result<bool, String> {
        value
            .parse()
            .map_err(|_| format!("{key}: atteso true o false, trovato «{value}»"))
    }
}

impl SettingValue for f32 {
    fn parse_setting(key: &str, value: &str) -> Result<f32, String> {
        value
            .parse()
            .map_err(|_| format!("{key}: atteso un numero, trovato «{value}»"))
    }
}

impl SettingValue for Option<f32> {
    fn parse_setting(key: &str, value: &str) -> Result<Option<f32>, String> {
        f32::parse_setting(key, value).map(Some)
    }
}

/// Generates [`MatchConfig`] from the table of settings: own settings (`name: type =
/// default`, with their doc comment) and settings of the analysis options (`name`: the
/// field of [`AnalysisOptions`] of that name, whose default lives there).
macro_rules! match_config {
    (
        own { $( $(#[doc = $doc:literal])* $key:ident : $ty:ty = $default:expr, )* }
        analysis { $( $akey:ident, )* }
    ) => {
        /// Matching settings. The defaults are the measured best; the switches exist for
        /// ablations and can be set by name ([`MatchConfig::set`]).
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub struct MatchConfig {
            /// The analysis options (shared by the index and the questions).
            pub analysis: AnalysisOptions,
            $( $(#[doc = $doc])* pub $key: $ty, )*
        }

        impl Default for MatchConfig {
            fn default() -> Self {
                MatchConfig {
                    analysis: AnalysisOptions::default(),
                    $( $key: $default, )*
                }
            }
        }

        impl MatchConfig {
            /// The names accepted by [`MatchConfig::set`].
            pub const KEYS: &'static [&'static str] =
                &[$( stringify!($akey), )* $( stringify!($key), )*];

            /// Sets one setting by name (`typos=false`, `answer_boost=0.5`…), for experiments
            /// and the ablation table.
            pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
                match key {
                    $( stringify!($akey) => self.analysis.$akey = SettingValue::parse_setting(key, value)?, )*
                    $( stringify!($key) => self.$key = SettingValue::parse_setting(key, value)?, )*
                    _ => {
                        return Err(format!(
                            "impostazione sconosciuta «{key}»; ammesse: {}",
                            Self::KEYS.join(", ")
                        ))
                    }
                }
                Ok(())
            }
        }
    };
}

match_config! {
    own {
        /// Correct unknown question words to known ones.
        typos: bool = true,
        /// Weight of the phrasing field (main question and alternatives).
        phrase_boost: f32 = 1.0,
        /// Weight of the answer text.
        answer_boost: f32 = 0.35,
        /// Weight of tags and office.
        tags_boost: f32 = 0.5,
        /// Weight of synonym-group tokens relative to words.
        synonym_weight: f32 = 0.7,
        /// Weight of a corrected word relative to a word as written.
        corrected_weight: f32 = 0.8,
        /// Credit, in the coverage, of a question word matched only after typo correction
        /// (relative to a word matched as written).
        corrected_credit: f32 = 1.0,
        /// Weight of a pair of neighbouring words.
        bigram_weight: f32 = 0.5,
        /// Weight, in the coverage, of a question word the KB never uses (relative to a word
        /// used by one entry).
        unknown_word_weight: f32 = 1.0,
        /// Total weight of a word's character n-grams (0 switches them off).
        ngram_weight: f32 = 0.0,
        /// Share of the score that depends on coverage when re-ranking the best entries (0–1).
        coverage_rerank: f32 = 1.0,
        /// Share of the score that depends on the entry-side recall (how much of the best
        /// phrasing the question asks) when re-ranking (0–1).
        recall_rerank: f32 = 0.1,
        /// Drop greetings, thanks and politeness ("vorrei sapere") from questions.
        drop_filler: bool = true,
        /// Count the words of the synonym groups (glossary and agency) as known words for typo
        /// correction, even when no entry uses them: "prezo" is corrected to "prezzo" (a
        /// synonym of "costo"), and "prezzo" itself is never "corrected" to another word.
        glossary_typos: bool = true,
        /// Point questions about other administrations' matters (passport, pension…) that the
        /// KB does not cover to the competent office, instead of offering loosely related
        /// entries.
        referrals: bool = true,
        /// Share of credit for the best-covered clause: the confidence's coverage is the larger
        /// of the whole question's and this share of the coverage of its best clause (words
        /// between punctuation marks), so that context sentences around the question ("ho
        /// appena traslocato da Napoli per lavoro, …") weigh less. 0 turns it off.
        clause_coverage: f32 = 1.0,
        /// Re-rank with the clause coverage too (measured, off).
        clause_rerank: bool = false,
        /// The recall used by the confidence is at least this share of the coverage, so that
        /// an entry that answers the question in its answer text or tags, but words its
        /// phrasings otherwise, is not given confidence 0 ("reclamo", "certificato di
        /// destinazione urbanistica" written only in the answer). 0 turns it off.
        recall_floor: f32 = 0.5,
        /// Semantic stage (with an encoder): share of the ranking score that comes from the
        /// closeness in meaning (0–1); the rest is the lexical score relative to the best.
        semantic_weight: f32 = 0.5,
        /// Semantic stage: share of an entry's closeness that comes from its answer ("passage:"
        /// side) rather than its best phrasing (its first 1,000 characters); 0 embeds no answers.
        semantic_answer: f32 = 0.2,
        /// Semantic stage: share of the confidence that comes from the closeness in meaning.
        semantic_confidence: f32 = 0.5,
        /// Semantic stage: the cosine at and below which two questions count as unrelated.
        semantic_low: f32 = 0.82,
        /// Semantic stage: the cosine at and above which two questions count as the same.
        semantic_high: f32 = 0.95,
        /// Answer threshold overriding the agency's (for measuring the trade-off).
        answer_threshold: Option<f32> = None,
        /// "Forse cercavi…" threshold overriding the agency's.
        clarify_threshold: Option<f32> = None,
    }
    analysis {
        stemming,
        stop_words,
        synonyms,
        question_words,
        bigrams,
        light_stemmer,
        negation,
    }
}

impl MatchConfig {
    /// Whether character n-grams are indexed and searched (their weight is above 0).
    pub(crate) fn ngrams(&self) -> bool {
        self.ngram_weight > 0.0
    }

    /// The thresholds in force: those set here, else the agency's, else the defaults. Setting
    /// one threshold here overrides the agency's pair, with the default for the other.
    pub fn thresholds(&self, agency: Option<Thresholds>) -> Thresholds {
        if self.answer_threshold.is_none() && self.clarify_threshold.is_none() {
            return agency.unwrap_or_default();
        }
        let d = Thresholds::default();
        Thresholds {
            answer: self.answer_threshold.unwrap_or(d.answer),
            clarify: self.clarify_threshold.unwrap_or(d.clarify),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_can_be_set_and_unknown_keys_are_refused() {
        for key in MatchConfig::KEYS {
            let changed = ["true", "false", "0.25"].iter().any(|value| {
                let mut c = MatchConfig::default();
                c.set(key, value).is_ok() && c != MatchConfig::default()
            });
            assert!(changed, "no value of {key} changes the configuration");
        }
        let mut c = MatchConfig::default();
        assert!(c
            .set("typos", "forse")
            .unwrap_err()
            .contains("true o false"));
        assert!(c.set("answer_boost", "x").unwrap_err().contains("numero"));
        let err = c.set("tipos", "true").unwrap_err();
        assert!(err.contains("tipos") && err.contains("typos"), "{err}");
    }

    #[test]
    fn thresholds_set_here_override_the_agencys() {
        let agency = Thresholds {
            answer: 0.7,
            clarify: 0.4,
        };
        let mut c = MatchConfig::default();
        assert_eq!(c.thresholds(Some(agency)), agency);
        assert_eq!(c.thresholds(None), Thresholds::default());
        c.set("answer_threshold", "0.6").unwrap();
        let t = c.thresholds(Some(agency));
        assert_eq!((t.answer, t.clarify), (0.6, Thresholds::default().clarify));
    }
}
