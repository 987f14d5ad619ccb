//! Rate limits (token buckets): per platform user after a webhook's authentication (the
//! platforms call from few addresses), and per client address on the JSON API. Keys are kept
//! only as a hash.
//!
//! The cost of a call does not depend on how many keys are held: the buckets live in a few
//! shards, each two generations of hash maps. A key is looked up in the current generation,
//! then in the previous one (and moved forward); when a generation has lived for a refill
//! period or holds its share of the capacity, the previous one is dropped whole (one
//! deallocation: the values are plain data) and the current one becomes previous. A bucket
//! left alone for a whole refill period would be full anyway, so forgetting it changes
//! nothing; under a flood of new keys the oldest buckets are forgotten first.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const SHARDS: usize = 16;

/// Keys held at most (per limiter), across shards and generations: about 40 MB at worst.
pub const DEFAULT_CAPACITY: usize = 1_000_000;

type Key = [u8; 16];

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

struct Shard {
    current: HashMap<Key, Bucket>,
    previous: HashMap<Key, Bucket>,
    /// When `current` was started.
    since: Instant,
}

/// Token buckets keyed by user or client.
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    /// A generation's lifetime: the time an empty bucket takes to fill.
    refill: Duration,
    /// Keys one generation of one shard may hold.
    generation_cap: usize,
    shards: Vec<Mutex<Shard>>,
}

impl RateLimiter {
    /// `per_minute` = 0 disables the limit.
    pub fn new(per_minute: u32, burst: u32) -> RateLimiter {
        RateLimiter::with_capacity(per_minute, burst, DEFAULT_CAPACITY)
    }

    /// Like [`RateLimiter::new`], holding at most about `capacity` keys.
    pub fn with_capacity(per_minute: u32, burst: u32, capacity: usize) -> RateLimiter {
        let per_second = f64::from(per_minute) / 60.0;
        let burst = f64::from(burst.max(1));
        let refill = if per_second > 0.0 {
            Duration::from_secs_f64((burst / per_second).min(86_400.0))
        } else {
            Duration::from_secs(60)
        };
        let now = Instant::now();
        RateLimiter {
            per_second,
            burst,
            refill,
            generation_cap: (capacity / SHARDS / 2).max(1),
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        current: HashMap::new(),
                        previous: HashMap::new(),
                        since: now,
                    })
                })
                .collect(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.per_second > 0.0
    }

    /// Takes one token for `key`; false when the key is over the limit.
    pub fn allow(&self, key: &str) -> bool {
        self.allow_at(key, Instant::now())
    }

    /// [`RateLimiter::allow`] at a given instant (for tests and benchmarks).
    pub fn allow_at(&self, key: &str, now: Instant) -> bool {
        if !self.enabled() {
            return true;
        }
        let digest = Sha256::digest(key.as_bytes());
        let mut k: Key = [0u8; 16];
        k.copy_from_slice(&digest[..16]);
        let shard = &self.shards[usize::from(k[0]) % SHARDS];
        let mut s = shard.lock().unwrap_or_else(|e| e.into_inner());
        if s.current.len() >= self.generation_cap
            || now.saturating_duration_since(s.since) >= self.refill
        {
            let current = std::mem::take(&mut s.current);
            s.previous = current;
            s.since = now;
        }
        let Shard {
            current, previous, ..
        } = &mut *s;
        let full = Bucket {
            tokens: self.burst,
            last: now,
        };
        let bucket = current
            .entry(k)
            .or_insert_with(|| previous.remove(&k).unwrap_or(full));
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Keys held now (both generations).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let s = s.lock().unwrap_or_else(|e| e.into_inner());
                s.current.len() + s.previous.len()
            })
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refused_per_user() {
        let r = RateLimiter::new(60, 3);
        assert!((0..3).all(|_| r.allow("u1")));
        assert!(!r.allow("u1"));
        assert!(r.allow("u2"));
        assert!(RateLimiter::new(0, 1).allow("x"));
    }

    #[test]
    fn refills_over_time_across_generations() {
        // 60 per minute, burst 2: refill period 2 s.
        let r = RateLimiter::new(60, 2);
        let t0 = Instant::now();
        assert!(r.allow_at("u", t0) && r.allow_at("u", t0));
        assert!(!r.allow_at("u", t0));
        // One second later: one token back, kept across the rotation that happens meanwhile.
        let t1 = t0 + Duration::from_millis(1_000);
        assert!(r.allow_at("u", t1));
        assert!(!r.allow_at("u", t1));
        let t2 = t1 + Duration::from_millis(2_100);
        assert!(r.allow_at("other", t2)); // rotates: "u" moves to previous
        assert!(r.allow_at("u", t2) && r.allow_at("u", t2));
        assert!(!r.allow_at("u", t2));
    }

    #[test]
    fn a_flood_of_keys_is_bounded_and_does_not_free_a_limited_key() {
        let r = RateLimiter::with_capacity(1, 1, 3_200);
        let t = Instant::now();
        assert!(r.allow_at("steady", t));
        assert!(!r.allow_at("steady", t));
        for i in 0..100_000 {
            r.allow_at(&format!("flood-{i}"), t);
            // The limited key keeps coming back, so it stays in the newest generation.
            if i % 50 == 0 {
                assert!(!r.allow_at("steady", t), "freed after {i} keys");
            }
        }
        assert!(r.len() <= 3_200, "{} keys held", r.len());
    }
}
