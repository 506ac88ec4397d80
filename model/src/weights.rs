//! The fairseq2 checkpoint key map, in one place.
//!
//! Our module fields carry fairseq2's module names, so a parameter's burn path *is* its
//! checkpoint key except for two burn conventions, both handled only here:
//!
//! | burn (`Struct:Parent` / field)        | fairseq2 key        | tensor                    |
//! |---------------------------------------|---------------------|---------------------------|
//! | `LayerNorm` / `gamma`, `beta`         | `weight`, `bias`    | as is                     |
//! | `Linear` / `weight` `[in, out]`       | `weight`            | transposed (`[out, in]`)  |
//! | everything else                       | same name           | as is (conv `[out, in, k]`) |
//!
//! [`expected_tensors`] lists every key the released omniASR checkpoints hold (research
//! `omnilingual.md` §1.6: 423 for 300m = 24 × 16 + 28 + 11), with torch shapes; it is the
//! reference the loader checks files against and [`infer_arch`] reads dimensions from.

use std::collections::BTreeMap;

use super::ModelError;
use super::config::{ArchConfig, LayerDesc, standard_feature_extractor};

/// How a burn parameter's tensor relates to the checkpoint's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    Identity,
    /// burn `Linear` stores `[in, out]`; torch stores `[out, in]`.
    Transpose,
}

/// The fairseq2 key of the parameter at burn module `path` whose parent module has container
/// type `parent` (as burn's `ModuleVisitor`/`ModuleMapper` report it, e.g. `Struct:Linear`).
pub fn fairseq2_key(path: &[String], parent: &str) -> (String, Transform) {
    let (leaf, prefix) = match path.split_last() {
        Some((leaf, prefix)) => (leaf.as_str(), prefix),
        None => ("", &[][..]),
    };
    let (leaf, transform) = match (parent, leaf) {
        ("Struct:LayerNorm", "gamma") => ("weight", Transform::Identity),
        ("Struct:LayerNorm", "beta") => ("bias", Transform::Identity),
        ("Struct:Linear", "weight") => ("weight", Transform::Transpose),
        (_, leaf) => (leaf, Transform::Identity),
    };
    let mut key = prefix.join(".");
    if !key.is_empty() {
        key.push('.');
    }
    key.push_str(leaf);
    (key, transform)
}

/// Every tensor of an omniASR CTC checkpoint for `arch`: `(key, torch shape)`, in the order
/// fairseq2's `state_dict()` lists them.
pub fn expected_tensors(arch: &ArchConfig) -> Vec<(String, Vec<usize>)> {
    let mut out = Vec::new();
    let mut push = |key: String, shape: Vec<usize>| out.push((key, shape));
    let fe = "encoder_frontend.feature_extractor.layers";
    let mut input_dim = 1;
    for (i, &(dim, kernel, _)) in arch.feature_extractor_layer_descs.iter().enumerate() {
        push(
            format!("{fe}.{i}.conv.weight"),
            vec![dim, input_dim, kernel],
        );
        push(format!("{fe}.{i}.conv.bias"), vec![dim]);
        push(format!("{fe}.{i}.layer_norm.weight"), vec![dim]);
        push(format!("{fe}.{i}.layer_norm.bias"), vec![dim]);
        input_dim = dim;
    }
    let (d, f, v, k) = (
        arch.model_dim,
        arch.ffn_inner_dim,
        arch.target_vocab_size,
        arch.pos_conv_kernel_size,
    );
    let fd = arch.feature_dim;
    push(
        "encoder_frontend.post_extract_layer_norm.weight".into(),
        vec![fd],
    );
    push(
        "encoder_frontend.post_extract_layer_norm.bias".into(),
        vec![fd],
    );
    push("encoder_frontend.model_dim_proj.weight".into(), vec![d, fd]);
    push("encoder_frontend.model_dim_proj.bias".into(), vec![d]);
    let pos = "encoder_frontend.pos_encoder.conv";
    push(format!("{pos}.bias"), vec![d]);
    push(format!("{pos}.weight_g"), vec![1, 1, k]);
    push(
        format!("{pos}.weight_v"),
        vec![d, d / arch.num_pos_conv_groups, k],
    );
    for i in 0..arch.num_encoder_layers {
        let l = format!("encoder.layers.{i}");
        push(format!("{l}.self_attn_layer_norm.weight"), vec![d]);
        push(format!("{l}.self_attn_layer_norm.bias"), vec![d]);
        for proj in ["q_proj", "k_proj", "v_proj", "output_proj"] {
            push(format!("{l}.self_attn.{proj}.weight"), vec![d, d]);
            push(format!("{l}.self_attn.{proj}.bias"), vec![d]);
        }
        push(format!("{l}.ffn_layer_norm.weight"), vec![d]);
        push(format!("{l}.ffn_layer_norm.bias"), vec![d]);
        push(format!("{l}.ffn.inner_proj.weight"), vec![f, d]);
        push(format!("{l}.ffn.inner_proj.bias"), vec![f]);
        push(format!("{l}.ffn.output_proj.weight"), vec![d, f]);
        push(format!("{l}.ffn.output_proj.bias"), vec![d]);
    }
    push("encoder.layer_norm.weight".into(), vec![d]);
    push("encoder.layer_norm.bias".into(), vec![d]);
    push("final_proj.weight".into(), vec![v, d]);
    push("final_proj.bias".into(), vec![v]);
    out
}

/// Reads the dimensions a checkpoint's tensor shapes determine; returns the arch and, in
/// words, what the shapes could not say and had to be assumed.
///
/// # Errors
/// [`ModelError::InferArch`] when a tensor the arch needs is missing or oddly shaped.
pub fn infer_arch(
    shapes: &BTreeMap<String, Vec<usize>>,
) -> Result<(ArchConfig, Vec<String>), ModelError> {
    let get = |key: &str, rank: usize| -> Result<&[usize], ModelError> {
        match shapes.get(key) {
            Some(shape) if shape.len() == rank => Ok(shape),
            Some(shape) => Err(ModelError::InferArch(format!(
                "`{key}` has shape {shape:?}"
            ))),
            None => Err(ModelError::InferArch(format!("no tensor `{key}`"))),
        }
    };
    let mut assumed = Vec::new();
    let proj = get("encoder_frontend.model_dim_proj.weight", 2)?;
    let (model_dim, feature_dim) = (proj[0], proj[1]);
    let weight_v = get("encoder_frontend.pos_encoder.conv.weight_v", 3)?;
    let inner = get("encoder.layers.0.ffn.inner_proj.weight", 2)?;
    let final_proj = get("final_proj.weight", 2)?;
    let count = |prefix: &str, suffix: &str| {
        (0..)
            .take_while(|i| shapes.contains_key(&format!("{prefix}.{i}.{suffix}")))
            .count()
    };
    let num_fe = count("encoder_frontend.feature_extractor.layers", "conv.weight");
    let kernels_and_dims = (0..num_fe)
        .map(|i| {
            get(
                &format!("encoder_frontend.feature_extractor.layers.{i}.conv.weight"),
                3,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let standard = standard_feature_extractor(feature_dim);
    let strides: Vec<usize> = if kernels_and_dims.len() == standard.len()
        && kernels_and_dims
            .iter()
            .zip(&standard)
            .all(|(s, d)| s[2] == d.1)
    {
        assumed.push("conv strides 5,2,2,2,2,2,2 (wav2vec2's; strides are not stored)".to_owned());
        standard.iter().map(|d| d.2).collect()
    } else {
        assumed.push(
            "conv stride = kernel size / 2 (non-standard kernels; strides are not stored)"
                .to_owned(),
        );
        kernels_and_dims.iter().map(|s| (s[2] / 2).max(1)).collect()
    };
    let descs: Vec<LayerDesc> = kernels_and_dims
        .iter()
        .zip(strides)
        .map(|(s, stride)| (s[0], s[2], stride))
        .collect();
    let heads = if model_dim.is_multiple_of(16) { 16 } else { 1 };
    assumed.push(format!(
        "{heads} attention heads (head count is not stored; every omniASR release has 16)"
    ));
    let mut arch = ArchConfig {
        model_dim,
        feature_dim,
        feature_extractor_layer_descs: descs,
        pos_conv_kernel_size: weight_v[2],
        num_pos_conv_groups: model_dim / weight_v[1].max(1),
        num_encoder_layers: count("encoder.layers", "ffn.inner_proj.weight"),
        num_encoder_attn_heads: heads,
        ffn_inner_dim: inner[0],
        target_vocab_size: final_proj[0],
        first_pass_dropout_p: 0.0,
        ffn_inner_dropout_p: 0.1,
        layer_drop_p: 0.1,
    };
    // Dropout is not stored either: take the released values of the preset with these dims.
    let preset = ArchConfig::preset_names()
        .iter()
        .filter_map(|name| ArchConfig::preset(name).ok())
        .find(|p| p.model_dim == model_dim && p.num_encoder_layers == arch.num_encoder_layers);
    arch.first_pass_dropout_p = preset.map_or(0.0, |p| p.first_pass_dropout_p);
    assumed.push(format!(
        "dropout as released: ffn_inner 0.1, LayerDrop 0.1, first pass {}",
        arch.first_pass_dropout_p
    ));
    arch.validate()?;
    Ok((arch, assumed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn released_300m_has_423_tensors_and_its_param_count() {
        let arch = ArchConfig::preset("300m").unwrap();
        let tensors = expected_tensors(&arch);
        assert_eq!(tensors.len(), 423);
        let params: usize = tensors
            .iter()
            .map(|(_, s)| s.iter().product::<usize>())
            .sum();
        assert_eq!(params as u64, arch.param_count());
        assert_eq!(
            expected_tensors(&ArchConfig::preset("1b").unwrap()).len(),
            807
        );
    }

    #[test]
    fn renames_layer_norm_and_transposes_linear() {
        let path = |s: &str| s.split('.').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            fairseq2_key(&path("encoder.layer_norm.gamma"), "Struct:LayerNorm"),
            ("encoder.layer_norm.weight".to_owned(), Transform::Identity)
        );
        assert_eq!(
            fairseq2_key(&path("final_proj.weight"), "Struct:Linear"),
            ("final_proj.weight".to_owned(), Transform::Transpose)
        );
        assert_eq!(
            fairseq2_key(
                &path("encoder_frontend.pos_encoder.conv.weight_g"),
                "Struct:WeightNormConv1d"
            )
            .1,
            Transform::Identity
        );
    }

    #[test]
    fn infers_every_preset_from_its_shapes() {
        for name in ["300m", "1b_v2", "7b"] {
            let arch = ArchConfig::preset(name).unwrap();
            let shapes = expected_tensors(&arch).into_iter().collect();
            let (inferred, assumed) = infer_arch(&shapes).unwrap();
            assert_eq!(inferred, arch, "{name}");
            assert!(assumed.iter().any(|a| a.contains("heads")));
        }
    }
}
