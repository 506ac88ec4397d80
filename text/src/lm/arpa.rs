//! The ARPA back-off language model text format: a streaming reader that hands each
//! n-gram line to a sink (the model builder), and a writer.
//!
//! Reading follows KenLM's `read_arpa` where files are malformed: n-gram fields are
//! separated by spaces, tabs or carriage returns, a `\N-grams:` section holds exactly the
//! count its `ngram N=` line declares, positive log probabilities and non-finite backoffs
//! are refused, and nothing but blank lines may follow `\end\`. Unlike KenLM, any text may
//! precede `\data\` (the ARPA convention; KenLM wants `#` comments there). Every error
//! names the line.

use std::io::{BufRead, Write};
use std::path::Path;

use super::MAX_ORDER;
use super::error::LmError;

/// One n-gram line, borrowed from the reader's buffer.
#[derive(Debug)]
pub(crate) struct Entry<'a> {
    pub order: usize,
    pub words: &'a [&'a str],
    pub prob: f32,
    pub backoff: Option<f32>,
    /// pyctcdecode's `load_unigram_set_from_arpa` only takes unigram lines that split into
    /// exactly three fields at tabs (probability, word, backoff); the decoder's default
    /// unigram list needs to know which lines those were.
    pub three_tab_fields: bool,
}

/// What the reader feeds: first the declared counts, then every n-gram in file order.
/// A sink's error message becomes an [`LmError::Arpa`] naming the current line.
pub(crate) trait Sink {
    fn counts(&mut self, counts: &[u64]) -> Result<(), String>;
    fn entry(&mut self, entry: &Entry<'_>) -> Result<(), String>;
}

/// KenLM's `kARPASpaces` without the newline, which ends the line before we split it.
fn is_field_separator(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r')
}

/// Line-by-line reading with line numbers and UTF-8 checks.
struct Lines<'p, R> {
    reader: R,
    buffer: Vec<u8>,
    number: usize,
    path: &'p Path,
}

fn line_error(path: &Path, line: usize, message: String) -> LmError {
    LmError::Arpa {
        path: path.to_owned(),
        line,
        message,
    }
}

impl<R: BufRead> Lines<'_, R> {
    /// The next line without its terminator and its number, or `None` at the end.
    fn next(&mut self) -> Result<Option<(usize, &str)>, LmError> {
        self.buffer.clear();
        let read = self
            .reader
            .read_until(b'\n', &mut self.buffer)
            .map_err(|source| LmError::Read {
                path: self.path.to_owned(),
                source,
            })?;
        if read == 0 {
            return Ok(None);
        }
        self.number += 1;
        while matches!(self.buffer.last(), Some(b'\n' | b'\r')) {
            self.buffer.pop();
        }
        match std::str::from_utf8(&self.buffer) {
            Ok(line) => Ok(Some((self.number, line))),
            Err(_) => Err(line_error(
                self.path,
                self.number,
                "not valid UTF-8".to_owned(),
            )),
        }
    }

    /// The next non-blank line; `what` names the expectation for the end-of-file error.
    fn next_content(&mut self, what: &str) -> Result<(usize, String), LmError> {
        let (path, last) = (self.path, self.number);
        loop {
            match self.next()? {
                Some((_, line)) if line.trim().is_empty() => continue,
                Some((number, line)) => return Ok((number, line.to_owned())),
                None => {
                    return Err(line_error(
                        path,
                        last.max(self.number),
                        format!("file ends where {what} was expected"),
                    ));
                }
            }
        }
    }
}

/// Parse an ARPA file from `reader` into `sink`; `path` names it in errors.
pub(crate) fn read(reader: impl BufRead, path: &Path, sink: &mut impl Sink) -> Result<(), LmError> {
    let mut lines = Lines {
        reader,
        buffer: Vec::new(),
        number: 0,
        path,
    };
    loop {
        match lines.next()? {
            Some((_, line)) if line.trim() == "\\data\\" => break,
            Some(_) => continue,
            None => {
                return Err(LmError::ArpaFile {
                    path: path.to_owned(),
                    message: "no \\data\\ line: not an ARPA file".to_owned(),
                });
            }
        }
    }
    let counts = read_counts(&mut lines)?;
    if counts.len() > MAX_ORDER {
        return Err(LmError::UnsupportedOrder {
            order: counts.len(),
            max: MAX_ORDER,
        });
    }
    sink.counts(&counts)
        .map_err(|message| line_error(path, lines.number, message))?;
    for (index, &count) in counts.iter().enumerate() {
        let order = index + 1;
        let (number, header) = lines.next_content(&format!("\\{order}-grams:"))?;
        if header.trim() != format!("\\{order}-grams:") {
            return Err(line_error(
                path,
                number,
                format!(
                    "expected the \\{order}-grams: header, found {:?}",
                    clip(&header)
                ),
            ));
        }
        read_section(&mut lines, order, count, sink)?;
    }
    let (number, end) = lines.next_content("\\end\\")?;
    if end.trim() != "\\end\\" {
        let highest = counts.len();
        let message = if looks_like_entry(&end) {
            format!(
                "more {highest}-grams than the {} that `ngram {highest}=` declares",
                counts[highest - 1]
            )
        } else {
            format!("expected \\end\\, found {:?}", clip(&end))
        };
        return Err(line_error(path, number, message));
    }
    while let Some((number, line)) = lines.next()? {
        if !line.trim().is_empty() {
            let message = format!("text after \\end\\: {:?}", clip(line));
            return Err(line_error(path, number, message));
        }
    }
    Ok(())
}

/// The `ngram N=count` lines after `\data\`, up to a blank line.
fn read_counts<R: BufRead>(lines: &mut Lines<'_, R>) -> Result<Vec<u64>, LmError> {
    let path = lines.path;
    let mut counts = Vec::new();
    loop {
        let Some((number, line)) = lines.next()? else {
            return Err(line_error(
                path,
                lines.number,
                "file ends in the \\data\\ counts".to_owned(),
            ));
        };
        let line = line.trim();
        if line.is_empty() {
            if counts.is_empty() {
                continue;
            }
            return Ok(counts);
        }
        let parsed = line.strip_prefix("ngram ").and_then(|rest| {
            let (order, count) = rest.split_once('=')?;
            Some((
                order.trim().parse::<usize>().ok()?,
                count.trim().parse::<u64>().ok()?,
            ))
        });
        match parsed {
            Some((order, count)) if order == counts.len() + 1 => counts.push(count),
            Some((order, _)) => {
                let message = format!(
                    "`ngram {order}=` out of sequence: counts must run 1, 2, 3, ... (expected {})",
                    counts.len() + 1
                );
                return Err(line_error(path, number, message));
            }
            None => {
                let message = format!(
                    "expected a count line `ngram N=count`, found {:?}",
                    clip(line)
                );
                return Err(line_error(path, number, message));
            }
        }
    }
}

/// Read the `count` entries of one section.
fn read_section<R: BufRead>(
    lines: &mut Lines<'_, R>,
    order: usize,
    count: u64,
    sink: &mut impl Sink,
) -> Result<(), LmError> {
    let path = lines.path;
    let mut seen = 0;
    while seen < count {
        let last = lines.number;
        let Some((number, line)) = lines.next()? else {
            let message = format!(
                "file ends after {seen} of the {count} {order}-grams `ngram {order}=` declares"
            );
            return Err(line_error(path, last, message));
        };
        let fail = |message: String| line_error(path, number, message);
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with('\\') {
            return Err(fail(format!(
                "the \\{order}-grams: section ends after {seen} entries but `ngram {order}=` declares {count}"
            )));
        }
        let three_tab_fields = order == 1 && trimmed.split('\t').count() == 3;
        let mut fields = line.split(is_field_separator).filter(|f| !f.is_empty());
        let prob_text = fields.next().unwrap_or_default();
        // A probability, `order` words and an optional backoff.
        let mut rest: [&str; MAX_ORDER + 1] = [""; MAX_ORDER + 1];
        let mut found = 0;
        for field in fields {
            if found <= order {
                rest[found] = field;
            }
            found += 1;
        }
        let backoff_text = match found {
            n if n == order => None,
            n if n == order + 1 => Some(rest[order]),
            n => {
                return Err(fail(format!(
                    "a {order}-gram line needs a probability, {order} word(s) and an optional backoff, found {} field(s)",
                    n + 1
                )));
            }
        };
        let prob = parse_float(prob_text, "probability").map_err(&fail)?;
        if prob.is_nan() {
            return Err(fail("probability is NaN".to_owned()));
        }
        if prob > 0.0 {
            return Err(fail(format!(
                "positive log10 probability {prob_text} (KenLM refuses these too)"
            )));
        }
        let backoff = match backoff_text {
            Some(text) => {
                let value = parse_float(text, "backoff").map_err(&fail)?;
                if !value.is_finite() {
                    return Err(fail(format!("backoff {text} is not finite")));
                }
                Some(value)
            }
            None => None,
        };
        let entry = Entry {
            order,
            words: &rest[..order],
            prob,
            backoff,
            three_tab_fields,
        };
        sink.entry(&entry).map_err(&fail)?;
        seen += 1;
    }
    Ok(())
}

fn parse_float(text: &str, what: &str) -> Result<f32, String> {
    text.parse::<f32>()
        .map_err(|_| format!("{what} {:?} is not a number", clip(text)))
}

fn looks_like_entry(line: &str) -> bool {
    line.split(is_field_separator)
        .find(|f| !f.is_empty())
        .is_some_and(|first| first.parse::<f32>().is_ok())
}

/// At most 80 characters of a line, for error messages.
fn clip(line: &str) -> String {
    line.chars().take(80).collect()
}

/// One n-gram to write: words, log10 probability, and a backoff for orders below the
/// highest.
#[derive(Debug, Clone, PartialEq)]
pub struct ArpaEntry {
    pub words: Vec<String>,
    pub prob: f32,
    pub backoff: Option<f32>,
}

/// Write an ARPA file in `lmplz`'s layout: tab-separated fields, a backoff on every
/// n-gram below the highest order (0 where there is none), floats in their shortest
/// round-trip form. `orders[k]` holds the (k+1)-grams in output order.
pub fn write(out: &mut impl Write, orders: &[Vec<ArpaEntry>]) -> std::io::Result<()> {
    writeln!(out, "\\data\\")?;
    for (index, entries) in orders.iter().enumerate() {
        writeln!(out, "ngram {}={}", index + 1, entries.len())?;
    }
    for (index, entries) in orders.iter().enumerate() {
        writeln!(out, "\n\\{}-grams:", index + 1)?;
        let lower = index + 1 < orders.len();
        for entry in entries {
            write!(out, "{}\t{}", entry.prob, entry.words.join(" "))?;
            if lower {
                write!(out, "\t{}", entry.backoff.unwrap_or(0.0))?;
            }
            writeln!(out)?;
        }
    }
    writeln!(out, "\n\\end\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect {
        counts: Vec<u64>,
        entries: Vec<(Vec<String>, f32, Option<f32>, bool)>,
    }

    impl Sink for Collect {
        fn counts(&mut self, counts: &[u64]) -> Result<(), String> {
            self.counts = counts.to_vec();
            Ok(())
        }
        fn entry(&mut self, entry: &Entry<'_>) -> Result<(), String> {
            let words = entry.words.iter().map(|w| (*w).to_owned()).collect();
            self.entries
                .push((words, entry.prob, entry.backoff, entry.three_tab_fields));
            Ok(())
        }
    }

    fn parse(text: &str) -> Result<Collect, LmError> {
        let mut sink = Collect::default();
        read(text.as_bytes(), Path::new("x.arpa"), &mut sink).map(|()| sink)
    }

    fn error_line(text: &str) -> (usize, String) {
        match parse(text) {
            Err(LmError::Arpa { line, message, .. }) => (line, message),
            other => panic!("expected a line error, got {:?}", other.map(|c| c.counts)),
        }
    }

    const SMALL: &str = "intro text\n\\data\\\nngram 1=3\nngram 2=1\n\n\\1-grams:\n-1\t<s>\t-0.5\n-0.5 a -0.25\n-1\t</s>\n\n\\2-grams:\n-0.1\t<s> a\n\\end\\\n\n";

    #[test]
    fn reads_sections_and_fields() {
        let parsed = parse(SMALL).unwrap();
        assert_eq!(parsed.counts, [3, 1]);
        assert_eq!(parsed.entries.len(), 4);
        assert_eq!(
            parsed.entries[1],
            (vec!["a".to_owned()], -0.5, Some(-0.25), false)
        );
        assert!(parsed.entries[0].3, "tab-separated unigram with backoff");
        assert_eq!(parsed.entries[3].0, ["<s>", "a"]);
    }

    #[test]
    fn malformed_files_name_the_line() {
        let cases = [
            (SMALL.replace("-0.5 a", "x a"), 8, "not a number"),
            (SMALL.replace("-0.5 a", "0.5 a"), 8, "positive"),
            (SMALL.replace("-0.1\t<s> a", "-0.1\t<s>"), 12, "field"),
            (
                SMALL.replace("ngram 2=1", "ngram 3=1"),
                4,
                "out of sequence",
            ),
            (
                SMALL.replace("ngram 1=3", "ngram 1=4"),
                11,
                "section ends after 3",
            ),
            (SMALL.replace("ngram 2=1", "ngram 2=0"), 12, "more 2-grams"),
            (
                SMALL.replace("\\end\\\n", "\\end\\\nmore\n"),
                14,
                "after \\end\\",
            ),
            (SMALL.replace("-0.25", "nan"), 8, "not finite"),
            (
                SMALL.replace("\\2-grams:", "\\3-grams:"),
                11,
                "expected the \\2-grams:",
            ),
        ];
        for (text, line, needle) in cases {
            let (got_line, message) = error_line(&text);
            assert_eq!(got_line, line, "{message}");
            assert!(message.contains(needle), "{message}");
        }
        assert!(matches!(parse("no data"), Err(LmError::ArpaFile { .. })));
        let (line, message) = error_line(&SMALL[..SMALL.find("\\2-grams").unwrap()]);
        assert_eq!(line, 10);
        assert!(message.contains("file ends"), "{message}");
    }

    #[test]
    fn written_files_read_back() {
        let entry = |words: &[&str], prob, backoff| ArpaEntry {
            words: words.iter().map(|w| (*w).to_owned()).collect(),
            prob,
            backoff,
        };
        let orders = vec![
            vec![
                entry(&["<s>"], 0.0, Some(-0.3)),
                entry(&["a"], -0.123_456_79, Some(0.0)),
            ],
            vec![entry(&["<s>", "a"], -1e-10, None)],
        ];
        let mut text = Vec::new();
        write(&mut text, &orders).unwrap();
        let parsed = parse(std::str::from_utf8(&text).unwrap()).unwrap();
        assert_eq!(parsed.counts, [2, 1]);
        assert_eq!(parsed.entries[1].1, -0.123_456_79);
        assert_eq!(parsed.entries[1].2, Some(0.0));
        assert_eq!(parsed.entries[2].1, -1e-10);
        assert_eq!(parsed.entries[2].2, None);
    }
}
