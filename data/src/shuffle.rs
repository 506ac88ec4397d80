//! Windowed shuffling with fairseq2's semantics (`shuffle_data_source.cc`): fill a
//! window, Fisher–Yates it, then hand out its slots in order, refilling each slot
//! from the input as it is emitted, and reshuffle whenever the cursor wraps.
//! Window 1 is the identity; window 0 means "the whole input".
//!
//! The random stream is ChaCha8 (not torch's Mersenne twister), so orders differ
//! from fairseq2's, but the statistics of the shuffle are the same.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng as _, SeedableRng as _};

/// Shuffles `items` with a sliding window of `window` elements.
pub fn window_shuffle<T>(items: Vec<T>, window: usize, seed: u64) -> Vec<T> {
    if window == 1 || items.len() <= 1 {
        return items;
    }
    let window = if window == 0 { items.len() } else { window };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut output = Vec::with_capacity(items.len());
    let mut input = items.into_iter();
    let mut slots: Vec<Option<T>> = input.by_ref().take(window).map(Some).collect();
    let len = slots.len();
    // `end` is fairseq2's `buffer_end_`: the whole buffer until the input runs dry,
    // then the slot where it did; emission stops when the cursor comes back to it.
    let mut end = len;
    let mut exhausted = false;
    let mut pos = 0;
    while !(exhausted && pos == end) {
        if pos == 0 {
            fisher_yates(&mut slots[..end], &mut rng);
        }
        if let Some(item) = slots[pos].take() {
            output.push(item);
        }
        if !exhausted {
            match input.next() {
                Some(next) => slots[pos] = Some(next),
                None => {
                    exhausted = true;
                    end = pos;
                }
            }
        }
        pos = (pos + 1) % len;
    }
    output
}

/// `for s in (2..=n).rev(): swap(s-1, r % s)`, as fairseq2 writes it.
fn fisher_yates<T>(items: &mut [T], rng: &mut ChaCha8Rng) {
    for s in (2..=items.len()).rev() {
        let idx = (rng.next_u64() % s as u64) as usize;
        items.swap(s - 1, idx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_one_is_identity() {
        let v: Vec<u32> = (0..10).collect();
        assert_eq!(window_shuffle(v.clone(), 1, 7), v);
    }

    #[test]
    fn is_a_permutation_and_deterministic() {
        for window in [0, 2, 3, 7, 100] {
            let v: Vec<u32> = (0..50).collect();
            let a = window_shuffle(v.clone(), window, 42);
            let b = window_shuffle(v.clone(), window, 42);
            assert_eq!(a, b);
            let mut sorted = a.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, v, "window {window}");
            assert_ne!(a, v, "window {window} should move something");
        }
    }
}
