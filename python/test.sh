#!/usr/bin/env bash
# Builds the Python package in a fresh virtual environment (maturin, fetched by pip,
# compiles the extension in the workspace's release profile and so reuses the library
# that `cargo test --release` built) and runs its tests against the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet          # the CLI the tests compare with (no-op after cargo test --release)
venv=target/python-venv
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet ./python pytest pandas
LCURVE_BIN="$PWD/target/release/lcurve" "$venv/bin/python" -m pytest -q python/tests
