//! Greedy CTC decoding: argmax per frame → collapse repeats → drop blanks.
//!
//! The same rule as fairseq2's validation (`argmax → unique_consecutive → drop blank 0`,
//! omnilingual `wer_calculator.py`); turning ids into text is the tokenizer's job.

use super::CtcOutput;
use super::ctc::BLANK;

/// Token ids of one utterance from its per-frame best ids.
pub fn collapse(best_ids: impl IntoIterator<Item = u32>) -> Vec<u32> {
    let mut out = Vec::new();
    let mut previous = None;
    for id in best_ids {
        if previous != Some(id) && id != BLANK {
            out.push(id);
        }
        previous = Some(id);
    }
    out
}

/// Per-frame argmax ids of each utterance's valid frames.
pub fn best_ids(output: &CtcOutput) -> Vec<Vec<u32>> {
    let [batch, frames, _] = output.logits.dims();
    let ids = output.logits.clone().argmax(2).into_data();
    // argmax yields the backend's int dtype; widen to i64 whatever it is.
    let ids: Vec<i64> = ids
        .convert::<i64>()
        .try_into_vec::<i64>()
        .unwrap_or_default();
    (0..batch)
        .map(|b| {
            let len = output
                .frame_lengths
                .get(b)
                .copied()
                .unwrap_or(0)
                .min(frames);
            ids.get(b * frames..b * frames + len)
                .unwrap_or_default()
                .iter()
                .map(|&i| u32::try_from(i).unwrap_or(BLANK))
                .collect()
        })
        .collect()
}

/// Greedy-decoded token ids for every utterance of a batch.
pub fn greedy_decode(output: &CtcOutput) -> Vec<Vec<u32>> {
    best_ids(output).into_iter().map(collapse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_repeats_then_drops_blanks() {
        assert_eq!(collapse([0, 5, 5, 0, 5, 7, 7, 0]), vec![5, 5, 7]);
        assert_eq!(collapse([0, 0, 0]), Vec::<u32>::new());
        assert_eq!(collapse([3, 3, 3]), vec![3]);
    }
}
