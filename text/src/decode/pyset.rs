//! The order in which CPython 3.11 iterates `set(candidates) | {best}` for the token ids
//! of one frame — pyctcdecode's `idx_list` (`decoder.py`, `_decode_logits`).
//!
//! The order matters beyond ties: pyctcdecode keeps one `force_next_break` flag across
//! all beams and tokens of the search, set by a token ending in `▁` and consumed by the
//! next token tried on *any* beam, so which beam's word gets split depends on the order
//! tokens are tried. Reproducing pyctcdecode's transcripts means trying them in its order.
//!
//! Python `int`s (and NumPy's) hash to themselves, so a set of small non-negative ids is
//! a table of `id & mask` slots with CPython's probing (`setobject.c`: nine linear probes
//! when they fit, then `i = 5i + 1 + perturb`, `perturb >>= 5`), grown to four times its
//! size when it is 60 % full, copied (`set_copy` → `set_merge`) for the union and grown
//! again before merging the second set. The same rules hold in CPython 3.12 and 3.13.

const LINEAR_PROBES: usize = 9;
const PERTURB_SHIFT: u32 = 5;
const MIN_SIZE: usize = 8;

/// CPython's probe sequence for `key` in a table of `mask + 1` slots, as the windows of
/// slots looked at in turn: the slot and its nine linear successors where they fit, else
/// the slot alone; then `i = 5i + 1 + perturb` with `perturb >>= 5` (endless: a table is
/// never full).
fn probe_windows(key: u32, mask: usize) -> impl Iterator<Item = std::ops::RangeInclusive<usize>> {
    let mut perturb = key as usize;
    let mut at = key as usize & mask;
    std::iter::from_fn(move || {
        let probes = if at + LINEAR_PROBES <= mask {
            LINEAR_PROBES
        } else {
            0
        };
        let window = at..=at + probes;
        perturb >>= PERTURB_SHIFT;
        at = (at * 5 + 1 + perturb) & mask;
        Some(window)
    })
}

/// A CPython set of non-negative ints (no deletions, so no dummies).
struct PySet {
    table: Vec<Option<u32>>,
    fill: usize,
}

impl PySet {
    fn new() -> Self {
        Self {
            table: vec![None; MIN_SIZE],
            fill: 0,
        }
    }

    fn mask(&self) -> usize {
        self.table.len() - 1
    }

    /// `set_insert_clean`: the first free slot of `key`'s probe sequence.
    fn insert_clean(table: &mut [Option<u32>], key: u32) {
        for window in probe_windows(key, table.len() - 1) {
            if let Some(free) = table[window].iter_mut().find(|slot| slot.is_none()) {
                *free = Some(key);
                return;
            }
        }
    }

    /// `set_table_resize`: the smallest power of two above `min_used`, entries reinserted
    /// in table order.
    fn resize(&mut self, min_used: usize) {
        let mut size = MIN_SIZE;
        while size <= min_used {
            size <<= 1;
        }
        let old = std::mem::replace(&mut self.table, vec![None; size]);
        for key in old.into_iter().flatten() {
            Self::insert_clean(&mut self.table, key);
        }
    }

    /// `set_add_entry`: the first slot of the probe sequence that is free or holds `key`.
    fn add(&mut self, key: u32) {
        let mask = self.mask();
        for window in probe_windows(key, mask) {
            let start = *window.start();
            let found = self.table[window]
                .iter()
                .position(|slot| slot.is_none_or(|k| k == key));
            if let Some(offset) = found {
                let slot = &mut self.table[start + offset];
                if slot.is_none() {
                    *slot = Some(key);
                    self.fill += 1;
                    if self.fill * 5 >= mask * 3 {
                        let used = self.fill;
                        self.resize(if used > 50_000 { used * 2 } else { used * 4 });
                    }
                }
                return;
            }
        }
    }

    /// `set_merge(self, other)`.
    fn merge(&mut self, other: &PySet) {
        if other.fill == 0 {
            return;
        }
        if (self.fill + other.fill) * 5 >= self.mask() * 3 {
            self.resize((self.fill + other.fill) * 2);
        }
        if self.fill == 0 && self.mask() == other.mask() {
            self.table.clone_from(&other.table);
            self.fill = other.fill;
        } else if self.fill == 0 {
            for &key in other.table.iter().flatten() {
                Self::insert_clean(&mut self.table, key);
            }
            self.fill = other.fill;
        } else {
            for &key in other.table.iter().flatten() {
                self.add(key);
            }
        }
    }
}

/// Iteration order of `set(candidates) | {best}` with `candidates` ascending (as
/// `numpy.where` gives them), written to `out`.
pub(crate) fn union_order(candidates: &[u32], best: u32, out: &mut Vec<u32>) {
    let mut first = PySet::new();
    for &id in candidates {
        first.add(id);
    }
    let mut result = PySet::new();
    result.merge(&first);
    let mut single = PySet::new();
    single.add(best);
    result.merge(&single);
    out.clear();
    out.extend(result.table.iter().flatten());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(candidates: &[u32], best: u32) -> Vec<u32> {
        let mut out = Vec::new();
        union_order(candidates, best, &mut out);
        out
    }

    #[test]
    fn matches_cpython() {
        // Printed by CPython 3.11: list(set(np.array([2, 3, 9, 17, 25, 40])) | {np.int64(5)})
        assert_eq!(order(&[2, 3, 9, 17, 25, 40], 5), [17, 2, 3, 5, 40, 9, 25]);
        let multiples: Vec<u32> = (0..60).step_by(3).collect();
        let mut expected = multiples.clone();
        expected.push(61);
        assert_eq!(order(&multiples, 61), expected);
        assert_eq!(order(&[], 7), [7]);
        assert_eq!(order(&[1, 2, 3], 2), [1, 2, 3]);
    }
}
