//! From a `[frames, vocab]` matrix of logits (or log-probabilities) to the clipped
//! natural-log probabilities pyctcdecode searches over: `log_softmax` along the vocabulary
//! (which leaves log-probabilities as they are, up to rounding), clipped to
//! `[ln 1e-15, 0]` (`decode_beams`).
//!
//! Computed in float64 as `(x − max) − ln Σ exp(x − max)` with the sum taken in token
//! order; the reference fixtures feed pyctcdecode's search these same values (NumPy's own
//! `log_softmax` differs from them in the last bits).

use super::error::DecodeError;

/// `math.log(MIN_TOKEN_CLIP_P)` with pyctcdecode's `MIN_TOKEN_CLIP_P = 1e-15`.
pub(crate) const MIN_LOG_PROB: f64 = -34.538_776_394_910_684;

/// The clipped log-probabilities, frame after frame.
pub(crate) fn log_probs(logits: &[f32], vocab: usize) -> Result<Vec<f64>, DecodeError> {
    if vocab == 0 || !logits.len().is_multiple_of(vocab) {
        return Err(DecodeError::Logits(format!(
            "{} values are not a whole number of frames of {vocab} tokens",
            logits.len()
        )));
    }
    let mut out = Vec::with_capacity(logits.len());
    for (frame, row) in logits.chunks_exact(vocab).enumerate() {
        let mut max = f64::NEG_INFINITY;
        for (token, &value) in row.iter().enumerate() {
            if value.is_nan() || value == f32::INFINITY {
                return Err(DecodeError::BadLogit {
                    frame,
                    token,
                    value,
                });
            }
            max = max.max(f64::from(value));
        }
        if max == f64::NEG_INFINITY {
            return Err(DecodeError::Logits(format!(
                "frame {frame} gives every token probability zero (all logits are -inf)"
            )));
        }
        let sum = row
            .iter()
            .fold(0.0f64, |sum, &value| sum + (f64::from(value) - max).exp());
        let log_sum = sum.ln();
        out.extend(
            row.iter()
                .map(|&value| ((f64::from(value) - max) - log_sum).clamp(MIN_LOG_PROB, 0.0)),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_clips() {
        let logp = log_probs(&[0.0, 0.0, f32::NEG_INFINITY, 2.0, 1.0, -100.0], 3).unwrap();
        assert!((logp[0] - 0.5f64.ln()).abs() < 1e-15);
        assert_eq!(logp[2], MIN_LOG_PROB);
        assert_eq!(logp[5], MIN_LOG_PROB);
        let again = log_probs(&logp.iter().map(|&v| v as f32).collect::<Vec<_>>(), 3).unwrap();
        assert!((again[3] - logp[3]).abs() < 1e-6);
        assert!(matches!(
            log_probs(&[0.0, f32::NAN], 2),
            Err(DecodeError::BadLogit {
                frame: 0,
                token: 1,
                ..
            })
        ));
        assert!(log_probs(&[0.0; 5], 2).is_err());
        assert!(log_probs(&[f32::NEG_INFINITY; 2], 2).is_err());
    }
}
