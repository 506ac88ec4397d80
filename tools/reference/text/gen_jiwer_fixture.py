#!/usr/bin/env python3
"""Generate the jiwer 4.0.0 parity fixture for `dialekt-text`'s scorer.

Run with the reference venv (jiwer==4.0.0, rapidfuzz 3.14.x):

    /work/venvs/ref/bin/python tools/reference/text/gen_jiwer_fixture.py \
        text/tests/fixtures/jiwer_pairs.jsonl.gz

Every line of the output is one random ref/hyp pair with the H/S/D/I counts that
`jiwer.process_words` and `jiwer.process_characters` report for it. The last line holds
corpus-level metrics (`jiwer.wer/mer/wil/wip/cer`) over the whole list and over fixed
chunks, so pooled aggregation is checked too. The pairs are built to stress alignment
ties (tiny vocabularies, repeated words, swapped words), jiwer's whitespace handling
(tabs, runs of spaces, U+001C, U+3000, NBSP, leading/trailing space), empty references
and hypotheses, multi-block bit vectors (> 64 symbols) and rapidfuzz's Hirschberg path
(> 2048 symbols on both sides).
"""

import importlib.metadata
import json
import random
import sys
from pathlib import Path

import jiwer
import rapidfuzz

sys.path.insert(0, str(Path(__file__).parent))
from fixture_io import open_gz_text  # noqa: E402

SEED = 20261124
N_RANDOM = 12_000
CHUNK = 97

TINY_VOCAB = ["a", "b", "c", "d"]
DANISH_VOCAB = (
    "jeg du han hun vi de det den og i på til med er var har ikke som en et af for "
    "at så der her hvad hvor når kan skal vil må gerne meget lidt stor lille god "
    "æble øl år københavn århus fynsk jysk sønderjysk bornholm dialekt tale tog bus "
    "hus kage kaffe the brød smør mælk ost vand mad børn skole arbejde uge dag nat"
).split()
WHITESPACE = [" ", " ", " ", " ", "  ", "   ", "\t", " \t", "\u3000", "\xa0", "\x1c", " \n "]
CHARS = list("abcdeæøå ") + ["é", "\u0301", "ü"]


def join_words(rng: random.Random, words: list[str]) -> str:
    """Join words with mostly single spaces and sometimes odd whitespace."""
    if not words:
        return rng.choice(["", "", " ", "  ", "\t"])
    out = []
    if rng.random() < 0.1:
        out.append(rng.choice(WHITESPACE))
    for i, word in enumerate(words):
        if i:
            out.append(" " if rng.random() < 0.85 else rng.choice(WHITESPACE))
        out.append(word)
    if rng.random() < 0.1:
        out.append(rng.choice(WHITESPACE))
    return "".join(out)


def perturb(rng: random.Random, items: list, vocab: list, rate: float) -> list:
    """Apply random substitutions, deletions, insertions and swaps."""
    out = []
    for item in items:
        r = rng.random()
        if r < rate / 4:
            continue
        if r < rate / 2:
            out.append(rng.choice(vocab))
        elif r < 3 * rate / 4:
            out.append(item)
            out.append(rng.choice(vocab))
        else:
            out.append(item)
    if len(out) > 1 and rng.random() < rate:
        i = rng.randrange(len(out) - 1)
        out[i], out[i + 1] = out[i + 1], out[i]
    return out


def random_pair(rng: random.Random) -> tuple[str, str]:
    kind = rng.random()
    if kind < 0.3:
        vocab = TINY_VOCAB[: rng.randint(1, 4)]
        ref = [rng.choice(vocab) for _ in range(rng.randint(0, 12))]
        hyp = [rng.choice(vocab) for _ in range(rng.randint(0, 12))]
        return join_words(rng, ref), join_words(rng, hyp)
    if kind < 0.7:
        ref = [rng.choice(DANISH_VOCAB) for _ in range(rng.randint(0, 25))]
        hyp = perturb(rng, ref, DANISH_VOCAB, rng.choice([0.0, 0.1, 0.3, 0.6]))
        return join_words(rng, ref), join_words(rng, hyp)
    if kind < 0.9:
        ref = [rng.choice(CHARS) for _ in range(rng.randint(0, 40))]
        hyp = perturb(rng, ref, CHARS, rng.choice([0.1, 0.3, 0.8]))
        return "".join(ref), "".join(hyp)
    # Longer char strings: more than one 64-bit block on the reference side.
    ref = [rng.choice(CHARS[: rng.randint(2, len(CHARS))]) for _ in range(rng.randint(60, 300))]
    hyp = perturb(rng, ref, CHARS, rng.choice([0.05, 0.2, 0.5]))
    return "".join(ref), "".join(hyp)


def hirschberg_pairs(rng: random.Random) -> list[tuple[str, str]]:
    """Pairs long enough that rapidfuzz splits them with Hirschberg's algorithm."""
    pairs = []
    for n, rate, alphabet in [(2200, 0.2, 3), (2600, 0.5, 5), (3000, 0.05, 12), (2300, 0.9, 2)]:
        ref = [rng.choice(CHARS[:alphabet]) for _ in range(n)]
        hyp = perturb(rng, ref, CHARS[:alphabet], rate)
        pairs.append(("".join(ref), "".join(hyp)))
    ref_words = [rng.choice(TINY_VOCAB) for _ in range(2500)]
    pairs.append((" ".join(ref_words), " ".join(perturb(rng, ref_words, TINY_VOCAB, 0.4))))
    return pairs


def counts(out) -> list[int]:
    return [out.hits, out.substitutions, out.deletions, out.insertions]


def corpus(refs: list[str], hyps: list[str]) -> dict:
    words = jiwer.process_words(refs, hyps)
    chars = jiwer.process_characters(refs, hyps)
    return {
        "wer": words.wer,
        "mer": words.mer,
        "wil": words.wil,
        "wip": words.wip,
        "cer": chars.cer,
    }


def main() -> None:
    assert importlib.metadata.version("jiwer") == "4.0.0", "run with jiwer==4.0.0"
    rng = random.Random(SEED)
    pairs = [random_pair(rng) for _ in range(N_RANDOM)]
    pairs += [("", ""), ("", "x"), ("x", ""), ("a b", "b a"), (" \t", "a"), ("\x1c a\x1c", "a")]
    pairs += hirschberg_pairs(rng)

    out_path = sys.argv[1]
    with open_gz_text(out_path) as f:
        for ref, hyp in pairs:
            record = {
                "ref": ref,
                "hyp": hyp,
                "w": counts(jiwer.process_words(ref, hyp)),
                "c": counts(jiwer.process_characters(ref, hyp)),
            }
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
        refs = [r for r, _ in pairs]
        hyps = [h for _, h in pairs]
        chunks = [
            {"start": start, "end": min(start + CHUNK, len(pairs)), **corpus(refs[start : start + CHUNK], hyps[start : start + CHUNK])}
            for start in range(0, len(pairs), CHUNK)
        ]
        # Chunks of only empty references exercise jiwer 4's empty-reference rules.
        empty = [i for i, r in enumerate(refs) if not r.strip()]
        summary = {
            "corpus": corpus(refs, hyps),
            "chunks": chunks,
            "empty_ref_indices": empty,
            "empty_refs": corpus([refs[i] for i in empty], [hyps[i] for i in empty]),
            "versions": {"rapidfuzz": rapidfuzz.__version__, "seed": SEED},
        }
        f.write(json.dumps({"summary": summary}, ensure_ascii=False) + "\n")
    print(f"wrote {len(pairs)} pairs to {out_path}")


if __name__ == "__main__":
    main()
