#!/usr/bin/env bash
# Builds the Python package into a fresh virtual environment and runs its tests against
# the command line. pip fetches maturin, which compiles the extension in the release
# profile: after `cargo test --release -p lcurve -p lcurve-python` (same packages, same
# features) every dependency is already built and only the wheel is assembled.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x target/release/lcurve ]]; then
    echo "python/test.sh: no target/release/lcurve; run cargo test --release -p lcurve -p lcurve-python first" >&2
    exit 2
fi
venv=target/python-venv
rm -rf "$venv"
python3 -m venv "$venv"
echo "python/test.sh: building and installing the Python package into $venv (a few minutes when cold)" >&2
"$venv/bin/pip" install --quiet ./python pytest pandas matplotlib mypy
LCURVE_BIN="$PWD/target/release/lcurve" "$venv/bin/python" -m pytest -q python/tests
# The stubs against the compiled extension (run outside python/ so that the installed
# package, not the source folder, is checked).
config="$PWD/python/stubtest.ini"
(cd "$venv" && bin/python -m mypy.stubtest lcurve._native --mypy-config-file "$config")
