//! The precompiled character map of a `NormalizerSpec`: a darts-clone double-array trie
//! from UTF-8 byte strings to offsets into a block of NUL-terminated replacement strings
//! (nmt_nfkc and friends compiled by sentencepiece's builder).

/// `Normalizer::kMaxTrieResultsSize`.
const MAX_TRIE_RESULTS: usize = 32;

#[derive(Debug, Clone, Default)]
pub struct CharsMap {
    /// Darts-clone double-array units.
    units: Vec<u32>,
    /// NUL-separated replacement strings the trie values point into.
    replacements: Vec<u8>,
}

impl CharsMap {
    /// `DecodePrecompiledCharsMap`: a little-endian u32 trie size (a multiple of 1024
    /// bytes: whole blocks of 256 units), the trie units, then the NUL-terminated
    /// replacement strings. An empty blob is the empty map.
    pub fn decode(blob: &[u8]) -> Result<Self, String> {
        if blob.is_empty() {
            return Ok(Self::default());
        }
        let broken = |why: &str| format!("precompiled_charsmap is broken: {why}");
        let size_bytes: [u8; 4] = blob
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| broken("shorter than its size field"))?;
        let trie_size = u32::from_le_bytes(size_bytes) as usize;
        if trie_size >= blob.len() - 4 {
            return Err(broken("trie larger than the blob"));
        }
        if trie_size < 1024 || !trie_size.is_multiple_of(1024) {
            return Err(broken("trie size is not a multiple of 1024"));
        }
        let units = blob[4..4 + trie_size]
            .chunks_exact(4)
            .map(|chunk| u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
            .collect();
        let replacements = blob[4 + trie_size..].to_vec();
        if replacements.last() != Some(&0) {
            return Err(broken("replacements are not NUL-terminated"));
        }
        if replacements
            .split(|&b| b == 0)
            .any(|part| std::str::from_utf8(part).is_err())
        {
            return Err(broken("replacements are not UTF-8"));
        }
        Ok(Self {
            units,
            replacements,
        })
    }

    /// The longest rule matching a prefix of `input`: how many bytes it consumes and its
    /// replacement (the longest of darts-clone's first 32 `commonPrefixSearch` matches).
    pub fn longest_rule(&self, input: &[u8]) -> Option<(usize, &str)> {
        let (length, value) = self.longest_match(input)?;
        let tail = self.replacements.get(value..)?;
        let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
        // Whole replacements are validated at load time; an offset into the middle of a
        // character (only in a corrupt map) is treated as no rule.
        let replacement = std::str::from_utf8(&tail[..end]).ok()?;
        Some((length, replacement))
    }

    fn longest_match(&self, key: &[u8]) -> Option<(usize, usize)> {
        let unit = |pos: usize| self.units.get(pos).copied();
        let offset = |unit: u32| ((unit >> 10) << ((unit & (1 << 9)) >> 6)) as usize;
        let mut node = offset(unit(0)?);
        let mut best: Option<(usize, usize)> = None;
        let mut found = 0;
        for (i, &byte) in key.iter().enumerate() {
            node ^= usize::from(byte);
            let current = unit(node)?;
            if current & ((1 << 31) | 0xFF) != u32::from(byte) {
                break;
            }
            node ^= offset(current);
            if (current >> 8) & 1 == 1 {
                if found < MAX_TRIE_RESULTS {
                    let value = (unit(node)? & ((1 << 31) - 1)) as usize;
                    if best.is_none_or(|(length, _)| i + 1 > length) {
                        best = Some((i + 1, value));
                    }
                }
                found += 1;
            }
        }
        best.filter(|&(_, value)| value < self.replacements.len())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn empty_and_broken_blobs() {
        assert!(CharsMap::decode(b"").unwrap().longest_rule(b"a").is_none());
        let blob = |trie_size: u32, trie: usize, tail: &[u8]| {
            let mut blob = trie_size.to_le_bytes().to_vec();
            blob.resize(4 + trie, 0);
            blob.extend_from_slice(tail);
            blob
        };
        assert!(CharsMap::decode(&blob(1024, 1024, b"a\0")).is_ok());
        for (bad, why) in [
            (b"\x01\x00".to_vec(), "size field"),
            (blob(1024, 1000, b"a\0"), "larger"),
            (blob(1024, 1024, b""), "larger"),
            (blob(512, 512, b"a\0"), "multiple"),
            (blob(1024, 1024, b"a"), "NUL"),
            (blob(1024, 1024, b"\xff\0"), "UTF-8"),
        ] {
            let error = CharsMap::decode(&bad).unwrap_err();
            assert!(error.contains(why), "{error}");
        }
    }

    proptest! {
        #[test]
        fn lookups_never_panic(blob in proptest::collection::vec(any::<u8>(), 0..64), key in proptest::collection::vec(any::<u8>(), 0..16)) {
            if let Ok(map) = CharsMap::decode(&blob) {
                let _ = map.longest_rule(&key);
            }
        }
    }
}
