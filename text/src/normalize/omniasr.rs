//! omnilingual-asr's data-preparation normaliser, `workflows/dataprep/text_tools.py::
//! text_normalize(text, iso_code="da")` (facebookresearch/omnilingual-asr @ 81f51e2),
//! which made the training targets for the omniASR tokenizers. Danish has no entry in
//! `norm_config`, so the `"*"` defaults apply: NFKC, lower-case, drop "(…digit…)" spans,
//! `&lt;`/`&gt;`/`&nbsp` removal, curly apostrophes inside words → `'`, punctuation → space,
//! zero-width/bidi characters deleted, digit-only words removed, whitespace collapsed.
//!
//! Kept quirks: `-` and `'` are not punctuation here (unlike CoRal), and a string that is
//! *only* digits is not removed because the regex needs whitespace on one side.

use unicode_normalization::UnicodeNormalization as _;

use super::{in_table, py_is_decimal, py_is_space, py_strip, tables};

/// `text_normalize(text, "da")` with its default flags (`lower_case=True`,
/// `remove_numbers=True`, `remove_brackets=False`).
pub fn normalize(text: &str) -> String {
    let text: String = text.nfkc().collect::<String>().to_lowercase();
    let text = remove_bracketed_numbers(&text);
    let text = text
        .replace("&lt;", "")
        .replace("&gt;", "")
        .replace("&nbsp", "");
    let text = straighten_apostrophes(&text);
    // Punctuation → space, then deletions; the two sets are disjoint, so one pass does both.
    let text: String = text
        .chars()
        .filter(|&c| !in_table(tables::OMNI_DELETE, c))
        .map(|c| {
            if in_table(tables::OMNI_PUNCT, c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    let text = remove_digit_words(&text);
    collapse_whitespace(&text)
}

/// `re.sub(r"\([^\)]*\d[^\)]*\)", " ", text)`: a "(" up to the next ")" is replaced when
/// it contains a decimal digit.
fn remove_bracketed_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < chars.len() {
        if chars[at] == '('
            && let Some(close) = chars[at + 1..].iter().position(|&c| c == ')')
            && chars[at + 1..at + 1 + close]
                .iter()
                .any(|&c| py_is_decimal(c))
        {
            out.push(' ');
            at += close + 2;
            continue;
        }
        out.push(chars[at]);
        at += 1;
    }
    out
}

/// `re.sub(r"(\S+)[‛’‘](\S+)", r"\1'\2", text)`: within each run of non-space characters
/// the greedy `\S+` picks the *last* quote that has a character on both sides.
fn straighten_apostrophes(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let is_quote = |c: char| matches!(c, '\u{201b}' | '\u{2019}' | '\u{2018}');
    let mut start = 0;
    while start < chars.len() {
        if py_is_space(chars[start]) {
            start += 1;
            continue;
        }
        let end = start
            + chars[start..]
                .iter()
                .take_while(|&&c| !py_is_space(c))
                .count();
        if end - start >= 3
            && let Some(quote) = (start + 1..end - 1).rev().find(|&i| is_quote(chars[i]))
        {
            chars[quote] = '\'';
        }
        start = end;
    }
    chars.into_iter().collect()
}

/// `re.sub(r"^D+(?=\s)|(?<=\s)D+(?=\s)|(?<=\s)D+$", " ", text)` with D the digit set.
fn remove_digit_words(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let is_digit = |c: char| in_table(tables::OMNI_DIGIT, c);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < chars.len() {
        let starts_run = is_digit(chars[at]) && (at == 0 || !is_digit(chars[at - 1]));
        if !starts_run {
            out.push(chars[at]);
            at += 1;
            continue;
        }
        let end = at + chars[at..].iter().take_while(|&&c| is_digit(c)).count();
        let space_before = at > 0 && py_is_space(chars[at - 1]);
        let space_after = chars.get(end).is_some_and(|&c| py_is_space(c));
        // Python's `$` also matches just before a final newline.
        let at_end = end == chars.len() || (end + 1 == chars.len() && chars[end] == '\n');
        let remove = (at == 0 && space_after) || (space_before && (space_after || at_end));
        if remove {
            out.push(' ');
        } else {
            out.extend(&chars[at..end]);
        }
        at = end;
    }
    out
}

/// `re.sub(r"\s+", " ", text).strip()`.
fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.chars() {
        if py_is_space(c) {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    py_strip(&out).to_owned()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn examples() {
        assert_eq!(
            normalize("Hej, Verden! (Sam 23:17) 42 gange"),
            "hej verden gange"
        );
        assert_eq!(
            normalize("123"),
            "123",
            "a lone number has no whitespace around it"
        );
        assert_eq!(normalize("e-mail og bilen’s dør"), "e-mail og bilen's dør");
        assert_eq!(normalize("&lt;b&gt; tekst&nbsp;"), "b tekst");
        assert_eq!(normalize("nul\u{200b}bredde"), "nulbredde");
    }

    proptest! {
        #[test]
        fn never_panics_and_is_collapsed(text in any::<String>()) {
            let out = normalize(&text);
            prop_assert!(!out.contains("  "));
        }
    }
}
