#!/usr/bin/env bash
# Every test of the project, as CI runs it: the Rust tests in the release profile (built
# together with the Python extension, so that maturin then reuses every compiled
# dependency), then the Python package's tests in a fresh virtual environment.
set -euo pipefail
cd "$(dirname "$0")"
cargo test --release -p lcurve -p lcurve-python
python/test.sh
