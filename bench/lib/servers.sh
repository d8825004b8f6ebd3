# Sourced by bench/run.sh: set up, start and stop the bench's servers on loopback, each
# with its own config in $W (the run's work folder). Every process we start is recorded
# by PID and stopped by PID; nothing here touches /etc or system services.

# ---------- helpers ----------

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 1; }

# wait_port PORT SECONDS: until something listens on 127.0.0.1:PORT (ss, no connection made).
wait_port() {
  local port=$1 limit=$(( $2 * 10 )) i=0
  while [ $i -lt "$limit" ]; do
    if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then return 0; fi
    sleep 0.1; i=$((i + 1))
  done
  return 1
}

# wait_backend_quiet PORT SECONDS: until fewer than 100 connections to 127.0.0.1:PORT are open.
wait_backend_quiet() {
  local port=$1 limit=$(( $2 * 10 )) i=0
  while [ $i -lt "$limit" ]; do
    [ "$(ss -Htn state established "( sport = :$port )" 2>/dev/null | wc -l)" -lt 100 ] && return 0
    sleep 0.1; i=$((i + 1))
  done
  return 1
}

# stop_pid PID [SECONDS]: SIGTERM, wait, then SIGKILL. Only for processes this run started.
stop_pid() {
  local pid=$1 limit=$(( ${2:-10} * 10 )) i=0
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null && [ $i -lt "$limit" ]; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "$pid" 2>/dev/null || true
}

# find_jdk: a JDK >= 21 with javac: $JAVA_HOME, then /usr/lib/jvm/*.
find_jdk() {
  local d v
  for d in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [ -n "$d" ] && [ -x "$d/bin/javac" ] && [ -x "$d/bin/java" ] || continue
    v=$("$d/bin/java" -XshowSettings:properties -version 2>&1 |
        sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')
    if [ -n "$v" ] && [ "$v" -ge 21 ]; then echo "$d"; return 0; fi
  done
  return 1
}

# install_missing: Debian packages for what this run needs (as root, noninteractive).
install_missing() {
  local want=()
  command -v dovecot >/dev/null || want+=(dovecot-core dovecot-imapd dovecot-pop3d)
  [ -x /usr/lib/dovecot/imap ] || want+=(dovecot-imapd)
  [ -x /usr/lib/dovecot/pop3 ] || want+=(dovecot-pop3d)
  command -v smtp-sink >/dev/null || want+=(postfix)
  command -v openssl >/dev/null || want+=(openssl)
  if [ "$WITH_NGINX" = yes ]; then
    command -v nginx >/dev/null || want+=(nginx-light)
    [ -f /usr/lib/nginx/modules/ngx_mail_module.so ] || want+=(libnginx-mod-mail)
  fi
  [ ${#want[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing packages (${want[*]}); install them or run as root"
  command -v apt-get >/dev/null || die "missing packages (${want[*]}) and no apt-get to install them"
  say "installing ${want[*]} ..."
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${want[@]}" >"$W/apt.log" 2>&1 ||
    { apt-get update -q >>"$W/apt.log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${want[@]}" >>"$W/apt.log" 2>&1; } ||
    die "apt-get install failed, see $W/apt.log"
}

# ---------- TLS ----------

make_cert() {
  mkdir -p "$W/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -subj "/CN=bench.invalid" -keyout "$W/tls/key.pem" -out "$W/tls/cert.pem" >/dev/null 2>&1 ||
    die "openssl could not make the bench certificate"
  # The RSA 2048 one, for tls-new-rsa and tls-resume-rsa (listeners of their own).
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
    -subj "/CN=bench.invalid" -keyout "$W/tls/rsa-key.pem" -out "$W/tls/rsa-cert.pem" >/dev/null 2>&1 ||
    die "openssl could not make the bench's RSA certificate"
  chmod 644 "$W/tls/key.pem" "$W/tls/cert.pem" "$W/tls/rsa-key.pem" "$W/tls/rsa-cert.pem"
}

# ---------- Dovecot: N users, seeded Maildirs, one 5 MB message ----------

MAIL_USER=mailproxy-bench

seed_mail() {
  id "$MAIL_USER" >/dev/null 2>&1 ||
    useradd --system --no-create-home --shell /usr/sbin/nologin "$MAIL_USER" ||
    die "cannot create the mail user $MAIL_USER"
  MAIL_UID=$(id -u "$MAIL_USER"); MAIL_GID=$(id -g "$MAIL_USER")
  local seed="$W/mail/.seed" i m
  mkdir -p "$seed"
  for m in 1 2 3; do
    {
      printf 'From: Alice <alice@bench.test>\nTo: bench <bench@bench.test>\n'
      printf 'Subject: bench message %s\nDate: Mon, 1 Jan 2024 10:00:0%s +0000\n' "$m" "$m"
      printf 'Message-ID: <m%s@bench.test>\n\n' "$m"
      for i in $(seq 1 26); do
        printf 'Line %02d of a small message used by the imap-login and pop3 scenarios.\n' "$i"
      done
    } >"$seed/small$m"
  done
  # The 5 MB message: base64 text in 76-column lines (about 5.0 MiB with CRLF).
  {
    printf 'From: Alice <alice@bench.test>\nTo: bench <bench@bench.test>\nSubject: big\n'
    printf 'Message-ID: <big@bench.test>\nMIME-Version: 1.0\nContent-Type: application/octet-stream\n'
    printf 'Content-Transfer-Encoding: base64\n\n'
    head -c 3840000 /dev/urandom | base64 -w 76
  } >"$seed/big"
  : >"$W/dovecot/users"
  for i in $(seq 1 "$USERS"); do
    local md="$W/mail/bench$i/Maildir"
    mkdir -p "$md/cur" "$md/new" "$md/tmp" "$md/.Big/cur" "$md/.Big/new" "$md/.Big/tmp"
    # Hard links: N users cost one copy of each message on disk.
    for m in 1 2 3; do
      ln "$seed/small$m" "$md/cur/170000000$m.M${m}P1.bench,S=$(stat -c %s "$seed/small$m"):2,S"
    done
    ln "$seed/big" "$md/.Big/cur/1700000001.M9P1.bench,S=$(stat -c %s "$seed/big"):2,S"
    echo "bench$i:{PLAIN}benchpw:$MAIL_UID:$MAIL_GID::$W/mail/bench$i::" >>"$W/dovecot/users"
  done
  chown -R "$MAIL_USER:" "$W/mail"
  chmod 644 "$W/dovecot/users"
}

write_dovecot_conf() {
  cat >"$W/dovecot/dovecot.conf" <<EOF
# mailproxy bench: Dovecot on loopback, own folders, never /etc/dovecot.
instance_name = mailproxy-bench
base_dir = $W/dovecot/run
state_dir = $W/dovecot/state
log_path = $W/dovecot/dovecot.log
info_log_path = /dev/null
protocols = imap pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <$W/tls/cert.pem
ssl_key = <$W/tls/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = $MAIL_UID
last_valid_uid = $MAIL_UID
mail_location = maildir:~/Maildir
mail_fsync = never
# The bench holds thousands of sessions for a few users from one address.
mail_max_userip_connections = 100000
login_trusted_networks = 127.0.0.0/8
passdb {
  driver = passwd-file
  args = username_format=%n $W/dovecot/users
}
userdb {
  driver = passwd-file
  args = username_format=%n $W/dovecot/users
}
default_vsz_limit = 2G
# High-performance login processes: few processes, many clients each (they also carry
# the TLS of logged-in direct sessions: two fds per client).
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVECOT_IMAP
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $DOVECOT_IMAPS
    ssl = yes
  }
  service_count = 0
  process_min_avail = 2
  process_limit = 8
  client_limit = 4000
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $DOVECOT_POP3
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $DOVECOT_POP3S
    ssl = yes
  }
  service_count = 0
  process_min_avail = 2
  process_limit = 8
  client_limit = 4000
}
# One process per logged-in session would mean 10,000 processes for the idle scenario:
# let each mail process serve up to 1000 sessions (all users share one uid here).
service imap {
  client_limit = 1000
  process_limit = 30
  service_count = 0
}
service pop3 {
  client_limit = 1000
  process_limit = 30
  service_count = 0
}
service auth {
  client_limit = 4096
}
EOF
}

start_dovecot() {
  mkdir -p "$W/dovecot/run" "$W/dovecot/state"
  seed_mail
  write_dovecot_conf
  dovecot -c "$W/dovecot/dovecot.conf" 2>"$W/dovecot/start.err" ||
    die "dovecot did not start: $(cat "$W/dovecot/start.err" "$W/dovecot/dovecot.log" 2>/dev/null | tail -5)"
  wait_port "$DOVECOT_IMAP" 20 && wait_port "$DOVECOT_POP3" 20 ||
    die "dovecot is not listening; see $W/dovecot/dovecot.log"
  DOVECOT_PID=$(tr -d ' \n' <"$W/dovecot/run/master.pid")
}

stop_dovecot() {
  [ -n "${DOVECOT_PID:-}" ] && stop_pid "$DOVECOT_PID" 15
  DOVECOT_PID=
}

# ---------- smtp-sink: a fast SMTP backend that accepts and drops every message ----------

start_sink() {
  mkdir -p "$W/sink"
  (cd "$W/sink" && exec smtp-sink -u nobody -m 4000 "127.0.0.1:$SINK_PORT" 4096 >"$W/sink/sink.log" 2>&1) &
  SINK_PID=$!
  wait_port "$SINK_PORT" 10 || die "smtp-sink is not listening; see $W/sink/sink.log"
}

stop_sink() { stop_pid "${SINK_PID:-}" 5; SINK_PID=; }

# ---------- auth_http server for nginx ----------

start_auth() {
  rm -f "$W/auth.port"
  "$JDK/bin/java" -Xmx256m -XX:+UseSerialGC -cp "$BUILD" loadgen.LoadGen auth --port-file "$W/auth.port" \
    --imap "$DOVECOT_IMAP" --pop3 "$DOVECOT_POP3" --smtp "$SINK_PORT" >"$W/auth.log" 2>&1 &
  AUTH_PID=$!
  local i=0
  while [ ! -s "$W/auth.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  [ -s "$W/auth.port" ] || die "auth_http server did not start; see $W/auth.log"
  AUTH_PORT=$(tr -d ' \n' <"$W/auth.port")
}

stop_auth() { stop_pid "${AUTH_PID:-}" 5; AUTH_PID=; }

# ---------- mailproxy ----------

# Does this build of mailproxy know TLS listeners? (the keys appear in reference.conf)
mailproxy_tls_keys() {
  grep -Eq '^\s*tls-certificates\s*=' "$TOP/src/main/resources/reference.conf" 2>/dev/null
}

# Two descriptors per relayed session under the 20,000 open-file limit, with room for the
# JVM's own (jar, epoll, listeners: ~40): 9,900 held sessions plus a login load of 16.
MP_MAX_CONNECTIONS=9950

write_mailproxy_conf() { # [NAME IMAP POP3 SMTP]: by default $W/mailproxy on the MP_* ports
  local name=${1:-mailproxy} imap=${2:-${MP_IMAP:-}} pop3=${3:-${MP_POP3:-}} smtp=${4:-${MP_SMTP:-}}
  local f="$W/$name/mailproxy.conf"
  mkdir -p "$W/$name"
  cat >"$f" <<EOF
# mailproxy bench: static route to the bench's Dovecot and smtp-sink; no ID/XCLIENT,
# as nginx is configured (xclient off), so both proxies do the same backend work.
# smtp-sink takes no AUTH: the submission listeners say smtp-trust-unchecked-login.
mailproxy {
  server-name = "bench.invalid"
  max-connections = $MP_MAX_CONNECTIONS
  limits { proxy-timeout = 1h }
  # The bench's clients are a few loopback addresses: no per-address or per-user limit
  # (the guard's checks still run; its delays only follow failed logins, and there are none).
  guard { max-connections-per-ip = 0, max-sessions-per-user = 0, max-sessions-per-user-ip = 0 }
  ${MP_EXTRA:-}
  backends {
    bench {
      host = "127.0.0.1"
      imap { port = $DOVECOT_IMAP, send-id = false }
      pop3 { port = $DOVECOT_POP3 }
      smtp { port = $SINK_PORT, auth = none, xclient = false }
    }
  }
  routers { bench { type = static, default = bench } }
  default-router = bench
  listeners = [
    { protocol = imap, listen = "127.0.0.1:$imap" }
    { protocol = pop3, listen = "127.0.0.1:$pop3" }
    { protocol = smtp, listen = "127.0.0.1:$smtp", smtp-trust-unchecked-login = true }
$(mailproxy_tls_listeners)
  ]
}
EOF
}

# Implicit TLS listeners (imaps, pop3s, smtps), when this mailproxy build has TLS
# (reference.conf lists tls-certificates); without it the TLS rows for mailproxy are skipped.
mailproxy_tls_listeners() {
  [ "${MP_TLS:-no}" = yes ] || return 0
  local certs="tls-certificates = [ { certificate = \"$W/tls/cert.pem\", key = \"$W/tls/key.pem\" } ]"
  local rsa="tls-certificates = [ { certificate = \"$W/tls/rsa-cert.pem\", key = \"$W/tls/rsa-key.pem\" } ]"
  cat <<EOF
    { protocol = imap, listen = "127.0.0.1:$MP_IMAPS", tls = implicit, $certs }
    { protocol = imap, listen = "127.0.0.1:$MP_IMAPS_RSA", tls = implicit, $rsa }
    { protocol = pop3, listen = "127.0.0.1:$MP_POP3S", tls = implicit, $certs }
    { protocol = smtp, listen = "127.0.0.1:$MP_SMTPS", tls = implicit, $certs, smtp-trust-unchecked-login = true }
EOF
}

start_mailproxy() {
  JAVA_HOME="$JDK" MAILPROXY_JAR="$JAR" MAILPROXY_JAVA_OPTS="$PROXY_JAVA_OPTS" \
    "$TOP/src/main/sh/mailproxy" --config "$W/mailproxy/mailproxy.conf" >>"$W/mailproxy/mailproxy.log" 2>&1 &
  MP_PID=$!
  wait_port "$MP_POP3" 30 || die "mailproxy is not listening; see $W/mailproxy/mailproxy.log"
  PROXY_PID=$MP_PID
}

stop_mailproxy() { stop_pid "${MP_PID:-}" 15; MP_PID=; }

# ---------- nginx mail proxy: 1 worker, its own prefix; default or 64 KB proxy_buffer ----------

# nginx counts its listening sockets among worker_connections; a relayed session takes two.
NG_WORKER_CONNECTIONS=19900
NG_LISTENERS=7

write_nginx_conf() { # NAME BUFFER_LINE
  local d="$W/$1"
  mkdir -p "$d"
  cat >"$d/nginx.conf" <<EOF
# mailproxy bench: nginx's mail module as the comparison, 1 worker.
worker_processes 1;
worker_rlimit_nofile 20000;
pid $d/nginx.pid;
error_log $d/error.log warn;
load_module /usr/lib/nginx/modules/ngx_mail_module.so;
events {
  worker_connections $NG_WORKER_CONNECTIONS;
}
mail {
  server_name bench.invalid;
  auth_http 127.0.0.1:$AUTH_PORT/auth;
  proxy_pass_error_message on;
  $2
  # smtp-sink speaks XCLIENT, but mailproxy is configured without it: same work on both.
  xclient off;
  smtp_auth login plain;
  pop3_auth plain;
  imap_auth login plain;
  ssl_certificate $W/tls/cert.pem;
  ssl_certificate_key $W/tls/key.pem;
  # Resumption as a site would configure it (tls-resume): a session cache, and TLS 1.3
  # tickets (on by default; their key is per nginx start, one worker here).
  ssl_session_cache shared:MAILSSL:10m;
  ssl_session_tickets on;
  ssl_session_timeout 10m;
  server { listen 127.0.0.1:$NG_IMAP;  protocol imap; }
  server { listen 127.0.0.1:$NG_POP3;  protocol pop3; }
  server { listen 127.0.0.1:$NG_SMTP;  protocol smtp; }
  server { listen 127.0.0.1:$NG_IMAPS ssl; protocol imap; }
  server { listen 127.0.0.1:$NG_POP3S ssl; protocol pop3; }
  server { listen 127.0.0.1:$NG_SMTPS ssl; protocol smtp; }
  server { listen 127.0.0.1:$NG_IMAPS_RSA ssl; protocol imap; ssl_certificate $W/tls/rsa-cert.pem; ssl_certificate_key $W/tls/rsa-key.pem; }
}
EOF
}

start_nginx() { # NAME
  local d="$W/$1"
  rm -f "$d/nginx.pid"
  nginx -p "$d/" -c "$d/nginx.conf" -e "$d/error.log" 2>>"$d/error.log" ||
    die "nginx did not start: $(tail -3 "$d/error.log")"
  wait_port "$NG_IMAP" 10 || die "nginx is not listening; see $d/error.log"
  NG_MASTER=$(tr -d ' \n' <"$d/nginx.pid")
  local i=0
  NG_WORKER=
  while [ -z "$NG_WORKER" ] && [ $i -lt 50 ]; do
    NG_WORKER=$(pgrep -P "$NG_MASTER" | head -1); sleep 0.1; i=$((i + 1))
  done
  [ -n "$NG_WORKER" ] || die "nginx has no worker process"
  PROXY_PID=$NG_WORKER
}

stop_nginx() { stop_pid "${NG_MASTER:-}" 10; NG_MASTER=; NG_WORKER=; }

# ---------- the scale scenario's control: the same proxy again, IMAP only, on $CTL_IMAP ----------
# It holds no session; the login load runs against it and the target at the same moment,
# so the machine's noise hits both alike (see bench/README.md, "Scale").

start_control() { # TARGET -> CTL_PID (the process whose CPU is read)
  CTL_PID=0
  case "$1" in
    mailproxy)
      # The same config with only the plain IMAP listener, on the control's port.
      awk -v keep="127.0.0.1:$MP_IMAP\"" '!/\{ protocol = / || index($0, keep)' "$W/mailproxy/mailproxy.conf" |
        sed "s|127.0.0.1:$MP_IMAP\"|127.0.0.1:$CTL_IMAP\"|" >"$W/mailproxy/control.conf"
      JAVA_HOME="$JDK" MAILPROXY_JAR="$JAR" MAILPROXY_JAVA_OPTS="$PROXY_JAVA_OPTS" \
        "$TOP/src/main/sh/mailproxy" --config "$W/mailproxy/control.conf" >>"$W/mailproxy/control.log" 2>&1 &
      CTL_MP_PID=$!
      wait_port "$CTL_IMAP" 30 || die "the control mailproxy is not listening; see $W/mailproxy/control.log"
      CTL_PID=$CTL_MP_PID ;;
    nginx|nginx-64k)
      local d="$W/$1-control"
      mkdir -p "$d"
      sed -e "/listen 127.0.0.1:$NG_IMAP;/!{/^  server { listen/d}" \
          -e "s|listen 127.0.0.1:$NG_IMAP;|listen 127.0.0.1:$CTL_IMAP;|" -e "s|$W/$1/|$d/|g" \
          "$W/$1/nginx.conf" >"$d/nginx.conf"
      rm -f "$d/nginx.pid"
      nginx -p "$d/" -c "$d/nginx.conf" -e "$d/error.log" 2>>"$d/error.log" ||
        die "the control nginx did not start: $(tail -3 "$d/error.log")"
      wait_port "$CTL_IMAP" 10 || die "the control nginx is not listening; see $d/error.log"
      CTL_NG_MASTER=$(tr -d ' \n' <"$d/nginx.pid")
      local i=0
      while [ "$CTL_PID" = 0 ] && [ $i -lt 50 ]; do
        CTL_PID=$(pgrep -P "$CTL_NG_MASTER" | head -1); CTL_PID=${CTL_PID:-0}; sleep 0.1; i=$((i + 1))
      done ;;
  esac
}

stop_control() {
  stop_pid "${CTL_MP_PID:-}" 15; CTL_MP_PID=
  stop_pid "${CTL_NG_MASTER:-}" 10; CTL_NG_MASTER=
  CTL_PID=0
}
