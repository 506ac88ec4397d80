//! Which parameters train at a given step (omnilingual-asr `recipe.py`).
//!
//! The conv feature extractor never trains (`prepare_model` freezes it). For steps
//! `1..=freeze_encoder_for_n_steps` only `final_proj` trains (`Wav2Vec2AsrTrainUnit.set_step_nr`
//! freezes `encoder_frontend` and `encoder`); from the next step everything else does.
//! A frozen parameter gets no gradient, hence no AdamW state, exactly as a torch parameter
//! with `requires_grad=False` is skipped by `torch.optim.AdamW`.

use burn::module::Module as _;

use dialekt_model::Wav2Vec2Asr;

/// The trainable set of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trainable {
    /// Only the CTC head (`final_proj`).
    HeadOnly,
    /// Everything but the conv feature extractor.
    AllButFeatureExtractor,
}

impl Trainable {
    /// The set for optimizer step `step` (1-based).
    #[must_use]
    pub fn at_step(step: u64, freeze_encoder_for_n_steps: u64) -> Self {
        if step <= freeze_encoder_for_n_steps {
            Self::HeadOnly
        } else {
            Self::AllButFeatureExtractor
        }
    }
}

/// Sets gradient tracking on every parameter of `model` for `trainable`. With
/// `train_feature_extractor` the conv stack trains too (dialekt's from-scratch demo; the
/// upstream recipe never does).
#[must_use]
pub fn apply(
    mut model: Wav2Vec2Asr,
    trainable: Trainable,
    train_feature_extractor: bool,
) -> Wav2Vec2Asr {
    let body = trainable == Trainable::AllButFeatureExtractor;
    let frontend = model.encoder_frontend;
    model.encoder_frontend = dialekt_model::asr::Frontend {
        feature_extractor: frontend
            .feature_extractor
            .set_require_grad(body && train_feature_extractor),
        post_extract_layer_norm: frontend.post_extract_layer_norm.set_require_grad(body),
        model_dim_proj: frontend.model_dim_proj.set_require_grad(body),
        first_pass_dropout: frontend.first_pass_dropout,
        pos_encoder: frontend.pos_encoder.set_require_grad(body),
    };
    model.encoder = model.encoder.set_require_grad(body);
    model.final_proj = model.final_proj.set_require_grad(true);
    model
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_trains_alone_for_the_first_n_steps() {
        assert_eq!(Trainable::at_step(1, 0), Trainable::AllButFeatureExtractor);
        assert_eq!(Trainable::at_step(1, 2), Trainable::HeadOnly);
        assert_eq!(Trainable::at_step(2, 2), Trainable::HeadOnly);
        assert_eq!(Trainable::at_step(3, 2), Trainable::AllButFeatureExtractor);
    }
}
