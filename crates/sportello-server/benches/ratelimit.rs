//! The rate limiter's cost for a steady client, with an empty limiter and after 1,000,000
//! distinct keys (a flood of addresses or user ids): the two must stay close (issue 16 asks
//! within 20%), since no call walks the map. `cargo bench -p sportello-server --bench ratelimit`.

use criterion::{criterion_group, criterion_main, Criterion};
use sportello_server::ratelimit::RateLimiter;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn limiter_with_keys(n: usize) -> RateLimiter {
    // A burst the steady client never exhausts, so each call does the full work; the slow
    // refill makes a generation live for a day, so only the size bound ever rotates them.
    let r = RateLimiter::new(60, u32::MAX);
    for i in 0..n {
        r.allow(&format!(
            "agency:api:10.{}.{}.{}",
            i >> 16,
            (i >> 8) & 255,
            i & 255
        ));
    }
    r
}

fn steady(c: &mut Criterion) {
    let mut g = c.benchmark_group("ratelimit_steady_client");
    g.measurement_time(Duration::from_secs(4));
    for (name, keys) in [("empty", 0), ("after_1m_keys", 1_000_000)] {
        let r = limiter_with_keys(keys);
        eprintln!("{name}: {} keys held", r.len());
        g.bench_function(name, |b| {
            b.iter(|| black_box(r.allow(black_box("agency:api:192.0.2.7"))))
        });
    }
    g.finish();

    // The same figure as requests per second, printed for the note.
    for keys in [0, 1_000_000] {
        let r = limiter_with_keys(keys);
        let n = 2_000_000;
        let start = Instant::now();
        for _ in 0..n {
            black_box(r.allow(black_box("agency:api:192.0.2.7")));
        }
        let rate = n as f64 / start.elapsed().as_secs_f64();
        println!("steady client after {keys} keys: {rate:.0} calls/s");
    }
}

criterion_group!(benches, steady);
criterion_main!(benches);
