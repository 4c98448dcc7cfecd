# Sourced by scripts/run and scripts/test: create .venv with the machine's Python 3.11 and
# install the given requirements file, skipping pip when the file has not changed since.
set -euo pipefail
req="$1"
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed-$(basename "$req")"
want="$(cat requirements*.txt | sha256sum | cut -c1-16)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req"
    echo "$want" > "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
# Make the repository importable from anywhere in the venv (python -m syncengine ...).
site_dir="$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$PWD" > "$site_dir/syncsite-repo.pth"
