#!/usr/bin/env bash
# The spam scoring tests start a real SpamAssassin spamd (test/helpers/spamd.ts); install Debian's
# package spamd when it is missing. Under CI=true an install that fails fails the run; elsewhere the
# other tests still run and the spamd tests fail with a line naming this script.
set -euo pipefail
exec bash "$(dirname "$0")/ensure-debian-package.sh" "${SESAME_SPAMD_BIN:-/usr/sbin/spamd}" spamd \
  "spam scoring tests" --required-in-ci-only --no-recommends
