//! CoRal's Danish numeral expansion (`coral.utils.NUMERAL_REGEX` and
//! `convert_numeral_to_words`), bug for bug.
//!
//! `NUMERAL_REGEX = r"\b(0|[1-9]\d{0,2}(?:(?:\.\d{3})*|\d*)(?:,\d+)?)\b"` is matched by a
//! hand-written backtracking matcher that tries the alternatives in the order Python's
//! `re` does, so the same spans are found. Quirks we keep on purpose (they shape the
//! published CoRal numbers):
//! - `.` is a thousands separator only in groups of three ("1.000000" stays as is) and
//!   is deleted before conversion; numbers above 999,999,999 come back with their dots
//!   removed ("1.000.000.000" → "1000000000").
//! - decimals are read digit by digit and every "en" becomes "et": "2,15" → "to komma et
//!   fem".
//! - `\d` is Unicode-aware, so "1٣" is a numeral; its non-ASCII digit is passed through
//!   ("٣ogti"), as in Python.
//! - "0,5" matches only "0" (the decimal part belongs to the other alternative), giving
//!   "nul,fem".

use super::{py_decimal_value, py_is_decimal, py_strip, py_word_boundary};

/// Span `[start, end)` (char indices) of each numeral `NUMERAL_REGEX` finds, left to right.
pub fn find_numerals(chars: &[char]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        match match_numeral(chars, at, |_| true) {
            Some(end) => {
                spans.push((at, end));
                at = end;
            }
            None => at += 1,
        }
    }
    spans
}

/// `re.fullmatch(NUMERAL_REGEX, text) is not None`.
pub fn is_numeral(chars: &[char]) -> bool {
    match_numeral(chars, 0, |end| end == chars.len()).is_some()
}

/// Replace every numeral in `text` by Danish words, as `process_example` does with
/// `re.split` + `convert_numeral_to_words`.
pub fn expand_numerals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let spans = find_numerals(&chars);
    if spans.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() * 2);
    let mut previous = 0;
    for (start, end) in spans {
        // Non-numeral pieces also go through `convert_numeral_to_words`, which returns them
        // unchanged unless they fully match the regex on their own.
        out.push_str(&convert_chars(&chars[previous..start], false));
        out.push_str(&convert_chars(&chars[start..end], false));
        previous = end;
    }
    out.push_str(&convert_chars(&chars[previous..], false));
    out
}

/// `convert_numeral_to_words(numeral)`.
pub fn numeral_to_words(numeral: &str) -> String {
    let chars: Vec<char> = numeral.chars().collect();
    convert_chars(&chars, false)
}

/// Try `NUMERAL_REGEX` at `start`, exploring alternatives in Python's backtracking order;
/// the first end accepted by `accept` (and followed by `\b`) wins.
fn match_numeral(chars: &[char], start: usize, accept: impl Fn(usize) -> bool) -> Option<usize> {
    if !py_word_boundary(chars, start) {
        return None;
    }
    let first = *chars.get(start)?;
    // Alternative 1: "0".
    if first == '0' && py_word_boundary(chars, start + 1) && accept(start + 1) {
        return Some(start + 1);
    }
    if !('1'..='9').contains(&first) {
        return None;
    }
    let decimals_from = |at: usize| {
        chars[at.min(chars.len())..]
            .iter()
            .take_while(|&&c| py_is_decimal(c))
            .count()
    };
    // The optional `,\d+` and the closing `\b`. Shorter `\d+` runs end between two digits,
    // where `\b` cannot hold, so only the longest run can succeed.
    let tail = |at: usize| -> Option<usize> {
        if chars.get(at) == Some(&',') {
            let digits = decimals_from(at + 1);
            let end = at + 1 + digits;
            if digits > 0 && py_word_boundary(chars, end) && accept(end) {
                return Some(end);
            }
        }
        (py_word_boundary(chars, at) && accept(at)).then_some(at)
    };
    let after_first = start + 1;
    let max_head = decimals_from(after_first).min(2);
    for head in (0..=max_head).rev() {
        let group_start = after_first + head;
        // (?:\.\d{3})* greedy: positions after 0, 1, 2, ... repetitions.
        let mut repetitions = vec![group_start];
        let mut at = group_start;
        while chars.get(at) == Some(&'.')
            && chars.len() >= at + 4
            && chars[at + 1..at + 4].iter().all(|&c| py_is_decimal(c))
        {
            at += 4;
            repetitions.push(at);
        }
        for &end in repetitions.iter().rev() {
            if let Some(found) = tail(end) {
                return Some(found);
            }
        }
        // |\d* greedy.
        let digits = decimals_from(group_start);
        for run in (0..=digits).rev() {
            if let Some(found) = tail(group_start + run) {
                return Some(found);
            }
        }
    }
    None
}

const ONES: [&str; 10] = [
    "nul", "en", "to", "tre", "fire", "fem", "seks", "syv", "otte", "ni",
];

fn two_digit_word(numeral: &str) -> Option<&'static str> {
    Some(match numeral {
        "10" => "ti",
        "11" => "elleve",
        "12" => "tolv",
        "13" => "tretten",
        "14" => "fjorten",
        "15" => "femten",
        "16" => "seksten",
        "17" => "sytten",
        "18" => "atten",
        "19" => "nitten",
        "20" => "tyve",
        "30" => "tredive",
        "40" => "fyrre",
        "50" => "halvtreds",
        "60" => "tres",
        "70" => "halvfjerds",
        "80" => "firs",
        "90" => "halvfems",
        _ => return None,
    })
}

/// `len(str(int(digits)))`: significant digits, at least one. `digits` are all decimals.
fn significant_digits(digits: &[char]) -> usize {
    let leading_zeros = digits
        .iter()
        .take_while(|&&c| py_decimal_value(c) == Some(0))
        .count();
    (digits.len() - leading_zeros).max(1)
}

/// `numeral[k:].lstrip("0")`.
fn lstrip_zeros(digits: &[char]) -> &[char] {
    let zeros = digits.iter().take_while(|&&c| c == '0').count();
    &digits[zeros..]
}

/// `major {infix} minor` with " og" when the minor part is small, as in every branch
/// from four digits up.
fn join_scale(major: &str, scale: &str, rest: &[char]) -> String {
    let minor = convert_chars(lstrip_zeros(rest), true);
    let og = !minor.is_empty() && significant_digits(rest) <= 2;
    format!("{major} {scale}{} {minor}", if og { " og" } else { "" })
}

fn convert_chars(numeral: &[char], inside_larger_numeral: bool) -> String {
    if !is_numeral(numeral) {
        return numeral.iter().collect();
    }
    let numeral: Vec<char> = numeral.iter().copied().filter(|&c| c != '.').collect();
    let text: String = numeral.iter().collect();

    if let Some(comma) = numeral.iter().position(|&c| c == ',') {
        let major = convert_chars(&numeral[..comma], false);
        let minor: Vec<String> = numeral[comma + 1..]
            .iter()
            .map(|&c| convert_chars(&[c], false))
            .collect();
        return format!("{major} komma {}", minor.join(" ").replace("en", "et"));
    }

    let result = match numeral.len() {
        1 => {
            // Only ASCII digits fully match as a single character.
            let digit = numeral[0].to_digit(10).unwrap_or_default() as usize;
            ONES[digit].to_owned()
        }
        2 => {
            if let Some(word) = two_digit_word(&text) {
                return word.to_owned();
            }
            let minor = convert_chars(&numeral[1..2], true);
            let major = convert_chars(&[numeral[0], '0'], true);
            format!("{minor}og{major}")
        }
        3 => {
            if !inside_larger_numeral && text == "100" {
                return "hundrede".to_owned();
            }
            let major = convert_chars(&numeral[..1], true).replace("en", "et");
            let minor = convert_chars(lstrip_zeros(&numeral[1..]), true);
            let infix = if minor.is_empty() {
                "hundrede"
            } else {
                "hundrede og"
            };
            format!("{major} {infix} {minor}")
        }
        4 => {
            if !inside_larger_numeral && text == "1000" {
                return "tusind".to_owned();
            }
            let major = convert_chars(&numeral[..1], true).replace("en", "et");
            py_strip(&join_scale(&major, "tusind", &numeral[1..])).to_owned()
        }
        5 => join_scale(&convert_chars(&numeral[..2], true), "tusind", &numeral[2..]),
        6 => join_scale(&convert_chars(&numeral[..3], true), "tusind", &numeral[3..]),
        7 => {
            let scale = if numeral[0] == '1' {
                "million"
            } else {
                "millioner"
            };
            join_scale(&convert_chars(&numeral[..1], true), scale, &numeral[1..])
        }
        8 => join_scale(
            &convert_chars(&numeral[..2], true),
            "millioner",
            &numeral[2..],
        ),
        9 => join_scale(
            &convert_chars(&numeral[..3], true),
            "millioner",
            &numeral[3..],
        ),
        // CoRal logs a warning and returns the numeral with its dots already removed.
        _ => return text,
    };
    py_strip(&super::collapse_spaces(&result)).to_owned()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The golden pairs of CoRal's `tests/test_utils.py::test_convert_numeral_to_words`
    /// (alexandrainst/coral @ 30300baa).
    const CORAL_GOLDEN: &[(&str, &str)] = &[
        ("0", "nul"),
        ("1", "en"),
        ("2", "to"),
        ("3", "tre"),
        ("4", "fire"),
        ("5", "fem"),
        ("6", "seks"),
        ("7", "syv"),
        ("8", "otte"),
        ("9", "ni"),
        ("10", "ti"),
        ("11", "elleve"),
        ("12", "tolv"),
        ("13", "tretten"),
        ("14", "fjorten"),
        ("15", "femten"),
        ("16", "seksten"),
        ("17", "sytten"),
        ("18", "atten"),
        ("19", "nitten"),
        ("20", "tyve"),
        ("21", "enogtyve"),
        ("22", "toogtyve"),
        ("23", "treogtyve"),
        ("24", "fireogtyve"),
        ("25", "femogtyve"),
        ("26", "seksogtyve"),
        ("27", "syvogtyve"),
        ("28", "otteogtyve"),
        ("29", "niogtyve"),
        ("30", "tredive"),
        ("40", "fyrre"),
        ("50", "halvtreds"),
        ("60", "tres"),
        ("70", "halvfjerds"),
        ("80", "firs"),
        ("90", "halvfems"),
        ("100", "hundrede"),
        ("101", "et hundrede og en"),
        ("110", "et hundrede og ti"),
        ("121", "et hundrede og enogtyve"),
        ("200", "to hundrede"),
        ("999", "ni hundrede og nioghalvfems"),
        ("1000", "tusind"),
        ("1001", "et tusind og en"),
        ("1010", "et tusind og ti"),
        ("1100", "et tusind et hundrede"),
        ("1121", "et tusind et hundrede og enogtyve"),
        ("2000", "to tusind"),
        ("10.000", "ti tusind"),
        ("100.000", "et hundrede tusind"),
        ("100000", "et hundrede tusind"),
        (
            "999.999",
            "ni hundrede og nioghalvfems tusind ni hundrede og nioghalvfems",
        ),
        (
            "999999",
            "ni hundrede og nioghalvfems tusind ni hundrede og nioghalvfems",
        ),
        ("1.000.000", "en million"),
        ("1.000000", "1.000000"),
        ("1.0.00000", "1.0.00000"),
        ("1.000.001", "en million og en"),
        ("10.000.000", "ti millioner"),
        ("100.000.000", "et hundrede millioner"),
        (
            "999.999.999",
            "ni hundrede og nioghalvfems millioner ni hundrede og nioghalvfems tusind \
             ni hundrede og nioghalvfems",
        ),
        ("10,123", "ti komma et to tre"),
        ("10.102,92", "ti tusind et hundrede og to komma ni to"),
    ];

    #[test]
    fn coral_golden_pairs() {
        for (numeral, expected) in CORAL_GOLDEN {
            assert_eq!(numeral_to_words(numeral), *expected, "numeral {numeral:?}");
        }
    }

    #[test]
    fn regex_quirks() {
        assert_eq!(expand_numerals("0,5"), "nul,fem");
        assert_eq!(
            expand_numerals("1.2345"),
            "en.to tusind tre hundrede og femogfyrre"
        );
        assert_eq!(expand_numerals("1.000.000.000 kr"), "1000000000 kr");
        assert_eq!(expand_numerals("1٣"), "٣ogti");
        assert_eq!(expand_numerals("a1 b"), "a1 b", "no \\b between a and 1");
        assert_eq!(expand_numerals("kl. 14.30"), "kl. fjorten.tredive");
    }

    proptest! {
        #[test]
        fn never_panics(text in "[0-9.,a ٣_-]{0,30}") {
            let _ = expand_numerals(&text);
        }

        #[test]
        fn plain_integers_become_words(n in 0u32..1_000_000_000) {
            let words = numeral_to_words(&n.to_string());
            prop_assert!(!words.chars().any(|c| c.is_ascii_digit()), "{} -> {}", n, words);
        }
    }
}
