//! Parity with fairseq2 0.6 on the committed tiny random-init fixture: a padded batch of two
//! utterances, on every CPU backend compiled in (tch and flex by default).

use crate::common::{cpu_devices, l2_norm, max_logit_delta, reference, tiny_dir};
use dialekt_model::checkpoint::load_model;
use dialekt_model::ctc::ctc_loss;
use dialekt_model::{AudioBatch, Wav2Vec2Asr};

/// The gradients the acceptance names, by fairseq2 key, with a getter on our model.
#[allow(clippy::unwrap_used)] // a missing gradient is a test failure
fn named_grads(model: &Wav2Vec2Asr, grads: &burn::tensor::Gradients) -> Vec<(&'static str, f64)> {
    let enc = &model.encoder_frontend;
    let layer = &model.encoder.layers[0];
    vec![
        (
            "encoder_frontend.model_dim_proj.weight",
            l2_norm(enc.model_dim_proj.weight.val().grad(grads).unwrap()),
        ),
        (
            "encoder.layers.0.ffn.inner_proj.weight",
            l2_norm(layer.ffn.inner_proj.weight.val().grad(grads).unwrap()),
        ),
        (
            "final_proj.weight",
            l2_norm(model.final_proj.weight.val().grad(grads).unwrap()),
        ),
        (
            "encoder_frontend.pos_encoder.conv.weight_v",
            l2_norm(enc.pos_encoder.conv.weight_v.val().grad(grads).unwrap()),
        ),
        (
            "encoder_frontend.pos_encoder.conv.weight_g",
            l2_norm(enc.pos_encoder.conv.weight_g.val().grad(grads).unwrap()),
        ),
        (
            "encoder.layers.1.self_attn.q_proj.weight",
            l2_norm(
                model.encoder.layers[1]
                    .self_attn
                    .q_proj
                    .weight
                    .val()
                    .grad(grads)
                    .unwrap(),
            ),
        ),
    ]
}

#[test]
fn logits_loss_and_gradients_match_fairseq2() {
    let dir = tiny_dir();
    let reference = reference(&dir);
    for (backend, device) in cpu_devices() {
        let loaded = load_model(
            &dir.join("checkpoint.pt"),
            Some(reference.config.clone()),
            &device,
        )
        .unwrap();
        // fairseq2's reference ran in eval mode: no dropout, no LayerDrop, gradients on.
        let model = loaded.model.with_stochastic_layers(false);
        let batch = AudioBatch::from_waveforms(&reference.audio, &device);
        let out = model.forward(&loaded.arch, &batch).unwrap();
        assert_eq!(out.frame_lengths, reference.frame_lengths, "{backend}");

        let delta = max_logit_delta(out.logits.clone(), &reference.logits);
        eprintln!("{backend}: logits max |Δ| = {delta:.3e}");
        assert!(delta <= 1e-4, "{backend}: logits max |Δ| {delta}");

        let loss = ctc_loss(out.logits, &out.frame_lengths, &reference.targets);
        assert!(loss.infeasible.is_empty());
        let value = f64::from(loss.loss.clone().into_scalar::<f32>());
        let rel = (value - reference.loss).abs() / reference.loss.abs();
        eprintln!(
            "{backend}: loss {value} vs {} (rel Δ {rel:.3e})",
            reference.loss
        );
        assert!(rel <= 1e-5, "{backend}: loss rel Δ {rel}");

        let grads = loss.loss.backward();
        for (key, norm) in named_grads(&model, &grads) {
            let expected = reference.grad_norms[key];
            let rel = (norm - expected).abs() / expected;
            eprintln!("{backend}: |grad {key}| {norm:.6e} vs {expected:.6e} (rel Δ {rel:.3e})");
            assert!(rel <= 1e-4, "{backend}: grad norm of {key}: rel Δ {rel}");
        }
    }
}

#[test]
fn parameter_count_and_tensor_count_match_fairseq2() {
    let dir = tiny_dir();
    let reference = reference(&dir);
    assert_eq!(reference.config.param_count(), reference.param_count);
    let tensors = dialekt_model::weights::expected_tensors(&reference.config);
    assert_eq!(tensors.len(), reference.num_tensors);
    let (_, device) = cpu_devices().remove(0);
    let model = Wav2Vec2Asr::new(&reference.config, &device).unwrap();
    use burn::module::Module as _;
    assert_eq!(model.num_params() as u64, reference.param_count);
}

#[test]
fn results_do_not_depend_on_batching() {
    let dir = tiny_dir();
    let reference = reference(&dir);
    for (backend, device) in cpu_devices() {
        let device = device.without_autodiff();
        let loaded = load_model(
            &dir.join("checkpoint.pt"),
            Some(reference.config.clone()),
            &device,
        )
        .unwrap();
        let batched = loaded
            .model
            .forward(
                &loaded.arch,
                &AudioBatch::from_waveforms(&reference.audio, &device),
            )
            .unwrap();
        let batched = crate::common::to_vec(batched.logits);
        let frames = reference.frame_lengths[0];
        let vocab = reference.config.target_vocab_size;
        for (i, wav) in reference.audio.iter().enumerate() {
            let alone = loaded
                .model
                .forward(
                    &loaded.arch,
                    &AudioBatch::from_waveforms(std::slice::from_ref(wav), &device),
                )
                .unwrap();
            let alone = crate::common::to_vec(alone.logits);
            let n = reference.frame_lengths[i] * vocab;
            let start = i * frames * vocab;
            let max = alone[..n]
                .iter()
                .zip(&batched[start..start + n])
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(
                max <= 1e-5,
                "{backend}: utterance {i} differs by {max} alone vs batched"
            );
        }
    }
}

#[test]
fn layer_drop_and_dropout_follow_the_training_flag() {
    let dir = tiny_dir();
    let reference = reference(&dir);
    let (_, device) = cpu_devices().pop().unwrap();
    let loaded = load_model(
        &dir.join("checkpoint.pt"),
        Some(reference.config.clone()),
        &device,
    )
    .unwrap();
    let batch = AudioBatch::from_waveforms(&reference.audio, &device);
    let arch = &loaded.arch;
    let logits = |m: &Wav2Vec2Asr, dropped: &[bool]| {
        crate::common::to_vec(
            m.forward_with_layer_drop(arch, &batch, dropped)
                .unwrap()
                .logits,
        )
    };
    let eval = loaded.model.with_stochastic_layers(false);
    assert!(!eval.encoder.is_training(&device));
    // LayerDrop: fairseq2 drops layer i when its uniform draw u_i <= p.
    assert_eq!(
        eval.encoder.layer_drop_decisions(&[0.05, 0.1, 0.5]),
        vec![true, true, false]
    );
    assert_eq!(logits(&eval, &[]), logits(&eval, &[false, false]));
    assert_ne!(logits(&eval, &[]), logits(&eval, &[true, false]));
    // FFN dropout is active only in training mode on an autodiff device.
    let train = eval.with_stochastic_layers(true);
    assert!(train.encoder.is_training(&device));
    assert_ne!(logits(&train, &[]), logits(&train, &[]));
}
