#!/usr/bin/env bash
# Builds a browser bundle of Sinch's public JavaScript SDK 1.4.12 (npm
# sinch-rtc, the 1.x generation) for the browser interop tests, which load
# it in headless Chromium as a call peer (docs/sinch-rtc-1x.md).
#
#   internal/browsertest/sinchjs/bundle.sh [outdir]
#
# outdir defaults to internal/browsertest/sinchjs/dist (gitignored). It ends
# up holding npm/ (the packages) and sinch-rtc-1.4.12.js (the bundle). The
# SDK is proprietary: this script fetches it at test time from the npm
# registry; never commit its package or the bundle.
#
# The package's main file is a Node build. esbuild bundles it for the
# browser with our shims (shim/) in place of its Node-only dependencies
# (wrtc, xmlhttprequest, localStorage, btoa), and global defined as window.
# Two module-level declarations of that build then still hide the browser's
# globals (a local `window` initialised from itself, a local `navigator`
# defaulting to a stub): each gets a one-line textual patch, checked to
# apply exactly once.
#
# Needs node and npm (apt-get install -y nodejs npm) and the registry; run it
# before entering a network namespace without a route out.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/dist}
sdk_version=1.4.12
esbuild_version=0.28.2

mkdir -p "$out/npm"
out=$(cd "$out" && pwd)
# A package.json of its own keeps npm from installing into a parent folder.
[ -f "$out/npm/package.json" ] || echo '{"name":"sinchjs-bundle","private":true}' >"$out/npm/package.json"
bundle=$out/sinch-rtc-$sdk_version.js

if [ ! -x "$out/npm/node_modules/.bin/esbuild" ] || [ ! -f "$out/npm/node_modules/sinch-rtc/package.json" ]; then
  # --ignore-scripts: nothing from the registry runs at install time (esbuild
  # finds its platform binary in its optional dependency without it).
  (cd "$out/npm" && npm install --no-audit --no-fund --ignore-scripts --no-save \
    "sinch-rtc@$sdk_version" "esbuild@$esbuild_version" >/dev/null)
fi
installed=$(node -p "require('$out/npm/node_modules/sinch-rtc/package.json').version")
if [ "$installed" != "$sdk_version" ]; then
  echo "bundle.sh: npm installed sinch-rtc $installed, want $sdk_version" >&2
  exit 1
fi

cp "$here/entry.js" "$out/npm/entry.js"
(cd "$out/npm" && ./node_modules/.bin/esbuild entry.js --bundle --platform=browser --format=iife \
  --define:global=window \
  --alias:wrtc="$here/shim/wrtc.js" \
  --alias:xmlhttprequest="$here/shim/xmlhttprequest.js" \
  --alias:localStorage="$here/shim/localStorage.js" \
  --alias:btoa="$here/shim/btoa.js" \
  --log-level=warning --outfile="$bundle.tmp")

# patch replaces the one line of the bundle matching the extended regular
# expression $1 by the sed replacement $2, and fails unless exactly one line
# matched.
patch() {
  local n
  n=$(grep -cE "$1" "$bundle.tmp" || true)
  if [ "$n" != 1 ]; then
    echo "bundle.sh: expected one line matching '$1' in the bundle, found $n: the SDK build changed" >&2
    exit 1
  fi
  sed -E -i "s/$1/$2/" "$bundle.tmp"
}
# `var window = window || global` (esbuild renames the local to windowN):
# the page's global object.
patch '^( *var )(window[0-9]*) = \2 \|\| \2;$' '\1\2 = globalThis;'
# `var navigator = navigator || {stub}`: the browser's navigator.
patch '^( *var navigator = )navigator \|\| ' '\1globalThis.navigator || '

mv "$bundle.tmp" "$bundle"
echo "$bundle"
