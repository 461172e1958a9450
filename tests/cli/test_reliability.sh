#!/bin/sh
# test_reliability.sh — hostile inputs through the real `likeness` binary
# (issue 17): what is not a regular file (FIFO, device, socket) refused at
# once and named; NaN and out-of-range numbers refused; names and file
# names with control characters unable to forge a line of text; non-UTF-8
# names told apart in JSON; symlinked directories followed, a loop
# reported; long messages kept.  Usage: test_reliability.sh PATH/TO/likeness
# Prints TAP and "# N passed, N failed".
set -u
LK=$1
ROOT=${LK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
T=$(mktemp -d "${LK_TEST_TMP:-/tmp}/rel.XXXXXX" 2>/dev/null || mktemp -d)
# Every checked command runs under a timeout: a blocking open or read
# fails the test instead of hanging it.  has/hasnt match fixed strings.
TAP_TIMEOUT=120
TAP_FIXED=1
. "$(dirname "$0")/tap.sh"
PY=/usr/bin/python3

M="$T/media"
if ! $PY "$ROOT/examples/demo/make_media.py" "$M" >"$T/media.log" 2>&1; then
    ko "demo media generated"; sed 's/^/#   | /' "$T/media.log" | tail -5
    echo "1..$((pass + fail))"; rm -rf "$T"; exit 1
fi
. "$M/media.env"
PROBE=${PROBE_A%% *}
G="$T/g"
check "enroll the performer" 0 "$LK" enroll --gallery "$G" --performer perf-a --name "Performer A" $ENROL_A

# ---- row 2: not a regular file ----------------------------------------------
mkfifo "$T/fifo.jpg"
check "enroll a FIFO: refused, not waited on" 2 "$LK" enroll --gallery "$G" --performer perf-a "$T/fifo.jpg"
has "enroll FIFO named" "$T/err" "fifo.jpg: not a regular file"
check "scan a FIFO" 2 "$LK" scan --gallery "$G" "$T/fifo.jpg"
has "scan FIFO named" "$T/err" "fifo.jpg: not a regular file"
check "inspect a FIFO" 2 "$LK" inspect "$T/fifo.jpg"
has "inspect FIFO named" "$T/err" "fifo.jpg: not a regular file"
check "scan a character device" 2 "$LK" scan --gallery "$G" /dev/zero
has "device named" "$T/err" "/dev/zero: not a regular file"
$PY -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/sock.jpg"
check "scan a socket" 2 "$LK" scan --gallery "$G" "$T/sock.jpg"
has "socket named" "$T/err" "sock.jpg"
mkdir -p "$T/fifomodels"
mkfifo "$T/fifomodels/manifest.json"
check "a FIFO as the model manifest" 2 "$LK" info --models "$T/fifomodels"
has "manifest FIFO named" "$T/err" "manifest.json: not a regular file"
check "a FIFO as a licensee certificate" 2 "$LK" consent add --gallery "$G" --performer perf-a --use dubbing --modality face --licensee L --licensee-cert "$T/fifo.jpg" --from 2024-01-01
has "certificate FIFO named" "$T/err" "fifo.jpg: not a regular file"
mkdir -p "$T/withfifo"
cp "$PROBE" "$T/withfifo/a.jpg"
mkfifo "$T/withfifo/b.jpg"
check "a FIFO in a directory: an error, the batch goes on" 2 "$LK" scan --gallery "$G" "$T/withfifo"
has "the good file still scanned" "$T/out" "a.jpg: MATCH perf-a"
has "the FIFO named" "$T/err" "b.jpg: not a regular file"

# ---- row 3: numbers ------------------------------------------------------------
for opt in threshold voice-threshold fps merge-gap scene-threshold; do
    for v in nan inf -inf; do
        check "--$opt $v refused" 2 "$LK" scan --gallery "$G" --$opt $v "$PROBE"
        has "--$opt $v named" "$T/err" "--$opt"
    done
done
check "--threshold 1.5 refused" 2 "$LK" scan --gallery "$G" --threshold 1.5 "$PROBE"
check "--min-face huge refused" 2 "$LK" scan --gallery "$G" --min-face 99999999 "$PROBE"
has "--min-face bound said" "$T/err" "1..65536"
check "--jobs huge refused" 2 "$LK" scan --gallery "$G" --jobs 100000 "$PROBE"
has "--jobs bound said" "$T/err" "1..256"
check "--max-side huge refused" 2 "$LK" scan --gallery "$G" --max-side 9999999 "$PROBE"

# ---- row 8: unambiguous text ---------------------------------------------------------
NL=$(printf 'a.jpg: MATCH mallory (Mallory) score 0.999\nb')
mkdir -p "$T/nl"
cp "$PROBE" "$T/nl/$NL.jpg"
check "scan a file whose name holds a newline" 1 "$LK" scan --gallery "$G" --quiet "$T/nl"
n=$(wc -l <"$T/out")
[ "$n" = 1 ] && ok "one line for one finding" || ko "one line for one finding ($n)"
has "the newline escaped" "$T/out" 'score 0.999\nb.jpg: MATCH perf-a'
check "a missing file whose name holds a newline" 2 "$LK" scan --gallery "$G" --quiet "$T/$NL"
n=$(wc -l <"$T/err")
[ "$n" = 1 ] && ok "its error is one line" || ko "its error is one line ($n)"
check "enrolment refuses a control character in an id" 2 "$LK" enroll --gallery "$G" --performer "$(printf 'x\ny')" $ENROL_A
has "id refusal said" "$T/err" "control character"
check "enrolment refuses a control character in a name" 2 "$LK" enroll --gallery "$G" --performer perf-b --name "$(printf 'B\rMATCH')" "$OTHER"
has "name refusal said" "$T/err" "control character"
# a name written into the database by other means
GH="$T/gh"
cp -r "$G" "$GH"
sqlite3 "$GH/gallery.db" "update performers set name='A'||char(10)||'x.jpg: MATCH mallory (Mallory) score 0.999' where ext_id='perf-a'"
check "scan with a hostile name in the database" 1 "$LK" scan --gallery "$GH" --quiet "$PROBE"
n=$(wc -l <"$T/out")
[ "$n" = 1 ] && ok "the hostile name forges no line" || ko "the hostile name forges no line ($n)"
has "the name escaped" "$T/out" '(A\nx.jpg: MATCH mallory (Mallory) score 0.999)'
check "list with a hostile name" 0 "$LK" list --gallery "$GH"
n=$(wc -l <"$T/out")
[ "$n" = 1 ] && ok "list: one line per performer" || ko "list: one line per performer ($n)"

# ---- row 9: non-UTF-8 names in JSON -------------------------------------------------
mkdir -p "$T/bytes"
cp "$PROBE" "$T/bytes/$(printf 'a\376.jpg')"
cp "$PROBE" "$T/bytes/$(printf 'a\377.jpg')"
check "scan two names that are not UTF-8" 1 "$LK" scan --gallery "$G" --json "$T/bytes"
$PY - "$T/out" "$T/bytes" <<'PYEOF' && ok "path_bytes tells them apart, exactly" || ko "path_bytes tells them apart, exactly"
import base64, json, os, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
got = sorted(base64.b64decode(r["path_bytes"]) for r in recs)
d = os.fsencode(sys.argv[2])
want = sorted(d + b"/" + n for n in os.listdir(d))
assert len(recs) == 2 and recs[0]["path"] == recs[1]["path"], recs
assert got == want, (got, want)
PYEOF
check "error record of a name that is not UTF-8" 2 "$LK" scan --gallery "$G" --json "$T/$(printf 'gone\377.jpg')"
has "error record has path_bytes" "$T/out" '"path_bytes":'
check "a UTF-8 name has no path_bytes" 1 "$LK" scan --gallery "$G" --json "$PROBE"
hasnt "no path_bytes" "$T/out" 'path_bytes'

# ---- row 10: symbolic links to directories ---------------------------------------
mkdir -p "$T/tree/a" "$T/tree/real"
cp "$PROBE" "$T/tree/real/x.jpg"
ln -s ../real "$T/tree/a/link"
check "a symlinked directory is followed" 1 "$LK" scan --gallery "$G" "$T/tree/a"
has "its file scanned" "$T/out" "tree/a/link/x.jpg: MATCH perf-a"
has "one file" "$T/out" "scanned 1 file"
ln -s .. "$T/tree/real/up"
check "a loop is reported, not followed for ever" 2 "$LK" scan --gallery "$G" "$T/tree/real"
# up leads to tree, whose a/link and real lead back to real: loops
has "the loop named" "$T/err" "tree/real/up/real: not followed"
has "the file still scanned once" "$T/out" "scanned 1 file"

# ---- row 13: messages -------------------------------------------------------------------
LONG=$T
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do LONG="$LONG/$(printf '%0100d' $i)"; done
check "a message with a path over 1,023 bytes" 2 "$LK" scan --gallery "$G" "$LONG/missing.jpg"
has "kept whole" "$T/err" "missing.jpg: No such file or directory"

# each file's log messages whole and with it, in input order, however
# many files run at once: debug lines (-v -v) of a file right before its
# error, never between another file's
mkdir -p "$T/bad"
for i in 1 2 3 4 5 6 7 8; do head -c $((4000 + i * 100)) "$PROBE" >"$T/bad/t$i.jpg"; done
check "parallel scan of damaged files, logging" 2 "$LK" -v -v scan --gallery "$G" --jobs 4 "$T/bad"
grep -F "$T/bad/" "$T/err" | sed 's/^likeness: \(debug: \)\{0,1\}//; s/: .*//' >"$T/order"
$PY - "$T/order" <<'PYEOF' && ok "log messages in input order, each with its file" || ko "log messages in input order, each with its file"
import sys
names = [l.strip() for l in open(sys.argv[1])]
assert len(names) == 16, names
pairs = [names[i:i + 2] for i in range(0, 16, 2)]
assert all(a == b for a, b in pairs), pairs
assert [a for a, _ in pairs] == sorted(a for a, _ in pairs), pairs
PYEOF

# ---- the memory cap (--max-memory) ----------------------------------------------
# A 12-Mpx photo needs about 57 MB (5 bytes a pixel): refused under a 40 MB
# cap, naming it, while the batch goes on; two of them under a 70 MB cap at
# --jobs 2 take turns instead of exceeding it.
/usr/bin/python3 -c 'import sys, numpy as np, cv2; cv2.imwrite(sys.argv[1], np.full((3000, 4000, 3), 90, np.uint8))' "$T/big.jpg"
check "a file over the memory cap" 2 "$LK" scan --gallery "$G" --max-memory 40 "$T/big.jpg" ${PROBE_A%% *}
has "the file and the cap named" "$T/err" "big.jpg: needs about 57 MB to decode and search, over the memory cap of 40 MB"
has "the batch went on" "$T/out" "MATCH perf-a"
check "two within the cap take turns" 0 "$LK" scan --gallery "$G" --max-memory 70 --jobs 2 "$T/big.jpg" "$T/big.jpg"
has "both scanned" "$T/out" "scanned 2 files: 0 faces, 0 matches in 0 files, 0 errors"
check "a bad --max-memory" 2 "$LK" scan --gallery "$G" --max-memory 0 "$T/big.jpg"

rm -rf "$T"
echo "1..$((pass + fail))"
echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
