//! Prometheus metrics in the text exposition format: requests, latency histogram, replies by
//! agency, channel and kind, reloads, drops. Labels never carry personal data.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    /// (name, labels rendered) → value.
    counters: BTreeMap<(&'static str, String), u64>,
}

/// The server's metrics.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One HTTP request on `route` (the route template, not the raw path).
    pub fn request(&self, route: &str, status: u16, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let mut g = self.lock();
        *g.requests.entry((route.to_string(), status)).or_default() += 1;
        let h = g.latency.entry(route.to_string()).or_default();
        h.count += 1;
        h.sum += secs;
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            h.counts[i] += 1;
        }
    }

    /// One reply of `kind` (answer, clarify, decline, small_talk) for an agency on a channel.
    pub fn reply(&self, agency: &str, channel: &str, kind: &str) {
        self.add(
            "sportello_replies_total",
            format!(
                "agency=\"{}\",channel=\"{channel}\",kind=\"{kind}\"",
                escape(agency)
            ),
        );
    }

    /// Increments a named counter with pre-rendered labels.
    pub fn add(&self, name: &'static str, labels: String) {
        *self.lock().counters.entry((name, labels)).or_default() += 1;
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let g = self.lock();
        let mut out = String::new();
        out.push_str("# HELP sportello_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE sportello_http_requests_total counter\n");
        for ((route, status), n) in &g.requests {
            let _ = writeln!(
                out,
                "sportello_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str(
            "# HELP sportello_http_request_duration_seconds Time to answer HTTP requests.\n",
        );
        out.push_str("# TYPE sportello_http_request_duration_seconds histogram\n");
        for (route, h) in &g.latency {
            let route = escape(route);
            let mut cumulative = 0;
            for (b, c) in BUCKETS.iter().zip(h.counts) {
                cumulative += c;
                let _ = writeln!(
                    out,
                    "sportello_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "sportello_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "sportello_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "sportello_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        let mut last = "";
        for ((name, labels), n) in &g.counters {
            if *name != last {
                let _ = writeln!(out, "# TYPE {name} counter");
                last = name;
            }
            let _ = writeln!(out, "{name}{{{labels}}} {n}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histogram() {
        let m = Metrics::default();
        m.request("/v1/agencies/{agency}/ask", 200, Duration::from_millis(3));
        m.reply("ente", "api", "answer");
        m.reply("ente", "api", "answer");
        let text = m.render();
        assert!(text.contains(
            "sportello_http_requests_total{route=\"/v1/agencies/{agency}/ask\",status=\"200\"} 1"
        ));
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"0.001\"} 0"));
        assert!(text.contains(
            "sportello_replies_total{agency=\"ente\",channel=\"api\",kind=\"answer\"} 2"
        ));
    }
}
