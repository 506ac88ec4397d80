//! Semantic checks of a resolved experiment: what the schema's types cannot say.
//! Each rule mirrors an upstream assertion or would otherwise fail mid-run.

use super::{BatchingStrategy, Experiment};

impl Experiment {
    /// Every problem found, each as `key: explanation`. Empty when valid.
    #[must_use]
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut check = |ok: bool, key: &str, why: &str| {
            if !ok {
                problems.push(format!("{key}: {why}"));
            }
        };
        let task = &self.dataset.asr_task_config;
        check(
            task.min_audio_len >= 1,
            "dataset.asr_task_config.min_audio_len",
            "must be at least 1",
        );
        check(
            task.min_audio_len <= task.max_audio_len,
            "dataset.asr_task_config.min_audio_len",
            "must not exceed max_audio_len",
        );
        check(
            task.batching_strategy != BatchingStrategy::Length
                || task.max_num_elements >= task.max_audio_len,
            "dataset.asr_task_config.max_num_elements",
            "must be at least max_audio_len (it is rounded down to a multiple of it)",
        );
        check(
            task.num_seqs_multiple_of >= 1,
            "dataset.asr_task_config.num_seqs_multiple_of",
            "must be at least 1",
        );
        check(
            task.example_shuffle_window > 0,
            "dataset.asr_task_config.example_shuffle_window",
            "must be > 0 (upstream asserts this; 1 turns shuffling off)",
        );
        check(
            task.batch_shuffle_window > 0,
            "dataset.asr_task_config.batch_shuffle_window",
            "must be > 0 (upstream asserts this; 1 turns shuffling off)",
        );

        let adamw = &self.optimizer.config;
        check(
            self.optimizer.name == "adamw",
            "optimizer.name",
            "only `adamw` is supported",
        );
        check(adamw.lr > 0.0, "optimizer.config.lr", "must be positive");
        check(
            adamw.betas.iter().all(|b| (0.0..1.0).contains(b)),
            "optimizer.config.betas",
            "each must lie in [0, 1)",
        );
        check(adamw.eps > 0.0, "optimizer.config.eps", "must be positive");
        check(
            adamw.weight_decay >= 0.0,
            "optimizer.config.weight_decay",
            "must be >= 0",
        );

        let tri = &self.lr_scheduler.config;
        check(
            self.lr_scheduler.name == "tri-stage",
            "lr_scheduler.name",
            "only `tri-stage` is supported",
        );
        check(
            tri.stage_ratio.iter().all(|r| *r >= 0.0)
                && (tri.stage_ratio.iter().sum::<f64>() - 1.0).abs() < 1e-9,
            "lr_scheduler.config.stage_ratio",
            "must be three non-negative fractions summing to 1",
        );
        check(
            tri.start_lr_scale > 0.0,
            "lr_scheduler.config.start_lr_scale",
            "must be positive",
        );
        check(
            tri.final_lr_scale > 0.0,
            "lr_scheduler.config.final_lr_scale",
            "must be positive",
        );

        check(
            self.trainer.grad_accumulation.num_batches >= 1,
            "trainer.grad_accumulation.num_batches",
            "must be at least 1",
        );
        check(
            self.trainer.max_grad_norm.is_none_or(|n| n > 0.0),
            "trainer.max_grad_norm",
            "must be positive (or null for no clipping)",
        );

        let regime = &self.regime;
        check(
            regime.num_steps >= 1,
            "regime.num_steps",
            "must be at least 1",
        );
        for (key, every) in [
            (
                "regime.validate_every_n_steps",
                regime.validate_every_n_steps,
            ),
            (
                "regime.checkpoint_every_n_steps",
                regime.checkpoint_every_n_steps,
            ),
            (
                "regime.publish_metrics_every_n_steps",
                regime.publish_metrics_every_n_steps,
            ),
        ] {
            check(every >= 1, key, "must be at least 1");
        }
        check(
            regime
                .validate_every_n_steps
                .is_multiple_of(regime.publish_metrics_every_n_steps),
            "regime.validate_every_n_steps",
            "must be a multiple of publish_metrics_every_n_steps (as fairseq2 requires)",
        );
        check(
            regime.score_metric == "wer" || regime.score_metric == "uer",
            "regime.score_metric",
            "must be `wer` or `uer`",
        );
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_reported_where_upstream_asserts() {
        // Upstream's own default example_shuffle_window (0) trips its assertion.
        let problems = Experiment::default().problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("dataset.asr_task_config.example_shuffle_window"));
    }

    #[test]
    fn every_broken_rule_is_listed() {
        let mut e = Experiment::default();
        e.dataset.asr_task_config.example_shuffle_window = 1;
        e.optimizer.config.lr = 0.0;
        e.lr_scheduler.config.stage_ratio = [0.5, 0.5, 0.5];
        e.regime.validate_every_n_steps = 150;
        let keys: Vec<String> = e
            .problems()
            .iter()
            .map(|p| p.split(':').next().unwrap().to_owned())
            .collect();
        assert_eq!(
            keys,
            [
                "optimizer.config.lr",
                "lr_scheduler.config.stage_ratio",
                "regime.validate_every_n_steps",
            ]
        );
    }
}
