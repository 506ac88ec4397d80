//! Downsampling long curves without losing what matters in them.
//!
//! A 20,000-step run has more points than a chart has pixels. Averaging or striding would
//! hide exactly what a researcher looks for (a loss spike, a divergence), so each bucket
//! of steps keeps its minimum, its maximum and its last point, as TensorBoard's and
//! uPlot's decimation do. Zooming re-buckets the visible range from the full series.

use super::Series;

/// At most `3 × buckets` points of `series` (in step order, a subset of it), keeping each
/// bucket's minimum, maximum and last value. `range` limits it to steps within
/// `[low, high]`; a series short enough is returned as is.
#[must_use]
pub fn downsample(series: &Series, range: Option<(f64, f64)>, buckets: usize) -> Series {
    #[allow(clippy::cast_precision_loss)] // steps are far below 2^52
    let in_range = |i: &usize| {
        range.is_none_or(|(low, high)| (low..=high).contains(&(series.step[*i] as f64)))
    };
    let visible: Vec<usize> = (0..series.len()).filter(in_range).collect();
    let buckets = buckets.max(1);
    let mut out = Series::new(series.key.clone());
    if visible.len() <= 3 * buckets {
        for &i in &visible {
            out.push(series.step[i], series.elapsed_s[i], series.value[i]);
        }
        return out;
    }
    for chunk in chunks(&visible, buckets) {
        let mut keep = vec![
            extreme(series, chunk, |a, b| a < b),
            extreme(series, chunk, |a, b| a > b),
            chunk[chunk.len() - 1],
        ];
        keep.sort_unstable();
        keep.dedup();
        for i in keep {
            out.push(series.step[i], series.elapsed_s[i], series.value[i]);
        }
    }
    out
}

/// The steps logged between `low` and `high` seconds since the start (inclusive), as a
/// step range for [`downsample`]: a zoom on the wall-time axis re-buckets like one on the
/// step axis. `None` when no point lies in that time span.
#[must_use]
pub fn steps_within_elapsed(series: &Series, (low, high): (f64, f64)) -> Option<(f64, f64)> {
    #[allow(clippy::cast_precision_loss)] // steps are far below 2^52
    let steps = series
        .step
        .iter()
        .zip(&series.elapsed_s)
        .filter(|(_, t)| (low..=high).contains(*t))
        .map(|(s, _)| *s as f64);
    let (first, last) = steps.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), s| {
        (a.min(s), b.max(s))
    });
    (first <= last).then_some((first, last))
}

/// `indices` cut into `buckets` contiguous, nearly equal, non-empty chunks.
fn chunks(indices: &[usize], buckets: usize) -> impl Iterator<Item = &[usize]> {
    let n = indices.len();
    (0..buckets).filter_map(move |b| {
        let (start, end) = (b * n / buckets, (b + 1) * n / buckets);
        (start < end).then(|| &indices[start..end])
    })
}

/// The first index of `chunk` whose value beats all others by `better`. NaN never wins,
/// so a chunk of NaNs keeps its first point.
fn extreme(series: &Series, chunk: &[usize], better: fn(f64, f64) -> bool) -> usize {
    chunk.iter().copied().fold(chunk[0], |best, i| {
        let (candidate, current) = (series.value[i], series.value[best]);
        if current.is_nan() && !candidate.is_nan() || better(candidate, current) {
            i
        } else {
            best
        }
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn series(values: &[f64]) -> Series {
        let mut s = Series::new("train/ctc_loss");
        for (i, v) in values.iter().enumerate() {
            #[allow(clippy::cast_precision_loss)]
            s.push(i as u64 + 1, i as f64 * 0.5, *v);
        }
        s
    }

    #[test]
    fn a_spike_survives_downsampling() {
        let mut values = vec![1.0; 20_000];
        values[12_345] = 50.0;
        values[777] = -3.0;
        let out = downsample(&series(&values), None, 100);
        assert!(out.len() <= 300);
        assert!(out.value.contains(&50.0) && out.value.contains(&-3.0));
        assert_eq!(out.step.last(), Some(&20_000));
    }

    #[test]
    fn zoom_rebuckets_the_visible_range_only() {
        let values: Vec<f64> = (0..10_000).map(|i| f64::from(i % 97)).collect();
        let out = downsample(&series(&values), Some((2_000.0, 2_100.0)), 500);
        assert_eq!(out.step.first(), Some(&2_000));
        assert_eq!(out.step.last(), Some(&2_100));
        assert_eq!(out.len(), 101, "few enough points are all kept");
    }

    #[test]
    fn a_wall_time_span_maps_to_its_steps() {
        let s = series(&[1.0; 10]); // step i + 1 at 0.5 i seconds
        assert_eq!(steps_within_elapsed(&s, (1.0, 2.0)), Some((3.0, 5.0)));
        assert_eq!(steps_within_elapsed(&s, (100.0, 200.0)), None);
    }

    proptest! {
        #[test]
        fn keeps_extremes_order_and_subset(
            values in prop::collection::vec(-1e6f64..1e6, 1..3000),
            buckets in 1usize..200,
        ) {
            let input = series(&values);
            let out = downsample(&input, None, buckets);
            prop_assert!(out.len() <= 3 * buckets.max(1) || out.len() == input.len());
            prop_assert!(out.step.windows(2).all(|w| w[0] < w[1]));
            for (step, value) in out.step.iter().zip(&out.value) {
                #[allow(clippy::cast_possible_truncation)]
                let original = values[(*step - 1) as usize];
                prop_assert_eq!(original.to_bits(), value.to_bits());
            }
            let max = values.iter().copied().fold(f64::MIN, f64::max);
            let min = values.iter().copied().fold(f64::MAX, f64::min);
            prop_assert!(out.value.contains(&max) && out.value.contains(&min));
            prop_assert_eq!(out.step.last(), input.step.last());
        }
    }
}
