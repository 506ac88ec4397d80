//! CTC loss semantics on every backend, and (opt-in) its speed at realistic sizes.

use std::time::Instant;

use crate::common::{cpu_devices, to_vec};
use burn::tensor::{Distribution, Tensor};
use dialekt_model::ctc::ctc_loss;

#[test]
fn infeasible_utterance_adds_nothing_and_keeps_gradients_finite() {
    for (backend, device) in cpu_devices() {
        device.seed(7);
        let logits =
            Tensor::<3>::random([2, 6, 5], Distribution::Normal(0.0, 1.0), &device).require_grad();
        // Utterance 1 has 4 frames for 3 tokens + 1 adjacent repeat = 4: feasible;
        // with 3 frames it is not (torch: inf loss, zeroed by zero_infinity).
        let targets = vec![vec![1, 2, 3], vec![4, 4, 2]];
        let feasible = ctc_loss(logits.clone(), &[6, 4], &targets);
        let infeasible = ctc_loss(logits.clone(), &[6, 3], &targets);
        assert!(feasible.infeasible.is_empty());
        assert_eq!(infeasible.infeasible, vec![1]);
        let only_first = ctc_loss(logits.clone().narrow(0, 0, 1), &[6], &targets[..1]);
        let a = f64::from(infeasible.loss.clone().into_scalar::<f32>());
        let b = f64::from(only_first.loss.into_scalar::<f32>());
        assert!((a - b).abs() < 1e-5, "{backend}: {a} vs {b}");
        let grads = infeasible.loss.backward();
        let g = to_vec(logits.grad(&grads).unwrap());
        assert!(
            g.iter().all(|x| x.is_finite()),
            "{backend}: non-finite gradient"
        );
        assert!(
            g[30..].iter().all(|&x| x == 0.0),
            "{backend}: infeasible utterance got a gradient"
        );
    }
}

/// Opt-in timing: `cargo test -p dialekt-model --release --test it ctc -- --ignored --nocapture`.
/// Realistic sizes (research/issue 5): T = 1500 frames, vocab 9812, batch 8.
#[test]
#[ignore = "timing; run with --ignored --nocapture"]
fn ctc_timing_at_realistic_sizes() {
    let (t, n, c, s) = (1500, 8, 9812, 200);
    for (backend, device) in cpu_devices() {
        device.seed(1);
        let logits =
            Tensor::<3>::random([n, t, c], Distribution::Normal(0.0, 1.0), &device).require_grad();
        let targets: Vec<Vec<u32>> = (0..n)
            .map(|i| {
                (0..s)
                    .map(|j| 4 + ((i * 31 + j * 7) % 9000) as u32)
                    .collect()
            })
            .collect();
        let lengths = vec![t; n];
        let start = Instant::now();
        let loss = ctc_loss(logits.clone(), &lengths, &targets);
        let value = loss.loss.clone().into_scalar::<f32>();
        let forward = start.elapsed();
        let grads = loss.loss.backward();
        let g = logits.grad(&grads).unwrap().sum().into_scalar::<f32>();
        let total = start.elapsed();
        eprintln!(
            "{backend}: CTC T={t} N={n} C={c} S={s}: forward {:.3} s, forward+backward {:.3} s (loss {value}, grad sum {g})",
            forward.as_secs_f64(),
            total.as_secs_f64()
        );
    }
}
