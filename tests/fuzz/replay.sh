#!/bin/sh
# replay.sh — every fuzz target replayed, as a plain program (replay.c), on
# the kept regression inputs and on seeds made here: tiny files in each
# container the media target reads (ffmpeg), signed files in each container
# the C2PA reader walks (c2pa_craft --make-seeds), and a few photos.
# Usage: replay.sh BUILD_TESTS_DIR SOURCE_ROOT.  Exit 77 without ffmpeg.
set -u
B=$1 SRC=$2
command -v ffmpeg >/dev/null 2>&1 || { echo "ffmpeg missing: skipped"; exit 77; }
T=$(mktemp -d "${LK_TEST_TMP:-/tmp}/replay.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$T"' EXIT
S=$T/seeds
mkdir -p "$S/media" "$S/c2pa"
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
ff -f lavfi -i testsrc=size=64x48:rate=5:duration=1 -f lavfi -i sine=duration=1 \
    -c:v mpeg4 -c:a aac -shortest "$S/media/av.mp4"
ff -f lavfi -i testsrc=size=64x48:rate=5:duration=1 -c:v mpeg2video "$S/media/v.ts"
ff -f lavfi -i testsrc=size=64x48:rate=5:duration=1 -f lavfi -i sine=duration=1 \
    -c:v mpeg4 -c:a mp3 -shortest "$S/media/av.avi"
ff -f lavfi -i testsrc=size=64x48:rate=5:duration=1 -f lavfi -i sine=duration=1 \
    -c:v mpeg4 -c:a flac -shortest "$S/media/av.mkv"
ff -f lavfi -i sine=duration=1 "$S/media/a.wav"
ff -f lavfi -i sine=duration=1 -c:a mp3 "$S/media/a.mp3"
ff -f lavfi -i sine=duration=1 -c:a flac "$S/media/a.flac"
ff -f lavfi -i testsrc=size=64x48 -frames:v 1 "$S/media/p.png"
ff -f lavfi -i testsrc=size=64x48 -frames:v 1 "$S/media/p.jpg"
[ -x "$B/c2pa_craft" ] && "$B/c2pa_craft" --make-seeds "$S/c2pa" >/dev/null
rc=0
for t in fuzz_image fuzz_manifest fuzz_media fuzz_c2pa; do
    "$B/replay_$t" "$SRC/tests/fuzz/regress" "$S" || { echo "FAIL: $t"; rc=1; }
done
exit $rc
