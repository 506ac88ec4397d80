"""Driver of bench/decode/run.sh: dialekt vs pyctcdecode/KenLM on the same inputs, one
core each (`taskset -c 0`), alternating, a warm-up run of each excluded, medians of
REPEATS runs with their spread (min-max), ratios.

    python bench.py BIN_DIR INPUT_DIR LMPLZ
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TOKENIZER = ROOT / "text/tests/fixtures/spm_omni.model"
REPEATS = int(os.environ.get("REPEATS", "5"))
ONE_CORE = ["taskset", "-c", "0"]


def run_json(command: list) -> dict:
    result = subprocess.run(ONE_CORE + [str(c) for c in command], check=True,
                            capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def alternate(commands: dict, key: str = "seconds") -> dict:
    """Run each command once to warm up, then REPEATS rounds in turn; samples per name."""
    for command in commands.values():
        run_json(command)
    samples = {name: [] for name in commands}
    extra = {name: [] for name in commands}
    for _ in range(REPEATS):
        for name, command in commands.items():
            result = run_json(command)
            samples[name].append(result[key])
            extra[name].append(result)
    return {name: (samples[name], extra[name]) for name in commands}


def spread(values: list, scale: float = 1.0, digits: int = 3) -> str:
    median, low, high = (v * scale for v in (statistics.median(values), min(values), max(values)))
    return f"{median:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def arpa_values(path: Path) -> dict:
    """Every n-gram's (probability, backoff) as float32, which both estimators compute
    (their shortest decimal forms differ on ties, so the files need not be identical)."""
    values, order = {}, 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("\\") and line.endswith("-grams:"):
            order = int(line[1:line.index("-")])
        elif order and line and not line.startswith("\\"):
            fields = line.split("\t")
            values[(order, fields[1])] = tuple(float(np.float32(f)) for f in fields[::2])
    return values


def ratio(slow: list, fast: list) -> str:
    return (f"{statistics.median(slow) / statistics.median(fast):.1f}x "
            f"({min(slow) / max(fast):.1f}-{max(slow) / min(fast):.1f})")


def main() -> None:
    bins, inputs, lmplz = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    python = sys.executable
    arpa = inputs / "lm.arpa"
    frames = sum(int(x) for x in (inputs / "frames.txt").read_text().split()[1:])
    matrices = len((inputs / "frames.txt").read_text().split()) - 1
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(f"release build; one core (taskset -c 0); {REPEATS} alternating runs after a "
              f"warm-up; median (min-max) seconds\n")
        for label, lm_args in [("no LM, beam 100", []),
                               ("lmplz 3-gram, beam 100, alpha 0.5, beta 1.5", [arpa, 100, 0.5, 1.5])]:
            ours_out, theirs_out = tmp / "ours.txt", tmp / "theirs.txt"
            lm_args = lm_args or ["", 100]
            if lm_args[0] == "":
                ours_cmd = [bins / "decode_bench", TOKENIZER, inputs, ours_out]
                theirs_cmd = [python, HERE / "pyctc_decode.py", TOKENIZER, inputs, theirs_out]
            else:
                ours_cmd = [bins / "decode_bench", TOKENIZER, inputs, ours_out, *lm_args]
                theirs_cmd = [python, HERE / "pyctc_decode.py", TOKENIZER, inputs, theirs_out, *lm_args]
            results = alternate({"dialekt": ours_cmd, "pyctcdecode": theirs_cmd})
            ours, theirs = results["dialekt"][0], results["pyctcdecode"][0]
            same = sum(a == b for a, b in zip(ours_out.read_text().splitlines(),
                                              theirs_out.read_text().splitlines()))
            print(f"decode, {label}: {matrices} matrices, {frames} frames")
            print(f"  dialekt      {spread(ours)} s  {frames / statistics.median(ours):,.0f} frames/s")
            print(f"  pyctcdecode  {spread(theirs)} s  {frames / statistics.median(theirs):,.0f} frames/s")
            print(f"  speed-up     {ratio(theirs, ours)}; identical transcripts {same}/{matrices}\n")

        cache = tmp / "lm.dialekt-lm"
        run_json([bins / "lm_load", arpa, cache])  # writes the cache
        kenlm_binary = tmp / "lm.klm"  # what CoRal ships: build_binary's probing format
        subprocess.run([Path(lmplz).parent / "build_binary", arpa, kenlm_binary], check=True,
                       capture_output=True)
        results = alternate({
            "dialekt ARPA": [bins / "lm_load", arpa],
            "dialekt cache": [bins / "lm_load", arpa, cache],
            "kenlm ARPA": [python, HERE / "kenlm_load.py", arpa],
            "kenlm binary": [python, HERE / "kenlm_load.py", kenlm_binary],
        })
        ngrams = results["dialekt ARPA"][1][0]["ngrams"]
        print(f"LM load: {arpa.stat().st_size / 2**20:.1f} MiB ARPA, {ngrams:,} n-grams")
        for name, (seconds, extra) in results.items():
            rss = statistics.median(r["rss_bytes"] for r in extra) / 2**20
            peak = statistics.median(r["peak_rss_bytes"] for r in extra) / 2**20
            print(f"  {name:14} {spread(seconds, 1000, 2)} ms  resident +{rss:.1f} MiB (peak +{peak:.1f} MiB)")
        for theirs, ours in [("kenlm ARPA", "dialekt ARPA"), ("kenlm binary", "dialekt cache")]:
            rss_ratio = (statistics.median(r["rss_bytes"] for r in results[theirs][1])
                         / statistics.median(r["rss_bytes"] for r in results[ours][1]))
            print(f"  {theirs} / {ours}: time {ratio(results[theirs][0], results[ours][0])}, "
                  f"resident memory {rss_ratio:.1f}x")

        text = inputs / "corpus.txt"
        words = len(text.read_text().split())
        timed = [python, HERE / "timed.py"]
        results = alternate({
            "dialekt": [*timed, bins / "lm_build", 3, text, tmp / "ours.arpa"],
            "lmplz": [*timed, lmplz, "-o", 3, "-S", "1G", "--text", text,
                      "--arpa", tmp / "lmplz.arpa"],
        })
        same = arpa_values(tmp / "ours.arpa") == arpa_values(tmp / "lmplz.arpa")
        print(f"\nestimate a 3-gram from {words:,} words (whole process, reading the text included)")
        print(f"  dialekt      {spread(results['dialekt'][0])} s")
        print(f"  lmplz        {spread(results['lmplz'][0])} s")
        print(f"  speed-up     {ratio(results['lmplz'][0], results['dialekt'][0])}; "
              f"identical n-grams, probabilities and backoffs: {same}")


if __name__ == "__main__":
    main()
