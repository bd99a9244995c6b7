#!/bin/sh
# Packs fosspush-server and the @fosspush packages it depends on (not its dev dependencies) as
# npm tarballs, for installing on a server without a registry: docs/push-server.md, "Install".
# Usage: sh scripts/pack-push-server.sh DIR      (after sh scripts/setup.sh, which builds)
set -e
cd "$(dirname "$0")/.."
dest=${1:?usage: sh scripts/pack-push-server.sh DIR}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
[ -f apps/push-server/dist/cli.js ] || { echo "pack-push-server: build first (sh scripts/setup.sh)" >&2; exit 1; }
# pnpm pack turns workspace: ranges into the packages' versions, so npm can resolve them
# among the tarballs installed together. Named after the full package name: `@fosspush/server`
# and `fosspush-server` would otherwise both be fosspush-server-0.1.0.tgz.
DEST="$dest" sh scripts/pnpm.sh --filter-prod 'fosspush-server...' -r exec sh -c \
  'name=$(printf %s "$PNPM_PACKAGE_NAME" | tr -d @ | tr / +); pnpm pack --out "$DEST/$name-%v.tgz" >/dev/null'
ls "$dest"/*.tgz
