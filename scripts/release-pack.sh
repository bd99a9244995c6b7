#!/bin/sh
# Writes every public package's tarball into one folder (default: release/), as `npm publish`
# would upload it: built, with `workspace:` ranges replaced by real versions (pnpm pack does
# that). Fails if two packages would pack to the same file name.
#   sh scripts/release-pack.sh [DIR]    (pnpm release:pack)
set -e
cd "$(dirname "$0")/.."
root=$(pwd)
dest=${1:-release}
case $dest in /*) ;; *) dest="$root/$dest" ;; esac
if [ "${FOSSPUSH_SKIP_BUILD:-}" != 1 ]; then
  sh scripts/pnpm.sh exec turbo run build --output-logs=errors-only
fi
rm -rf "$dest"
mkdir -p "$dest"
count=0
for manifest in packages/*/package.json apps/*/package.json; do
  dir=$(dirname "$manifest")
  if node -e 'process.exit(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).private ? 0 : 1)' "$manifest"; then
    continue
  fi
  (cd "$dir" && sh "$root/scripts/pnpm.sh" pack --pack-destination "$dest" >/dev/null)
  count=$((count + 1))
done
packed=$(ls "$dest"/*.tgz | wc -l)
if [ "$packed" -ne "$count" ]; then
  echo "release-pack: $count packages but $packed tarballs in $dest: two packages pack to the same file name" >&2
  exit 1
fi
echo "release-pack: $count tarballs in $dest"
