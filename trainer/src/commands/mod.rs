//! One module per subcommand group. Each exposes a clap type with a `run` method.

pub mod config;
pub mod data;
pub mod model;
pub mod runs;
pub mod score;
pub mod text;
pub mod transcribe;
