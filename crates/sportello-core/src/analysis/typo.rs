//! Typo tolerance: question words unknown to the knowledge base are corrected to a known
//! word at one edit (insertion, deletion, substitution or swap of two neighbours).
//!
//! A symmetric-deletion table (as in SymSpell) finds candidates in a few hash lookups, so the
//! cost does not grow with the size of the vocabulary.

use crate::hash::{FastMap, FastSet};

/// Words shorter than this (in characters) are never corrected: too many neighbours.
pub const MIN_CORRECTABLE_CHARS: usize = 5;

/// Edit distance (optimal string alignment: swaps count as one edit), stopping at `max + 1`.
pub fn edit_distance(a: &str, b: &str, max: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return max + 1;
    }
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        let mut row_min = usize::MAX;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return max + 1;
        }
    }
    d[a.len() * w + b.len()].min(max + 1)
}

fn deletions(word: &str) -> impl Iterator<Item = String> + '_ {
    word.char_indices().map(move |(i, c)| {
        let mut s = String::with_capacity(word.len());
        s.push_str(&word[..i]);
        s.push_str(&word[i + c.len_utf8()..]);
        s
    })
}

/// The knowledge base's vocabulary of folded words, with counts, for correction.
#[derive(Debug, Default, Clone)]
pub struct Vocabulary {
    counts: FastMap<String, u32>,
    /// Word or one-deletion variant → indices into `words`; built on the first correction, so
    /// that an engine is ready sooner (most of the vocabulary's build time is this table).
    deletes: std::sync::OnceLock<FastMap<String, Vec<u32>>>,
    words: Vec<String>,
}

/// Whether a word is long enough, and free of digits, to be offered as a correction.
fn correctable(w: &str) -> bool {
    w.chars().count() >= MIN_CORRECTABLE_CHARS - 1 && !w.bytes().any(|c| c.is_ascii_digit())
}

impl Vocabulary {
    /// Builds the vocabulary from folded, non-stop words.
    pub fn build<'a>(words: impl IntoIterator<Item = &'a str>) -> Vocabulary {
        let mut counts: FastMap<String, u32> = FastMap::default();
        for w in words {
            *counts.entry(w.to_string()).or_default() += 1;
        }
        Self::with_counts(counts)
    }

    fn with_counts(counts: FastMap<String, u32>) -> Vocabulary {
        let mut list: Vec<String> = counts.keys().filter(|w| correctable(w)).cloned().collect();
        list.sort();
        Vocabulary {
            counts,
            deletes: std::sync::OnceLock::new(),
            words: list,
        }
    }

    /// The vocabulary from (word, occurrences) pairs sorted by word, as
    /// [`Vocabulary::counts`] lists them (unsorted input is sorted here).
    pub fn from_counts(counts: Vec<(String, u32)>) -> Vocabulary {
        let mut words: Vec<String> = Vec::with_capacity(counts.len());
        let mut map = FastMap::with_capacity_and_hasher(counts.len(), Default::default());
        for (w, c) in counts {
            if correctable(&w) {
                words.push(w.clone());
            }
            map.insert(w, c);
        }
        if !words.is_sorted() {
            words.sort();
        }
        Vocabulary {
            counts: map,
            deletes: std::sync::OnceLock::new(),
            words,
        }
    }

    /// Every word with its number of occurrences, sorted by word.
    pub fn counts(&self) -> Vec<(String, u32)> {
        let mut list: Vec<(String, u32)> =
            self.counts.iter().map(|(w, &c)| (w.clone(), c)).collect();
        list.sort_unstable();
        list
    }

    /// Builds the correction table now rather than on the first correction.
    pub fn warm_up(&self) {
        self.deletes();
    }

    fn deletes(&self) -> &FastMap<String, Vec<u32>> {
        self.deletes.get_or_init(|| {
            let mut deletes: FastMap<String, Vec<u32>> = FastMap::default();
            for (i, w) in self.words.iter().enumerate() {
                deletes.entry(w.clone()).or_default().push(i as u32);
                let mut seen = FastSet::default();
                for d in deletions(w) {
                    if seen.insert(d.clone()) {
                        deletes.entry(d).or_default().push(i as u32);
                    }
                }
            }
            deletes
        })
    }

    /// True when the word occurs in the knowledge base.
    pub fn contains(&self, folded: &str) -> bool {
        self.counts.contains_key(folded)
    }

    /// Up to `n` known words (of four letters or more) starting with `prefix`, most frequent
    /// first; used to complete the word a citizen is still typing.
    pub fn completions(&self, prefix: &str, n: usize) -> Vec<&str> {
        if prefix.is_empty() || n == 0 {
            return Vec::new();
        }
        let start = self.words.partition_point(|w| w.as_str() < prefix);
        let mut found: Vec<&str> = self.words[start..]
            .iter()
            .take_while(|w| w.starts_with(prefix))
            .map(String::as_str)
            .collect();
        found.sort_by(|a, b| {
            let (ca, cb) = (self.counts.get(*a), self.counts.get(*b));
            cb.cmp(&ca).then(a.cmp(b))
        });
        found.truncate(n);
        found
    }

    /// Number of distinct words.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// The most frequent known word one edit away from `folded`, if `folded` is unknown and long
    /// enough; ties go to the alphabetically first word, so the result is deterministic.
    pub fn correct(&self, folded: &str) -> Option<&str> {
        if self.contains(folded)
            || folded.chars().count() < MIN_CORRECTABLE_CHARS
            || folded.chars().any(|c| c.is_ascii_digit())
        {
            return None;
        }
        let mut best: Option<(u32, &str)> = None;
        let mut consider = |idx: &u32| {
            let cand = self.words[*idx as usize].as_str();
            if edit_distance(folded, cand, 1) <= 1 {
                let count = self.counts.get(cand).copied().unwrap_or(0);
                let better = match best {
                    None => true,
                    Some((c, w)) => count > c || (count == c && cand < w),
                };
                if better {
                    best = Some((count, cand));
                }
            }
        };
        if let Some(list) = self.deletes().get(folded) {
            list.iter().for_each(&mut consider);
        }
        for d in deletions(folded) {
            if let Some(list) = self.deletes().get(&d) {
                list.iter().for_each(&mut consider);
            }
        }
        best.map(|(_, w)| w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_by_frequency() {
        let v = Vocabulary::build(["residenza", "residenza", "residente", "resto", "carta"]);
        assert_eq!(v.completions("resid", 5), vec!["residenza", "residente"]);
        assert_eq!(v.completions("resid", 1), vec!["residenza"]);
        assert_eq!(
            v.completions("res", 5),
            vec!["residenza", "residente", "resto"]
        );
        assert!(v.completions("zzz", 5).is_empty());
        assert!(v.completions("", 5).is_empty());
    }

    #[test]
    fn distance() {
        assert_eq!(edit_distance("residenza", "resdenza", 2), 1);
        assert_eq!(edit_distance("anagrafe", "angarafe", 2), 1);
        assert_eq!(edit_distance("kitten", "sitting", 5), 3);
        assert_eq!(edit_distance("abc", "abcdefgh", 2), 3);
        assert_eq!(edit_distance("quesiton", "question", 3), 1);
    }

    #[test]
    fn corrects_one_edit() {
        let v = Vocabulary::build([
            "residenza",
            "residenza",
            "anagrafe",
            "certificato",
            "identita",
        ]);
        assert_eq!(v.correct("resdenza"), Some("residenza"));
        assert_eq!(v.correct("residenzaa"), Some("residenza"));
        assert_eq!(v.correct("angarafe"), Some("anagrafe"));
        assert_eq!(v.correct("identia"), Some("identita"));
        assert_eq!(v.correct("residenza"), None);
        assert_eq!(v.correct("casa"), None);
        assert_eq!(v.correct("zzzzzzzz"), None);
    }
}
