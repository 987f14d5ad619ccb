//! Drops repeated deliveries: platforms retry webhooks, and each update (`update_id`, `wamid`,
//! `mid`) must be answered once. [`Dedup::Memory`] is a bounded, time-limited memory of the
//! ids seen, for one replica; [`Dedup::Postgres`] shares the ids between replicas.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where the delivery ids seen are kept.
pub enum Dedup {
    /// In this process: right for one replica.
    Memory(MemoryDedup),
    /// In PostgreSQL, shared by every replica using the database.
    Postgres(Box<crate::pg::PgDedup>),
}

impl Dedup {
    /// The in-memory one.
    pub fn new(ttl: Duration, capacity: usize) -> Dedup {
        Dedup::Memory(MemoryDedup::new(ttl, capacity))
    }

    /// Records `key`; true the first time it is seen (within the time limit).
    pub async fn first_time(&self, key: &str) -> bool {
        match self {
            Dedup::Memory(m) => m.first_time(key),
            Dedup::Postgres(p) => p.first_time(key).await,
        }
    }
}

/// Remembers delivery ids for a while, in memory.
pub struct MemoryDedup {
    ttl: Duration,
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    seen: HashMap<String, Instant>,
    order: VecDeque<(Instant, String)>,
}

impl MemoryDedup {
    pub fn new(ttl: Duration, capacity: usize) -> MemoryDedup {
        MemoryDedup {
            ttl,
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Records `key`; true the first time it is seen (within the time limit).
    pub fn first_time(&self, key: &str) -> bool {
        let now = Instant::now();
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let inner = &mut *g;
        while let Some((t, _)) = inner.order.front() {
            if now.duration_since(*t) > self.ttl || inner.order.len() >= self.capacity {
                let (t, k) = inner.order.pop_front().expect("front exists");
                if inner.seen.get(&k) == Some(&t) {
                    inner.seen.remove(&k);
                }
            } else {
                break;
            }
        }
        if inner.seen.contains_key(key) {
            return false;
        }
        inner.seen.insert(key.to_string(), now);
        inner.order.push_back((now, key.to_string()));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn once_then_forgotten_when_full() {
        let d = MemoryDedup::new(Duration::from_secs(60), 2);
        assert!(d.first_time("a"));
        assert!(!d.first_time("a"));
        assert!(d.first_time("b"));
        assert!(d.first_time("c")); // evicts "a"
        assert!(d.first_time("a"));
    }

    #[test]
    fn expires() {
        let d = MemoryDedup::new(Duration::from_millis(0), 10);
        assert!(d.first_time("a"));
        std::thread::sleep(Duration::from_millis(2));
        assert!(d.first_time("a"));
    }
}
