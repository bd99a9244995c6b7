#!/bin/sh
# Runs the pnpm version pinned in package.json's packageManager field. On a machine that has
# only Node and npm it installs that version first (turbo needs a `pnpm` binary on PATH):
# globally where npm may, else under ~/.local.
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$root/package.json")
if [ "$(pnpm --version 2>/dev/null)" != "$version" ]; then
  if ! npm install --global --silent "pnpm@$version" 2>/dev/null; then
    npm install --global --silent --prefix "$HOME/.local" "pnpm@$version"
    PATH="$HOME/.local/bin:$PATH"
    export PATH
  fi
fi
exec pnpm "$@"
