//! What each token id contributes to a transcript, as pyctcdecode 0.5.0 sees a "BPE"
//! alphabet (`pyctcdecode/alphabet.py`): a label starting with `▁` begins a new word, one
//! ending with `▁` forces the next token to begin one, `""` is the CTC blank.
//!
//! From a SentencePiece model (the omniASR tokenizers: id 0 `<s>` is the blank, `▁` its
//! own piece before every word):
//!
//! | piece | label | why |
//! |---|---|---|
//! | the blank (id 0) and other control pieces (`<pad>`, `</s>`) | blank | SentencePiece decodes them to nothing; as blanks they also separate repeats, as greedy decoding's collapse-then-drop does |
//! | the unknown piece (and any `<unk>`/`[unk]`) | `▁⁇▁` | pyctcdecode's own substitute; SentencePiece decodes it to ` ⁇ `, a word of its own |
//! | any other piece | itself | `▁x` starts a word, others continue it |
//!
//! Given to pyctcdecode's `build_ctcdecoder` as [`Vocabulary::pyctcdecode_labels`]: `""`
//! for the first blank, distinct spellings of `<pad>` (which pyctcdecode turns into
//! blanks after its duplicate check) for the other blanks, `<unk>` for the unknown piece,
//! the pieces themselves otherwise. Byte-fallback pieces (`<0x41>`) stay literal, as in
//! pyctcdecode.

use std::collections::BTreeSet;

use super::error::DecodeError;
use crate::tokenizer::{PieceType, Tokenizer};

pub(crate) const BOUNDARY: char = '\u{2581}';
/// pyctcdecode's `UNK_BPE_TOKEN`.
pub const UNK_LABEL: &str = "\u{2581}\u{2047}\u{2581}";

/// One token's label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Label {
    Blank,
    Text(String),
}

/// How the search treats a non-blank token (`BeamSearchDecoderCTC._decode_logits`).
#[derive(Debug, Clone)]
pub(crate) struct TextToken {
    /// Index of the label's string among the distinct label strings: pyctcdecode compares
    /// labels, not ids, to detect repeats.
    pub label: u32,
    pub text: String,
    /// Starts with `▁`: begins a word.
    pub leading: bool,
    /// Ends with `▁`: the next token begins a word (pyctcdecode's `force_next_break`).
    pub trailing: bool,
    /// The word piece it begins a word with: `▁` stripped at the start, and if it ends
    /// with `▁`, its last character dropped.
    pub clean: String,
}

/// The labels of a tokenizer's ids.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    labels: Vec<Label>,
    tokens: Vec<Option<TextToken>>,
}

/// `BLANK_TOKEN_PTN` / `UNK_TOKEN_PTN`: `^[<\[]NAME[>\]]$`, case-insensitive.
fn bracketed(piece: &str, name: &str) -> bool {
    let inner = piece
        .strip_prefix(['<', '['])
        .and_then(|rest| rest.strip_suffix(['>', ']']));
    inner.is_some_and(|inner| inner.eq_ignore_ascii_case(name))
}

impl Vocabulary {
    /// Labels for a SentencePiece model, by the table above.
    pub fn from_tokenizer(tokenizer: &Tokenizer) -> Result<Self, DecodeError> {
        let labels = tokenizer
            .pieces()
            .iter()
            .enumerate()
            .map(|(id, piece)| {
                let blank = id as u32 == tokenizer.blank_id()
                    || piece.kind == PieceType::Control
                    || bracketed(&piece.piece, "pad");
                if blank {
                    Label::Blank
                } else if piece.kind == PieceType::Unknown || bracketed(&piece.piece, "unk") {
                    Label::Text(UNK_LABEL.to_owned())
                } else {
                    Label::Text(piece.piece.clone())
                }
            })
            .collect();
        Self::from_labels(labels)
    }

    /// A vocabulary from labels in id order.
    pub fn from_labels(labels: Vec<Label>) -> Result<Self, DecodeError> {
        let invalid = |reason: String| Err(DecodeError::Vocabulary(reason));
        if labels.is_empty() {
            return invalid("no tokens".to_owned());
        }
        let mut distinct: Vec<&str> = Vec::new();
        let mut tokens = Vec::with_capacity(labels.len());
        for (id, label) in labels.iter().enumerate() {
            let Label::Text(text) = label else {
                tokens.push(None);
                continue;
            };
            if text.is_empty() {
                return invalid(format!("token {id} has an empty label (use Label::Blank)"));
            }
            if text.chars().any(crate::normalize::py_is_space) {
                // pyctcdecode refuses spaces in BPE labels, and splits its transcripts at
                // any whitespace: words must not contain it.
                return invalid(format!("token {id} ({text:?}) contains whitespace"));
            }
            if text.starts_with("##") {
                return invalid(format!(
                    "token {id} ({text:?}) starts with ##, which makes pyctcdecode read the vocabulary as WordPiece"
                ));
            }
            let label = match distinct.iter().position(|seen| seen == text) {
                Some(at) => at,
                None => {
                    distinct.push(text);
                    distinct.len() - 1
                }
            } as u32;
            let leading = text.starts_with(BOUNDARY);
            let trailing = text.ends_with(BOUNDARY);
            let mut clean = if leading {
                &text[BOUNDARY.len_utf8()..]
            } else {
                text.as_str()
            };
            if trailing && let Some((at, _)) = clean.char_indices().next_back() {
                clean = &clean[..at];
            }
            tokens.push(Some(TextToken {
                label,
                text: text.clone(),
                leading,
                trailing,
                clean: clean.to_owned(),
            }));
        }
        if !tokens.iter().flatten().any(|token| token.leading) {
            return invalid(format!(
                "no label starts with the word boundary {BOUNDARY}, so words could never be told apart"
            ));
        }
        if tokens.iter().all(Option::is_none) {
            return invalid("every token is a blank".to_owned());
        }
        Ok(Self { labels, tokens })
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn labels(&self) -> &[Label] {
        &self.labels
    }

    pub(crate) fn token(&self, id: usize) -> Option<&TextToken> {
        self.tokens[id].as_ref()
    }

    /// Number of distinct label strings (ids of [`TextToken::label`]).
    pub(crate) fn distinct_labels(&self) -> usize {
        self.tokens
            .iter()
            .flatten()
            .map(|token| token.label as usize + 1)
            .max()
            .unwrap_or(0)
    }

    /// The characters labels can spell (word boundaries and `⁇` aside).
    pub fn alphabet(&self) -> BTreeSet<char> {
        self.tokens
            .iter()
            .flatten()
            .filter(|token| token.text != UNK_LABEL)
            .flat_map(|token| token.text.chars())
            .filter(|&c| c != BOUNDARY)
            .collect()
    }

    /// The label list to give pyctcdecode's `build_ctcdecoder` so that it decodes as this
    /// vocabulary does (see the module docs).
    pub fn pyctcdecode_labels(&self) -> Result<Vec<String>, DecodeError> {
        let spellings = |name: &str| -> Vec<String> {
            let mut out = Vec::new();
            for (open, close) in [('<', '>'), ('[', ']')] {
                for mask in 0..1u32 << name.len() {
                    let cased: String = name
                        .chars()
                        .enumerate()
                        .map(|(at, c)| {
                            if mask >> at & 1 == 1 {
                                c.to_ascii_uppercase()
                            } else {
                                c
                            }
                        })
                        .collect();
                    out.push(format!("{open}{cased}{close}"));
                }
            }
            out
        };
        let (pads, unks) = (spellings("pad"), spellings("unk"));
        let (mut pad, mut unk, mut blank_seen) = (0, 0, false);
        let mut out = Vec::with_capacity(self.labels.len());
        for label in &self.labels {
            let text = match label {
                Label::Blank if !blank_seen => {
                    blank_seen = true;
                    String::new()
                }
                Label::Blank => {
                    pad += 1;
                    pads.get(pad - 1).cloned().ok_or_else(|| {
                        DecodeError::Vocabulary("more than 17 blank tokens".to_owned())
                    })?
                }
                Label::Text(text) if text == UNK_LABEL => {
                    unk += 1;
                    unks.get(unk - 1).cloned().ok_or_else(|| {
                        DecodeError::Vocabulary("more than 16 unknown-word tokens".to_owned())
                    })?
                }
                Label::Text(text) => text.clone(),
            };
            out.push(text);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(label: &str) -> Label {
        Label::Text(label.to_owned())
    }

    #[test]
    fn boundaries_and_clean_pieces() {
        let vocabulary = Vocabulary::from_labels(vec![
            Label::Blank,
            text("\u{2581}"),
            text("a"),
            text("\u{2581}ab"),
            text(UNK_LABEL),
            text("b\u{2581}"),
            Label::Blank,
        ])
        .unwrap();
        let boundary = vocabulary.token(1).unwrap();
        assert!(boundary.leading && boundary.trailing && boundary.clean.is_empty());
        let word = vocabulary.token(3).unwrap();
        assert!(word.leading && !word.trailing);
        assert_eq!(word.clean, "ab");
        assert_eq!(vocabulary.token(4).unwrap().clean, "\u{2047}");
        assert_eq!(vocabulary.token(5).unwrap().clean, "b");
        assert_eq!(vocabulary.alphabet().into_iter().collect::<String>(), "ab");
        assert_eq!(
            vocabulary.pyctcdecode_labels().unwrap(),
            [
                "",
                "\u{2581}",
                "a",
                "\u{2581}ab",
                "<unk>",
                "b\u{2581}",
                "<pad>"
            ]
        );
    }

    #[test]
    fn unusable_vocabularies_are_errors() {
        for labels in [
            vec![],
            vec![Label::Blank, text("a")],
            vec![Label::Blank, text("\u{2581}"), text("a b")],
            vec![Label::Blank, text("\u{2581}"), text("##a")],
            vec![Label::Blank, text("")],
        ] {
            assert!(Vocabulary::from_labels(labels).is_err());
        }
    }

    #[test]
    fn omniasr_layout() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spm_omni.model");
        let tokenizer = Tokenizer::from_file(&path).unwrap();
        let vocabulary = Vocabulary::from_tokenizer(&tokenizer).unwrap();
        let labels = vocabulary.pyctcdecode_labels().unwrap();
        assert_eq!(labels[..5], ["", "<pad>", "<Pad>", "<unk>", "\u{2581}"]);
        assert_eq!(vocabulary.labels()[3], text(UNK_LABEL));
    }
}
