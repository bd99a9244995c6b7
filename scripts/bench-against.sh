#!/bin/sh
# Runs one package's benchmark on another revision and on this tree, in alternating rounds, so that
# both see the same load on a shared machine: "before and after, in one run".
#
#   sh scripts/bench-against.sh <revision> <package folder> [rounds]
#   FOSSPUSH_BENCH_ONLY=fanout sh scripts/bench-against.sh c978457 packages/server 2
#
# The other revision is checked out and built once, in a temporary worktree kept under
# $TMPDIR/fosspush-bench-<revision> for later runs. Each round's JSON lands in
# bench/results/against/<revision|head>-<round>-<suite>.json.
set -eu
[ $# -ge 2 ] || { sed -n '2,10p' "$0"; exit 2; }
revision=$1 folder=$2 rounds=${3:-2}
here=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$here" rev-parse --short "$revision")
base=${TMPDIR:-/tmp}/fosspush-bench-$commit
if [ ! -d "$base" ]; then
  git -C "$here" worktree add --detach "$base" "$commit"
  (cd "$base" && sh scripts/setup.sh)
fi
(cd "$here" && sh scripts/pnpm.sh exec turbo run build >/dev/null)
out=$here/bench/results/against
mkdir -p "$out"
round=1
while [ "$round" -le "$rounds" ]; do
  for side in "$commit:$base" "head:$here"; do
    label=${side%%:*} tree=${side#*:}
    echo "== round $round/$rounds: $label ($folder)"
    marker=$(mktemp)
    (cd "$tree/$folder" && sh "$tree/scripts/pnpm.sh" run bench)
    find "$tree/bench/results" -maxdepth 1 -name '*.json' -newer "$marker" | while read -r result; do
      cp "$result" "$out/$label-$round-$(basename "$result")"
    done
    rm -f "$marker"
  done
  round=$((round + 1))
done
echo "results: $out"
