#!/usr/bin/env python3
"""Time dialekt's scorer against jiwer 4.0.0 on the same 10,000 ref/hyp pairs.

    bench/text/score.sh            # builds the Rust example in release mode, then runs this

Both sides are timed in-process on the alignment + counting only (files are read
before the clock starts), best of N repeats, word level and character level together
(`process_words` + `process_characters` for jiwer, `pair_counts` for us). Before the ratio
is printed, the per-pair H/S/D/I of both levels are checked to be identical.
"""

import importlib.metadata
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jiwer

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools/reference/text"))
from gen_jiwer_fixture import random_pair  # noqa: E402

import random  # noqa: E402

N_PAIRS = 10_000
REPEATS = 5


def main() -> None:
    binary = sys.argv[1]
    rng = random.Random(12345)
    pairs = [random_pair(rng) for _ in range(N_PAIRS)]
    # Transcripts are single lines; keep the pairs newline-free so files and lists agree.
    pairs = [(r.replace("\n", " "), h.replace("\n", " ")) for r, h in pairs]
    refs = [r for r, _ in pairs]
    hyps = [h for _, h in pairs]

    with tempfile.TemporaryDirectory() as tmp:
        refs_path, hyps_path, per_pair = Path(tmp, "refs.txt"), Path(tmp, "hyps.txt"), Path(tmp, "pairs.txt")
        refs_path.write_text("\n".join(refs) + "\n", encoding="utf-8")
        hyps_path.write_text("\n".join(hyps) + "\n", encoding="utf-8")
        ours = json.loads(subprocess.run(
            [binary, refs_path, hyps_path, str(REPEATS), per_pair],
            check=True, capture_output=True, text=True,
        ).stdout)
        our_pairs = [list(map(int, line.split())) for line in per_pair.read_text().splitlines()]

    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        words = jiwer.process_words(refs, hyps)
        chars = jiwer.process_characters(refs, hyps)
        best = min(best, time.perf_counter() - start)

    def per_sentence(output) -> list[list[int]]:
        rows = []
        for chunks in output.alignments:
            h = s = d = i = 0
            for c in chunks:
                if c.type == "equal":
                    h += c.ref_end_idx - c.ref_start_idx
                elif c.type == "substitute":
                    s += c.ref_end_idx - c.ref_start_idx
                elif c.type == "delete":
                    d += c.ref_end_idx - c.ref_start_idx
                else:
                    i += c.hyp_end_idx - c.hyp_start_idx
            rows.append([h, s, d, i])
        return rows

    theirs = [w + c for w, c in zip(per_sentence(words), per_sentence(chars))]
    mismatches = sum(a != b for a, b in zip(our_pairs, theirs))
    totals = [words.hits, words.substitutions, words.deletions, words.insertions]
    assert len(our_pairs) == len(theirs) == N_PAIRS
    assert ours["words"] == totals, (ours["words"], totals)
    assert ours["chars"] == [chars.hits, chars.substitutions, chars.deletions, chars.insertions]
    assert abs(ours["wer"] - words.wer) <= 1e-12 and abs(ours["cer"] - chars.cer) <= 1e-12
    print(f"pairs: {N_PAIRS}, per-pair H/S/D/I mismatches (words+chars): {mismatches}")
    print(f"words H/S/D/I: {totals}  WER {words.wer:.6f}  CER {chars.cer:.6f}")
    version = importlib.metadata.version("jiwer")
    print(f"jiwer {version} (best of {REPEATS}): {best * 1e3:9.2f} ms")
    print(f"dialekt-text (best of {REPEATS}): {ours['seconds'] * 1e3:9.2f} ms")
    print(f"speed-up: {best / ours['seconds']:.1f}x")
    if mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
