//! The identity dictionary of the `audio_bytes` column: entry `i` is byte `i`, so a
//! dictionary index *is* the FLAC byte (shared by the writer and the reader, which checks
//! that a chunk uses exactly this dictionary before it slices bytes out of its pages).

use bytes::Bytes;
use parquet::basic::Encoding;
use parquet::column::page::Page;

/// Width of a dictionary index: 256 entries.
pub(super) const INDEX_BIT_WIDTH: u8 = 8;

/// Dictionary entry `i` is byte `i` read as `int8`, widened to `INT32` (`PLAIN`).
pub(super) fn dictionary_page() -> Page {
    Page::DictionaryPage {
        buf: dictionary_bytes().clone(),
        num_values: 256,
        encoding: Encoding::PLAIN,
        is_sorted: false,
    }
}

/// The `PLAIN` bytes of that dictionary, made once.
pub(super) fn dictionary_bytes() -> &'static Bytes {
    static BYTES: std::sync::OnceLock<Bytes> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| {
        (0..=u8::MAX)
            .flat_map(|byte| i32::from(byte.cast_signed()).to_le_bytes())
            .collect::<Vec<u8>>()
            .into()
    })
}
