//! Checkpoint loading and export: layouts, strictness, error messages, round trips.

use crate::common::{cpu_devices, max_logit_delta, reference, tiny_dir, to_vec};
use dialekt_model::checkpoint::{Checkpoint, export, load_model, named_tensors};
use dialekt_model::pickle::{Layout, write_checkpoint};
use dialekt_model::{AudioBatch, ModelError};

#[allow(clippy::unwrap_used)] // every build has a CPU backend
fn flex_or_first() -> burn::tensor::Device {
    cpu_devices().pop().unwrap().1.without_autodiff()
}

/// The checkpoint at `path` loaded for `arch` by our loader, run on `audio`.
#[allow(clippy::unwrap_used)] // a test helper: a panic is a test failure
fn forward_file(
    path: &std::path::Path,
    arch: dialekt_model::ArchConfig,
    audio: &[Vec<f32>],
) -> dialekt_model::CtcOutput {
    let device = flex_or_first();
    let loaded = load_model(path, Some(arch), &device).unwrap();
    loaded
        .model
        .forward(&loaded.arch, &AudioBatch::from_waveforms(audio, &device))
        .unwrap()
}

#[test]
fn released_and_finetuned_layouts_load_the_same_model() {
    let dir = tiny_dir();
    let reference = reference(&dir);
    let device = flex_or_first();
    let released = Checkpoint::open(&dir.join("checkpoint.pt")).unwrap();
    assert_eq!(released.layout, Layout::Released);
    // A fairseq2 `step_N` directory: model/pp_00/tp_00/sdp_00.pt, a bare state dict.
    let finetuned = Checkpoint::open(&dir.join("finetuned")).unwrap();
    assert_eq!(finetuned.layout, Layout::StateDict);
    assert_eq!(released.shapes(), finetuned.shapes());

    // No --arch: every dimension the shapes hold is inferred, the rest assumed and said so.
    let inferred = load_model(&dir.join("finetuned"), None, &device).unwrap();
    assert!(
        inferred.assumed.iter().any(|a| a.contains("heads")),
        "{:?}",
        inferred.assumed
    );
    let mut arch = inferred.arch;
    arch.num_encoder_attn_heads = reference.config.num_encoder_attn_heads;
    assert_eq!(arch, reference.config);

    let out = forward_file(&dir.join("finetuned"), arch, &reference.audio);
    assert!(max_logit_delta(out.logits, &reference.logits) <= 1e-4);
}

/// What fairseq2 0.6 computed with the committed demo model, loaded through its asset card
/// (`tools/reference/model/check_demo_model.py`).
#[derive(serde::Deserialize)]
struct DemoReference {
    config: dialekt_model::ArchConfig,
    audio: Vec<Vec<f32>>,
    frame_lengths: Vec<usize>,
    logits: Vec<Vec<Vec<f32>>>,
}

/// The demo fine-tunes `demo/model/dialekt_demo_ctc.pt` through the released-checkpoint
/// loader: the file has the released layout, and our model of it computes fairseq2's
/// logits on real (synthetic) speech.
#[test]
fn the_committed_demo_model_loads_as_fairseq2_loads_it() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text =
        fs_err::read_to_string(root.join("model/tests/fixtures/demo/reference.json")).unwrap();
    let reference: DemoReference = serde_json::from_str(&text).unwrap();
    let path = root.join("demo/model/dialekt_demo_ctc.pt");
    assert_eq!(Checkpoint::open(&path).unwrap().layout, Layout::Released);
    let out = forward_file(&path, reference.config, &reference.audio);
    assert_eq!(out.frame_lengths, reference.frame_lengths);
    let delta = max_logit_delta(out.logits, &reference.logits);
    assert!(delta <= 1e-3, "max |logit - fairseq2's| = {delta}");
}

#[test]
fn wrong_shape_names_the_tensor_and_both_shapes() {
    let dir = tiny_dir();
    let mut arch = reference(&dir).config;
    arch.target_vocab_size = 13;
    let err = load_model(&dir.join("checkpoint.pt"), Some(arch), &flex_or_first()).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ModelError::ShapeMismatch { .. }), "{msg}");
    assert!(
        msg.contains("final_proj.weight") && msg.contains("[12, 32]") && msg.contains("[13, 32]"),
        "{msg}"
    );
}

#[test]
fn missing_and_unexpected_tensors_are_errors() {
    let dir = tiny_dir();
    let arch = reference(&dir).config;
    let device = flex_or_first();
    let loaded = load_model(&dir.join("checkpoint.pt"), Some(arch.clone()), &device).unwrap();
    let mut tensors = named_tensors(&loaded.model, &arch);
    let tmp = tempfile::tempdir().unwrap();

    let removed = tensors.remove(40);
    let path = tmp.path().join("missing.pt");
    write_checkpoint(&path, &tensors, Layout::Released).unwrap();
    let msg = load_model(&path, Some(arch.clone()), &device)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains(&removed.key) && msg.contains(&format!("{:?}", removed.shape)),
        "{msg}"
    );

    tensors.push(removed);
    tensors.push(dialekt_model::pickle::NamedTensor {
        key: "encoder.masker.temporal_mask_embed".into(),
        shape: vec![2],
        values: vec![0.0, 1.0],
    });
    let path = tmp.path().join("extra.pt");
    write_checkpoint(&path, &tensors, Layout::Released).unwrap();
    let msg = load_model(&path, Some(arch), &device)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("temporal_mask_embed"), "{msg}");
}

#[test]
fn truncated_file_is_an_error_naming_the_file() {
    let dir = tiny_dir();
    let bytes = fs_err::read(dir.join("checkpoint.pt")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    for cut in [bytes.len() / 2, bytes.len() - 100] {
        let path = tmp.path().join(format!("cut{cut}.pt"));
        fs_err::write(&path, &bytes[..cut]).unwrap();
        let err = load_model(&path, None, &flex_or_first()).unwrap_err();
        let msg = format!("{err}: {:?}", std::error::Error::source(&err));
        assert!(msg.contains(&format!("cut{cut}.pt")), "{msg}");
    }
}

#[test]
fn export_round_trips_bit_exactly() {
    let dir = tiny_dir();
    let arch = reference(&dir).config;
    let device = flex_or_first();
    let loaded = load_model(&dir.join("checkpoint.pt"), Some(arch.clone()), &device).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    for layout in [Layout::Released, Layout::StateDict] {
        let path = tmp.path().join(format!("{layout:?}.pt"));
        export(&loaded.model, &arch, &path, layout).unwrap();
        let original = Checkpoint::open(&dir.join("checkpoint.pt")).unwrap();
        let exported = Checkpoint::open(&path).unwrap();
        assert_eq!(exported.layout, layout);
        assert_eq!(original.shapes(), exported.shapes());
        for (key, shape) in original.shapes() {
            assert_eq!(
                original.read_f32(&key, &shape).unwrap(),
                exported.read_f32(&key, &shape).unwrap(),
                "{key}"
            );
        }
    }
}

/// Opt-in (needs the fairseq2 venv from `tools/reference/setup-venv.sh`): fairseq2 loads
/// our export and reproduces our logits.
/// `DIALEKT_REF_PYTHON=.venv-ref/bin/python ./dev cargo test -p dialekt-model --test it checkpoint -- --ignored`.
#[test]
#[ignore = "opt-in: needs Python with fairseq2 0.6 in DIALEKT_REF_PYTHON"]
fn fairseq2_loads_our_export() {
    let python = std::env::var_os("DIALEKT_REF_PYTHON")
        .expect("set DIALEKT_REF_PYTHON to a python with fairseq2 0.6");
    let dir = tiny_dir();
    let reference = reference(&dir);
    let device = flex_or_first();
    let loaded = load_model(
        &dir.join("checkpoint.pt"),
        Some(reference.config.clone()),
        &device,
    )
    .unwrap();
    // Change every weight so the check cannot pass by reading the original file's values.
    let model = loaded.model.map(&mut Scale(1.01));
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("exported.pt");
    export(&model, &loaded.arch, &path, Layout::Released).unwrap();
    let out = model
        .forward(
            &loaded.arch,
            &AudioBatch::from_waveforms(&reference.audio, &device),
        )
        .unwrap();
    let [_, frames, vocab] = out.logits.dims();
    let logits = to_vec(out.logits);
    for (i, &n) in out.frame_lengths.iter().enumerate() {
        let start = i * frames * vocab;
        dialekt_model::npy::write_f32(
            &tmp.path().join(format!("{i}.npy")),
            &[n, vocab],
            &logits[start..start + n * vocab],
        )
        .unwrap();
    }
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tools/reference/model/check_export.py");
    let status = std::process::Command::new(python)
        .arg(script)
        .arg("--checkpoint")
        .arg(&path)
        .arg("--reference")
        .arg(dir.join("reference.json"))
        .arg("--logits-dir")
        .arg(tmp.path())
        .status()
        .unwrap();
    assert!(status.success(), "fairseq2 disagreed with our export");
}

use burn::module::{Module as _, ModuleMapper, Param};
use burn::tensor::Tensor;

struct Scale(f32);

impl ModuleMapper for Scale {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let factor = self.0;
        param.map(|t| t * factor)
    }
}
