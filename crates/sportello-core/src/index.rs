//! The tantivy index of a knowledge base, built in RAM with one segment and no threads
//! (so the same code runs natively and in WASM).
//!
//! Documents: one per phrasing (`phrase`: the main question or an alternative) and one per
//! entry (`answer`, `tags` with the office). Documents are added in order, so a document id is
//! an index into [`KbIndex::docs`].

use crate::analysis::tokenizer::{ItalianTokenizer, NgramTokenizer, Prepared, ITALIAN, NGRAMS};
use crate::analysis::Analyzer;
use crate::kb::KnowledgeBase;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use tantivy::directory::{Directory, RamDirectory, TerminatingWrite};
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::{doc, Index, IndexSettings, ReloadPolicy, Searcher};

/// Memory budget of the single-segment writer. It only sizes the writer's initial term table
/// (a third of it; the table doubles when it fills), so a budget matched to the KB saves
/// allocating and zeroing megabytes, which was most of the index build time of a small KB in
/// the browser. One byte of budget per byte of KB text (a table slot per 24 bytes, more than
/// the distinct terms of ordinary text), between 256 KB and 4 MB.
fn writer_memory(kb: &KnowledgeBase) -> usize {
    let text_bytes: usize = kb
        .entries
        .iter()
        .map(|e| e.answer.len() + e.phrasings().map(str::len).sum::<usize>())
        .sum();
    text_bytes.clamp(256_000, 4_000_000)
}

/// The index's own file (schema, settings, segments), beside the segment files.
const META: &str = "meta.json";

/// What a document stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// A phrasing of the entry: 0 is the main question, then the alternatives.
    Phrasing(u32),
    /// The entry's answer and tags.
    Body,
}

/// One indexed document: which entry it belongs to and what it holds.
#[derive(Debug, Clone, Copy)]
pub struct DocMeta {
    pub entry: u32,
    pub kind: DocKind,
}

/// The index fields.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub phrase: Field,
    pub answer: Field,
    pub tags: Field,
    /// Character n-grams of the phrasing.
    pub grams: Field,
}

/// A built index and its searcher.
pub struct KbIndex {
    pub fields: Fields,
    pub searcher: Searcher,
    pub docs: Vec<DocMeta>,
    /// The files as stored (tantivy's managed directory hides their footers): what
    /// [`files`] reads.
    dir: RamDirectory,
}

/// Errors building the index (these are internal failures, not problems of the KB).
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("errore interno dell'indice: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error(
        "errore interno dell'indice: attesi {expected} documenti in un segmento, trovati {found}"
    )]
    Layout { expected: usize, found: usize },
    #[error("errore interno dell'indice: file non previsto «{0}» nei dati precalcolati")]
    File(String),
    #[error("errore interno dell'indice: {0}")]
    Io(#[from] std::io::Error),
    #[error("errore interno dell'indice: {0}")]
    Write(#[from] tantivy::directory::error::OpenWriteError),
}

fn text_field(tokenizer: &str, record: IndexRecordOption) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(record),
    )
}

/// Builds the index of `kb` with `analyzer`, taking the terms of texts already analysed from
/// `prepared` (see [`Prepared`]). `ngrams` adds the character n-gram field to phrasing documents.
pub fn build(
    kb: &KnowledgeBase,
    analyzer: Arc<Analyzer>,
    prepared: Prepared,
    ngrams: bool,
) -> Result<KbIndex, IndexError> {
    let mut sb = Schema::builder();
    let fields = Fields {
        phrase: sb.add_text_field("phrase", text_field(ITALIAN, IndexRecordOption::WithFreqs)),
        answer: sb.add_text_field("answer", text_field(ITALIAN, IndexRecordOption::WithFreqs)),
        tags: sb.add_text_field("tags", text_field(ITALIAN, IndexRecordOption::WithFreqs)),
        grams: sb.add_text_field("grams", text_field(NGRAMS, IndexRecordOption::WithFreqs)),
    };
    let settings = IndexSettings {
        docstore_compress_dedicated_thread: false,
        ..IndexSettings::default()
    };
    let dir = RamDirectory::default();
    let tokenizers = tantivy::tokenizer::TokenizerManager::default();
    tokenizers.register(
        ITALIAN,
        ItalianTokenizer::with_prepared(analyzer, prepared.clone()),
    );
    tokenizers.register(NGRAMS, NgramTokenizer);
    let mut writer = Index::builder()
        .schema(sb.build())
        .settings(settings)
        .tokenizers(tokenizers)
        .single_segment_index_writer(dir.clone(), writer_memory(kb))?;
    for e in &kb.entries {
        for text in e.phrasings() {
            let doc = if ngrams {
                doc!(fields.phrase => text, fields.grams => text)
            } else {
                doc!(fields.phrase => text)
            };
            writer.add_document(doc)?;
        }
        let mut tags = e.tags.join(" . ");
        if let Some(office) = &e.office {
            tags.push_str(" . ");
            tags.push_str(office);
        }
        writer.add_document(doc!(fields.answer => e.answer.as_str(), fields.tags => tags))?;
    }
    let docs = layout(kb);
    let index: Index = writer.finalize()?;
    // Whatever was not taken (repeated texts) is not needed any more.
    if let Ok(mut m) = prepared.lock() {
        *m = Default::default();
    }
    searchable(&index, fields, docs, dir)
}

/// The documents of `kb` in index order: each entry's phrasings, then its body.
fn layout(kb: &KnowledgeBase) -> Vec<DocMeta> {
    let mut docs = Vec::new();
    for (i, e) in kb.entries.iter().enumerate() {
        for p in 0..e.phrasings().count() {
            docs.push(DocMeta {
                entry: i as u32,
                kind: DocKind::Phrasing(p as u32),
            });
        }
        docs.push(DocMeta {
            entry: i as u32,
            kind: DocKind::Body,
        });
    }
    docs
}

/// The reader and searcher of a built or opened index, checked against the expected layout.
fn searchable(
    index: &Index,
    fields: Fields,
    docs: Vec<DocMeta>,
    dir: RamDirectory,
) -> Result<KbIndex, IndexError> {
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    let searcher = reader.searcher();
    let found = searcher.num_docs() as usize;
    if searcher.segment_readers().len() > 1 || found != docs.len() {
        return Err(IndexError::Layout {
            expected: docs.len(),
            found,
        });
    }
    Ok(KbIndex {
        fields,
        searcher,
        docs,
        dir,
    })
}

/// The files of a built index (meta.json and the segment's files), to be stored and opened
/// again with [`open`].
pub fn files(index: &KbIndex) -> Result<Vec<(String, Vec<u8>)>, IndexError> {
    let idx = index.searcher.index();
    let dir = &index.dir;
    let read_err = |e: tantivy::directory::error::OpenReadError| {
        IndexError::Tantivy(tantivy::TantivyError::from(e))
    };
    let mut out = vec![(
        META.to_string(),
        dir.atomic_read(Path::new(META)).map_err(read_err)?,
    )];
    use tantivy::index::SegmentComponent as C;
    let components = [
        C::Postings,
        C::Positions,
        C::Terms,
        C::Store,
        C::FastFields,
        C::FieldNorms,
        C::Delete,
    ];
    for meta in idx.searchable_segment_metas()? {
        for c in components.clone() {
            let path = meta.relative_path(c);
            if !dir.exists(&path).unwrap_or(false) {
                continue;
            }
            let bytes = dir.open_read(&path).map_err(read_err)?.read_bytes()?;
            out.push((
                path.to_string_lossy().into_owned(),
                bytes.as_slice().to_owned(),
            ));
        }
    }
    Ok(out)
}

/// Opens an index from the files [`files`] listed, for the same `kb` (its documents must be
/// laid out as [`build`] lays them).
pub fn open(kb: &KnowledgeBase, files: Vec<(String, Vec<u8>)>) -> Result<KbIndex, IndexError> {
    let dir = RamDirectory::create();
    for (name, bytes) in files {
        let path = Path::new(&name);
        // Only plain file names: the blob names files inside the index, nothing else.
        if path.components().count() != 1 || name.starts_with('.') {
            return Err(IndexError::File(name));
        }
        if name == META {
            dir.atomic_write(path, &bytes)?;
        } else {
            let mut w = dir.open_write(path)?;
            w.write_all(&bytes)?;
            w.terminate()?;
        }
    }
    let index = Index::open(dir.clone())?;
    let schema = index.schema();
    let field = |name: &str| schema.get_field(name).map_err(IndexError::Tantivy);
    let fields = Fields {
        phrase: field("phrase")?,
        answer: field("answer")?,
        tags: field("tags")?,
        grams: field("grams")?,
    };
    searchable(&index, fields, layout(kb), dir)
}

/// Collects every matching document with its score (the index is small; ranking is ours).
pub struct AllScores;

impl tantivy::collector::Collector for AllScores {
    type Fruit = Vec<(u32, f32)>;
    type Child = AllScoresSegment;

    fn for_segment(&self, _: u32, _: &tantivy::SegmentReader) -> tantivy::Result<AllScoresSegment> {
        Ok(AllScoresSegment(Vec::new()))
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(u32, f32)>>) -> tantivy::Result<Vec<(u32, f32)>> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

/// Per-segment half of [`AllScores`].
pub struct AllScoresSegment(Vec<(u32, f32)>);

impl tantivy::collector::SegmentCollector for AllScoresSegment {
    type Fruit = Vec<(u32, f32)>;

    fn collect(&mut self, doc: u32, score: f32) {
        self.0.push((doc, score));
    }

    fn harvest(self) -> Vec<(u32, f32)> {
        self.0
    }
}
