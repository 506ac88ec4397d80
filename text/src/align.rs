//! Levenshtein alignment that reproduces jiwer 4.0.0's hit/substitution/deletion/insertion
//! counts exactly.
//!
//! The edit *distance* is unique, but how it splits into S, D and I depends on how ties are
//! broken, and MER (CoRal's headline metric since 2025-11) depends on that split. jiwer 4
//! delegates to `rapidfuzz.distance.Levenshtein.opcodes`, so this module follows
//! rapidfuzz-cpp (`rapidfuzz/distance/Levenshtein_impl.hpp` at f34fe29) step by step:
//!
//! 1. strip the common prefix and suffix (they are hits);
//! 2. if the remaining matrix is large, split it with Hirschberg's algorithm at the
//!    *first* column of minimal cost (`find_hirschberg_pos`) and recurse;
//! 3. otherwise fill the DP with Hyyrö's bit-parallel algorithm (64 cells per word) and
//!    walk back from the end, preferring Delete, then Insert, then the diagonal
//!    (`recover_alignment`).
//!
//! rapidfuzz also narrows the bit-parallel matrix to an Ukkonen band; cells outside the
//! band never lie on an optimal path, so computing the full matrix gives the same walk.
//! The parity fixture (`tests/it/jiwer.rs`) checks this on 12,011 pairs, including
//! multi-block and Hirschberg-sized ones.

use std::ops::AddAssign;

use serde::Serialize;

/// Edit operation counts of one alignment (or a sum of them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EditCounts {
    pub hits: u64,
    pub substitutions: u64,
    pub deletions: u64,
    pub insertions: u64,
}

impl EditCounts {
    /// Number of reference tokens (H + S + D).
    pub fn ref_len(&self) -> u64 {
        self.hits + self.substitutions + self.deletions
    }

    /// Number of hypothesis tokens (H + S + I).
    pub fn hyp_len(&self) -> u64 {
        self.hits + self.substitutions + self.insertions
    }

    /// Edit distance (S + D + I).
    pub fn errors(&self) -> u64 {
        self.substitutions + self.deletions + self.insertions
    }
}

impl AddAssign for EditCounts {
    fn add_assign(&mut self, other: Self) {
        self.hits += other.hits;
        self.substitutions += other.substitutions;
        self.deletions += other.deletions;
        self.insertions += other.insertions;
    }
}

impl std::iter::Sum for EditCounts {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        let mut total = Self::default();
        for counts in iter {
            total += counts;
        }
        total
    }
}

/// rapidfuzz switches to Hirschberg when the bit matrix would exceed 1 MiB
/// (`matrix_size < 1024 * 1024` in `levenshtein_align_hirschberg`).
const HIRSCHBERG_MATRIX_BYTES: usize = 1024 * 1024;

/// Symbols below this (ASCII/Latin-1 chars, interned word ids) get their pattern slot
/// from a direct table instead of a binary search.
const DENSE_SYMBOLS: usize = 256;

/// Reusable scratch space for aligning many pairs without reallocating.
#[derive(Debug)]
pub struct Aligner {
    /// `slot + 1` of each dense symbol of the current reference, 0 when absent.
    dense: Box<[u32; DENSE_SYMBOLS]>,
    /// Distinct symbols ≥ [`DENSE_SYMBOLS`] of the reference side, sorted, with their slot.
    symbols: Vec<(u32, u32)>,
    /// Pattern-match bit vectors: `words` u64 per distinct symbol.
    pattern: Vec<u64>,
    /// Vertical positive/negative delta bits, `words` u64 per hypothesis position.
    vp: Vec<u64>,
    vn: Vec<u64>,
    row_vp: Vec<u64>,
    row_vn: Vec<u64>,
}

impl Default for Aligner {
    fn default() -> Self {
        Self {
            dense: Box::new([0; DENSE_SYMBOLS]),
            symbols: Vec::new(),
            pattern: Vec::new(),
            vp: Vec::new(),
            vn: Vec::new(),
            row_vp: Vec::new(),
            row_vn: Vec::new(),
        }
    }
}

impl Aligner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Align `reference` against `hypothesis` exactly as
    /// `rapidfuzz.distance.Levenshtein.opcodes(reference, hypothesis)` does and count the
    /// operations.
    pub fn align(&mut self, reference: &[u32], hypothesis: &[u32]) -> EditCounts {
        let mut counts = EditCounts::default();
        // `levenshtein_editops` with the default `score_hint=None` uses
        // `score_cutoff = max(len1, len2)`.
        let max = reference.len().max(hypothesis.len());
        self.align_hirschberg(reference, hypothesis, max, &mut counts);
        counts
    }

    fn align_hirschberg(&mut self, s1: &[u32], s2: &[u32], max: usize, counts: &mut EditCounts) {
        let (s1, s2, affix) = strip_common_affix(s1, s2);
        counts.hits += affix as u64;
        let max = max.min(s1.len().max(s2.len()));
        let full_band = s1.len().min(2 * max + 1);
        let matrix_size = 2 * full_band * s2.len() / 8;
        if matrix_size < HIRSCHBERG_MATRIX_BYTES || s1.len() < 65 || s2.len() < 10 {
            self.align_full(s1, s2, counts);
        } else {
            let split = find_hirschberg_pos(s1, s2);
            self.align_hirschberg(
                &s1[..split.s1_mid],
                &s2[..split.s2_mid],
                split.left_score,
                counts,
            );
            self.align_hirschberg(
                &s1[split.s1_mid..],
                &s2[split.s2_mid..],
                split.right_score,
                counts,
            );
        }
    }

    /// `levenshtein_align` + `recover_alignment` on affix-free input.
    fn align_full(&mut self, s1: &[u32], s2: &[u32], counts: &mut EditCounts) {
        if s1.is_empty() || s2.is_empty() {
            counts.deletions += s1.len() as u64;
            counts.insertions += s2.len() as u64;
            return;
        }
        let words = s1.len().div_ceil(64);
        self.fill_matrix(s1, s2, words);

        let bit =
            |v: &[u64], row: usize, col: usize| (v[row * words + col / 64] >> (col % 64)) & 1 == 1;
        let (mut row, mut col) = (s2.len(), s1.len());
        while row > 0 && col > 0 {
            if bit(&self.vp, row - 1, col - 1) {
                counts.deletions += 1;
                col -= 1;
            } else {
                row -= 1;
                if row > 0 && bit(&self.vn, row - 1, col - 1) {
                    counts.insertions += 1;
                } else {
                    col -= 1;
                    if s1[col] == s2[row] {
                        counts.hits += 1;
                    } else {
                        counts.substitutions += 1;
                    }
                }
            }
        }
        counts.deletions += col as u64;
        counts.insertions += row as u64;
    }

    fn build_pattern(&mut self, s1: &[u32], words: usize) {
        self.dense.fill(0);
        let mut slots = 0u32;
        for &symbol in s1 {
            if let Some(entry) = self.dense.get_mut(symbol as usize)
                && *entry == 0
            {
                slots += 1;
                *entry = slots;
            }
        }
        self.symbols.clear();
        self.symbols.extend(
            s1.iter()
                .filter(|&&symbol| symbol as usize >= DENSE_SYMBOLS)
                .map(|&symbol| (symbol, 0)),
        );
        self.symbols.sort_unstable();
        self.symbols.dedup_by_key(|entry| entry.0);
        for entry in &mut self.symbols {
            entry.1 = slots;
            slots += 1;
        }
        self.pattern.clear();
        self.pattern.resize(slots as usize * words, 0);
        for (position, symbol) in s1.iter().enumerate() {
            if let Some(slot) = self.slot(*symbol) {
                self.pattern[slot * words + position / 64] |= 1 << (position % 64);
            }
        }
    }

    fn slot(&self, symbol: u32) -> Option<usize> {
        if let Some(&entry) = self.dense.get(symbol as usize) {
            return entry.checked_sub(1).map(|slot| slot as usize);
        }
        self.symbols
            .binary_search_by_key(&symbol, |entry| entry.0)
            .ok()
            .map(|index| self.symbols[index].1 as usize)
    }

    /// Hyyrö (2003) block algorithm as in `levenshtein_hyrroe2003_block`, without the
    /// Ukkonen band, recording VP/VN after every hypothesis symbol.
    fn fill_matrix(&mut self, s1: &[u32], s2: &[u32], words: usize) {
        self.build_pattern(s1, words);
        self.vp.clear();
        self.vp.resize(s2.len() * words, 0);
        self.vn.clear();
        self.vn.resize(s2.len() * words, 0);
        self.row_vp.clear();
        self.row_vp.resize(words, !0);
        self.row_vn.clear();
        self.row_vn.resize(words, 0);
        let last = 1u64 << ((s1.len() - 1) % 64);
        for (row, symbol) in s2.iter().enumerate() {
            let slot = self.slot(*symbol);
            let mut hp_carry = 1u64;
            let mut hn_carry = 0u64;
            for word in 0..words {
                let pm = slot.map_or(0, |slot| self.pattern[slot * words + word]);
                let vn = self.row_vn[word];
                let vp = self.row_vp[word];
                let x = pm | hn_carry;
                let d0 = ((x & vp).wrapping_add(vp) ^ vp) | x | vn;
                let mut hp = vn | !(d0 | vp);
                let mut hn = d0 & vp;
                let (hp_in, hn_in) = (hp_carry, hn_carry);
                if word + 1 < words {
                    hp_carry = hp >> 63;
                    hn_carry = hn >> 63;
                } else {
                    hp_carry = u64::from(hp & last != 0);
                    hn_carry = u64::from(hn & last != 0);
                }
                hp = (hp << 1) | hp_in;
                hn = (hn << 1) | hn_in;
                let new_vp = hn | !(d0 | hp);
                let new_vn = hp & d0;
                self.row_vp[word] = new_vp;
                self.row_vn[word] = new_vn;
                self.vp[row * words + word] = new_vp;
                self.vn[row * words + word] = new_vn;
            }
        }
    }
}

fn strip_common_affix<'a>(s1: &'a [u32], s2: &'a [u32]) -> (&'a [u32], &'a [u32], usize) {
    let prefix = s1.iter().zip(s2).take_while(|(a, b)| a == b).count();
    let (s1, s2) = (&s1[prefix..], &s2[prefix..]);
    let suffix = s1
        .iter()
        .rev()
        .zip(s2.iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    (
        &s1[..s1.len() - suffix],
        &s2[..s2.len() - suffix],
        prefix + suffix,
    )
}

#[derive(Debug)]
struct HirschbergPos {
    left_score: usize,
    right_score: usize,
    s1_mid: usize,
    s2_mid: usize,
}

/// `find_hirschberg_pos`: split the hypothesis in half and pick the first reference
/// position where the left and right distances sum to the minimum.
fn find_hirschberg_pos(s1: &[u32], s2: &[u32]) -> HirschbergPos {
    let s2_mid = s2.len() / 2;
    let left = last_dp_row(s1.iter().copied(), s2[..s2_mid].iter().copied(), s1.len());
    let right = last_dp_row(
        s1.iter().rev().copied(),
        s2[s2_mid..].iter().rev().copied(),
        s1.len(),
    );
    let n = s1.len();
    let mut best = HirschbergPos {
        left_score: 0,
        right_score: 0,
        s1_mid: 0,
        s2_mid,
    };
    let mut best_score = usize::MAX;
    for i in 0..=n {
        let score = left[i] + right[n - i];
        if score < best_score {
            best_score = score;
            best = HirschbergPos {
                left_score: left[i],
                right_score: right[n - i],
                s1_mid: i,
                s2_mid,
            };
        }
    }
    best
}

/// Distances between every prefix of `s1` and the whole of `s2` (the DP's last row).
fn last_dp_row(
    s1: impl Iterator<Item = u32> + Clone,
    s2: impl Iterator<Item = u32>,
    n: usize,
) -> Vec<usize> {
    let mut row: Vec<usize> = (0..=n).collect();
    for (j, b) in s2.enumerate() {
        let mut diagonal = row[0];
        row[0] = j + 1;
        for (i, a) in s1.clone().enumerate() {
            let above = row[i + 1];
            let value = (diagonal + usize::from(a != b))
                .min(above + 1)
                .min(row[i] + 1);
            diagonal = above;
            row[i + 1] = value;
        }
    }
    row
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn plain_distance(a: &[u32], b: &[u32]) -> usize {
        last_dp_row(a.iter().copied(), b.iter().copied(), a.len())[a.len()]
    }

    fn align(a: &[u32], b: &[u32]) -> EditCounts {
        Aligner::new().align(a, b)
    }

    #[test]
    fn swapped_words_are_delete_plus_insert_like_jiwer() {
        // coral.md §6.4: jiwer gives H=1, D=1, I=1 for "a b" vs "b a", not S=2.
        let counts = align(&[0, 1], &[1, 0]);
        assert_eq!(
            counts,
            EditCounts {
                hits: 1,
                substitutions: 0,
                deletions: 1,
                insertions: 1
            }
        );
    }

    #[test]
    fn empty_sides() {
        assert_eq!(align(&[], &[]), EditCounts::default());
        assert_eq!(align(&[1, 2], &[]).deletions, 2);
        assert_eq!(align(&[], &[1, 2, 3]).insertions, 3);
    }

    #[test]
    fn hirschberg_split_is_exercised_and_consistent() {
        let a: Vec<u32> = (0..2100).map(|i| (i * 7 % 5) as u32).collect();
        let b: Vec<u32> = (0..2050).map(|i| (i * 3 % 4) as u32).collect();
        let counts = align(&a, &b);
        assert_eq!(counts.ref_len() as usize, a.len());
        assert_eq!(counts.hyp_len() as usize, b.len());
        assert_eq!(counts.errors() as usize, plain_distance(&a, &b));
    }

    proptest! {
        #[test]
        fn counts_are_consistent_with_the_distance(
            a in proptest::collection::vec(0u32..4, 0..150),
            b in proptest::collection::vec(0u32..4, 0..150),
        ) {
            let counts = align(&a, &b);
            prop_assert_eq!(counts.ref_len() as usize, a.len());
            prop_assert_eq!(counts.hyp_len() as usize, b.len());
            prop_assert_eq!(counts.errors() as usize, plain_distance(&a, &b));
        }

        #[test]
        fn identical_sequences_are_all_hits(a in proptest::collection::vec(any::<u32>(), 0..200)) {
            let counts = align(&a, &a);
            prop_assert_eq!(counts, EditCounts { hits: a.len() as u64, ..EditCounts::default() });
        }
    }
}
