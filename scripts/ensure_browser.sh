#!/usr/bin/env sh
# The browser tests drive Debian's Chromium (Playwright's own browser download cannot be used
# here). Install it when missing and we may; otherwise the browser test says why it skipped.
set -eu
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "chromium is not installed (apt-get install chromium): the browser test will be skipped" >&2
fi
