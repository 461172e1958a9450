#!/bin/sh
# test_cli.sh — runs the real `likeness` binary on real files and checks
# output and exit codes.  Usage: test_cli.sh PATH/TO/likeness
# Media: the demo's redistributable photos (examples/demo/make_media.py),
# videos made from them (make_video.py), speech made with flite, and bad
# files made here.  Prints TAP ("ok - …", "not ok - …", the plan last) and
# "# N passed, N failed".
set -u
LK=$1
ROOT=${LK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
T=$(mktemp -d "${LK_TEST_TMP:-/tmp}/cli.XXXXXX" 2>/dev/null || mktemp -d)
mkdir -p "$T"
. "$(dirname "$0")/tap.sh"
PY=/usr/bin/python3

# ---- help and usage ---------------------------------------------------------
check "--help" 0 "$LK" --help
has "--help lists scan" "$T/out" "scan"
for c in enroll scan list remove info audit inspect train-voice train-spoof; do
    check "$c --help" 0 "$LK" "$c" --help
    has "$c --help shows usage" "$T/out" "usage: likeness $c"
done
has "scan --help shows the default min face" "$T/out" "default"
check "audit verify --help" 0 "$LK" audit verify --help
has "audit verify --help shows --expect" "$T/out" "\-\-expect HASH"
check "audit without a subcommand" 2 "$LK" audit
check "audit unknown subcommand" 2 "$LK" audit frob --gallery "$T/g"
has "audit unknown subcommand named" "$T/err" "frob"
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
    ko "demo media generated"; sed 's/^/#   | /' "$T/media.log" | tail -5
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
    # ---- video ----------------------------------------------------------------
    # examples/demo/make_video.py: 0-3 s no face, 3-7 s A, 7-10 s B (OTHER),
    # 10-12 s a scene with A (left) and B (right).  B is enrolled twice, as
    # perf-b and (the scene's largest face) perf-c.
    V="$T/video"
    mkdir -p "$V"
    if ! $PY "$ROOT/examples/demo/make_video.py" "$M" "$V/clip.mp4" >"$T/timeline.json" 2>"$T/mv.err"; then
        ko "test video generated"; sed 's/^/#   | /' "$T/mv.err" | tail -5
    else
        ok "test video generated"
        check "scan a video finds A and B" 1 "$LK" scan --gallery "$G" --json "$V/clip.mp4"
        cp "$T/out" "$T/video.json"
        $PY - "$T/video.json" <<'PYEOF' && ok "video findings: who and when" || ko "video findings: who and when"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["type"] == "video" and r["width"] == 640 and r["height"] == 360, r
assert abs(r["duration"] - 12.0) < 0.1 and r["warning_count"] == 0, r
assert r["frames_sampled"] < r["frames_decoded"] <= 300, r
m = [(f["performer"], f["start"], f["end"]) for f in r["findings"] if f["decision"] == "match"]
a = sorted(x for x in m if x[0] == "perf-a")
# B is OTHER; perf-c was enrolled from the scene's largest face, OTHER too
b = sorted(x for x in m if x[0] in ("perf-b", "perf-c"))
assert {x[0] for x in m} <= {"perf-a", "perf-b", "perf-c"}, m
# A: 3-7 s, then again (after B's shot) 10-12 s: two appearances
assert len(a) == 2, a
assert 2.9 <= a[0][1] <= 3.3 and 6.4 <= a[0][2] <= 7.0, a
assert 9.9 <= a[1][1] <= 10.3 and a[1][2] >= 11.5, a
# B: 7 s to the end, one appearance across the cut into the scene
assert len(b) == 1 and 6.9 <= b[0][1] <= 7.3 and b[0][2] >= 11.5, b
for f in r["findings"]:
    assert f["start"] <= f["best_time"] <= f["end"] and f["frames"] >= f["embedded"] >= 1, f
    assert 0.4 <= f["score"] <= f["peak_score"] <= 1, f
PYEOF
        check "human output for a video" 1 "$LK" scan --gallery "$G" "$V/clip.mp4"
        has "times in human output" "$T/out" "MATCH perf-a (Performer A) 3.00-"
        cp "$V/clip.mp4" "$V/clip_named.jpg"
        check "a video named .jpg is still a video" 1 "$LK" scan --gallery "$G" "$V/clip_named.jpg"
        has "misnamed video scanned" "$T/out" "MATCH perf-a"
        for pol in rate keyframes; do
            check "--sampling $pol" 1 "$LK" scan --gallery "$G" --json --sampling $pol "$V/clip.mp4"
            has "--sampling $pol finds A" "$T/out" '"performer":"perf-a"'
        done
        check "--sampling unknown" 2 "$LK" scan --gallery "$G" --sampling often "$V/clip.mp4"
        has "--sampling unknown named" "$T/err" "often"
        check "--fps 0 refused" 2 "$LK" scan --gallery "$G" --fps 0 "$V/clip.mp4"
        check "scan --help" 0 "$LK" scan --help
        has "scan --help explains keyframe sampling" "$T/out" "keyframes  keyframes only"

        # bad videos beside a good one: each named, the good one scanned
        B="$T/badvideo"
        mkdir -p "$B"
        cp "$V/clip.mp4" "$B/good.mp4"
        head -c 40000 "$V/clip.mp4" >"$B/truncated.mp4"
        : >"$B/zero.mp4"
        echo "not a film" >"$B/notes.mov"
        printf 'YUV4MPEG2 W70000 H70000 F25:1 Ip A1:1 C420jpeg\nFRAME\nxxxx' >"$B/absurd.y4m"
        # (sound only is not bad: it is scanned for voices; see below)
        ffmpeg -nostdin -hide_banner -loglevel error -f lavfi -i sine=duration=1 -c:a aac "$B/sound_only.m4a"
        ffmpeg -nostdin -hide_banner -loglevel error -i "$V/clip.mp4" -c copy -f mpegts "$T/clip.ts"
        $PY - "$T/clip.ts" "$B/damaged.ts" <<'PYEOF'
import random, sys
b = bytearray(open(sys.argv[1], "rb").read())
random.seed(3)
for _ in range(60):
    b[random.randrange(len(b) // 3, len(b) // 2)] ^= 0x5A
open(sys.argv[2], "wb").write(b)
PYEOF
        check "scan a directory of bad videos" 2 "$LK" scan --gallery "$G" "$B"
        for f in truncated.mp4 zero.mp4 notes.mov absurd.y4m; do
            has "bad video: $f named" "$T/err" "$f"
        done
        hasnt "sound only is no error" "$T/err" "sound_only.m4a"
        has "empty video said" "$T/err" "zero.mp4: file is empty"
        has "damaged stream: warning with a time" "$T/err" "damaged.ts: [0-9.]* s: "
        has "the good video was scanned" "$T/out" "good.mp4: MATCH perf-a"
        has "the damaged video was still scanned" "$T/out" "damaged.ts: MATCH"
        has "7 files counted" "$T/out" "scanned 7 files"

        # Memory stays flat however long the video: peak RSS of a 30-minute
        # scan against a 1-minute one (skipped under the sanitizers, whose
        # quarantine grows with the work done).
        if [ -z "${LK_SANITIZED:-}" ]; then
            for mins in 1 30; do
                ffmpeg -nostdin -hide_banner -loglevel error -y \
                    -f lavfi -i "color=c=0x405060:size=320x240:rate=2:duration=$((mins * 60))" \
                    -i "$M/scan/closeup_bright.jpg" -filter_complex \
                    "[1]scale=110:110[f];[0][f]overlay=x='60+40*sin(t/7)':y=50:enable='lt(mod(t,120),60)'" \
                    -c:v libx264 -preset ultrafast -g 20 "$V/long_$mins.mp4"
            done
            $PY - "$LK" "$G" "$V" >"$T/rss.txt" 2>&1 <<'PYEOF' && ok "flat memory over a 30-minute video" || { ko "flat memory over a 30-minute video"; sed 's/^/#   | /' "$T/rss.txt"; }
import json, resource, subprocess, sys
lk, g, v = sys.argv[1:4]
def run(mins):
    p = subprocess.run([lk, "scan", "--gallery", g, "--json", "--fps", "1",
                        "%s/long_%d.mp4" % (v, mins)], capture_output=True, text=True)
    return p.returncode, json.loads(p.stdout), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
# ru_maxrss of children is the largest child so far: the short one runs first
rc1, r1, rss1 = run(1)
rc30, r30, rss30 = run(30)
a = [f for f in r30["findings"] if f["performer"] == "perf-a"]
print("peak RSS: 1 min %d KB, 30 min %d KB; 30 min: %d appearances of A, %d frames sampled"
      % (rss1, rss30, len(a), r30["frames_sampled"]))
assert rc1 == 1 and rc30 == 1, (rc1, rc30)
assert len(a) == 15, [(f["start"], f["end"]) for f in a]
for i, f in enumerate(a):
    assert abs(f["start"] - 120 * i) < 1.5 and abs(f["end"] - (120 * i + 59.5)) < 1.5, f
assert rss30 - rss1 < 24 * 1024, "grew %d KB" % (rss30 - rss1)
PYEOF
            sed 's/^/#   /' "$T/rss.txt"
        fi
    fi

    check "info with gallery" 0 "$LK" info --gallery "$G"
    has "info counts performers" "$T/out" "performers 3"
    # list and remove load no model: the gallery records its own.
    check "list without models" 0 "$LK" list --gallery "$G" --models "$T/nowhere"
    has "list without models shows A" "$T/out" "perf-a"
    check "list of no gallery" 2 "$LK" list --gallery "$T/no-gallery"
    has "missing gallery named" "$T/err" "no-gallery"
    [ -e "$T/no-gallery" ] && ko "list created no gallery" || ok "list created no gallery"
    # The audit log: intact; altered by hand (the sqlite3 command, past
    # its triggers) in a copy, the entry named; intact again after an
    # erasure, which leaves no trace of the performer's id.
    check "audit verify" 0 "$LK" audit verify --gallery "$G"
    has "audit verify says intact" "$T/out" "audit log intact: "
    HEAD=$(sed -n 's/.*, head [0-9]* \([0-9a-f]\{64\}\)$/\1/p' "$T/out")
    [ ${#HEAD} = 64 ] && ok "audit verify prints the head hash" || ko "audit verify prints the head hash ('$HEAD')"
    check "audit verify --json" 0 "$LK" audit verify --gallery "$G" --json
    has "audit verify --json intact" "$T/out" '"intact":true'
    check "audit list" 0 "$LK" audit list --gallery "$G"
    has "audit list shows A's enrolment" "$T/out" "enrol    perf-a"
    has "audit list shows the scans" "$T/out" "scan .*files="
    GA="$T/gallery-altered"
    cp -r "$G" "$GA"
    # (sqlite3 exits with the code of the failed statement)
    if sqlite3 "$GA/gallery.db" "UPDATE audit SET time = time + 1 WHERE id = 2" 2>"$T/err"; then
        ko "sqlite3 refused by the triggers"
    else
        ok "sqlite3 refused by the triggers"
    fi
    has "the trigger says why" "$T/err" "append-only"
    check "sqlite3 alters entry 2" 0 sqlite3 "$GA/gallery.db" "DROP TRIGGER audit_erase_only; UPDATE audit SET detail = 'template 99' WHERE id = 2"
    check "audit verify: altered" 1 "$LK" audit verify --gallery "$GA"
    has "altered entry named" "$T/out" "audit log altered: entry 2: changed"
    check "audit verify --json: altered" 1 "$LK" audit verify --gallery "$GA" --json
    has "altered entry in JSON" "$T/out" '"fault":"changed","entry":2'
    check "sqlite3 deletes entry 3" 0 sqlite3 "$GA/gallery.db" "DROP TRIGGER audit_append_only; UPDATE audit SET detail = 'template 1' WHERE id = 2; DELETE FROM audit WHERE id = 3"
    check "audit verify: deleted" 1 "$LK" audit verify --gallery "$GA"
    has "deleted entry named" "$T/out" "entry 3: deleted"
    check "remove A" 0 "$LK" remove --gallery "$G" --performer perf-a -m /nonexistent
    has "removal said" "$T/out" "removed perf-a"
    check "audit verify after remove" 0 "$LK" audit verify --gallery "$G"
    check "audit verify --expect the earlier head" 0 "$LK" audit verify --gallery "$G" --expect "$HEAD"
    check "audit verify --expect another hash" 1 "$LK" audit verify --gallery "$G" --expect "$(printf '%064d' 7)"
    has "anchor fault named" "$T/out" "anchor"
    check "audit verify --expect not a hash" 2 "$LK" audit verify --gallery "$G" --expect abc
    check "audit list after remove" 0 "$LK" audit list --gallery "$G"
    has "A's entries shown erased" "$T/out" "enrol    (erased)"
    hasnt "A's id gone from the audit list" "$T/out" "perf-a"
    hasnt "A's id gone from gallery.db" "$G/gallery.db" "perf-a"
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
    ln -s "$ROOT/models/voice" "$T/altmodels/voice"
    sed 's/"fr_feature@0.0.1"/"fr_feature-alt@9"/' "$ROOT/models/manifest.json" >"$T/altmodels/manifest.json"
    check "mismatched model refused" 2 "$LK" scan --gallery "$G" --models "$T/altmodels" "$OTHER"
    has "mismatch names both models" "$T/err" "fr_feature-alt@9"
fi

# ---- provenance: the evidence on findings, and inspect ----------------------
check "inspect --help" 0 "$LK" inspect --help
has "inspect --help shows usage" "$T/out" "usage: likeness inspect"
check "inspect a missing file" 2 "$LK" inspect "$T/none.jpg"
has "missing file named by inspect" "$T/err" "none.jpg"
check "inspect junk: read, nothing declared" 0 "$LK" inspect "$J/empty.jpg" "$J/random.jpg" "$J/notes.png" "$J/sub/truncated.jpg"
has "junk: no-signal" "$T/out" "random.jpg: no-signal"
# Copies of B's photo (perf-b, still enrolled in $G) labelled by exiftool.
if [ -n "${OTHER:-}" ] && command -v exiftool >/dev/null 2>&1; then
    P="$T/prov"
    mkdir -p "$P"
    for f in ai capture firefly; do cp "$OTHER" "$P/$f.jpg"; done
    IPTC=http://cv.iptc.org/newscodes/digitalsourcetype
    exiftool -q -overwrite_original "-XMP-iptcExt:DigitalSourceType=$IPTC/trainedAlgorithmicMedia" "-XMP-xmp:CreatorTool=Image Maker 2" "$P/ai.jpg"
    exiftool -q -overwrite_original "-XMP-iptcExt:DigitalSourceType=$IPTC/digitalCapture" "$P/capture.jpg"
    exiftool -q -overwrite_original "-EXIF:Software=Adobe Firefly" "$P/firefly.jpg"
    check "scan an AI-labelled photo" 1 "$LK" scan --gallery "$G" "$P/ai.jpg"
    has "finding says declared-ai" "$T/out" "MATCH perf-b.*\[declared-ai: xmp trainedAlgorithmicMedia by Image Maker 2\]"
    check "scan --json: evidence on the finding" 1 "$LK" scan --gallery "$G" --json "$P/ai.jpg" "$P/capture.jpg" "$P/firefly.jpg"
    $PY - "$T/out" <<'PYEOF' && ok "JSON evidence" || ko "JSON evidence"
import json, sys
want = {"ai.jpg": ("declared-ai", "generative", "xmp"),
        "capture.jpg": ("declared-capture", "capture", "xmp"),
        "firefly.jpg": ("likely-synthetic", "undeclared", None)}
seen = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    name = r["path"].rsplit("/", 1)[-1]
    v, cls, src = want[name]
    assert r["provenance"]["verdict"] == v, r["provenance"]
    for f in r["findings"]:
        e = f["evidence"]
        assert e["verdict"] == v and e["synthetic_speech"] is None, e
        p = e["provenance"]
        assert p["source_class"] == cls and p["source_from"] == src and not p["c2pa"], p
        assert p["ai_software"] == (name == "firefly.jpg"), p
    seen += 1
assert seen == 3
PYEOF
    check "inspect an AI-labelled photo exits 1" 1 "$LK" inspect "$P/ai.jpg"
    has "inspect shows the declaration" "$T/out" "declared: trainedAlgorithmicMedia (xmp) by Image Maker 2"
    check "inspect a capture-labelled photo exits 0" 0 "$LK" inspect --json "$P/capture.jpg"
    has "inspect --json verdict" "$T/out" '"verdict":"declared-capture"'
    check "inspect names an AI tool in EXIF Software" 1 "$LK" inspect "$P/firefly.jpg"
    has "AI software named" "$T/out" "software: Adobe Firefly (a generative AI tool)"
    # A video labelled the same way (exiftool writes MP4's XMP uuid box):
    # every appearance carries the declaration.
    if [ -f "${V:-}/clip.mp4" ]; then
        cp "$V/clip.mp4" "$P/ai_clip.mp4"
        exiftool -q -overwrite_original "-XMP-iptcExt:DigitalSourceType=$IPTC/compositeWithTrainedAlgorithmicMedia" "$P/ai_clip.mp4"
        check "scan an AI-labelled video" 1 "$LK" scan --gallery "$G" --json "$P/ai_clip.mp4"
        $PY - "$T/out" <<'PYEOF' && ok "video findings carry the declaration" || ko "video findings carry the declaration"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["type"] == "video" and r["provenance"]["verdict"] == "declared-ai", r
m = [f for f in r["findings"] if f["decision"] == "match"]
assert m and all(f["evidence"]["verdict"] == "declared-ai" for f in m), m
assert all(f["evidence"]["provenance"]["source_type"] == "compositeWithTrainedAlgorithmicMedia" for f in m)
PYEOF
    fi
elif [ -n "${OTHER:-}" ]; then
    ko "exiftool (installed by scripts/setup.sh) is missing"
fi

# ---- voice ------------------------------------------------------------------
# Speech made at test time with flite (Debian's speech synthesiser): its
# voices are distinct speakers the model was not trained on.  slt is the
# performer; rms and awb are other speakers.
if command -v flite >/dev/null 2>&1; then
    A="$T/audio"
    mkdir -p "$A"
    say() { flite -voice "$1" -t "$2" -o "$3"; }
    say slt "The quick brown fox jumps over the lazy dog while the band plays on the stage tonight." "$A/slt_1.wav"
    say slt "Performers deserve to know where their faces and voices are used, and to be paid for it." "$A/slt_2.wav"
    say slt "In the morning the rehearsal starts at nine, and every actor must know the lines by heart." "$A/slt_3.wav"
    say rms "Nobody expected the storm to arrive so early, but the crew kept filming until dark." "$A/rms_1.wav"
    say awb "The director asked for one more take, and the whole cast sighed and went back to places." "$A/awb_1.wav"
    say slt "Nobody expected the storm to arrive so early, but the crew kept filming until dark." "$A/slt_4.wav"
    GV="$T/gvoice"
    check "enroll a voice" 0 "$LK" enroll --gallery "$GV" --performer singer --name "The Singer" "$A/slt_1.wav" "$A/slt_2.wav"
    has "voice enrolment reported" "$T/out" "voice enrolled for singer"
    check "enroll the same recording again" 0 "$LK" enroll --gallery "$GV" --performer singer "$A/slt_1.wav"
    has "duplicate recording noticed" "$T/out" "already enrolled"
    check "list counts voice templates" 0 "$LK" list --gallery "$GV" --json
    has "voice templates listed" "$T/out" '"voice_templates":2'
    # A programme: 2 s of silence, rms, 1 s pause, the performer (a sentence
    # never enrolled), pause, awb; as MP3 inside nothing, and as a video's
    # sound track.
    ffmpeg -nostdin -hide_banner -loglevel error -f lavfi -i anullsrc=r=16000:cl=mono -t 2 "$A/pause2.wav"
    ffmpeg -nostdin -hide_banner -loglevel error -f lavfi -i anullsrc=r=16000:cl=mono -t 1 "$A/pause1.wav"
    printf "file '%s'\n" "$A/pause2.wav" "$A/rms_1.wav" "$A/pause1.wav" "$A/slt_3.wav" "$A/pause1.wav" "$A/awb_1.wav" >"$A/list.txt"
    ffmpeg -nostdin -hide_banner -loglevel error -f concat -safe 0 -i "$A/list.txt" -ar 16000 -c:a libmp3lame -b:a 64k "$A/programme.mp3"
    check "scan audio finds the voice" 1 "$LK" scan --gallery "$GV" --json "$A/programme.mp3"
    cp "$T/out" "$T/programme.json"
    $PY - "$T/programme.json" "$A" <<'PYEOF' >"$T/vf.txt" 2>&1 && ok "voice finding: who and when" || { ko "voice finding: who and when"; sed 's/^/#   | /' "$T/vf.txt" "$T/programme.json"; }
import json, subprocess, sys
r = json.loads(open(sys.argv[1]).read())
a = sys.argv[2]
def dur(f):
    return float(subprocess.check_output(["ffprobe", "-v", "error", "-show_entries",
        "format=duration", "-of", "csv=p=0", f]).decode())
t0 = 2 + dur(a + "/rms_1.wav") + 1          # where the performer starts
t1 = t0 + dur(a + "/slt_3.wav")
assert r["type"] == "audio" and r["voice_segments"] >= 3, r
m = [f for f in r["findings"] if f["decision"] == "match"]
assert len(m) == 1 and m[0]["modality"] == "voice" and m[0]["performer"] == "singer", m
f = m[0]
# within one hop (2 s) of the truth at either end
assert t0 - 2.1 <= f["start"] and f["end"] <= t1 + 2.1 and f["start"] < f["end"], (f, t0, t1)
assert f["score"] >= r["voice_threshold"] and f["peak_score"] >= f["score"], f
# flite is synthetic speech: the detector says so, on the finding and on
# all the file's speech (models/spoof/README.md).
e = f["evidence"]
ss = e["synthetic_speech"]
assert ss and ss["score"] > ss["threshold"] and ss["peak"] >= ss["score"], e
assert e["verdict"] == "likely-synthetic", e
assert r["synthetic_speech"]["score"] > r["synthetic_speech"]["threshold"], r
PYEOF
    check "scan human output for audio" 1 "$LK" scan --gallery "$GV" "$A/programme.mp3"
    has "voice match in human output" "$T/out" "MATCH singer (The Singer)"
    check "other speakers: nothing" 0 "$LK" scan --gallery "$GV" "$A/rms_1.wav" "$A/awb_1.wav"
    # The performer seen and heard: the demo video with the programme as its
    # sound track; the face is someone else's gallery, so the voice stands
    # alone here, then both in a gallery with face and voice.
    if [ -f "${V:-}/clip.mp4" ]; then
        ffmpeg -nostdin -hide_banner -loglevel error -i "$V/clip.mp4" -i "$A/programme.mp3" \
            -map 0:v -map 1:a -c:v copy -c:a aac -shortest "$A/seen_heard.mp4"
        check "enroll A's face beside the voice" 0 "$LK" enroll --gallery "$GV" --performer singer $ENROL_A
        check "scan a video with voice" 1 "$LK" scan --gallery "$GV" --json "$A/seen_heard.mp4"
        $PY - "$T/out" <<'PYEOF' && ok "video finding carries face and voice" || ko "video finding carries face and voice"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["type"] == "video" and r["voice_segments"] >= 3, r
faces = [f for f in r["findings"] if f["decision"] == "match" and f["modality"] == "face"]
assert faces and all(f["performer"] == "singer" for f in faces), faces
assert any("voice" in f and f["voice"]["segments"] >= 1 for f in faces), faces
PYEOF
        # One pass per file: the scan of a video with sound against a gallery
        # with voice templates, and the enrolment of a recording, open the
        # file once and read its bytes at most once (a mapping: the kernel
        # reads them; read(2) calls may add at most 10%).
        if command -v strace >/dev/null 2>&1; then
            for what in scan enroll; do
                if [ $what = scan ]; then f="$A/seen_heard.mp4"; set -- scan --gallery "$GV" "$f"
                else f="$A/slt_3.wav"; set -- enroll --gallery "$GV" --performer singer "$f"; fi
                strace -f -qq -e trace=openat,open,read,pread64,readv,preadv,close,dup,dup2,dup3,mmap \
                    -o "$T/strace.txt" "$LK" "$@" >/dev/null 2>&1
                io=$($PY "$ROOT/tests/cli/io_count.py" "$T/strace.txt" "$f")
                size=$(wc -c <"$f")
                set -- $io
                if [ "$2" = 1 ] && [ "$4" -le $((size + size / 10)) ]; then
                    ok "$what opens $(basename "$f") once, reads it once ($io, $size bytes)"
                else
                    ko "$what opens $(basename "$f") once, reads it once ($io, $size bytes)"
                fi
            done
        else
            ko "strace (installed by scripts/setup.sh) is missing"
        fi
        # A gallery without voices: the speech heard while B (enrolled as
        # perf-b and perf-c) is on screen is still judged, and it is flite's.
        check "scan a video's speech without voice templates" 1 "$LK" scan --gallery "$G" --json "$A/seen_heard.mp4"
        $PY - "$T/out" <<'PYEOF' && ok "face finding carries the speech's synthetic score" || { ko "face finding carries the speech's synthetic score"; sed 's/^/#   | /' "$T/out"; }
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["voice_segments"] >= 3 and r["synthetic_speech"], r
b = [f for f in r["findings"] if f["decision"] == "match" and f["performer"] in ("perf-b", "perf-c")]
assert b and "voice" not in b[0], b
e = b[0]["evidence"]
assert e["synthetic_speech"] and e["verdict"] == "likely-synthetic", e
PYEOF
    fi
    # Bad audio: a music bed, silence only, 8 kHz, clipped, truncated, no
    # audio stream.
    ffmpeg -nostdin -hide_banner -loglevel error -f lavfi -i anullsrc=r=16000:cl=mono -t 5 "$A/silence.wav"
    ffmpeg -nostdin -hide_banner -loglevel error -i "$A/slt_3.wav" -ar 8000 "$A/narrow.wav"
    ffmpeg -nostdin -hide_banner -loglevel error -i "$A/slt_3.wav" -af volume=30 "$A/clipped.wav"
    head -c 3000 "$A/programme.mp3" >"$A/truncated.mp3"
    ffmpeg -nostdin -hide_banner -loglevel error -f lavfi -i testsrc=size=160x120:rate=5:duration=2 "$A/mute.mp4"
    ffmpeg -nostdin -hide_banner -loglevel error -f lavfi -i "aevalsrc='0.2*(sin(2*PI*220*t)+sin(2*PI*277*t)+sin(2*PI*330*t))*(0.6+0.4*sin(2*PI*2*t))':s=16000:d=8" "$A/music_bed.wav"
    check "enroll a music bed refused" 2 "$LK" enroll --gallery "$GV" --performer singer "$A/music_bed.wav"
    has "music bed: too little speech" "$T/err" "music_bed.wav: too little speech"
    check "enroll silence refused" 2 "$LK" enroll --gallery "$GV" --performer singer "$A/silence.wav"
    has "silence: too little speech" "$T/err" "silence.wav: .*speech"
    check "enroll 8 kHz refused" 2 "$LK" enroll --gallery "$GV" --performer singer "$A/narrow.wav"
    has "8 kHz named" "$T/err" "narrow.wav: .*8000"
    check "enroll clipped refused" 2 "$LK" enroll --gallery "$GV" --performer singer "$A/clipped.wav"
    has "clipping named" "$T/err" "clipped.wav: .*clipped"
    check "enroll from a video without sound refused" 2 "$LK" enroll --gallery "$GV" --performer singer "$A/mute.mp4"
    has "no audio stream named" "$T/err" "mute.mp4: no audio stream"
    check "scan bad audio: the batch goes on" 2 "$LK" scan --gallery "$GV" "$A/silence.wav" "$A/narrow.wav" "$A/truncated.mp3" "$A/programme.mp3"
    has "narrowband scan refused" "$T/err" "narrow.wav"
    has "the good programme still scanned" "$T/out" "programme.mp3: MATCH singer"
    check "remove the voice performer (no models)" 0 "$LK" remove --gallery "$GV" --performer singer -m /nonexistent
    check "list after voice removal (no models)" 0 "$LK" list --gallery "$GV" --json -m /nonexistent
    hasnt "singer listed no more" "$T/out" "singer"
    check "voice gone after removal" 0 "$LK" scan --gallery "$GV" "$A/programme.mp3"

    # train-voice on the flite voices (tiny: refused for too little speech,
    # then trained with few Gaussians on a longer set)
    check "train-voice --help" 0 "$LK" train-voice --help
    check "train-voice refuses too little speech" 2 "$LK" train-voice --out "$T/tiny.lkv" "$A/slt_1.wav"
    has "too little speech for training said" "$T/err" "speech"
    # train-spoof: refusals (no real speech ships with the tests; the
    # trainer itself is exercised by eval_spoof on the eval set).
    check "train-spoof --help" 0 "$LK" train-spoof --help
    has "train-spoof --help shows usage" "$T/out" "usage: likeness train-spoof"
    check "train-spoof without --out" 2 "$LK" train-spoof --bonafide "$A" --synthetic "$A"
    printf '%s\n' "$A/slt_1.wav" >"$T/one.txt"
    check "train-spoof refuses a class of one file" 2 "$LK" train-spoof --bonafide "$T/one.txt" --synthetic "$T/one.txt" --out "$T/s.lkv"
    check "train-spoof refuses a missing list" 2 "$LK" train-spoof --bonafide "$T/nolist.txt" --synthetic "$T/one.txt" --out "$T/s.lkv"
    has "missing list named" "$T/err" "nolist.txt"
    [ ! -e "$T/s.lkv" ] && ok "no model written on refusal" || ko "no model written on refusal"
else
    ko "flite (speech synthesiser, installed by scripts/setup.sh) is missing"
fi

rm -rf "$T"
echo "1..$((pass + fail))"
echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
