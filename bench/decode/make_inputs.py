"""Inputs for bench/decode/run.sh, written to DIR:

- corpus.txt: 400k words of the fixtures' synthetic Danish-like language
  (tools/reference/lm/corpus.py);
- lm.arpa: KenLM lmplz's 3-gram of it (LMPLZ=path/to/lmplz);
- logits.f32 + frames.txt: 40 float32 CTC logit matrices of 100-400 frames over the
  omniASR-style tokenizer fixture (held-out sentences, peaks over noise, rival peaks), as
  decode_bench reads them.

    LMPLZ=... python bench/decode/make_inputs.py DIR
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import sentencepiece

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools/reference/lm"))
sys.path.insert(0, str(ROOT / "tools/reference/decode"))
sys.path.insert(0, str(ROOT / "tools/reference/text"))
import corpus  # noqa: E402
import gen_decode_fixtures as fixtures  # noqa: E402

TOKENIZER = ROOT / "text/tests/fixtures/spm_omni.model"


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    text = out / "corpus.txt"
    text.write_text("\n".join(corpus.make_sentences(31, 400_000)) + "\n", encoding="utf-8")
    subprocess.run([os.environ["LMPLZ"], "-o", "3", "-S", "10%", "--text", str(text),
                    "--arpa", str(out / "lm.arpa")], check=True, stderr=subprocess.DEVNULL)

    sp = sentencepiece.SentencePieceProcessor(model_file=str(TOKENIZER))
    vocab = sp.get_piece_size()
    rng = np.random.default_rng(77)
    letters = [sp.piece_to_id(c) for c in "abcdefghijklmnopqrstuvwxyzæøå"]
    boundary = sp.piece_to_id("\u2581")
    confusable = letters + [boundary, boundary, 0, 0]
    unlikely = [i for i in range(1, vocab) if i not in letters and i != boundary]
    matrices = []
    for sentence in corpus.make_sentences(78, 20_000):
        if len(matrices) == 40:
            break
        words = sentence.split()
        if len(words) < 6:
            continue
        path = fixtures.ctc_path(rng, sp.encode(" ".join(words[:14])))
        if not 100 <= len(path) <= 400:
            continue
        sharpness = float(rng.choice([3.0, 5.0, 8.0]))
        matrices.append(fixtures.matrix_for(rng, path, vocab, sharpness, 1.0, 0.15,
                                            confusable, unlikely).astype(np.float32))
    with open(out / "logits.f32", "wb") as f:
        for matrix in matrices:
            f.write(matrix.astype("<f4").tobytes())
    (out / "frames.txt").write_text("\n".join([str(vocab)] + [str(len(m)) for m in matrices]) + "\n")
    print(f"{len(matrices)} matrices, {sum(len(m) for m in matrices)} frames", file=sys.stderr)


if __name__ == "__main__":
    main()
