#!/usr/bin/env bash
# The production install, one script for the Dockerfile and for test/e2e/production-install.e2e.test.ts, so the
# path the image takes is the path the tests take:
#   scripts/production-install.sh build          in a checkout: every dependency from the lock file, then dist/
#   scripts/production-install.sh install DEST   copy the built tree (dist/, package.json, package-lock.json) to
#                                                DEST and install the production dependencies only
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

usage() {
  echo "usage: $0 build | install DEST" >&2
  exit 2
}

case "${1:-}" in
  build)
    cd "$ROOT"
    npm ci --no-audit --no-fund
    npm run build
    ;;
  install)
    DEST="${2:-}"
    [ -n "$DEST" ] || usage
    if [ ! -f "$ROOT/dist/src/main.js" ]; then
      echo "no built tree in $ROOT/dist: run '$0 build' (or npm run build) first" >&2
      exit 1
    fi
    mkdir -p "$DEST"
    DEST="$(cd "$DEST" && pwd)"
    if [ "$DEST" = "$ROOT" ]; then
      echo "DEST must be another folder than the checkout" >&2
      exit 2
    fi
    rm -rf "$DEST/dist" "$DEST/node_modules"
    cp -R "$ROOT/dist" "$DEST/dist"
    cp "$ROOT/package.json" "$ROOT/package-lock.json" "$DEST/"
    cd "$DEST"
    # The checkout's pre-scripts (prestart, preimport:legacy: build first) cannot run here, with no compiler config,
    # and the build's clean step would delete the dist/ just copied: in the install, `npm start` and
    # `npm run import:legacy` run the built tree as it is.
    node -e '
      const fs = require("fs");
      const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
      for (const name of Object.keys(pkg.scripts ?? {})) if (name.startsWith("pre")) delete pkg.scripts[name];
      fs.writeFileSync("package.json", JSON.stringify(pkg, null, 2) + "\n");
    '
    # What runs in production is exactly `dependencies`: a runtime import left in devDependencies fails here.
    npm ci --omit=dev --no-audit --no-fund
    ;;
  *)
    usage
    ;;
esac
