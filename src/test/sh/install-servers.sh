#!/bin/sh
# Installs what the JUnit fixtures in mailproxy.testing need: Dovecot (imap, pop3, lmtp,
# managesieve, sieve), Postfix, swaks, openssl, HAProxy, redis-server, sieve-connect, and a system user that owns the test mail (Dovecot refuses
# root-owned mail, see docs/ARCHITECTURE.md, "Real servers in tests"); and for the tests of
# config/ (src/test/java/mailproxy/ops): promtool (Prometheus rules), systemd-analyze (the
# unit checked), systemd-nspawn and nsenter (the unit run by a systemd of its own in a
# container), setpriv (the proxy as an unprivileged user with one capability); and for the
# admin status page (src/test/java/mailproxy/admin): chromium and its chromedriver.
#
# Idempotent and non-interactive: does nothing when everything is present; otherwise it
# must run as root on Debian 12. RealServers runs it from the test JVM when needed; CI may
# also run it up front:  sh src/test/sh/install-servers.sh
set -eu

MAIL_USER="${MAILPROXY_MAIL_USER:-mailproxy-vmail}"

# "binary package" pairs; only packages whose binary is missing get installed.
NEEDS="/usr/sbin/dovecot dovecot-core
/usr/lib/dovecot/imap dovecot-imapd
/usr/lib/dovecot/pop3 dovecot-pop3d
/usr/lib/dovecot/lmtp dovecot-lmtpd
/usr/sbin/postfix postfix
/usr/lib/postfix/sbin/master postfix
/usr/bin/swaks swaks
/usr/bin/openssl openssl
/usr/lib/dovecot/managesieve dovecot-managesieved
/usr/bin/sievec dovecot-sieve
/usr/sbin/haproxy haproxy
/usr/bin/redis-server redis-server
/usr/bin/sieve-connect sieve-connect
/usr/bin/promtool prometheus
/usr/bin/systemd-analyze systemd
/usr/bin/systemd-nspawn systemd-container
/usr/bin/setpriv util-linux
/usr/bin/nsenter util-linux
/usr/bin/chromium chromium
/usr/bin/chromedriver chromium-driver"

missing_packages() {
    echo "$NEEDS" | while read -r binary package; do
        [ -x "$binary" ] || echo "$package"
    done | sort -u | tr '\n' ' '
}

missing="$(missing_packages)"
if [ -z "$missing" ] && id -u "$MAIL_USER" >/dev/null 2>&1; then
    echo "install-servers: everything present"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "install-servers: must run as root (missing: ${missing:-user $MAIL_USER})" >&2
    exit 1
fi

# Several test JVMs may call this at once on a fresh machine: one installs, the others
# wait and then find everything present.
exec 9>/tmp/mailproxy-install-servers.lock
flock -w 1200 9

missing="$(missing_packages)"
if [ -n "$missing" ]; then
    # Packages must not start system-wide daemons on 25/110/143/...: the fixtures run
    # their own instances. A temporary policy-rc.d (exit 101 = "action forbidden") stops
    # invoke-rc.d and deb-systemd-invoke from starting them; keep an existing one.
    made_policy=no
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        made_policy=yes
    fi
    trap 'if [ "$made_policy" = yes ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT

    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    export DEBIAN_FRONTEND=noninteractive
    # Wait for another apt/dpkg (e.g. unattended-upgrades on a fresh VM) instead of failing.
    APT="apt-get -o DPkg::Lock::Timeout=600"
    # Try without refreshing the package lists first; a fresh image has none, then update.
    # --no-upgrade: leave packages that are already installed as they are.
    # shellcheck disable=SC2086
    if ! $APT install -y --no-upgrade $missing; then
        $APT update
        # shellcheck disable=SC2086
        $APT install -y --no-upgrade $missing
    fi
    still="$(missing_packages)"
    if [ -n "$still" ]; then
        echo "install-servers: still missing after install: $still" >&2
        exit 1
    fi
fi

if ! id -u "$MAIL_USER" >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin "$MAIL_USER"
fi
echo "install-servers: ready (mail user $MAIL_USER uid $(id -u "$MAIL_USER"))"
