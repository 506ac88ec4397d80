//! The vocabulary of a SentencePiece model: pieces in id order, their types and scores,
//! and the lookups `ModelInterface` builds in `InitializePieces`.

use std::collections::BTreeMap;

use super::proto;
use super::trie::Trie;
use super::utf8::parse_byte_piece;

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

    /// Pieces a model may produce from text (sentencepiece's `pieces_` map); the others
    /// (`reserved_id_map_`) are only reachable by id.
    fn is_model_piece(self) -> bool {
        matches!(self, Self::Normal | Self::UserDefined | Self::Unused)
    }
}

/// One vocabulary entry.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Piece {
    pub piece: String,
    pub score: f32,
    pub kind: PieceType,
}

/// `kMaxPieceSize`: longer pieces make the model invalid.
const MAX_PIECE_BYTES: usize = 8000;

/// A piece sentencepiece ignores: a lone NUL marked unused (which conversion scripts
/// write, and which `Load` marks unused itself when the model has byte fallback).
const NULL_PIECE: &str = "\0";

/// Where reserved pieces are looked up (`InitializePieces(use_reserved_id_map)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserved {
    /// Control, unknown and byte pieces in a map of their own, out of the models' reach
    /// (unigram, char, word).
    Apart,
    /// Every piece in one map; the model skips reserved ones itself (BPE).
    Together,
}

#[derive(Debug, Clone)]
pub struct Vocab {
    pieces: Vec<Piece>,
    /// `pieces_`, what `PieceToIdNoReserved` searches: normal, user-defined and unused
    /// pieces, and with [`Reserved::Together`] all the others too.
    lookup: BTreeMap<String, u32>,
    /// `reserved_id_map_`: control, unknown and byte pieces with [`Reserved::Apart`].
    reserved: BTreeMap<String, u32>,
    /// User-defined symbols, matched greedily (longest first) before the model runs.
    user_defined: Trie,
    /// The id of `<0xXX>` for each byte when the model has byte fallback.
    byte_ids: Option<Vec<u32>>,
    unk_id: u32,
}

impl Piece {
    /// One `ModelProto` entry, checked as `InitializePieces` checks it on its own: a known
    /// type, not empty, not overlong. With byte fallback a lone NUL becomes unused, as
    /// `SentencePieceProcessor::Load` makes it.
    fn from_proto(
        id: usize,
        entry: &proto::SentencePiece,
        byte_fallback: bool,
    ) -> Result<Self, String> {
        let piece = entry.piece.clone().unwrap_or_default();
        let mut kind = PieceType::from_proto(entry.r#type)
            .ok_or_else(|| format!("piece {id} has unknown type {:?}", entry.r#type))?;
        if piece.len() >= MAX_PIECE_BYTES {
            return Err(format!("piece {id} is longer than {MAX_PIECE_BYTES} bytes"));
        }
        if piece.is_empty() {
            return Err(format!("piece {id} is empty"));
        }
        if byte_fallback && piece == NULL_PIECE {
            kind = PieceType::Unused;
        }
        Ok(Self {
            piece,
            score: entry.score.unwrap_or(0.0),
            kind,
        })
    }
}

impl Vocab {
    /// Checks what `InitializePieces` checks: no empty, overlong, NUL-containing or
    /// duplicate piece, exactly one `<unk>`, byte pieces well-formed and all 256 present
    /// exactly when `byte_fallback`.
    pub fn new(
        entries: &[proto::SentencePiece],
        byte_fallback: bool,
        reserved_map: Reserved,
    ) -> Result<Self, String> {
        if entries.is_empty() {
            return Err("no pieces".to_owned());
        }
        if entries.len() > u32::MAX as usize {
            return Err("too many pieces".to_owned());
        }
        let pieces = entries
            .iter()
            .enumerate()
            .map(|(id, entry)| Piece::from_proto(id, entry, byte_fallback))
            .collect::<Result<Vec<_>, _>>()?;
        let mut lookup = BTreeMap::new();
        let mut reserved = BTreeMap::new();
        let mut bytes = BTreeMap::new();
        let mut unk_id = None;
        for (Piece { piece, kind, .. }, id) in pieces.iter().zip(0u32..) {
            if piece == NULL_PIECE && *kind == PieceType::Unused {
                continue;
            }
            if piece.contains('\0') {
                return Err(format!("piece {id} contains a NUL character"));
            }
            let map = if kind.is_model_piece() || reserved_map == Reserved::Together {
                &mut lookup
            } else {
                &mut reserved
            };
            if map.insert(piece.clone(), id).is_some() {
                return Err(format!("piece {piece:?} appears twice"));
            }
            match kind {
                PieceType::Unknown if unk_id.is_some() => {
                    return Err("more than one <unk> piece".to_owned());
                }
                PieceType::Unknown => unk_id = Some(id),
                PieceType::Byte if !byte_fallback => {
                    return Err(format!("byte piece {piece:?} without byte_fallback"));
                }
                PieceType::Byte => {
                    let byte = parse_byte_piece(piece)
                        .ok_or_else(|| format!("byte piece {piece:?} is not <0xXX>"))?;
                    bytes.insert(byte, id);
                }
                _ => {}
            }
        }
        let unk_id = unk_id.ok_or_else(|| "no <unk> piece".to_owned())?;
        let byte_ids = match (byte_fallback, bytes.len()) {
            (false, _) => None,
            (true, 256) => Some(bytes.into_values().collect()),
            (true, found) => {
                return Err(format!("byte_fallback with {found} byte pieces, not 256"));
            }
        };
        let user_defined = Trie::new(
            pieces
                .iter()
                .zip(0..)
                .filter(|(piece, _)| piece.kind == PieceType::UserDefined)
                .map(|(piece, id)| (piece.piece.as_str(), id)),
        );
        Ok(Self {
            pieces,
            lookup,
            reserved,
            user_defined,
            byte_ids,
            unk_id,
        })
    }

    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    pub fn len(&self) -> usize {
        self.pieces.len()
    }

    pub fn unk_id(&self) -> u32 {
        self.unk_id
    }

    pub fn get(&self, id: u32) -> Option<&Piece> {
        self.pieces.get(id as usize)
    }

    /// The type of an id the models produced (always in range).
    pub fn kind(&self, id: u32) -> PieceType {
        self.get(id).map_or(PieceType::Unknown, |piece| piece.kind)
    }

    /// `IsReservedId`: control, unknown or byte.
    pub fn is_reserved(&self, id: u32) -> bool {
        !self.kind(id).is_model_piece()
    }

    /// The piece's id if it exists at all (`PieceToId`: reserved pieces first).
    pub fn id(&self, piece: &str) -> Option<u32> {
        self.reserved
            .get(piece)
            .or_else(|| self.lookup.get(piece))
            .copied()
    }

    /// `PieceToIdNoReserved`, with `None` for `<unk>`.
    pub fn lookup(&self, piece: &str) -> Option<u32> {
        self.lookup.get(piece).copied()
    }

    /// What [`Vocab::lookup`] searches, with the ids, in piece order.
    pub fn lookup_pieces(&self) -> impl Iterator<Item = (&str, u32)> {
        self.lookup.iter().map(|(piece, &id)| (piece.as_str(), id))
    }

    /// The `<0xXX>` id of `byte` (`<unk>`'s without byte fallback).
    pub fn byte_id(&self, byte: u8) -> u32 {
        self.byte_ids
            .as_ref()
            .and_then(|ids| ids.get(usize::from(byte)).copied())
            .unwrap_or(self.unk_id)
    }

    /// The user-defined symbols, for the normaliser (which must leave them untouched).
    pub fn user_defined(&self) -> &Trie {
        &self.user_defined
    }

    /// `PrefixMatcher::PrefixMatch`: the byte length of the longest user-defined symbol
    /// that prefixes `text` and `true`, or of its first character and `false`.
    pub fn prefix_match(&self, text: &str) -> (usize, bool) {
        match self.user_defined.longest_prefix(text.as_bytes()) {
            Some(length) => (length, true),
            None => (text.chars().next().map_or(0, char::len_utf8), false),
        }
    }
}
