#!/usr/bin/env bash
# Two mailproxy jars at once (A/B): the same Dovecot, the same login load on each at the
# same moment, so the machine's noise hits both alike. Prints the proxy CPU per session
# (without the JIT's threads) of each round and the medians. Plain listeners only; scenarios
# imap, pop3, smtp, bigfetch (CPU per 5 MB FETCH) and connect.
#
#   bench/ab.sh A.jar B.jar [--scenarios imap,pop3] [--rounds 5] [--seconds 8] [--warmup 10]
#               [--concurrency 16] [--users 50]
#
# The first round of each scenario warms both JITs and is not counted (its rows say "warm").
# AB_JVM_A, AB_JVM_B: JVM flags added to one proxy's (e.g. a JFR recording to profile it).
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH/.." && pwd)
. "$BENCH/lib/servers.sh"

[ $# -ge 2 ] || die "usage: bench/ab.sh A.jar B.jar [--scenarios LIST] [--rounds N] [--seconds S] [--warmup S] [--concurrency C] [--users N]"
JAR_A=$(readlink -f "$1") JAR_B=$(readlink -f "$2"); shift 2
SCENARIOS=imap,pop3 ROUNDS=5 SECS=8 WARM=10 CONC=16 USERS=50
while [ $# -gt 0 ]; do
  case "$1" in
    --scenarios) SCENARIOS=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --seconds) SECS=$2; shift ;;
    --warmup) WARM=$2; shift ;;
    --concurrency) CONC=$2; shift ;;
    --users) USERS=$2; shift ;;
    *) die "unknown flag $1" ;;
  esac
  shift
done

W=$(mktemp -d /tmp/mailproxy-ab.XXXXXX); chmod 755 "$W"
OUT="$W/out"; mkdir -p "$OUT"
DOVECOT_PID= SINK_PID= PID_A= PID_B=
cleanup() { set +e; stop_pid "$PID_A" 15; stop_pid "$PID_B" 15; stop_sink; stop_dovecot; rm -rf "$W"; }
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

JDK=$(find_jdk) || die "no JDK"
BUILD="$W/lg"; mkdir -p "$BUILD"
"$JDK/bin/javac" -d "$BUILD" "$BENCH"/loadgen/*.java
lg() { "$JDK/bin/java" -Xmx1g -XX:+UseParallelGC -cp "$BUILD" loadgen.LoadGen "$@"; }
CLK_TCK=$(getconf CLK_TCK)
mapfile -t P < <(lg ports 16)
DOVECOT_IMAP=${P[0]} DOVECOT_IMAPS=${P[1]} DOVECOT_POP3=${P[2]} DOVECOT_POP3S=${P[3]} SINK_PORT=${P[4]}
A_IMAP=${P[5]} A_POP3=${P[6]} A_SMTP=${P[7]} B_IMAP=${P[8]} B_POP3=${P[9]} B_SMTP=${P[10]}
WITH_NGINX=no
make_cert
mkdir -p "$W/dovecot"
start_dovecot
start_sink

# the bench's own config (bench/lib/servers.sh), plain listeners only
MP_TLS=no write_mailproxy_conf a "$A_IMAP" "$A_POP3" "$A_SMTP"
MP_TLS=no write_mailproxy_conf b "$B_IMAP" "$B_POP3" "$B_SMTP"
start_one() { # NAME JAR EXTRA_JVM_FLAGS -> pid on stdout
  JDK_JAVA_OPTIONS="${3:-}" JAVA_HOME="$JDK" MAILPROXY_JAR="$2" "$TOP/src/main/sh/mailproxy" --config "$W/$1/mailproxy.conf" >>"$W/$1/log" 2>&1 &
  echo $!
}
PID_A=$(start_one a "$JAR_A" "${AB_JVM_A:-}"); PID_B=$(start_one b "$JAR_B" "${AB_JVM_B:-}")
wait_port "$A_SMTP" 30 && wait_port "$B_SMTP" 30 || die "a proxy did not start: $(tail -3 "$W/a/log" "$W/b/log")"

port() { # NAME SCENARIO (bigfetch and connect are IMAP)
  local sc=$2
  case "$sc" in bigfetch|connect) sc=imap ;; esac
  case "$1:$sc" in
    a:imap) echo "$A_IMAP" ;; a:pop3) echo "$A_POP3" ;; a:smtp) echo "$A_SMTP" ;;
    b:imap) echo "$B_IMAP" ;; b:pop3) echo "$B_POP3" ;; b:smtp) echo "$B_SMTP" ;;
  esac
}
one() { # NAME PID SCENARIO WARMUP TSV
  lg run --scenario "$3" --target "$1" --connect "127.0.0.1:$(port "$1" "$3")" --user-count "$USERS" \
    --pid "$2" --clk-tck "$CLK_TCK" --concurrency "$CONC" --seconds "$SECS" --warmup "$4" \
    --max-sessions 200000 --out "$5" >>"$W/lg.log" 2>&1 || say "loadgen: $(tail -2 "$W/lg.log")"
}
# cpu_ms_session less jit_ms_session, from the last line of a results file.
nojit() { awk -F'\t' 'NR > 1 { c = $12 - ($15 < 0 ? 0 : $15); s = $5; e = $10 } END { printf "%.4f %d %d\n", c, s, e }' "$1"; }
med() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

say "A = $JAR_A; B = $JAR_B; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for sc in ${SCENARIOS//,/ }; do
  : >"$W/$sc.a"; : >"$W/$sc.b"
  for r in $(seq 0 "$ROUNDS"); do
    warm=2; [ "$r" = 0 ] && warm=$WARM
    rm -f "$OUT/a.tsv" "$OUT/b.tsv"
    # which load starts first alternates round by round
    if [ $((r % 2)) = 0 ]; then
      one a "$PID_A" "$sc" "$warm" "$OUT/a.tsv" & ja=$!
      one b "$PID_B" "$sc" "$warm" "$OUT/b.tsv" & jb=$!
    else
      one b "$PID_B" "$sc" "$warm" "$OUT/b.tsv" & jb=$!
      one a "$PID_A" "$sc" "$warm" "$OUT/a.tsv" & ja=$!
    fi
    wait $ja || true; wait $jb || true
    read -r ca sa ea < <(nojit "$OUT/a.tsv"); read -r cb sb eb < <(nojit "$OUT/b.tsv")
    tag=$r; [ "$r" = 0 ] && tag=warm
    say "$sc round $tag: A $ca ms ($sa sessions, $ea errors)  B $cb ms ($sb sessions, $eb errors)  B/A $(awk "BEGIN { printf \"%.3f\", $cb / $ca }")  load $(cut -d' ' -f1 /proc/loadavg)"
    if [ "$r" != 0 ]; then echo "$ca" >>"$W/$sc.a"; echo "$cb" >>"$W/$sc.b"; awk "BEGIN { print $cb / $ca }" >>"$W/$sc.r"; fi
  done
  say "$sc median: A $(med <"$W/$sc.a") B $(med <"$W/$sc.b") ms; B/A median $(med <"$W/$sc.r"), range $(sort -n "$W/$sc.r" | head -1)–$(sort -n "$W/$sc.r" | tail -1)"
done
