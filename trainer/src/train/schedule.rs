//! fairseq2's tri-stage learning-rate schedule (`fairseq2/optim/lr_schedulers/tri_stage.py`).
//!
//! Warm up linearly from `start_lr_scale × lr` to `lr`, hold, decay exponentially to
//! `final_lr_scale × lr`, then stay there. Stage lengths are `int(ratio × num_steps)`
//! (truncated, as Python's `int` does). fairseq2 steps the scheduler once per optimizer
//! step *after* the update, so optimizer step `k` (1-based) uses the rate computed for
//! `k - 1` scheduler steps: step 1 trains with the start rate.

use dialekt_core::config::{LrSchedulerSection, OptimizerSection};

/// A tri-stage schedule over `num_steps` optimizer steps.
#[derive(Debug, Clone, PartialEq)]
pub struct TriStageLr {
    base_lr: f64,
    start_scale: f64,
    final_scale: f64,
    warmup_steps: u64,
    hold_steps: u64,
    decay_steps: u64,
}

impl TriStageLr {
    #[must_use]
    pub fn new(
        base_lr: f64,
        num_steps: u64,
        stage_ratio: [f64; 3],
        start_scale: f64,
        final_scale: f64,
    ) -> Self {
        // Python's `int(r * n)` truncates toward zero; the ratios are non-negative.
        let stage = |ratio: f64| (ratio * num_steps as f64) as u64;
        Self {
            base_lr,
            start_scale,
            final_scale,
            warmup_steps: stage(stage_ratio[0]),
            hold_steps: stage(stage_ratio[1]),
            decay_steps: stage(stage_ratio[2]),
        }
    }

    /// The schedule an experiment configures.
    #[must_use]
    pub fn from_config(
        optimizer: &OptimizerSection,
        scheduler: &LrSchedulerSection,
        num_steps: u64,
    ) -> Self {
        let c = &scheduler.config;
        Self::new(
            optimizer.config.lr,
            num_steps,
            c.stage_ratio,
            c.start_lr_scale,
            c.final_lr_scale,
        )
    }

    /// The learning rate of optimizer step `step` (1-based).
    #[must_use]
    pub fn lr_at_step(&self, step: u64) -> f64 {
        self.lr_after(step.saturating_sub(1))
    }

    /// fairseq2's `_compute_lrs` after `scheduler_steps` calls of `step()`.
    #[must_use]
    pub fn lr_after(&self, scheduler_steps: u64) -> f64 {
        let base = self.base_lr;
        let mut n = scheduler_steps;
        if n < self.warmup_steps {
            let start = self.start_scale * base;
            let progress = n as f64 / self.warmup_steps as f64;
            return start + (base - start) * progress;
        }
        n -= self.warmup_steps;
        if n < self.hold_steps {
            return base;
        }
        n -= self.hold_steps;
        if n < self.decay_steps {
            let progress = n as f64 / self.decay_steps as f64;
            return base * (self.final_scale.ln() * progress).exp();
        }
        self.final_scale * base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ctc_finetune_schedule_has_its_documented_corners() {
        // ctc-finetune.yaml: 20k steps, lr 5e-5: warm-up 2,000, hold 8,000, decay 10,000.
        let s = TriStageLr::new(5e-5, 20_000, [0.1, 0.4, 0.5], 0.01, 0.05);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-15 * b;
        assert!(close(s.lr_at_step(1), 5e-7));
        assert!(close(s.lr_at_step(1001), 5e-7 + (5e-5 - 5e-7) * 0.5));
        assert_eq!(s.lr_at_step(2001), 5e-5);
        assert_eq!(s.lr_at_step(10_000), 5e-5);
        assert_eq!(s.lr_at_step(10_001), 5e-5); // decay starts at exp(0)
        assert!(close(
            s.lr_at_step(20_000),
            5e-5 * (0.05f64.ln() * 0.9999).exp()
        ));
        assert!(close(s.lr_at_step(20_001), 0.05 * 5e-5));
    }

    #[test]
    fn stages_shorter_than_a_step_are_skipped() {
        // int(0.1 * 5) = 0 warm-up steps: step 1 already runs at the base rate.
        let s = TriStageLr::new(1e-3, 5, [0.1, 0.4, 0.5], 0.01, 0.05);
        assert_eq!(s.lr_at_step(1), 1e-3);
    }
}
