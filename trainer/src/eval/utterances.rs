//! `utterances.parquet` of an evaluation: one row per utterance with the stored text, the
//! reference, the hypothesis, speaker metadata and word/character edit counts (after CoRal
//! normalisation). Written here, read back by [`crate::report::evaluation`].

use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray, UInt64Array};
use arrow_schema::{DataType, Field, Schema};
use dialekt_text::align::EditCounts;
use dialekt_text::metrics::PairCounts;
use parquet::arrow::ArrowWriter;

use crate::Error;
use crate::train::evaluate::{Evaluation, UtteranceResult};

/// Column names of `utterances.parquet`, shared by the writer here and its reader.
pub mod columns {
    pub const STORED_TEXT: &str = "stored_text";
    pub const REFERENCE: &str = "reference";
    pub const HYPOTHESIS: &str = "hypothesis";
    pub const SOURCE: &str = "source";
    pub const SPEAKER: &str = "id_speaker";
    pub const DIALECT_GROUP: &str = "dialect_group";
    pub const AGE: &str = "age";
    pub const GENDER: &str = "gender";

    /// `word_hits`, `char_insertions`, ...: one edit count of one level.
    #[must_use]
    pub fn edit_count(level: &str, operation: &str) -> String {
        format!("{level}_{operation}")
    }
}

/// One text column of a result.
type Text = fn(&UtteranceResult) -> Option<String>;
/// One level of a [`PairCounts`] (words or characters).
type Level = fn(&PairCounts) -> EditCounts;
/// One edit operation's count.
type Operation = fn(&EditCounts) -> u64;

/// Per-utterance rows as Parquet bytes.
///
/// # Errors
/// [`Error::Table`] if Arrow or Parquet refuse the columns (a bug, not user data).
pub fn to_parquet(evaluation: &Evaluation, counts: &[PairCounts]) -> Result<Vec<u8>, Error> {
    let u = &evaluation.utterances;
    let strings = |f: &dyn Fn(&UtteranceResult) -> Option<String>| -> ArrayRef {
        Arc::new(u.iter().map(f).collect::<StringArray>())
    };
    let counts_col = |f: &dyn Fn(&PairCounts) -> u64| -> ArrayRef {
        Arc::new(counts.iter().map(f).collect::<UInt64Array>())
    };
    let mut columns: Vec<(Field, ArrayRef)> = Vec::new();
    let mut push = |name: &str, data_type: DataType, array: ArrayRef| {
        columns.push((Field::new(name, data_type, true), array));
    };
    let texts: [(&str, Text); 6] = [
        (columns::STORED_TEXT, |x| Some(x.stored_text.clone())),
        (columns::REFERENCE, |x| Some(x.reference.clone())),
        (columns::HYPOTHESIS, |x| Some(x.hypothesis.clone())),
        (columns::SOURCE, |x| Some(x.source.clone())),
        (columns::SPEAKER, |x| x.speaker.clone()),
        (columns::DIALECT_GROUP, |x| Some(x.dialect_group.clone())),
    ];
    for (name, text) in texts {
        push(name, DataType::Utf8, strings(&text));
    }
    push(
        columns::AGE,
        DataType::Int64,
        Arc::new(u.iter().map(|x| x.age).collect::<Int64Array>()),
    );
    push(
        columns::GENDER,
        DataType::Utf8,
        strings(&|x| x.gender.clone()),
    );
    let levels: [(&str, Level); 2] = [("word", |c| c.words), ("char", |c| c.chars)];
    let operations: [(&str, Operation); 4] = [
        ("hits", |e| e.hits),
        ("substitutions", |e| e.substitutions),
        ("deletions", |e| e.deletions),
        ("insertions", |e| e.insertions),
    ];
    for (level, pick) in levels {
        for (operation, count) in operations {
            let values = counts_col(&|c| count(&pick(c)));
            push(
                &columns::edit_count(level, operation),
                DataType::UInt64,
                values,
            );
        }
    }
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = columns.into_iter().unzip();
    let schema = Arc::new(Schema::new(fields));
    let table = |message: String| Error::Table {
        path: "utterances.parquet".into(),
        message,
    };
    let batch =
        RecordBatch::try_new(Arc::clone(&schema), arrays).map_err(|e| table(e.to_string()))?;
    let mut bytes = Vec::new();
    let mut writer =
        ArrowWriter::try_new(&mut bytes, schema, None).map_err(|e| table(e.to_string()))?;
    writer.write(&batch).map_err(|e| table(e.to_string()))?;
    writer.close().map_err(|e| table(e.to_string()))?;
    Ok(bytes)
}
