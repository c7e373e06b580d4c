#!/usr/bin/env bash
# The spam scoring tests start a real SpamAssassin spamd (test/helpers/spamd.ts); install Debian's
# package spamd when it is missing. Under CI=true an install that fails fails the run; elsewhere the
# other tests still run and the spamd tests fail with a line naming this script.
set -euo pipefail
spamd_bin="${SESAME_SPAMD_BIN:-/usr/sbin/spamd}"
if [ -x "$spamd_bin" ]; then exit 0; fi
echo "== installing Debian's spamd (spam scoring tests)"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || true
  apt-get install -y -qq --no-install-recommends spamd >/dev/null || true
elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
  (sudo apt-get update -qq >/dev/null && sudo apt-get install -y -qq --no-install-recommends spamd >/dev/null) || true
fi
if [ ! -x "$spamd_bin" ]; then
  echo "spamd is missing at $spamd_bin and could not be installed: install Debian's package spamd" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
fi
exit 0
