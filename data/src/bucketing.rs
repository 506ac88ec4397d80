//! Length bucketing, exactly as fairseq2 does it.
//!
//! [`create_bucket_sizes`] ports `fairseq2.data.data_pipeline.create_bucket_sizes`
//! (fairseq2 0.6) and [`LengthBucketer`] ports the native
//! `bucket_by_length_data_source.cc`: each example goes to the smallest bucket whose
//! length bound holds it; a bucket is emitted when it holds its batch size; at the
//! end of the data, leftovers are merged from the largest bucket downwards so that no
//! batch ever exceeds `max_num_elements` padded samples. The expected bucket lists
//! for dialekt's configs were computed by fairseq2 itself and are checked in
//! `tests/it/bucketing.rs`.

use crate::error::Error;

/// One bucket: batches of up to `batch_size` examples, each at most `max_len` long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BucketSize {
    pub batch_size: usize,
    pub max_len: usize,
}

/// Port of `create_bucket_sizes(max_num_elements=, max_seq_len=, min_seq_len=,
/// num_seqs_multiple_of=)`: buckets with `batch_size * max_len <= max_num_elements`,
/// batch sizes above `num_seqs_multiple_of` rounded down to a multiple of it.
///
/// # Errors
/// [`Error::Config`] for the same invalid arguments fairseq2 rejects.
pub fn create_bucket_sizes(
    max_num_elements: usize,
    max_seq_len: usize,
    min_seq_len: usize,
    num_seqs_multiple_of: usize,
) -> Result<Vec<BucketSize>, Error> {
    if max_seq_len > max_num_elements {
        return Err(Error::Config(format!(
            "max_seq_len ({max_seq_len}) must be <= max_num_elements ({max_num_elements})"
        )));
    }
    if min_seq_len < 1 || min_seq_len > max_seq_len {
        return Err(Error::Config(format!(
            "min_seq_len ({min_seq_len}) must be in 1..={max_seq_len}"
        )));
    }
    if num_seqs_multiple_of < 1 {
        return Err(Error::Config("num_seqs_multiple_of must be >= 1".into()));
    }
    if !max_num_elements.is_multiple_of(max_seq_len) {
        return Err(Error::Config(format!(
            "max_num_elements ({max_num_elements}) must be a multiple of max_seq_len ({max_seq_len})"
        )));
    }
    let mut buckets = Vec::new();
    let mut seq_len = 1;
    let mut batch_size = max_num_elements;
    while seq_len < max_seq_len {
        if seq_len >= min_seq_len {
            buckets.push(BucketSize {
                batch_size,
                max_len: seq_len,
            });
        }
        batch_size = max_num_elements / (seq_len + 1);
        seq_len = max_num_elements / batch_size;
    }
    buckets.push(BucketSize {
        batch_size,
        max_len: max_seq_len,
    });
    for bucket in &mut buckets {
        if bucket.batch_size > num_seqs_multiple_of {
            bucket.batch_size -= bucket.batch_size % num_seqs_multiple_of;
        }
    }
    Ok(buckets)
}

/// omniASR's `add_length_batching`: rounds `max_num_elements` down to a multiple of
/// `max_audio_len` (it warns and does so rather than failing), then buckets with
/// batch sizes that are multiples of 8.
///
/// # Errors
/// As [`create_bucket_sizes`].
pub fn omni_bucket_sizes(
    max_num_elements: usize,
    max_audio_len: usize,
    min_audio_len: usize,
) -> Result<Vec<BucketSize>, Error> {
    let rounded = max_num_elements
        .checked_div(max_audio_len)
        .map_or(max_num_elements, |n| n * max_audio_len);
    create_bucket_sizes(rounded, max_audio_len, min_audio_len, 8)
}

/// Streaming `bucket_by_length` (skip below min / above max, no drop of the remainder).
#[derive(Debug, Clone)]
pub struct LengthBucketer<T> {
    sizes: Vec<BucketSize>,
    buckets: Vec<Vec<T>>,
    min_len: usize,
}

impl<T> LengthBucketer<T> {
    /// `sizes` must be sorted by `max_len` (as [`create_bucket_sizes`] returns them).
    #[must_use]
    pub fn new(sizes: Vec<BucketSize>, min_len: usize) -> Self {
        let buckets = sizes
            .iter()
            .map(|s| Vec::with_capacity(s.batch_size))
            .collect();
        Self {
            sizes,
            buckets,
            min_len,
        }
    }

    /// Adds one example of length `len`; returns a full batch if this completed one.
    /// Examples outside `[min_len, largest max_len]` are dropped, like fairseq2's
    /// `skip_below_min_examples` / `skip_above_max_examples`.
    pub fn push(&mut self, item: T, len: usize) -> Option<Vec<T>> {
        if len < self.min_len {
            return None;
        }
        let index = self.sizes.iter().position(|s| len <= s.max_len)?;
        let bucket = &mut self.buckets[index];
        bucket.push(item);
        (bucket.len() >= self.sizes[index].batch_size).then(|| std::mem::take(bucket))
    }

    /// Drains the leftovers at the end of the data, largest bucket first, topping each
    /// up from smaller buckets (which can only lower its padded size).
    pub fn finish(&mut self) -> Vec<Vec<T>> {
        let mut batches = Vec::new();
        for i in (0..self.buckets.len()).rev() {
            if self.buckets[i].is_empty() {
                continue;
            }
            let mut remaining = self.sizes[i]
                .batch_size
                .saturating_sub(self.buckets[i].len());
            for j in (0..i).rev() {
                while remaining > 0 {
                    let Some(item) = self.buckets[j].pop() else {
                        break;
                    };
                    self.buckets[i].push(item);
                    remaining -= 1;
                }
                if remaining == 0 {
                    break;
                }
            }
            batches.push(std::mem::take(&mut self.buckets[i]));
        }
        batches
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_config_matches_research_notes() {
        let sizes = omni_bucket_sizes(960_000, 960_000, 32_000).unwrap();
        assert_eq!(sizes.len(), 30);
        assert_eq!(
            sizes[0],
            BucketSize {
                batch_size: 24,
                max_len: 32_000
            }
        );
        assert_eq!(
            sizes[29],
            BucketSize {
                batch_size: 1,
                max_len: 960_000
            }
        );
    }

    #[test]
    fn emits_full_buckets_and_merges_leftovers() {
        let sizes = vec![
            BucketSize {
                batch_size: 4,
                max_len: 10,
            },
            BucketSize {
                batch_size: 2,
                max_len: 20,
            },
        ];
        let mut b = LengthBucketer::new(sizes, 1);
        assert_eq!(b.push("a", 5), None);
        assert_eq!(b.push("too-long", 21), None);
        assert_eq!(b.push("too-short", 0), None);
        assert_eq!(b.push("b", 15), None);
        assert_eq!(b.push("c", 16), Some(vec!["b", "c"]));
        assert_eq!(b.push("d", 3), None);
        assert_eq!(b.push("e", 12), None);
        // Leftovers: the 20-bucket ("e") is topped up from the 10-bucket, last in first.
        assert_eq!(b.finish(), vec![vec!["e", "d"], vec!["a"]]);
    }
}
