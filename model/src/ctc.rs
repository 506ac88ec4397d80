//! The CTC loss exactly as fairseq2's `Wav2Vec2AsrModel` computes it: `log_softmax` in fp32,
//! blank 0, `reduction="sum"`, `zero_infinity=True`, input lengths = frame lengths.
//!
//! burn's `CTCLoss` dispatches to libtorch's native `_ctc_loss` on burn-tch (forward and
//! backward kernels) and to a decomposed log-space implementation on flex. burn-tch's backward
//! ignores `zero_infinity`: an infeasible utterance (fewer frames than tokens plus adjacent
//! repeats) would turn the *whole* gradient into NaN. torch's `zero_infinity` makes such an
//! utterance contribute 0 loss and 0 gradient; we get the same by leaving it out of the loss,
//! which is exact, cheaper and backend-independent.

use burn::nn::loss::CTCLossConfig;
use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor, TensorData};

/// The CTC blank index (omniASR: `<s>` = 0, torch's default).
pub const BLANK: u32 = 0;

/// A summed CTC loss and which utterances it covers.
#[derive(Debug, Clone)]
pub struct CtcLoss {
    /// Scalar `[1]`: the sum over the utterances that could be aligned.
    pub loss: Tensor<1>,
    /// Batch indices left out because no alignment exists (their torch loss would be inf,
    /// zeroed by `zero_infinity`).
    pub infeasible: Vec<usize>,
}

/// Whether CTC can align `tokens` to `frames` frames: every token needs a frame, and two equal
/// adjacent tokens need a blank frame between them.
pub fn is_feasible(frames: usize, tokens: &[u32]) -> bool {
    let repeats = tokens.windows(2).filter(|w| w[0] == w[1]).count();
    frames >= tokens.len() + repeats
}

/// fairseq2's summed CTC loss of `logits` (`[batch, frames, vocab]`, valid frames per
/// `frame_lengths`) against token sequences `targets` (no blanks, no padding).
///
/// # Panics
/// If `frame_lengths` or `targets` do not have one entry per batch row (a programming error).
pub fn ctc_loss(logits: Tensor<3>, frame_lengths: &[usize], targets: &[Vec<u32>]) -> CtcLoss {
    let [batch, frames, _] = logits.dims();
    assert_eq!(frame_lengths.len(), batch, "one frame length per utterance");
    assert_eq!(targets.len(), batch, "one target per utterance");
    let device = logits.device();
    let (feasible, infeasible): (Vec<usize>, Vec<usize>) =
        (0..batch).partition(|&i| is_feasible(frame_lengths[i], &targets[i]));
    if feasible.is_empty() {
        // Zero, but still connected to the graph so `backward` works and gives zero grads.
        return CtcLoss {
            loss: logits.sum() * 0.0,
            infeasible,
        };
    }
    let logits = if infeasible.is_empty() {
        logits
    } else {
        let index: Vec<i64> = feasible.iter().map(|&i| i as i64).collect();
        let n = index.len();
        logits.select(
            0,
            Tensor::<1, Int>::from_data(TensorData::new(index, [n]), &device),
        )
    };
    let max_len = feasible
        .iter()
        .map(|&i| targets[i].len())
        .max()
        .unwrap_or(0)
        .max(1);
    let n = feasible.len();
    let mut padded = vec![i64::from(BLANK); n * max_len];
    for (row, &i) in padded.chunks_mut(max_len).zip(&feasible) {
        for (slot, &token) in row.iter_mut().zip(&targets[i]) {
            *slot = i64::from(token);
        }
    }
    let int = |values: Vec<i64>, shape: Vec<usize>| {
        Tensor::<1, Int>::from_data(TensorData::new(values, shape), &device)
    };
    let targets_t = Tensor::<2, Int>::from_data(TensorData::new(padded, [n, max_len]), &device);
    let input_lengths = int(
        feasible
            .iter()
            .map(|&i| frame_lengths[i].min(frames) as i64)
            .collect(),
        vec![n],
    );
    let target_lengths = int(
        feasible.iter().map(|&i| targets[i].len() as i64).collect(),
        vec![n],
    );
    // [N, S, V] -> [S, N, V] log-probs, as torch's ctc_loss wants them.
    let log_probs = log_softmax(logits, 2).swap_dims(0, 1);
    let per_utterance = CTCLossConfig::new()
        .with_blank(BLANK as usize)
        .with_zero_infinity(true)
        .init()
        .forward(log_probs, targets_t, input_lengths, target_lengths);
    CtcLoss {
        loss: per_utterance.sum(),
        infeasible,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feasibility_counts_adjacent_repeats() {
        assert!(is_feasible(3, &[1, 2, 3]));
        assert!(!is_feasible(3, &[1, 1, 2]));
        assert!(is_feasible(4, &[1, 1, 2]));
        assert!(is_feasible(0, &[]));
    }
}
