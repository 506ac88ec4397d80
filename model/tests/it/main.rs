//! dialekt-model's integration tests, one binary: parity with fairseq2 0.6 on committed
//! fixtures, checkpoint formats, CTC, and the opt-in 300m checks and benchmark.

mod bench;
mod checkpoint;
mod common;
mod ctc;
mod full_300m;
mod parity;
