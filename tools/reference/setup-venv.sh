#!/usr/bin/env bash
# The reference tools every fixture under tests/fixtures was made with, in a venv.
# Installed in this order: one big `pip install` makes the resolver stall.
#
#   tools/reference/setup-venv.sh [VENV]      (default: .venv-ref)
#   .venv-ref/bin/python tools/reference/<area>/<script>.py
set -euo pipefail
VENV=${1:-.venv-ref}
python3 -m venv "$VENV"
P="$VENV/bin/pip"
$P install -q --upgrade pip
$P install -q torch==2.8.0 torchaudio==2.8.0
$P install -q fairseq2n==0.6 'fairseq2[arrow]==0.6' jiwer==4.0.0 sentencepiece soundfile
$P install -q --no-deps omnilingual-asr==0.2.0
$P install -q pyarrow==20.0.0
# omnilingual-asr's fairseq2 extension imports pandas to register its archs.
$P install -q 'numpy~=1.26.0' 'pandas<2.4'
echo "reference venv ready: $VENV (apt: libsndfile1; the demo corpus also needs espeak-ng and sox)"
