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

/// `x` rounded to the nearest integer, ties to even, for |x| < 2²² (larger values, already
/// integers, are returned as they are): adding and taking away 1.5 × 2²³ leaves no fractional
/// bits. The same result as `f32::round_ties_even`, which is a libm call on a baseline x86-64
/// build and took 8% of an embedding.
#[inline(always)]
fn round_ties_even(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0;
    let r = (x + MAGIC) - MAGIC;
    if x.abs() < 4_194_304.0 {
        r
    } else {
        x
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
                    // ±127: |v × inv| ≤ 127 anyway, and −128 has no positive counterpart
                    // (the AVX2 product flips signs).
                    .map(|v| round_ties_even(v * inv).clamp(-127.0, 127.0) as i8),
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
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            unsafe { matmul_avx2(w, bias, x, y) };
            return;
        }
    }
    matmul_generic(w, bias, x, y);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn matmul_avx2(w: &Matrix, bias: &[f32], x: &Quantized, y: &mut [f32]) {
    use std::arch::x86_64::*;
    // Per block: the 32 byte products summed exactly to eight 32-bit lanes, scaled by
    // scale_w × scale_a and added into eight f32 lanes; one horizontal sum per output. The
    // closure inherits this function's target features.
    each_output(w, bias, x, y, |wr, ws, xr, xs| {
        // SAFETY: AVX2 and FMA are enabled here, and so in what is called.
        unsafe {
            let mut acc = _mm256_setzero_ps();
            for (b, (ws, xs)) in ws.iter().zip(xs).enumerate() {
                let lanes = block_lanes(&wr[b * QK..(b + 1) * QK], &xr[b * QK..(b + 1) * QK]);
                acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(lanes), _mm256_set1_ps(ws * xs), acc);
            }
            hsum(acc)
        }
    });
}

/// The sum of eight f32 lanes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn hsum(v: std::arch::x86_64::__m256) -> f32 {
    use std::arch::x86_64::*;
    let half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    let two = _mm_add_ps(half, _mm_movehl_ps(half, half));
    _mm_cvtss_f32(_mm_add_ss(two, _mm_shuffle_ps(two, two, 0b01)))
}

/// The products `w_i × a_i` of one block of 32, summed exactly in eight 32-bit lanes, with
/// weights in −8…7 (4-bit) and activations in −127…127 (as [`Quantized::quantize`] makes
/// them): `maddubs` multiplies |w| (unsigned) by a × sign(w), and a pair of products is at most
/// 2 × 8 × 127, so its 16-bit sum never saturates.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn block_lanes(w: &[i8], a: &[i8]) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    assert!(w.len() >= QK && a.len() >= QK);
    // SAFETY: both slices hold at least 32 bytes (asserted); unaligned loads are allowed.
    unsafe {
        let vw = _mm256_loadu_si256(w.as_ptr().cast());
        let va = _mm256_loadu_si256(a.as_ptr().cast());
        let pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(vw, vw), _mm256_sign_epi8(va, vw));
        _mm256_madd_epi16(pairs, _mm256_set1_epi16(1))
    }
}

/// [`block_lanes`] summed to one integer (for the test against [`dot32`]).
#[cfg(all(test, target_arch = "x86_64"))]
#[target_feature(enable = "avx2")]
unsafe fn dot32_avx2(w: &[i8], a: &[i8]) -> i32 {
    let mut lanes = [0i32; 8];
    // SAFETY: AVX2 is enabled on this function; `lanes` is 32 bytes.
    unsafe {
        std::arch::x86_64::_mm256_storeu_si256(lanes.as_mut_ptr().cast(), block_lanes(w, a));
    }
    lanes.iter().sum()
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
    each_output(w, bias, x, y, |wr, ws, xr, xs| {
        let mut acc = 0f32;
        for (b, (ws, xs)) in ws.iter().zip(xs).enumerate() {
            acc += ws * xs * dot32(&wr[b * QK..], &xr[b * QK..]) as f32;
        }
        acc
    });
}

/// `y[t, r] = bias[r] + row_dot(weights and scales of row r, values and scales of token t)`
/// for every row and token: the loop both products share (inlined, so that `row_dot` is
/// compiled with the caller's target features).
#[inline(always)]
fn each_output(
    w: &Matrix,
    bias: &[f32],
    x: &Quantized,
    y: &mut [f32],
    row_dot: impl Fn(&[i8], &[f32], &[i8], &[f32]) -> f32,
) {
    let cols = w.cols;
    let nb = cols / QK;
    for r in 0..w.rows {
        let wr = &w.weights[r * cols..(r + 1) * cols];
        let ws = &w.scales[r * nb..(r + 1) * nb];
        for t in 0..x.tokens() {
            let xr = &x.values[t * cols..(t + 1) * cols];
            let xs = &x.scales[t * nb..(t + 1) * nb];
            y[t * w.rows + r] = bias[r] + row_dot(wr, ws, xr, xs);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_block_dot_product_equals_the_portable_one() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            eprintln!("SKIPPED: no AVX2 on this CPU");
            return;
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..2000 {
            let w: Vec<i8> = (0..QK).map(|_| (next() % 16) as i8 - 8).collect();
            let a: Vec<i8> = (0..QK)
                .map(|_| match round % 3 {
                    0 => -127,
                    1 => 127,
                    _ => ((next() % 255) as i16 - 127) as i8,
                })
                .collect();
            // SAFETY: AVX2 was detected above.
            let fast = unsafe { dot32_avx2(&w, &a) };
            assert_eq!(fast, dot32(&w, &a), "w {w:?} a {a:?}");
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_product_equals_the_portable_one_for_any_token_count() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            eprintln!("SKIPPED: no AVX2 on this CPU");
            return;
        }
        if !std::arch::is_x86_feature_detected!("fma") {
            eprintln!("SKIPPED: no FMA on this CPU");
            return;
        }
        let (rows, cols) = (5, 96);
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut bytes = Vec::new();
        for _ in 0..rows * cols / QK {
            bytes.extend_from_slice(&0x2e66u16.to_le_bytes()); // about 0.1
            bytes.extend((0..16).map(|_| next() as u8));
        }
        let m = Matrix::from_q4(&bytes, rows, cols);
        let bias: Vec<f32> = (0..rows).map(|r| r as f32 * 0.25).collect();
        for tokens in 1..=9 {
            let x: Vec<f32> = (0..tokens * cols)
                .map(|_| (next() % 2001) as f32 / 1000.0 - 1.0)
                .collect();
            let mut q = Quantized::default();
            q.quantize(&x, cols);
            let mut fast = vec![0f32; tokens * rows];
            let mut portable = vec![0f32; tokens * rows];
            // SAFETY: AVX2 and FMA were detected above.
            unsafe { matmul_avx2(&m, &bias, &q, &mut fast) };
            matmul_generic(&m, &bias, &q, &mut portable);
            for (f, p) in fast.iter().zip(&portable) {
                assert!(
                    (f - p).abs() <= 1e-4 * p.abs().max(1.0),
                    "{tokens} tokens: {f} vs {p}"
                );
            }
        }
    }

    #[test]
    fn rounding_is_to_nearest_ties_to_even() {
        for x in [
            0.5f32, 1.5, 2.5, -0.5, -1.5, 126.5, -126.5, 0.49, -0.51, 127.0, 3.7, -3.2,
        ] {
            assert_eq!(round_ties_even(x), x.round_ties_even(), "{x}");
        }
        assert_eq!(round_ties_even(1e9), 1e9);
    }

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
