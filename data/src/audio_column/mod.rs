//! The `audio_bytes: list<int8>` column chunk of one row group, encoded directly.
//!
//! Arrow's generic writer (and pyarrow's) handles this column one byte at a time: it
//! widens the byte to Parquet's `INT32`, computes its repetition and definition
//! levels, looks it up in a dictionary hash table, then RLE-encodes the levels. That
//! was a quarter of `data prepare`'s time, as much as libFLAC's. Its outcome is known
//! in advance, though: FLAC bytes take all 256 values, so the dictionary has 256
//! entries and the indices are 8 bits wide. Ordering the dictionary by byte makes
//! each index the byte itself, and bit-packing 8-bit values is a copy. This module
//! writes exactly that: a `PLAIN` dictionary page, then V1 data pages of
//! `RLE_DICTIONARY` values with `RLE` levels, the encodings the generic writer uses,
//! so every Parquet reader reads it as before.
//!
//! [`read_rows`] is the other half: the loader reads a few rows from many row groups,
//! and Arrow's reader spends most of that decoding each byte through the dictionary
//! and building list offsets from per-value levels. For a chunk in this layout it
//! reads the pages holding the wanted rows (the offset index skips the rest) and
//! slices the bytes out; for any other layout (a corpus written by pyarrow, say) it
//! answers `None` and the caller reads through Arrow.
//!
//! Level layout, for the schema's `required group audio_bytes (LIST) { repeated group
//! list { required int32 item (INT_8) } }`: max repetition level 1, max definition
//! level 1. A row of `n > 0` bytes is `n` slots: repetition 0 then 1s, definition 1.
//! An empty list is one slot with definition 0 and no value.

mod dictionary;
mod levels;
mod read;
mod write;

use parquet::errors::ParquetError;

pub use read::read_rows;
pub use write::AudioChunk;

fn corrupt(what: String) -> ParquetError {
    ParquetError::General(format!("audio_bytes page: {what}"))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use parquet::basic::Encoding;
    use parquet::column::page::Page;

    use super::dictionary::*;
    use super::levels::*;
    use super::read::*;
    use super::write::*;

    #[test]
    fn dictionary_entry_i_is_byte_i_as_int8() {
        let Page::DictionaryPage {
            buf, num_values, ..
        } = dictionary_page()
        else {
            panic!("not a dictionary page");
        };
        assert_eq!(num_values, 256);
        let entries: Vec<i32> = buf
            .chunks_exact(4)
            .map(|le| i32::from_le_bytes(le.try_into().unwrap()))
            .collect();
        assert_eq!(entries[0x00], 0);
        assert_eq!(entries[0x7f], 127);
        assert_eq!(entries[0x80], -128);
        assert_eq!(entries[0xff], -1);
    }

    #[test]
    fn levels_merge_equal_runs_and_count_empty_lists_once() {
        let rows: [&[u8]; 4] = [&[1, 2, 3], &[], &[4], &[5, 6]];
        let (
            Page::DataPage {
                buf, num_values, ..
            },
            slots,
        ) = data_page(&rows).unwrap()
        else {
            panic!("not a data page");
        };
        assert_eq!((slots, num_values), (7, 7));
        // Repetition: 0 1 1 | 0 | 0 | 0 1 → runs (0,1) (1,2) (0,3) (1,1).
        let repetition = [8, 0, 0, 0, 2, 0, 4, 1, 6, 0, 2, 1];
        // Definition: 1 1 1 | 0 | 1 | 1 1 → runs (1,3) (0,1) (1,3).
        let definition = [6, 0, 0, 0, 6, 1, 2, 0, 6, 1];
        // Indices: width 8, one bit-packed group of 8 (6 values and 2 of padding).
        let indices = [8, 3, 1, 2, 3, 4, 5, 6, 0, 0];
        assert_eq!(
            buf.as_ref(),
            [&repetition[..], &definition, &indices].concat()
        );
    }

    fn data_page_of(buf: Vec<u8>, num_values: u32) -> Page {
        Page::DataPage {
            buf: buf.into(),
            num_values,
            encoding: Encoding::RLE_DICTIONARY,
            def_level_encoding: Encoding::RLE,
            rep_level_encoding: Encoding::RLE,
            statistics: None,
        }
    }

    proptest! {
        #[test]
        fn a_written_page_decodes_to_its_rows(
            data in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..30)
        ) {
            let rows: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
            let (page, _) = data_page(&rows).unwrap();
            let decoded = DecodedPage::parse(&page).unwrap().unwrap();
            for (index, row) in rows.iter().enumerate() {
                prop_assert_eq!(decoded.row(index).unwrap(), *row);
            }
            prop_assert!(decoded.row(rows.len()).is_err());
        }

        #[test]
        fn arbitrary_page_bytes_are_an_error_or_a_decline_never_a_panic(
            buf in proptest::collection::vec(any::<u8>(), 0..64),
            num_values in 0_u32..1_000,
        ) {
            if let Ok(Some(decoded)) = DecodedPage::parse(&data_page_of(buf, num_values)) {
                for row in 0..=decoded.rows.len() {
                    let _ = decoded.row(row);
                }
            }
        }

        #[test]
        fn pages_cover_the_rows_in_order_and_end_at_the_target(
            lens in proptest::collection::vec(0_usize..400_000, 0..40)
        ) {
            let data: Vec<Vec<u8>> = lens.iter().map(|&n| vec![7; n]).collect();
            let rows: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
            let pages: Vec<&[&[u8]]> = page_groups(&rows).collect();
            prop_assert_eq!(pages.concat(), rows.clone());
            for (index, page) in pages.iter().enumerate() {
                prop_assert!(!page.is_empty());
                let bytes: usize = page.iter().map(|r| r.len()).sum();
                let without_last = bytes - page.last().map_or(0, |r| r.len());
                // A page is cut as soon as it reaches the target, never before
                // (except the last page, which takes what is left).
                prop_assert!(without_last < PAGE_VALUE_BYTES);
                if index + 1 < pages.len() {
                    prop_assert!(bytes >= PAGE_VALUE_BYTES);
                }
            }
        }
    }

    #[test]
    fn levels_that_overrun_the_page_are_an_error() {
        let mut buf = vec![200, 0, 0, 0, 2, 0];
        buf.extend([4, 0, 0, 0, 2, 1, 8, 3]);
        assert!(DecodedPage::parse(&data_page_of(buf, 1)).is_err());
    }

    /// A run header may claim any count; more levels than the page's values is an
    /// error before anything is allocated for them.
    #[test]
    fn level_runs_beyond_the_page_values_are_an_error() {
        // Repetition: one run of 2^40 zeros (ULEB128 of 2^41), in a page of 3 values.
        let mut buf = vec![8, 0, 0, 0];
        write_uleb128(&mut buf, 1 << 41);
        buf.push(0);
        buf[0] = (buf.len() - 4) as u8;
        let error = DecodedPage::parse(&data_page_of(buf, 3)).unwrap_err();
        assert!(
            error.to_string().contains("more than the page's 3 values"),
            "{error}"
        );
    }

    #[test]
    fn index_runs_are_bounded_by_the_page() {
        // One row of one value; then a bit-packed run of 2^62 groups, whose byte count
        // overflows, and an RLE run of 2^62 copies, of which one is kept.
        let levels = [2, 0, 0, 0, 2, 0, 2, 0, 0, 0, 2, 1];
        let mut packed = vec![8];
        write_uleb128(&mut packed, (1 << 63) | 1);
        let packed = DecodedPage::parse(&data_page_of([&levels[..], &packed].concat(), 1));
        assert!(packed.unwrap_err().to_string().contains("overrun the page"));

        let mut repeated = vec![8];
        write_uleb128(&mut repeated, 1 << 63);
        repeated.push(42);
        let decoded = DecodedPage::parse(&data_page_of([&levels[..], &repeated].concat(), 1))
            .unwrap()
            .unwrap();
        assert_eq!(decoded.row(0).unwrap(), [42]);
    }

    #[test]
    fn fewer_values_than_levels_say_is_an_error() {
        // One row of 3 values, but one packed group holds only 2 more bytes.
        let buf = vec![4, 0, 0, 0, 2, 0, 4, 1, 2, 0, 0, 0, 6, 1, 8, 3, 1, 2];
        assert!(DecodedPage::parse(&data_page_of(buf, 3)).is_err());
    }

    #[test]
    fn uleb128_matches_the_spec_examples() {
        let encode = |value| {
            let mut buf = Vec::new();
            write_uleb128(&mut buf, value);
            buf
        };
        assert_eq!(encode(0), [0]);
        assert_eq!(encode(127), [127]);
        assert_eq!(encode(128), [0x80, 1]);
        assert_eq!(encode(624_485), [0xe5, 0x8e, 0x26]);
    }
}
