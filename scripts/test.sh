#!/usr/bin/env bash
# Set up, build, and run every test (unit and integration). README command (2).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
bash scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)"
