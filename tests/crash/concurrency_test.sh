#!/bin/bash
# concurrency_test.sh — several `likeness` processes on one gallery at
# once: WRITERS processes each enrol a performer of their own, check that
# a new process sees it (list, scan), remove it, and check that a scan
# started after the removal returned never matches it; SCANNERS processes
# meanwhile scan two untouched performers over and over, which must always
# be found.  At the end the gallery passes integrity_check and audit
# verify and holds exactly the untouched performers.  (A long-lived handle
# seeing other processes' changes is test_gallery's test_two_handles.)
# Usage: concurrency_test.sh PATH/TO/likeness [ROUNDS]
# Prints TAP.  Skips (exit 77) without models or demo media.
set -u
LK=$1
ROUNDS=${2:-4}
WRITERS=3 SCANNERS=2
ROOT=${LK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3
T=$(mktemp -d "${LK_TEST_TMP:-/tmp}/conc.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
ko() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"; }

M=$T/media
$PY "$ROOT/examples/demo/make_media.py" "$M" >"$T/media.log" 2>&1 ||
    { echo "1..0 # SKIP no demo media"; exit 77; }
. "$M/media.env"
set -- $ENROL_A
V=$1
G=$T/g
for a in "base $OTHER" "third $OTHER_PROFILE"; do
    set -- $a
    "$LK" enroll --gallery "$G" --performer "$1" "$2" >"$T/out" 2>&1 ||
        { echo "1..0 # SKIP cannot enrol ($(tail -1 "$T/out"))"; exit 77; }
done

# matched FILE: the performer each line of a --json scan matched, or -.
matched() {
    $PY -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    f = [x["performer"] for x in r.get("findings", []) if x.get("decision") == "match"]
    print(f[0] if f else "-")' "$1"
}

writer() {
    local i=$1 r p out=$T/w$i
    for ((r = 1; r <= ROUNDS; r++)); do
        p=w$i-$r
        "$LK" enroll --gallery "$G" --performer "$p" "$V" >"$out.e" 2>&1 ||
            { echo "enrol $p failed: $(tail -2 "$out.e")"; return 1; }
        "$LK" list --gallery "$G" >"$out.l" 2>&1 || { echo "list failed"; return 1; }
        grep -q "^$p " "$out.l" || { echo "$p enrolled but not listed"; return 1; }
        # Committed, but the log could not be truncated while scanners
        # read: the removal holds (checked below); it is counted.
        if ! "$LK" remove --gallery "$G" --performer "$p" >"$out.r" 2>&1; then
            grep -q "removed, but the write-ahead log could not be emptied" "$out.r" ||
                { echo "remove $p failed: $(tail -2 "$out.r")"; return 1; }
            echo "busy log" >>"$out.busy"
        fi
        "$LK" list --gallery "$G" >"$out.l" 2>&1 || { echo "list failed"; return 1; }
        grep -q "^$p " "$out.l" && { echo "$p removed but still listed"; return 1; }
        "$LK" scan --json --gallery "$G" "$V" >"$out.s" 2>"$out.se"
        [[ $? == 2 ]] && { echo "scan failed: $(tail -2 "$out.se")"; return 1; }
        [[ $(matched "$out.s") == "$p" ]] &&
            { echo "a scan started after $p's removal returned matched it"; return 1; }
    done
    return 0
}

scanner() {
    local i=$1 k=0 out=$T/s$i
    while [[ ! -e $T/done ]]; do
        "$LK" scan --json --gallery "$G" "$OTHER" "$OTHER_PROFILE" >"$out" 2>"$out.err"
        [[ $? == 1 ]] || { echo "scan $k: exit not 1: $(tail -2 "$out.err")"; return 1; }
        [[ $(matched "$out" | tr '\n' ' ') == "base third " ]] ||
            { echo "scan $k found $(matched "$out" | tr '\n' ' ')"; return 1; }
        k=$((k + 1))
    done
    echo "$k scans"
    return 0
}

pids=() spids=()
for ((i = 1; i <= SCANNERS; i++)); do
    scanner "$i" >"$T/scanner$i.log" 2>&1 &
    spids+=($!)
done
for ((i = 1; i <= WRITERS; i++)); do
    writer "$i" >"$T/writer$i.log" 2>&1 &
    pids+=($!)
done
for ((i = 1; i <= WRITERS; i++)); do
    wait "${pids[i - 1]}"
    rc=$?
    busy=$(cat "$T/w$i.busy" 2>/dev/null | wc -l)
    if ((rc == 0)); then ok "writer $i: $ROUNDS enrol/remove rounds, each seen by new processes ($busy removals could not truncate the log)"
    else ko "writer $i: $(tail -1 "$T/writer$i.log")"; fi
done
touch "$T/done"
scans=0
for ((i = 1; i <= SCANNERS; i++)); do
    if wait "${spids[i - 1]}"; then
        ok "scanner $i: $(tail -1 "$T/scanner$i.log"), base and third found in each"
        scans=$((scans + $(awk '{ print $1 }' "$T/scanner$i.log")))
    else ko "scanner $i: $(tail -1 "$T/scanner$i.log")"; fi
done
ic=$($PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])' "$G/gallery.db" 2>&1)
[[ $ic == ok ]] && ok "integrity_check ok" || ko "integrity_check: $ic"
"$LK" audit verify --gallery "$G" >"$T/audit" 2>&1 && ok "audit verify passes" ||
    ko "audit verify: $(head -2 "$T/audit")"
"$LK" list --gallery "$G" >"$T/list" 2>&1
[[ $(awk '{ print $1 }' "$T/list" | tr '\n' ' ') == "base third " ]] &&
    ok "only base and third are left" || ko "left: $(awk '{ print $1 }' "$T/list" | tr '\n' ' ')"
echo "# $WRITERS writers x $ROUNDS rounds, $SCANNERS scanners ($scans scans) on one gallery"
echo "1..$n"
((fail == 0))
