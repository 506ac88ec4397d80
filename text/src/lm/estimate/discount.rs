//! Step 3: modified Kneser–Ney discounts from counts-of-counts, in float32 as lmplz's
//! `StatCollector::CalculateDiscounts` computes them (Chen & Goodman 1998, eq. 26):
//! `Y = n1 / (n1 + 2 n2)`, `Dk = k − (k + 1) Y n(k+1) / nk` for k = 1, 2, 3.

use super::super::error::LmError;

/// The discount of an adjusted count: `amount[min(count, 3)]`, `amount[0] = 0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Discount {
    pub amount: [f32; 4],
}

impl Discount {
    pub(super) fn get(&self, count: u64) -> f32 {
        self.amount[count.min(3) as usize]
    }

    /// `Discount::Apply`: the discounted count.
    pub(super) fn apply(&self, count: u64) -> f32 {
        count as f32 - self.get(count)
    }
}

/// The discounts of `order` from its counts-of-counts `n[0..5]`; when they cannot be
/// computed (a zero n1..n3, or a result outside `[0, k]`), the fallback if there is one.
pub(super) fn from_counts_of_counts(
    order: usize,
    n: &[u64; 5],
    fallback: Option<[f32; 3]>,
) -> Result<Discount, LmError> {
    match closed_form(n) {
        Ok(amount) => Ok(Discount { amount }),
        Err(message) => match fallback {
            Some([d1, d2, d3]) => Ok(Discount {
                amount: [0.0, d1, d2, d3],
            }),
            None => Err(LmError::Discount {
                order,
                message: format!(
                    "{message}; is the text tiny or artificial? Deduplicate it, or give discount fallbacks (lmplz --discount_fallback)"
                ),
            }),
        },
    }
}

fn closed_form(n: &[u64; 5]) -> Result<[f32; 4], String> {
    if let Some(k) = (1..4).find(|&k| n[k] == 0) {
        return Err(format!("no n-grams with adjusted count {k}"));
    }
    let y = n[1] as f32 / (n[1] as f64 + 2.0 * n[2] as f64) as f32;
    let mut amount = [0.0f32; 4];
    for k in 1..4 {
        amount[k] = k as f32 - (k + 1) as f32 * y * n[k + 1] as f32 / n[k] as f32;
        if !(0.0..=k as f32).contains(&amount[k]) {
            return Err(format!("discount D{k} = {} is outside [0, {k}]", amount[k]));
        }
    }
    Ok(amount)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chen_goodman_discounts() {
        let d = from_counts_of_counts(1, &[0, 100, 40, 20, 10], None).unwrap();
        let y = 100.0f32 / 180.0;
        assert_eq!(d.amount[1], 1.0 - 2.0 * y * 40.0 / 100.0);
        assert_eq!(d.get(7), d.amount[3]);
        assert_eq!(d.apply(0), 0.0);
        let missing = from_counts_of_counts(2, &[0, 5, 0, 1, 1], None);
        assert!(matches!(missing, Err(LmError::Discount { order: 2, .. })));
        let fallback = from_counts_of_counts(2, &[0, 5, 0, 1, 1], Some([0.5, 1.0, 1.5]));
        assert_eq!(fallback.unwrap().amount, [0.0, 0.5, 1.0, 1.5]);
    }
}
