//! A byte trie over piece strings: the lookups sentencepiece does with its darts-clone
//! double arrays (every piece that prefixes the text, the longest user-defined symbol).
//!
//! Children are kept sorted and found by binary search; for vocabularies of a few
//! thousand pieces this is compact and fast enough, and its iteration order (shortest
//! match first) is the order darts-clone reports matches in.

#[derive(Debug, Clone)]
pub struct Trie {
    /// Node 0 is the root; there always is one.
    nodes: Vec<Node>,
}

impl Default for Trie {
    fn default() -> Self {
        Self::new([])
    }
}

#[derive(Debug, Clone, Default)]
struct Node {
    /// `(byte, child node)`, sorted by byte.
    children: Vec<(u8, usize)>,
    value: Option<u32>,
}

impl Trie {
    /// A trie of `(key, value)` pairs; a later duplicate key replaces the earlier value.
    pub fn new<'a>(entries: impl IntoIterator<Item = (&'a str, u32)>) -> Self {
        let mut trie = Self {
            nodes: vec![Node::default()],
        };
        for (key, value) in entries {
            trie.insert(key.as_bytes(), value);
        }
        trie
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.len() == 1 && self.nodes[0].value.is_none()
    }

    fn insert(&mut self, key: &[u8], value: u32) {
        let mut node = 0;
        for &byte in key {
            node = match self.nodes[node]
                .children
                .binary_search_by_key(&byte, |&(b, _)| b)
            {
                Ok(at) => self.nodes[node].children[at].1,
                Err(at) => {
                    let child = self.nodes.len();
                    self.nodes.push(Node::default());
                    self.nodes[node].children.insert(at, (byte, child));
                    child
                }
            };
        }
        self.nodes[node].value = Some(value);
    }

    fn child(&self, node: usize, byte: u8) -> Option<usize> {
        let children = &self.nodes[node].children;
        children
            .binary_search_by_key(&byte, |&(b, _)| b)
            .ok()
            .map(|at| children[at].1)
    }

    /// Every key that is a prefix of `text`, as `(length in bytes, value)`, shortest first
    /// (darts-clone's `commonPrefixSearch`).
    pub fn prefixes<'t>(&'t self, text: &'t [u8]) -> impl Iterator<Item = (usize, u32)> + 't {
        let mut node = Some(0);
        text.iter()
            .enumerate()
            .map_while(move |(i, &byte)| {
                let next = self.child(node?, byte)?;
                node = Some(next);
                Some((i + 1, self.nodes[next].value))
            })
            .filter_map(|(length, value)| value.map(|value| (length, value)))
    }

    /// The length of the longest key that prefixes `text`.
    pub fn longest_prefix(&self, text: &[u8]) -> Option<usize> {
        self.prefixes(text).last().map(|(length, _)| length)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn finds_every_prefix_shortest_first() {
        let trie = Trie::new([("a", 1), ("ab", 2), ("abcd", 3), ("b", 4)]);
        let found: Vec<_> = trie.prefixes(b"abcde").collect();
        assert_eq!(found, [(1, 1), (2, 2), (4, 3)]);
        assert_eq!(trie.longest_prefix(b"abc"), Some(2));
        assert_eq!(trie.longest_prefix(b"c"), None);
        assert_eq!(trie.prefixes(b"").count(), 0);
        assert!(!trie.is_empty());
        assert!(Trie::new([]).is_empty());
        assert_eq!(Trie::default().longest_prefix(b"a"), None);
    }

    proptest! {
        #[test]
        fn agrees_with_a_linear_scan(
            keys in proptest::collection::vec("[ab▁]{1,4}", 0..12),
            text in "[ab▁]{0,8}",
        ) {
            let trie = Trie::new(keys.iter().enumerate().map(|(i, k)| (k.as_str(), i as u32)));
            let mut expected: Vec<(usize, u32)> = Vec::new();
            for (i, key) in keys.iter().enumerate() {
                if text.starts_with(key.as_str()) {
                    expected.retain(|&(length, _)| length != key.len());
                    expected.push((key.len(), i as u32));
                }
            }
            expected.sort_unstable();
            prop_assert_eq!(trie.prefixes(text.as_bytes()).collect::<Vec<_>>(), expected);
        }
    }
}
