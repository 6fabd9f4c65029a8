#!/usr/bin/env bash
# Create or update the project's virtual environment (.venv) and the Debian packages it needs.
# Idempotent: a second run only compares a hash and returns.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"

missing=()
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
# resemblyzer depends on the name webrtcvad, an sdist that pip compiles: it needs a C compiler and Python's headers
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
[ -f "$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h" ] || missing+=(python3-dev)
if ((${#missing[@]})); then
  echo "[setup] installing Debian packages: ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x "$venv/bin/python" ] || { echo "[setup] creating $venv" >&2; python3 -m venv "$venv"; }

stamp="$venv/.cstoolkit-installed"
want=$(cat "$root/pyproject.toml" "$root/scripts/setup_env.sh" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "[setup] installing Python packages into $venv (first run takes a few minutes)" >&2
  "$venv/bin/pip" install -qq --disable-pip-version-check -e "$root[dev]"
  echo "$want" >"$stamp.tmp" && mv "$stamp.tmp" "$stamp"
fi
