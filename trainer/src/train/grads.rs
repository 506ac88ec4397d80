//! Whole-model gradient arithmetic burn does not offer: the *global* L2 norm (burn's
//! clipping is per tensor) and scaling every gradient by one factor.
//!
//! fairseq2 logs the global norm every step (`clip_grad_norm` with `max_norm=inf` when
//! `max_grad_norm` is unset) and clips by it when set, as `torch.nn.utils.clip_grad_norm_`:
//! the norm of the per-tensor norms, and a scale of `max / (norm + 1e-6)` capped at 1.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;

/// The global L2 norm of `grads` over `model`'s parameters (0 when there are none).
pub fn global_norm<M: Module>(model: &M, grads: &GradientsParams) -> f64 {
    let mut visitor = SquaredNorms { grads, total: None };
    model.visit(&mut visitor);
    visitor
        .total
        .map_or(0.0, |total| f64::from(total.into_scalar::<f32>()).sqrt())
}

/// Multiplies every gradient of `model` in `grads` by `factor`.
pub fn scale<M: Module>(model: &M, grads: &mut GradientsParams, factor: f64) {
    model.visit(&mut Scale { grads, factor });
}

/// torch's `clip_grad_norm_` factor for a global `norm` and an optional `max_norm`.
#[must_use]
pub fn clip_factor(norm: f64, max_norm: Option<f64>) -> Option<f64> {
    let max_norm = max_norm?;
    let factor = max_norm / (norm + 1e-6);
    (factor < 1.0).then_some(factor)
}

struct SquaredNorms<'a> {
    grads: &'a GradientsParams,
    /// Σ over tensors of (per-tensor norm)², kept on the device: one read at the end.
    total: Option<Tensor<1>>,
}

impl ModuleVisitor for SquaredNorms<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let Some(grad) = self.grads.get::<D>(param.id) else {
            return;
        };
        let squares = grad.square().sum();
        self.total = Some(match self.total.take() {
            Some(total) => total + squares,
            None => squares,
        });
    }
}

struct Scale<'a> {
    grads: &'a mut GradientsParams,
    factor: f64,
}

impl ModuleVisitor for Scale<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(grad) = self.grads.remove::<D>(param.id) {
            self.grads.register(param.id, grad.mul_scalar(self.factor));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_only_ever_shrinks() {
        assert_eq!(clip_factor(10.0, None), None);
        assert_eq!(clip_factor(0.5, Some(1.0)), None);
        let f = clip_factor(4.0, Some(1.0)).unwrap();
        assert!((f - 1.0 / (4.0 + 1e-6)).abs() < 1e-15);
    }
}
