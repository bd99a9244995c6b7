#!/bin/sh
# Installs the Debian packages the integration tests run for real: Dovecot, Cyrus IMAP + Postfix
# (the mail rig), redis-server (push-server scale-out), GnuPG (OpenPGP interop), dbus-daemon and
# gdbus (UnifiedPush over D-Bus), dhtnode (the OpenDHT channel), iproute2 + nftables (rigs and the
# pulled-cable test run in network namespaces of their own), nginx-light and caddy (the push
# server behind the documented reverse proxies). Installs only what is missing; needs root (or
# sudo) on a machine that lacks them.
set -e
cd "$(dirname "$0")/.."

# One package a line, grouped by the tests that need it.
packages="
redis-server
gnupg
dovecot-imapd
dovecot-lmtpd
dovecot-sieve
dovecot-managesieved
postfix
dbus
libglib2.0-bin
cyrus-common
sasl2-bin
dhtnode
iproute2
nftables
nginx-light
caddy
prosody
prosody-modules
openssl
"

# Cyrus's imapd comes from Debian's cyrus-imapd, which apt cannot install beside dovecot-imapd
# (both provide imap-server): the mail rig unpacks it into a folder of its own instead.
install_cyrus_imapd() { bash scripts/mail-rig.sh install-cyrus-imapd; }

missing=""
for pkg in $packages; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
[ -z "$missing" ] && { install_cyrus_imapd; exit 0; }

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then exec sudo sh "$0"; fi
  echo "install-services: missing Debian packages:$missing (run as root to install them)" >&2
  exit 1
fi

echo "install-services: installing$missing"
# Never let the installs start system-wide daemons: the tests run their own on loopback.
policy=/usr/sbin/policy-rc.d
created_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && created_policy=1
fi
trap '[ -n "$created_policy" ] && rm -f "$policy"' EXIT
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
install_cyrus_imapd
echo "install-services: done"
