#!/usr/bin/env bash
# Installs a Debian package when the program a test or a benchmark needs is missing:
#   ensure-debian-package.sh <program path> <package> <what needs it> [--required-in-ci-only] [--no-recommends]
# Missing after the attempt: exit 1, or, with --required-in-ci-only, exit 1 under CI=true only
# (elsewhere the other tests run and the ones that need it fail with a line naming the package).
# --no-recommends: the package alone, without what it recommends.
set -euo pipefail
program="$1"
package="$2"
purpose="$3"
required_in_ci_only=false
apt_options=(-y -qq)
for flag in "${@:4}"; do
  case "$flag" in
    --required-in-ci-only) required_in_ci_only=true ;;
    --no-recommends) apt_options+=(--no-install-recommends) ;;
    *) echo "ensure-debian-package.sh: unknown option $flag" >&2; exit 2 ;;
  esac
done
if [ -x "$program" ]; then exit 0; fi
echo "== installing Debian's $package ($purpose)"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || true
  apt-get install "${apt_options[@]}" "$package" >/dev/null || true
elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
  (sudo apt-get update -qq >/dev/null && sudo DEBIAN_FRONTEND=noninteractive apt-get install "${apt_options[@]}" "$package" >/dev/null) || true
fi
if [ ! -x "$program" ]; then
  echo "$program is missing and could not be installed: install Debian's package $package" >&2
  if [ "$required_in_ci_only" = false ] || [ "${CI:-}" = "true" ]; then exit 1; fi
fi
exit 0
