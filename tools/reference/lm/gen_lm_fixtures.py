"""Reference fixtures for dialekt_text::lm (text/tests/fixtures/lm/):

- corpus.txt.gz: the >= 100k-word LM training text (corpus.py, two blank lines inside);
- lmplz_o3.arpa.gz, lmplz_o4.arpa.gz, lmplz_o5.arpa.gz: KenLM lmplz (kenlm 0.3.0 from
  PyPI's source distribution, built by build_lmplz.sh) on the whole text (order 3) and on
  its first 2500 and 1500 lines (orders 4 and 5, the 5-gram with --discount_fallback);
- pruned.arpa.gz: an SRILM-style model derived from a small lmplz one: some bigrams
  that are suffixes (not contexts) of trigrams removed (KenLM fills them with blanks),
  explicit zero backoffs, no <unk> (KenLM substitutes -100);
- kenlm_queries.jsonl.gz: kenlm.Model.full_scores and .score (kenlm 0.3.0 Python module)
  of held-out sentences with unknown words and sentence markers inside, for each model and
  for bos/eos on and off. Probabilities are written in float32's shortest form (KenLM
  computes in float32).

Run with the venv that has kenlm==0.3.0:
  LMPLZ=$(tools/reference/lm/build_lmplz.sh)/lmplz \
    /work/venvs/lm/bin/python tools/reference/lm/gen_lm_fixtures.py
"""

import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import kenlm
import numpy

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "text"))
import corpus  # noqa: E402
from fixture_io import open_gz_text  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "text" / "tests" / "fixtures" / "lm"
CORPUS_SEED = 21
QUERY_SEED = 99


def lmplz(order: int, text: Path, arpa: Path, fallback: bool = False) -> None:
    command = [os.environ["LMPLZ"], "-o", str(order), "-S", "10%", "--text", str(text),
               "--arpa", str(arpa)]
    if fallback:
        command.append("--discount_fallback")
    subprocess.run(command, check=True, stderr=subprocess.DEVNULL)


def gzip_copy(source: Path, target: Path) -> None:
    with open(source, "rb") as src, gzip.GzipFile(filename=str(target), mode="wb",
                                                   compresslevel=9, mtime=0) as dst:
        shutil.copyfileobj(src, dst)


def read_arpa(path: Path):
    """Sections as lists of (prob, words, backoff-or-None) strings, in file order."""
    sections = {}
    order = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("\\") and line.endswith("-grams:"):
            order = int(line[1:line.index("-")])
            sections[order] = []
        elif order and line and not line.startswith("\\"):
            fields = line.split("\t")
            sections[order].append((fields[0], fields[1], fields[2] if len(fields) > 2 else None))
    return sections


def write_arpa(path: Path, sections) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write("\\data\\\n")
        for order, entries in sections.items():
            out.write(f"ngram {order}={len(entries)}\n")
        for order, entries in sections.items():
            out.write(f"\n\\{order}-grams:\n")
            for prob, words, backoff in entries:
                out.write(f"{prob}\t{words}" + (f"\t{backoff}" if backoff is not None else "") + "\n")
        out.write("\n\\end\\\n")


def prune_like_srilm(source: Path, target: Path) -> None:
    """Drop every third bigram that is not a trigram context (KenLM fills in blanks for
    the trigrams it was a suffix of), write zero backoffs explicitly, remove <unk>."""
    sections = read_arpa(source)
    contexts = {" ".join(words.split()[:2]) for _, words, _ in sections[3]}
    kept, dropped = [], 0
    for index, (prob, words, backoff) in enumerate(sections[2]):
        if words not in contexts and index % 3 == 0:
            dropped += 1
            continue
        kept.append((prob, words, backoff))
    sections[2] = kept
    sections[1] = [(p, w, b if b is not None else "0") for p, w, b in sections[1] if w != "<unk>"]
    write_arpa(target, sections)
    print(f"pruned: dropped {dropped} bigrams", file=sys.stderr)


def query_sentences() -> list[str]:
    rng = random.Random(QUERY_SEED)
    sentences = corpus.make_sentences(QUERY_SEED, 3500)
    out = []
    for sentence in sentences:
        words = sentence.split()
        for at in range(len(words)):
            roll = rng.random()
            if roll < 0.05:
                words[at] = "zq" + "".join(rng.choice("aeiouxyz") for _ in range(rng.randint(1, 6)))
            elif roll < 0.055:
                words[at] = rng.choice(["<unk>", "<s>", "</s>", "<UNK>"])
        out.append(" ".join(words))
    out += ["", "og", "zzz", "<s>", "</s> og", "og og og og og og og og"]
    return out


def f32(value: float) -> str:
    """The shortest decimal that reads back as the same float32."""
    return str(numpy.float32(value))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    sentences = corpus.make_sentences(CORPUS_SEED, 120_000)
    sentences[100:100] = [""]
    sentences[5000:5000] = [""]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        text = tmp / "corpus.txt"
        text.write_text("\n".join(sentences) + "\n", encoding="utf-8")
        small = tmp / "small.txt"
        small.write_text("\n".join(sentences[:2500]) + "\n", encoding="utf-8")
        tiny = tmp / "tiny.txt"
        tiny.write_text("\n".join(sentences[:1500]) + "\n", encoding="utf-8")
        models = {
            "lmplz_o3": (3, text, False),
            "lmplz_o4": (4, small, False),
            "lmplz_o5": (5, tiny, True),
        }
        for name, (order, source, fallback) in models.items():
            lmplz(order, source, tmp / f"{name}.arpa", fallback)
        lmplz(3, tiny, tmp / "tiny_o3.arpa")
        prune_like_srilm(tmp / "tiny_o3.arpa", tmp / "pruned.arpa")
        with open_gz_text(OUT / "corpus.txt.gz") as out:
            out.write(text.read_text(encoding="utf-8"))
        for name in [*models, "pruned"]:
            gzip_copy(tmp / f"{name}.arpa", OUT / f"{name}.arpa.gz")

        queries = query_sentences()
        with open_gz_text(OUT / "kenlm_queries.jsonl.gz") as out:
            for name in [*models, "pruned"]:
                model = kenlm.Model(str(tmp / f"{name}.arpa"))
                for bos, eos in [(True, True), (False, False), (True, False)]:
                    for sentence in queries:
                        scores = ",".join(
                            f"[{f32(prob)},{length},{json.dumps(oov)}]"
                            for prob, length, oov in model.full_scores(sentence, bos=bos, eos=eos))
                        head = json.dumps({"model": name, "bos": bos, "eos": eos,
                                           "sentence": sentence}, ensure_ascii=False)
                        score = f32(model.score(sentence, bos=bos, eos=eos))
                        out.write(f'{head[:-1]}, "full_scores": [{scores}], "score": {score}}}\n')
    for path in sorted(OUT.iterdir()):
        print(f"{path.name}: {path.stat().st_size} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
