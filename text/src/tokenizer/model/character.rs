//! `character::Model::Encode`: one piece per character, user-defined symbols whole.

use super::whole_piece_id;
use crate::tokenizer::vocab::Vocab;

pub fn encode<'a>(normalized: &'a str, vocab: &Vocab) -> Vec<(&'a str, u32)> {
    let mut pieces = Vec::with_capacity(normalized.len());
    let mut rest = normalized;
    while !rest.is_empty() {
        let (length, _) = vocab.prefix_match(rest);
        let (piece, tail) = rest.split_at(length);
        pieces.push((piece, whole_piece_id(vocab, piece)));
        rest = tail;
    }
    pieces
}
