//! SentencePiece `.model` reader and char-model encoder/decoder in pure Rust, for the
//! omniASR tokenizers (`omniASR_tokenizer_v1`, vocab 9812; `omniASR_tokenizer_written_v2`,
//! vocab 10288), which fairseq2 loads as "char_tokenizer" SentencePiece models.
//!
//! The file is a protobuf `ModelProto`; we declare the handful of fields we need as `prost`
//! messages by hand (no `protoc`, no build script) and skip the rest. Encoding follows
//! `sentencepiece` (google/sentencepiece @ 2734490): the normaliser (precompiled
//! double-array charsmap, dummy prefix, extra-whitespace removal, " " → "▁"), then the
//! char model (one piece per character, user-defined symbols first), with runs of unknown
//! characters merged into one `<unk>` as `PopulateSentencePieceText` does (or split into
//! `<0xXX>` byte pieces when the model has byte fallback). Encoding adds no BOS/EOS,
//! matching fairseq2's `RawSentencePieceTokenizer`. Decoding follows
//! `SentencePieceProcessor::Decode`, which is also what fairseq2 0.6's decoder runs:
//! control pieces (`<s>`, `<pad>`, `</s>`) decode to "", `<unk>` to " ⁇ ".
//!
//! In the omniASR layout id 0 is `<s>` and doubles as the CTC blank, 1 is `<pad>`, 2 is
//! `</s>`, 3 is `<unk>`; [`Tokenizer::blank_id`] and friends read them from the model.

use std::collections::BTreeMap;
use std::path::Path;

use prost::Message as _;

use crate::Error;

/// The protobuf messages of `sentencepiece_model.proto`, reduced to what we read.
mod proto {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ModelProto {
        #[prost(message, repeated, tag = "1")]
        pub pieces: Vec<SentencePiece>,
        #[prost(message, optional, tag = "2")]
        pub trainer_spec: Option<TrainerSpec>,
        #[prost(message, optional, tag = "3")]
        pub normalizer_spec: Option<NormalizerSpec>,
        #[prost(message, optional, tag = "5")]
        pub denormalizer_spec: Option<NormalizerSpec>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct SentencePiece {
        #[prost(string, optional, tag = "1")]
        pub piece: Option<String>,
        #[prost(float, optional, tag = "2")]
        pub score: Option<f32>,
        #[prost(int32, optional, tag = "3")]
        pub r#type: Option<i32>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TrainerSpec {
        #[prost(int32, optional, tag = "3")]
        pub model_type: Option<i32>,
        #[prost(int32, optional, tag = "4")]
        pub vocab_size: Option<i32>,
        #[prost(bool, optional, tag = "24")]
        pub treat_whitespace_as_suffix: Option<bool>,
        #[prost(bool, optional, tag = "35")]
        pub byte_fallback: Option<bool>,
        #[prost(int32, optional, tag = "40")]
        pub unk_id: Option<i32>,
        #[prost(int32, optional, tag = "41")]
        pub bos_id: Option<i32>,
        #[prost(int32, optional, tag = "42")]
        pub eos_id: Option<i32>,
        #[prost(int32, optional, tag = "43")]
        pub pad_id: Option<i32>,
        #[prost(string, optional, tag = "44")]
        pub unk_surface: Option<String>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct NormalizerSpec {
        #[prost(string, optional, tag = "1")]
        pub name: Option<String>,
        #[prost(bytes = "vec", optional, tag = "2")]
        pub precompiled_charsmap: Option<Vec<u8>>,
        #[prost(bool, optional, tag = "3")]
        pub add_dummy_prefix: Option<bool>,
        #[prost(bool, optional, tag = "4")]
        pub remove_extra_whitespaces: Option<bool>,
        #[prost(bool, optional, tag = "5")]
        pub escape_whitespaces: Option<bool>,
    }
}

/// `ModelProto.SentencePiece.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum PieceType {
    Normal,
    Unknown,
    Control,
    UserDefined,
    Unused,
    Byte,
}

impl PieceType {
    fn from_proto(value: Option<i32>) -> Option<Self> {
        Some(match value.unwrap_or(1) {
            1 => Self::Normal,
            2 => Self::Unknown,
            3 => Self::Control,
            4 => Self::UserDefined,
            5 => Self::Unused,
            6 => Self::Byte,
            _ => return None,
        })
    }
}

/// One vocabulary entry.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Piece {
    pub piece: String,
    pub score: f32,
    pub kind: PieceType,
}

const SPACE_SYMBOL: &str = "\u{2581}";
const CHAR_MODEL: i32 = 4;
/// `Normalizer::kMaxTrieResultsSize`.
const MAX_TRIE_RESULTS: usize = 32;

/// A SentencePiece char model, ready to encode and decode.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    pieces: Vec<Piece>,
    ids: BTreeMap<String, u32>,
    /// User-defined symbols, longest first, matched before single characters.
    user_defined: Vec<String>,
    normalizer: Normalizer,
    denormalizer: Option<Normalizer>,
    byte_fallback: bool,
    unk_id: u32,
    bos_id: Option<u32>,
    eos_id: Option<u32>,
    pad_id: Option<u32>,
    unk_surface: String,
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
        if model.pieces.is_empty() {
            return Err(invalid("no pieces".to_owned()));
        }
        let trainer = model.trainer_spec.clone().unwrap_or_default();
        let model_type = trainer.model_type.unwrap_or(1);
        if model_type != CHAR_MODEL {
            return Err(invalid(format!(
                "model_type {model_type} is not CHAR (4); only char models are supported"
            )));
        }
        let mut pieces = Vec::with_capacity(model.pieces.len());
        let mut ids = BTreeMap::new();
        let mut user_defined = Vec::new();
        let mut unk_id = None;
        for (id, entry) in model.pieces.iter().enumerate() {
            let piece = entry.piece.clone().unwrap_or_default();
            let kind = PieceType::from_proto(entry.r#type).ok_or_else(|| {
                invalid(format!("piece {id} has unknown type {:?}", entry.r#type))
            })?;
            if piece.is_empty() {
                return Err(invalid(format!("piece {id} is empty")));
            }
            let id = u32::try_from(id).map_err(|_| invalid("too many pieces".to_owned()))?;
            if ids.insert(piece.clone(), id).is_some() {
                return Err(invalid(format!("piece {piece:?} appears twice")));
            }
            match kind {
                PieceType::Unknown if unk_id.is_none() => unk_id = Some(id),
                PieceType::Unknown => return Err(invalid("more than one <unk> piece".to_owned())),
                PieceType::UserDefined => user_defined.push(piece.clone()),
                _ => {}
            }
            pieces.push(Piece {
                piece,
                score: entry.score.unwrap_or(0.0),
                kind,
            });
        }
        let unk_id = unk_id.ok_or_else(|| invalid("no <unk> piece".to_owned()))?;
        user_defined.sort_by_key(|piece| std::cmp::Reverse(piece.len()));
        let special = |value: Option<i32>, default: i32| -> Option<u32> {
            u32::try_from(value.unwrap_or(default))
                .ok()
                .filter(|&id| (id as usize) < pieces.len())
        };
        let treat_whitespace_as_suffix = trainer.treat_whitespace_as_suffix.unwrap_or(false);
        let normalizer = Normalizer::new(
            &model.normalizer_spec.unwrap_or_default(),
            treat_whitespace_as_suffix,
        )
        .map_err(invalid)?;
        let denormalizer = match model.denormalizer_spec {
            Some(spec)
                if spec
                    .precompiled_charsmap
                    .as_ref()
                    .is_some_and(|map| !map.is_empty()) =>
            {
                Some(Normalizer::new(&spec, false).map_err(invalid)?)
            }
            _ => None,
        };
        Ok(Self {
            bos_id: special(trainer.bos_id, 1),
            eos_id: special(trainer.eos_id, 2),
            pad_id: special(trainer.pad_id, -1),
            unk_surface: trainer
                .unk_surface
                .unwrap_or_else(|| " \u{2047} ".to_owned()),
            byte_fallback: trainer.byte_fallback.unwrap_or(false),
            pieces,
            ids,
            user_defined,
            normalizer,
            denormalizer,
            unk_id,
        })
    }

    pub fn vocab_size(&self) -> usize {
        self.pieces.len()
    }

    /// The piece string of `id`, if it exists.
    pub fn piece(&self, id: u32) -> Option<&str> {
        self.pieces
            .get(id as usize)
            .map(|piece| piece.piece.as_str())
    }

    /// Every vocabulary entry, in id order.
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    pub fn id(&self, piece: &str) -> Option<u32> {
        self.ids.get(piece).copied()
    }

    pub fn unk_id(&self) -> u32 {
        self.unk_id
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
        self.pieces.get(id as usize).is_some_and(|piece| {
            matches!(
                piece.kind,
                PieceType::Control | PieceType::Unknown | PieceType::Unused
            )
        })
    }

    /// `SentencePieceProcessor::EncodeAsIds(text)` for a char model. No BOS/EOS.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let normalized = self.normalizer.normalize(text, &self.user_defined);
        let mut ids = Vec::with_capacity(normalized.len());
        let mut previous_unknown = false;
        let mut rest = normalized.as_str();
        while let Some(first) = rest.chars().next() {
            let length = longest_prefix(rest, &self.user_defined).unwrap_or(first.len_utf8());
            let piece = &rest[..length];
            rest = &rest[length..];
            let id = self.ids.get(piece).copied().unwrap_or(self.unk_id);
            let unknown = self.pieces[id as usize].kind == PieceType::Unknown;
            if unknown && self.byte_fallback {
                for byte in piece.bytes() {
                    ids.push(self.id(&format!("<0x{byte:02X}>")).unwrap_or(self.unk_id));
                }
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
        let mut text = String::new();
        let mut bytes: Vec<u8> = Vec::new();
        let mut expect_bos_space = true;
        let mut bos_space_seen = false;
        let flush_bytes = |bytes: &mut Vec<u8>, text: &mut String| {
            push_utf8_like_sentencepiece(bytes, text);
            bytes.clear();
        };
        for &id in ids {
            let Some(entry) = self.pieces.get(id as usize) else {
                continue;
            };
            if entry.kind == PieceType::Byte {
                if let Some(byte) = parse_byte_piece(&entry.piece) {
                    bytes.push(byte);
                }
                continue;
            }
            flush_bytes(&mut bytes, &mut text);
            if bos_space_seen || !text.is_empty() {
                expect_bos_space = false;
            }
            let (decoded, consumed_space) = self.decode_piece(entry, expect_bos_space);
            bos_space_seen = consumed_space;
            text.push_str(&decoded);
        }
        flush_bytes(&mut bytes, &mut text);
        match &self.denormalizer {
            Some(denormalizer) => denormalizer.normalize(&text, &[]),
            None => text,
        }
    }

    /// `DecodeSentencePiece` in `SentencePieceProcessor::Decode`.
    fn decode_piece(&self, entry: &Piece, expect_bos_space: bool) -> (String, bool) {
        match entry.kind {
            PieceType::Control => return (String::new(), false),
            PieceType::Unknown => return (self.unk_surface.clone(), false),
            _ => {}
        }
        let mut piece = entry.piece.as_str();
        let mut consumed = false;
        let spec = &self.normalizer;
        if expect_bos_space
            && (spec.add_dummy_prefix || spec.remove_extra_whitespaces)
            && let Some(rest) = piece.strip_prefix(SPACE_SYMBOL)
        {
            piece = rest;
            consumed = !spec.remove_extra_whitespaces;
        }
        (piece.replace(SPACE_SYMBOL, " "), consumed)
    }
}

/// `ProcessBytePieces`: decode byte pieces one character at a time; every byte that does
/// not start a valid UTF-8 character becomes its own U+FFFD (`String::from_utf8_lossy`
/// would merge some of them).
fn push_utf8_like_sentencepiece(bytes: &[u8], text: &mut String) {
    let mut at = 0;
    while at < bytes.len() {
        match decode_utf8_char(&bytes[at..]) {
            Some((c, length)) => {
                text.push(c);
                at += length;
            }
            None => {
                text.push('\u{fffd}');
                at += 1;
            }
        }
    }
}

/// `string_util::DecodeUTF8`: one character, rejecting overlong forms and surrogates.
fn decode_utf8_char(bytes: &[u8]) -> Option<(char, usize)> {
    let trail = |i: usize| {
        bytes
            .get(i)
            .filter(|&&b| b & 0xC0 == 0x80)
            .map(|&b| u32::from(b & 0x3F))
    };
    let lead = u32::from(*bytes.first()?);
    let (code, length) = if lead < 0x80 {
        (lead, 1)
    } else if lead & 0xE0 == 0xC0 {
        (((lead & 0x1F) << 6) | trail(1)?, 2)
    } else if lead & 0xF0 == 0xE0 {
        (((lead & 0x0F) << 12) | (trail(1)? << 6) | trail(2)?, 3)
    } else if lead & 0xF8 == 0xF0 {
        (
            ((lead & 0x07) << 18) | (trail(1)? << 12) | (trail(2)? << 6) | trail(3)?,
            4,
        )
    } else {
        return None;
    };
    let minimum = [0, 0, 0x80, 0x800, 0x10000][length];
    // sentencepiece's error value is U+FFFD itself, so an encoded U+FFFD counts as invalid.
    if code < minimum || code == 0xFFFD {
        return None;
    }
    char::from_u32(code).map(|c| (c, length))
}

/// `<0x41>` → 0x41.
fn parse_byte_piece(piece: &str) -> Option<u8> {
    let hex = piece.strip_prefix("<0x")?.strip_suffix('>')?;
    u8::from_str_radix(hex, 16).ok()
}

/// Length of the longest symbol in `symbols` (sorted longest first) that prefixes `text`.
fn longest_prefix(text: &str, symbols: &[String]) -> Option<usize> {
    symbols
        .iter()
        .find(|symbol| text.starts_with(symbol.as_str()))
        .map(String::len)
}

/// `sentencepiece::normalizer::Normalizer`.
#[derive(Debug, Clone)]
struct Normalizer {
    /// Darts-clone double-array units.
    trie: Vec<u32>,
    /// NUL-separated replacement strings the trie values point into.
    replacements: Vec<u8>,
    add_dummy_prefix: bool,
    remove_extra_whitespaces: bool,
    escape_whitespaces: bool,
    treat_whitespace_as_suffix: bool,
}

impl Normalizer {
    fn new(spec: &proto::NormalizerSpec, treat_whitespace_as_suffix: bool) -> Result<Self, String> {
        let (trie, replacements) = match spec.precompiled_charsmap.as_deref() {
            None | Some([]) => (Vec::new(), Vec::new()),
            Some(blob) => decode_charsmap(blob)?,
        };
        Ok(Self {
            trie,
            replacements,
            add_dummy_prefix: spec.add_dummy_prefix.unwrap_or(true),
            remove_extra_whitespaces: spec.remove_extra_whitespaces.unwrap_or(true),
            escape_whitespaces: spec.escape_whitespaces.unwrap_or(true),
            treat_whitespace_as_suffix,
        })
    }

    /// `Normalizer::NormalizePrefix`: the replacement for the longest rule matching a prefix
    /// of `input` (or its first character) and how many bytes it consumes.
    fn normalize_prefix<'a>(&'a self, input: &'a str, user_defined: &[String]) -> (&'a str, usize) {
        if let Some(length) = longest_prefix(input, user_defined) {
            return (&input[..length], length);
        }
        if let Some((length, value)) = self.longest_rule(input.as_bytes()) {
            let tail = &self.replacements[value..];
            let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
            // Validated at load time: every replacement is UTF-8.
            if let Ok(replacement) = std::str::from_utf8(&tail[..end]) {
                return (replacement, length);
            }
        }
        let length = input.chars().next().map_or(0, char::len_utf8);
        (&input[..length], length)
    }

    /// Darts-clone `commonPrefixSearch`, keeping the longest of the first 32 matches.
    fn longest_rule(&self, key: &[u8]) -> Option<(usize, usize)> {
        let unit = |pos: usize| self.trie.get(pos).copied();
        let offset = |unit: u32| ((unit >> 10) << ((unit & (1 << 9)) >> 6)) as usize;
        let mut node = offset(unit(0)?);
        let mut best: Option<(usize, usize)> = None;
        let mut found = 0;
        for (i, &byte) in key.iter().enumerate() {
            node ^= usize::from(byte);
            let current = unit(node)?;
            if current & ((1 << 31) | 0xFF) != u32::from(byte) {
                break;
            }
            node ^= offset(current);
            if (current >> 8) & 1 == 1 {
                if found < MAX_TRIE_RESULTS {
                    let value = (unit(node)? & ((1 << 31) - 1)) as usize;
                    if best.is_none_or(|(length, _)| i + 1 > length) {
                        best = Some((i + 1, value));
                    }
                }
                found += 1;
            }
        }
        best.filter(|&(_, value)| value < self.replacements.len())
    }

    /// `Normalizer::Normalize` (without the alignment bookkeeping).
    fn normalize(&self, text: &str, user_defined: &[String]) -> String {
        let space = if self.escape_whitespaces {
            SPACE_SYMBOL
        } else {
            " "
        };
        let mut input = text;
        if self.remove_extra_whitespaces {
            while !input.is_empty() {
                let (replacement, consumed) = self.normalize_prefix(input, user_defined);
                if replacement != " " {
                    break;
                }
                input = &input[consumed..];
            }
        }
        let mut out = String::with_capacity(input.len() * 3);
        if input.is_empty() {
            return out;
        }
        if !self.treat_whitespace_as_suffix && self.add_dummy_prefix {
            out.push_str(space);
        }
        let mut previous_space = self.remove_extra_whitespaces;
        while !input.is_empty() {
            let (replacement, consumed) = self.normalize_prefix(input, user_defined);
            let mut piece = replacement;
            if previous_space {
                piece = piece.trim_start_matches(' ');
            }
            if !piece.is_empty() {
                if self.escape_whitespaces {
                    out.push_str(&piece.replace(' ', SPACE_SYMBOL));
                } else {
                    out.push_str(piece);
                }
                previous_space = piece.ends_with(' ');
            }
            input = &input[consumed..];
            if !self.remove_extra_whitespaces {
                previous_space = false;
            }
        }
        if self.remove_extra_whitespaces {
            while out.ends_with(space) {
                out.truncate(out.len() - space.len());
            }
        }
        if self.treat_whitespace_as_suffix && self.add_dummy_prefix {
            out.push_str(space);
        }
        out
    }
}

/// `DecodePrecompiledCharsMap`: a little-endian u32 trie size, the trie units, then the
/// NUL-separated replacement strings.
fn decode_charsmap(blob: &[u8]) -> Result<(Vec<u32>, Vec<u8>), String> {
    let broken = || "precompiled_charsmap is broken".to_owned();
    let size_bytes: [u8; 4] = blob
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(broken)?;
    let trie_size = u32::from_le_bytes(size_bytes) as usize;
    if blob.len() <= 4 || trie_size >= blob.len() || !trie_size.is_multiple_of(4) {
        return Err(broken());
    }
    let trie_bytes = blob.get(4..4 + trie_size).ok_or_else(broken)?;
    let trie = trie_bytes
        .chunks_exact(4)
        .map(|chunk| u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
        .collect();
    let replacements = blob.get(4 + trie_size..).ok_or_else(broken)?.to_vec();
    if replacements
        .split(|&b| b == 0)
        .any(|part| std::str::from_utf8(part).is_err())
    {
        return Err("precompiled_charsmap replacements are not UTF-8".to_owned());
    }
    Ok((trie, replacements))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A hand-built char model: `<s>`, `<pad>`, `</s>`, `<unk>`, "▁", "a", "b", "æ".
    fn tiny_model() -> Vec<u8> {
        let piece = |text: &str, kind: i32| proto::SentencePiece {
            piece: Some(text.to_owned()),
            score: Some(0.0),
            r#type: Some(kind),
        };
        proto::ModelProto {
            pieces: vec![
                piece("<s>", 3),
                piece("<pad>", 3),
                piece("</s>", 3),
                piece("<unk>", 2),
                piece("\u{2581}", 1),
                piece("a", 1),
                piece("b", 1),
                piece("æ", 1),
            ],
            trainer_spec: Some(proto::TrainerSpec {
                model_type: Some(4),
                unk_id: Some(3),
                bos_id: Some(0),
                eos_id: Some(2),
                pad_id: Some(1),
                ..Default::default()
            }),
            normalizer_spec: Some(proto::NormalizerSpec {
                name: Some("identity".to_owned()),
                ..Default::default()
            }),
            denormalizer_spec: None,
        }
        .encode_to_vec()
    }

    fn tiny() -> Tokenizer {
        Tokenizer::from_bytes(&tiny_model(), Path::new("tiny.model")).unwrap()
    }

    #[test]
    fn omniasr_layout_and_round_trip() {
        let tokenizer = tiny();
        assert_eq!(tokenizer.vocab_size(), 8);
        assert_eq!(
            (tokenizer.bos_id(), tokenizer.pad_id(), tokenizer.eos_id()),
            (Some(0), Some(1), Some(2))
        );
        assert_eq!(tokenizer.unk_id(), 3);
        assert_eq!(tokenizer.piece(7), Some("æ"));
        assert_eq!(tokenizer.encode("  ab  æ "), [4, 5, 6, 4, 7]);
        assert_eq!(tokenizer.decode(&[0, 4, 5, 6, 4, 7, 1, 2]), "ab æ");
    }

    #[test]
    fn unknown_runs_merge_into_one_unk() {
        let tokenizer = tiny();
        assert_eq!(tokenizer.encode("axyzb"), [4, 5, 3, 6]);
        assert_eq!(tokenizer.decode(&[5, 3, 6]), "a \u{2047} b");
    }

    #[test]
    fn bad_files_are_errors() {
        let garbage = Tokenizer::from_bytes(b"\xff\xff\xff", Path::new("x.model"));
        assert!(
            matches!(garbage, Err(Error::ModelDecode { .. })),
            "{garbage:?}"
        );
        let empty = Tokenizer::from_bytes(b"", Path::new("x.model"));
        assert!(matches!(empty, Err(Error::InvalidModel { .. })));
        let missing = Tokenizer::from_file(Path::new("/nonexistent/x.model"));
        let message = missing.unwrap_err().to_string();
        assert!(message.contains("/nonexistent/x.model"), "{message}");
    }

    proptest! {
        #[test]
        fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = Tokenizer::from_bytes(&bytes, Path::new("fuzz.model"));
        }

        #[test]
        fn corrupted_model_never_panics(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
            let mut bytes = tiny_model();
            for (at, value) in flips {
                let at = at % bytes.len();
                bytes[at] = value;
            }
            if let Ok(tokenizer) = Tokenizer::from_bytes(&bytes, Path::new("fuzz.model")) {
                let ids = tokenizer.encode("ab æ x");
                let _ = tokenizer.decode(&ids);
            }
        }

        #[test]
        fn encode_decode_round_trips_known_text(text in "[abæ ]{0,30}") {
            let tokenizer = tiny();
            let expected = text.split_whitespace().collect::<Vec<_>>().join(" ");
            prop_assert_eq!(tokenizer.decode(&tokenizer.encode(&text)), expected);
        }
    }
}
