//! Hand-built models for the unit tests.

use std::path::Path;

use prost::Message as _;

use super::{Tokenizer, proto};

pub const NORMAL: i32 = 1;
pub const UNKNOWN: i32 = 2;
pub const CONTROL: i32 = 3;
pub const USER_DEFINED: i32 = 4;
pub const UNUSED: i32 = 5;
pub const BYTE: i32 = 6;

pub const UNIGRAM: i32 = 1;
pub const BPE: i32 = 2;
pub const WORD: i32 = 3;
pub const CHAR: i32 = 4;

/// A model in the omniASR layout (`<s>`, `<pad>`, `</s>`, `<unk>` as ids 0–3) followed by
/// `pieces` (text, score, type), with the identity normaliser's default options.
pub fn model(model_type: i32, pieces: &[(&str, f32, i32)]) -> proto::ModelProto {
    let piece = |text: &str, score: f32, kind: i32| proto::SentencePiece {
        piece: Some(text.to_owned()),
        score: Some(score),
        r#type: Some(kind),
    };
    let reserved = [
        ("<s>", CONTROL),
        ("<pad>", CONTROL),
        ("</s>", CONTROL),
        ("<unk>", UNKNOWN),
    ];
    proto::ModelProto {
        pieces: reserved
            .iter()
            .map(|&(text, kind)| piece(text, 0.0, kind))
            .chain(
                pieces
                    .iter()
                    .map(|&(text, score, kind)| piece(text, score, kind)),
            )
            .collect(),
        trainer_spec: Some(proto::TrainerSpec {
            model_type: Some(model_type),
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
}

/// `model(...)` with the 256 `<0xXX>` byte pieces appended and byte fallback on.
pub fn with_byte_fallback(mut model: proto::ModelProto) -> proto::ModelProto {
    model
        .pieces
        .extend((0..=255u8).map(|byte| proto::SentencePiece {
            piece: Some(format!("<0x{byte:02X}>")),
            score: Some(0.0),
            r#type: Some(BYTE),
        }));
    if let Some(trainer) = model.trainer_spec.as_mut() {
        trainer.byte_fallback = Some(true);
    }
    model
}

pub fn load(model: &proto::ModelProto) -> Tokenizer {
    Tokenizer::from_bytes(&model.encode_to_vec(), Path::new("test.model")).unwrap()
}

/// The piece strings of `encode(text)`, for readable assertions.
pub fn pieces(tokenizer: &Tokenizer, text: &str) -> Vec<String> {
    tokenizer
        .encode(text)
        .into_iter()
        .map(|id| tokenizer.piece(id).unwrap().to_owned())
        .collect()
}
