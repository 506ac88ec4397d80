//! N-gram language models for shallow-fusion CTC decoding, compatible with KenLM.
//!
//! - [`Model`]: any ARPA back-off model (KenLM-made included), queried with KenLM's exact
//!   semantics ([`Model::score`] = `kenlm.Model.BaseScore`), in a compact reversed trie
//!   of sorted arrays; [`load`] reads it from ARPA or from our versioned binary cache
//!   ([`binary`]), checked against the ARPA's SHA-256.
//! - [`estimate`]: interpolated modified Kneser–Ney with KenLM `lmplz`'s semantics, to an
//!   ARPA file.
//! - [`corpus`]: CoRal's normalisation of LM training text.

pub mod arpa;
pub mod binary;
mod build;
pub mod corpus;
mod error;
pub mod estimate;
mod model;

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use error::LmError;
pub use model::{FullScore, MAX_ORDER, Model, State, UNK, WordId};

/// Reads through to `inner` and hashes what it reads, so parsing an ARPA file also
/// yields its SHA-256 without a second pass.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.hasher.update(&buffer[..read]);
        Ok(read)
    }
}

/// Parse an ARPA model from `reader`; `origin` names it in errors.
pub fn read_arpa_from(reader: impl Read, origin: &Path) -> Result<Model, LmError> {
    let mut hashing = HashingReader {
        inner: reader,
        hasher: Sha256::new(),
    };
    let mut builder = build::Builder::default();
    arpa::read(
        BufReader::with_capacity(1 << 20, &mut hashing),
        origin,
        &mut builder,
    )?;
    let source: [u8; 32] = hashing.hasher.finalize().into();
    builder.finish(source).map_err(|message| LmError::ArpaFile {
        path: origin.to_owned(),
        message,
    })
}

/// Parse an ARPA file.
pub fn read_arpa(path: &Path) -> Result<Model, LmError> {
    let file = std::fs::File::open(path).map_err(|source| LmError::Read {
        path: path.to_owned(),
        source,
    })?;
    read_arpa_from(file, path)
}

/// SHA-256 of a file's bytes.
pub fn file_sha256(path: &Path) -> Result<[u8; 32], LmError> {
    let failed = |source| LmError::Read {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(failed)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        match file.read(&mut buffer).map_err(failed)? {
            0 => return Ok(hasher.finalize().into()),
            read => hasher.update(&buffer[..read]),
        }
    }
}

/// Where [`load`] keeps the binary cache of an ARPA file by default: next to it.
pub fn default_cache_path(arpa: &Path) -> PathBuf {
    let mut name = arpa.as_os_str().to_owned();
    name.push(".dialekt-lm");
    PathBuf::from(name)
}

/// How [`load`] obtained the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheUse {
    /// No cache was asked for: the ARPA file was parsed.
    None,
    /// The cache matched the ARPA file's hash and was read.
    Hit,
    /// The cache was missing or stale: the ARPA file was parsed and the cache written.
    Written,
}

/// Load an ARPA model, through the binary cache at `cache` when given: a cache recording
/// this ARPA file's SHA-256 is read; otherwise the ARPA file is parsed and the cache
/// (re)written atomically. A cache that claims to match but is damaged is an error.
pub fn load(arpa: &Path, cache: Option<&Path>) -> Result<(Model, CacheUse), LmError> {
    let Some(cache) = cache else {
        return Ok((read_arpa(arpa)?, CacheUse::None));
    };
    if let Some(recorded) = binary::recorded_source(cache)
        && recorded == file_sha256(arpa)?
    {
        return Ok((binary::read(cache)?, CacheUse::Hit));
    }
    let model = read_arpa(arpa)?;
    binary::write(&model, cache)?;
    Ok((model, CacheUse::Written))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::estimate::{EstimateConfig, LMPLZ_DISCOUNT_FALLBACK, estimate};
    use super::*;

    /// Test files need no atomic writes.
    fn put(path: &Path, bytes: &[u8]) {
        use std::io::Write as _;
        std::fs::File::create(path)
            .unwrap()
            .write_all(bytes)
            .unwrap();
    }

    fn model(arpa: &str) -> Result<Model, LmError> {
        read_arpa_from(arpa.as_bytes(), Path::new("test.arpa"))
    }

    /// A trigram whose suffix bigram `b c` is missing (SRILM pruning): KenLM inserts a
    /// blank with the backed-off probability p(c) + bo(b).
    const PRUNED: &str = "\\data\\\nngram 1=5\nngram 2=3\nngram 3=1\n\n\\1-grams:\n-1\t<s>\t-0.5\n-2\ta\t-0.25\n-2.5\tb\t-0.125\n-3\tc\n-1.5\t</s>\n\n\\2-grams:\n-0.5\t<s> a\t-0.2\n-0.6\ta b\t-0.1\n-0.7\tb </s>\n\n\\3-grams:\n-0.3\ta b c\n\n\\end\\\n";

    fn score_after(model: &Model, context: &[&str], word: &str) -> FullScore {
        let mut state = model.null_context();
        for w in context {
            state = model.score(&state, model.index(w)).1;
        }
        model.full_score(&state, model.index(word)).0
    }

    #[test]
    fn backoff_chains_and_blanks() {
        let model = model(PRUNED).unwrap();
        assert_eq!(model.counts(), [5, 3, 1]);
        // No <unk> listed: KenLM's -100.
        assert_eq!(score_after(&model, &[], "zzz").log10_prob, -100.0);
        // The listed trigram.
        assert_eq!(score_after(&model, &["a", "b"], "c").log10_prob, -0.3);
        // The blank "b c", then the backoff of "<s> b" (absent, so nothing).
        let blank = score_after(&model, &["<s>", "b"], "c");
        assert_eq!(blank.log10_prob, -3.0f32 + -0.125);
        assert_eq!(blank.ngram_length, 2);
        // p(</s> | a) = bo(a) + p(</s>); then p(a | <s>) charged nothing.
        assert_eq!(
            score_after(&model, &["a"], "</s>").log10_prob,
            -0.25f32 + -1.5
        );
        // <s> a | a b after "<s> a" (+ its backoff) | the trigram | </s> after a state
        // that kept nothing ("b c" is a blank, "c" no context): summed in float32.
        let expected = [-0.5f32, -0.6 + -0.2, -0.3, -1.5]
            .iter()
            .fold(0.0f32, |total, p| total + p);
        assert_eq!(model.score_sentence("a b c", true, true), expected);
        assert_eq!(
            model.arpa_unigram_list().collect::<Vec<_>>(),
            ["<s>", "a", "b"]
        );
    }

    #[test]
    fn malformed_models_are_errors() {
        let cases = [
            (
                PRUNED.replace("-0.6\ta b\t-0.1", "-0.6\tb a\t-0.1"),
                "context",
            ),
            (PRUNED.replace("-1.5\t</s>", "-1.5\tend"), "</s>"),
            (
                PRUNED.replace("-0.7\tb </s>", "-0.7\tb q"),
                "not among the unigrams",
            ),
            (PRUNED.replace("-0.7\tb </s>", "-0.7\ta b"), "twice"),
            (
                PRUNED.replace("-0.3\ta b c", "-0.3\ta b c\t-0.5"),
                "highest order",
            ),
        ];
        for (text, needle) in cases {
            let error = model(&text).unwrap_err().to_string();
            assert!(error.contains(needle), "{needle}: {error}");
        }
        let line = model(&PRUNED.replace("-0.7\tb </s>", "-0.7\tb q")).unwrap_err();
        assert!(matches!(line, LmError::Arpa { line: 16, .. }), "{line}");
    }

    #[test]
    fn binary_cache_round_trips_and_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let arpa = dir.path().join("m.arpa");
        put(&arpa, PRUNED.as_bytes());
        let cache = default_cache_path(&arpa);
        let (first, how) = load(&arpa, Some(&cache)).unwrap();
        assert_eq!(how, CacheUse::Written);
        let (second, how) = load(&arpa, Some(&cache)).unwrap();
        assert_eq!(how, CacheUse::Hit);
        assert_same(&first, &second);
        assert_eq!(first.source_sha256(), file_sha256(&arpa).unwrap());
        // A changed ARPA file makes the cache stale.
        put(
            &arpa,
            PRUNED.replace("-0.3\ta b c", "-0.4\ta b c").as_bytes(),
        );
        let (third, how) = load(&arpa, Some(&cache)).unwrap();
        assert_eq!(how, CacheUse::Written);
        assert_eq!(score_after(&third, &["a", "b"], "c").log10_prob, -0.4);
        // A damaged cache that claims to match is an error naming it.
        let mut bytes = std::fs::read(&cache).unwrap();
        let at = bytes.len() - 40;
        bytes[at] ^= 1;
        put(&cache, &bytes);
        let error = load(&arpa, Some(&cache)).unwrap_err();
        assert!(matches!(error, LmError::Cache { .. }), "{error}");
        assert!(error.to_string().contains("m.arpa.dialekt-lm"), "{error}");
    }

    fn assert_same(a: &Model, b: &Model) {
        assert_eq!(a.order, b.order);
        assert!(a.words().eq(b.words()));
        assert_eq!(a.levels, b.levels);
        assert_eq!(a.counts, b.counts);
        assert_eq!(a.three_tab_unigrams, b.three_tab_unigrams);
        assert_eq!(a.source_sha256, b.source_sha256);
        assert_eq!((a.bos, a.eos), (b.bos, b.eos));
    }

    fn sentences() -> impl Strategy<Value = Vec<String>> {
        let word = prop::sample::select(vec!["a", "b", "c", "dd", "e", "ff", "g"]);
        let sentence = prop::collection::vec(word, 0..7).prop_map(|words| words.join(" "));
        prop::collection::vec(sentence, 1..30)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Every n-gram written reads back with its probability (the trie walk finds it),
        /// the binary cache reproduces the model, and each context's distribution over
        /// the vocabulary (`<s>` aside) sums to one.
        #[test]
        fn estimate_write_read_round_trip(text in sentences(), order in 1usize..5) {
            prop_assume!(text.iter().any(|sentence| !sentence.is_empty()));
            let config = EstimateConfig { order, discount_fallback: Some(LMPLZ_DISCOUNT_FALLBACK) };
            let estimated = estimate(&text, &config).unwrap();
            let mut arpa_text = Vec::new();
            estimated.write_arpa(&mut arpa_text).unwrap();
            let model = read_arpa_from(arpa_text.as_slice(), Path::new("x.arpa")).unwrap();
            for entries in &estimated.orders {
                for entry in entries {
                    let (context, word) = entry.words.split_at(entry.words.len() - 1);
                    let context: Vec<&str> = context.iter().map(String::as_str).collect();
                    let score = score_after(&model, &context, &word[0]);
                    prop_assert_eq!(score.log10_prob, entry.prob, "{:?}", entry.words);
                }
            }
            let dir = tempfile::tempdir().unwrap();
            let cache = dir.path().join("m.bin");
            binary::write(&model, &cache).unwrap();
            assert_same(&model, &binary::read(&cache).unwrap());
            let mut state = model.begin_sentence();
            for word in text[0].split_whitespace().chain(["</s>"]) {
                let total: f64 = model
                    .words()
                    .filter(|w| *w != "<s>")
                    .map(|w| 10f64.powf(f64::from(model.score(&state, model.index(w)).0)))
                    .sum();
                prop_assert!((total - 1.0).abs() < 1e-4, "sum {} after {:?}", total, state.words());
                state = model.score(&state, model.index(word)).1;
            }
        }
    }
}
