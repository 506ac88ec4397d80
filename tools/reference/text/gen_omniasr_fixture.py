#!/usr/bin/env python3
"""Run omnilingual-asr's real `text_normalize(text, "da")` on our test sentences.

    git --git-dir=<omnilingual-asr mirror> archive HEAD workflows/dataprep | tar -x -C /tmp/omni
    /work/venvs/ref/bin/python tools/reference/text/gen_omniasr_fixture.py \
        /tmp/omni/workflows/dataprep text/tests/fixtures/omniasr_normalize.jsonl.gz

`text_tools.py` imports `unidecode`, which the `"*"` config never calls
(`rm_diacritics=False`); a stand-in is registered so the unmodified file imports.
"""

import json
import sys
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from fixture_io import open_gz_text  # noqa: E402
from danish_sentences import FRAGMENTS, sentences  # noqa: E402

EXTRA = [
    "123", " 123 ", "12 34", "a 12", "12 a", "a 12\n", "(1)", "(a)(1)", "(a (1)", "((2)", "(x",
    "bilen’s", "’quote’", "a’b’c", "‘x", "x’", "a ’ b", "&lt;tag&gt;", "&nbsp;x", "&amp;",
    "ⅰ ⅱ ⅲ", "x ⅳ y", "١٢٣ x", "x ١٢٣", "café\u200bbar", "\u200e\u200fx\u202a\u202c",
    "٫٬", "「引用」", "Ａ．Ｂ", "½ og ¼", "tab\there", "a\u3000b", "ﬁ", "İ",
]


def main() -> None:
    dataprep, out = Path(sys.argv[1]), Path(sys.argv[2])
    sys.modules["unidecode"] = types.SimpleNamespace(unidecode=None)
    sys.path.insert(0, str(dataprep))
    from text_tools import text_normalize

    inputs = sentences() + FRAGMENTS + EXTRA
    with open_gz_text(out) as f:
        for text in inputs:
            record = {"kind": "omniasr", "input": text, "expected": text_normalize(text, "da")}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {len(inputs)} records to {out}")


if __name__ == "__main__":
    main()
