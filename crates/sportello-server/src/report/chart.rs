//! Inline SVG charts for the HTML report: each is an image with a title and a description
//! (`role="img"`), its numbers are also in a table beside it.

use super::html::esc;
use std::fmt::Write as _;

/// One stacked bar: its label and its parts (value, colour class).
pub struct Bar {
    pub label: String,
    pub parts: Vec<(u64, &'static str)>,
}

/// A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten, at least `max`.
fn nice_max(max: u64) -> u64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if step * m >= max.max(1) {
                return step * m;
            }
        }
        step *= 10;
    }
}

/// Vertical stacked bars (one per week), with a value axis.
pub fn stacked_columns(id: &str, title: &str, desc: &str, bars: &[Bar]) -> String {
    let (w, h, left, bottom, top) = (760.0_f64, 280.0_f64, 48.0, 36.0, 12.0);
    let plot_h = h - bottom - top;
    let max = bars
        .iter()
        .map(|b| b.parts.iter().map(|p| p.0).sum::<u64>())
        .max()
        .unwrap_or(0);
    let axis = nice_max(max) as f64;
    let slot = (w - left - 8.0) / bars.len().max(1) as f64;
    let bar_w = (slot * 0.7).min(48.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg id="{id}" class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-t {id}-d"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        esc(title),
        esc(desc)
    );
    for i in 0..=4 {
        let v = axis * f64::from(i) / 4.0;
        let y = top + plot_h - plot_h * f64::from(i) / 4.0;
        let _ = write!(
            s,
            r#"<line class="grid" x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}"/><text class="axis" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            w - 4.0,
            left - 6.0,
            y + 4.0,
            v.round()
        );
    }
    for (i, b) in bars.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar_w) / 2.0;
        let mut y = top + plot_h;
        for &(v, class) in &b.parts {
            if v == 0 {
                continue;
            }
            let bh = plot_h * v as f64 / axis;
            y -= bh;
            let _ = write!(
                s,
                r#"<rect class="{class}" x="{x:.1}" y="{y:.1}" width="{bar_w:.1}" height="{bh:.1}"/>"#
            );
        }
        let _ = write!(
            s,
            r#"<text class="axis" x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            x + bar_w / 2.0,
            h - bottom + 18.0,
            esc(&b.label)
        );
    }
    s.push_str("</svg>");
    s
}

/// Horizontal stacked bars (one per entry), scaled to the largest.
pub fn stacked_rows(id: &str, title: &str, desc: &str, bars: &[Bar]) -> String {
    let (w, row_h, label_w) = (760.0_f64, 26.0_f64, 260.0_f64);
    let h = row_h * bars.len().max(1) as f64 + 8.0;
    let max = bars
        .iter()
        .map(|b| b.parts.iter().map(|p| p.0).sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let plot_w = w - label_w - 48.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg id="{id}" class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-t {id}-d"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        esc(title),
        esc(desc)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = 4.0 + row_h * i as f64;
        let label: String = b.label.chars().take(36).collect();
        let _ = write!(
            s,
            r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            label_w - 8.0,
            y + row_h * 0.62,
            esc(&label)
        );
        let mut x = label_w;
        for &(v, class) in &b.parts {
            if v == 0 {
                continue;
            }
            let bw = plot_w * v as f64 / max;
            let _ = write!(
                s,
                r#"<rect class="{class}" x="{x:.1}" y="{:.1}" width="{bw:.1}" height="{:.1}"/>"#,
                y + 3.0,
                row_h - 8.0
            );
            x += bw;
        }
        let total: u64 = b.parts.iter().map(|p| p.0).sum();
        let _ = write!(
            s,
            r#"<text class="axis" x="{:.1}" y="{:.1}">{total}</text>"#,
            x + 6.0,
            y + row_h * 0.62
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_bounds_are_round() {
        assert_eq!(nice_max(0), 1);
        assert_eq!(nice_max(7), 10);
        assert_eq!(nice_max(120), 200);
        assert_eq!(nice_max(500), 500);
    }

    #[test]
    fn bars_are_proportional_and_labels_escaped() {
        let bars = [
            Bar {
                label: "<a>".into(),
                parts: vec![(5, "k-answer"), (5, "k-decline")],
            },
            Bar {
                label: "b".into(),
                parts: vec![(5, "k-answer")],
            },
        ];
        let svg = stacked_columns("c", "T", "D", &bars);
        assert!(svg.contains("&lt;a&gt;") && !svg.contains("<a>"));
        // Axis 10, plot height 232: 5 is half of it.
        assert_eq!(svg.matches(r#"height="116.0""#).count(), 3, "{svg}");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }
}
