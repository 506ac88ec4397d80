//! SentencePiece `.model` reader, encoder and decoder in pure Rust, for the omniASR
//! tokenizers (`omniASR_tokenizer_v1`, vocab 9812; `omniASR_tokenizer_written_v2`, vocab
//! 10288, which fairseq2 loads as "char_tokenizer" SentencePiece models) and any other
//! SentencePiece model a recipe names.
//!
//! # What is supported
//! Every model type, with ids and text equal to the Python `sentencepiece` package's
//! `encode`/`decode`, version 0.2.3 (its `EncodeOptimized`/`DecodeOptimized`; parity
//! fixtures by `tools/reference/text/gen_spm_fixture.py` and `gen_spm_models_fixture.py`):
//! - **UNIGRAM**: Viterbi over the piece lattice with the model's scores (`model/unigram.rs`
//!   says how ties, unused pieces, user-defined symbols and unknown characters score);
//! - **BPE**: merges in score order, leftmost first, unused pieces split back;
//! - **CHAR**: one piece per character; **WORD**: one piece per "▁"-started word.
//!
//! Around the model, as `SentencePieceProcessor`: the normaliser (precompiled charsmap,
//! `add_dummy_prefix`, `remove_extra_whitespaces`, `escape_whitespaces`,
//! `treat_whitespace_as_suffix`), user-defined symbols kept whole (protected from the
//! normaliser, matched greedily by CHAR/BPE/WORD and favoured in the unigram lattice),
//! control symbols never matched in text, runs of unknown pieces merged into one `<unk>`,
//! or split into `<0xXX>` byte pieces when the model has byte fallback. Encoding adds no
//! BOS/EOS, matching fairseq2's `RawSentencePieceTokenizer`. Decoding
//! ([`decode`](Tokenizer::decode)) drops control pieces, writes `<unk>` as " ⁇ ", decodes
//! byte runs as UTF-8 and applies the denormaliser; fairseq2 0.6's decoder runs the same.
//!
//! # What differs
//! - Sampling, n-best, BPE-dropout and the extra options (`bos:eos:reverse`) are not
//!   implemented: encoding is the deterministic best segmentation only.
//! - `decode` skips ids outside the vocabulary; sentencepiece raises.
//! - A model without `<unk>` is refused even with byte fallback (0.2.3 accepts it).
//! - The charsmap's double array is bounds-checked on every lookup rather than
//!   structurally validated at load (darts-clone's `validate`), so a corrupt charsmap
//!   that sentencepiece refuses may load here; it cannot read out of bounds.
//! - The BOS/EOS/PAD ids are the trainer spec's (`bos_id`, ...), where 0.2.3 looks the
//!   pieces up by name (`<s>`, ...); they agree for every model its trainer writes.
//!
//! In the omniASR layout id 0 is `<s>` and doubles as the CTC blank, 1 is `<pad>`, 2 is
//! `</s>`, 3 is `<unk>`; [`Tokenizer::blank_id`] and friends read them from the model.

mod charsmap;
mod decode;
mod model;
mod normalizer;
mod proto;
mod trie;
mod utf8;
mod vocab;

use std::path::Path;

use prost::Message as _;

use self::decode::Decoder;
use self::model::Model;
pub use self::model::ModelType;
use self::normalizer::Normalizer;
pub use self::normalizer::NormalizerOptions;
use self::trie::Trie;
use self::vocab::Vocab;
pub use self::vocab::{Piece, PieceType};
use crate::Error;

/// A SentencePiece model, ready to encode and decode.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    vocab: Vocab,
    model_type: ModelType,
    model: Model,
    normalizer: Normalizer,
    decoder: Decoder,
    byte_fallback: bool,
    bos_id: Option<u32>,
    eos_id: Option<u32>,
    pad_id: Option<u32>,
}

impl Tokenizer {
    /// Read and validate a `.model` file.
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let bytes = std::fs::read(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_bytes(&bytes, path)
    }

    /// Parse model bytes; `origin` only names the source in errors.
    pub fn from_bytes(bytes: &[u8], origin: &Path) -> Result<Self, Error> {
        let invalid = |reason: String| Error::InvalidModel {
            path: origin.to_owned(),
            reason,
        };
        let model = proto::ModelProto::decode(bytes).map_err(|source| Error::ModelDecode {
            path: origin.to_owned(),
            source,
        })?;
        let trainer = model.trainer_spec.clone().unwrap_or_default();
        let model_type = ModelType::from_proto(trainer.model_type)
            .ok_or_else(|| invalid(format!("unknown model_type {:?}", trainer.model_type)))?;
        let byte_fallback = trainer.byte_fallback.unwrap_or(false);
        let vocab = Vocab::new(
            &model.pieces,
            byte_fallback,
            Model::reserved_map(model_type),
        )
        .map_err(invalid)?;
        let normalizer = Normalizer::new(
            &model.normalizer_spec.unwrap_or_default(),
            trainer.treat_whitespace_as_suffix.unwrap_or(false),
            vocab.user_defined().clone(),
        )
        .map_err(invalid)?;
        let denormalizer = match model.denormalizer_spec {
            Some(spec)
                if spec
                    .precompiled_charsmap
                    .as_ref()
                    .is_some_and(|map| !map.is_empty()) =>
            {
                Some(Normalizer::new(&spec, false, Trie::default()).map_err(invalid)?)
            }
            _ => None,
        };
        let unk_surface = trainer
            .unk_surface
            .unwrap_or_else(|| " \u{2047} ".to_owned());
        let special = |value: Option<i32>, default: i32| -> Option<u32> {
            u32::try_from(value.unwrap_or(default))
                .ok()
                .filter(|&id| (id as usize) < vocab.len())
        };
        Ok(Self {
            bos_id: special(trainer.bos_id, 1),
            eos_id: special(trainer.eos_id, 2),
            pad_id: special(trainer.pad_id, -1),
            model: Model::new(model_type, &vocab).map_err(invalid)?,
            decoder: Decoder::new(unk_surface, &normalizer, denormalizer),
            model_type,
            byte_fallback,
            normalizer,
            vocab,
        })
    }

    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    /// UNIGRAM, BPE, WORD or CHAR.
    pub fn model_type(&self) -> ModelType {
        self.model_type
    }

    /// Whether unknown characters are encoded as `<0xXX>` byte pieces.
    pub fn byte_fallback(&self) -> bool {
        self.byte_fallback
    }

    /// The piece string of `id`, if it exists.
    pub fn piece(&self, id: u32) -> Option<&str> {
        self.vocab.get(id).map(|piece| piece.piece.as_str())
    }

    /// Every vocabulary entry, in id order.
    pub fn pieces(&self) -> &[Piece] {
        self.vocab.pieces()
    }

    /// The id of `piece` (`PieceToId` without the fallback to `<unk>`).
    pub fn id(&self, piece: &str) -> Option<u32> {
        self.vocab.id(piece)
    }

    pub fn unk_id(&self) -> u32 {
        self.vocab.unk_id()
    }

    /// `<s>`: never emitted by [`Tokenizer::encode`]; omniASR's CTC blank.
    pub fn bos_id(&self) -> Option<u32> {
        self.bos_id
    }

    pub fn eos_id(&self) -> Option<u32> {
        self.eos_id
    }

    pub fn pad_id(&self) -> Option<u32> {
        self.pad_id
    }

    /// The CTC blank of omniASR models: id 0 (`<s>`), as torch `ctc_loss`'s default.
    pub fn blank_id(&self) -> u32 {
        0
    }

    /// Whether `id` is a control, unknown or unused piece (decodes to no text of its own).
    pub fn is_special(&self, id: u32) -> bool {
        self.vocab.get(id).is_some_and(|piece| {
            matches!(
                piece.kind,
                PieceType::Control | PieceType::Unknown | PieceType::Unused
            )
        })
    }

    /// The normaliser's whitespace options (what a converted tokenizer must reproduce).
    pub fn normalizer_options(&self) -> NormalizerOptions {
        self.normalizer.options
    }

    /// `SentencePieceProcessor::Normalize`: the text the model segments ("▁" for spaces).
    pub fn normalize(&self, text: &str) -> String {
        self.normalizer.normalize(text)
    }

    /// `SentencePieceProcessor::EncodeAsIds(text)`. No BOS/EOS.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let normalized = self.normalizer.normalize(text);
        let pieces = self.model.encode(&normalized, &self.vocab);
        let mut ids = Vec::with_capacity(pieces.len());
        let mut previous_unknown = false;
        for (piece, id) in pieces {
            let unknown = self.vocab.kind(id) == PieceType::Unknown;
            if unknown && self.byte_fallback {
                ids.extend(piece.bytes().map(|byte| self.vocab.byte_id(byte)));
            } else if !(unknown && previous_unknown) {
                ids.push(id);
            }
            previous_unknown = unknown;
        }
        ids
    }

    /// `SentencePieceProcessor::DecodeIds(ids)`, which fairseq2 0.6's decoder also runs.
    /// Ids outside the vocabulary are skipped (sentencepiece would raise).
    pub fn decode(&self, ids: &[u32]) -> String {
        self.decoder.decode(&self.vocab, ids)
    }
}

#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;
