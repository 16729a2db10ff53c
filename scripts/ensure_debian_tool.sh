#!/usr/bin/env sh
# ensure_debian_tool.sh COMMAND [PACKAGE]: install a Debian package when its command is missing
# and we may (root with apt-get); otherwise say so and fail, so the caller can skip or stop.
# Used for chromium (the browser test; Playwright's own download is not reachable here), wrk
# (the benchmark's load generator) and promtool, from the prometheus package (the alert rules' check).
set -eu
command="$1"
package="${2:-$1}"
command -v "$command" >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
else
  echo "$command is not installed (apt-get install $package)" >&2
  exit 1
fi
