//! Step 1: n-gram windows of the highest order, as lmplz's `CorpusCount` writes them.
//!
//! Each sentence is `<s>` repeated N−1 times, its words, `</s>`; every word and the `</s>`
//! end one window of N words. Windows with `<s>` in their second position stand for the
//! shorter n-grams that start a sentence (the next step turns them into those). Keys are
//! stored *reversed* (last word first) so that sorting them gives lmplz's suffix order.

use super::super::error::LmError;
use crate::table::Interner;

pub(super) const UNK: u32 = 0;
pub(super) const BOS: u32 = 1;
pub(super) const EOS: u32 = 2;

/// Windows are sorted and merged in batches of this many, to bound memory.
const BATCH: usize = 1 << 22;

/// The counted corpus.
pub(super) struct Counted<const N: usize> {
    /// Distinct windows (reversed keys, sorted) and how often each occurs.
    pub windows: Vec<([u32; N], u64)>,
    /// `<unk>`, `<s>`, `</s>`, then the words in order of first appearance.
    pub vocab: Interner,
    pub tokens: u64,
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\0')
}

pub(super) fn count<const N: usize, I, S>(sentences: I) -> Result<Counted<N>, LmError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut vocab = Interner::with_capacity(1 << 16);
    for special in ["<unk>", "<s>", "</s>"] {
        vocab.intern(special);
    }
    let mut windows = Vec::new();
    let mut batch: Vec<[u32; N]> = Vec::with_capacity(BATCH.min(1 << 16));
    let mut tokens = 0u64;
    for (index, item) in sentences.into_iter().enumerate() {
        for sentence in item.as_ref().split('\n') {
            // `window` in natural order: oldest first.
            let mut window = [BOS; N];
            let words = sentence.split(is_separator).filter(|w| !w.is_empty());
            for word in words.map(Some).chain([None]) {
                let id = match word {
                    Some(word) => {
                        let (id, _) = vocab.intern(word);
                        if id <= EOS {
                            return Err(LmError::Corpus {
                                line: index + 1,
                                message: format!(
                                    "the special word {word} is not allowed in the text (lmplz refuses it too)"
                                ),
                            });
                        }
                        tokens += 1;
                        id
                    }
                    None => EOS,
                };
                window.rotate_left(1);
                window[N - 1] = id;
                let mut reversed = window;
                reversed.reverse();
                batch.push(reversed);
                if batch.len() == BATCH {
                    windows = merge(windows, &mut batch);
                }
            }
        }
    }
    windows = merge(windows, &mut batch);
    if tokens == 0 {
        return Err(LmError::Corpus {
            line: 0,
            message: "the text has no words".to_owned(),
        });
    }
    Ok(Counted {
        windows,
        vocab,
        tokens,
    })
}

/// Sort the batch, count its duplicates and merge it into the sorted `counted`.
fn merge<const N: usize>(
    counted: Vec<([u32; N], u64)>,
    batch: &mut Vec<[u32; N]>,
) -> Vec<([u32; N], u64)> {
    batch.sort_unstable();
    let mut runs: Vec<([u32; N], u64)> = Vec::new();
    for key in batch.drain(..) {
        match runs.last_mut() {
            Some((last, count)) if *last == key => *count += 1,
            _ => runs.push((key, 1)),
        }
    }
    let mut merged = Vec::with_capacity(counted.len() + runs.len());
    let (mut i, mut j) = (0, 0);
    while i < counted.len() && j < runs.len() {
        match counted[i].0.cmp(&runs[j].0) {
            std::cmp::Ordering::Less => {
                merged.push(counted[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                merged.push(runs[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                merged.push((counted[i].0, counted[i].1 + runs[j].1));
                i += 1;
                j += 1;
            }
        }
    }
    merged.extend_from_slice(&counted[i..]);
    merged.extend_from_slice(&runs[j..]);
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_padded_and_counted() {
        let counted = count::<2, _, _>(["a b", "a", "b a"]).unwrap();
        let ids = |w: &str| counted.vocab.find(w).unwrap();
        let (a, b) = (ids("a"), ids("b"));
        let expect = |last: u32, before: u32| {
            counted
                .windows
                .iter()
                .find(|(key, _)| *key == [last, before])
                .map_or(0, |(_, count)| *count)
        };
        assert_eq!(expect(a, BOS), 2);
        assert_eq!(expect(b, a), 1);
        assert_eq!(expect(EOS, a), 2);
        assert_eq!(expect(EOS, b), 1);
        assert_eq!(counted.tokens, 5);
        assert!(counted.windows.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(count::<2, _, _>(["a <s> b"]).is_err());
    }

    #[test]
    fn batches_merge_like_one_sort() {
        let mut counted = Vec::new();
        for chunk in [
            vec![[3u32, 1], [1, 1], [3, 1]],
            vec![[2, 2], [3, 1]],
            vec![[0, 9]],
        ] {
            counted = merge(counted, &mut chunk.clone());
        }
        assert_eq!(
            counted,
            [([0, 9], 1), ([1, 1], 1), ([2, 2], 1), ([3, 1], 3)]
        );
    }
}
