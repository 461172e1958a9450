#!/bin/sh
# test_cli.sh — runs the real `likeness` binary on real files and checks
# output and exit codes.  Usage: test_cli.sh PATH/TO/likeness
# Media: the demo's redistributable photos (examples/demo/make_media.py)
# and bad files made here.  Prints "N passed, N failed".
set -u
LK=$1
ROOT=${LK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
T=$(mktemp -d "${LK_TEST_TMP:-/tmp}/cli.XXXXXX" 2>/dev/null || mktemp -d)
mkdir -p "$T"
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
ko() { fail=$((fail + 1)); echo "not ok - $1"; }
# check NAME EXPECTED_EXIT cmd... ; output in $T/out, $T/err
check() {
    name=$1 want=$2
    shift 2
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" = "$want" ]; then ok "$name"; else
        ko "$name (exit $got, want $want)"
        sed 's/^/    out: /' "$T/out" | head -20
        sed 's/^/    err: /' "$T/err" | head -20
    fi
}
has() { # has NAME FILE PATTERN
    if grep -q -- "$3" "$2"; then ok "$1"; else
        ko "$1 (no '$3' in $2)"
        sed 's/^/    | /' "$2" | head -20
    fi
}
hasnt() {
    if grep -q -- "$3" "$2"; then ko "$1 ('$3' in $2)"; sed 's/^/    | /' "$2" | head -20; else ok "$1"; fi
}
PY=/usr/bin/python3

# ---- help and usage ---------------------------------------------------------
check "--help" 0 "$LK" --help
has "--help lists scan" "$T/out" "scan"
for c in enroll scan list remove info; do
    check "$c --help" 0 "$LK" "$c" --help
    has "$c --help shows usage" "$T/out" "usage: likeness $c"
done
has "scan --help shows the default min face" "$T/out" "default"
check "unknown command" 2 "$LK" frobnicate
has "unknown command named" "$T/err" "frobnicate"
check "scan without gallery" 2 "$LK" scan x.jpg
check "bad threshold" 2 "$LK" scan --gallery "$T/g" --threshold abc x.jpg
has "bad threshold named" "$T/err" "threshold"

# ---- info ---------------------------------------------------------------------
check "info" 0 "$LK" info
has "info shows the recogniser" "$T/out" "face_embed"
check "info --json" 0 "$LK" info --json
has "info --json has models" "$T/out" '"models"'
check "missing model dir" 2 "$LK" info --models "$T/nowhere"
has "missing model dir named" "$T/err" "nowhere"

# ---- bad inputs -----------------------------------------------------------------
J="$T/junk"
mkdir -p "$J/sub"
: >"$J/empty.jpg"
head -c 4096 /dev/urandom >"$J/random.jpg"
echo "hello, not an image" >"$J/notes.png"
$PY - "$J" <<'EOF'
import sys, struct, zlib, numpy as np, cv2
d = sys.argv[1]
img = np.zeros((480, 640, 3), np.uint8)
img[:] = (40, 120, 200)
ok, buf = cv2.imencode(".jpg", img)
open(d + "/full.jpg", "wb").write(buf.tobytes())
open(d + "/sub/truncated.jpg", "wb").write(buf.tobytes()[: len(buf) // 3])
def chunk(t, data):
    return struct.pack(">I", len(data)) + t + data + struct.pack(">I", zlib.crc32(t + data) & 0xffffffff)
ihdr = struct.pack(">IIBBBBB", 50000, 50000, 8, 2, 0, 0, 0)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")
open(d + "/huge.png", "wb").write(png)
EOF
mkdir -p "$T/g0"
check "enroll refuses an empty file" 2 "$LK" enroll --gallery "$T/g0" --performer p0 "$J/empty.jpg"
has "empty file named" "$T/err" "empty.jpg"
check "scan junk dir: error exit" 2 "$LK" scan --gallery "$T/g0" "$J"
for f in empty.jpg random.jpg notes.png sub/truncated.jpg huge.png; do
    has "junk: $f reported" "$T/err" "$f"
done
has "huge png refused for size" "$T/err" "50000"
has "the good file in the junk dir was scanned" "$T/out" "scanned 6 files"
check "scan junk dir --json" 2 "$LK" scan --gallery "$T/g0" --json "$J"
n=$(wc -l <"$T/out")
[ "$n" = 6 ] && ok "one JSON line per file" || ko "one JSON line per file ($n)"
$PY -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/out" \
    && ok "JSON Lines parse" || ko "JSON Lines parse"
has "JSON error record" "$T/out" '"error":{"status":"format"'
check "missing file" 2 "$LK" scan --gallery "$T/g0" "$T/does-not-exist.jpg"
has "missing file named" "$T/err" "does-not-exist.jpg"

# ---- enrol and scan real faces ------------------------------------------------------
M="$T/media"
if ! /usr/bin/python3 "$ROOT/examples/demo/make_media.py" "$M" >"$T/media.log" 2>&1; then
    ko "demo media generated"; sed 's/^/    | /' "$T/media.log" | tail -5
else
    ok "demo media generated"
    . "$M/media.env"      # ENROL_A, PROBE_A, OTHER, NOFACE, MULTI, ...
    G="$T/g1"
    check "enroll A" 0 "$LK" enroll --gallery "$G" --performer perf-a --name "Performer A" $ENROL_A
    has "enroll A reports template" "$T/out" "enrolled for perf-a"
    check "enroll again is a no-op" 0 "$LK" enroll --gallery "$G" --performer perf-a $ENROL_A
    has "duplicate noticed" "$T/out" "already enrolled"
    check "enroll B" 0 "$LK" enroll --gallery "$G" --performer perf-b --name "Performer B" "$OTHER"
    check "enroll a photo without face" 2 "$LK" enroll --gallery "$G" --performer perf-b "$NOFACE"
    has "no face said" "$T/err" "no face"
    check "enroll a photo with several faces" 2 "$LK" enroll --gallery "$G" --performer perf-c "$MULTI"
    has "several faces said" "$T/err" "faces"
    check "enroll --largest takes one" 0 "$LK" enroll --gallery "$G" --performer perf-c --largest "$MULTI"
    check "list" 0 "$LK" list --gallery "$G"
    has "list shows A" "$T/out" "perf-a"
    has "list shows the name" "$T/out" "Performer A"
    check "scan finds A" 1 "$LK" scan --gallery "$G" $PROBE_A
    has "A matched" "$T/out" "MATCH perf-a"
    check "scan no-face image" 0 "$LK" scan --gallery "$G" "$NOFACE"
    check "scan --json finds A" 1 "$LK" scan --gallery "$G" --json $PROBE_A
    $PY - "$T/out" <<'EOF' && ok "JSON finding schema" || ko "JSON finding schema"
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    assert r["type"] == "image" and r["faces"] >= 1, r
    f = r["findings"][0]
    assert f["performer"] == "perf-a" and f["decision"] == "match", f
    assert 0 < f["score"] <= 1 and len(f["box"]) == 4 and len(f["landmarks"]) == 5
EOF
    check "a threshold of 1 finds nothing" 0 "$LK" scan --gallery "$G" --threshold 1 $PROBE_A
    check "--all reports unmatched faces" 0 "$LK" scan --gallery "$G" --threshold 1 --all $PROBE_A
    has "unmatched face reported" "$T/out" "no match"
    check "info with gallery" 0 "$LK" info --gallery "$G"
    has "info counts performers" "$T/out" "performers 3"
    check "remove A" 0 "$LK" remove --gallery "$G" --performer perf-a
    check "remove A again" 2 "$LK" remove --gallery "$G" --performer perf-a
    check "A no longer found" 0 "$LK" scan --gallery "$G" $PROBE_A
    hasnt "A absent after removal" "$T/out" "perf-a"
    ls "$G"/*.faiss >/dev/null 2>&1 && ok "index file beside the database" || ko "index file beside the database"
    rm -f "$G"/*.faiss*
    check "scan after index deleted (rebuilt)" 1 "$LK" scan --gallery "$G" "$OTHER"
    has "B still found from the rebuilt index" "$T/out" "MATCH perf-b"
    ls "$G"/*.faiss >/dev/null 2>&1 && ok "index file rewritten" || ko "index file rewritten"
    mkdir -p "$T/altmodels"
    ln -s "$ROOT/models/weights" "$T/altmodels/weights"
    sed 's/"fr_feature@0.0.1"/"fr_feature-alt@9"/' "$ROOT/models/manifest.json" >"$T/altmodels/manifest.json"
    check "mismatched model refused" 2 "$LK" scan --gallery "$G" --models "$T/altmodels" "$OTHER"
    has "mismatch names both models" "$T/err" "fr_feature-alt@9"
fi

rm -rf "$T"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
