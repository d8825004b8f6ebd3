#!/usr/bin/env bash
# mailproxy bench: measure mailproxy against real backends, and nginx's mail module beside
# it, on this machine, in one run. See bench/README.md.
#
#   bench/run.sh                 full run (~10-15 min): direct, mailproxy, nginx, nginx-64k
#   bench/run.sh --quick         small run (~5 min) to see that everything works
#   bench/run.sh --help          all flags
#
# Builds the jar, installs what is missing (Debian, as root), starts Dovecot, smtp-sink,
# mailproxy and nginx on loopback with their own configs in a temp folder, runs the
# scenarios with a progress line, prints the table, writes SVG charts beside it (bench/plot)
# and stops everything it started.
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH/.." && pwd)
. "$BENCH/lib/servers.sh"

usage() {
  cat <<'EOF'
usage: bench/run.sh [flags]
  --quick              small and short: 3 s per scenario, 300 idle sessions (a smoke run)
  --scenarios LIST     comma-separated: imap,pop3,smtp,bigfetch,idle,connect,tls-new,tls-resume,
                       scale (default: all but scale; scale and connect are plain only, tls-new
                       and tls-resume TLS only: short connections, greeting and LOGOUT)
  --key LIST           tls-new, tls-resume: the server key types, ecdsa,rsa (default: both;
                       ECDSA P-256 and RSA 2048 certificates)
  --tls-version V      tls-new, tls-resume: the client offers only TLSv1.2 or TLSv1.3 (default:
                       the JDK client's, TLS 1.3); TLS 1.2 resumes by session id or ticket
  --targets LIST       direct,mailproxy,nginx,nginx-64k (default: all; nginx ones only with nginx)
  --tls plain|tls|both which variants to run (default: both)
  --nginx              install nginx-light + libnginx-mod-mail if missing and compare (default
                       when nginx and its mail module are installed)
  --no-nginx           leave nginx out
  --seconds S          measured phase per scenario, at most (default 8)
  --warmup S           unmeasured phase before it (default 4: the JIT settles)
  --concurrency C      sessions at once in imap/pop3/smtp (default 32)
  --max-sessions N     per scenario, at most (default 50000)
  --bigfetch-concurrency C   parallel 5 MB FETCH streams (default 1)
  --idle N             idle IMAP sessions to hold (default 5000; at most 9900: each relayed
                       session holds 2 of the proxy's 20,000 file descriptors)
  --idle-tls N         idle sessions over TLS (default 2000, at most --idle)
  --hold S             how long to hold them; RSS is read at its end (default 12)
  --scale N            scale: sessions held while the login load runs again (default 9900, at
                       most 9900; fewer if the proxy cannot hold N plus the login load)
  --login-concurrency C  scale: logins at once in its login load (default 16)
  --no-scale-control   scale: no second proxy instance (the control) beside the target
  --users N            test accounts in Dovecot (default 200)
  --proxy-java-opts S  JVM flags for mailproxy (default: the launcher's)
  --mailproxy-extra S  HOCON added inside mailproxy { } of the generated config, e.g.
                       'relay { buffer-size = 65536 }' (to try a setting)
  --jfr                profile mailproxy with Java Flight Recorder in every run and write its
                       hot methods (CPU time) per scenario to the results folder; the
                       profiler costs a little CPU, so use it to find hot spots, not for the table
  --no-build           use the existing target/mailproxy.jar
  --keep               keep the work folder (configs, logs) for a look afterwards
  --out DIR            where results go (default bench/results/<date-time>)
EOF
}

ARGS="$*"
SCENARIOS=imap,pop3,smtp,bigfetch,idle,connect,tls-new,tls-resume
KEYS=ecdsa,rsa
TLS_VERSION=
TARGETS=direct,mailproxy,nginx,nginx-64k
TLS_VARIANTS=both
WITH_NGINX=auto
SECONDS_MEASURED=8
WARMUP=4
CONC=32
MAX_SESSIONS=50000
BIG_CONC=1
IDLE=5000
IDLE_TLS=
HOLD=12
SCALE=9900
LOGIN_CONC=16
SCALE_CONTROL=yes
USERS=200
PROXY_JAVA_OPTS=
MP_EXTRA=
BUILD_JAR=yes
KEEP=no
JFR=no
OUT=
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) SECONDS_MEASURED=3; WARMUP=1; IDLE=300; HOLD=1; USERS=50; CONC=16; SCALE=500 ;;
    --scenarios) SCENARIOS=$2; shift ;;
    --key) KEYS=$2; shift ;;
    --tls-version) TLS_VERSION=$2; shift ;;
    --targets) TARGETS=$2; shift ;;
    --tls) TLS_VARIANTS=$2; shift ;;
    --nginx) WITH_NGINX=yes ;;
    --no-nginx) WITH_NGINX=no ;;
    --seconds) SECONDS_MEASURED=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --concurrency) CONC=$2; shift ;;
    --max-sessions) MAX_SESSIONS=$2; shift ;;
    --bigfetch-concurrency) BIG_CONC=$2; shift ;;
    --idle) IDLE=$2; shift ;;
    --idle-tls) IDLE_TLS=$2; shift ;;
    --hold) HOLD=$2; shift ;;
    --scale) SCALE=$2; shift ;;
    --login-concurrency) LOGIN_CONC=$2; shift ;;
    --no-scale-control) SCALE_CONTROL=no ;;
    --users) USERS=$2; shift ;;
    --proxy-java-opts) PROXY_JAVA_OPTS=$2; shift ;;
    --mailproxy-extra) MP_EXTRA=$2; shift ;;
    --no-build) BUILD_JAR=no ;;
    --jfr) JFR=yes ;;
    --keep) KEEP=yes ;;
    --out) OUT=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown flag $1" ;;
  esac
  shift
done
case "$TLS_VARIANTS" in plain) TLS_VARIANTS="plain" ;; tls) TLS_VARIANTS="tls" ;; both) TLS_VARIANTS="plain tls" ;;
  *) die "--tls takes plain, tls or both" ;; esac
IDLE_TLS=${IDLE_TLS:-$(( IDLE < 2000 ? IDLE : 2000 ))}
for k in ${KEYS//,/ }; do case "$k" in ecdsa|rsa) ;; *) die "--key takes ecdsa, rsa or both" ;; esac; done
case "$TLS_VERSION" in ''|TLSv1.2|TLSv1.3) ;; *) die "--tls-version takes TLSv1.2 or TLSv1.3" ;; esac
[ "$IDLE" -le 9900 ] && [ "$IDLE_TLS" -le 9900 ] && [ "$SCALE" -le 9900 ] ||
  die "--idle and --scale at most 9900 (two proxy file descriptors per session, limit 20,000)"
if [ "$WITH_NGINX" = auto ]; then
  if command -v nginx >/dev/null && [ -f /usr/lib/nginx/modules/ngx_mail_module.so ]; then WITH_NGINX=yes; else WITH_NGINX=no; fi
fi
if [ "$WITH_NGINX" = no ]; then TARGETS=$(echo "$TARGETS" | tr , '\n' | grep -v '^nginx' | paste -sd, -); fi

OUT=${OUT:-$BENCH/results/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
W=$(mktemp -d /tmp/mailproxy-bench.XXXXXX)
chmod 755 "$W"
BUILD="$BENCH/.build"
JAR="$TOP/target/mailproxy.jar"
DOVECOT_PID= SINK_PID= AUTH_PID= MP_PID= NG_MASTER= NG_WORKER= PROXY_PID= CTL_MP_PID= CTL_NG_MASTER= CTL_PID=0

cleanup() {
  set +e
  stop_control; stop_nginx; stop_mailproxy; stop_auth; stop_sink; stop_dovecot
  if [ "$KEEP" = yes ]; then say "work folder kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

log() { printf '%s\n' "$*" | tee -a "$OUT/run.log" >&2; }

# ---------- build ----------
JDK=$(find_jdk) || die "no JDK >= 21 with javac found (JAVA_HOME, /usr/lib/jvm)"
install_missing
if [ "$BUILD_JAR" = yes ]; then
  log "building mailproxy.jar (mvn -q -DskipTests package) ..."
  (cd "$TOP" && mvn -q -DskipTests package) >"$OUT/build.log" 2>&1 || die "build failed, see $OUT/build.log"
fi
[ -f "$JAR" ] || die "$JAR missing (build it, or drop --no-build)"
rm -rf "$BUILD" && mkdir -p "$BUILD"
"$JDK/bin/javac" -d "$BUILD" "$BENCH"/loadgen/*.java || die "load generator does not compile"
# The chart writer is a Maven project of its own (JFreeChart, JFreeSVG): built before the run,
# so a failure shows now and not after the measurements.
log "building the chart writer (bench/plot: mvn -q package) ..."
(cd "$BENCH/plot" && JAVA_HOME=$JDK mvn -q package) >"$OUT/plot-build.log" 2>&1 ||
  die "the chart writer does not build, see $OUT/plot-build.log"

LG_OPTS=(-Xmx3g -XX:+UseParallelGC -Djdk.tls.namedGroups=x25519,secp256r1)
lg() { "$JDK/bin/java" "${LG_OPTS[@]}" -cp "$BUILD" loadgen.LoadGen "$@"; }
CLK_TCK=$(getconf CLK_TCK)
# The JVM flags mailproxy's launcher uses when MAILPROXY_JAVA_OPTS is empty (for the report).
LAUNCHER_OPTS=$(sed -n 's/.*MAILPROXY_JAVA_OPTS:-\([^}]*\)}.*/\1/p' "$TOP/src/main/sh/mailproxy" | head -1)
if [ "$("$JDK/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')" -ge 25 ]; then
  LAUNCHER_OPTS="$LAUNCHER_OPTS -XX:+UseCompactObjectHeaders -XX:TrimNativeHeapInterval=1000" # JDK 25 and 22+
fi

# ---------- ports, certificate, backends ----------
mapfile -t P < <(lg ports 16)
DOVECOT_IMAP=${P[0]} DOVECOT_IMAPS=${P[1]} DOVECOT_POP3=${P[2]} DOVECOT_POP3S=${P[3]} SINK_PORT=${P[4]}
MP_IMAP=${P[5]} MP_POP3=${P[6]} MP_SMTP=${P[7]} MP_IMAPS=${P[8]} MP_POP3S=${P[9]} MP_SMTPS=${P[10]}
NG_IMAP=${P[11]} NG_POP3=${P[12]} NG_SMTP=${P[13]}
mapfile -t Q < <(lg ports 4)
NG_IMAPS=${Q[0]} NG_POP3S=${Q[1]} NG_SMTPS=${Q[2]} CTL_IMAP=${Q[3]}
mapfile -t R < <(lg ports 2)
MP_IMAPS_RSA=${R[0]} NG_IMAPS_RSA=${R[1]} # tls-new-rsa, tls-resume-rsa: the RSA 2048 certificate
MP_TLS=no; mailproxy_tls_keys && MP_TLS=yes

log "work folder $W; results in $OUT"
make_cert
log "starting Dovecot with $USERS users (3 small messages each, one 5 MB message in folder Big) ..."
mkdir -p "$W/dovecot"
start_dovecot
start_sink
if [ "$WITH_NGINX" = yes ]; then
  start_auth
  write_nginx_conf nginx "# proxy_buffer: nginx's default (one memory page)"
  write_nginx_conf nginx-64k "proxy_buffer 64k;"
fi
write_mailproxy_conf

# ---------- machine facts ----------
{
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), $(free -g | awk '/^Mem:/ {print $2}') GB RAM, kernel $(uname -r), open files $(ulimit -n)/$(ulimit -Hn)"
  echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- JDK: $("$JDK/bin/java" -version 2>&1 | head -1)"
  echo "- mailproxy: $(cd "$TOP" && git log -1 --format='%h %s' 2>/dev/null || echo unknown) (JVM flags: ${PROXY_JAVA_OPTS:-${LAUNCHER_OPTS:-none} (launcher default)})${MP_EXTRA:+, config: $MP_EXTRA}"
  echo "- Dovecot $(dovecot --version), smtp-sink (Postfix $(postconf -d -h mail_version 2>/dev/null || echo '?'))"
  [ "$WITH_NGINX" = yes ] && echo "- $(nginx -v 2>&1 | sed 's/^nginx version: //') with ngx_mail_module, 1 worker"
  echo "- command: bench/run.sh $ARGS"
  case ",$SCENARIOS," in *,tls-new,*|*,tls-resume,*)
    echo "- short TLS connections: keys ${KEYS}, client ${TLS_VERSION:-as the JDK offers (TLS 1.3)}; nginx with ssl_session_cache and tickets" ;;
  esac
} >"$OUT/machine.md"

# ---------- targets ----------
port_for() { # TARGET SCENARIO TLS -> port, or nothing if this combination does not exist
  local proto=$2
  [ "$2:$3" = scale:tls ] && return 0 # scale is plain only: TLS handshakes would make its ramp minutes long
  # Short connections: connect is plain, tls-new-KEY and tls-resume-KEY are TLS; a proxy's
  # own cost, so no direct row (Dovecot would be measured without its CPU), and no
  # nginx-64k row (its proxy_buffer is never used before a login).
  case "$2:$3" in connect:tls|tls-*:plain) return 0 ;; esac
  case "$1:$2" in direct:connect|direct:tls-*|nginx-64k:connect|nginx-64k:tls-*) return 0 ;; esac
  case "$1:$2" in
    mailproxy:tls-*-rsa) [ "$MP_TLS" = yes ] && echo "$MP_IMAPS_RSA"; return 0 ;;
    nginx*:tls-*-rsa) echo "$NG_IMAPS_RSA"; return 0 ;;
  esac
  case "$proto" in bigfetch|idle|scale|connect|tls-*) proto=imap ;; esac
  case "$1:$proto:$3" in
    direct:imap:plain) echo "$DOVECOT_IMAP" ;;   direct:imap:tls) echo "$DOVECOT_IMAPS" ;;
    direct:pop3:plain) echo "$DOVECOT_POP3" ;;   direct:pop3:tls) echo "$DOVECOT_POP3S" ;;
    direct:smtp:plain) echo "$SINK_PORT" ;;      direct:smtp:tls) ;; # smtp-sink has no TLS
    mailproxy:imap:plain) echo "$MP_IMAP" ;;     mailproxy:imap:tls) [ "$MP_TLS" = yes ] && echo "$MP_IMAPS" ;;
    mailproxy:pop3:plain) echo "$MP_POP3" ;;     mailproxy:pop3:tls) [ "$MP_TLS" = yes ] && echo "$MP_POP3S" ;;
    mailproxy:smtp:plain) echo "$MP_SMTP" ;;     mailproxy:smtp:tls) [ "$MP_TLS" = yes ] && echo "$MP_SMTPS" ;;
    nginx*:imap:plain) echo "$NG_IMAP" ;;        nginx*:imap:tls) echo "$NG_IMAPS" ;;
    nginx*:pop3:plain) echo "$NG_POP3" ;;        nginx*:pop3:tls) echo "$NG_POP3S" ;;
    nginx*:smtp:plain) echo "$NG_SMTP" ;;        nginx*:smtp:tls) echo "$NG_SMTPS" ;;
  esac
  return 0
}

start_target() {
  PROXY_PID=0 AUX=0
  case "$1" in
    direct) ;;
    mailproxy) start_mailproxy ;;
    nginx|nginx-64k) start_nginx "$1"; AUX=$AUTH_PID ;;
  esac
}

stop_target() {
  case "$1" in
    mailproxy) stop_mailproxy ;;
    nginx|nginx-64k) stop_nginx ;;
  esac
}

# Does mailproxy serve this protocol (and TLS) yet? One session each, before the run.
declare -A MP_SERVES
probe_mailproxy() {
  start_mailproxy
  local proto tls port
  for proto in imap pop3 smtp; do
    for tls in $TLS_VARIANTS; do
      port=$(port_for mailproxy "$proto" "$tls")
      [ -n "$port" ] || continue
      rm -f "$W/probe.tsv"
      local extra=(); [ "$tls" = tls ] && extra=(--tls)
      lg run --scenario "$proto" --target mailproxy --connect "127.0.0.1:$port" "${extra[@]}" \
        --user-count "$USERS" --concurrency 1 --max-sessions 1 --warmup 0 --seconds 5 --timeout-ms 5000 \
        --out "$W/probe.tsv" >/dev/null 2>&1 || true
      if [ -s "$W/probe.tsv" ] && awk -F'\t' 'NR==2 && $5==1 && $10==0 {ok=1} END {exit !ok}' "$W/probe.tsv"; then
        MP_SERVES[$proto:$tls]=yes
      else
        log "  mailproxy does not serve $proto/$tls yet: its rows are skipped"
      fi
    done
  done
  stop_mailproxy
}

# ---------- the runs ----------
RUNS=()
# tls-new and tls-resume run once per key type: tls-new-ecdsa, tls-new-rsa, ...
SC_RUNS=()
for sc in ${SCENARIOS//,/ }; do
  case "$sc" in
    tls-new|tls-resume) for k in ${KEYS//,/ }; do SC_RUNS+=("$sc-$k"); done ;;
    *) SC_RUNS+=("$sc") ;;
  esac
done
for sc in "${SC_RUNS[@]}"; do
  for tls in $TLS_VARIANTS; do
    for t in ${TARGETS//,/ }; do
      [ -n "$(port_for "$t" "$sc" "$tls")" ] && RUNS+=("$sc $tls $t")
    done
  done
done
case ",$TARGETS," in *,mailproxy,*) probe_mailproxy ;; esac

log "$(cat "$OUT/machine.md")"
log ""
i=0
for run in "${RUNS[@]}"; do
  read -r sc tls t <<<"$run"
  i=$((i + 1))
  proto=$sc; case "$sc" in bigfetch|idle|scale|connect|tls-*) proto=imap ;; esac
  if [ "$t" = mailproxy ] && [ -z "${MP_SERVES[$proto:$tls]:-}" ]; then
    log "[$i/${#RUNS[@]}] $sc/$tls via $t: skipped (not served by this mailproxy build)"
    continue
  fi
  log "[$i/${#RUNS[@]}] $sc/$tls via $t (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  # JFR through JDK_JAVA_OPTIONS: added to the launcher's flags (or --proxy-java-opts), not instead
  export JDK_JAVA_OPTIONS=
  if [ "$JFR" = yes ] && [ "$t" = mailproxy ]; then
    mkdir -p "$OUT/jfr"
    JDK_JAVA_OPTIONS="-XX:StartFlightRecording=filename=$OUT/jfr/$sc-$tls.jfr,settings=profile,jdk.CPUTimeSample#enabled=true,jdk.CPUTimeSample#throttle=2ms"
  fi
  start_target "$t"
  JDK_JAVA_OPTIONS=
  args=(--scenario "$sc" --target "$t" --connect "127.0.0.1:$(port_for "$t" "$sc" "$tls")"
        --user-count "$USERS" --pid "$PROXY_PID" --aux-pid "$AUX" --clk-tck "$CLK_TCK" --out "$OUT/results.tsv")
  [ "$tls" = tls ] && args+=(--tls)
  # TLS warms up twice as long: the JDK's TLS stack is a lot of code for the JIT.
  warm=$WARMUP; [ "$tls" = tls ] && warm=$(awk "BEGIN { print $WARMUP * 2 }")
  case "$sc" in
    imap|pop3|smtp)
      args+=(--concurrency "$CONC" --seconds "$SECONDS_MEASURED" --warmup "$warm" --max-sessions "$MAX_SESSIONS") ;;
    connect|tls-*)
      # Thousands of connections a second: spread the client ends over 4 source addresses
      # (ephemeral ports, TIME_WAIT). tls-resume fails loudly when its connections do not resume.
      args+=(--concurrency "$CONC" --seconds "$SECONDS_MEASURED" --warmup "$warm" --max-sessions "$MAX_SESSIONS"
             --sources 4)
      [ -n "$TLS_VERSION" ] && [ "$tls" = tls ] && args+=(--tls-version "$TLS_VERSION") ;;
    bigfetch)
      args+=(--concurrency "$BIG_CONC" --seconds "$SECONDS_MEASURED" --warmup "$warm" --max-sessions "$MAX_SESSIONS") ;;
    idle)
      # TLS handshakes make the ramp slow: fewer sessions over TLS. The ramp is bounded
      # by time too: 60 s, or 20 ms a session if more.
      n=$IDLE; [ "$tls" = tls ] && n=$IDLE_TLS
      # No warm-up: an allocator keeps what a warm-up ramp grew it to (nginx's pools, a
      # JVM's heap), and the next ramp's growth would miss it. RSS is read at the end of
      # the hold (bench/loadgen/Idle.java).
      args+=(--idle-sessions "$n" --concurrency 64 --hold "$HOLD" --sources 4
             --seconds $(( n / 50 > 60 ? n / 50 : 60 )))
      # A class histogram forces a full GC (live objects only): RSS after it, and what
      # the held sessions are made of.
      [ "$t" = mailproxy ] && [ -x "$JDK/bin/jcmd" ] &&
        args+=(--gc-cmd "$JDK/bin/jcmd $PROXY_PID GC.class_histogram" --gc-out "$OUT/mailproxy-idle-$tls-histogram.txt") ;;
    scale)
      # The most sessions the target holds at once; held ones stop at that less the login load.
      case "$t" in
        mailproxy) cap=$MP_MAX_CONNECTIONS ;;
        nginx*) cap=$(( (NG_WORKER_CONNECTIONS - NG_LISTENERS) / 2 )) ;;
        *) cap=0 ;;
      esac
      # A longer warm-up (twice --warmup, at least 10 s): the phase without held sessions
      # comes first, and a JIT still compiling in it would make it slower and the ratio
      # with them held look better.
      args+=(--idle-sessions "$SCALE" --concurrency "$LOGIN_CONC" --ramp-concurrency 64 --checkpoints 2000
             --sources 4 --seconds "$SECONDS_MEASURED" --warmup "$(awk "BEGIN { w = $WARMUP * 2; print w < 10 ? 10 : w }")"
             --session-cap "$cap")
      [ "$t" = mailproxy ] && [ -x "$JDK/bin/jcmd" ] &&
        args+=(--gc-cmd "$JDK/bin/jcmd $PROXY_PID GC.class_histogram" --gc-out "$OUT/mailproxy-scale-histogram.txt")
      if [ "$SCALE_CONTROL" = yes ] && [ "$t" != direct ]; then
        start_control "$t"
        args+=(--control-connect "127.0.0.1:$CTL_IMAP" --control-pid "$CTL_PID")
      fi ;;
  esac
  lg run "${args[@]}" 2>&1 | tee -a "$OUT/run.log" >&2 || log "  (load generator failed)"
  stop_control
  stop_target "$t"
  if [ "$JFR" = yes ] && [ "$t" = mailproxy ] && [ -f "$OUT/jfr/$sc-$tls.jfr" ]; then
    { "$JDK/bin/jfr" view --width 200 cpu-time-hot-methods "$OUT/jfr/$sc-$tls.jfr"
      "$JDK/bin/jfr" view --width 200 hot-methods "$OUT/jfr/$sc-$tls.jfr"
      "$JDK/bin/jfr" view --width 200 allocation-by-site "$OUT/jfr/$sc-$tls.jfr"; } >"$OUT/jfr/$sc-$tls.txt" 2>&1 || true
  fi
  # Let the last connections close before the next target starts (thousands after idle/scale).
  wait_backend_quiet "$DOVECOT_IMAP" 30
  sleep 1
done

# ---------- report ----------
[ -s "$OUT/results.tsv" ] || die "no results"
lg report "$OUT/results.tsv" "$OUT/table.md" >/dev/null
# SVG charts of the same results.tsv beside report.md, and charts.md that shows them
rm -f "$OUT"/*.svg "$OUT/charts.md"
"$JDK/bin/java" -Djava.awt.headless=true -jar "$BENCH/plot/target/bench-plot.jar" "$OUT/results.tsv" "$OUT" \
  >>"$OUT/run.log" 2>&1 || log "  (the charts failed, see $OUT/run.log)"
{ cat "$OUT/machine.md"; echo; cat "$OUT/table.md"; } >"$OUT/report.md"
if [ -f "$OUT/charts.md" ]; then { echo; cat "$OUT/charts.md"; } >>"$OUT/report.md"; fi
echo
cat "$OUT/machine.md" "$OUT/table.md"
echo
say "results: $OUT/report.md (raw: results.tsv, charts: $(cd "$OUT" && ls -- *.svg 2>/dev/null | paste -sd' ' - || true), log: run.log)"
if [ "$KEEP" = yes ]; then cp -r "$W/mailproxy/mailproxy.conf" "$OUT/" 2>/dev/null || true; fi
