//! The word alignment behind a WER, for showing a reference against a hypothesis.

use serde::{Deserialize, Serialize};

/// One step of a minimum-edit alignment of reference words to hypothesis words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Edit {
    Equal {
        word: String,
    },
    Substitute {
        reference: String,
        hypothesis: String,
    },
    Delete {
        reference: String,
    },
    Insert {
        hypothesis: String,
    },
}

impl Edit {
    #[must_use]
    pub fn is_error(&self) -> bool {
        !matches!(self, Self::Equal { .. })
    }
}

/// A minimum-edit (Levenshtein, unit costs) alignment of whitespace-separated words.
/// The error count equals the scorer's (jiwer's); among equally cheap alignments the
/// backtrace prefers a match or substitution, then a deletion, from the end.
#[must_use]
pub fn word_edits(reference: &str, hypothesis: &str) -> Vec<Edit> {
    let r: Vec<&str> = reference.split_whitespace().collect();
    let h: Vec<&str> = hypothesis.split_whitespace().collect();
    let width = h.len() + 1;
    // cost[i * width + j]: edits turning r[..i] into h[..j].
    let mut cost = vec![0usize; (r.len() + 1) * width];
    for (i, row) in cost.chunks_mut(width).enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = if i == 0 {
                j
            } else if j == 0 {
                i
            } else {
                0
            };
        }
    }
    for i in 1..=r.len() {
        for j in 1..=h.len() {
            let diagonal = cost[(i - 1) * width + j - 1] + usize::from(r[i - 1] != h[j - 1]);
            let up = cost[(i - 1) * width + j] + 1;
            let left = cost[i * width + j - 1] + 1;
            cost[i * width + j] = diagonal.min(up).min(left);
        }
    }
    let (mut i, mut j) = (r.len(), h.len());
    let mut edits = Vec::with_capacity(i.max(j));
    while i > 0 || j > 0 {
        let here = cost[i * width + j];
        if i > 0
            && j > 0
            && here == cost[(i - 1) * width + j - 1] + usize::from(r[i - 1] != h[j - 1])
        {
            edits.push(if r[i - 1] == h[j - 1] {
                Edit::Equal {
                    word: r[i - 1].to_owned(),
                }
            } else {
                Edit::Substitute {
                    reference: r[i - 1].to_owned(),
                    hypothesis: h[j - 1].to_owned(),
                }
            });
            (i, j) = (i - 1, j - 1);
        } else if i > 0 && here == cost[(i - 1) * width + j] + 1 {
            edits.push(Edit::Delete {
                reference: r[i - 1].to_owned(),
            });
            i -= 1;
        } else {
            edits.push(Edit::Insert {
                hypothesis: h[j - 1].to_owned(),
            });
            j -= 1;
        }
    }
    edits.reverse();
    edits
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn reference_side(edits: &[Edit]) -> Vec<&str> {
        edits
            .iter()
            .filter_map(|e| match e {
                Edit::Equal { word } => Some(word.as_str()),
                Edit::Substitute { reference, .. } | Edit::Delete { reference } => {
                    Some(reference.as_str())
                }
                Edit::Insert { .. } => None,
            })
            .collect()
    }

    fn hypothesis_side(edits: &[Edit]) -> Vec<&str> {
        edits
            .iter()
            .filter_map(|e| match e {
                Edit::Equal { word } => Some(word.as_str()),
                Edit::Substitute { hypothesis, .. } | Edit::Insert { hypothesis } => {
                    Some(hypothesis.as_str())
                }
                Edit::Delete { .. } => None,
            })
            .collect()
    }

    #[test]
    fn aligns_a_danish_sentence() {
        let edits = word_edits("jeg bor i fyn", "jeg bo på i fyn");
        let errors: Vec<&Edit> = edits.iter().filter(|e| e.is_error()).collect();
        assert_eq!(errors.len(), 2);
        assert_eq!(edits.len(), 5);
        assert_eq!(edits[0], Edit::Equal { word: "jeg".into() });
        assert!(
            matches!(errors[0], Edit::Insert { .. }) || matches!(errors[1], Edit::Insert { .. })
        );
        assert!(errors.iter().any(|e| matches!(e, Edit::Substitute { .. })));
        assert_eq!(edits[4], Edit::Equal { word: "fyn".into() });
    }

    proptest! {
        #[test]
        fn both_sides_are_recovered_with_minimal_cost(
            r in prop::collection::vec("[abc]", 0..12),
            h in prop::collection::vec("[abc]", 0..12),
        ) {
            let (reference, hypothesis) = (r.join(" "), h.join(" "));
            let edits = word_edits(&reference, &hypothesis);
            prop_assert_eq!(reference_side(&edits), r.iter().map(String::as_str).collect::<Vec<_>>());
            prop_assert_eq!(hypothesis_side(&edits), h.iter().map(String::as_str).collect::<Vec<_>>());
            let errors = edits.iter().filter(|e| e.is_error()).count();
            prop_assert!(errors <= r.len().max(h.len()));
            prop_assert!(errors >= r.len().abs_diff(h.len()));
        }
    }
}
