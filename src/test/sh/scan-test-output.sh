#!/bin/sh
# After `mvn verify`: no known test password, nor the base64 of one, in anything the test
# JVMs printed (surefire keeps each test class's output in target/surefire-reports/
# *-output.txt: redirectTestOutputToFile in pom.xml). The proxy logs through slf4j to that
# output, so this reads every log line of the whole run. Exit 1 naming the file and line.
set -eu
cd "$(dirname "$0")/../../.."
list=src/test/resources/known-test-passwords.txt
out=target/surefire-reports
ls "$out"/*-output.txt >/dev/null 2>&1 || { echo "scan-test-output: no test output in $out (run mvn verify first)"; exit 1; }
patterns=$(mktemp)
trap 'rm -f "$patterns"' EXIT
# The base64 of a password inside a longer message (SASL PLAIN "\0user\0password",
# XOAUTH2, OAUTHBEARER) depends on where in the message it starts, modulo 3 bytes: for
# each of the three offsets, the base64 characters that come from the password's bytes
# alone (not the group it shares with what is before it, nor an incomplete last one).
# Shorter than 8 characters is too short to mean anything and is left out.
base64_cores() {
    for k in 0 1 2; do
        enc=$(printf '%*s%s' "$k" '' "$1" | base64 -w0)
        total=$((k + ${#1}))
        start=1
        [ "$k" -gt 0 ] && start=5
        end=$((total / 3 * 4))
        core=$(printf '%s' "$enc" | cut -c"$start-$end")
        [ ${#core} -ge 8 ] && printf '%s\n' "$core"
    done
    return 0
}
grep -v '^#' "$list" | grep -v '^$' | while IFS= read -r p; do
    printf '%s\n' "$p"
    # base64 of the password alone (as SMTP AUTH LOGIN sends it), without its padding
    printf '%s' "$p" | base64 -w0 | sed 's/=*$//'
    echo
    base64_cores "$p"
done >"$patterns"
if grep -nF -f "$patterns" "$out"/*-output.txt; then
    echo "scan-test-output: a test password (or its base64) is in the test output above" >&2
    exit 1
fi
# silent when clean: the run's last lines stay Maven's test summary
