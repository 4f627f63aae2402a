//! The model file: bytes ↔ [`Model`] (pure).
//!
//! All numbers little-endian:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `FLASHREL` |
//! | 8 | 4 | format version, u32 = 1 |
//! | 12 | 4 | bucket bits `b`, u32 (1..=24) |
//! | 16 | 4 | hash seed, u32 |
//! | 20 | 4 | words read from title and from body, u32 |
//! | 24 | 4 | bias, f32 |
//! | 28 | 4 · 2^b | weights, f32, by bucket |
//! | 28 + 4 · 2^b | 32 | SHA-256 of every byte before it |
//!
//! The length follows from the header, so a truncated or padded file is named as such before
//! the checksum is checked; any other damage fails the checksum.

use sha2::{Digest, Sha256};

use super::FormatError;
use super::features::Hashing;
use super::model::Model;

pub(crate) const MAGIC: &[u8; 8] = b"FLASHREL";
pub(crate) const VERSION: u32 = 1;
const HEADER: usize = 28;
const CHECKSUM: usize = 32;

pub(crate) fn to_bytes(model: &Model) -> Vec<u8> {
    let hashing = model.hashing();
    let mut out = Vec::with_capacity(HEADER + 4 * model.weights().len() + CHECKSUM);
    out.extend_from_slice(MAGIC);
    for field in [VERSION, hashing.buckets_log2, hashing.seed, hashing.max_words] {
        out.extend_from_slice(&field.to_le_bytes());
    }
    out.extend_from_slice(&model.bias().to_le_bytes());
    for w in model.weights() {
        out.extend_from_slice(&w.to_le_bytes());
    }
    let digest = Sha256::digest(&out);
    out.extend_from_slice(&digest);
    out
}

pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Model, FormatError> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(FormatError::Magic);
    }
    let header_length = FormatError::Length { expected: HEADER + CHECKSUM, actual: bytes.len() };
    let field = |at: usize| -> Result<[u8; 4], FormatError> {
        bytes.get(at..at + 4).and_then(|b| b.try_into().ok()).ok_or(header_length.clone())
    };
    let version = u32::from_le_bytes(field(8)?);
    if version != VERSION {
        return Err(FormatError::Version(version));
    }
    let buckets_log2 = u32::from_le_bytes(field(12)?);
    if !(1..=24).contains(&buckets_log2) {
        return Err(FormatError::Buckets(buckets_log2));
    }
    let hashing = Hashing {
        buckets_log2,
        seed: u32::from_le_bytes(field(16)?),
        max_words: u32::from_le_bytes(field(20)?),
    };
    let bias = f32::from_le_bytes(field(24)?);
    let expected = HEADER + 4 * hashing.dims() + CHECKSUM;
    if bytes.len() != expected {
        return Err(FormatError::Length { expected, actual: bytes.len() });
    }
    let (body, checksum) = bytes.split_at(expected - CHECKSUM);
    if Sha256::digest(body).as_slice() != checksum {
        return Err(FormatError::Checksum);
    }
    let weights: Vec<f32> =
        body[HEADER..].chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    if let Some(at) = weights.iter().position(|w| !w.is_finite()) {
        return Err(FormatError::NotFinite(at));
    }
    if !bias.is_finite() {
        return Err(FormatError::NotFinite(weights.len()));
    }
    Ok(Model::new(hashing, weights, bias))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Model {
        let hashing = Hashing { buckets_log2: 4, seed: 3, max_words: 50 };
        #[expect(clippy::cast_precision_loss, reason = "small test values")]
        let weights = (0..16).map(|i| i as f32 / 8.0 - 1.0).collect();
        Model::new(hashing, weights, 0.25)
    }

    #[test]
    fn round_trips() {
        let bytes = to_bytes(&small());
        assert_eq!(bytes.len(), 28 + 64 + 32);
        assert_eq!(&bytes[..12], b"FLASHREL\x01\x00\x00\x00");
        assert_eq!(from_bytes(&bytes).unwrap(), small());
    }

    #[test]
    fn damaged_bytes_are_named() {
        let good = to_bytes(&small());
        let with = |at: usize, byte: u8| {
            let mut b = good.clone();
            b[at] = byte;
            b
        };
        let nan = {
            let mut b = good[..good.len() - 32].to_vec();
            b[28..32].copy_from_slice(&f32::NAN.to_le_bytes());
            let digest = Sha256::digest(&b);
            b.extend_from_slice(&digest);
            b
        };
        let cases: Vec<(Vec<u8>, FormatError)> = vec![
            (Vec::new(), FormatError::Magic),
            (b"GIF89a..".to_vec(), FormatError::Magic),
            (good[..10].to_vec(), FormatError::Length { expected: 60, actual: 10 }),
            (with(8, 2), FormatError::Version(2)),
            (with(12, 30), FormatError::Buckets(30)),
            (good[..good.len() - 1].to_vec(), FormatError::Length { expected: 124, actual: 123 }),
            ([good.as_slice(), b"\n"].concat(), FormatError::Length { expected: 124, actual: 125 }),
            (with(40, good[40] ^ 1), FormatError::Checksum),
            (with(good.len() - 1, good[good.len() - 1] ^ 1), FormatError::Checksum),
            (nan, FormatError::NotFinite(0)),
        ];
        for (bytes, want) in cases {
            assert_eq!(from_bytes(&bytes).unwrap_err(), want);
        }
    }
}
