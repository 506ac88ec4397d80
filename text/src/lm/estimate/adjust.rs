//! Step 2: the n-grams of every order with the counts modified Kneser–Ney discounts, as
//! lmplz's `AdjustCounts` derives them from the sorted windows:
//! - the highest order: windows that do not stand for a sentence start, raw counts;
//! - a lower order: the suffixes of the next order's n-grams, each counted once per
//!   distinct word to its left (its continuation count), plus the sentence-initial
//!   n-grams (`<s> ...`) with their raw counts, plus `<unk>` and `<s>` with count 0;
//! - counts-of-counts n1..n4 per order over those counts — with one lmplz quirk kept:
//!   the n-grams still open when its stream ends (the suffixes of the last window in suffix
//!   order) enter the counts-of-counts with their raw frequency instead of their adjusted
//!   count (`AdjustCounts::Run`'s final loop passes `actual_counts`). It moves at most one
//!   n-gram per order between bins, but the discounts follow it.

use super::count::{BOS, UNK};

/// Key padding beyond an n-gram's order (sorts after every word id, and the same for all).
pub(super) const PAD: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Gram<const N: usize> {
    /// Reversed words (last first), [`PAD`] beyond the order.
    pub key: [u32; N],
    pub count: u64,
}

pub(super) struct Levels<const N: usize> {
    /// `levels[k]`: the (k+1)-grams, sorted by reversed key.
    pub levels: Vec<Vec<Gram<N>>>,
    /// `counts_of_counts[k][c]`: (k+1)-grams with count `c` (c < 5).
    pub counts_of_counts: Vec<[u64; 5]>,
}

fn shortened<const N: usize>(key: &[u32; N], order: usize) -> [u32; N] {
    let mut short = [PAD; N];
    short[..order].copy_from_slice(&key[..order]);
    short
}

/// Leading `<s>` of a window (trailing in its reversed key).
fn leading_bos<const N: usize>(key: &[u32; N]) -> usize {
    key.iter().rev().take_while(|&&word| word == BOS).count()
}

/// A window with `<s>` in its second word stands for the sentence-initial n-gram of order
/// N − (leading `<s>`) + 1.
fn sentence_start_order<const N: usize>(key: &[u32; N]) -> Option<usize> {
    let bos = leading_bos(key);
    (N >= 2 && bos >= 2).then(|| N - bos + 1)
}

fn tally<const N: usize>(grams: &[Gram<N>]) -> [u64; 5] {
    let mut counts = [0u64; 5];
    for gram in grams {
        if gram.count < 5 {
            counts[gram.count as usize] += 1;
        }
    }
    counts
}

pub(super) fn adjust<const N: usize>(windows: &[([u32; N], u64)]) -> Levels<N> {
    let mut starts: Vec<Vec<Gram<N>>> = vec![Vec::new(); N];
    let mut top = Vec::with_capacity(windows.len());
    for (key, count) in windows {
        match sentence_start_order(key) {
            Some(order) => starts[order - 1].push(Gram {
                key: shortened(key, order),
                count: *count,
            }),
            None => top.push(Gram {
                key: *key,
                count: *count,
            }),
        }
    }
    let mut levels = vec![Vec::new(); N];
    levels[N - 1] = top;
    for order in (1..N).rev() {
        let derived = continuation_counts(&levels[order], order);
        levels[order - 1] = merge_sorted(derived, std::mem::take(&mut starts[order - 1]));
    }
    let specials = [UNK, BOS].map(|word| Gram {
        key: shortened(&[word; N], 1),
        count: 0,
    });
    levels[0].splice(0..0, specials);
    let mut counts_of_counts: Vec<[u64; 5]> = levels.iter().map(|level| tally(level)).collect();
    if N >= 2
        && let Some((last, _)) = windows.last()
    {
        let chain_top = sentence_start_order(last).map_or(N - 1, |order| order - 1);
        for order in 1..=chain_top {
            let prefix = &last[..order];
            let raw: u64 = windows
                .iter()
                .rev()
                .take_while(|(key, _)| &key[..order] == prefix)
                .map(|(_, count)| count)
                .sum();
            let key = shortened(last, order);
            let level = &levels[order - 1];
            if let Ok(at) = level.binary_search_by(|gram| gram.key.cmp(&key)) {
                let bins = &mut counts_of_counts[order - 1];
                if level[at].count < 5 {
                    bins[level[at].count as usize] -= 1;
                }
                if raw < 5 {
                    bins[raw as usize] += 1;
                }
            }
        }
    }
    Levels {
        levels,
        counts_of_counts,
    }
}

/// The `order`-grams that are suffixes of `upper` (sorted (order+1)-grams), each with the
/// number of `upper` n-grams ending in it.
fn continuation_counts<const N: usize>(upper: &[Gram<N>], order: usize) -> Vec<Gram<N>> {
    let mut derived: Vec<Gram<N>> = Vec::new();
    for gram in upper {
        let key = shortened(&gram.key, order);
        match derived.last_mut() {
            Some(last) if last.key == key => last.count += 1,
            _ => derived.push(Gram { key, count: 1 }),
        }
    }
    derived
}

fn merge_sorted<const N: usize>(a: Vec<Gram<N>>, b: Vec<Gram<N>>) -> Vec<Gram<N>> {
    let mut merged = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
        let next = if x.key <= y.key { a.next() } else { b.next() };
        merged.extend(next);
    }
    merged.extend(a);
    merged.extend(b);
    merged
}

#[cfg(test)]
mod tests {
    use super::super::count::{EOS, count};
    use super::*;

    #[test]
    fn continuation_counts_and_sentence_starts() {
        // "a b" and "c b": b has two left extensions; "<s> a" keeps its raw count.
        let counted = count::<2, _, _>(["a b", "c b", "a"]).unwrap();
        let levels = adjust(&counted.windows);
        let id = |w: &str| counted.vocab.find(w).unwrap();
        let count_of = |order: usize, words: &[u32]| {
            let mut key = [PAD; 2];
            for (at, word) in words.iter().rev().enumerate() {
                key[at] = *word;
            }
            levels.levels[order - 1]
                .iter()
                .find(|gram| gram.key == key)
                .map(|gram| gram.count)
        };
        assert_eq!(count_of(1, &[id("b")]), Some(2));
        assert_eq!(count_of(1, &[EOS]), Some(2), "b </s> and a </s>");
        assert_eq!(count_of(1, &[id("a")]), Some(1), "only <s> precedes a");
        assert_eq!(count_of(1, &[BOS]), Some(0));
        assert_eq!(count_of(1, &[UNK]), Some(0));
        assert_eq!(count_of(2, &[id("a"), id("b")]), Some(1));
        assert_eq!(count_of(2, &[BOS, id("a")]), Some(2));
    }
}
