#!/usr/bin/env bash
# mailproxy bench, pools: POP3 logins through one mailproxy spread over a pool of two Dovecot
# servers on the same mail (shared storage), while one server is killed and brought back.
# Shows the spread per server in each phase, and that no login is lost: new sessions go to
# the live server; only the sessions that were open on the killed server end with it.
#
#   sudo bench/pool.sh [--seconds S] [--concurrency C] [--users N] [--no-build] [--keep]
#
# Same set-up as bench/run.sh (lib/servers.sh): Dovecot with bench users, mailproxy from
# target/mailproxy.jar, the load generator; all on loopback, all stopped at the end.
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH/.." && pwd)
. "$BENCH/lib/servers.sh"

SECONDS_TOTAL=24
CONC=16
USERS=200
BUILD_JAR=yes
KEEP=no
WITH_NGINX=no
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_TOTAL=$2; shift ;;
    --concurrency) CONC=$2; shift ;;
    --users) USERS=$2; shift ;;
    --no-build) BUILD_JAR=no ;;
    --keep) KEEP=yes ;;
    -h|--help) sed -n 2,9p "$0"; exit 0 ;;
    *) die "unknown flag $1" ;;
  esac
  shift
done
[ "$SECONDS_TOTAL" -ge 9 ] && [ "$SECONDS_TOTAL" -le 600 ] || die "--seconds from 9 to 600"

OUT=$BENCH/results/pool-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
W=$(mktemp -d /tmp/mailproxy-bench.XXXXXX)
chmod 755 "$W"
BUILD="$BENCH/.build"
JAR="$TOP/target/mailproxy.jar"
DOVECOT_PID= DOVECOT2_PID= MP_PID= PROXY_JAVA_OPTS=

cleanup() {
  set +e
  stop_mailproxy; stop_dovecot
  # the second server was restarted by the load phase's subshell: its PID is in its pid file
  [ -f "$W/dovecot2/run/master.pid" ] && stop_pid "$(tr -d ' \n' <"$W/dovecot2/run/master.pid")" 15
  if [ "$KEEP" = yes ]; then say "work folder kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

JDK=$(find_jdk) || die "no JDK >= 21 with javac found"
install_missing
if [ "$BUILD_JAR" = yes ]; then
  (cd "$TOP" && mvn -q -DskipTests package) >"$OUT/build.log" 2>&1 || die "build failed, see $OUT/build.log"
fi
rm -rf "$BUILD" && mkdir -p "$BUILD"
"$JDK/bin/javac" -d "$BUILD" "$BENCH"/loadgen/*.java || die "load generator does not compile"
lg() { "$JDK/bin/java" -Xmx1g -XX:+UseParallelGC -cp "$BUILD" loadgen.LoadGen "$@"; }

mapfile -t P < <(lg ports 8)
DOVECOT_IMAP=${P[0]} DOVECOT_IMAPS=${P[1]} DOVECOT_POP3=${P[2]} DOVECOT_POP3S=${P[3]}
D2_IMAP=${P[4]} D2_POP3=${P[5]} MP_POP3=${P[6]}
make_cert
mkdir -p "$W/dovecot"
say "starting two Dovecot servers on the same $USERS mailboxes ..."
start_dovecot
# The second server: the same config and mail, its own instance, folders and ports.
mkdir -p "$W/dovecot2/run" "$W/dovecot2/state"
sed -e "s/^instance_name = .*/instance_name = mailproxy-bench2/" \
    -e "s#$W/dovecot/run#$W/dovecot2/run#; s#$W/dovecot/state#$W/dovecot2/state#; s#$W/dovecot/dovecot.log#$W/dovecot2/dovecot.log#" \
    -e "s/port = $DOVECOT_IMAP\$/port = $D2_IMAP/; s/port = $DOVECOT_POP3\$/port = $D2_POP3/" \
    -e "s/port = $DOVECOT_IMAPS\$/port = 0/; s/port = $DOVECOT_POP3S\$/port = 0/" \
    "$W/dovecot/dovecot.conf" >"$W/dovecot2/dovecot.conf"
start_second() {
  dovecot -c "$W/dovecot2/dovecot.conf" 2>"$W/dovecot2/start.err" || die "second dovecot: $(cat "$W/dovecot2/start.err")"
  wait_port "$D2_POP3" 20 || die "second dovecot is not listening"
  DOVECOT2_PID=$(tr -d ' \n' <"$W/dovecot2/run/master.pid")
}
start_second

mkdir -p "$W/mailproxy"
cat >"$W/mailproxy/mailproxy.conf" <<EOF2
mailproxy {
  server-name = "bench.invalid"
  guard { max-connections-per-ip = 0, max-sessions-per-user = 0 }
  limits { greeting-timeout = 1s, connect-timeout = 1s }
  backends {
    stores {
      servers = [ { host = "127.0.0.1", pop3-port = $DOVECOT_POP3 },
                  { host = "127.0.0.1", pop3-port = $D2_POP3 } ]
      pop3 { port = 110 }
      health { interval = 1s, rise = 2, fall = 1, timeout = 1s }
      max-fails = 1, fail-timeout = 5s
    }
  }
  routers { r { type = static, default = stores } }
  listeners = [ { protocol = pop3, listen = "127.0.0.1:$MP_POP3" } ]
}
EOF2
start_mailproxy

PHASE=$(( SECONDS_TOTAL / 3 ))
say "load: POP3 sessions (USER, PASS, STAT, RETR, QUIT), $CONC at once, ${SECONDS_TOTAL}s; server 2 killed at ${PHASE}s, back at $(( 2 * PHASE ))s"
T0=$(date +%s.%N)
(
  set +e
  # a crash of the whole server: its processes (login and mail processes are the master's
  # children) and the master itself
  sleep "$PHASE"; date +%s.%N >"$W/kill.at"
  kill -STOP "$DOVECOT2_PID"; pkill -KILL -P "$DOVECOT2_PID"; kill -KILL "$DOVECOT2_PID"
  sleep "$PHASE"; date +%s.%N >"$W/back.at"; rm -f "$W/dovecot2/run/master.pid"; start_second
) &
KILLER=$!
lg run --scenario pop3 --target mailproxy --connect "127.0.0.1:$MP_POP3" --user-count "$USERS" \
  --concurrency "$CONC" --warmup 0 --seconds "$SECONDS_TOTAL" --max-sessions 1000000 \
  --out "$OUT/results.tsv" 2>&1 | tee "$OUT/loadgen.log" | tail -5
wait "$KILLER" || true
sleep 1

# Session lines: time, server, outcome; phases by the kill and return times.
KILL_AT=$(cat "$W/kill.at"); BACK_AT=$(cat "$W/back.at")
awk -v t0="$T0" -v k="$KILL_AT" -v b="$BACK_AT" -v s1="127.0.0.1:$DOVECOT_POP3" -v s2="127.0.0.1:$D2_POP3" '
  / session - pop3 id=/ {
    split($1, d, "T"); split(d[2], hms, /[:.+]/)
    t = hms[1]*3600 + hms[2]*60 + hms[3] + ("0." hms[4])
    match($0, /backend=[^ ]+/); be = substr($0, RSTART+8, RLENGTH-8)
    match($0, /outcome=[^ ]+/); oc = substr($0, RSTART+8, RLENGTH-8)
    sec[NR] = t; bk[NR] = be; out[NR] = oc; n++
  }
  END {
    split(k, kk, "."); split(b, bb, ".")
    cmd = "date -d @" kk[1] " +%H:%M:%S"; cmd | getline ks; close(cmd)
    cmd = "date -d @" bb[1] " +%H:%M:%S"; cmd | getline bs; close(cmd)
    split(ks, x, ":"); kt = x[1]*3600 + x[2]*60 + x[3] + ("0." kk[2])
    split(bs, y, ":"); bt = y[1]*3600 + y[2]*60 + y[3] + ("0." bb[2])
    for (i in sec) {
      p = sec[i] < kt ? 1 : (sec[i] < bt ? 2 : 3)
      tot[p]++
      if (bk[i] == s1) one[p]++; else if (bk[i] == s2) two[p]++
      # no server could take the login: a login lost
      if (out[i] ~ /^(backend-unreachable|backend-tls-failed|router-unavailable)$/) lost[p]++
      # the server died in the middle of this login or session: cut by the crash
      if (out[i] ~ /^(backend-failed|backend-error)$/) cut[p]++
    }
    printf "| phase | sessions | server 1 | server 2 | logins lost | cut by the crash |\n|---|--:|--:|--:|--:|--:|\n"
    names[1] = "both up"; names[2] = "server 2 killed"; names[3] = "server 2 back"
    for (p = 1; p <= 3; p++) printf "| %s | %d | %d | %d | %d | %d |\n", names[p], tot[p], one[p], two[p], lost[p], cut[p]
  }' "$W/mailproxy/mailproxy.log" | tee "$OUT/report.md"
ERRORS=$(awk -F'\t' 'NR==1 { for (i=1;i<=NF;i++) if ($i=="errors") c=i; next } { print $c }' "$OUT/results.tsv" 2>/dev/null | tail -1)
echo "client errors (sessions cut while open on the killed server, or lost): ${ERRORS:-?}" | tee -a "$OUT/report.md"
grep -E "pool stores server" "$W/mailproxy/mailproxy.log" | sed 's/^/    /' | tee -a "$OUT/report.md" || true
say "results in $OUT"
