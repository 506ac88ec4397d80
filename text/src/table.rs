//! Small open-addressing hash tables with a fixed hash function, for the hot lookups of
//! the language model and the beam search.
//!
//! `std`'s `HashMap` is banned in this workspace (its iteration order is random); these
//! tables are never iterated in hash order, and their hash is a fixed function of the key,
//! so every run does the same work. A `BTreeMap` would do, but a lookup per vocabulary
//! word and per beam extension is the inner loop of decoding, where a probe or two beats
//! a tree walk.

/// A key with a fixed 64-bit hash.
pub(crate) trait TableKey: Copy + Eq {
    fn hash64(&self) -> u64;
}

/// SplitMix64's finaliser: a cheap, well-mixing bijection on `u64`.
pub(crate) fn mix64(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// FNV-1a over bytes, finished with [`mix64`] so the low bits (the slot) are well mixed.
pub(crate) fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix64(hash)
}

impl TableKey for u64 {
    fn hash64(&self) -> u64 {
        mix64(*self)
    }
}

impl TableKey for (u32, u32) {
    fn hash64(&self) -> u64 {
        mix64((u64::from(self.0) << 32) | u64::from(self.1))
    }
}

impl TableKey for (u32, u32, u32) {
    fn hash64(&self) -> u64 {
        mix64(((u64::from(self.0) << 32) | u64::from(self.1)) ^ mix64(u64::from(self.2)))
    }
}

/// A map from `K` to `V` with linear probing, kept at most half full.
#[derive(Debug, Clone)]
pub(crate) struct Table<K, V> {
    slots: Vec<Option<(K, V)>>,
    len: usize,
    /// Occupied slots, so [`Table::clear`] costs the entries, not the capacity.
    filled: Vec<usize>,
}

impl<K: TableKey, V> Default for Table<K, V> {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl<K: TableKey, V> Table<K, V> {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let size = (capacity.max(4) * 2).next_power_of_two();
        let mut slots = Vec::with_capacity(size);
        slots.resize_with(size, || None);
        Self {
            slots,
            len: 0,
            filled: Vec::new(),
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Remove every entry, keeping the capacity.
    pub(crate) fn clear(&mut self) {
        for at in self.filled.drain(..) {
            self.slots[at] = None;
        }
        self.len = 0;
    }

    /// The slot holding `key`, or the empty slot where it would go.
    fn slot(&self, key: &K) -> usize {
        let mask = self.slots.len() - 1;
        let mut at = key.hash64() as usize & mask;
        while let Some((existing, _)) = &self.slots[at] {
            if existing == key {
                break;
            }
            at = (at + 1) & mask;
        }
        at
    }

    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.slots[self.slot(key)].as_ref().map(|(_, value)| value)
    }

    /// Insert or replace; returns the previous value.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let at = self.slot(&key);
        match self.slots[at].replace((key, value)) {
            Some((_, previous)) => Some(previous),
            None => {
                self.len += 1;
                self.filled.push(at);
                None
            }
        }
    }

    fn grow(&mut self) {
        let size = self.slots.len() * 2;
        let mut slots = Vec::with_capacity(size);
        slots.resize_with(size, || None);
        let old = std::mem::replace(&mut self.slots, slots);
        self.filled.clear();
        for (key, value) in old.into_iter().flatten() {
            let at = self.slot(&key);
            self.slots[at] = Some((key, value));
            self.filled.push(at);
        }
    }
}

/// Strings interned to dense ids (0, 1, 2, ... in order of first insertion), stored in
/// one byte arena. The vocabulary of a language model and the word pieces of a beam search
/// are both this.
#[derive(Debug, Clone, Default)]
pub(crate) struct Interner {
    bytes: String,
    /// `ends[id]` is where string `id` ends in `bytes`; it starts where `id - 1` ends.
    ends: Vec<usize>,
    /// Slot → id + 1 (0 = empty).
    slots: Vec<u32>,
}

impl Interner {
    pub(crate) fn with_capacity(strings: usize) -> Self {
        Self {
            bytes: String::new(),
            ends: Vec::with_capacity(strings),
            slots: vec![0; (strings.max(4) * 2).next_power_of_two()],
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn get(&self, id: u32) -> &str {
        let id = id as usize;
        let start = if id == 0 { 0 } else { self.ends[id - 1] };
        &self.bytes[start..self.ends[id]]
    }

    /// The slot holding `text`, or the empty slot where it would go.
    fn slot(&self, text: &str) -> usize {
        let mask = self.slots.len() - 1;
        let mut at = hash_bytes(text.as_bytes()) as usize & mask;
        loop {
            match self.slots[at] {
                0 => return at,
                id if self.get(id - 1) == text => return at,
                _ => at = (at + 1) & mask,
            }
        }
    }

    pub(crate) fn find(&self, text: &str) -> Option<u32> {
        match self.slots[self.slot(text)] {
            0 => None,
            id => Some(id - 1),
        }
    }

    /// The id of `text`, added if new; `true` when it was added.
    pub(crate) fn intern(&mut self, text: &str) -> (u32, bool) {
        let at = self.slot(text);
        if self.slots[at] != 0 {
            return (self.slots[at] - 1, false);
        }
        let id = self.ends.len() as u32;
        self.bytes.push_str(text);
        self.ends.push(self.bytes.len());
        self.slots[at] = id + 1;
        if self.ends.len() * 2 > self.slots.len() {
            self.rehash(self.slots.len() * 2);
        }
        (id, true)
    }

    fn rehash(&mut self, size: usize) {
        self.slots = vec![0; size];
        for id in 0..self.ends.len() as u32 {
            let at = self.slot(self.get(id));
            self.slots[at] = id + 1;
        }
    }

    /// Rebuild from strings in id order (the binary model cache stores them so).
    pub(crate) fn from_strings<'a>(strings: impl ExactSizeIterator<Item = &'a str>) -> Self {
        let mut interner = Self::with_capacity(strings.len());
        for text in strings {
            interner.bytes.push_str(text);
            interner.ends.push(interner.bytes.len());
        }
        interner.rehash((interner.ends.len().max(4) * 2).next_power_of_two());
        interner
    }

    /// Bytes held (arena, ends and slots), for memory reports.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.ends.capacity() * 8 + self.slots.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn interner_keeps_first_insertion_ids() {
        let mut words = Interner::with_capacity(0);
        assert_eq!(words.intern("b"), (0, true));
        assert_eq!(words.intern(""), (1, true));
        assert_eq!(words.intern("b"), (0, false));
        assert_eq!(words.find(""), Some(1));
        assert_eq!(words.find("c"), None);
        assert_eq!(words.get(0), "b");
        let rebuilt = Interner::from_strings(["b", ""].into_iter());
        assert_eq!(rebuilt.find(""), Some(1));
    }

    proptest! {
        #[test]
        fn table_agrees_with_btreemap(ops in proptest::collection::vec((0u32..50, 0u32..50, any::<u16>()), 0..300)) {
            let mut table = Table::default();
            let mut reference = std::collections::BTreeMap::new();
            for (a, b, value) in ops {
                prop_assert_eq!(table.insert((a, b), value), reference.insert((a, b), value));
            }
            prop_assert_eq!(table.len(), reference.len());
            for ((a, b), value) in &reference {
                prop_assert_eq!(table.get(&(*a, *b)), Some(value));
            }
            table.clear();
            prop_assert_eq!(table.len(), 0);
            prop_assert!(reference.keys().all(|&(a, b)| table.get(&(a, b)).is_none()));
        }

        #[test]
        fn interner_round_trips(words in proptest::collection::vec("[a-cæ]{0,4}", 0..200)) {
            let mut interner = Interner::with_capacity(0);
            let ids: Vec<u32> = words.iter().map(|word| interner.intern(word).0).collect();
            for (word, id) in words.iter().zip(ids) {
                prop_assert_eq!(interner.get(id), word.as_str());
                prop_assert_eq!(interner.find(word), Some(id));
            }
        }
    }
}
