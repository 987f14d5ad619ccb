//! Integration tests: the real server on 127.0.0.1:0 driven by a real HTTP client with each
//! platform's payload shapes and signatures; a local HTTP server plays the Graph API. One
//! test binary (one link) for all of them.

mod common;

mod api;
mod broadcast;
mod meta;
mod notices;
mod pg;
mod privacy;
mod reload;
mod telegram;
