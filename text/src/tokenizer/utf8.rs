//! Byte pieces (`<0xXX>`) and the UTF-8 decoding sentencepiece applies to runs of them.

/// `PieceToByte`: `<0x41>` → 0x41. Only the exact uppercase form sentencepiece writes.
pub fn parse_byte_piece(piece: &str) -> Option<u8> {
    let hex = piece.strip_prefix("<0x")?.strip_suffix('>')?;
    let is_upper_hex = |c: char| c.is_ascii_digit() || ('A'..='F').contains(&c);
    if hex.len() != 2 || !hex.chars().all(is_upper_hex) {
        return None;
    }
    u8::from_str_radix(hex, 16).ok()
}

/// `ProcessBytePieces`: decode byte pieces one character at a time; every byte that does
/// not start a valid UTF-8 character becomes its own U+FFFD (`String::from_utf8_lossy`
/// would merge some of them).
pub fn push_bytes_like_sentencepiece(bytes: &[u8], text: &mut String) {
    let mut at = 0;
    while at < bytes.len() {
        match decode_char(&bytes[at..]) {
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
fn decode_char(bytes: &[u8]) -> Option<(char, usize)> {
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn decode(bytes: &[u8]) -> String {
        let mut text = String::new();
        push_bytes_like_sentencepiece(bytes, &mut text);
        text
    }

    #[test]
    fn byte_pieces_round_trip_in_sentencepiece_spelling() {
        assert_eq!(parse_byte_piece("<0xE6>"), Some(0xE6));
        for bad in ["<0xe6>", "<0x6>", "<0x0E6>", "0xE6", "<0xG0>", "<0x+A>"] {
            assert_eq!(parse_byte_piece(bad), None, "{bad}");
        }
    }

    #[test]
    fn invalid_bytes_become_one_replacement_each() {
        assert_eq!(decode("æø".as_bytes()), "æø");
        // A lone lead byte, an overlong "/" and an encoded surrogate.
        assert_eq!(decode(&[0xC3, b'a']), "\u{fffd}a");
        assert_eq!(decode(&[0xC0, 0xAF]), "\u{fffd}\u{fffd}");
        assert_eq!(decode(&[0xED, 0xA0, 0x80]), "\u{fffd}\u{fffd}\u{fffd}");
        // sentencepiece treats an encoded U+FFFD as an error too (same output, per byte).
        assert_eq!(decode("\u{fffd}".as_bytes()), "\u{fffd}\u{fffd}\u{fffd}");
    }

    proptest! {
        #[test]
        fn valid_utf8_decodes_to_itself(text in "\\PC*") {
            prop_assume!(!text.contains('\u{fffd}'));
            prop_assert_eq!(decode(text.as_bytes()), text);
        }

        #[test]
        fn byte_piece_parses_back(byte in any::<u8>()) {
            prop_assert_eq!(parse_byte_piece(&format!("<0x{byte:02X}>")), Some(byte));
        }
    }
}
