#!/usr/bin/env bash
# Browser tests drive Debian's Chromium through playwright-core; install it when missing.
set -euo pipefail
exec bash "$(dirname "$0")/ensure-debian-package.sh" "${SESAME_CHROMIUM:-/usr/bin/chromium}" chromium "browser tests"
