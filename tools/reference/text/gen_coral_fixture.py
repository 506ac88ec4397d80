#!/usr/bin/env python3
"""Run CoRal's real `process_example` and `convert_numeral_to_words` on our test inputs.

    git --git-dir=<coral mirror> archive HEAD src/coral | tar -x -C /tmp/coral-src
    /work/venvs/ref/bin/python tools/reference/text/gen_coral_fixture.py \
        /tmp/coral-src/src text/tests/fixtures/coral_normalize.jsonl.gz

CoRal's modules import heavy third-party packages (datasets, transformers, torch,
torch_audiomentations, ...) that the *text* path of `process_example` never touches; we
register empty stand-ins for them so the unmodified CoRal source imports in a plain venv.
Nothing of CoRal's text code is replaced. Only the outputs are committed.
"""

import importlib.util
import json
import logging
import random
import sys
import types
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).parent))
from fixture_io import open_gz_text  # noqa: E402
from danish_sentences import sentences  # noqa: E402

STUBBED = [
    "datasets", "datasets.utils", "datasets.utils.logging", "transformers",
    "transformers.utils", "transformers.utils.logging", "transformers.trainer",
    "huggingface_hub", "tqdm", "tqdm.auto", "httpx", "torch", "torch_audiomentations",
    "omegaconf",
]


def load_coral(src: Path):
    for name in STUBBED:
        sys.modules[name] = mock.MagicMock(name=name)
    package = types.ModuleType("coral")
    package.__path__ = [str(src / "coral")]
    sys.modules["coral"] = package  # skip coral/__init__.py (needs installed metadata)
    modules = {}
    for name in ["types", "utils", "data"]:
        spec = importlib.util.spec_from_file_location(f"coral.{name}", src / "coral" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[f"coral.{name}"] = module
        spec.loader.exec_module(module)
        modules[name] = module
    return modules["data"], modules["utils"]


def main() -> None:
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    data, utils = load_coral(src)
    logging.disable(logging.WARNING)  # ">999,999,999" warnings
    keep = "abcdefghijklmnopqrstuvwxyzæøå0123456789éü"  # config/evaluation.yaml

    def normalise(text: str) -> str:
        return data.process_example(
            example={"text": text},
            characters_to_keep=keep,
            conversion_dict=data.DEFAULT_CONVERSION_DICT,
            text_column="text",
            audio_column=None,
            lower_case=True,
            convert_numerals=True,
            processor=None,
            normalise_audio=False,
            augment_audio=False,
        )["text"]

    rng = random.Random(7)
    numerals = [str(n) for n in range(0, 2101)]
    numerals += [str(rng.randrange(10 ** rng.randint(1, 10))) for _ in range(1500)]
    numerals += [f"{rng.randrange(1, 10**9):,}".replace(",", ".") for _ in range(500)]
    numerals += [f"{rng.randrange(10**6)},{rng.randrange(10**3)}" for _ in range(300)]
    numerals += ["1.000000", "1.0.00000", "00", "05", "1٣", "1٣٣", "1٠٠٠", "12,", ",5"]

    with open_gz_text(out) as f:
        for text in sentences():
            f.write(json.dumps({"kind": "sentence", "input": text, "expected": normalise(text)}, ensure_ascii=False) + "\n")
        for numeral in numerals:
            expected = utils.convert_numeral_to_words(numeral=numeral)
            f.write(json.dumps({"kind": "numeral", "input": numeral, "expected": expected}, ensure_ascii=False) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
