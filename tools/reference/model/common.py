"""Shared helpers for dialekt's model reference scripts (run with the fairseq2 0.6 venv).

Everything here goes through fairseq2's own public API (config registry, model factory, model
hub loader), so the fixtures are what fairseq2 itself computes, not a re-implementation.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch

from fairseq2 import init_fairseq2
from fairseq2.models.wav2vec2.asr import (
    Wav2Vec2AsrConfig,
    create_wav2vec2_asr_model,
    get_wav2vec2_asr_model_hub,
)
from fairseq2.nn import BatchLayout
from fairseq2.runtime.config_registry import get_config
from fairseq2.runtime.dependency import get_dependency_resolver

_INITIALISED = False


def init() -> None:
    global _INITIALISED
    if not _INITIALISED:
        init_fairseq2()
        _INITIALISED = True


def arch_config(name: str) -> Wav2Vec2AsrConfig:
    """The omniASR arch (`300m`, `1b`, ..., registered by omnilingual-asr's extension)."""
    init()
    return get_config(get_dependency_resolver(), Wav2Vec2AsrConfig, name)


def tiny_config() -> Wav2Vec2AsrConfig:
    """omniASR's 300m arch with tiny dimensions; every structural switch stays as released."""
    cfg = arch_config("300m")
    enc = cfg.encoder_config
    enc.model_dim = 32
    enc.feature_dim = 16
    enc.feature_extractor_layer_descs = [(16, 10, 5)] + [(16, 3, 2)] * 4 + [(16, 2, 2)] * 2
    enc.pos_conv_kernel_size = 16
    enc.num_pos_conv_groups = 4
    enc.num_encoder_layers = 2
    enc.num_encoder_attn_heads = 4
    enc.ffn_inner_dim = 64
    cfg.target_vocab_size = 12
    return cfg


def config_json(cfg: Wav2Vec2AsrConfig) -> dict:
    """The dimensions in fairseq2's field names (what `trainer --arch file.json` reads)."""
    enc = cfg.encoder_config
    return {
        "model_dim": enc.model_dim,
        "feature_dim": enc.feature_dim,
        "feature_extractor_layer_descs": [list(d) for d in enc.feature_extractor_layer_descs],
        "pos_conv_kernel_size": enc.pos_conv_kernel_size,
        "num_pos_conv_groups": enc.num_pos_conv_groups,
        "num_encoder_layers": enc.num_encoder_layers,
        "num_encoder_attn_heads": enc.num_encoder_attn_heads,
        "ffn_inner_dim": enc.ffn_inner_dim,
        "target_vocab_size": cfg.target_vocab_size,
    }


def config_from_json(dims: dict) -> Wav2Vec2AsrConfig:
    """The inverse of `config_json`: omniASR's 300m arch with these dimensions."""
    cfg = arch_config("300m")
    enc = cfg.encoder_config
    for key, value in dims.items():
        if key == "target_vocab_size":
            cfg.target_vocab_size = value
        elif key == "feature_extractor_layer_descs":
            enc.feature_extractor_layer_descs = [tuple(d) for d in value]
        else:
            setattr(enc, key, value)
    return cfg


def create(cfg: Wav2Vec2AsrConfig) -> torch.nn.Module:
    init()
    return create_wav2vec2_asr_model(cfg)


def load(path: Path, cfg: Wav2Vec2AsrConfig) -> torch.nn.Module:
    """Loads a checkpoint the way omnilingual-asr does (fairseq2's hub loader + key conversion)."""
    init()
    hub = get_wav2vec2_asr_model_hub()
    return hub.load_custom_model(path, cfg, device=torch.device("cpu"), dtype=torch.float32, progress=False)


@torch.no_grad()
def randomise(model: torch.nn.Module, seed: int) -> None:
    """Overwrites every tensor with seeded random values at realistic scales.

    Init values (ones, zeros, identical weight_g) would hide transposes and mix-ups, so nothing
    keeps its init value.
    """
    gen = torch.Generator().manual_seed(seed)
    for name, p in model.named_parameters():
        noise = torch.randn(p.shape, generator=gen, dtype=torch.float32)
        if name.endswith("weight_g"):
            p.copy_(0.5 + noise.abs())
        elif "layer_norm" in name and name.endswith("weight"):
            p.copy_(1.0 + 0.2 * noise)
        elif name.endswith("bias"):
            p.copy_(0.1 * noise)
        else:
            fan_in = math.prod(p.shape[1:]) if p.dim() > 1 else p.shape[0]
            p.copy_(noise / math.sqrt(fan_in))


def normalise(wav: torch.Tensor) -> torch.Tensor:
    """omniASR's per-utterance waveform normalisation (layer_norm over all samples)."""
    return torch.nn.functional.layer_norm(wav, wav.shape)


def batch(lengths: list[int], seed: int) -> tuple[torch.Tensor, list[torch.Tensor]]:
    gen = torch.Generator().manual_seed(seed)
    wavs = [normalise(torch.randn(n, generator=gen)) for n in lengths]
    seqs = torch.zeros(len(wavs), max(lengths))
    for i, w in enumerate(wavs):
        seqs[i, : len(w)] = w
    return seqs, wavs


def pad(wavs: list[torch.Tensor]) -> tuple[torch.Tensor, list[int]]:
    """A zero-padded `[N, max length]` batch of waveforms and their lengths."""
    lengths = [len(w) for w in wavs]
    seqs = torch.zeros(len(wavs), max(lengths))
    for i, w in enumerate(wavs):
        seqs[i, : len(w)] = w
    return seqs, lengths


def forward(model, seqs: torch.Tensor, lengths: list[int], targets: list[list[int]] | None):
    """Logits (and the sum CTC loss when targets are given), fairseq2's own forward."""
    layout = BatchLayout.of(seqs, lengths)
    if targets is None:
        logits, out_layout = model(seqs, layout)
        return None, logits, out_layout
    tgt = torch.ones(len(targets), max(len(t) for t in targets), dtype=torch.int64)  # pad_idx 1
    for i, t in enumerate(targets):
        tgt[i, : len(t)] = torch.tensor(t)
    tgt_layout = BatchLayout.of(tgt, [len(t) for t in targets])
    loss, logits, out_layout = model(seqs, layout, tgt, tgt_layout, return_logits=True)
    return loss, logits, out_layout


def state_dict(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}


def save_released(model: torch.nn.Module, path: Path) -> None:
    """The released omniASR file layout: `{"model": state_dict, "fs2": True}`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": state_dict(model), "fs2": True}, path)


def write_json(path: Path, value: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=None, separators=(",", ":")) + "\n")


def tolist(t: torch.Tensor) -> list:
    return t.detach().to(torch.float32).tolist()
