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
grep -v '^#' "$list" | grep -v '^$' | while IFS= read -r p; do
    printf '%s\n' "$p"
    # base64 of the password alone; of the word boundary-free middle for the suffix patterns
    printf '%s' "$p" | base64 -w0 | sed 's/=*$//'
    echo
done >"$patterns"
if grep -nF -f "$patterns" "$out"/*-output.txt; then
    echo "scan-test-output: a test password (or its base64) is in the test output above" >&2
    exit 1
fi
# silent when clean: the run's last lines stay Maven's test summary
