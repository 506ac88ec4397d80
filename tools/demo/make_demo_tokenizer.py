"""Train the demo's SentencePiece *char* tokenizer (the omniASR tokenizer layout, small).

    /work/venvs/ref/bin/python tools/demo/make_demo_tokenizer.py [--out demo/tokenizer/demo_char.model]

omniASR's tokenizers are SentencePiece char models with `<s>`=0 (the CTC blank), `<pad>`=1,
`</s>`=2, `<unk>`=3; this one has the same layout but only the Danish letters and the word
boundary, so the demo model's head is 34 wide instead of 9,812. Its training text is the demo
sentences lower-cased with everything but letters dropped, plus the alphabet, so every
letter CoRal-normalised Danish can contain has a piece. Deterministic.
"""

import argparse
import io
import re
from pathlib import Path

import sentencepiece as spm

ROOT = Path(__file__).resolve().parents[2]
ALPHABET = "abcdefghijklmnopqrstuvwxyzæøå"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "demo/tokenizer/demo_char.model")
    args = parser.parse_args()
    sentences = (Path(__file__).parent / "sentences_da.txt").read_text(encoding="utf-8").splitlines()
    text = [re.sub(r"[^a-zæøå ]+", " ", s.lower()).strip() for s in sentences]
    text += [" ".join(ALPHABET)] * 10
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(text), model_writer=model, model_type="char",
        hard_vocab_limit=False, vocab_size=200, character_coverage=1.0,
        bos_id=0, pad_id=1, eos_id=2, unk_id=3,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(model.getvalue())
    sp = spm.SentencePieceProcessor(model_proto=model.getvalue())
    print(f"{args.out}: {sp.get_piece_size()} pieces")


if __name__ == "__main__":
    main()
