"""Expected length buckets, computed by fairseq2 itself.

Writes data/tests/fixtures/bucket_sizes.json with the output of
`fairseq2.data.data_pipeline.create_bucket_sizes` for the configurations dialekt
uses, called exactly as omniASR's `add_length_batching` calls it (rounding
`max_num_elements` down to a multiple of `max_audio_len`, `num_seqs_multiple_of=8`).

Run with the reference venv (fairseq2 0.6):
    /work/venvs/ref/bin/python tools/reference/data/bucket_sizes.py
"""

import json
from pathlib import Path

import fairseq2
from fairseq2.data.data_pipeline import create_bucket_sizes

CONFIGS = {
    # omniASR ctc-finetune.yaml, the seed experiment's upstream recipe.
    "upstream": dict(max_num_elements=960_000, max_audio_len=960_000, min_audio_len=32_000),
    # dialekt's adapted single-GPU config: 4x the elements, 30 s cap.
    "adapted": dict(max_num_elements=3_840_000, max_audio_len=480_000, min_audio_len=32_000),
}

OUT = Path(__file__).resolve().parents[3] / "data/tests/fixtures/bucket_sizes.json"


def main() -> None:
    result = {"fairseq2_version": fairseq2.__version__, "num_seqs_multiple_of": 8, "configs": {}}
    for name, cfg in CONFIGS.items():
        max_num_elements = cfg["max_num_elements"]
        if max_num_elements % cfg["max_audio_len"] != 0:
            max_num_elements = (max_num_elements // cfg["max_audio_len"]) * cfg["max_audio_len"]
        buckets = create_bucket_sizes(
            min_seq_len=cfg["min_audio_len"],
            max_seq_len=cfg["max_audio_len"],
            max_num_elements=max_num_elements,
            num_seqs_multiple_of=8,
        )
        result["configs"][name] = {**cfg, "buckets": [list(b) for b in buckets]}
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
