//! A memory of recent embeddings in front of an encoder: a reloaded knowledge base whose
//! phrasings did not change is not embedded again, and a question asked again (the common
//! case on a busy service) is answered without running the model.
//!
//! Two generations of at most `capacity` texts each: a hit in the older one moves the text
//! to the newer; when the newer is full the older is dropped. A bounded, cheap approximation
//! of least-recently-used.

use sportello_core::Encoder;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// An encoder with a bounded memory of the vectors it computed.
pub struct Cached<E> {
    inner: E,
    capacity: usize,
    generations: Mutex<Generations>,
    hits: AtomicU64,
    misses: AtomicU64,
}

#[derive(Default)]
struct Generations {
    new: HashMap<String, Arc<[f32]>>,
    old: HashMap<String, Arc<[f32]>>,
}

impl Generations {
    fn get(&mut self, text: &str) -> Option<Arc<[f32]>> {
        if let Some(v) = self.new.get(text) {
            return Some(v.clone());
        }
        let v = self.old.remove(text)?;
        self.new.insert(text.to_string(), v.clone());
        Some(v)
    }

    fn put(&mut self, text: &str, v: Arc<[f32]>, capacity: usize) {
        if self.new.len() >= capacity {
            self.old = std::mem::take(&mut self.new);
        }
        self.new.insert(text.to_string(), v);
    }
}

impl<E: Encoder> Cached<E> {
    /// Keeps up to about `capacity` (and at most twice that) recent texts' vectors.
    pub fn new(inner: E, capacity: usize) -> Cached<E> {
        Cached {
            inner,
            capacity: capacity.max(1),
            generations: Mutex::new(Generations::default()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// (hits, misses) since the start.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generations> {
        self.generations.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<E: Encoder> Encoder for Cached<E> {
    fn id(&self) -> &str {
        self.inner.id()
    }

    fn dim(&self) -> usize {
        self.inner.dim()
    }

    fn embed_query(&self, text: &str) -> Vec<f32> {
        if let Some(v) = self.lock().get(text) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return v.to_vec();
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        // The model runs outside the lock: other questions are not held up.
        let v: Arc<[f32]> = self.inner.embed_query(text).into();
        self.lock().put(text, v.clone(), self.capacity);
        v.to_vec()
    }

    fn embed_queries(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        self.batch(texts, "", |missing| self.inner.embed_queries(missing))
    }

    fn embed_passages(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        // Another key space: the same text is another vector on the "passage: " side.
        self.batch(texts, PASSAGE, |missing| self.inner.embed_passages(missing))
    }
}

/// Prefix of the keys of passage vectors (a control character no question keeps).
const PASSAGE: &str = "\u{1}passage\u{1}";

impl<E: Encoder> Cached<E> {
    /// The vectors of `texts`, those not remembered computed by `compute` in one batch.
    fn batch(
        &self,
        texts: &[&str],
        prefix: &str,
        compute: impl FnOnce(&[&str]) -> Vec<Vec<f32>>,
    ) -> Vec<Vec<f32>> {
        let keys: Vec<String> = texts.iter().map(|t| format!("{prefix}{t}")).collect();
        let mut out: Vec<Option<Vec<f32>>> = {
            let mut g = self.lock();
            keys.iter().map(|k| g.get(k).map(|v| v.to_vec())).collect()
        };
        let missing: Vec<&str> = texts
            .iter()
            .zip(&out)
            .filter(|(_, v)| v.is_none())
            .map(|(t, _)| *t)
            .collect();
        self.hits
            .fetch_add((texts.len() - missing.len()) as u64, Ordering::Relaxed);
        self.misses
            .fetch_add(missing.len() as u64, Ordering::Relaxed);
        let mut computed = compute(&missing).into_iter();
        let mut g = self.lock();
        for (k, slot) in keys.iter().zip(out.iter_mut()) {
            if slot.is_none() {
                let v: Arc<[f32]> = computed.next().unwrap_or_default().into();
                g.put(k, v.clone(), self.capacity);
                *slot = Some(v.to_vec());
            }
        }
        out.into_iter().map(Option::unwrap_or_default).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts how often the model runs; a text's vector is its length.
    struct Counting(AtomicU64);

    impl Encoder for Counting {
        fn id(&self) -> &str {
            "counting"
        }
        fn dim(&self) -> usize {
            1
        }
        fn embed_query(&self, text: &str) -> Vec<f32> {
            self.0.fetch_add(1, Ordering::Relaxed);
            vec![text.len() as f32]
        }
    }

    #[test]
    fn repeated_texts_do_not_run_the_model_and_memory_is_bounded() {
        let c = Cached::new(Counting(AtomicU64::new(0)), 2);
        assert_eq!(
            c.embed_queries(&["a", "bb", "a"]),
            vec![vec![1.0], vec![2.0], vec![1.0]]
        );
        // "a" twice in one batch is computed twice (both missed), then remembered.
        assert_eq!(c.embed_query("bb"), vec![2.0]);
        let runs = c.inner.0.load(Ordering::Relaxed);
        assert_eq!(c.embed_query("a"), vec![1.0]);
        assert_eq!(
            c.inner.0.load(Ordering::Relaxed),
            runs,
            "a hit runs nothing"
        );
        for t in ["c", "dd", "eee", "ffff", "ggggg"] {
            c.embed_query(t);
        }
        let g = c.lock();
        assert!(g.new.len() + g.old.len() <= 4);
        assert!(!g.new.contains_key("a") && !g.old.contains_key("a"));
    }
}
