//! Curve smoothing, as TensorBoard's scalar dashboard does it.

/// Debiased exponential moving average with `weight` in `[0, 1)`: TensorBoard's
/// `classicSmoothing`, so a curve smoothed here looks like the one a researcher knows.
/// Debiasing (`÷ (1 − wⁿ)`) keeps the start of the curve from being dragged to zero.
/// Non-finite values are passed through and do not poison what follows.
#[must_use]
pub fn ema(values: &[f64], weight: f64) -> Vec<f64> {
    let weight = weight.clamp(0.0, 0.999);
    let mut last = 0.0;
    let mut count = 0i32;
    values
        .iter()
        .map(|&y| {
            if !y.is_finite() {
                return y;
            }
            count += 1;
            last = last * weight + (1.0 - weight) * y;
            let debias = 1.0 - weight.powi(count);
            if debias == 0.0 { y } else { last / debias }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_weight_is_identity_and_constants_stay_constant() {
        let values = [3.0, 1.0, 4.0, 1.0, 5.0];
        assert_eq!(ema(&values, 0.0), values);
        for v in ema(&[2.5; 50], 0.9) {
            assert!((v - 2.5).abs() < 1e-12);
        }
    }

    #[test]
    fn matches_tensorboard_by_hand() {
        // w = 0.6: last₁ = 0.4·10 = 4 → 4/0.4 = 10; last₂ = 2.4 + 0.4·20 = 10.4 → 10.4/0.64.
        let out = ema(&[10.0, 20.0], 0.6);
        assert!((out[0] - 10.0).abs() < 1e-12);
        assert!((out[1] - 10.4 / 0.64).abs() < 1e-12);
    }

    #[test]
    fn nan_passes_through() {
        let out = ema(&[1.0, f64::NAN, 1.0], 0.5);
        assert!(out[1].is_nan());
        assert!((out[2] - 1.0).abs() < 1e-12);
    }
}
