#!/usr/bin/env bash
# Create .venv with the CPU build of torch and vstyle (editable, with test tools).
# On a machine with a GPU, install the CUDA build of torch first instead.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip show torch >/dev/null 2>&1 || .venv/bin/python -m pip install -q torch==2.13.0
.venv/bin/python -m pip install -q -e ".[dev,onnx,live,studio,cluster,photo]"
# The shared research assets, when they sit beside the checkout, provide VGG-19 offline.
if [ -z "${VSTYLE_VGG_WEIGHTS:-}" ] && [ -f ../shared/assets/weights/vgg19-features.pth ]; then
    echo "export VSTYLE_VGG_WEIGHTS=$(cd ../shared/assets/weights && pwd)/vgg19-features.pth" > .venv/vstyle-env
else
    : > .venv/vstyle-env
fi
