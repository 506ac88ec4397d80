//! Our own binary cache of a [`Model`]: the trie's arrays as little-endian words, so a
//! large ARPA file is parsed once and later loads are a read and a checksum.
//!
//! Layout (version 1): magic `DIALEKT-LM\n`, version `u32`, the SHA-256 of the ARPA file
//! the model came from, order `u32`, vocabulary size `u32`, the declared count of each
//! order (`u64`), the vocabulary (byte length `u64`, UTF-8 bytes, end offset `u32` per
//! word), one byte per word for pyctcdecode's unigram list, then per level its length
//! (`u64`) and arrays (child words except at level 1, probabilities, and at orders below
//! the highest: backoffs and child offsets), and last a SHA-256 of everything before it.
//! A cache whose ARPA hash differs from the ARPA at hand is stale and rebuilt; one that
//! fails its checksum or its structural checks is an error naming the file.

use std::io::{Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::error::LmError;
use super::model::{Level, MAX_ORDER, Model};
use crate::table::Interner;

const MAGIC: &[u8; 11] = b"DIALEKT-LM\n";
const VERSION: u32 = 1;
/// Magic, version and ARPA hash: enough to tell whether a cache is current.
const HEADER_BYTES: usize = MAGIC.len() + 4 + 32;

/// Writes through to `inner` and hashes what it writes.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.hasher.update(&bytes[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn put_u32s(out: &mut impl Write, values: &[u32]) -> std::io::Result<()> {
    for chunk in values.chunks(4096) {
        let bytes: Vec<u8> = chunk.iter().flat_map(|v| v.to_le_bytes()).collect();
        out.write_all(&bytes)?;
    }
    Ok(())
}

fn put_f32s(out: &mut impl Write, values: &[f32]) -> std::io::Result<()> {
    for chunk in values.chunks(4096) {
        let bytes: Vec<u8> = chunk.iter().flat_map(|v| v.to_le_bytes()).collect();
        out.write_all(&bytes)?;
    }
    Ok(())
}

fn serialize(model: &Model, out: impl Write) -> std::io::Result<()> {
    let mut out = HashingWriter {
        inner: out,
        hasher: Sha256::new(),
    };
    out.write_all(MAGIC)?;
    out.write_all(&VERSION.to_le_bytes())?;
    out.write_all(&model.source_sha256)?;
    out.write_all(&(model.order as u32).to_le_bytes())?;
    out.write_all(&(model.vocab.len() as u32).to_le_bytes())?;
    for &count in &model.counts {
        out.write_all(&count.to_le_bytes())?;
    }
    let words: Vec<&str> = (0..model.vocab.len() as u32)
        .map(|id| model.vocab.get(id))
        .collect();
    let total: usize = words.iter().map(|word| word.len()).sum();
    out.write_all(&(total as u64).to_le_bytes())?;
    let mut ends = Vec::with_capacity(words.len());
    let mut end = 0u32;
    for word in &words {
        out.write_all(word.as_bytes())?;
        end += word.len() as u32;
        ends.push(end);
    }
    put_u32s(&mut out, &ends)?;
    let listed: Vec<u8> = model
        .three_tab_unigrams
        .iter()
        .map(|&l| u8::from(l))
        .collect();
    out.write_all(&listed)?;
    for (index, level) in model.levels.iter().enumerate() {
        out.write_all(&(level.len() as u64).to_le_bytes())?;
        if index > 0 {
            put_u32s(&mut out, &level.words)?;
        }
        put_f32s(&mut out, &level.probs)?;
        if index + 1 < model.order {
            put_f32s(&mut out, &level.backoffs)?;
            put_u32s(&mut out, &level.children)?;
        }
    }
    let checksum = out.hasher.clone().finalize();
    out.inner.write_all(&checksum)?;
    out.flush()
}

/// Write the cache of `model` to `path` atomically (temporary file, then rename).
pub fn write(model: &Model, path: &Path) -> Result<(), LmError> {
    Ok(dialekt_core::atomic::write_streaming(path, |out| {
        serialize(model, out)
    })?)
}

/// The ARPA hash a cache file records, or `None` if it is not (a readable) one of ours.
pub fn recorded_source(path: &Path) -> Option<[u8; 32]> {
    let mut header = [0u8; HEADER_BYTES];
    std::fs::File::open(path)
        .ok()?
        .read_exact(&mut header)
        .ok()?;
    if &header[..MAGIC.len()] != MAGIC
        || header[MAGIC.len()..MAGIC.len() + 4] != VERSION.to_le_bytes()
    {
        return None;
    }
    header[MAGIC.len() + 4..].try_into().ok()
}

/// Read a cache file written by [`write()`].
pub fn read(path: &Path) -> Result<Model, LmError> {
    let bytes = std::fs::read(path).map_err(|source| LmError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(&bytes).map_err(|reason| LmError::Cache {
        path: path.to_owned(),
        reason,
    })
}

/// A cursor over the cache bytes; every read is bounds-checked.
struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, count: usize) -> Result<&'a [u8], String> {
        if count > self.bytes.len() {
            return Err("file is truncated".to_owned());
        }
        let (head, tail) = self.bytes.split_at(count);
        self.bytes = tail;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, String> {
        let bytes = self.take(4)?;
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    fn u64(&mut self) -> Result<u64, String> {
        let bytes = self.take(8)?;
        let mut array = [0u8; 8];
        array.copy_from_slice(bytes);
        Ok(u64::from_le_bytes(array))
    }

    fn len(&mut self) -> Result<usize, String> {
        usize::try_from(self.u64()?).map_err(|_| "length overflows".to_owned())
    }

    fn u32s(&mut self, count: usize) -> Result<Vec<u32>, String> {
        let bytes = self.take(count.checked_mul(4).ok_or("length overflows")?)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    fn f32s(&mut self, count: usize) -> Result<Vec<f32>, String> {
        let bytes = self.take(count.checked_mul(4).ok_or("length overflows")?)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
}

fn parse(bytes: &[u8]) -> Result<Model, String> {
    if bytes.len() < HEADER_BYTES + 32 || &bytes[..MAGIC.len()] != MAGIC {
        return Err("not a dialekt LM cache".to_owned());
    }
    let (body, checksum) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(body).as_slice() != checksum {
        return Err("checksum mismatch (damaged file)".to_owned());
    }
    let mut cursor = Cursor {
        bytes: &body[MAGIC.len()..],
    };
    let version = cursor.u32()?;
    if version != VERSION {
        return Err(format!("format version {version}, expected {VERSION}"));
    }
    let mut source_sha256 = [0u8; 32];
    source_sha256.copy_from_slice(cursor.take(32)?);
    let order = cursor.u32()? as usize;
    if !(1..=MAX_ORDER).contains(&order) {
        return Err(format!("order {order} out of range"));
    }
    let vocab_size = cursor.u32()? as usize;
    let counts = (0..order)
        .map(|_| cursor.u64())
        .collect::<Result<Vec<_>, _>>()?;
    let text_bytes = cursor.len()?;
    let text =
        std::str::from_utf8(cursor.take(text_bytes)?).map_err(|_| "vocabulary is not UTF-8")?;
    let ends = cursor.u32s(vocab_size)?;
    let mut words = Vec::with_capacity(vocab_size);
    let mut start = 0usize;
    for &end in &ends {
        let end = end as usize;
        let word = text
            .get(start..end)
            .ok_or("vocabulary offsets are out of order")?;
        words.push(word);
        start = end;
    }
    if start != text.len() {
        return Err("vocabulary offsets do not cover the text".to_owned());
    }
    let vocab = Interner::from_strings(words.iter().copied());
    if vocab.len() != vocab_size {
        return Err("vocabulary lists a word twice".to_owned());
    }
    let bos = vocab.find("<s>").ok_or("no <s> in the vocabulary")?;
    let eos = vocab.find("</s>").ok_or("no </s> in the vocabulary")?;
    let three_tab_unigrams = cursor.take(vocab_size)?.iter().map(|&b| b != 0).collect();
    let mut levels: Vec<Level> = Vec::with_capacity(order);
    for index in 0..order {
        let length = cursor.len()?;
        let expected = levels
            .last()
            .and_then(|level| level.children.last())
            .map_or(vocab_size, |&end| end as usize);
        if length != expected {
            return Err(format!(
                "level {} has {length} nodes, expected {expected}",
                index + 1
            ));
        }
        let words = if index > 0 {
            cursor.u32s(length)?
        } else {
            Vec::new()
        };
        if words.iter().any(|&word| word as usize >= vocab_size) {
            return Err(format!(
                "level {} names a word outside the vocabulary",
                index + 1
            ));
        }
        let probs = cursor.f32s(length)?;
        let (backoffs, children) = if index + 1 < order {
            let backoffs = cursor.f32s(length)?;
            let children = cursor.u32s(length + 1)?;
            if children.first() != Some(&0) || children.windows(2).any(|w| w[0] > w[1]) {
                return Err(format!(
                    "level {} child offsets are not increasing",
                    index + 1
                ));
            }
            (backoffs, children)
        } else {
            (Vec::new(), Vec::new())
        };
        levels.push(Level {
            words,
            probs,
            backoffs,
            children,
        });
    }
    if !cursor.bytes.is_empty() {
        return Err("trailing bytes".to_owned());
    }
    Ok(Model {
        order,
        vocab,
        levels,
        bos,
        eos,
        counts,
        three_tab_unigrams,
        source_sha256,
    })
}
