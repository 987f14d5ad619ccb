//! The XLM-R SentencePiece unigram tokenizer, from the vocabulary and scores in the model file.
//!
//! Text is normalised code point by code point with the file's map (NFKC-like replacements),
//! runs of spaces are collapsed, a leading "▁" is added and spaces become "▁"; then the
//! segmentation with the highest total piece score is found by dynamic programming over
//! characters (Viterbi), an unknown character costing the lowest piece score minus 10.

use crate::error::ModelError;
use crate::file::Cursor;
use std::collections::HashMap;

const META: char = '\u{2581}';

pub(crate) struct Tokenizer {
    /// Byte offsets of each piece in `blob` (`n + 1` values).
    offsets: Vec<u32>,
    scores: Vec<f32>,
    blob: Vec<u8>,
    /// Open addressing: piece index + 1, 0 for empty.
    table: Vec<u32>,
    normalize: HashMap<char, Vec<char>>,
    pub bos: u32,
    pub eos: u32,
    unk: u32,
    unk_score: f32,
    max_piece_bytes: usize,
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Tokenizer {
    pub(crate) fn read(c: &mut Cursor) -> Result<Tokenizer, ModelError> {
        let n = c.usize("piece count")?;
        let bos = c.u32("bos id")?;
        let eos = c.u32("eos id")?;
        let _pad = c.u32("pad id")?;
        let unk = c.u32("unk id")?;
        let blob_len = c.u64("piece bytes")? as usize;
        let offsets: Vec<u32> = c
            .take((n + 1) * 4, "piece offsets")?
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let scores: Vec<f32> = c
            .take(n * 4, "piece scores")?
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let blob = c.take(blob_len, "pieces")?.to_vec();
        let ordered = offsets.windows(2).all(|w| w[0] <= w[1]);
        if !ordered || offsets.last().map(|&o| o as usize) != Some(blob.len()) {
            return Err(ModelError::Format("piece offsets out of order".into()));
        }
        if [bos, eos, unk].iter().any(|&id| id as usize >= n) {
            return Err(ModelError::Format("special token ids out of range".into()));
        }
        let normalize = read_normalization(c)?;
        let min = scores.iter().copied().fold(f32::INFINITY, f32::min);
        let max_piece_bytes = offsets.windows(2).map(|w| (w[1] - w[0]) as usize).max();
        let mut t = Tokenizer {
            table: vec![0; (n * 2).next_power_of_two().max(2)],
            offsets,
            scores,
            blob,
            normalize,
            bos,
            eos,
            unk,
            unk_score: min - 10.0,
            max_piece_bytes: max_piece_bytes.unwrap_or(1),
        };
        let mask = t.table.len() - 1;
        for i in 0..n {
            let piece = t.piece(i);
            if piece.is_empty() {
                continue;
            }
            let mut h = fnv1a(piece) as usize & mask;
            while t.table[h] != 0 {
                h = (h + 1) & mask;
            }
            t.table[h] = i as u32 + 1;
        }
        Ok(t)
    }

    fn piece(&self, i: usize) -> &[u8] {
        &self.blob[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    fn lookup(&self, bytes: &[u8]) -> Option<usize> {
        let mask = self.table.len() - 1;
        let mut h = fnv1a(bytes) as usize & mask;
        loop {
            let v = self.table[h] as usize;
            if v == 0 {
                return None;
            }
            if self.piece(v - 1) == bytes {
                return Some(v - 1);
            }
            h = (h + 1) & mask;
        }
    }

    /// The normalised text with "▁" for spaces, and the byte offset where each character starts
    /// (plus the end).
    fn normalized(&self, text: &str) -> (String, Vec<usize>) {
        let mut chars: Vec<char> = Vec::with_capacity(text.len() + 1);
        for ch in text.chars() {
            match self.normalize.get(&ch) {
                Some(repl) => chars.extend_from_slice(repl),
                None => chars.push(ch),
            }
        }
        chars.dedup_by(|b, a| *a == ' ' && *b == ' ');
        let mut out = String::with_capacity(text.len() + 3);
        let mut starts = Vec::with_capacity(chars.len() + 2);
        if chars.first() != Some(&' ') {
            starts.push(0);
            out.push(META);
        }
        for ch in chars {
            starts.push(out.len());
            out.push(if ch == ' ' { META } else { ch });
        }
        starts.push(out.len());
        (out, starts)
    }

    /// Piece ids of `text`, without the sentence markers.
    pub(crate) fn encode(&self, text: &str) -> Vec<u32> {
        let (buf, starts) = self.normalized(text);
        let bytes = buf.as_bytes();
        let n = starts.len() - 1;
        let mut best = vec![f32::NEG_INFINITY; n + 1];
        // (piece id or None for unknown, start character) of the best path ending here.
        let mut back: Vec<(Option<usize>, usize)> = vec![(None, 0); n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] == f32::NEG_INFINITY {
                continue;
            }
            for e in i + 1..=n {
                let len = starts[e] - starts[i];
                if len > self.max_piece_bytes {
                    break;
                }
                if let Some(id) = self.lookup(&bytes[starts[i]..starts[e]]) {
                    let score = best[i] + self.scores[id];
                    if id != self.unk as usize && score > best[e] {
                        best[e] = score;
                        back[e] = (Some(id), i);
                    }
                }
            }
            let score = best[i] + self.unk_score;
            if score > best[i + 1] {
                best[i + 1] = score;
                back[i + 1] = (None, i);
            }
        }
        let mut ids = Vec::with_capacity(n);
        let mut i = n;
        while i > 0 {
            let (id, from) = back[i];
            ids.push(id.map_or(self.unk, |id| id as u32));
            i = from;
        }
        ids.reverse();
        ids
    }
}

/// The normalisation map: (code point u32, count u8, count × code point u32) records.
fn read_normalization(c: &mut Cursor) -> Result<HashMap<char, Vec<char>>, ModelError> {
    let n = c.usize("normalisation entries")?;
    let len = c.u32("normalisation bytes")? as usize;
    let mut m = Cursor::new(c.take(len, "normalisation map")?);
    let mut map = HashMap::with_capacity(n.min(1 << 16));
    let ch =
        |v: u32| char::from_u32(v).ok_or_else(|| ModelError::Format(format!("code point {v:#x}")));
    for _ in 0..n {
        let from = ch(m.u32("normalised code point")?)?;
        let count = m.u8("replacement length")?;
        let to = (0..count)
            .map(|_| m.u32("replacement code point").and_then(ch))
            .collect::<Result<Vec<_>, _>>()?;
        map.insert(from, to);
    }
    Ok(map)
}
