#!/usr/bin/env python3
"""Train small SentencePiece *char* models on Danish text and record how the Python
`sentencepiece` package encodes and decodes with them.

    .venv-ref/bin/python tools/reference/text/gen_spm_fixture.py text/tests/fixtures

Writes `spm_omni.model` (omniASR layout: <s>=0 <pad>=1 </s>=2 <unk>=3, default nmt_nfkc
normaliser, characters below the coverage threshold left unknown), `spm_bytes.model`
(identity normaliser, byte fallback, no dummy prefix, a user-defined symbol) and
`spm_cases.jsonl.gz`: for >= 1,000 sentences (with characters outside the vocabulary)
the ids `encode` gives and the text `decode` gives back, plus random id sequences with
their `decode_ids` text. Where fairseq2 is importable, its SentencePiece decoder is
checked to agree with `decode_ids` (it runs the same C++ `Decode`).
"""

import io
import json
import random
import sys
from pathlib import Path

import sentencepiece as spm

sys.path.insert(0, str(Path(__file__).parent))
from fixture_io import open_gz_text  # noqa: E402
from danish_sentences import FRAGMENTS, sentences  # noqa: E402

WORDS = (
    "jeg du han hun vi de det den og i på til med er var har ikke som en et af for at så "
    "der her hvad hvor når kan skal vil må gerne meget lidt stor lille god æble øl år "
    "københavn århus fynsk jysk sønderjysk bornholm dialekt tale tog bus hus kage kaffe "
    "brød smør mælk ost vand mad børn skole arbejde uge dag nat Ærø Øresund Åbenrå"
).split()
RARE = list("ñçğşıßẞœ") + ["ΑΒΓ", "日本", "😀", "€", "£", "½", "ﬁ", "Ａ", "\u0301", "\u200b", "\t"]


def corpus(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(1, 15))]
        text = " ".join(words)
        if rng.random() < 0.3:
            text = text.capitalize() + rng.choice([".", "?", "!", ","])
        if rng.random() < 0.2:
            text = text.replace(" ", rng.choice(["  ", " - ", ", "]), 1)
        out.append(text)
    return out


def train(path: Path, text: list[str], **options) -> spm.SentencePieceProcessor:
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(text), model_writer=model, model_type="char",
        hard_vocab_limit=False, **options,
    )
    path.write_bytes(model.getvalue())
    return spm.SentencePieceProcessor(model_proto=model.getvalue())


def fairseq2_decoder(path: Path):
    try:
        from fairseq2.data.tokenizers.sentencepiece import SentencePieceDecoder, SentencePieceModel
        import torch
    except Exception as error:  # pragma: no cover - optional cross-check
        print(f"fairseq2 cross-check skipped: {error}")
        return None
    model = SentencePieceModel(path)
    decoder = SentencePieceDecoder(model)
    return lambda ids: str(decoder(torch.tensor(ids, dtype=torch.int64)))


def main() -> None:
    out = Path(sys.argv[1])
    rng = random.Random(2026)
    train_text = corpus(rng, 3000)
    omni = train(out / "spm_omni.model", train_text, character_coverage=0.999, vocab_size=80,
                 bos_id=0, pad_id=1, eos_id=2, unk_id=3)
    byte = train(out / "spm_bytes.model", train_text, character_coverage=0.9995, vocab_size=400,
                 normalization_rule_name="identity", byte_fallback=True,
                 add_dummy_prefix=False, user_defined_symbols=["<latter>"])

    tests = sentences() + FRAGMENTS + corpus(rng, 600)
    for _ in range(200):
        words = [rng.choice(WORDS + RARE) for _ in range(rng.randint(0, 10))]
        tests.append(rng.choice([" ", "  ", ""]).join(words) + rng.choice(["", " ", "<latter>"]))
    tests += ["", " ", "  a  b  ", "<latter> ja <latter>", "x" * 5, "ÆØÅ æøå", "ＡＢＣ ﬁn ½"]

    checks = {"omni": fairseq2_decoder(out / "spm_omni.model")}
    with open_gz_text(out / "spm_cases.jsonl.gz") as f:
        for name, sp in [("omni", omni), ("bytes", byte)]:
            for text in tests:
                ids = sp.encode(text)
                record = {"model": name, "text": text, "ids": ids, "decoded": sp.decode(ids)}
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
            vocab = sp.get_piece_size()
            for _ in range(300):
                ids = [rng.randrange(vocab) for _ in range(rng.randint(0, 20))]
                decoded = sp.decode_ids(ids)
                if checks.get(name) is not None:
                    assert checks[name](ids) == decoded, (ids, checks[name](ids), decoded)
                f.write(json.dumps({"model": name, "decode_only": ids, "decoded": decoded}, ensure_ascii=False) + "\n")
            pieces = [[sp.id_to_piece(i), sp.get_score(i), int(sp.is_control(i)), int(sp.is_unknown(i))] for i in range(sp.get_piece_size())]
            f.write(json.dumps({"model": name, "pieces": pieces}, ensure_ascii=False) + "\n")
    print(f"wrote {len(tests)} sentences x 2 models to {out}")


if __name__ == "__main__":
    main()
