//! `SentencePieceProcessor::Decode`, which fairseq2 0.6's decoder also runs: pieces are
//! concatenated with "▁" turned back into " ", control pieces (`<s>`, `</s>`, `<pad>`)
//! vanish, `<unk>` becomes the unknown surface (" ⁇ "), runs of byte pieces are decoded
//! as UTF-8 (U+FFFD per invalid byte), and the first piece loses the dummy-prefix space.

use super::normalizer::{Normalizer, SPACE_SYMBOL};
use super::utf8::{parse_byte_piece, push_bytes_like_sentencepiece};
use super::vocab::{Piece, PieceType, Vocab};

#[derive(Debug, Clone)]
pub struct Decoder {
    /// `TrainerSpec.unk_surface`.
    unk_surface: String,
    /// Whether a leading "▁" is the normaliser's (`add_dummy_prefix` or
    /// `remove_extra_whitespaces`) and is dropped.
    strip_leading_space: bool,
    remove_extra_whitespaces: bool,
    /// The model's `denormalizer_spec`, applied to the decoded text if it has rules.
    denormalizer: Option<Normalizer>,
}

impl Decoder {
    pub fn new(
        unk_surface: String,
        normalizer: &Normalizer,
        denormalizer: Option<Normalizer>,
    ) -> Self {
        Self {
            unk_surface,
            strip_leading_space: normalizer.options.add_dummy_prefix
                || normalizer.options.remove_extra_whitespaces,
            remove_extra_whitespaces: normalizer.options.remove_extra_whitespaces,
            denormalizer,
        }
    }

    /// Ids outside the vocabulary are skipped (sentencepiece would raise).
    pub fn decode(&self, vocab: &Vocab, ids: &[u32]) -> String {
        let mut text = String::new();
        let mut bytes: Vec<u8> = Vec::new();
        let mut expect_leading_space = true;
        let mut leading_space_seen = false;
        for entry in ids.iter().filter_map(|&id| vocab.get(id)) {
            if entry.kind == PieceType::Byte {
                bytes.extend(parse_byte_piece(&entry.piece));
                continue;
            }
            push_bytes_like_sentencepiece(&bytes, &mut text);
            bytes.clear();
            if leading_space_seen || !text.is_empty() {
                expect_leading_space = false;
            }
            let (decoded, consumed_space) = self.decode_piece(entry, expect_leading_space);
            leading_space_seen = consumed_space;
            text.push_str(&decoded);
        }
        push_bytes_like_sentencepiece(&bytes, &mut text);
        match &self.denormalizer {
            Some(denormalizer) => denormalizer.normalize(&text),
            None => text,
        }
    }

    /// `DecodeSentencePiece`: the piece's text and whether it consumed the leading space.
    fn decode_piece(&self, entry: &Piece, expect_leading_space: bool) -> (String, bool) {
        match entry.kind {
            PieceType::Control => return (String::new(), false),
            PieceType::Unknown => return (self.unk_surface.clone(), false),
            _ => {}
        }
        let mut piece = entry.piece.as_str();
        let mut consumed = false;
        if expect_leading_space
            && self.strip_leading_space
            && let Some(rest) = piece.strip_prefix(SPACE_SYMBOL)
        {
            piece = rest;
            consumed = !self.remove_extra_whitespaces;
        }
        (piece.replace(SPACE_SYMBOL, " "), consumed)
    }
}
