#!/usr/bin/env bash
# Installs the training toolchain (numpy, scikit-learn, skl2onnx, onnx, onnxruntime) into a per-user venv so the
# repository's model scripts never touch the system Python. CI does not run this: the ONNX files are committed.
set -euo pipefail
VENV="${AM_PYTHON_VENV:-$HOME/.cache/alphamind/python}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "creating venv at $VENV" >&2
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check \
  "numpy>=1.26,<3" "scikit-learn>=1.4,<1.8" "skl2onnx>=1.17" "onnx>=1.16" "onnxruntime>=1.18"
"$VENV/bin/python" -c "import sklearn, skl2onnx, onnx; print('python models toolchain ready:', sklearn.__version__, skl2onnx.__version__, onnx.__version__)"
