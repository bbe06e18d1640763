#!/usr/bin/env bash
# Installs the training toolchain (numpy, scikit-learn, skl2onnx, onnx, onnxruntime) and backtrader (the backtest
# bench's peer, pinned to its last release, 2023) into a per-user venv so the repository's model scripts, training
# jobs and benches never touch the system Python. Idempotent: a stamp of the pinned
# requirements skips pip when nothing changed (a fresh machine needs only python3 with venv and PyPI).
set -euo pipefail
VENV="${AM_PYTHON_VENV:-$HOME/.cache/alphamind/python}"
REQUIREMENTS=("numpy>=1.26,<3" "scikit-learn>=1.4,<1.8" "skl2onnx>=1.17" "onnx>=1.16" "onnxruntime>=1.18" "backtrader==1.9.78.123")
STAMP="$VENV/.am-requirements"
if [ ! -x "$VENV/bin/python" ]; then
  echo "creating venv at $VENV" >&2
  python3 -m venv "$VENV"
fi
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "${REQUIREMENTS[*]}" ] \
  && "$VENV/bin/python" -c "import numpy, sklearn, skl2onnx, onnx, onnxruntime, backtrader" 2>/dev/null; then
  echo "python models toolchain up to date at $VENV"
  exit 0
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check "${REQUIREMENTS[@]}"
"$VENV/bin/python" -c "import sklearn, skl2onnx, onnx, backtrader; print('python models toolchain ready:', sklearn.__version__, skl2onnx.__version__, onnx.__version__, 'backtrader', backtrader.__version__)"
echo "${REQUIREMENTS[*]}" > "$STAMP"
