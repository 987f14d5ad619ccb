//! 4-bit weights and the int8 × int4 matrix product.
//!
//! Weights come in Q4_0 blocks of 32 (an fp16 scale, 16 bytes of nibbles, each weight
//! `(nibble - 8) × scale`). At load they are unpacked once to signed bytes with one f32 scale
//! per block (a quarter of the f32 size). Activations are quantised per block of 32 to int8 with
//! their own scale (Q8_0), so each output is a sum over blocks of
//! `scale_w × scale_a × Σ w_i8 × a_i8`: integer multiply-adds, no f32 weights anywhere.

pub(crate) const QK: usize = 32;
/// Bytes of one Q4_0 block in the file: the fp16 scale and 16 bytes of nibbles.
pub(crate) const BLOCK_BYTES: usize = 18;

/// IEEE half precision to f32 (normal, subnormal, infinite and NaN values).
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let man = f32::from(h & 0x3ff);
    match exp {
        0 => sign * man * 2f32.powi(-24),
        31 if man == 0.0 => sign * f32::INFINITY,
        31 => f32::NAN,
        _ => sign * (1.0 + man / 1024.0) * 2f32.powi(exp - 15),
    }
}

/// Decodes one Q4_0 block: its scale and its 32 signed weights.
fn block(bytes: &[u8]) -> (f32, [i8; QK]) {
    let d = f16_to_f32(u16::from_le_bytes([bytes[0], bytes[1]]));
    let mut w = [0i8; QK];
    for j in 0..16 {
        let q = bytes[2 + j];
        w[j] = (q & 0x0f) as i8 - 8;
        w[j + 16] = (q >> 4) as i8 - 8;
    }
    (d, w)
}

/// Dequantises one row of Q4_0 blocks (e.g. a word embedding) into `out`.
pub(crate) fn dequantize_row(bytes: &[u8], out: &mut [f32]) {
    for (chunk, o) in bytes
        .chunks_exact(BLOCK_BYTES)
        .zip(out.chunks_exact_mut(QK))
    {
        let (d, w) = block(chunk);
        for (o, &w) in o.iter_mut().zip(&w) {
            *o = f32::from(w) * d;
        }
    }
}

/// A weight matrix `[rows, cols]` unpacked to signed bytes, one scale per block of 32.
pub(crate) struct Matrix {
    pub rows: usize,
    pub cols: usize,
    weights: Vec<i8>,
    scales: Vec<f32>,
}

impl Matrix {
    pub(crate) fn from_q4(bytes: &[u8], rows: usize, cols: usize) -> Matrix {
        let blocks = rows * cols / QK;
        let mut weights = Vec::with_capacity(rows * cols);
        let mut scales = Vec::with_capacity(blocks);
        for chunk in bytes.chunks_exact(BLOCK_BYTES).take(blocks) {
            let (d, w) = block(chunk);
            scales.push(d);
            weights.extend_from_slice(&w);
        }
        Matrix {
            rows,
            cols,
            weights,
            scales,
        }
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.weights.len() + self.scales.len() * 4
    }
}

/// Activations `[tokens, cols]` quantised per block of 32 to int8.
#[derive(Default)]
pub(crate) struct Quantized {
    values: Vec<i8>,
    scales: Vec<f32>,
    cols: usize,
}

impl Quantized {
    pub(crate) fn quantize(&mut self, x: &[f32], cols: usize) {
        self.cols = cols;
        self.values.clear();
        self.scales.clear();
        for b in x.chunks_exact(QK) {
            let amax = b.iter().fold(0f32, |m, v| m.max(v.abs()));
            let d = amax / 127.0;
            let inv = if d > 0.0 { 1.0 / d } else { 0.0 };
            self.scales.push(d);
            self.values.extend(
                b.iter()
                    .map(|v| (v * inv).round_ties_even().clamp(-128.0, 127.0) as i8),
            );
        }
    }

    fn tokens(&self) -> usize {
        self.values.len().checked_div(self.cols).unwrap_or(0)
    }
}

/// `y[t, r] = bias[r] + Σ_c w[r, c] × x[t, c]` for every token t of `x`.
pub(crate) fn matmul(w: &Matrix, bias: &[f32], x: &Quantized, y: &mut Vec<f32>) {
    assert_eq!(x.cols, w.cols, "activation width must match the weights");
    y.clear();
    y.resize(x.tokens() * w.rows, 0.0);
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { matmul_avx2(w, bias, x, y) };
            return;
        }
    }
    matmul_generic(w, bias, x, y);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn matmul_avx2(w: &Matrix, bias: &[f32], x: &Quantized, y: &mut [f32]) {
    // The same code as the portable version, compiled with AVX2 so that the byte dot
    // products are vectorised 16 lanes wide.
    matmul_generic(w, bias, x, y);
}

#[inline(always)]
fn dot32(a: &[i8], b: &[i8]) -> i32 {
    let mut acc = 0i32;
    for (a, b) in a[..QK].iter().zip(&b[..QK]) {
        acc += i32::from(i16::from(*a) * i16::from(*b));
    }
    acc
}

#[inline(always)]
fn matmul_generic(w: &Matrix, bias: &[f32], x: &Quantized, y: &mut [f32]) {
    let cols = w.cols;
    let nb = cols / QK;
    let tokens = x.tokens();
    for r in 0..w.rows {
        let wr = &w.weights[r * cols..(r + 1) * cols];
        let ws = &w.scales[r * nb..(r + 1) * nb];
        for t in 0..tokens {
            let xr = &x.values[t * cols..(t + 1) * cols];
            let xs = &x.scales[t * nb..(t + 1) * nb];
            let mut acc = 0f32;
            for b in 0..nb {
                let s = dot32(&wr[b * QK..], &xr[b * QK..]);
                acc += ws[b] * xs[b] * s as f32;
            }
            y[t * w.rows + r] = bias[r] + acc;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision_values() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
        assert!(f16_to_f32(0x7e00).is_nan());
    }

    #[test]
    fn matmul_matches_f32_product_within_quantisation_error() {
        // Two rows of 64 weights: scale 0.5 (fp16 0x3800), nibbles cycling through 0..16.
        let mut bytes = Vec::new();
        for _ in 0..4 {
            bytes.extend_from_slice(&0x3800u16.to_le_bytes());
            bytes.extend((0..16u8).map(|j| j | ((15 - j) << 4)));
        }
        let m = Matrix::from_q4(&bytes, 2, 64);
        let mut dense = vec![0f32; 128];
        for r in 0..2 {
            dequantize_row(
                &bytes[r * 36..(r + 1) * 36],
                &mut dense[r * 64..(r + 1) * 64],
            );
        }
        let x: Vec<f32> = (0..64).map(|i| ((i * 7 % 13) as f32 - 6.0) / 3.0).collect();
        let mut q = Quantized::default();
        q.quantize(&x, 64);
        let mut y = Vec::new();
        matmul(&m, &[1.0, -1.0], &q, &mut y);
        for r in 0..2 {
            let exact: f32 =
                (0..64).map(|c| dense[r * 64 + c] * x[c]).sum::<f32>() + [1.0, -1.0][r];
            assert!((y[r] - exact).abs() < 0.05, "row {r}: {} vs {exact}", y[r]);
        }
    }
}
