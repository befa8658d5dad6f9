#!/usr/bin/env bash
# Runs pytest with every temporary file under one directory of its own, removed afterwards (pytest by itself
# keeps its last three base directories in the system's temporary folder).
#   tests/run_pytest.sh PYTHON PYTEST_ARGS...
set -uo pipefail
python=$1
shift
scratch=$(mktemp -d "${TMPDIR:-/tmp}/xpulse-pytest.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
TMPDIR=$scratch "$python" -m pytest -q -p no:cacheprovider --basetemp="$scratch/pytest" "$@"
