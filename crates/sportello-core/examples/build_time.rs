//! Opens an engine from a widget bundle many times and prints the time per engine, as the
//! browser does on page load: from the bundle's prebuilt tables and index, and built from
//! its knowledge base (the same bundle without them). Usage: build_time BUNDLE.json [N]
use std::time::Instant;

fn time(label: &str, text: &str, n: usize) {
    let mut times = Vec::with_capacity(n);
    let mut prebuilt = false;
    for _ in 0..n {
        let t = Instant::now();
        let engine = sportello_core::bundle::engine(text).expect("valid bundle");
        times.push(t.elapsed().as_secs_f64() * 1e3);
        prebuilt = engine.is_prebuilt();
        drop(engine);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{label}: {n} engines{}: median {:.2} ms, min {:.2} ms, max {:.2} ms",
        if prebuilt {
            " (opened from prebuilt data)"
        } else {
            " (built from the KB)"
        },
        times[n / 2],
        times[0],
        times[n - 1]
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: build_time BUNDLE.json [N]");
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(50);
    let text = std::fs::read_to_string(&path).expect("readable bundle");
    let mut value: serde_json::Value = serde_json::from_str(&text).expect("bundle is JSON");
    time("bundle as is", &text, n);
    if let Some(map) = value.as_object_mut() {
        map.remove("prebuilt");
    }
    let plain = serde_json::to_string(&value).expect("JSON");
    time("without prebuilt data", &plain, n);
}
