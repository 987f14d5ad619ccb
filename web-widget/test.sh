#!/usr/bin/env bash
# Browser tests of the web widget in headless Chromium (Debian's chromium + playwright-core).
# Run web-widget/build.sh first. Screenshots go to web-widget/artifacts/.
#   CHROMIUM_PATH=/path/to/chromium web-widget/test.sh   (default /usr/bin/chromium)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "${here}"
if [ ! -d node_modules/playwright-core ]; then
    npm ci --no-audit --no-fund
fi
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "${chromium}" ] && [ -z "${CHROMIUM_PATH:-}" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> web-widget: installing Debian's chromium"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [ ! -x "${chromium}" ]; then
    echo "web-widget: Chromium not found at ${chromium} (apt-get install chromium, or set CHROMIUM_PATH)" >&2
    exit 1
fi
# One file at a time: the machines have few cores and each file starts its own browser.
node --test --test-concurrency=1 tests/widget.test.mjs tests/security.test.mjs tests/report.test.mjs tests/reporting.test.mjs tests/notices.test.mjs
