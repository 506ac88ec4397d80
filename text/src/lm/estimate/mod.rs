//! Interpolated modified Kneser–Ney estimation with KenLM `lmplz`'s semantics
//! (kenlm 0.3.0, `lm/builder`), defaults only: no pruning, `--interpolate_unigrams`, no
//! vocabulary padding, `<s>`/`</s>`/`<unk>` in the text are an error (no
//! `--skip_symbols`), discounts from each order's counts-of-counts with an optional
//! fallback (`--discount_fallback`). Arithmetic is float32 where lmplz's is, in its order,
//! so probabilities agree with lmplz's to float rounding (tested to 1e-4 in log10, found
//! far closer).
//!
//! The pipeline, a module per step:
//! 1. `count`: every sentence is `<s>`-padded to the order and its n-gram windows
//!    counted;
//! 2. `adjust`: continuation ("adjusted") counts for the lower orders (raw counts for
//!    n-grams starting with `<s>`), and counts-of-counts;
//! 3. `discount`: D1, D2, D3+ per order (Chen & Goodman eq. 26);
//! 4. `probs`: discounted probabilities and interpolation weights per context,
//!    interpolation with the lower order (unigrams with the uniform distribution over the
//!    vocabulary, `<unk>` included, `<s>` not), log10.

mod adjust;
mod count;
mod discount;
mod probs;

use std::io::Write;
use std::path::Path;

use super::arpa::{self, ArpaEntry};
use super::error::LmError;
use super::model::MAX_ORDER;

pub use discount::Discount;

/// `lmplz`'s `--discount_fallback` without arguments.
pub const LMPLZ_DISCOUNT_FALLBACK: [f32; 3] = [0.5, 1.0, 1.5];

/// What to estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct EstimateConfig {
    /// N-gram order (1 to [`MAX_ORDER`]).
    pub order: usize,
    /// D1, D2, D3+ for orders whose closed-form discounts fail (lmplz
    /// `--discount_fallback`); `None` makes that an error, as lmplz does by default.
    pub discount_fallback: Option<[f32; 3]>,
}

impl EstimateConfig {
    pub fn order(order: usize) -> Self {
        Self {
            order,
            discount_fallback: None,
        }
    }
}

/// An estimated model, ready to be written as ARPA.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// `orders[k]`: the (k+1)-grams in lmplz's output order (unigrams by first appearance
    /// after `<unk> <s> </s>`, higher orders sorted by last word, then the one before...).
    pub orders: Vec<Vec<ArpaEntry>>,
    /// The discounts used per order.
    pub discounts: Vec<Discount>,
    /// Running words counted (`</s>` not included), as lmplz's "Unigram tokens".
    pub tokens: u64,
}

impl Estimate {
    pub fn write_arpa(&self, out: &mut impl Write) -> std::io::Result<()> {
        arpa::write(out, &self.orders)
    }

    /// Write the ARPA file atomically (temporary file, then rename).
    pub fn write_arpa_file(&self, path: &Path) -> Result<(), LmError> {
        Ok(dialekt_core::atomic::write_streaming(path, |out| {
            self.write_arpa(out)
        })?)
    }
}

/// Estimate a model from sentences (one per item; words are separated by spaces, tabs,
/// carriage returns or NULs, as lmplz splits them; a newline inside an item starts a new
/// sentence, as it would in lmplz's input file).
pub fn estimate<I, S>(sentences: I, config: &EstimateConfig) -> Result<Estimate, LmError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    match config.order {
        1 => run::<1, _, _>(sentences, config),
        2 => run::<2, _, _>(sentences, config),
        3 => run::<3, _, _>(sentences, config),
        4 => run::<4, _, _>(sentences, config),
        5 => run::<5, _, _>(sentences, config),
        6 => run::<6, _, _>(sentences, config),
        order => Err(LmError::UnsupportedOrder {
            order,
            max: MAX_ORDER,
        }),
    }
}

fn run<const N: usize, I, S>(sentences: I, config: &EstimateConfig) -> Result<Estimate, LmError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let counted = count::count::<N, _, _>(sentences)?;
    let levels = adjust::adjust(&counted.windows);
    let discounts = (1..=N)
        .map(|order| {
            discount::from_counts_of_counts(
                order,
                &levels.counts_of_counts[order - 1],
                config.discount_fallback,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let orders = probs::interpolate(&levels.levels, &discounts, &counted.vocab);
    Ok(Estimate {
        orders,
        discounts,
        tokens: counted.tokens,
    })
}
