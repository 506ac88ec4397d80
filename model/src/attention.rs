//! Multi-head self-attention with fairseq2's parameter names and semantics.
//!
//! fairseq2 `models/transformer/multihead_attention.py` (`StandardMultiheadAttention`, separate
//! q/k/v/output projections with bias, scale `1/sqrt(head_dim)`, key padding mask, attention
//! dropout 0 in omniASR). Written out rather than `burn::nn::attention::MultiHeadAttention`
//! (different names, −1e4 fill, dropout default) or `module::attention` (burn-tch passes the
//! mask to torch inverted; under autodiff every backend uses the same matmul fallback anyway).

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Bool, Device, Tensor};

/// fairseq2 name `self_attn`.
#[derive(Module, Debug)]
pub struct MultiheadAttention {
    pub q_proj: Linear,
    pub k_proj: Linear,
    pub v_proj: Linear,
    pub output_proj: Linear,
    pub num_heads: usize,
}

impl MultiheadAttention {
    pub fn new(model_dim: usize, num_heads: usize, device: &Device) -> Self {
        let linear = || LinearConfig::new(model_dim, model_dim).init(device);
        Self {
            q_proj: linear(),
            k_proj: linear(),
            v_proj: linear(),
            output_proj: linear(),
            num_heads,
        }
    }

    /// `[batch, frames, dim]` → same; `key_padding` is `[batch, 1, 1, frames]`, `true` on padding.
    pub fn forward(&self, x: Tensor<3>, key_padding: &Tensor<4, Bool>) -> Tensor<3> {
        let [batch, frames, dim] = x.dims();
        let heads = self.num_heads;
        let head_dim = dim / heads;
        // [N, S, D] -> [N, H, S, Dh]
        let split = |t: Tensor<3>| t.reshape([batch, frames, heads, head_dim]).swap_dims(1, 2);
        let q = split(self.q_proj.forward(x.clone()));
        let k = split(self.k_proj.forward(x.clone()));
        let v = split(self.v_proj.forward(x));

        let scale = 1.0 / (head_dim as f64).sqrt();
        let scores = q.matmul(k.swap_dims(2, 3)) * scale;
        let mask = key_padding.clone().expand([batch, heads, frames, frames]);
        // -inf like torch's SDPA; every row keeps at least one valid key, so no NaN rows.
        let weights = softmax(scores.mask_fill(mask, f32::NEG_INFINITY), 3);
        let attended = weights
            .matmul(v)
            .swap_dims(1, 2)
            .reshape([batch, frames, dim]);
        self.output_proj.forward(attended)
    }
}
