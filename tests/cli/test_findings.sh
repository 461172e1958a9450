#!/bin/sh
# test_findings.sh — the findings store through the real `likeness`
# binary: scan --record, a rescan of the same media leaves the number of
# findings unchanged and the marks in place, review moves with a reason,
# filters, and CSV and JSON Lines exports (a hostile file name stays one
# quoted field and is not a spreadsheet formula).
# Usage: test_findings.sh PATH/TO/likeness.  Prints TAP.
set -u
LK=$1
ROOT=${LK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
T=$(mktemp -d "${LK_TEST_TMP:-/tmp}/findings.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/tap.sh"
PY=/usr/bin/python3

for c in list show mark export notice; do
    check "findings $c --help" 0 "$LK" findings "$c" --help
    has "findings $c --help: usage" "$T/out" "usage: likeness findings $c"
done
check "findings without --record" 2 "$LK" findings list
M="$T/media"
if ! $PY "$ROOT/examples/demo/make_media.py" "$M" >"$T/media.log" 2>&1; then
    ko "demo media generated"
    finish
fi
. "$M/media.env"
if ! $PY "$ROOT/examples/demo/make_video.py" "$M" "$M/scan/interview.mp4" >/dev/null 2>&1; then
    ko "demo video made"
fi
# a copy of a photo under a hostile name
HOSTILE="$M/scan/=HYPERLINK(\"x\"),\"quoted\".jpg"
cp "${PROBE_A%% *}" "$HOSTILE"
exiftool -q -overwrite_original "-XMP-dc:Title=another copy" "$HOSTILE"
G="$T/g"
C="$T/cases.db"
check "enroll" 0 "$LK" enroll --gallery "$G" --performer collins --name "Eileen Collins" $ENROL_A
check "scan --record" 1 "$LK" scan --gallery "$G" --record "$C" "$SCAN_DIR"
has "recorded new findings" "$T/out" "recorded in .*: [1-9][0-9]* new findings, 0 seen again"
check "findings list --json" 0 "$LK" findings list --record "$C" --json
n1=$(wc -l <"$T/out")
[ "$n1" -ge 5 ] && ok "findings recorded ($n1)" || ko "findings recorded ($n1)"
ID=$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["id"])' "$T/out")
check "mark without a reason" 2 "$LK" findings mark --record "$C" --status confirmed "$ID"
check "mark to a state not allowed" 2 "$LK" findings mark --record "$C" --status resolved --reason x "$ID"
has "the moves named" "$T/err" "cannot become resolved"
check "mark an unknown finding" 2 "$LK" findings mark --record "$C" --status confirmed --reason x 99999
check "mark a bad state" 2 "$LK" findings mark --record "$C" --status closed --reason x "$ID"
check "confirm" 0 "$LK" findings mark --record "$C" --status confirmed --reviewer alice --reason "her face, unlicensed" "$ID"
check "rescan into the same store" 1 "$LK" scan --gallery "$G" --record "$C" --context channel=yt:mirror "$SCAN_DIR"
has "rescan: nothing new" "$T/out" "recorded in .*: 0 new findings, $n1 seen again"
check "findings list after the rescan" 0 "$LK" findings list --record "$C" --json
n2=$(wc -l <"$T/out")
[ "$n1" = "$n2" ] && ok "a rescan leaves the number of findings ($n2)" || ko "a rescan leaves the number of findings ($n1 then $n2)"
check "show" 0 "$LK" findings show --record "$C" --json "$ID"
$PY - "$T/out" <<'PYEOF' && ok "the mark survives the rescan, both scans seen" || ko "the mark survives the rescan, both scans seen"
import json, sys
f = json.loads(open(sys.argv[1]).read())
assert f["state"] == "confirmed" and f["scans"] == 2, f
assert [r["reviewer"] for r in f["reviews"]] == ["alice"], f["reviews"]
assert f["reviews"][0]["reason"] == "her face, unlicensed"
assert len(f["seen"]) == 2 and f["context"] == {"channel": "yt:mirror"}, f["seen"]
assert len(f["sha256"]) == 64 and f["finding"]["licence"]["status"] == "unlicensed"
PYEOF
check "filter by state" 0 "$LK" findings list --record "$C" --status confirmed
n=$(wc -l <"$T/out")
[ "$n" = 1 ] && ok "one confirmed finding" || ko "one confirmed finding ($n)"
check "a bad filter" 2 "$LK" findings list --record "$C" --action block
check "export csv" 0 "$LK" findings export --record "$C" -o "$T/cases.csv"
$PY - "$T/cases.csv" "$n1" <<'PYEOF' && ok "CSV: a header, a row each, the hostile name one guarded field" || ko "CSV: a header, a row each, the hostile name one guarded field"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == int(sys.argv[2]), len(rows)
assert {"id", "state", "action", "licence", "path", "sha256", "fmr"} <= set(rows[0]), rows[0].keys()
bad = [r for r in rows if "HYPERLINK" in r["path"]]
assert len(bad) == 1, [r["path"] for r in rows]
p = bad[0]["path"]
assert p.rsplit("/", 1)[-1] == '=HYPERLINK("x"),"quoted".jpg', p
PYEOF
# ---- a take-down notice draft -------------------------------------------------------
check "no notice for a new finding" 2 "$LK" findings notice --record "$C" "$(($ID + 1))"
has "confirm first, said" "$T/err" "confirmed finding"
check "notice" 0 "$LK" findings notice --record "$C" "$ID"
has "notice: whose likeness" "$T/out" "likeness of Eileen Collins"
has "notice: the hash" "$T/out" "Content SHA-256: [0-9a-f]\{64\}"
has "notice: the licence" "$T/out" "Licence: unlicensed"
has "notice: both places" "$T/out" "yt:mirror"
has "notice: the review" "$T/out" "Reviewed by alice .*: her face, unlicensed"
check "print the template" 0 "$LK" findings notice --print-template
sed 's/^Subject: .*/Subject: {{performer}} at {{where}}/' "$T/out" >"$T/tmpl.txt"
check "notice from an edited template" 0 "$LK" findings notice --record "$C" --template "$T/tmpl.txt" "$ID"
has "the edited subject" "$T/out" "^Subject: collins at "
printf 'Dear {{nobody}}\n' >"$T/bad.txt"
check "a template with an unknown field" 2 "$LK" findings notice --record "$C" --template "$T/bad.txt" "$ID"
has "the field named" "$T/err" "{{nobody}}"
[ ! -s "$T/out" ] && ok "no half notice" || ko "no half notice"
# ---- progress on a terminal's stderr, and only there ------------------------------
if command -v script >/dev/null 2>&1; then
    script -qec "\"$LK\" scan --gallery \"$G\" \"$SCAN_DIR\"" /dev/null | tr '\r' '\n' >"$T/tty.txt"
    has "progress on a terminal" "$T/tty.txt" "^[0-9]*/[0-9]* files, [0-9]* findings\?, [0-9]*:[0-9][0-9] left, "
    "$LK" scan --gallery "$G" "$SCAN_DIR" >/dev/null 2>"$T/notty.txt"
    hasnt "no progress when stderr is not a terminal" "$T/notty.txt" " left, "
    script -qec "\"$LK\" scan --quiet --gallery \"$G\" \"$SCAN_DIR\"" /dev/null | tr '\r' '\n' >"$T/tty_quiet.txt"
    hasnt "no progress with --quiet" "$T/tty_quiet.txt" " left, "
else
    ko "script (util-linux) is missing"
fi
check "export jsonl" 0 "$LK" findings export --record "$C" --format jsonl --action review
$PY -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/out" && ok "JSON Lines parse" || ko "JSON Lines parse"
finish
