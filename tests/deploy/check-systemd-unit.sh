#!/usr/bin/env bash
# deploy/respite.service, checked offline: `systemd-analyze verify` (syntax, directives, the
# binary it starts: the one tools/build.sh made, in place of /usr/local/bin/respite) and
# `systemd-analyze security --offline` (the hardening: exposure at most 2.0 of 10). No systemd
# runs here (CI machines are containers), so the unit is not started.
#   usage: tests/deploy/check-systemd-unit.sh      Environment: RESPITE_BIN (build/respite)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RESPITE_BIN=${RESPITE_BIN:-$REPO/build/respite}
command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing (apt-get install systemd)" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|/usr/local/bin/respite|$RESPITE_BIN|" "$REPO/deploy/respite.service" >"$dir/respite.service"
systemd-analyze verify "$dir/respite.service"
systemd-analyze security --offline=yes --threshold=20 --no-pager "$dir/respite.service" |
  tail -1
echo "respite.service: verified, exposure within 2.0"
