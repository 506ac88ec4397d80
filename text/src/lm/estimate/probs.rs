//! Step 4: probabilities, as lmplz's `InitialProbabilities` and `Interpolate` compute
//! them, in float32 and in their order of operations:
//! - per context `h` of order n: `u(w|h) = (a(hw) − D(a(hw))) / Σ a(h·)` and the
//!   interpolation weight `γ(h) = (D1 N1(h·) + D2 N2(h·) + D3 N3+(h·)) / Σ a(h·)`;
//! - unigrams interpolate with the uniform distribution over the vocabulary (`<unk>`
//!   included, `<s>` not): `p(w) = u(w) + γ(ε) / |V|`, `<unk>` getting `γ(ε) / |V|` and
//!   `<s>` probability 1 (it is only ever context);
//! - `p(w|h) = u(w|h) + γ(h) p(w|h')` with `h'` the context without its oldest word;
//! - written as `min(0, log10 p)` and, for n-grams that are contexts, backoff
//!   `log10 γ(h)` (0 for the others).

use super::super::arpa::ArpaEntry;
use super::adjust::{Gram, PAD};
use super::count::{BOS, UNK};
use super::discount::Discount;
use crate::table::Interner;

/// A discounted probability and the interpolation weight of its context.
#[derive(Debug, Clone, Copy, Default)]
struct Uninterpolated {
    prob: f32,
    gamma: f32,
}

/// `Σ a`, the bins of adjusted counts 1, 2, 3+, and `γ` of one context's n-grams.
fn context_sums(grams: impl Iterator<Item = u64>, discount: &Discount) -> (f32, f32) {
    let mut denominator = 0u64;
    let mut bins = [0u64; 4];
    for count in grams {
        denominator += count;
        if count > 0 {
            bins[count.min(3) as usize] += 1;
        }
    }
    let denominator = denominator as f32;
    let mut gamma = 0.0f32;
    for (k, &bin) in bins.iter().enumerate().skip(1) {
        gamma += discount.get(k as u64) * bin as f32;
    }
    (denominator, gamma / denominator)
}

fn find<const N: usize>(level: &[Gram<N>], key: &[u32; N]) -> Option<usize> {
    level.binary_search_by(|gram| gram.key.cmp(key)).ok()
}

/// The first `order` entries of a reversed key: the n-gram without its oldest words.
fn prefix<const N: usize>(key: &[u32; N], order: usize) -> [u32; N] {
    let mut out = [PAD; N];
    out[..order].copy_from_slice(&key[..order]);
    out
}

pub(super) fn interpolate<const N: usize>(
    levels: &[Vec<Gram<N>>],
    discounts: &[Discount],
    vocab: &Interner,
) -> Vec<Vec<ArpaEntry>> {
    let mut uninterpolated: Vec<Vec<Uninterpolated>> = levels
        .iter()
        .map(|level| vec![Uninterpolated::default(); level.len()])
        .collect();
    // γ of each n-gram as a context, from the next order's sums.
    let mut context_gamma: Vec<Vec<Option<f32>>> =
        levels.iter().map(|level| vec![None; level.len()]).collect();

    let unigrams = &levels[0];
    let (denominator, gamma) = context_sums(unigrams.iter().map(|g| g.count), &discounts[0]);
    for (gram, out) in unigrams.iter().zip(&mut uninterpolated[0]) {
        *out = match gram.key[0] {
            UNK => Uninterpolated { prob: 0.0, gamma },
            BOS => Uninterpolated {
                prob: 1.0,
                gamma: 0.0,
            },
            _ => Uninterpolated {
                prob: discounts[0].apply(gram.count) / denominator,
                gamma,
            },
        };
    }

    for order in 2..=levels.len() {
        let level = &levels[order - 1];
        // The context of a reversed key is its words 1..order, i.e. the key shifted by one.
        let context_of = |gram: &Gram<N>| -> [u32; N] {
            let mut context = [PAD; N];
            context[..order - 1].copy_from_slice(&gram.key[1..order]);
            context
        };
        let mut by_context: Vec<u32> = (0..level.len() as u32).collect();
        by_context.sort_by_key(|&at| (context_of(&level[at as usize]), level[at as usize].key[0]));
        for group in by_context
            .chunk_by(|&a, &b| context_of(&level[a as usize]) == context_of(&level[b as usize]))
        {
            let discount = &discounts[order - 1];
            let counts = group.iter().map(|&at| level[at as usize].count);
            let (denominator, gamma) = context_sums(counts, discount);
            for &at in group {
                uninterpolated[order - 1][at as usize] = Uninterpolated {
                    prob: discount.apply(level[at as usize].count) / denominator,
                    gamma,
                };
            }
            let context = context_of(&level[group[0] as usize]);
            if let Some(found) = find(&levels[order - 2], &context) {
                context_gamma[order - 2][found] = Some(gamma);
            }
        }
    }

    // |V| includes <unk> but not <s>; lmplz divides in double and stores a float.
    let vocab_size = levels[0].len().saturating_sub(1).max(1);
    let uniform = (1.0f64 / f64::from(vocab_size as f32)) as f32;
    let mut probs: Vec<Vec<f32>> = Vec::with_capacity(levels.len());
    probs.push(
        uninterpolated[0]
            .iter()
            .map(|u| u.prob + u.gamma * uniform)
            .collect(),
    );
    for order in 2..=levels.len() {
        let lower = &levels[order - 2];
        let level_probs = levels[order - 1]
            .iter()
            .zip(&uninterpolated[order - 1])
            .map(|(gram, u)| {
                let suffix = prefix(&gram.key, order - 1);
                let lower_prob = find(lower, &suffix).map_or(0.0, |at| probs[order - 2][at]);
                u.prob + u.gamma * lower_prob
            })
            .collect();
        probs.push(level_probs);
    }

    let highest = levels.len();
    levels
        .iter()
        .enumerate()
        .map(|(index, level)| {
            let order = index + 1;
            level
                .iter()
                .enumerate()
                .map(|(at, gram)| ArpaEntry {
                    words: gram.key[..order]
                        .iter()
                        .rev()
                        .map(|&word| vocab.get(word).to_owned())
                        .collect(),
                    prob: 0.0f32.min(probs[index][at].log10()),
                    backoff: (order < highest)
                        .then(|| context_gamma[index][at].map_or(0.0, f32::log10)),
                })
                .collect()
        })
        .collect()
}
