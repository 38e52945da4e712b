#!/usr/bin/env bash
# Shared set-up for scripts/demo and scripts/test: system packages, a virtual
# environment, the project installed into it. Idempotent and quick on re-runs.
# Usage: source scripts/_setup.sh EXTRAS   (e.g. "hub,kiosk" or "test")
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CANTEEN_VENV:-$ROOT/.venv}"
EXTRAS="${1:-hub,kiosk}"

# Debian package -> a file that proves it is installed (dpkg -s is slow in loops).
APT_PACKAGES=(
  mosquitto mosquitto-clients libzbar0 fonts-noto-cjk
  xvfb xauth libgl1 libgl1-mesa-dri libmtdev1
  chromium
  poppler-utils  # pdftoppm: the supply tests render purchase-order PDFs to PNG
)

missing_apt() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

install_system_packages() {
  local missing
  missing="$(missing_apt)"
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing system packages. Run as root, or install them first:" >&2
    echo "  sudo apt-get install -y $missing" >&2
    exit 1
  fi
  echo "==> apt-get install $missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

python_ok() {
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null
}

find_python() {
  for c in "${PYTHON:-}" python3.12 python3.11 python3.13 python3; do
    [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 && python_ok "$c" && { echo "$c"; return; }
  done
  echo "Python 3.11 or newer is required." >&2
  exit 1
}

make_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    local py
    py="$(find_python)"
    echo "==> creating virtual environment $VENV"
    "$py" -m venv "$VENV" || {
      echo "python venv failed; on Debian/Ubuntu: apt-get install -y python3-venv" >&2
      exit 1
    }
  fi
}

install_project() {
  # Re-install only when pyproject.toml or the extras changed.
  local stamp="$VENV/.canteen-installed"
  local want
  want="$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)-$EXTRAS"
  local hash
  hash="$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)"
  # The "test" extra includes every other one, so it satisfies any request.
  if [ -f "$stamp" ] && { [ "$(cat "$stamp")" = "$want" ] || [ "$(cat "$stamp")" = "$hash-test" ]; }; then
    return 0
  fi
  echo "==> installing canteen-edge[$EXTRAS] into $VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
  "$VENV/bin/python" -m pip install -q -e "$ROOT[$EXTRAS]"
  echo "$want" > "$stamp"
}

install_system_packages
make_venv
install_project
export PATH="$VENV/bin:$PATH"
export ESCPOS_CAPABILITIES_PICKLE_DIR="${ESCPOS_CAPABILITIES_PICKLE_DIR:-$ROOT/.cache/escpos}"
mkdir -p "$ESCPOS_CAPABILITIES_PICKLE_DIR"
