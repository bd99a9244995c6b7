#!/bin/sh
# Installs the workspace's dependencies (frozen lockfile) and builds every package.
set -e
cd "$(dirname "$0")/.."
sh scripts/pnpm.sh install --frozen-lockfile --reporter=append-only
sh scripts/pnpm.sh exec turbo run build --output-logs=errors-only
