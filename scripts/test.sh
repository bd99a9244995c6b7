#!/bin/sh
# The full test suite, from a fresh clone: dependencies, build, the services the integration
# tests run for real, the static checks, then every test project. One of them, `consumer`
# (packages/consumer-test), packs every public package (`pnpm release:pack`) and installs the
# tarballs with npm and pnpm in scratch projects outside the repository: it needs the npm
# registry for third-party dependencies, and nothing else from the network.
set -e
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
sh scripts/setup.sh
sh scripts/install-services.sh
sh scripts/pnpm.sh exec turbo run typecheck lint check-exports --output-logs=errors-only
sh scripts/pnpm.sh exec vitest run "$@"
