use proptest::prelude::*;

use super::testing::*;
use super::*;

/// A hand-built char model: `<s>`, `<pad>`, `</s>`, `<unk>`, "▁", "a", "b", "æ".
fn tiny_model() -> Vec<u8> {
    let pieces = [
        ("\u{2581}", 0.0, NORMAL),
        ("a", 0.0, NORMAL),
        ("b", 0.0, NORMAL),
        ("æ", 0.0, NORMAL),
    ];
    model(CHAR, &pieces).encode_to_vec()
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

#[test]
fn unigram_takes_the_best_scoring_segmentation() {
    let tokenizer = load(&model(
        UNIGRAM,
        &[
            ("▁", -2.0, NORMAL),
            ("a", -3.0, NORMAL),
            ("b", -2.0, NORMAL),
            ("▁a", -2.0, NORMAL),
            ("▁ab", -1.0, NORMAL),
            ("ba", -4.5, NORMAL),
        ],
    ));
    assert_eq!(tokenizer.model_type(), ModelType::Unigram);
    assert_eq!(pieces(&tokenizer, "ab"), ["▁ab"]);
    // ▁ab + a (-4) beats ▁a + ba (-6.5).
    assert_eq!(pieces(&tokenizer, "aba"), ["▁ab", "a"]);
    // "c" is unknown: one <unk> per run, however long.
    assert_eq!(pieces(&tokenizer, "accb"), ["▁a", "<unk>", "b"]);
    assert_eq!(tokenizer.decode(&tokenizer.encode("accb")), "a ⁇ b");
}

#[test]
fn unigram_ties_keep_the_longer_last_piece() {
    let mut spec = model(
        UNIGRAM,
        &[
            ("x", -1.0, NORMAL),
            ("y", -1.0, NORMAL),
            ("xy", -2.0, NORMAL),
        ],
    );
    if let Some(normalizer) = spec.normalizer_spec.as_mut() {
        normalizer.add_dummy_prefix = Some(false);
    }
    assert_eq!(pieces(&load(&spec), "xy"), ["xy"]);
}

#[test]
fn unigram_skips_unused_pieces_and_favours_user_defined_ones() {
    let tokenizer = load(&model(
        UNIGRAM,
        &[
            ("▁", -1.0, NORMAL),
            ("a", -1.0, NORMAL),
            ("b", -1.0, NORMAL),
            ("▁ab", -0.5, UNUSED),
            ("ab", -5.0, USER_DEFINED),
        ],
    ));
    // A user-defined "ab" scores 0.1 * (2 bytes - 1), not its -5.
    assert_eq!(pieces(&tokenizer, "ab"), ["▁", "ab"]);
    assert_eq!(pieces(&tokenizer, "ba"), ["▁", "b", "a"]);
}

#[test]
fn bpe_merges_best_score_first_and_splits_unused_merges() {
    let pieces_of = |unused: bool| {
        load(&model(
            BPE,
            &[
                ("▁", 0.0, NORMAL),
                ("a", 0.0, NORMAL),
                ("b", 0.0, NORMAL),
                ("ab", -1.0, NORMAL),
                ("▁a", -2.0, NORMAL),
                ("▁ab", -3.0, if unused { UNUSED } else { NORMAL }),
            ],
        ))
    };
    let tokenizer = pieces_of(false);
    assert_eq!(tokenizer.model_type(), ModelType::Bpe);
    // ab (-1) is merged before ▁a (-2), so ▁a never forms; then ▁ + ab → ▁ab.
    assert_eq!(pieces(&tokenizer, "ab"), ["▁ab"]);
    assert_eq!(pieces(&tokenizer, "a b"), ["▁a", "▁", "b"]);
    assert_eq!(pieces(&pieces_of(true), "ab"), ["▁", "ab"]);
}

#[test]
fn bpe_keeps_user_defined_symbols_whole() {
    let tokenizer = load(&model(
        BPE,
        &[
            ("<x>", 0.0, USER_DEFINED),
            ("▁", 0.0, NORMAL),
            ("<", 0.0, NORMAL),
            ("x", 0.0, NORMAL),
            (">", 0.0, NORMAL),
            ("▁<", -1.0, NORMAL),
            ("x>", -1.0, NORMAL),
        ],
    ));
    assert_eq!(pieces(&tokenizer, "<x>"), ["▁", "<x>"]);
    assert_eq!(pieces(&tokenizer, "x>"), ["▁", "x>"]);
}

#[test]
fn word_model_looks_up_whole_words() {
    let tokenizer = load(&model(
        WORD,
        &[("▁hej", -1.0, NORMAL), ("▁du", -1.0, NORMAL)],
    ));
    assert_eq!(
        pieces(&tokenizer, "hej du ven hej"),
        ["▁hej", "▁du", "<unk>", "▁hej"]
    );
}

#[test]
fn byte_fallback_spells_unknown_characters_in_bytes() {
    let tokenizer = load(&with_byte_fallback(model(
        CHAR,
        &[("▁", 0.0, NORMAL), ("a", 0.0, NORMAL)],
    )));
    assert!(tokenizer.byte_fallback());
    assert_eq!(
        pieces(&tokenizer, "aøa"),
        ["▁", "a", "<0xC3>", "<0xB8>", "a"]
    );
    assert_eq!(tokenizer.decode(&tokenizer.encode("aøa")), "aøa");
    let broken_utf8 = [tokenizer.id("<0xC3>").unwrap(), tokenizer.id("a").unwrap()];
    assert_eq!(tokenizer.decode(&broken_utf8), "\u{fffd}a");
}

#[test]
fn control_symbols_are_not_matched_in_text() {
    let tokenizer = load(&model(
        UNIGRAM,
        &[
            ("<c>", 0.0, CONTROL),
            ("▁", -1.0, NORMAL),
            ("<", -1.0, NORMAL),
            ("c", -1.0, NORMAL),
            (">", -1.0, NORMAL),
        ],
    ));
    assert_eq!(pieces(&tokenizer, "<c>"), ["▁", "<", "c", ">"]);
    assert_eq!(tokenizer.decode(&[tokenizer.id("<c>").unwrap()]), "");
}

#[test]
fn model_checks_match_sentencepiece_s() {
    let reject = |spec: &proto::ModelProto, expected: &str| {
        let error = Tokenizer::from_bytes(&spec.encode_to_vec(), Path::new("bad.model"))
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{error}");
        assert!(error.contains("bad.model"), "{error}");
    };
    let mut bytes_without_fallback = with_byte_fallback(model(CHAR, &[]));
    if let Some(trainer) = bytes_without_fallback.trainer_spec.as_mut() {
        trainer.byte_fallback = Some(false);
    }
    reject(&bytes_without_fallback, "without byte_fallback");
    let mut too_few_bytes = with_byte_fallback(model(CHAR, &[]));
    too_few_bytes.pieces.pop();
    reject(&too_few_bytes, "255 byte pieces");
    reject(&model(UNIGRAM, &[]), "without normal pieces");
    let mut unknown_type = model(CHAR, &[]);
    if let Some(trainer) = unknown_type.trainer_spec.as_mut() {
        trainer.model_type = Some(9);
    }
    reject(&unknown_type, "model_type");
    // The same string may be a control and a normal piece (two maps in sentencepiece).
    let tokenizer = load(&model(CHAR, &[("<s>", 0.0, NORMAL)]));
    assert_eq!(tokenizer.id("<s>"), Some(0));
}

#[test]
fn bpe_keeps_every_piece_in_one_map() {
    // sentencepiece 0.2.3's BPE model has no reserved map: a control piece and a normal
    // piece may not share a string there (char, word and unigram models allow it).
    let duplicate = model(BPE, &[("<s>", 0.0, NORMAL)]);
    let error = Tokenizer::from_bytes(&duplicate.encode_to_vec(), Path::new("bpe.model"))
        .unwrap_err()
        .to_string();
    assert!(error.contains("appears twice"), "{error}");
    // A character spelling a control piece is not that piece: it becomes <unk>.
    let tokenizer = load(&model(
        BPE,
        &[("▁", 0.0, NORMAL), ("a", 0.0, NORMAL), ("c", 0.0, CONTROL)],
    ));
    assert_eq!(pieces(&tokenizer, "ac"), ["▁", "a", "<unk>"]);
}

#[test]
fn unused_and_nul_pieces() {
    // Char and word models read an unused piece as <unk>.
    let tokenizer = load(&model(CHAR, &[("▁", 0.0, NORMAL), ("a", 0.0, UNUSED)]));
    assert_eq!(pieces(&tokenizer, "aa"), ["▁", "<unk>"]);
    // A lone NUL marked unused is ignored; anywhere else a NUL is an error.
    let ignored = load(&model(CHAR, &[("\0", 0.0, UNUSED), ("\0", 0.0, UNUSED)]));
    assert_eq!(ignored.vocab_size(), 6);
    let nul = model(CHAR, &[("a\0", 0.0, NORMAL)]);
    let error = Tokenizer::from_bytes(&nul.encode_to_vec(), Path::new("nul.model"))
        .unwrap_err()
        .to_string();
    assert!(error.contains("NUL"), "{error}");
}
