//! Per-user rate limit (token bucket), applied after authentication: the platforms call from
//! few addresses, so limits are keyed by the platform's user id (kept only as a hash).

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Token buckets keyed by user.
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<[u8; 16], (f64, Instant)>>,
}

impl RateLimiter {
    /// `per_minute` = 0 disables the limit.
    pub fn new(per_minute: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            per_second: f64::from(per_minute) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.per_second > 0.0
    }

    /// Takes one token for `key`; false when the user is over the limit.
    pub fn allow(&self, key: &str) -> bool {
        if !self.enabled() {
            return true;
        }
        let digest = Sha256::digest(key.as_bytes());
        let mut k = [0u8; 16];
        k.copy_from_slice(&digest[..16]);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > 100_000 {
            // Forget users whose bucket has refilled: they would start full anyway.
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, (tokens, t)| {
                *tokens + now.duration_since(*t).as_secs_f64() * rate < burst
            });
        }
        let (tokens, last) = buckets.entry(k).or_insert((self.burst, now));
        *tokens =
            (*tokens + now.duration_since(*last).as_secs_f64() * self.per_second).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
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
}
