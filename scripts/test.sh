#!/usr/bin/env bash
# The whole test command (`npm test`): format + lint + type-check, then every test on SQLite and
# PostgreSQL (and Redis, Chromium and SpamAssassin's spamd where a test needs them). Under CI=true a
# missing service fails the run with a line naming it; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== check: format, lint (zero warnings), types, module rules"
npx biome ci --error-on-warnings .
npx tsc --noEmit
npx depcruise src --config .dependency-cruiser.cjs --output-type err
# The JavaScript build the service runs (dist/): the tests that start `sesame` as an operator does
# (bin/sesame.js) run it, test/integration/build.test.ts checks it.
node scripts/build.mjs

bash scripts/ensure-spamd.sh # the reception's spam scoring tests (integration, in both modes)
# mbsync, one of the IMAP clients the IMAP tests use (imapflow and Python's imaplib are the others)
bash scripts/ensure-debian-package.sh /usr/bin/mbsync isync "IMAP client tests (mbsync)" --required-in-ci-only --no-recommends
# HAProxy in front of two instances (test/integration/haproxy.test.ts, configured from deploy/haproxy.cfg)
bash scripts/ensure-debian-package.sh /usr/sbin/haproxy haproxy "several instances behind HAProxy" --required-in-ci-only --no-recommends
# promtool checks the Prometheus alert rules (test/unit/alert-rules.test.ts, deploy/alerts.yml)
bash scripts/ensure-debian-package.sh /usr/bin/promtool prometheus "Prometheus alert rules check (promtool)" --required-in-ci-only --no-recommends
if [ "${1:-}" != "unit" ]; then
  bash scripts/ensure-chromium.sh
fi

mapfile -t files < <(find src test -name '*.test.ts' -o -name '*.test.tsx' | sort)
if [ "${1:-}" = "unit" ]; then
  mapfile -t files < <(printf '%s\n' "${files[@]}" | grep -v '/e2e/')
fi
echo "== tests: ${#files[@]} files"
# TAP on standard output as before; every failure repeated at the very end (scripts/failures-reporter.mjs).
exec node --import tsx --test --test-concurrency=2 \
  --test-reporter=tap --test-reporter-destination=stdout \
  --test-reporter=./scripts/failures-reporter.mjs --test-reporter-destination=stdout \
  "${files[@]}"
