#!/bin/sh
# On-demand check of docs/push-server.md's "Install" and "systemd" sections, on this machine:
#   1. both systemd units pass `systemd-analyze verify`, and their exposure scores
#      (`systemd-analyze security --offline=true`) are printed and bounded;
#   2. the Install section, verbatim (folders moved into a scratch folder): build, pack, npm
#      install of the tarballs (npm registry needed; compiling better-sqlite3 takes minutes);
#   3. the unit file lands where the page says, identical to the repository's;
#   4. the installed server runs as the unit runs it: its ExecStart flags, an unprivileged user,
#      no capabilities, umask 077, /proc with subset=pid and hidepid=invisible, and the unit's
#      SystemCallFilter applied by scripts/systemd-sandbox.py (a call outside it kills the
#      process); through it: subscribe, pushes over WebSocket and SSE, /healthz only on the
#      operator port, `fosspush-server backup`, private files, SIGTERM drain with exit 0.
# Step 4 stands in for `systemd-run -p SystemCallFilter=...`, which needs systemd as PID 1.
#
# Usage (root; Debian packages systemd, python3-seccomp, util-linux):
#   sh scripts/self-host-check.sh               # everything, 5-10 minutes (npm compiles better-sqlite3)
#   sh scripts/self-host-check.sh --from-build  # skip 2-3: run the checkout's build output
set -e
cd "$(dirname "$0")/.."
root=$(pwd)
from_build=""
[ "$1" = "--from-build" ] && from_build=1
[ "$(id -u)" -eq 0 ] || { echo "self-host-check: run as root (it drops to nobody itself)" >&2; exit 1; }
/usr/bin/python3 -c 'import seccomp' 2>/dev/null || { echo "self-host-check: apt-get install python3-seccomp" >&2; exit 1; }

work=$(mktemp -d /tmp/fosspush-selfhost.XXXXXX)
chmod 755 "$work"
server_pid=""
daemon_pid=""
# A confined process is unshare's child (which execs down to node): stop that one, then unshare.
stop_confined() {
  [ -n "$1" ] || return 0
  kill "$(pgrep -P "$(pgrep -P "$1")")" 2>/dev/null
  sleep 1
  kill $(pgrep -P "$1") 2>/dev/null
  kill "$1" 2>/dev/null
}
cleanup() {
  stop_confined "$daemon_pid"
  stop_confined "$server_pid"
  rm -rf "$work"
}
trap cleanup EXIT
tsx() { node --import tsx --conditions=@fosspush/source "$@"; }
unit=apps/push-server/systemd/fosspush-server.service

echo "== 1. systemd units"
systemd-analyze verify "$unit"
score=$(systemd-analyze security --offline=true "$unit" | sed -n 's/.*exposure level for .*: \([0-9.]*\) .*/\1/p')
echo "fosspush-server.service: exposure $score"
awk "BEGIN { exit !($score <= 1.5) }" || { echo "self-host-check: fosspush-server.service scores $score, above 1.5" >&2; exit 1; }
systemd-analyze verify apps/daemon/systemd/fosspushd.service
# `--user` needs a running user manager; scored as a system unit, the user unit's settings that a
# user manager cannot apply anyway (ProtectSystem and friends) count against it.
user_score=$(systemd-analyze security --offline=true apps/daemon/systemd/fosspushd.service | sed -n 's/.*exposure level for .*: \([0-9.]*\) .*/\1/p')
echo "fosspushd.service (user unit, scored as a system unit): exposure $user_score"

if [ -z "$from_build" ]; then
  echo "== 2. Install, as docs/push-server.md says"
  tsx apps/push-server/test/self-host/install-steps.ts "$root" "$work" > "$work/install.sh"
  # The page puts the command in /usr/local/bin, on every PATH; here it is the scratch bin.
  PATH="$work/bin:$PATH" sh "$work/install.sh"
  binary="$work/bin/fosspush-server"
  echo "== 3. The unit file lands in the package"
  cmp "$work/opt/fosspush/node_modules/@fosspush/push-server/systemd/fosspush-server.service" "$unit"
  echo "$work/opt/fosspush/node_modules/@fosspush/push-server/systemd/fosspush-server.service = $unit"
else
  binary="$root/apps/push-server/dist/cli.js"
  [ -f "$binary" ] || { echo "self-host-check: build first (sh scripts/setup.sh)" >&2; exit 1; }
fi

echo "== 4. The server, confined as the unit confines it"
state="$work/state"
mkdir -p "$state" && chown 65534:65534 "$state" && chmod 0700 "$state"
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
admin=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
# ExecStart's flags, with free ports, the scratch database and this address as the public URL.
flags=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$unit" | tr -d '\\\n' | sed 's/^ExecStart=\/usr\/bin\/env fosspush-server//' \
  | sed "s|127.0.0.1:8080|127.0.0.1:$port|; s|127.0.0.1:9464|127.0.0.1:$admin|; s|/var/lib/fosspush/server.db|$state/server.db|; s|https://push.example.org|http://127.0.0.1:$port|")
echo "fosspush-server$flags"
confined() {
  unit_file=$1
  shift
  unshare --mount --pid --fork --kill-child sh -c '
    mount -t proc -o hidepid=invisible,subset=pid proc /proc &&
    exec setpriv --reuid=65534 --regid=65534 --clear-groups --bounding-set=-all --inh-caps=-all --no-new-privs \
      sh -c "umask 077 && exec /usr/bin/python3 $0 $1 -- \"\$@\"" "$@"' "$root/scripts/systemd-sandbox.py" "$root/$unit_file" "$@"
}
# The process a confined() call runs: unshare's child, which execs down to node.
confined_pid() { pgrep -P "$(pgrep -P "$1")"; }
# shellcheck disable=SC2086
confined "$unit" node "$binary" $flags > "$work/server.out" 2> "$work/server.err" &
server_pid=$!
for _ in $(seq 1 100); do grep -q "operator endpoints on" "$work/server.out" 2>/dev/null && break; sleep 0.1; done
grep -q "operator endpoints on" "$work/server.out" || { cat "$work/server.out" "$work/server.err" >&2; exit 1; }
cat "$work/server.out"
tsx apps/push-server/test/self-host/check-deployment.ts "http://127.0.0.1:$port" "http://127.0.0.1:$admin"
confined "$unit" node "$binary" backup --db "$state/server.db" "$state/backup.db"
for file in server.db server.db-wal backup.db; do
  mode=$(stat -c %a "$state/$file")
  echo "$file: mode $mode, owner $(stat -c %u "$state/$file")"
  [ "$mode" = 600 ] || { echo "self-host-check: $file is $mode, not 600" >&2; exit 1; }
done

echo "== 5. fosspushd, confined as its user unit confines it, against that server"
daemon_data="$work/daemon"
mkdir -p "$daemon_data" && chown 65534:65534 "$daemon_data" && chmod 0700 "$daemon_data"
confined apps/daemon/systemd/fosspushd.service node "$root/apps/daemon/dist/cli.js" --server "http://127.0.0.1:$port" \
  --data "$daemon_data" --socket "$daemon_data/daemon.sock" > "$work/daemon.out" 2> "$work/daemon.err" &
daemon_pid=$!
for _ in $(seq 1 100); do [ -S "$daemon_data/daemon.sock" ] && break; sleep 0.1; done
# As the daemon's user: fosspushd refuses a socket folder that another user owns.
setpriv --reuid=65534 --regid=65534 --clear-groups node "$root/apps/daemon/dist/cli.js" status --socket "$daemon_data/daemon.sock" || { cat "$work/daemon.err" >&2; exit 1; }
kill -TERM "$(confined_pid "$daemon_pid")"
daemon_status=0
wait "$daemon_pid" || daemon_status=$?
daemon_pid=""
echo "fosspushd exit status after SIGTERM: $daemon_status"
[ "$daemon_status" -eq 0 ] || { echo "self-host-check: fosspushd exited $daemon_status (159 is SIGSYS)" >&2; cat "$work/daemon.err" >&2; exit 1; }

echo "== 6. Drain"
kill -TERM "$(confined_pid "$server_pid")"
status=0
wait "$server_pid" || status=$?
server_pid=""
echo "exit status after SIGTERM: $status"
grep -q '"event":"stopped"' "$work/server.err" || { cat "$work/server.err" >&2; exit 1; }
[ "$status" -eq 0 ] || { echo "self-host-check: the server exited $status (159 is SIGSYS: a system call outside the filter)" >&2; cat "$work/server.err" >&2; exit 1; }
echo "self-host-check: ok"
