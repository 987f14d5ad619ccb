//! The BERT (XLM-R) encoder: embeddings, 12 layers of attention and feed-forward, mean pooling.

use crate::error::ModelError;
use crate::file::{self, Cursor, Header, Tensor};
use crate::quant::{self, Matrix, Quantized};
use crate::tokenizer::Tokenizer;

struct Layer {
    q: Matrix,
    q_b: Vec<f32>,
    k: Matrix,
    k_b: Vec<f32>,
    v: Matrix,
    v_b: Vec<f32>,
    out: Matrix,
    out_b: Vec<f32>,
    attn_norm: (Vec<f32>, Vec<f32>),
    ff_in: Matrix,
    ff_in_b: Vec<f32>,
    ff_out: Matrix,
    ff_out_b: Vec<f32>,
    out_norm: (Vec<f32>, Vec<f32>),
}

pub(crate) struct Model {
    pub h: Header,
    pub tokenizer: Tokenizer,
    /// Word embeddings, still Q4_0 as in the file (dequantised one row per token).
    word: Vec<u8>,
    pos: Vec<f32>,
    token_type: Vec<f32>,
    emb_norm: (Vec<f32>, Vec<f32>),
    layers: Vec<Layer>,
}

/// Scratch buffers of one forward pass.
#[derive(Default)]
struct Scratch {
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    ctx: Vec<f32>,
    tmp: Vec<f32>,
    mid: Vec<f32>,
    quant: Quantized,
    probs: Vec<f32>,
}

impl Model {
    pub(crate) fn parse(bytes: &[u8]) -> Result<Model, ModelError> {
        let mut c = Cursor::new(bytes);
        let h = file::header(&mut c)?;
        let tokenizer = Tokenizer::read(&mut c)?;
        let dir = file::directory(&mut c, bytes)?;
        let vocab = tokenizer_vocab(&dir, h.hidden)?;
        let f = |name: &str, n: usize| file::find(&dir, name, 0, n).map(file::f32s);
        let m = |name: &str, rows: usize, cols: usize| {
            file::find(&dir, name, 1, rows * cols).map(|t| Matrix::from_q4(t.bytes, rows, cols))
        };
        let (hd, ff) = (h.hidden, h.ff);
        let mut layers = Vec::with_capacity(h.layers);
        for l in 0..h.layers {
            let p = |s: &str| format!("l{l}.{s}");
            layers.push(Layer {
                q: m(&p("q.w"), hd, hd)?,
                q_b: f(&p("q.b"), hd)?,
                k: m(&p("k.w"), hd, hd)?,
                k_b: f(&p("k.b"), hd)?,
                v: m(&p("v.w"), hd, hd)?,
                v_b: f(&p("v.b"), hd)?,
                out: m(&p("ao.w"), hd, hd)?,
                out_b: f(&p("ao.b"), hd)?,
                attn_norm: (f(&p("aln.w"), hd)?, f(&p("aln.b"), hd)?),
                ff_in: m(&p("fi.w"), ff, hd)?,
                ff_in_b: f(&p("fi.b"), ff)?,
                ff_out: m(&p("fo.w"), hd, ff)?,
                ff_out_b: f(&p("fo.b"), hd)?,
                out_norm: (f(&p("oln.w"), hd)?, f(&p("oln.b"), hd)?),
            });
        }
        let word = file::find(&dir, "emb.word", 1, vocab * hd)?.bytes
            [..vocab * hd / quant::QK * quant::BLOCK_BYTES]
            .to_vec();
        Ok(Model {
            pos: f("emb.pos", h.max_positions * hd)?,
            token_type: f("emb.type", h.token_types * hd)?,
            emb_norm: (f("emb.ln.w", hd)?, f("emb.ln.b", hd)?),
            word,
            layers,
            tokenizer,
            h,
        })
    }

    /// Bytes held on the heap by the weights.
    pub(crate) fn heap_bytes(&self) -> usize {
        let mats: usize = self
            .layers
            .iter()
            .map(|l| {
                [&l.q, &l.k, &l.v, &l.out, &l.ff_in, &l.ff_out]
                    .iter()
                    .map(|m| m.heap_bytes())
                    .sum::<usize>()
            })
            .sum();
        mats + self.word.len() + self.pos.len() * 4
    }

    /// The mean over tokens of the last hidden states for one window of ids (markers included).
    pub(crate) fn mean_hidden(&self, ids: &[u32]) -> Vec<f32> {
        let hd = self.h.hidden;
        let t = ids.len();
        let block_bytes = hd / quant::QK * quant::BLOCK_BYTES;
        let mut x = vec![0f32; t * hd];
        for (i, &id) in ids.iter().enumerate() {
            let row = &mut x[i * hd..(i + 1) * hd];
            let id = id as usize;
            quant::dequantize_row(&self.word[id * block_bytes..(id + 1) * block_bytes], row);
            for ((r, p), ty) in row
                .iter_mut()
                .zip(&self.pos[i * hd..])
                .zip(&self.token_type)
            {
                *r += p + ty;
            }
        }
        layer_norm(&mut x, None, &self.emb_norm, hd, self.h.eps);
        let mut s = Scratch::default();
        for layer in &self.layers {
            self.layer(layer, &mut x, t, &mut s);
        }
        let mut mean = vec![0f32; hd];
        for row in x.chunks_exact(hd) {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v;
            }
        }
        mean.iter_mut().for_each(|m| *m /= t as f32);
        mean
    }

    fn layer(&self, l: &Layer, x: &mut [f32], t: usize, s: &mut Scratch) {
        let hd = self.h.hidden;
        s.quant.quantize(x, hd);
        quant::matmul(&l.q, &l.q_b, &s.quant, &mut s.q);
        quant::matmul(&l.k, &l.k_b, &s.quant, &mut s.k);
        quant::matmul(&l.v, &l.v_b, &s.quant, &mut s.v);
        self.attention(t, s);
        s.quant.quantize(&s.ctx, hd);
        quant::matmul(&l.out, &l.out_b, &s.quant, &mut s.tmp);
        layer_norm(x, Some(&s.tmp), &l.attn_norm, hd, self.h.eps);
        s.quant.quantize(x, hd);
        quant::matmul(&l.ff_in, &l.ff_in_b, &s.quant, &mut s.mid);
        s.mid.iter_mut().for_each(|v| *v = gelu(*v));
        s.quant.quantize(&s.mid, self.h.ff);
        quant::matmul(&l.ff_out, &l.ff_out_b, &s.quant, &mut s.tmp);
        layer_norm(x, Some(&s.tmp), &l.out_norm, hd, self.h.eps);
    }

    /// Scaled dot-product attention of every head over all tokens of the window.
    fn attention(&self, t: usize, s: &mut Scratch) {
        let hd = self.h.hidden;
        let dh = hd / self.h.heads;
        let scale = 1.0 / (dh as f32).sqrt();
        s.ctx.clear();
        s.ctx.resize(t * hd, 0.0);
        s.probs.resize(t, 0.0);
        for i in 0..t {
            for h in 0..self.h.heads {
                let q = &s.q[i * hd + h * dh..i * hd + (h + 1) * dh];
                let mut max = f32::NEG_INFINITY;
                for j in 0..t {
                    let k = &s.k[j * hd + h * dh..j * hd + (h + 1) * dh];
                    let d = q.iter().zip(k).map(|(a, b)| a * b).sum::<f32>() * scale;
                    s.probs[j] = d;
                    max = max.max(d);
                }
                let mut sum = 0.0;
                for p in &mut s.probs[..t] {
                    *p = (*p - max).exp();
                    sum += *p;
                }
                let ctx = &mut s.ctx[i * hd + h * dh..i * hd + (h + 1) * dh];
                for j in 0..t {
                    let p = s.probs[j] / sum;
                    let v = &s.v[j * hd + h * dh..j * hd + (h + 1) * dh];
                    for (c, v) in ctx.iter_mut().zip(v) {
                        *c += p * v;
                    }
                }
            }
        }
    }
}

/// The vocabulary size, from the word-embedding tensor.
fn tokenizer_vocab(dir: &[(String, Tensor)], hidden: usize) -> Result<usize, ModelError> {
    dir.iter()
        .find(|(n, _)| n == "emb.word")
        .map(|(_, t)| t.count / hidden)
        .ok_or_else(|| ModelError::MissingTensor("emb.word".into()))
}

/// `x = layernorm(x + y)` row by row (or of `x` alone).
fn layer_norm(
    x: &mut [f32],
    y: Option<&[f32]>,
    (w, b): &(Vec<f32>, Vec<f32>),
    hd: usize,
    eps: f32,
) {
    for (t, row) in x.chunks_exact_mut(hd).enumerate() {
        if let Some(y) = y {
            for (r, v) in row.iter_mut().zip(&y[t * hd..(t + 1) * hd]) {
                *r += v;
            }
        }
        let mean = row.iter().sum::<f32>() / hd as f32;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / hd as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((r, w), b) in row.iter_mut().zip(w).zip(b) {
            *r = (*r - mean) * inv * w + b;
        }
    }
}

/// The exact (erf) GELU.
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// The error function, Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7).
fn erf(x: f32) -> f32 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_8 + t * (-1.453_152 + t * 1.061_405_4))));
    let y = 1.0 - poly * (-x * x).exp();
    if x < 0.0 {
        -y
    } else {
        y
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn erf_values() {
        for (x, e) in [
            (0.0, 0.0),
            (0.5, 0.520_499_9),
            (1.0, 0.842_700_8),
            (-2.0, -0.995_322_3),
        ] {
            assert!((super::erf(x) - e).abs() < 2e-7, "erf({x})");
        }
    }
}
