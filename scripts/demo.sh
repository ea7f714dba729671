#!/usr/bin/env bash
# Set up .venv and stylize the project's own sample clip into out/clip.mp4.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck disable=SC1091
. .venv/vstyle-env
mkdir -p out
.venv/bin/vstyle samples/clip.mp4 out/clip.mp4 --style samples/style.png \
    --max-side 128 --iters 30 --frames 12 --overwrite "$@"
echo "stylized clip: out/clip.mp4"
