#!/usr/bin/env bash
# `make fuzz-long`: every fuzz target (func FuzzXxx in a _test.go) for
# FUZZTIME each (a duration, default 2m, or an execution count such as
# 1000000x), then one markdown table: executions, new corpus entries (the
# "new interesting" inputs the fuzzer kept in its cache), crashers. A crasher
# is written by `go test` to the package's testdata/fuzz/FuzzXxx/, where it
# stays as a regression seed that every `go test` runs; the run goes on with
# the next target and exits 1 at the end.
#
# go1.26's fuzz coordinator can fail a duration-bounded run with "context
# deadline exceeded" when the time ends while a worker is busy
# (golang/go#75804, fixed in go1.27): such a run, with no failing input
# written, is counted as finished and marked in the table.
set -uo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-2m}
# Workers per target (go test -parallel; default: GOMAXPROCS).
FUZZPARALLEL=${FUZZPARALLEL:-}

rows=() execs_total=0 new_total=0 crashers=0 targets=0
start=$(date +%s)
for pkg in $($GO list ./...); do
	dir=$($GO list -f '{{.Dir}}' "$pkg")
	for t in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/func //'); do
		echo "== fuzz-long $pkg $t ($FUZZTIME)"
		log=$(mktemp)
		$GO test -run='^$' -fuzz="^$t\$" -fuzztime="$FUZZTIME" ${FUZZPARALLEL:+-parallel=$FUZZPARALLEL} "$pkg" 2>&1 | tee "$log"
		rc=${PIPESTATUS[0]}
		# The last progress line: "fuzz: elapsed: 2m0s, execs: 123 (1/sec), new interesting: 4 (total: 56)".
		last=$(grep -E '^fuzz: elapsed: .*execs: [0-9]+' "$log" | tail -1)
		execs=$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$last")
		new=$(sed -nE 's/.*new interesting: ([0-9]+).*/\1/p' <<<"$last")
		execs=${execs:-0} new=${new:-0}
		note=ok
		if [ "$rc" -ne 0 ]; then
			seed=$(sed -nE 's/.*Failing input written to (testdata\/fuzz\/[^ ]+).*/\1/p' "$log" | head -1)
			if [ -n "$seed" ]; then
				note="CRASHER: ${dir#"$PWD"/}/$seed"
				crashers=$((crashers + 1))
			elif grep -q 'context deadline exceeded' "$log"; then
				note="ok (go#75804 deadline report)"
			else
				note="FAILED (exit $rc, no input written: see the log above)"
				crashers=$((crashers + 1))
			fi
		fi
		rm -f "$log"
		targets=$((targets + 1))
		execs_total=$((execs_total + execs))
		new_total=$((new_total + new))
		rows+=("| \`${pkg#github.com/redwatch/redwatch/}\` | \`$t\` | $execs | $new | $note |")
	done
done
mins=$((($(date +%s) - start + 59) / 60))
echo
echo "fuzz-long: $targets targets, FUZZTIME=$FUZZTIME each, ${mins} min, $(nproc) CPUs, $($GO env GOVERSION), $(date -u +%Y-%m-%d)"
echo
echo "| package | target | executions | new corpus entries | result |"
echo "| --- | --- | ---: | ---: | --- |"
printf '%s\n' "${rows[@]}"
echo "| **total** | $targets targets | $execs_total | $new_total | $crashers crashers |"
[ "$crashers" -eq 0 ]
