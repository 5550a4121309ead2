#!/usr/bin/env bash
# Smoke test on each supported Python that pyenv provides: a fresh venv per version, the
# package installed as a user installs it (`pip install .`, so the wheel must carry the
# schema), whoosh imported, a few real CLI calls, and a subset of the tests run against the
# installed package rather than the work tree.
#
#   .ci/smoke-pythons.sh                 # 3.10 3.11 3.12 3.13
#   SMOKE_PYTHONS="3.12" .ci/smoke-pythons.sh
#   SMOKE_TESTS="tests/test_dates.py" .ci/smoke-pythons.sh
#
# A version pyenv does not have is reported and skipped; any failure exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

versions=${SMOKE_PYTHONS:-"3.10 3.11 3.12 3.13"}
tests=${SMOKE_TESTS:-"tests/test_records.py tests/test_integrity.py tests/test_dates.py"}
pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
work=$(mktemp -d "${TMPDIR:-/tmp}/cablemgr-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT

find_python() {
    # the newest installed patch release of $1 (e.g. 3.12 -> .../3.12.1/bin/python)
    local found
    found=$(ls -d "$pyenv_root"/versions/"$1".*/bin/python 2>/dev/null | sort -V | tail -n 1)
    [ -n "$found" ] && [ -x "$found" ] && echo "$found"
}

failed=0
summary=""
for version in $versions; do
    python=$(find_python "$version") || python=""
    if [ -z "$python" ]; then
        echo "== Python $version: not installed under $pyenv_root; skipped"
        summary+="$version skipped (not installed)\n"
        continue
    fi
    echo "== Python $version ($python)"
    start=$(date +%s)
    venv="$work/venv-$version"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$repo" \
        "pytest>=7" "hypothesis>=6"
    installed=$(date +%s)
    if (
        set -e
        cd "$work"  # away from the work tree, so the installed package is what runs
        "$venv/bin/python" -c "import whoosh, cablemgr.search.index, cablemgr.cli; \
print('whoosh', whoosh.versionstring(), 'cablemgr', cablemgr.__version__)"
        export CABLEMGR_DB="$work/db-$version/unit.db" CABLEMGR_USER=smoke
        cm="$venv/bin/cablemgr"
        "$cm" --version
        "$cm" init >/dev/null 2>&1
        "$cm" log --title "Smoke test meeting" --body "hotline points of contact" >/dev/null
        "$cm" search hotline --json | "$venv/bin/python" -c \
            "import json, sys; assert json.load(sys.stdin)['total'] == 1"
        "$cm" verify >/dev/null
        "$cm" doctor >/dev/null
        "$cm" backup "$work/backup-$version.db" >/dev/null 2>&1
        unset CABLEMGR_DB CABLEMGR_USER
        # the venv's pytest, not `python -m pytest`: the latter would put the work tree on
        # sys.path and test it instead of the installed package
        cd "$repo"
        "$venv/bin/pytest" -q -x -p no:cacheprovider $tests
    ); then
        end=$(date +%s)
        echo "== Python $version: ok (install $((installed - start)) s, checks $((end - installed)) s)"
        summary+="$version ok: install $((installed - start)) s, checks $((end - installed)) s\n"
    else
        echo "== Python $version: FAILED"
        summary+="$version FAILED\n"
        failed=1
    fi
done
printf "\nSmoke summary:\n%b" "$summary"
exit $failed
