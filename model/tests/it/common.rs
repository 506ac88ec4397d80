//! Shared helpers of the model integration tests (and the trainer's, which include this file).
#![allow(dead_code, clippy::unwrap_used)] // test helpers: a panic is a test failure

use std::path::{Path, PathBuf};

use burn::tensor::{Device, Tensor};
use dialekt_model::ArchConfig;
use dialekt_model::backend::{self, Accelerator, BackendName};
use serde::Deserialize;

/// `model/tests/fixtures/tiny`, written by `tools/reference/model/make_fixture.py`. Found
/// from the workspace (not this crate's directory): the trainer's tests include this file.
pub fn tiny_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../model/tests/fixtures/tiny")
}

/// What fairseq2 computed (see the generator for the meaning of each field).
#[derive(Debug, Deserialize)]
pub struct Reference {
    pub config: ArchConfig,
    pub param_count: u64,
    pub num_tensors: usize,
    pub input_lengths: Vec<usize>,
    pub audio: Vec<Vec<f32>>,
    pub targets: Vec<Vec<u32>>,
    pub frame_lengths: Vec<usize>,
    /// Per utterance, its valid frames × vocab.
    pub logits: Vec<Vec<Vec<f32>>>,
    pub loss: f64,
    pub grad_norms: std::collections::BTreeMap<String, f64>,
}

pub fn reference(dir: &Path) -> Reference {
    let text = fs_err::read_to_string(dir.join("reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Every CPU backend compiled in, as autodiff devices.
pub fn cpu_devices() -> Vec<(BackendName, Device)> {
    backend::compiled()
        .into_iter()
        .filter(|b| *b != BackendName::Cuda)
        .map(|b| (b, backend::device(b, Accelerator::Cpu).unwrap().autodiff()))
        .collect()
}

pub fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap()
}

/// Max |ours - reference| over each utterance's valid frames.
pub fn max_logit_delta(logits: Tensor<3>, reference: &[Vec<Vec<f32>>]) -> f64 {
    let [_, frames, vocab] = logits.dims();
    let ours = to_vec(logits);
    let mut max = 0.0f64;
    for (b, utt) in reference.iter().enumerate() {
        for (t, row) in utt.iter().enumerate() {
            for (v, &r) in row.iter().enumerate() {
                let o = ours[(b * frames + t) * vocab + v];
                max = max.max(f64::from((o - r).abs()));
            }
        }
    }
    max
}

pub fn l2_norm<const D: usize>(t: Tensor<D>) -> f64 {
    to_vec(t)
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt()
}
