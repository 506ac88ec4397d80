#!/usr/bin/env python3
"""Train small SentencePiece models of every type on Danish text and record how the
Python `sentencepiece` package normalises, encodes and decodes with them.

    .venv-ref/bin/python tools/reference/text/gen_spm_models_fixture.py text/tests/fixtures

(`.venv-ref` is made by tools/reference/setup-venv.sh. The committed fixtures were made
with sentencepiece 0.2.3, whose unigram and BPE tie-breaking differ from 0.2.1's; the
script says which version ran.) Writes, for each model in MODELS, `spm_<name>.model`, and one
`spm_models_cases.jsonl.gz` with

- `{"model", "pieces": [[piece, score, type], ...]}`: the vocabulary (type as in
  `ModelProto.SentencePiece.Type`: 1 normal, 2 unknown, 3 control, 4 user-defined,
  5 unused, 6 byte);
- `{"model", "decode_only": ids, "decoded"}`: random id sequences (byte pieces,
  control pieces and <unk> included) and their `decode` text;
- `{"text", "models": {name: {"normalized", "ids", "decoded"}}}` for >= 1,000
  sentences (one line each, so gzip sees what the models share): Danish
  text from a grammar (the training text's alphabet), hand-written sentences with
  numerals and odd Unicode, and grammar sentences with emoji, Greek, Cyrillic, CJK,
  combining marks, odd whitespace and symbol strings spliced in.

The models are trained on grammar sentences and the demo corpus only, so everything
else in the test sentences is outside their alphabet. A few pieces of the `*_symbols`
models are re-marked UNUSED after training (sentencepiece's trainer never writes
unused pieces), to check that unigram skips them and BPE splits them back.
"""

import io
import json
import random
import sys
import tempfile
from pathlib import Path

import sentencepiece as spm

sys.path.insert(0, str(Path(__file__).parent))
from danish_grammar import grammar_sentences  # noqa: E402
from danish_sentences import sentences  # noqa: E402
from fixture_io import open_gz_text  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
USER_DEFINED = ["<latter>", "[støj]", "København", "æø"]
CONTROL = ["<da>", "<ctrl>"]

# A small hand-written charsmap (nmt_nfkc's is 240 kB, too big to commit per model):
# case folding, fullwidth ASCII, ligatures, composed accents from combining marks,
# whitespace variants to " ", a deletion, and multi-character targets.
RULES = (
    [(f"{c:X}", f"{c + 32:X}") for c in range(0x41, 0x5B)]
    + [("C6", "E6"), ("D8", "F8"), ("C5", "E5"), ("C9", "E9"), ("DC", "FC"), ("D6", "F6")]
    + [(f"{c:X}", f"{c - 0xFEE0:X}") for c in range(0xFF01, 0xFF5F)]
    + [("FB01", "66 69"), ("FB02", "66 6C"), ("BD", "31 2F 32"), ("2026", "2E 2E 2E")]
    + [("61 301", "E1"), ("65 301", "E9"), ("61 30A", "E5"), ("41 30A", "E5"), ("212B", "E5")]
    + [(f"{c:X}", "20") for c in [0x9, 0xA, 0xD, 0xA0, 0x2002, 0x2003, 0x2009, 0x3000]]
    + [("200B", ""), ("2019", "27"), ("201C", "22"), ("201D", "22"), ("AB", "22"), ("BB", "22")]
)
DENORMALIZE = [("2E 2E 2E", "2026"), ("31 2F 32", "BD")]

# name -> trainer options ("normalizer": "rules" | "identity"; nmt_nfkc is covered by
# gen_spm_fixture.py's char models, and the normaliser does not depend on the model type).
MODELS = {
    "unigram_100": dict(model_type="unigram", vocab_size=100, normalizer="rules"),
    "unigram_300": dict(model_type="unigram", vocab_size=300, normalizer="identity",
                        add_dummy_prefix=False),
    "unigram_1000_symbols_bytes": dict(model_type="unigram", vocab_size=1000, normalizer="rules",
                                       byte_fallback=True, treat_whitespace_as_suffix=True,
                                       user_defined_symbols=USER_DEFINED,
                                       control_symbols=CONTROL, unused_every=7),
    "bpe_100": dict(model_type="bpe", vocab_size=100, normalizer="rules",
                    remove_extra_whitespaces=False),
    "bpe_500_symbols_bytes": dict(model_type="bpe", vocab_size=500, normalizer="identity",
                                  byte_fallback=True, user_defined_symbols=USER_DEFINED,
                                  control_symbols=CONTROL, unused_every=5, denormalize=True),
    "char_spaces": dict(model_type="char", vocab_size=60, normalizer="identity",
                        treat_whitespace_as_suffix=True, unescaped_whitespace=True),
    "word_300": dict(model_type="word", vocab_size=300, normalizer="rules"),
}

# Spliced into grammar sentences: outside every model's alphabet, or symbol strings.
ODD = [
    "😀", "🇩🇰", "❤️", "👍🏽", "αβγ", "Ωμέγα", "Привет", "日本語", "한국어", "e\u0301", "a\u0308",
    "\u0301", "A\u030a", "\u00a0", "\u2003", "\u3000", "\t", "\n", "\r\n", "\u200b", "\u2028",
    "０１２", "ＡＢＣ", "𝐀𝐁", "ﬁ", "ﬂ", "½", "…", "€", "№", "١٢٣", "ǅ", "ẞ", "İ", "Å", "’", "«»",
    "0", "19", "2.500", "3,14", "1234567890", "<s>", "</s>", "<unk>", "<pad>", "<0x41>", "▁",
    "<da>", "<ctrl>", "<latter>", "[støj]", "København", "æø", "x" * 30,
]

EDGE = [
    "", " ", "   ", "\t\n", "▁", "▁▁x", "<s>", "</s>", "<unk>", "<pad>", "<0x41>", "<0xC3><0xA6>",
    "<da> hej <ctrl>", "<latter>", "[støj] ja [støj]", "København København", "Københavns",
    "æøæø æø", "a" * 40, "1234567890" * 3, "x y  z   ", " hej", "hej ", "  hej  du  ",
    "ssss sss ss", "eee nnn rrr ttt", "aaa", "ÆØÅ æøå", "ＡＢＣ ﬁn ½", "e\u0301e\u0301", "😀😀😀",
    "\u0301\u0301",
    # Equal-score BPE merges ("." + "." at every position): the leftmost goes first.
    "..", "...", "....", ".....", "a .....", "hej.......",
]


def training_text() -> list[str]:
    demo = (REPO / "tools/demo/sentences_da.txt").read_text(encoding="utf-8").splitlines()
    return grammar_sentences(6000, seed=2026) + [line for line in demo if line.strip()]


def test_sentences(rng: random.Random) -> list[str]:
    tests = sentences() + grammar_sentences(300, seed=77)
    for text in grammar_sentences(400, seed=78):
        words = text.split(" ")
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(words) + 1)
            odd = rng.choice(ODD)
            if rng.random() < 0.3 and words:  # inside a word, not between words
                at = min(at, len(words) - 1)
                cut = rng.randrange(len(words[at]) + 1)
                words[at] = words[at][:cut] + odd + words[at][cut:]
            else:
                words.insert(at, odd)
        tests.append(" ".join(words))
    tests += EDGE
    assert len(tests) >= 1000, len(tests)
    return tests


def rules_tsv(rules: list[tuple[str, str]], directory: Path, name: str) -> str:
    path = directory / name
    path.write_text("".join(f"{src}\t{dst}\n" for src, dst in rules), encoding="utf-8")
    return str(path)


def train(name: str, options: dict, text: list[str], workdir: Path) -> bytes:
    options = dict(options)
    normalizer = options.pop("normalizer")
    unused_every = options.pop("unused_every", 0)
    unescaped_whitespace = options.pop("unescaped_whitespace", False)
    if options.pop("denormalize", False):
        options["denormalization_rule_tsv"] = rules_tsv(DENORMALIZE, workdir, f"{name}.denorm.tsv")
    if normalizer == "rules":
        options["normalization_rule_tsv"] = rules_tsv(RULES, workdir, f"{name}.rules.tsv")
    else:
        options["normalization_rule_name"] = normalizer
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(text), model_writer=model, hard_vocab_limit=False,
        character_coverage=1.0, num_threads=1, minloglevel=2, **options,
    )
    proto = model.getvalue()
    if unused_every:
        proto = mark_unused(proto, unused_every)
    if unescaped_whitespace:
        proto = unescape_whitespace(proto)
    return forget_rule_paths(proto)


# --- A minimal protobuf editor: the reference venv has no `protobuf` package. ---

def _varint(data: bytes, at: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if byte < 0x80:
            return value, at
        shift += 7


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _fields(data: bytes):
    """(field number, wire type, raw bytes of the whole field, payload) per field."""
    at = 0
    while at < len(data):
        start = at
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _varint(data, at)
            payload = value
        elif wire == 2:
            length, at = _varint(data, at)
            payload = data[at:at + length]
            at += length
        elif wire == 5:
            payload = data[at:at + 4]
            at += 4
        elif wire == 1:
            payload = data[at:at + 8]
            at += 8
        else:
            raise ValueError(f"wire type {wire}")
        yield number, wire, data[start:at], payload


def _field(number: int, wire: int, payload) -> bytes:
    key = _encode_varint(number << 3 | wire)
    if wire == 0:
        return key + _encode_varint(payload)
    return key + _encode_varint(len(payload)) + payload


def _piece_fields(payload: bytes) -> tuple[str, int, list]:
    fields = list(_fields(payload))
    piece = next(p for n, _, _, p in fields if n == 1).decode("utf-8")
    kind = next((p for n, _, _, p in fields if n == 3), 1)
    return piece, kind, fields


def mark_unused(proto: bytes, every: int) -> bytes:
    """Re-mark every `every`-th normal piece longer than one character as UNUSED (5)."""
    out = bytearray()
    normal_multichar = 0
    for number, _, raw, payload in _fields(proto):
        if number == 1:
            piece, kind, fields = _piece_fields(payload)
            if kind == 1 and len(piece.lstrip("▁")) > 1:
                normal_multichar += 1
                if normal_multichar % every == 0:
                    body = b"".join(r for n, _, r, _ in fields if n != 3) + _field(3, 0, 5)
                    raw = _field(1, 2, body)
        out += raw
    return bytes(out)


def unescape_whitespace(proto: bytes) -> bytes:
    """`escape_whitespaces: false` (which every trainer refuses), with the "▁" piece
    renamed to " " so that spaces stay known."""
    out = bytearray()
    for number, _, raw, payload in _fields(proto):
        if number == 1 and _piece_fields(payload)[0] == "▁":
            body = b"".join(r for n, _, r, _ in _fields(payload) if n != 1)
            raw = _field(1, 2, _field(1, 2, b" ") + body)
        elif number == 3:  # normalizer_spec
            body = b"".join(r for n, _, r, _ in _fields(payload) if n != 5)
            raw = _field(3, 2, body + _field(5, 0, 0))
        out += raw
    return bytes(out)


def forget_rule_paths(proto: bytes) -> bytes:
    """Drop `normalization_rule_tsv` (field 6) from the (de)normalizer specs: the path
    of a deleted temp file, which would make every run's model bytes differ."""
    out = bytearray()
    for number, _, raw, payload in _fields(proto):
        if number in (3, 5):
            raw = _field(number, 2, b"".join(r for n, _, r, _ in _fields(payload) if n != 6))
        out += raw
    return bytes(out)


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(2027)
    text = training_text()
    tests = test_sentences(rng)
    processors = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, options in MODELS.items():
            proto = train(name, options, text, Path(tmp))
            (out / f"spm_{name}.model").write_bytes(proto)
            processors[name] = (spm.SentencePieceProcessor(model_proto=proto), piece_types(proto))
    with open_gz_text(out / "spm_models_cases.jsonl.gz") as f:
        def write(record: dict) -> None:
            f.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")

        for name, (sp, types) in processors.items():
            vocab = sp.get_piece_size()
            assert len(types) == vocab
            write({"model": name, "pieces": [
                [sp.id_to_piece(i), sp.get_score(i), types[i]] for i in range(vocab)
            ]})
            for _ in range(100):
                ids = [rng.randrange(vocab) for _ in range(rng.randint(0, 20))]
                write({"model": name, "decode_only": ids, "decoded": sp.decode(ids)})
            print(f"{name}: {vocab} pieces, {sum(t == 5 for t in types)} unused")
        # One line per sentence with every model's answer: gzip then sees the repeats.
        for sentence in tests:
            results = {}
            for name, (sp, _) in processors.items():
                ids = sp.encode(sentence)
                results[name] = {"normalized": sp.normalize(sentence), "ids": ids,
                                 "decoded": sp.decode(ids)}
            write({"text": sentence, "models": results})
    print(f"sentencepiece {spm.__version__}: {len(tests)} sentences x {len(MODELS)} models -> {out}")


def piece_types(proto: bytes) -> list[int]:
    """`ModelProto.SentencePiece.Type` of each piece (1, normal, when absent)."""
    return [
        next((p for n, _, _, p in _fields(payload) if n == 3), 1)
        for number, _, _, payload in _fields(proto) if number == 1
    ]


if __name__ == "__main__":
    main()
