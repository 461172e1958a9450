#!/bin/bash
# The quick-start demo: set up and build, make the demo media from photos that
# Debian packages ship (examples/demo/README.md), enrol a performer in a fresh
# gallery, scan images and a video for her, and show the evidence on a copy
# of her photo labelled as AI-generated.
#
# Usage: scripts/demo.sh [OUTDIR]     (default: $BUILD_DIR/demo, i.e. build/demo)
# Environment: BUILD_DIR=build (as for scripts/setup.sh)
#
# `likeness scan` exits 0 when it finds nothing, 1 when it finds the
# performer, 2 on an error (as clamscan does).  The demo checks each command's
# exit code against what the media should give and exits 1 on any surprise.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export BUILD_DIR=${BUILD_DIR:-build}
OUT=${1:-$BUILD_DIR/demo}
LIKENESS=$BUILD_DIR/engine/cli/likeness

log() { printf 'demo.sh: %s\n' "$*" >&2; }

scripts/setup.sh
[[ -x $LIKENESS ]] || { log "ERROR: $LIKENESS was not built"; exit 1; }

examples/demo/make_media.sh "$OUT"
# A 12 s video of the same people with known times (examples/demo/README.md)
/usr/bin/python3 examples/demo/make_video.py "$OUT" "$OUT/scan/interview.mp4" >/dev/null
# ENROL_A, SCAN_DIR, OTHER, OTHER_PROFILE, NOFACE: see examples/demo/README.md
# shellcheck source=/dev/null
. "$OUT/media.env"
GALLERY=$OUT/gallery
rm -rf "$GALLERY"
mkdir -p "$GALLERY"

surprises=0
# expect CODE COMMAND...: show and run the command, and compare its exit code.
expect() {
    local want=$1 rc=0
    shift
    printf '\n$'
    printf ' %q' "$@"
    printf '\n'
    "$@" || rc=$?
    if ((rc != want)); then
        log "expected exit $want, got $rc from: $*"
        surprises=$((surprises + 1))
    fi
}

# shellcheck disable=SC2086  # the lists in media.env are meant to split
expect 0 "$LIKENESS" enroll --gallery "$GALLERY" --performer collins \
    --name "$PERFORMER_NAME" $ENROL_A
# Finds her in closeup_bright.jpg, launch_scene.jpg (beside another person)
# and small_grey.png, and twice in interview.mp4 (3-7 s, and 10-12 s in the
# launch scene); nothing in the other three photos.
expect 1 "$LIKENESS" scan --gallery "$GALLERY" "$SCAN_DIR"
expect 1 "$LIKENESS" scan --gallery "$GALLERY" --json "$SCAN_DIR"
# Other people and no face at all: nothing found.
expect 0 "$LIKENESS" scan --gallery "$GALLERY" "$OTHER" "$OTHER_PROFILE" "$NOFACE"
# Evidence: a copy of her close-up labelled the way image generators label
# their output (XMP Iptc4xmpExt:DigitalSourceType trainedAlgorithmicMedia,
# written by exiftool): the finding says declared-ai, and `inspect` reads
# the label without any gallery (exit 1: a file declares AI).
LABELLED=$OUT/labelled/generated_closeup.jpg
mkdir -p "$OUT/labelled"
rm -f "$LABELLED"
for f in $PROBE_A; do
    exiftool -q -o "$LABELLED" "-XMP-xmp:CreatorTool=Demo Image Generator" \
        "-XMP-iptcExt:DigitalSourceType=http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia" "$f"
    break
done
expect 1 "$LIKENESS" scan --gallery "$GALLERY" "$LABELLED"
expect 1 "$LIKENESS" inspect "$LABELLED"
expect 0 "$LIKENESS" list --gallery "$GALLERY"
expect 0 "$LIKENESS" info --gallery "$GALLERY"
# The review: the findings recorded in a findings store (a rescan of the
# same media updates them), one confirmed, and the page a reviewer reads.
CASES=$OUT/cases.db
rm -f "$CASES" "$CASES-wal" "$CASES-shm"
expect 1 "$LIKENESS" scan --gallery "$GALLERY" --quiet --record "$CASES" "$SCAN_DIR" "$LABELLED"
expect 0 "$LIKENESS" findings list --record "$CASES"
expect 0 "$LIKENESS" findings mark --record "$CASES" --status confirmed \
    --reviewer demo --reason "her face in AI-labelled content, no licence" \
    "$("$LIKENESS" findings list --record "$CASES" --action alert --json |
       /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["id"])')"
expect 0 "$LIKENESS" report --record "$CASES" --out "$OUT/report"

echo
if ((surprises)); then
    log "$surprises command(s) did not exit as expected"
    exit 1
fi
log "demo finished as expected; media, gallery and findings in $OUT; the report: $OUT/report/index.html"
