#!/bin/bash
# A digest of what `likeness scan --json` finds in the whole evaluation
# directory, so that a change meant to keep behaviour can be checked to
# keep it (issue 10's "checksum before and after").
#
# A fixed gallery is enrolled from the development set's manifests (the
# first photo of each faces_face_recognition identity, the first three
# utterances of each voices_librispeech_resemblyzer speaker), then every
# file under the evaluation directory is scanned.  Each record is reduced
# to its path (relative to the directory), type (or error status), file
# verdict and synthetic-speech score, and per finding the performer,
# modality, decision, times, scores and speech score rounded to 3 decimals
# and the evidence verdict; the sorted lines are hashed.
#
# Usage: tests/eval/findings_digest.sh [BUILD_DIR] [EVAL_DIR]
#   BUILD_DIR  default build;  EVAL_DIR  default $LIKENESS_EVAL_DIR, else
#   ../shared/eval beside the checkout.
# Prints "digest SHA256 records N findings M"; with DIGEST_LINES=FILE also
# writes the normalised lines there (for a diff).  Exit 77 without the data.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-$ROOT/build}
EVAL=${2:-${LIKENESS_EVAL_DIR:-$ROOT/../shared/eval}}
[[ -d $EVAL ]] || { echo "findings_digest: no evaluation data at $EVAL" >&2; exit 77; }
EVAL=$(cd "$EVAL" && pwd)
LK=$BUILD/engine/cli/likeness
[[ -x $LK ]] || { echo "findings_digest: no $LK (build first)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
G=$tmp/gallery

faces=$EVAL/faces_face_recognition
while IFS=$'\t' read -r file label _; do
    [[ $file == file || $label == *:* || $label == *_* && ! -d $faces/$label ]] && continue
    [[ -d $faces/$label && $file == "$label"/* ]] || continue
    [[ -e $tmp/seen.$label ]] && continue
    : > "$tmp/seen.$label"
    "$LK" enroll --gallery "$G" --performer "$label" --largest "$faces/$file" >/dev/null
done < "$faces/MANIFEST.tsv"

voices=$EVAL/voices_librispeech_resemblyzer
while IFS=$'\t' read -r file label _; do
    [[ $file == file || $label != librispeech_* ]] && continue
    n=$(cat "$tmp/n.$label" 2>/dev/null || echo 0)
    ((n < 3)) || continue
    echo $((n + 1)) > "$tmp/n.$label"
    "$LK" enroll --gallery "$G" --performer "$label" "$voices/$file" >/dev/null 2>&1 || true
done < "$voices/MANIFEST.tsv"

rc=0
"$LK" scan --gallery "$G" --json --jobs 2 "$EVAL" > "$tmp/scan.jsonl" 2>"$tmp/scan.err" || rc=$?
((rc <= 2)) || { cat "$tmp/scan.err" >&2; exit 2; }

/usr/bin/python3 - "$EVAL" "$tmp/scan.jsonl" "${DIGEST_LINES:-}" <<'PYTHON'
import hashlib, json, os, sys
root, src, dump = sys.argv[1], sys.argv[2], sys.argv[3]
r3 = lambda v: "-" if v is None else "%.3f" % v
lines, nf = [], 0
for raw in open(src, encoding="utf-8", errors="surrogateescape"):
    rec = json.loads(raw)
    path = os.path.relpath(rec.get("path", "?"), root)
    if "error" in rec:
        lines.append("%s\terror %s" % (path, rec["error"].get("status")))
        continue
    parts = []
    for f in rec.get("findings", []):
        nf += 1
        ev = f.get("evidence") or {}
        sp = ev.get("synthetic_speech") or {}
        voice = f.get("voice") or {}
        parts.append(" ".join([
            str(f.get("performer")), str(f.get("modality", "face")),
            str(f.get("decision")), r3(f.get("start")), r3(f.get("end")),
            r3(f.get("score")), r3(f.get("peak_score")),
            r3(voice.get("score")), str(ev.get("verdict")),
            r3(sp.get("score"))]))
    sp = rec.get("synthetic_speech") or {}
    lines.append("%s\t%s %s %s\t%s" % (
        path, rec.get("type"), (rec.get("provenance") or {}).get("verdict"),
        r3(sp.get("score")), " | ".join(parts)))
lines.sort()
text = "\n".join(lines) + "\n"
if dump:
    open(dump, "w").write(text)
print("digest %s records %d findings %d" %
      (hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest(),
       len(lines), nf))
PYTHON
