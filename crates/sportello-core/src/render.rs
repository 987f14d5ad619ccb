//! Markdown answers rendered as safe HTML (for web and Telegram) or plain text (for chats).
//!
//! Safety does not rely on a sanitizer pass: raw HTML in the Markdown is never emitted (it is
//! shown as text), links keep only `http`, `https`, `mailto`, `tel` and relative targets, and
//! images become their alt text (no third-party requests from an answer).
//!
//! The Markdown renderer is behind the default `markdown` feature. The wasm build leaves it
//! out: its bundles carry every answer already rendered by `sportello build` ([`Rendered`]).

#[cfg(feature = "markdown")]
use pulldown_cmark::{html, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};

/// An entry's answer, rendered once: safe HTML and plain text for chats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Rendered {
    pub html: String,
    pub text: String,
}

/// Renders an entry's answer; the plain text is the editor's short answer when there is one.
#[cfg(feature = "markdown")]
pub fn render_entry(entry: &crate::kb::Entry) -> Rendered {
    Rendered {
        html: markdown_to_html(&entry.answer),
        text: entry
            .short_answer
            .clone()
            .unwrap_or_else(|| markdown_to_text(&entry.answer)),
    }
}

/// True for link targets that cannot run script: http(s), mailto, tel, or relative.
pub fn is_safe_url(url: &str) -> bool {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    let lower = cleaned.to_ascii_lowercase();
    match lower.find(':') {
        None => true,
        Some(colon) => {
            // A ':' after a path, query or fragment start is not a scheme.
            if lower[..colon].contains(['/', '?', '#']) {
                return true;
            }
            matches!(&lower[..colon], "http" | "https" | "mailto" | "tel")
        }
    }
}

#[cfg(feature = "markdown")]
fn safe_events(markdown: &str) -> Vec<Event<'_>> {
    let parser = Parser::new_ext(
        markdown,
        Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES,
    );
    let mut out = Vec::new();
    // Depth of links or images being dropped (their text is kept).
    let mut dropped: Vec<bool> = Vec::new();
    for event in parser {
        match event {
            Event::Html(h) | Event::InlineHtml(h) => out.push(Event::Text(h)),
            Event::Start(Tag::Image { .. }) => dropped.push(true),
            Event::End(TagEnd::Image) => {
                dropped.pop();
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                if is_safe_url(&dest_url) {
                    dropped.push(false);
                    out.push(Event::Start(Tag::Link {
                        link_type: if link_type == LinkType::Email {
                            LinkType::Email
                        } else {
                            link_type
                        },
                        dest_url,
                        title,
                        id,
                    }));
                } else {
                    dropped.push(true);
                }
            }
            Event::End(TagEnd::Link) => {
                if dropped.pop() == Some(false) {
                    out.push(Event::End(TagEnd::Link));
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(feature = "markdown")]
/// Renders Markdown to HTML that is safe to insert into a page.
pub fn markdown_to_html(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, safe_events(markdown).into_iter());
    // Links open outside the widget without giving the target page a handle on it.
    out.replace(
        "<a href=",
        "<a rel=\"noopener noreferrer\" target=\"_blank\" href=",
    )
}

#[cfg(feature = "markdown")]
/// Renders Markdown to plain text for chat apps: paragraphs separated by blank lines,
/// list items with "• ", links as "text (url)".
pub fn markdown_to_text(markdown: &str) -> String {
    let mut out = String::new();
    let mut link_stack: Vec<CowStr> = Vec::new();
    for event in safe_events(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak => out.push(' '),
            Event::HardBreak => out.push('\n'),
            Event::Start(Tag::Item) => out.push_str("• "),
            Event::End(TagEnd::Item) => out.push('\n'),
            Event::End(TagEnd::Paragraph) | Event::End(TagEnd::Heading(_)) => out.push_str("\n\n"),
            Event::End(TagEnd::List(_)) => out.push('\n'),
            Event::Start(Tag::Link { dest_url, .. }) => link_stack.push(dest_url),
            Event::End(TagEnd::Link) => {
                if let Some(url) = link_stack.pop() {
                    let url = url.strip_prefix("mailto:").unwrap_or(&url).to_string();
                    if !out.ends_with(&url) {
                        out.push_str(&format!(" ({url})"));
                    }
                }
            }
            _ => {}
        }
    }
    let mut text = out.trim().to_string();
    while text.contains("\n\n\n") {
        text = text.replace("\n\n\n", "\n\n");
    }
    text
}

#[cfg(all(test, feature = "markdown"))]
mod tests {
    use super::*;

    #[test]
    fn keeps_formatting_and_safe_links() {
        let h = markdown_to_html("Costa **22 euro**. [Prenota](https://example.org/p)");
        assert!(h.contains("<strong>22 euro</strong>"), "{h}");
        assert!(h.contains("href=\"https://example.org/p\""), "{h}");
    }

    #[test]
    fn never_emits_script_or_handlers() {
        let md = "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)> [x](javascript:alert(1)) [y]( JaVa\tscript:alert(2)) ![i](https://tracker.example/p.png)";
        let h = markdown_to_html(md);
        assert!(!h.contains("<script"), "{h}");
        assert!(!h.contains("<img"), "{h}");
        assert!(!h.to_lowercase().contains("href=\"javascript"), "{h}");
        assert!(!h.contains("tracker.example"), "{h}");
        assert!(h.contains("&lt;script&gt;"), "{h}");
    }

    #[test]
    fn url_schemes() {
        assert!(is_safe_url("https://a.it"));
        assert!(is_safe_url("mailto:urp@a.it"));
        assert!(is_safe_url("/servizi/cie"));
        assert!(is_safe_url("pagina?x=a:b"));
        assert!(!is_safe_url("javascript:alert(1)"));
        assert!(!is_safe_url(" java\nscript:alert(1)"));
        assert!(!is_safe_url("data:text/html,x"));
    }

    #[test]
    fn plain_text() {
        let t =
            markdown_to_text("Serve:\n\n- la foto\n- il documento\n\n[Prenota](https://e.it/p)");
        assert_eq!(
            t,
            "Serve:\n\n• la foto\n• il documento\n\nPrenota (https://e.it/p)"
        );
    }
}
