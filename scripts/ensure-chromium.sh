#!/usr/bin/env bash
# Browser tests drive Debian's Chromium through playwright-core; install it when missing.
set -euo pipefail
chromium_bin="${SESAME_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium_bin" ]; then exit 0; fi
echo "== installing Debian's chromium (browser tests)"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq chromium >/dev/null
elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
  sudo apt-get update -qq >/dev/null && sudo apt-get install -y -qq chromium >/dev/null
fi
if [ ! -x "$chromium_bin" ]; then
  echo "Chromium is missing at $chromium_bin and could not be installed: install Debian's package chromium" >&2
  exit 1
fi
