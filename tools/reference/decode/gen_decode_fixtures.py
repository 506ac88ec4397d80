"""Reference fixtures for dialekt_text::decode (text/tests/fixtures/decode/): pyctcdecode
0.5.0 + kenlm 0.3.0 (PyPI) decoding synthetic CTC logit matrices over the omniASR-style
tokenizer fixture (text/tests/fixtures/spm_omni.model, 51 pieces).

- logits.i8.gz: every matrix's logits as int8, logit = value / 8 (exact in float32 and
  float64, so both sides decode the same numbers), matrices concatenated row-major;
- cases.jsonl.gz: a header line (pyctcdecode labels, LMs, configs, unigram list), then
  one line per matrix (frames, offset, kind);
- expected.jsonl.gz: per config and matrix, pyctcdecode's top beams (text, logit_score,
  lm_score) and how many beams it returned.

The matrices: CTC paths of held-out sentences of the LM text's language (corpus.py),
some with out-of-vocabulary words, at four peak heights over Gaussian noise, with
confusable second peaks (similar letters, word boundary, blank) and flat frames mixed in
so beams compete and the LM has something to decide; plus pure noise matrices of 0 to 40
frames. The quantised logits tie often, which exercises pyctcdecode's orderings.

LMs: lmplz_o3 (KenLM lmplz, text/tests/fixtures/lm/lmplz_o3.arpa.gz) and ours_o4 (our
estimator's 4-gram of the first 2500 lines of the LM text, made by the lm_build example;
the test re-estimates it and checks the ARPA's SHA-256).

pyctcdecode's search is run through `BeamSearchDecoderCTC._decode_logits` on the
log-probabilities our decoder computes (float64 log-softmax with the sum in token order,
clipped as decode_beams clips), because NumPy's vectorised log_softmax differs from any
scalar one in the last bits; the public `decode_beams` on the logits is run too and its
agreement printed.

  cargo build --release -p dialekt-text --example lm_build
  LM_BUILD=target/release/examples/lm_build \\
    /work/venvs/lm/bin/python tools/reference/decode/gen_decode_fixtures.py
(the venv: pyctcdecode==0.5.0 kenlm==0.3.0 numpy sentencepiece)
"""

import gzip
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import sentencepiece
from pyctcdecode import build_ctcdecoder
from pyctcdecode.language_model import HotwordScorer

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "lm"))
sys.path.insert(0, str(HERE.parent / "text"))
import corpus  # noqa: E402
from fixture_io import open_gz_text  # noqa: E402

ROOT = HERE.parents[2]
FIXTURES = ROOT / "text" / "tests" / "fixtures"
OUT = FIXTURES / "decode"
SCALE = 8  # logit = int8 / SCALE
LOG_MIN = math.log(1e-15)
SENTENCE_SEED = 555

# name -> LM (or None), parameters, and which cases (all, or every k-th).
CONFIGS = {
    "no_lm": dict(lm=None, beam_width=10, beam_prune_logp=-10.0, token_min_logp=-5.0,
                  prune_history=False, every=1),
    "no_lm_pruned": dict(lm=None, beam_width=6, beam_prune_logp=-4.0, token_min_logp=-3.0,
                         prune_history=True, every=4),
    "lmplz": dict(lm="lmplz_o3", alpha=0.5, beta=1.5, unk_score_offset=-10.0,
                  score_boundary=True, unigrams=None, beam_width=16, beam_prune_logp=-10.0,
                  token_min_logp=-5.0, prune_history=False, every=1),
    "ours": dict(lm="ours_o4", alpha=0.8, beta=0.3, unk_score_offset=-6.0,
                 score_boundary=True, unigrams=None, beam_width=10, beam_prune_logp=-8.0,
                 token_min_logp=-4.0, prune_history=True, every=1),
    "lmplz_beam100": dict(lm="lmplz_o3", alpha=0.5, beta=1.5, unk_score_offset=-10.0,
                          score_boundary=True, unigrams=None, beam_width=100,
                          beam_prune_logp=-10.0, token_min_logp=-5.0, prune_history=False,
                          every=13),
    "lmplz_unigrams": dict(lm="lmplz_o3", alpha=1.2, beta=-0.5, unk_score_offset=-10.0,
                           score_boundary=False, unigrams="top1000", beam_width=12,
                           beam_prune_logp=-12.0, token_min_logp=-8.0, prune_history=False,
                           every=4),
}


def pyctcdecode_labels(sp: sentencepiece.SentencePieceProcessor) -> list[str]:
    """The mapping of dialekt_text::decode::Vocabulary::pyctcdecode_labels: "" for the
    blank (id 0), distinct spellings of <pad> for the other control pieces (pyctcdecode
    turns them into blanks after its duplicate check), <unk> for the unknown piece,
    pieces as they are otherwise."""
    pads = ["<pad>", "<Pad>", "<pAd>", "<PAd>", "<paD>", "<PaD>", "<pAD>", "<PAD>"]
    labels, pad = [], 0
    for i in range(sp.get_piece_size()):
        if i == 0:
            labels.append("")
        elif sp.is_control(i):
            labels.append(pads[pad])
            pad += 1
        elif sp.is_unknown(i):
            labels.append("<unk>")
        else:
            labels.append(sp.id_to_piece(i))
    return labels


def ctc_path(rng, ids: list[int]) -> list[int]:
    path = [0] * int(rng.integers(0, 3))
    for k, token in enumerate(ids):
        if k > 0 and (ids[k - 1] == token or rng.random() < 0.4):
            path += [0] * int(rng.integers(1, 3))
        path += [token] * int(rng.integers(1, 3))
    return path + [0] * int(rng.integers(0, 3))


def matrix_for(rng, path: list[int], vocab: int, sharpness: float, noise: float,
               rivals: float, confusable: list[int], unlikely: list[int]) -> np.ndarray:
    """Noise, a peak on the path's token, sometimes a rival peak (a similar letter, the
    word boundary or the blank), sometimes no peak at all; the pieces a lower-case
    Danish model rarely emits (upper case, punctuation, <pad>, </s>) pushed down."""
    logits = rng.normal(0.0, noise, (len(path), vocab))
    logits[:, unlikely] -= 3.0
    for frame, token in enumerate(path):
        roll = rng.random()
        if roll < 0.03:
            continue
        logits[frame, token] += sharpness
        if roll < 0.03 + rivals:
            rival = int(rng.choice(confusable))
            logits[frame, rival] += sharpness * rng.uniform(0.5, 1.0)
    return logits


def quantize(logits: np.ndarray) -> np.ndarray:
    return np.clip(np.round(logits * SCALE), -127, 127).astype(np.int8)


def make_cases(sp, vocab: int):
    rng = np.random.default_rng(2024)
    sentences = corpus.make_sentences(SENTENCE_SEED, 9000)
    letters = [sp.piece_to_id(c) for c in "abcdefghijklmnopqrstuvwxyzæøå"]
    boundary = sp.piece_to_id("\u2581")
    confusable = letters + [boundary, boundary, 0, 0]
    unlikely = [i for i in range(1, vocab) if i not in letters and i != boundary]
    cases = []
    at = 0
    while len(cases) < 460:
        words = sentences[at].split()[:6]
        at += 1
        kind = "sentence"
        if rng.random() < 0.2:
            words.insert(int(rng.integers(0, len(words) + 1)),
                         "".join(rng.choice(list("bdfgklmnprstvaeiouyæøå"), int(rng.integers(3, 9)))))
            kind = "oov"
        ids = sp.encode(" ".join(words))
        sharpness = float(rng.choice([2.0, 3.5, 5.0, 8.0]))
        noise = float(rng.choice([0.5, 1.0, 1.5]))
        rivals = float(rng.choice([0.05, 0.15, 0.3]))
        path = ctc_path(rng, ids)
        matrix = matrix_for(rng, path, vocab, sharpness, noise, rivals, confusable, unlikely)
        cases.append((f"{kind} s={sharpness} n={noise} r={rivals}", quantize(matrix)))
    for length in [0, 1, 2, 3] + [int(x) for x in rng.integers(4, 40, 56)]:
        sharp = rng.random() < 0.5
        logits = rng.normal(0.0, 1.0, (length, vocab)) * (3.0 if sharp else 0.7)
        cases.append(("noise sharp" if sharp else "noise flat", quantize(logits)))
    return cases


def log_probs(matrix: np.ndarray) -> np.ndarray:
    """dialekt's log-softmax: float64, the sum in token order, clipped like decode_beams."""
    out = np.empty(matrix.shape, dtype=np.float64)
    for f, row in enumerate(matrix.tolist()):
        top = max(row)
        total = 0.0
        for value in row:
            total += math.exp(value - top)
        log_sum = math.log(total)
        out[f] = [min(max((value - top) - log_sum, LOG_MIN), 0.0) for value in row]
    return out


def top_unigrams(lines: list[str]) -> list[str]:
    counts = Counter(word for line in lines for word in line.split())
    return [word for word, _ in counts.most_common(1000)] + ["zzqfake", "xqxq"]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    sp = sentencepiece.SentencePieceProcessor(model_file=str(FIXTURES / "spm_omni.model"))
    labels = pyctcdecode_labels(sp)
    vocab = len(labels)
    lm_lines = gzip.open(FIXTURES / "lm" / "corpus.txt.gz", "rt", encoding="utf-8").read().splitlines()
    unigram_lists = {"top1000": top_unigrams(lm_lines)}
    cases = make_cases(sp, vocab)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        arpas = {"lmplz_o3": tmp / "lmplz_o3.arpa", "ours_o4": tmp / "ours_o4.arpa"}
        arpas["lmplz_o3"].write_bytes(gzip.open(FIXTURES / "lm" / "lmplz_o3.arpa.gz").read())
        (tmp / "small.txt").write_text("\n".join(lm_lines[:2500]) + "\n", encoding="utf-8")
        subprocess.run([os.environ["LM_BUILD"], "4", str(tmp / "small.txt"), str(arpas["ours_o4"])],
                       check=True, stdout=subprocess.DEVNULL)
        lms = {name: {"sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
               for name, path in arpas.items()}
        lms["ours_o4"].update(order=4, corpus_lines=2500)

        header = {"labels": labels, "vocab": vocab, "scale": SCALE, "lms": lms,
                  "configs": CONFIGS, "unigram_lists": unigram_lists}
        offset = 0
        with open_gz_text(OUT / "cases.jsonl.gz") as out:
            out.write(json.dumps(header, ensure_ascii=False) + "\n")
            for index, (kind, matrix) in enumerate(cases):
                out.write(json.dumps({"case": index, "frames": len(matrix), "offset": offset,
                                      "kind": kind}) + "\n")
                offset += matrix.size
        with gzip.GzipFile(filename=str(OUT / "logits.i8.gz"), mode="wb", compresslevel=9,
                           mtime=0) as out:
            for _, matrix in cases:
                out.write(matrix.tobytes())

        inputs = [(matrix.astype(np.float64) / SCALE) for _, matrix in cases]
        probs = [log_probs(x) for x in inputs]
        hotwords = HotwordScorer.build_scorer(None)
        with open_gz_text(OUT / "expected.jsonl.gz") as out:
            for name, config in CONFIGS.items():
                lm = config["lm"]
                unigrams = unigram_lists.get(config.get("unigrams") or "")
                decoder = build_ctcdecoder(
                    labels, kenlm_model_path=str(arpas[lm]) if lm else None, unigrams=unigrams,
                    alpha=config.get("alpha", 0.5), beta=config.get("beta", 1.5),
                    unk_score_offset=config.get("unk_score_offset", -10.0),
                    lm_score_boundary=config.get("score_boundary", True))
                normalized = decoder._alphabet.labels
                assert normalized[0] == "" and normalized[1] == "" and normalized[2] == "", normalized[:4]
                assert normalized[3] == "\u2581\u2047\u2581", normalized[3]
                params = dict(beam_width=config["beam_width"],
                              beam_prune_logp=config["beam_prune_logp"],
                              token_min_logp=config["token_min_logp"],
                              prune_history=config["prune_history"])
                agree = compared = 0
                for index in range(0, len(cases), config["every"]):
                    beams = decoder._decode_logits(probs[index], hotword_scorer=hotwords,
                                                   lm_start_state=None, **params)
                    record = {"config": name, "case": index, "count": len(beams),
                              "beams": [[text, logit, score]
                                        for text, _, _, logit, score in beams[:5]]}
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                    if len(inputs[index]):
                        public = decoder.decode_beams(inputs[index], **params)
                        compared += 1
                        agree += [b[0] for b in public[:5]] == [b[0] for b in beams[:5]]
                print(f"{name}: decode_beams on the logits agrees on the top-5 texts in "
                      f"{agree}/{compared} cases", file=sys.stderr)
    for path in sorted(OUT.iterdir()):
        print(f"{path.name}: {path.stat().st_size} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
