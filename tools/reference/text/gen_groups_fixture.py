#!/usr/bin/env python3
"""Run CoRal's real `convert_evaluation_dataset_to_df` + `get_score_df` (with its
`metrics.wer/cer`, i.e. pooled MER) on synthetic utterances with speaker metadata.

    git --git-dir=<coral mirror> archive HEAD src/coral | tar -x -C /tmp/coral-src
    /work/venvs/ref/bin/python tools/reference/text/gen_groups_fixture.py \
        /tmp/coral-src/src text/tests/fixtures/coral_groups.jsonl.gz

Imports of packages the scoring path never uses (torch, transformers, datasets, ...)
are replaced by empty stand-ins, as in gen_coral_fixture.py. Ages are integers other
than 25, because CoRal's age groups (0,25), (26,50), (50,None) leave 25 in no group and
raise; for every other integer they partition like our [0,25), [25,50), [50,inf).
"""

import importlib.util
import math
import random
import sys
import types
from pathlib import Path
from unittest import mock

import json
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from fixture_io import open_gz_text  # noqa: E402
from gen_jiwer_fixture import DANISH_VOCAB, perturb  # noqa: E402

STUBBED = [
    "torch", "datasets", "datasets.utils", "datasets.utils.logging", "dotenv", "omegaconf",
    "tqdm", "tqdm.auto", "transformers", "transformers.utils", "transformers.utils.logging",
    "transformers.trainer", "transformers.pipelines", "transformers.pipelines.pt_utils",
    "transformers.pipelines.automatic_speech_recognition", "huggingface_hub", "httpx",
    "torch_audiomentations",
]


def load_evaluate(src: Path):
    for name in STUBBED:
        sys.modules[name] = mock.MagicMock(name=name)
    package = types.ModuleType("coral")
    package.__path__ = [str(src / "coral")]
    sys.modules["coral"] = package
    module = None
    for name in ["types", "utils", "data", "metrics", "evaluate"]:
        spec = importlib.util.spec_from_file_location(f"coral.{name}", src / "coral" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[f"coral.{name}"] = module
        spec.loader.exec_module(module)
    return module


def main() -> None:
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    evaluate = load_evaluate(src)
    import yaml  # noqa: F401  (only to fail early if missing; mapping is read below)

    mapping = yaml.safe_load((src.parent / "config" / "evaluation.yaml").read_text())["sub_dialect_to_dialect"] \
        if (src.parent / "config" / "evaluation.yaml").exists() else None
    assert mapping, "pass the archive root's src/ so that ../config/evaluation.yaml exists"

    rng = random.Random(99)
    sub_dialects = list(mapping)
    speakers = []
    for i in range(40):
        age = rng.choice([a for a in range(16, 85) if a != 25])
        country = rng.choice([None] * 6 + ["DK", "SE", "DE"])
        speakers.append((f"spk{i}", rng.choice(sub_dialects), country, age, rng.choice(["female", "male"])))
    rows = []
    for _ in range(800):
        speaker, dialect, country, age, gender = rng.choice(speakers)
        ref = " ".join(rng.choice(DANISH_VOCAB) for _ in range(rng.randint(1, 14)))
        hyp = " ".join(perturb(rng, ref.split(), DANISH_VOCAB, rng.choice([0.0, 0.1, 0.3, 0.7])))
        rows.append({"text": ref, "prediction": hyp, "id_speaker": speaker, "dialect": dialect,
                     "country_birth": country, "age": age, "gender": gender})

    frame = pd.DataFrame(rows)
    dataset = types.SimpleNamespace(to_pandas=lambda: frame.copy())
    df = evaluate.convert_evaluation_dataset_to_df(dataset, mapping)
    scores = evaluate.get_score_df(df, categories=["age_group", "gender", "dialect"])

    with open_gz_text(out) as f:
        for row in rows:
            f.write(json.dumps({"utterance": row}, ensure_ascii=False) + "\n")
        for record in scores.to_dict(orient="records"):
            clean = {k: (None if isinstance(v, float) and math.isnan(v) and k not in ("cer", "wer") else v)
                     for k, v in record.items()}
            f.write(json.dumps({"group": clean}, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} utterances and {len(scores)} groups to {out}")


if __name__ == "__main__":
    main()
