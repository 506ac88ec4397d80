//! Seeded bootstrap confidence intervals for pooled error rates, and a paired bootstrap
//! test between two systems scored on the same utterances.
//!
//! Why: per-dialect test sets in CoRal hold a few hundred utterances from a handful of
//! speakers, so a WER gap between dialects (or between two checkpoints) can be noise.
//! Each resample redraws utterances (or, with [`Unit::Speaker`], whole speakers, which is
//! the honest choice when utterances of a speaker are correlated), pools their H/S/D/I
//! and recomputes the metric exactly as the point estimate does. Intervals are
//! percentile intervals (numpy's default linear interpolation). The paired test uses the
//! same resampled indices for both systems; its two-sided p-value is
//! `(1 + #{|Δ* − Δ| ≥ |Δ|}) / (B + 1)`, the bootstrap distribution shifted to the null.
//!
//! The generator is SplitMix64, implemented here so that a seed gives the same intervals
//! on every platform and every future build (no dependency whose stream may change).

use serde::Serialize;

use crate::align::EditCounts;
use crate::metrics::{PairCounts, error_rate, match_error_rate};

/// What a resample draws with replacement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Utterance,
    Speaker,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Config {
    pub resamples: usize,
    pub seed: u64,
    /// Coverage of the interval, e.g. 0.95.
    pub level: f64,
    pub unit: Unit,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            resamples: 1000,
            seed: 0,
            level: 0.95,
            unit: Unit::Utterance,
        }
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift with rejection, so unbiased).
    pub fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        loop {
            let product = u128::from(self.next_u64()) * u128::from(n);
            let low = product as u64;
            if low >= n.wrapping_neg() % n {
                return (product >> 64) as usize;
            }
        }
    }
}

/// A stable 64-bit key for a group name, so each group's stream depends only on the seed
/// and its name (not on which other groups exist). FNV-1a.
pub fn stream_key(name: &str) -> u64 {
    name.bytes().fold(0xCBF2_9CE4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01B3)
    })
}

/// Point estimate and percentile interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

/// Intervals for the four pooled rates we report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Intervals {
    pub wer: Interval,
    pub mer: Interval,
    pub cer: Interval,
    pub char_mer: Interval,
}

/// Paired difference `b − a` with its interval and p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Difference {
    pub delta: f64,
    pub low: f64,
    pub high: f64,
    pub p_value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Differences {
    pub wer: Difference,
    pub mer: Difference,
    pub cer: Difference,
    pub char_mer: Difference,
}

type Rates = [f64; 4];

/// With a single cluster (one utterance, or one speaker under [`Unit::Speaker`]) every
/// resample is the same data, so there is no interval to report: bounds and p-values are
/// NaN (JSON `null`) rather than a falsely certain point.
const MIN_CLUSTERS: usize = 2;

fn rates(words: &EditCounts, chars: &EditCounts) -> Rates {
    [
        error_rate(words),
        match_error_rate(words),
        error_rate(chars),
        match_error_rate(chars),
    ]
}

/// Resampling clusters: utterance indices grouped by the unit being drawn.
fn clusters(members: &[usize], speakers: Option<&[usize]>, unit: Unit) -> Vec<Vec<usize>> {
    match (unit, speakers) {
        (Unit::Speaker, Some(speakers)) => {
            let mut by_speaker: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
            for &i in members {
                by_speaker.entry(speakers[i]).or_default().push(i);
            }
            by_speaker.into_values().collect()
        }
        _ => members.iter().map(|&i| vec![i]).collect(),
    }
}

/// Sum of each cluster's counts per system.
fn cluster_sums(clusters: &[Vec<usize>], pairs: &[PairCounts]) -> Vec<PairCounts> {
    clusters
        .iter()
        .map(|cluster| {
            let mut sum = PairCounts::default();
            for &i in cluster {
                sum.words += pairs[i].words;
                sum.chars += pairs[i].chars;
            }
            sum
        })
        .collect()
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let position = q * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = position.ceil() as usize;
    sorted[below] + (sorted[above] - sorted[below]) * (position - below as f64)
}

fn resample_rates(sums: &[&[PairCounts]], rng: &mut SplitMix64) -> Vec<Rates> {
    let n = sums[0].len();
    let mut totals = vec![PairCounts::default(); sums.len()];
    for _ in 0..n {
        let draw = rng.below(n);
        for (total, system) in totals.iter_mut().zip(sums) {
            total.words += system[draw].words;
            total.chars += system[draw].chars;
        }
    }
    totals.iter().map(|t| rates(&t.words, &t.chars)).collect()
}

/// Bootstrap intervals for the pooled rates of `members`. `speakers[i]` is the speaker
/// cluster of utterance `i` (needed for [`Unit::Speaker`]). `stream` picks an independent
/// random stream (e.g. [`stream_key`] of the group name).
pub fn intervals(
    pairs: &[PairCounts],
    members: &[usize],
    speakers: Option<&[usize]>,
    config: &Config,
    stream: u64,
) -> Intervals {
    let sums = cluster_sums(&clusters(members, speakers, config.unit), pairs);
    let total: PairCounts = sums.iter().fold(PairCounts::default(), |mut acc, s| {
        acc.words += s.words;
        acc.chars += s.chars;
        acc
    });
    let estimate = rates(&total.words, &total.chars);
    let mut rng = SplitMix64::new(config.seed ^ stream);
    let mut samples: [Vec<f64>; 4] = Default::default();
    if sums.len() >= MIN_CLUSTERS {
        for _ in 0..config.resamples {
            let resampled = resample_rates(&[&sums], &mut rng);
            for (metric, value) in resampled[0].iter().enumerate() {
                samples[metric].push(*value);
            }
        }
    }
    let alpha = (1.0 - config.level) / 2.0;
    let interval = |metric: usize| {
        let mut sorted = samples[metric].clone();
        sorted.sort_by(f64::total_cmp);
        Interval {
            estimate: estimate[metric],
            low: percentile(&sorted, alpha),
            high: percentile(&sorted, 1.0 - alpha),
        }
    };
    Intervals {
        wer: interval(0),
        mer: interval(1),
        cer: interval(2),
        char_mer: interval(3),
    }
}

/// Paired bootstrap of system `b` against system `a` on the same utterances.
pub fn paired(
    a: &[PairCounts],
    b: &[PairCounts],
    members: &[usize],
    speakers: Option<&[usize]>,
    config: &Config,
    stream: u64,
) -> Differences {
    let groups = clusters(members, speakers, config.unit);
    let (sums_a, sums_b) = (cluster_sums(&groups, a), cluster_sums(&groups, b));
    let pool = |sums: &[PairCounts]| {
        let mut total = PairCounts::default();
        for s in sums {
            total.words += s.words;
            total.chars += s.chars;
        }
        rates(&total.words, &total.chars)
    };
    let (rates_a, rates_b) = (pool(&sums_a), pool(&sums_b));
    let observed: Vec<f64> = (0..4).map(|m| rates_b[m] - rates_a[m]).collect();
    let mut rng = SplitMix64::new(config.seed ^ stream);
    let mut deltas: [Vec<f64>; 4] = Default::default();
    if groups.len() >= MIN_CLUSTERS {
        for _ in 0..config.resamples {
            let resampled = resample_rates(&[&sums_a, &sums_b], &mut rng);
            for (metric, delta) in deltas.iter_mut().enumerate() {
                delta.push(resampled[1][metric] - resampled[0][metric]);
            }
        }
    }
    let alpha = (1.0 - config.level) / 2.0;
    let difference = |metric: usize| {
        let mut sorted = deltas[metric].clone();
        sorted.sort_by(f64::total_cmp);
        let delta = observed[metric];
        let extreme = sorted
            .iter()
            .filter(|d| (*d - delta).abs() >= delta.abs())
            .count();
        Difference {
            delta,
            low: percentile(&sorted, alpha),
            high: percentile(&sorted, 1.0 - alpha),
            p_value: if sorted.is_empty() {
                f64::NAN
            } else {
                (1 + extreme) as f64 / (sorted.len() + 1) as f64
            },
        }
    };
    Differences {
        wer: difference(0),
        mer: difference(1),
        cer: difference(2),
        char_mer: difference(3),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::metrics::Scorer;

    fn pairs(texts: &[(&str, &str)]) -> Vec<PairCounts> {
        let mut scorer = Scorer::new();
        texts
            .iter()
            .map(|(r, h)| scorer.pair_counts(r, h))
            .collect()
    }

    #[test]
    fn splitmix_reference_values() {
        // First outputs for seed 1234567 from the reference C implementation
        // (prng.di.unimi.it/splitmix64.c).
        let mut rng = SplitMix64::new(1_234_567);
        assert_eq!(rng.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(rng.next_u64(), 3_203_168_211_198_807_973);
    }

    #[test]
    fn seeded_and_reproducible() {
        let data = pairs(&[
            ("a b c", "a b c"),
            ("a b", "a x"),
            ("c d e f", "c d"),
            ("x", "y"),
        ]);
        let members: Vec<usize> = (0..data.len()).collect();
        let config = Config {
            resamples: 200,
            seed: 7,
            ..Config::default()
        };
        let first = intervals(&data, &members, None, &config, 1);
        assert_eq!(first, intervals(&data, &members, None, &config, 1));
        assert!(first.wer.low <= first.wer.estimate && first.wer.estimate <= first.wer.high);
        assert_ne!(
            first,
            intervals(&data, &members, None, &Config { seed: 8, ..config }, 1)
        );
    }

    #[test]
    fn paired_test_separates_a_clear_win_from_noise() {
        let references: Vec<String> = (0..60).map(|i| format!("w{i} x{i} y{i} z{i}")).collect();
        let good: Vec<(&str, &str)> = references
            .iter()
            .map(|r| (r.as_str(), r.as_str()))
            .collect();
        let bad: Vec<(&str, &str)> = references.iter().map(|r| (r.as_str(), "q")).collect();
        let (a, b) = (pairs(&good), pairs(&bad));
        let members: Vec<usize> = (0..a.len()).collect();
        let config = Config {
            resamples: 500,
            seed: 3,
            ..Config::default()
        };
        let win = paired(&a, &b, &members, None, &config, 0);
        assert_eq!(win.wer.delta, 1.0);
        assert!(win.wer.p_value < 0.01 && win.wer.low > 0.5);
        let same = paired(&a, &a, &members, None, &config, 0);
        assert_eq!(same.wer.delta, 0.0);
        assert_eq!(same.wer.p_value, 1.0);
    }

    #[test]
    fn speaker_resampling_draws_whole_speakers() {
        // Two speakers: one perfect, one always wrong. Speaker resampling must produce
        // only the three mixtures {0, 0.5, 1}-ish WERs, utterance resampling many more.
        let data = pairs(&[("a", "a"), ("a", "a"), ("b", "x"), ("b", "x")]);
        let members = [0, 1, 2, 3];
        let speakers = [0, 0, 1, 1];
        let config = Config {
            resamples: 400,
            seed: 1,
            level: 0.95,
            unit: Unit::Speaker,
        };
        let ci = intervals(&data, &members, Some(&speakers), &config, 0);
        assert_eq!((ci.wer.low, ci.wer.high), (0.0, 1.0));
        let one_speaker = intervals(&data, &[2, 3], Some(&speakers), &config, 0);
        assert!(one_speaker.wer.low.is_nan() && one_speaker.wer.estimate == 1.0);
        let paired_one = paired(&data, &data, &[2, 3], Some(&speakers), &config, 0);
        assert!(paired_one.wer.p_value.is_nan());
    }

    proptest! {
        #[test]
        fn below_stays_in_range(seed in any::<u64>(), n in 1usize..1000) {
            let mut rng = SplitMix64::new(seed);
            for _ in 0..20 {
                prop_assert!(rng.below(n) < n);
            }
        }
    }
}
