#!/usr/bin/env bash
# A real mail system on loopback for the email channel's tests, benchmarks and local trials: an
# IMAP server with LMTP, Sieve and ManageSieve, either Dovecot 2.3 (the default) or Cyrus IMAP
# 3.6 (IMAP_SERVER=cyrus), and Postfix 3.7 (SMTP) delivering to it over LMTP, all listening on
# 127.0.0.1 only, all state in one scratch folder, stopped by PID.
#
#   scripts/mail-rig.sh install                      installs the servers when missing (root)
#   RIG=/tmp/rig scripts/mail-rig.sh start USER...   starts a rig; USER is name[:password]
#   RIG=/tmp/rig scripts/mail-rig.sh stop            stops it (both masters, by PID)
#   RIG=/tmp/rig scripts/mail-rig.sh status          prints its ports and whether it runs
#   RIG=/tmp/rig scripts/mail-rig.sh add-user USER   adds a user to a running rig
#   RIG=/tmp/rig scripts/mail-rig.sh clear NAME      expunges every message of a user
#   RIG=/tmp/rig scripts/mail-rig.sh imap-stop|imap-start   for outage tests (the IMAP server
#                                                    alone; dovecot-stop|dovecot-start too)
#
# start options (before the users):
#   --no-sieve NAME   this user gets no Sieve rule, so notifications land in INBOX
#                     (repeatable; the way to test a mailbox whose server has no Sieve)
# Environment: IMAP_SERVER (dovecot or cyrus), MAIL_DOMAIN (example.test), MARKER_HEADER (the
# Email-notify marker header the rule files by), NOTIFY_FOLDER (Fosspush), IDLE_NOTIFY_INTERVAL
# (Dovecot's imap_idle_notify_interval, "2 mins"), and IMAP_PORT,
# SMTP_PORT, LMTP_PORT, SIEVE_PORT to pin ports (otherwise free ones are picked).
# `start` writes RIG/rig.env (ports, pids) and prints it.
set -euo pipefail

MAIL_DOMAIN=${MAIL_DOMAIN:-example.test}
MARKER_HEADER=${MARKER_HEADER:-Fosspush-Notify}
NOTIFY_FOLDER=${NOTIFY_FOLDER:-Fosspush}
IDLE_NOTIFY_INTERVAL=${IDLE_NOTIFY_INTERVAL:-2 mins}
# Dovecot refuses root for mail access; a numeric uid needs no passwd entry.
MAIL_UID=5000
IMAP_SERVER=${IMAP_SERVER:-dovecot}
# cyrus-imapd and dovecot-imapd conflict as Debian packages (both provide imap-server), so the
# rig takes Cyrus's IMAP daemon from Debian's cyrus-imapd package unpacked into its own folder
# (`install` does it); cyrus-common, which it installs normally, has everything else.
CYRUS_IMAPD_DIR=${CYRUS_IMAPD_DIR:-/opt/fosspush/cyrus-imapd}
PACKAGES=(dovecot-imapd dovecot-lmtpd dovecot-sieve dovecot-managesieved postfix cyrus-common sasl2-bin)

say() { printf 'mail-rig: %s\n' "$*" >&2; }
STARTING=0
die() {
  say "error: $*"
  # A failed start leaves nothing running behind it.
  [ "$STARTING" -eq 0 ] || stop_masters
  exit 1
}

need_rig() {
  [ -n "${RIG:-}" ] || die "set RIG to the scratch folder, e.g. RIG=/tmp/mail-rig $0 $1"
  mkdir -p "$RIG"
  RIG=$(cd "$RIG" && pwd)
  # A rig started inside a private folder keeps the servers' files elsewhere (relocate_if_private).
  if [ -L "$RIG/.server-root" ] && [ -d "$RIG/.server-root" ]; then RIG=$(readlink -f "$RIG/.server-root"); fi
}

# The first folder above $1 that other users cannot pass through (no o+x): the servers' own
# users (postfix, the mail uid, cyrus) then cannot reach anything inside it.
private_ancestor() {
  local dir=$1 mode
  while [ "$dir" != / ]; do
    dir=$(dirname "$dir")
    mode=$(stat -c %a "$dir")
    [ $((8#$mode & 1)) -eq 1 ] || { echo "$dir"; return; }
  done
}

# Postfix, Dovecot's mail processes and Cyrus run as their own users and must open files under
# RIG: inside a private folder (mktemp -d makes them 0700) Postfix cannot even open its lock
# file. Rather than loosen the caller's folder, the servers' files then go to a folder of their
# own under /tmp; RIG gets links to it (.server-root, rig.env, log), and stop removes it.
relocate_if_private() {
  local blocked root
  blocked=$(private_ancestor "$RIG")
  [ -n "$blocked" ] || return 0
  root=$(mktemp -d /tmp/fosspush-mail-rig.XXXXXX) ||
    die "$blocked is private (mode $(stat -c %a "$blocked")), so Postfix and the IMAP server cannot reach $RIG, and no folder could be made under /tmp instead"
  chmod 755 "$root"
  [ -z "$(private_ancestor "$root")" ] ||
    die "$blocked is private (mode $(stat -c %a "$blocked")), so Postfix and the IMAP server cannot reach $RIG; /tmp is no better ($(private_ancestor "$root") is private): start the rig in a folder every user can pass through"
  say "$blocked is private (mode $(stat -c %a "$blocked")), which Postfix and the IMAP server cannot pass: their files are in $root ($RIG/.server-root)"
  ln -sfn "$root" "$RIG/.server-root"
  mkdir -p "$root/log"
  rm -rf "$RIG/log"
  ln -sfn "$root/log" "$RIG/log"
  ln -sfn "$root/rig.env" "$RIG/rig.env"
  RIG_LINK=$RIG
  RIG=$root
}

cmd_install() {
  local missing=()
  for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "installed already: ${PACKAGES[*]}"
    cmd_install_cyrus_imapd
    return
  fi
  [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}; run '$0 install' as root to apt-install them"
  say "installing ${missing[*]} from Debian's packages"
  # The rig runs its own instances; the system-wide services must not start during install.
  POLICY=/usr/sbin/policy-rc.d
  POLICY_PLACED=0
  if [ ! -e "$POLICY" ]; then
    say "placing a temporary $POLICY so apt starts no services"
    printf '#!/bin/sh\nexit 101\n' >"$POLICY"
    chmod 755 "$POLICY"
    POLICY_PLACED=1
  fi
  # Also when apt fails: the machine must not keep refusing to start services.
  trap 'if [ "$POLICY_PLACED" -eq 1 ]; then rm -f "$POLICY"; fi' EXIT
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  if ! apt-cache policy postfix 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    say "apt-get update"
    apt-get update -q
  fi
  say "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  if [ "$POLICY_PLACED" -eq 1 ]; then
    rm -f "$POLICY"
    say "removed the temporary $POLICY"
  fi
  trap - EXIT
  cmd_install_cyrus_imapd
}

# Where Cyrus's imapd and idled are: the installed package's, or the unpacked one's.
cyrus_imapd_bin() {
  if [ -x /usr/lib/cyrus/bin/imapd ]; then echo /usr/lib/cyrus/bin; else echo "$CYRUS_IMAPD_DIR/usr/lib/cyrus/bin"; fi
}

# Unpacks Debian's cyrus-imapd (the version apt has, which matches cyrus-common) into
# CYRUS_IMAPD_DIR without installing it: installing it would remove dovecot-imapd.
cmd_install_cyrus_imapd() {
  [ -x "$(cyrus_imapd_bin)/imapd" ] && return
  [ "$(id -u)" -eq 0 ] || die "no Cyrus imapd; run '$0 install' as root to unpack Debian's cyrus-imapd into $CYRUS_IMAPD_DIR"
  local tmp
  tmp=$(mktemp -d)
  say "unpacking Debian's cyrus-imapd into $CYRUS_IMAPD_DIR (not installed: it conflicts with dovecot-imapd)"
  (cd "$tmp" && apt-get download -q cyrus-imapd >/dev/null 2>&1) || { rm -rf "$tmp"; die "apt-get download cyrus-imapd failed"; }
  mkdir -p "$CYRUS_IMAPD_DIR"
  dpkg-deb -x "$tmp"/cyrus-imapd_*.deb "$CYRUS_IMAPD_DIR"
  rm -rf "$tmp"
}

check_tools() {
  local tools=(postfix)
  case $IMAP_SERVER in
    dovecot) tools+=(dovecot doveadm sievec) ;;
    cyrus) tools+=(cyrmaster saslpasswd2) ;;
    *) die "IMAP_SERVER must be dovecot or cyrus, not '$IMAP_SERVER'" ;;
  esac
  if [ "$IMAP_SERVER" = cyrus ] && [ ! -x "$(cyrus_imapd_bin)/imapd" ]; then
    die "Cyrus imapd not found in /usr/lib/cyrus/bin or $CYRUS_IMAPD_DIR: run '$0 install' as root first"
  fi
  for tool in "${tools[@]}"; do
    command -v "$tool" >/dev/null || PATH="$PATH:/usr/sbin" command -v "$tool" >/dev/null ||
      die "$tool not found: run '$0 install' as root first"
  done
  PATH="$PATH:/usr/sbin"
}

# Any TCP socket on the port counts: an outgoing connection's local port blocks a listener too.
port_in_use() {
  [ -n "$(ss -Htan "sport = :$1" 2>/dev/null)" ]
}

# A free port below the kernel's ephemeral range (where outgoing connections take their local
# ports), not already taken by another port of this rig.
pick_port() {
  local taken=" $* " port low
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  [ "$low" -gt 11000 ] || low=32768
  for _ in $(seq 1 200); do
    port=$((10000 + RANDOM % (low - 10000)))
    case $taken in *" $port "*) continue ;; esac
    port_in_use "$port" || { echo "$port"; return; }
  done
  die "no free port found"
}

# Waits until a server answers with its greeting (an open port alone is not enough: Postfix's
# smtpd accepts TCP before it can serve, and dies without Dovecot's auth socket).
wait_banner() {
  local port=$1 expect=$2 name=$3 line
  for _ in $(seq 1 100); do
    # In a subshell: a refused connection makes `exec` end the shell that runs it.
    line=$( (exec 3<>"/dev/tcp/127.0.0.1/$port" && IFS= read -r -t 2 greeting <&3 && printf '%s' "$greeting") 2>/dev/null || true)
    case $line in "$expect"*) return 0 ;; esac
    sleep 0.05
  done
  die "$name gave no '$expect' greeting on port $port (see $RIG/log)"
}

user_line() {
  local name=$1 password=$2 extra=$3
  printf '%s:{PLAIN}%s:%s:%s::%s/mail/%s::%s\n' "$name" "$password" "$MAIL_UID" "$MAIL_UID" "$RIG" "$name" "$extra"
}

# Cyrus: the realm SASL looks logins up in (its servername).
cyrus_realm() { echo "rig.$MAIL_DOMAIN"; }

add_user() {
  local spec=$1 nosieve=$2 name password extra=""
  name=${spec%%:*}
  password=${spec#*:}
  [ "$password" != "$spec" ] || password="$name-password"
  [[ $name =~ ^[a-z0-9][a-z0-9._-]*$ ]] || die "user name '$name' must be lower-case letters, digits, . _ -"
  case $password in *:* | *' '*) die "password of $name must not contain ':' or spaces" ;; esac
  if grep -q "^$name:" "$RIG/users" 2>/dev/null; then
    sed -i "/^$name:/d" "$RIG/users"
    sed -i "/^$name@/d" "$RIG/postfix/vmailbox"
  fi
  echo "$name@$MAIL_DOMAIN OK" >>"$RIG/postfix/vmailbox"
  if [ "$IMAP_SERVER" = cyrus ]; then
    # The rig's own record (clear logs in as the user); Cyrus checks logins against sasldb.
    printf '%s:%s:%s\n' "$name" "$password" "$nosieve" >>"$RIG/users"
    echo "$password" | saslpasswd2 -p -c -f "$RIG/cyrus/sasldb2" -u "$(cyrus_realm)" "$name"
    chown cyrus "$RIG/cyrus/sasldb2"
  else
    # The global rule applies to every user unless their userdb entry empties sieve_before.
    [ "$nosieve" -eq 0 ] || extra="userdb_sieve_before="
    user_line "$name" "$password" "$extra" >>"$RIG/users"
    mkdir -p "$RIG/mail/$name"
    chown "$MAIL_UID:$MAIL_UID" "$RIG/mail/$name"
  fi
  say "user $name@$MAIL_DOMAIN password $password$([ "$nosieve" -eq 1 ] && echo ' (no Sieve rule)')"
}

write_dovecot_conf() {
  cat >"$RIG/dovecot.conf" <<EOF
# Generated by scripts/mail-rig.sh for the rig in $RIG
instance_name = $DOVECOT_INSTANCE
base_dir = $RIG/run/dovecot
state_dir = $RIG/state
log_path = $RIG/log/dovecot.log
info_log_path = $RIG/log/dovecot.log
protocols = imap lmtp sieve
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
hostname = rig.$MAIL_DOMAIN
postmaster_address = postmaster@$MAIL_DOMAIN
# Tests and benchmarks open several sessions per user (channel, floor client, inspector).
mail_max_userip_connections = 100
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $RIG/users
}
userdb {
  driver = passwd-file
  args = username_format=%n $RIG/users
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
# How often Dovecot tells an IDLE client "* OK Still here" (its default: 2 mins); the idle-cost
# test and benchmark shorten it to compress an hour.
imap_idle_notify_interval = $IDLE_NOTIFY_INTERVAL
imap_metadata = yes
mail_attribute_dict = file:%h/dovecot-attributes
service imap-login {
  inet_listener imap {
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $LMTP_PORT
  }
}
service managesieve-login {
  inet_listener sieve {
    port = $SIEVE_PORT
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0666
  }
}
protocol lmtp {
  mail_plugins = \$mail_plugins sieve
}
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
  sieve_before = $RIG/sieve/before.sieve
}
EOF
}

# The Email-notify filing rule (docs/email-notify-spec.md section 8.1) for a folder named as the
# server names it: notifications never reach INBOX.
sieve_rule() {
  cat <<EOF
require ["fileinto", "mailbox"];
if exists "$MARKER_HEADER" {
  fileinto :create "$1";
  stop;
}
EOF
}

write_sieve_rule() {
  sieve_rule "$NOTIFY_FOLDER" >"$RIG/sieve/before.sieve"
}

# Cyrus, traditional namespace: personal folders sit under "INBOX." (Fastmail's layout). Its
# Sieve `fileinto "Fosspush"` does not find INBOX.Fosspush: the mail stays in INBOX.
cyrus_folder() { echo "INBOX.${NOTIFY_FOLDER//\//.}"; }

write_cyrus_conf() {
  cat >"$RIG/cyrus/imapd.conf" <<EOF
# Generated by scripts/mail-rig.sh for the rig in $RIG
configdirectory: $RIG/cyrus/conf
partition-default: $RIG/cyrus/spool
sievedir: $RIG/cyrus/sieve
servername: $(cyrus_realm)
unixhierarchysep: no
altnamespace: no
allowplaintext: yes
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: $RIG/cyrus/sasldb2
sasl_mech_list: PLAIN LOGIN
# A user's INBOX is made at their first login.
autocreate_quota: 0
# idled and each imapd talk over sockets in configdirectory/socket (imapd's own is idle.PID there).
idlesocket: $RIG/cyrus/conf/socket/idle
lmtpsocket: $RIG/cyrus/conf/socket/lmtp
notifysocket: $RIG/cyrus/conf/socket/notify
# Tests and benchmarks open several sessions per user (channel, INBOX watch, floor, inspector).
maxlogins_per_user: 0
# Cyrus drops a second delivery of a Message-ID to a mailbox by default; the tests deliver
# copies on purpose (a replayed notification) and must see what the channel does with them.
duplicatesuppression: no
EOF
  local bin conf="-C $RIG/cyrus/imapd.conf"
  bin=$(cyrus_imapd_bin)
  cat >"$RIG/cyrus/cyrus.conf" <<EOF
# Generated by scripts/mail-rig.sh for the rig in $RIG
START {
  recover cmd="ctl_cyrusdb -r $conf"
  # Pushes changes to IDLE sessions at once (without it imapd polls every minute).
  idled cmd="$bin/idled $conf"
}
SERVICES {
  imap cmd="$bin/imapd $conf" listen="127.0.0.1:$IMAP_PORT" prefork=0
  # -a: LMTP over TCP from Postfix on loopback, without LMTP AUTH.
  lmtp cmd="lmtpd -a $conf" listen="127.0.0.1:$LMTP_PORT" prefork=0
  sieve cmd="timsieved $conf" listen="127.0.0.1:$SIEVE_PORT" prefork=0
}
EVENTS {
  checkpoint cmd="ctl_cyrusdb -c $conf" period=30
}
EOF
}

# One IMAP session over bash's /dev/tcp: LOGIN, each command, LOGOUT; prints what the server
# said. Fails when the login is refused.
imap_session() {
  local user=$1 password=$2 n=0 line out=""
  shift 2
  exec 7<>"/dev/tcp/127.0.0.1/$IMAP_PORT" || return 1
  IFS= read -r -t 10 line <&7 || true
  for command in "LOGIN \"$user\" \"$password\"" "$@" LOGOUT; do
    n=$((n + 1))
    printf 'a%d %s\r\n' "$n" "$command" >&7
    while IFS= read -r -t 10 line <&7; do
      line=${line%$'\r'}
      out+="$line"$'\n'
      case $line in "a$n "*) break ;; esac
    done
    if [ "$n" -eq 1 ] && [[ $line != "a1 OK"* ]]; then
      exec 7>&-
      printf '%s' "$out" >&2
      return 1
    fi
  done
  exec 7>&-
  printf '%s' "$out"
}

# Stores a Sieve script over ManageSieve (RFC 5804) and makes it active.
managesieve_put() {
  local user=$1 password=$2 name=$3 script=$4 line reply="" auth
  auth=$(printf '\0%s\0%s' "$user" "$password" | base64 -w0)
  exec 6<>"/dev/tcp/127.0.0.1/$SIEVE_PORT" || return 1
  script=${script//$'\n'/$'\r\n'}
  for command in "AUTHENTICATE \"PLAIN\" \"$auth\"" "PUTSCRIPT \"$name\" {${#script}+}"$'\r\n'"$script" "SETACTIVE \"$name\"" LOGOUT; do
    # The greeting, then each command's answer, end with an OK, NO or BYE line.
    reply="no answer within 10 s"
    while IFS= read -r -t 10 line <&6; do
      case $line in OK* | NO* | BYE*) reply=$line; break ;; esac
    done
    case $reply in OK*) ;; *) exec 6>&-; say "ManageSieve for $user: $reply"; return 1 ;; esac
    printf '%s\r\n' "$command" >&6
  done
  exec 6>&-
}

# A Cyrus user's INBOX exists after the first login; ManageSieve refuses users without one.
cyrus_provision() {
  local name=$1 password=$2 nosieve=$3
  imap_session "$name" "$password" >/dev/null || die "Cyrus refused the login of $name"
  [ "$nosieve" -eq 0 ] || return 0
  # Under load Cyrus 3.6 was seen to answer SETACTIVE right after a PUTSCRIPT's OK with
  # "Script does not exist"; the same two commands again then succeed.
  for attempt in 1 2 3; do
    managesieve_put "$name" "$password" fosspush "$(sieve_rule "$(cyrus_folder)")" && return 0
    sleep "0.$attempt"
  done
  die "could not install the Sieve rule for $name"
}

cyrus_provision_all() {
  local name password nosieve
  while IFS=: read -r name password nosieve; do
    [ -n "$name" ] && cyrus_provision "$name" "$password" "$nosieve"
  done <"$RIG/users"
}

cyrus_clear() {
  local name=$1 password folders commands=()
  password=$(sed -n "s/^$name:\([^:]*\):.*/\1/p" "$RIG/users")
  [ -n "$password" ] || die "no user $name on this rig"
  folders=$(imap_session "$name" "$password" 'LIST "" "*"' | sed -n 's/^\* LIST ([^)]*) [^ ]* //p' | tr -d '"')
  for folder in $folders; do commands+=("SELECT \"$folder\"" 'STORE 1:* +FLAGS.SILENT (\Deleted)' EXPUNGE); done
  imap_session "$name" "$password" "${commands[@]}" >/dev/null
}

write_postfix_conf() {
  cat >"$RIG/postfix/main.cf" <<EOF
# Generated by scripts/mail-rig.sh for the rig in $RIG
compatibility_level = 3.6
queue_directory = $RIG/spool/postfix
data_directory = $RIG/lib/postfix
maillog_file = $RIG/log/postfix.log
maillog_file_prefixes = $RIG/log
myhostname = rig.$MAIL_DOMAIN
mydomain = $MAIL_DOMAIN
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
alias_maps =
alias_database =
biff = no
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
virtual_mailbox_domains = $MAIL_DOMAIN
virtual_mailbox_maps = texthash:$RIG/postfix/vmailbox
virtual_transport = lmtp:inet:127.0.0.1:$LMTP_PORT
default_transport = error:outbound mail is disabled on this rig
relay_transport = error:outbound mail is disabled on this rig
$(if [ "$IMAP_SERVER" = dovecot ]; then
    printf 'smtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = dovecot\nsmtpd_sasl_path = %s\n' "$RIG/run/dovecot/auth-postfix"
  fi)
smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated reject_unauth_destination
# A burst must not be slowed down by flow control: the rig measures our code, not Postfix's.
in_flow_delay = 0s
# Mail deferred while Dovecot is down (an outage test) is retried within seconds, not minutes.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
EOF
  cat >"$RIG/postfix/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

load_env() {
  [ -f "$RIG/rig.env" ] || die "no rig in $RIG (run start first)"
  # shellcheck disable=SC1091
  . "$RIG/rig.env"
}

pid_alive() {
  local pid=$1 state
  [ -n "$pid" ] && [ -r "/proc/$pid/status" ] || return 1
  state=$(sed -n 's/^State:\s*\(.\).*/\1/p' "/proc/$pid/status" 2>/dev/null)
  # Daemonised masters are reaped late here; a zombie has stopped serving.
  [ "$state" != "Z" ]
}

dovecot_pid() { cat "$RIG/run/dovecot/master.pid" 2>/dev/null || true; }

# The processes of this rig's Dovecot, by their title (dovecot-INSTANCE/imap ...). The master
# does not take its client processes down with it here, while a real restart (systemd stops
# the whole unit) does: the rig's stop does the same.
dovecot_children() {
  local dir first
  [ -n "${DOVECOT_INSTANCE:-}" ] || return 0
  for dir in /proc/[0-9]*; do
    first=""
    IFS= read -r -d '' first <"$dir/cmdline" 2>/dev/null || true
    case $first in "dovecot-$DOVECOT_INSTANCE/"*) echo "${dir#/proc/}" ;; esac
  done
}
postfix_pid() { tr -d ' ' 2>/dev/null <"$RIG/spool/postfix/pid/master.pid" || true; }

cyrus_pid() { cat "$RIG/run/cyrus/master.pid" 2>/dev/null || true; }

# This rig's Cyrus processes (master, imapd, lmtpd, idled...): each runs with -C on its config.
cyrus_processes() {
  local dir
  for dir in /proc/[0-9]*; do
    tr '\0' ' ' 2>/dev/null <"$dir/cmdline" | grep -qF -- "-C $RIG/cyrus/imapd.conf" && echo "${dir#/proc/}"
  done
  return 0
}

imap_pid() { if [ "$IMAP_SERVER" = cyrus ]; then cyrus_pid; else dovecot_pid; fi; }

wait_stopped() {
  for _ in $(seq 1 100); do
    local running=0
    for pid in "$@"; do pid_alive "$pid" && running=1; done
    [ "$running" -eq 0 ] && return 0
    sleep 0.05
  done
  for pid in "$@"; do pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null || true; done
  say "killed what did not stop in 5 s: $*"
}

start_dovecot() {
  # The daemons must not inherit the caller's pipes (a caller reading our output would wait for
  # them to exit) nor the port lock.
  dovecot -c "$RIG/dovecot.conf" </dev/null >"$RIG/log/dovecot-start.log" 2>&1 9>&- ||
    { cat "$RIG/log/dovecot-start.log" >&2; die "dovecot did not start (see $RIG/log/dovecot.log)"; }
  wait_banner "$LMTP_PORT" "220" "Dovecot LMTP"
  wait_banner "$IMAP_PORT" "* OK" "Dovecot IMAP"
  wait_banner "$SIEVE_PORT" '"IMPLEMENTATION"' "Dovecot ManageSieve"
}

start_cyrus() {
  # cyrmaster switches to the cyrus user itself; -d daemonises it.
  cyrmaster -C "$RIG/cyrus/imapd.conf" -M "$RIG/cyrus/cyrus.conf" -p "$RIG/run/cyrus/master.pid" -d -L "$RIG/log/cyrus-master.log" \
    </dev/null >"$RIG/log/cyrus-start.log" 2>&1 9>&- ||
    { cat "$RIG/log/cyrus-start.log" >&2; die "cyrus did not start (see $RIG/log/cyrus-master.log)"; }
  wait_banner "$LMTP_PORT" "220" "Cyrus LMTP"
  wait_banner "$IMAP_PORT" "* OK" "Cyrus IMAP"
  wait_banner "$SIEVE_PORT" '"IMPLEMENTATION"' "Cyrus ManageSieve"
}

start_imap() { if [ "$IMAP_SERVER" = cyrus ]; then start_cyrus; else start_dovecot; fi; }

# The IMAP server and every process it runs, as a real restart would (see dovecot_children).
imap_processes() { if [ "$IMAP_SERVER" = cyrus ]; then cyrus_processes; else echo "$(dovecot_pid) $(dovecot_children)"; fi; }

stop_imap() {
  local pids
  pids=$(imap_processes)
  # shellcheck disable=SC2086
  for pid in $pids; do pid_alive "$pid" && kill -TERM "$pid" 2>/dev/null || true; done
  # shellcheck disable=SC2086
  wait_stopped $pids
}

write_env() {
  cat >"$RIG/rig.env" <<EOF
RIG=$RIG
MAIL_HOST=127.0.0.1
MAIL_DOMAIN=$MAIL_DOMAIN
MARKER_HEADER=$MARKER_HEADER
NOTIFY_FOLDER=$NOTIFY_FOLDER
IMAP_PORT=$IMAP_PORT
SMTP_PORT=$SMTP_PORT
LMTP_PORT=$LMTP_PORT
SIEVE_PORT=$SIEVE_PORT
IMAP_SERVER=$IMAP_SERVER
NOTIFY_FOLDER_PATH=$([ "$IMAP_SERVER" = cyrus ] && cyrus_folder || echo "$NOTIFY_FOLDER")
DOVECOT_INSTANCE=$DOVECOT_INSTANCE
IMAP_PID=$(imap_pid)
POSTFIX_PID=$(postfix_pid)
RIG_LINK=${RIG_LINK:-}
EOF
}

cmd_start() {
  need_rig start
  local nosieve=() users=()
  while [ $# -gt 0 ]; do
    case $1 in
      --no-sieve) [ $# -ge 2 ] || die "--no-sieve needs a user name"; nosieve+=("$2"); shift 2 ;;
      --no-sieve=*) nosieve+=("${1#*=}"); shift ;;
      -*) die "unknown option $1" ;;
      *) users+=("$1"); shift ;;
    esac
  done
  local server=$IMAP_SERVER
  if [ -f "$RIG/rig.env" ]; then
    load_env
    if pid_alive "$(imap_pid)" || pid_alive "$(postfix_pid)"; then
      die "a rig already runs in $RIG (stop it first)"
    fi
  fi
  IMAP_SERVER=$server
  check_tools
  getent passwd postfix >/dev/null || die "no postfix user: run '$0 install' as root first"
  [ "$(id -u)" -eq 0 ] || die "start needs root (the IMAP and Postfix masters drop privileges themselves)"

  rm -rf "$RIG/run" "$RIG/spool" "$RIG/lib" "$RIG/postfix" "$RIG/sieve" "$RIG/state" "$RIG/cyrus" "$RIG/rig.env"
  relocate_if_private
  # The servers' users reach their folders through RIG (mktemp makes it 0700).
  chmod 755 "$RIG"
  mkdir -p "$RIG/run/dovecot" "$RIG/run/cyrus" "$RIG/state" "$RIG/log" "$RIG/mail" "$RIG/sieve" "$RIG/postfix" \
    "$RIG/spool/postfix" "$RIG/lib/postfix" "$RIG/cyrus/conf/socket" "$RIG/cyrus/spool" "$RIG/cyrus/sieve"
  chown postfix "$RIG/lib/postfix"
  if [ "$IMAP_SERVER" = cyrus ]; then chown -R cyrus:mail "$RIG/cyrus" "$RIG/run/cyrus"; fi
  chown root:root "$RIG/spool/postfix"
  : >"$RIG/users"
  : >"$RIG/postfix/vmailbox"
  # Unique per rig: process titles (dovecot-INSTANCE/imap [user ...]) tell rigs apart.
  DOVECOT_INSTANCE="fosspush-rig-$(printf '%s' "$RIG" | cksum | cut -d' ' -f1)"

  # Hold a machine-wide lock from choosing ports until the servers listen, so two rigs started
  # at once never pick the same port.
  exec 9>/tmp/fosspush-mail-rig.lock
  flock 9
  IMAP_PORT=${IMAP_PORT:-$(pick_port)}
  SMTP_PORT=${SMTP_PORT:-$(pick_port "$IMAP_PORT")}
  LMTP_PORT=${LMTP_PORT:-$(pick_port "$IMAP_PORT" "$SMTP_PORT")}
  SIEVE_PORT=${SIEVE_PORT:-$(pick_port "$IMAP_PORT" "$SMTP_PORT" "$LMTP_PORT")}
  for port in "$IMAP_PORT" "$SMTP_PORT" "$LMTP_PORT" "$SIEVE_PORT"; do
    port_in_use "$port" && die "port $port is in use"
  done

  for spec in "${users[@]}"; do
    local off=0
    for name in "${nosieve[@]}"; do [ "${spec%%:*}" = "$name" ] && off=1; done
    add_user "$spec" "$off"
  done
  if [ "$IMAP_SERVER" = cyrus ]; then
    write_cyrus_conf
  else
    write_dovecot_conf
    write_sieve_rule
    # The mail uid cannot write the compiled script next to the global one: compile it now.
    sievec -c "$RIG/dovecot.conf" "$RIG/sieve/before.sieve"
  fi
  write_postfix_conf
  # Postfix re-reads config files changed within the last second, 300 ms per try.
  touch -d '1 hour ago' "$RIG"/postfix/*

  STARTING=1
  start_imap
  [ "$IMAP_SERVER" != cyrus ] || cyrus_provision_all
  # `postfix -c` prints nothing on failure without a terminal: give it one to see why.
  script -q -e -c "postfix -c '$RIG/postfix' start" /dev/null </dev/null >"$RIG/log/postfix-start.log" 2>&1 9>&- ||
    { cat "$RIG/log/postfix-start.log" "$RIG/log/postfix.log" 2>/dev/null | tail -n 20 >&2; die "postfix did not start (its reasons are above, from $RIG/log)"; }
  wait_banner "$SMTP_PORT" "220" "Postfix SMTP"
  STARTING=0
  flock -u 9
  write_env
  cat "$RIG/rig.env"
}

stop_masters() {
  local pids
  # Everything at once: each master takes about a second to wind down.
  pids="$(imap_processes) $(postfix_pid)"
  # shellcheck disable=SC2086
  for pid in $pids; do if pid_alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi; done
  # shellcheck disable=SC2086
  wait_stopped $pids
}

cmd_stop() {
  need_rig stop
  [ ! -f "$RIG/rig.env" ] || load_env
  stop_masters
  say "stopped the rig in $RIG"
  # A rig relocated out of a private folder: the logs go back to it, the rest away.
  if [ -n "${RIG_LINK:-}" ] && [ -L "$RIG_LINK/.server-root" ]; then
    rm -f "$RIG_LINK/log" "$RIG_LINK/rig.env" "$RIG_LINK/.server-root"
    cp -a "$RIG/log" "$RIG_LINK/log"
    rm -rf "$RIG"
  fi
}

cmd_status() {
  need_rig status
  load_env
  local dstate=stopped pstate=stopped
  pid_alive "$(imap_pid)" && dstate="running (pid $(imap_pid))"
  pid_alive "$(postfix_pid)" && pstate="running (pid $(postfix_pid))"
  echo "$IMAP_SERVER: $dstate"
  echo "postfix: $pstate"
  cat "$RIG/rig.env"
  cut -d: -f1 "$RIG/users" | sed "s/\$/@$MAIL_DOMAIN/; s/^/user: /"
  [ "$dstate" != stopped ] && [ "$pstate" != stopped ]
}

cmd_add_user() {
  need_rig add-user
  load_env
  local nosieve=0
  if [ "${1:-}" = --no-sieve ]; then nosieve=1; shift; fi
  [ $# -ge 1 ] || die "add-user needs name[:password]"
  check_tools
  add_user "$1" "$nosieve"
  if [ "$IMAP_SERVER" = cyrus ]; then
    local password=${1#*:}
    [ "$password" != "$1" ] || password="${1%%:*}-password"
    cyrus_provision "${1%%:*}" "$password" "$nosieve"
  fi
  # Dovecot re-reads the passwd-file by itself; Postfix needs a reload for the texthash map.
  touch -d '1 hour ago' "$RIG"/postfix/*
  script -q -e -c "postfix -c '$RIG/postfix' reload" /dev/null </dev/null >"$RIG/log/postfix-reload.log" 2>&1 ||
    { cat "$RIG/log/postfix-reload.log" >&2; die "postfix reload failed"; }
}

cmd_clear() {
  need_rig clear
  [ $# -ge 1 ] || die "clear needs a user name"
  load_env
  check_tools
  if [ "$IMAP_SERVER" = cyrus ]; then cyrus_clear "$1"; else doveadm -c "$RIG/dovecot.conf" expunge -u "$1" mailbox '*' all; fi
}

case ${1:-} in
  install) cmd_install ;;
  start) shift; cmd_start "$@" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  add-user) shift; cmd_add_user "$@" ;;
  clear) shift; cmd_clear "$@" ;;
  install-cyrus-imapd) cmd_install_cyrus_imapd ;;
  imap-stop | dovecot-stop) need_rig "$1"; load_env; stop_imap ;;
  imap-start | dovecot-start)
    need_rig "$1"
    load_env
    check_tools
    start_imap
    write_env
    # Deliver what Postfix deferred during the outage now, not at its next retry: a deferral
    # that raced the outage was seen to wait far longer than maximal_backoff_time.
    postqueue -c "$RIG/postfix" -f
    ;;
  *) sed -n '2,23s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac
