//! One module per subcommand group. Each exposes a clap type with a `run` method.

pub mod config;
pub mod data;
pub mod decode;
pub mod decoder_args;
pub mod dist;
pub mod eval;
pub mod lm;
pub mod model;
pub mod report;
pub mod reproduce;
pub mod run;
pub mod runs;
pub mod score;
pub mod submit;
pub mod text;
pub mod transcribe;
