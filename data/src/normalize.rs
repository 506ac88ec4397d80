//! `normalize_audio`: the per-utterance standardisation omniASR applies before the
//! model sees a waveform (`torch.nn.functional.layer_norm(wav, wav.shape)`), i.e.
//! zero mean and unit variance over all samples, biased variance, eps 1e-5, no
//! affine parameters. The CTC head emits mostly blanks without it.

/// The `eps` of `torch.nn.functional.layer_norm`'s default.
pub const LAYER_NORM_EPS: f64 = 1e-5;

/// Standardises `samples` in place. Statistics accumulate in `f64` so that a minute
/// of audio (960 000 samples) does not lose precision.
pub fn normalize_audio(samples: &mut [f32]) {
    if samples.is_empty() {
        return;
    }
    let n = samples.len() as f64;
    let mean = samples.iter().map(|&s| f64::from(s)).sum::<f64>() / n;
    let var = samples
        .iter()
        .map(|&s| (f64::from(s) - mean).powi(2))
        .sum::<f64>()
        / n;
    let inv_std = 1.0 / (var + LAYER_NORM_EPS).sqrt();
    for s in samples.iter_mut() {
        *s = ((f64::from(*s) - mean) * inv_std) as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_zero_mean_unit_variance() {
        let mut x: Vec<f32> = (0..10_000)
            .map(|i| (i as f32 * 0.37).sin() * 0.3 + 0.1)
            .collect();
        normalize_audio(&mut x);
        let n = x.len() as f64;
        let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let var = x
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / n;
        assert!(mean.abs() < 1e-6);
        assert!((var - 1.0).abs() < 1e-3);
    }

    #[test]
    fn matches_torch_layer_norm_on_a_small_vector() {
        // torch.nn.functional.layer_norm(torch.tensor([1., 2., 3., 4.]), (4,))
        let mut x = [1.0f32, 2.0, 3.0, 4.0];
        normalize_audio(&mut x);
        let expected = [-1.341_635_5f32, -0.447_211_83, 0.447_211_83, 1.341_635_5];
        for (a, b) in x.iter().zip(expected) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    #[test]
    fn silence_stays_finite() {
        let mut x = vec![0.0f32; 100];
        normalize_audio(&mut x);
        assert!(x.iter().all(|v| v.is_finite() && *v == 0.0));
    }
}
