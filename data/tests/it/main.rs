//! dialekt-data's integration tests, one binary: no libtorch, no burn (`ldd` of it shows
//! neither).

mod bucketing;
mod common;
mod loader;
mod prepare;
mod resample;
mod throughput;
