#!/usr/bin/env bash
# The Python side of the LM and decoder fixtures and of bench/decode: pyctcdecode 0.5.0
# and kenlm 0.3.0 from PyPI (kenlm builds from its source distribution; needs cmake and
# a C++ compiler). The fixtures were made with Python 3.11.7, numpy 1.26.4, pygtrie 2.6.2,
# sentencepiece 0.2.3 — pyctcdecode's transcripts depend on CPython's set order, which is
# the same in 3.11 to 3.13.
#
#   tools/reference/lm/setup-venv.sh [VENV]      (default /work/venvs/lm)
set -euo pipefail
VENV=${1:-/work/venvs/lm}
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q pyctcdecode==0.5.0 kenlm==0.3.0 'numpy~=1.26.0' sentencepiece
echo "venv ready: $VENV"
