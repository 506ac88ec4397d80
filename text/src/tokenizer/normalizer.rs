//! `sentencepiece::normalizer::Normalizer`: the precompiled character map, then the
//! whitespace options of the `NormalizerSpec` (dummy prefix, extra-whitespace removal,
//! " " → "▁", whitespace as suffix). User-defined symbols pass through untouched.

use super::charsmap::CharsMap;
use super::proto;
use super::trie::Trie;

/// U+2581 LOWER ONE EIGHTH BLOCK, sentencepiece's visible space.
pub const SPACE_SYMBOL: &str = "\u{2581}";

/// The whitespace options of a `NormalizerSpec` (and the trainer's
/// `treat_whitespace_as_suffix`), as a model applies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct NormalizerOptions {
    /// Put a "▁" before the text (after it with `treat_whitespace_as_suffix`).
    pub add_dummy_prefix: bool,
    /// Drop leading and trailing whitespace and collapse runs to one space.
    pub remove_extra_whitespaces: bool,
    /// Write spaces as "▁".
    pub escape_whitespaces: bool,
    /// The dummy "▁" goes at the end instead of the start.
    pub treat_whitespace_as_suffix: bool,
}

#[derive(Debug, Clone)]
pub struct Normalizer {
    charsmap: CharsMap,
    /// User-defined symbols (`SetPrefixMatcher`); empty for the denormaliser.
    user_defined: Trie,
    pub options: NormalizerOptions,
}

impl Normalizer {
    pub fn new(
        spec: &proto::NormalizerSpec,
        treat_whitespace_as_suffix: bool,
        user_defined: Trie,
    ) -> Result<Self, String> {
        Ok(Self {
            charsmap: CharsMap::decode(spec.precompiled_charsmap.as_deref().unwrap_or_default())?,
            user_defined,
            options: NormalizerOptions {
                add_dummy_prefix: spec.add_dummy_prefix.unwrap_or(true),
                remove_extra_whitespaces: spec.remove_extra_whitespaces.unwrap_or(true),
                escape_whitespaces: spec.escape_whitespaces.unwrap_or(true),
                treat_whitespace_as_suffix,
            },
        })
    }

    /// `Normalizer::NormalizePrefix`: the replacement for the longest rule matching a
    /// prefix of `input` (a user-defined symbol, a charsmap rule, or else the first
    /// character unchanged) and how many bytes it consumes.
    fn normalize_prefix<'a>(&'a self, input: &'a str) -> (&'a str, usize) {
        if let Some(length) = self.user_defined.longest_prefix(input.as_bytes()) {
            return (&input[..length], length);
        }
        if let Some((length, replacement)) = self.charsmap.longest_rule(input.as_bytes()) {
            return (replacement, length);
        }
        let length = input.chars().next().map_or(0, char::len_utf8);
        (&input[..length], length)
    }

    /// `Normalizer::Normalize` (without the alignment bookkeeping).
    pub fn normalize(&self, text: &str) -> String {
        let NormalizerOptions {
            add_dummy_prefix,
            remove_extra_whitespaces,
            escape_whitespaces,
            treat_whitespace_as_suffix,
        } = self.options;
        let space = if escape_whitespaces {
            SPACE_SYMBOL
        } else {
            " "
        };
        let mut input = text;
        if remove_extra_whitespaces {
            while !input.is_empty() {
                let (replacement, consumed) = self.normalize_prefix(input);
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
        if !treat_whitespace_as_suffix && add_dummy_prefix {
            out.push_str(space);
        }
        let mut previous_space = remove_extra_whitespaces;
        while !input.is_empty() {
            let (replacement, consumed) = self.normalize_prefix(input);
            let mut piece = replacement;
            if previous_space {
                piece = piece.trim_start_matches(' ');
            }
            if !piece.is_empty() {
                if escape_whitespaces {
                    out.push_str(&piece.replace(' ', SPACE_SYMBOL));
                } else {
                    out.push_str(piece);
                }
                previous_space = piece.ends_with(' ');
            }
            input = &input[consumed..];
            if !remove_extra_whitespaces {
                previous_space = false;
            }
        }
        if remove_extra_whitespaces {
            while out.ends_with(space) {
                out.truncate(out.len() - space.len());
            }
        }
        if treat_whitespace_as_suffix && add_dummy_prefix {
            out.push_str(space);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(options: impl FnOnce(&mut proto::NormalizerSpec)) -> Normalizer {
        let mut spec = proto::NormalizerSpec::default();
        options(&mut spec);
        Normalizer::new(&spec, false, Trie::new([("<x>", 0)])).unwrap()
    }

    #[test]
    fn whitespace_options() {
        assert_eq!(identity(|_| {}).normalize("  a  b "), "▁a▁b");
        assert_eq!(identity(|_| {}).normalize("   "), "");
        let keep = identity(|s| s.remove_extra_whitespaces = Some(false));
        assert_eq!(keep.normalize(" a  b "), "▁▁a▁▁b▁");
        let bare = identity(|s| {
            s.add_dummy_prefix = Some(false);
            s.escape_whitespaces = Some(false);
        });
        assert_eq!(bare.normalize(" a  b "), "a b");
        let mut suffix = identity(|_| {});
        suffix.options.treat_whitespace_as_suffix = true;
        assert_eq!(suffix.normalize("a b"), "a▁b▁");
    }

    #[test]
    fn user_defined_symbols_are_not_split_by_whitespace_rules() {
        assert_eq!(identity(|_| {}).normalize("a<x> b"), "▁a<x>▁b");
    }
}
