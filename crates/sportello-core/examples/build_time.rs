//! Builds an engine from a widget bundle many times and prints the time per build
//! (what the browser does on page load). Usage: build_time BUNDLE.json [N]
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: build_time BUNDLE.json [N]");
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(50);
    let text = std::fs::read_to_string(&path).expect("readable bundle");
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let engine = sportello_core::bundle::engine(&text).expect("valid bundle");
        times.push(t.elapsed().as_secs_f64() * 1e3);
        drop(engine);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{n} builds: median {:.2} ms, min {:.2} ms, max {:.2} ms",
        times[n / 2],
        times[0],
        times[n - 1]
    );
}
