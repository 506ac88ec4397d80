"""Decode bench/decode inputs with pyctcdecode 0.5.0 (kenlm 0.3.0), timed like
decode_bench: decoder and LM built, logits read, before the clock starts; the public
decode_beams on the float32 logits, top beam (prune_history off, as transformers calls it).

    python pyctc_decode.py TOKENIZER.model INPUT_DIR OUT.txt [LM.arpa] [BEAM] [ALPHA] [BETA]
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
import sentencepiece
from pyctcdecode import build_ctcdecoder

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools/reference/decode"))
from gen_decode_fixtures import pyctcdecode_labels  # noqa: E402


def main() -> None:
    tokenizer, input_dir, out = sys.argv[1:4]
    arpa = sys.argv[4] if len(sys.argv) > 4 else None
    beam = int(sys.argv[5]) if len(sys.argv) > 5 else 100
    alpha = float(sys.argv[6]) if len(sys.argv) > 6 else 0.5
    beta = float(sys.argv[7]) if len(sys.argv) > 7 else 1.5
    labels = pyctcdecode_labels(sentencepiece.SentencePieceProcessor(model_file=tokenizer))
    decoder = build_ctcdecoder(labels, kenlm_model_path=arpa, alpha=alpha, beta=beta)
    counts = [int(line) for line in Path(input_dir, "frames.txt").read_text().split()]
    vocab, frames = counts[0], counts[1:]
    values = np.fromfile(Path(input_dir, "logits.f32"), dtype="<f4")
    matrices, offset = [], 0
    for count in frames:
        matrices.append(values[offset:offset + count * vocab].reshape(count, vocab))
        offset += count * vocab
    start = time.perf_counter()
    texts = [decoder.decode_beams(matrix, beam_width=beam)[0][0] for matrix in matrices]
    seconds = time.perf_counter() - start
    Path(out).write_text("".join(text + "\n" for text in texts), encoding="utf-8")
    print(json.dumps({"seconds": seconds, "frames": sum(frames)}))


if __name__ == "__main__":
    main()
