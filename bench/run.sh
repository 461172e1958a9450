#!/bin/sh
# run.sh — run the benchmarks, C and the Python baseline in the same run,
# and print (and write) the results table.  See bench/README.md.
#
#   bench/run.sh [--build DIR] [--rounds N] [--reps N] [--threads N]
#                [--scan-runs N] [--search-reps N] [--video-reps N]
#                [--out DIR] [--quick] [pipeline] [scan] [search] [video]
#                [voice] [provenance]
#
# No part named: all six.  Pipeline: C and Python alternate, `rounds`
# times (default 5), each process warming up on the first 16 photos and
# making `reps` timed passes (default 1); the medians pool the passes of all
# rounds, so that a machine busy with something else for a while weighs on
# both sides alike.  Scan: `scan-runs` (3) alternating runs of each
# configuration.  Search: `search-reps` (3) timed repetitions after one
# warm-up, C and Python alternating per gallery size.  Exit 77 (skipped)
# when the Python baseline or, for pipeline and scan, the eval photos are
# absent.  Video: the scan of 720p and 1080p videos per sampling policy
# next to the decode-only floor of the same policy, `video-reps` (3) each,
# floor and scan alternating; the videos are made from the demo photos
# (always) and from the eval crowd clip (when present), and cached in
# OUT/media (the eval-derived ones are removed after the run); the 720p
# clips also with a sound track of flite speech, against a gallery with a
# voice, the floor then decoding the sound too.  Voice:
# front end and embeddings per core (thread CPU time; `video-reps` times),
# and lk_scan_file on an hour of programme sound made with flite; no
# baseline, the number is the multiple of real time.  Provenance:
# lk_provenance_read beside reading and SHA-256-hashing the same file
# (`video-reps` times each, alternating) on a signed JPEG with an 8 MB
# store (tests' c2pa_craft), 200 MB of ISO BMFF without a manifest, and the
# eval's signed samples when present.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
build="$src/build"
rounds=5
reps=1
threads=2
scan_runs=3
search_reps=3
video_reps=3
warmup=16
out=""
quick=0
parts=""
while [ $# -gt 0 ]; do
    case "$1" in
    --build) build=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --scan-runs) scan_runs=$2; shift 2 ;;
    --search-reps) search_reps=$2; shift 2 ;;
    --video-reps) video_reps=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    pipeline|scan|search|video|voice|provenance) parts="$parts $1"; shift ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
[ -n "$parts" ] || parts="pipeline scan search video voice provenance"
[ -n "$out" ] || out="$build/bench-results"
sizes=100000,1000000
if [ "$quick" = 1 ]; then
    rounds=1 reps=1 scan_runs=1 search_reps=1 video_reps=1 sizes=100000
fi

py=/usr/bin/python3
baseline="$here/bench_baseline.py"
if ! "$py" -c 'import cv2, faiss, numpy' 2>/dev/null; then
    echo "run.sh: the baseline needs $py with python3-opencv, python3-faiss" \
         "and python3-numpy; skipped"
    exit 77
fi
for exe in bench/bench_face bench/bench_search bench/bench_video bench/bench_voice bench/bench_prov engine/cli/likeness; do
    if [ ! -x "$build/$exe" ]; then
        echo "run.sh: $build/$exe not built (ninja -C $build)" >&2
        exit 2
    fi
done

: "${LIKENESS_MODEL_DIR:=$src/models}"
if [ -z "${LIKENESS_EVAL_DIR:-}" ]; then
    if [ -d "$src/../shared/eval" ]; then
        LIKENESS_EVAL_DIR=$(cd "$src/../shared/eval" && pwd)
    fi
fi
# One thread budget for both sides: OpenCV's (set by each program),
# FAISS's OpenMP and OpenBLAS's.
OMP_NUM_THREADS=$threads
OPENBLAS_NUM_THREADS=$threads
export LIKENESS_MODEL_DIR LIKENESS_EVAL_DIR OMP_NUM_THREADS OPENBLAS_NUM_THREADS
# libgomp's default spin-then-sleep, as users get it; the search part adds
# a PASSIVE run of its own.
unset OMP_WAIT_POLICY

have_eval=0
if [ -n "${LIKENESS_EVAL_DIR:-}" ] && ls "$LIKENESS_EVAL_DIR"/faces_*/MANIFEST.tsv \
        >/dev/null 2>&1; then
    have_eval=1
fi

mkdir -p "$out"
# Absolute: ffmpeg's concat lists resolve paths against the list's folder.
out=$(cd "$out" && pwd)
# A part run on its own (as meson's benchmarks do) keeps its own files.
# shellcheck disable=SC2086  # word splitting drops the leading blank
tag=$(echo $parts | tr ' ' '-')
[ "$tag" = "pipeline-scan-search-video-voice-provenance" ] && tag="" || tag="-$tag"
results="$out/results$tag.jsonl"
: >"$results"
# Face boxes and embeddings of eval photos: kept out of the tree and removed.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/likeness-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

printf '{"bench":"machine","cpus":%s,"threads":%s,"rounds":%s,"reps":%s,'\
'"scan_runs":%s,"search_reps":%s,"load_before":"%s","cpu":"%s","date":"%s"}\n' \
    "$(nproc)" "$threads" "$rounds" "$reps" "$scan_runs" "$search_reps" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" \
    "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)" \
    "$(date -u +%Y-%m-%dT%H:%MZ)" >>"$results"

skipped=0
ran=0

# ---- pipeline: per stage, single process -----------------------------------
run_pipeline() {
    if [ "$have_eval" = 0 ]; then
        echo "pipeline: no eval photos (LIKENESS_EVAL_DIR); skipped"
        skipped=1
        return
    fi
    echo "== pipeline: $rounds round(s) x $reps pass(es), $threads thread(s)"
    r=1
    while [ "$r" -le "$rounds" ]; do
        dump_c="" dump_py=""
        if [ "$r" = 1 ]; then
            dump_c="--dump $tmp/c.tsv" dump_py="--dump $tmp/py.tsv"
        fi
        # shellcheck disable=SC2086
        "$build/bench/bench_face" --reps "$reps" --threads "$threads" \
            --warmup "$warmup" --json "$results" $dump_c
        # shellcheck disable=SC2086
        "$py" "$baseline" pipeline --reps "$reps" --threads "$threads" \
            --warmup "$warmup" --json "$results" $dump_py
        r=$((r + 1))
    done
    "$py" "$baseline" compare "$tmp/c.tsv" "$tmp/py.tsv" --json "$results"
    # The library's default detection adds tiles of large images for small
    # faces; the baseline has no such pass, so this is C alone.
    "$build/bench/bench_face" --reps 1 --threads "$threads" --pyramid \
        --warmup "$warmup" --json "$results"
    ran=1
}

# ---- scan: the CLI in parallel vs a Python process pool --------------------
time_scan() { # label, then the command; appends one JSON line
    label=$1
    shift
    t0=$(date +%s.%N)
    rc=0
    "$@" >"$tmp/scan.out" 2>"$tmp/scan.err" || rc=$?
    t1=$(date +%s.%N)
    if [ "$rc" -gt 1 ]; then
        echo "scan: '$label' exited $rc:" >&2
        tail -5 "$tmp/scan.err" >&2
    fi
    "$py" - "$label" "$t0" "$t1" "$rc" "$tmp/scan.out" "$results" <<'EOF'
import json, sys
label, t0, t1, rc, outp, res = sys.argv[1:]
recs = [json.loads(l) for l in open(outp, encoding="utf-8") if l.strip()]
faces = sum(r.get("faces", 0) for r in recs if "error" not in r)
matches = sum(1 for r in recs for f in r.get("findings", [])
              if f.get("decision") == "match")
rec = {"bench": "scan", "side": "c", "label": label, "rc": int(rc),
       "images": len(recs), "faces": faces, "matches": matches,
       "errors": sum(1 for r in recs if "error" in r),
       "wall_s": float(t1) - float(t0)}
print(f"{label}: {rec['images']} images in {rec['wall_s']:.2f} s "
      f"({rec['images'] / rec['wall_s']:.2f} images/s), faces={faces} "
      f"matches={matches} errors={rec['errors']}")
open(res, "a").write(json.dumps(rec) + "\n")
EOF
}

run_scan() {
    if [ "$have_eval" = 0 ]; then
        echo "scan: no eval photos (LIKENESS_EVAL_DIR); skipped"
        skipped=1
        return
    fi
    echo "== scan: likeness scan --jobs 2 vs a Python pool of 2, $scan_runs run(s) each"
    lk="$build/engine/cli/likeness"
    gal="$tmp/gallery"
    # The files of faces_*/MANIFEST.tsv, in the benchmarks' order.
    for m in "$LIKENESS_EVAL_DIR"/faces_*/MANIFEST.tsv; do
        d=$(dirname "$m")
        tail -n +2 "$m" | cut -f1 | sed "s|^|$d/|"
    done >"$tmp/files"
    # A gallery of the named identities' first photos (~40 performers).
    for m in "$LIKENESS_EVAL_DIR"/faces_*/MANIFEST.tsv; do
        d=$(dirname "$m")
        tail -n +2 "$m" | awk -F'\t' -v d="$d" \
            '$2 ~ /^[a-z][a-z0-9_]*$/ && $2 !~ /^(group|unlabelled|no_human_face)/ \
             && !seen[$2]++ { print $2 "\t" d "/" $1 }'
    done >"$tmp/enrol"
    enrolled=0
    while IFS="$(printf '\t')" read -r id file; do
        if "$lk" enroll --gallery "$gal" --performer "$id" --largest "$file" \
            >/dev/null 2>&1; then
            enrolled=$((enrolled + 1))
        fi
    done <"$tmp/enrol"
    echo "gallery: $enrolled performers enrolled, one template each"
    i=1
    while [ "$i" -le "$scan_runs" ]; do
        # shellcheck disable=SC2046
        time_scan "likeness scan --jobs 2 --no-pyramid" "$lk" scan --gallery \
            "$gal" --json --jobs 2 --no-pyramid $(cat "$tmp/files")
        "$py" "$baseline" scan --procs 2 --gallery "$enrolled" \
            --since "$(date +%s.%N)" --json "$results"
        i=$((i + 1))
    done
    # The CLI's default detection (pyramid of tiles), C alone: once.
    # shellcheck disable=SC2046
    time_scan "likeness scan --jobs 2" "$lk" scan --gallery "$gal" \
        --json --jobs 2 $(cat "$tmp/files")
    ran=1
}

# ---- search: synthetic galleries --------------------------------------------
run_search() {
    echo "== search: galleries of $sizes, $threads thread(s)"
    for size in $(echo "$sizes" | tr ',' ' '); do
        "$build/bench/bench_search" --sizes "$size" \
            --reps "$search_reps" --json "$results"
        "$py" "$baseline" search --sizes "$size" --reps "$search_reps" \
            --threads "$threads" --json "$results"
    done
    # libgomp's threads spin after each parallel region while OpenBLAS's
    # threads want the same cores; with passive waiting they yield.  Same
    # data at the smallest size, both sides, to show what that costs.
    small=${sizes%%,*}
    echo "-- again with OMP_WAIT_POLICY=PASSIVE, $small templates"
    OMP_WAIT_POLICY=PASSIVE "$build/bench/bench_search" --sizes "$small" \
        --reps "$search_reps" --json "$results"
    OMP_WAIT_POLICY=PASSIVE "$py" "$baseline" search --sizes "$small" \
        --reps "$search_reps" --threads "$threads" --json "$results"
    ran=1
}

# Speech made with flite, into DIR (kept): three speakers' sentences and the
# cycle of them with pauses (cycle.wav, 16 kHz).  1 when flite is missing.
make_speech() {
    command -v flite >/dev/null 2>&1 || return 1
    sdir=$1
    mkdir -p "$sdir"
    say() { [ -f "$sdir/$3" ] || flite -voice "$1" -t "$2" -o "$sdir/$3"; }
    say slt "The quick brown fox jumps over the lazy dog while the band plays on the stage tonight." slt_1.wav
    say slt "Performers deserve to know where their faces and voices are used, and to be paid for it." slt_2.wav
    say slt "In the morning the rehearsal starts at nine, and every actor must know the lines by heart." slt_3.wav
    say rms "Nobody expected the storm to arrive so early, but the crew kept filming until dark." rms_1.wav
    say awb "The director asked for one more take, and the whole cast sighed and went back to places." awb_1.wav
    if [ ! -f "$sdir/cycle.wav" ]; then
        ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi \
            -i anullsrc=r=16000:cl=mono -t 1.5 "$sdir/pause.wav"
        for f in rms_1 pause slt_3 pause awb_1 pause slt_2 pause; do
            echo "file '$sdir/$f.wav'"
        done >"$sdir/list.txt"
        ffmpeg -nostdin -hide_banner -loglevel error -y -f concat -safe 0 \
            -i "$sdir/list.txt" -ar 16000 "$sdir/cycle.wav"
    fi
}

# VIDEO with the speech cycle looped under it as its sound track (AAC,
# 48 kHz stereo, as a film's), into OUT; the pictures are copied.
add_sound() {
    [ -f "$2" ] || ffmpeg -nostdin -hide_banner -loglevel error -y -i "$1" \
        -stream_loop -1 -i "$3" -map 0:v -map 1:a -c:v copy -af \
        "aresample=48000,aformat=channel_layouts=stereo" -c:a aac \
        -b:a 128k -shortest "$2"
}

# ---- video: scan vs the decode-only floor ------------------------------------
run_video() {
    echo "== video: scan vs decode-only floor, $video_reps repetition(s) each"
    lk="$build/engine/cli/likeness"
    media="$out/media"
    mkdir -p "$media"
    if [ ! -f "$media/demo/media.env" ]; then
        "$py" "$src/examples/demo/make_media.py" "$media/demo" >/dev/null
    fi
    # The demo performer and the other person, as in the demo.
    gal="$tmp/video-gallery"
    # shellcheck disable=SC1091
    . "$media/demo/media.env"
    # shellcheck disable=SC2086
    "$lk" enroll --gallery "$gal" --performer collins $ENROL_A >/dev/null
    "$lk" enroll --gallery "$gal" --performer other $OTHER >/dev/null
    videos=""
    for size in 1280x720 1920x1080; do
        # 36 s: the demo timeline (faces, a cut, a two-person scene) 3 times
        v="$media/demo_${size}.mp4"
        if [ ! -f "$v" ]; then
            "$py" "$src/examples/demo/make_video.py" "$media/demo" "$v" \
                --size "$size" --fps 30 --repeat 3 --preset fast >/dev/null
        fi
        videos="$videos demo-$size:$v"
    done
    crowd="${LIKENESS_EVAL_DIR:-}/video_faces/crowd/facenet_pytorch_video.mp4"
    if [ -f "$crowd" ]; then
        # Real footage, many small faces walking: the 4.2 s clip 8 times
        # (33.6 s), re-encoded as a camera or an upload would be.
        for size in 1280x720 1920x1080; do
            v="$tmp/crowd_${size}.mp4"
            ffmpeg -nostdin -hide_banner -loglevel error -y -stream_loop 7 \
                -i "$crowd" -an -vf "scale=${size%x*}:${size#*x}" \
                -c:v libx264 -crf 23 -preset fast "$v"
            videos="$videos crowd-$size:$v"
        done
    fi
    # The 720p clips with a sound track of speech, scanned against a gallery
    # that also holds a voice (the floor decodes pictures and sound): the
    # one pass, the sound analysed alongside the pictures.
    sound=""
    if make_speech "$out/media/voice"; then
        avgal="$tmp/av-gallery"
        # shellcheck disable=SC2086
        "$lk" enroll --gallery "$avgal" --performer collins $ENROL_A >/dev/null
        "$lk" enroll --gallery "$avgal" --performer other $OTHER >/dev/null
        "$lk" enroll --gallery "$avgal" --performer singer \
            "$out/media/voice/slt_1.wav" "$out/media/voice/slt_2.wav" >/dev/null
        for lv in $videos; do
            case $lv in *1280x720:*) ;; *) continue ;; esac
            label=${lv%%:*} file=${lv#*:}
            case $file in "$media"/*) dir=$media ;; *) dir=$tmp ;; esac
            v="$dir/$(basename "$file" .mp4)_sound.mp4"
            add_sound "$file" "$v" "$out/media/voice/cycle.wav"
            sound="$sound $label+sound:$v"
        done
    fi
    for pol in scene rate keyframes; do
        for lv in $videos $sound; do
            label=${lv%%:*} file=${lv#*:}
            g=$gal
            case $label in *+sound) g=$avgal ;; esac
            i=1
            while [ "$i" -le "$video_reps" ]; do
                "$build/bench/bench_video" --mode floor --sampling "$pol" \
                    --reps 1 --label "$label" --json "$results" "$file"
                "$build/bench/bench_video" --mode scan --sampling "$pol" \
                    --reps 1 --label "$label" --gallery "$g" \
                    --json "$results" "$file"
                i=$((i + 1))
            done
        done
    done
    ran=1
}

# ---- voice: stages per core, and an hour of sound -----------------------------
run_voice() {
    echo "== voice: features and embeddings on one core, scan of a 1 h sound track"
    if ! command -v flite >/dev/null 2>&1; then
        echo "voice: flite not installed (scripts/setup.sh installs it); skipped"
        skipped=1
        return
    fi
    lk="$build/engine/cli/likeness"
    media="$out/media/voice"
    make_speech "$media"
    # An hour of programme sound: the three speakers and pauses over a quiet
    # noise bed, looped, as a film's track is stored: AAC, 48 kHz stereo.
    hour="$media/programme_1h.m4a"
    if [ ! -f "$hour" ]; then
        ffmpeg -nostdin -hide_banner -loglevel error -y -stream_loop -1 \
            -i "$media/cycle.wav" -f lavfi -i "anoisesrc=c=pink:a=0.003:r=48000" \
            -filter_complex "[0]aresample=48000,aformat=channel_layouts=stereo[s];[1]aformat=channel_layouts=stereo[n];[s][n]amix=inputs=2:duration=first:normalize=0" \
            -t 3600 -c:a aac -b:a 128k "$hour"
    fi
    # Real read speech for the per-core numbers when the eval data is here
    # (LibriSpeech, 10 utterances of one speaker), else the synthetic cycle.
    speech="$media/cycle.wav"
    ls_dir="${LIKENESS_EVAL_DIR:-}/voices_librispeech_resemblyzer/test-other/1688"
    if [ -d "$ls_dir" ]; then
        for f in "$ls_dir"/*.flac; do echo "file '$f'"; done >"$tmp/ls.txt"
        ffmpeg -nostdin -hide_banner -loglevel error -y -f concat -safe 0 \
            -i "$tmp/ls.txt" "$tmp/librispeech_1688.wav"
        speech="$tmp/librispeech_1688.wav"
    fi
    "$build/bench/bench_voice" --reps "$video_reps" --json "$results" --pcm "$speech"
    gal="$tmp/voice-gallery"
    "$lk" enroll --gallery "$gal" --performer singer "$media/slt_1.wav" \
        "$media/slt_2.wav" >/dev/null
    "$build/bench/bench_voice" --reps "$video_reps" --json "$results" \
        --gallery "$gal" --scan "$hour"
    ran=1
}

# ---- provenance: lk_provenance_read beside reading and hashing the file ------
run_provenance() {
    echo "== provenance: lk_provenance_read vs read + SHA-256 of the whole file"
    media="$out/media/provenance"
    mkdir -p "$media"
    craft="$build/tests/c2pa_craft"
    [ -x "$craft" ] || craft="$build/bench/c2pa_craft"
    files=""
    # A signed JPEG with an 8 MB manifest store (tests/unit/c2pa_craft.c),
    # and 200 MB of ISO BMFF without one (what most uploads are).
    if [ -x "$craft" ]; then
        [ -f "$media/signed_8mb_store.jpg" ] ||
            "$craft" --filler 8000000 "$media/signed_8mb_store.jpg" >/dev/null
        files="$media/signed_8mb_store.jpg"
    fi
    [ -f "$media/plain_200mb.mp4" ] || "$py" - "$media/plain_200mb.mp4" <<'PYEOF'
import struct, sys
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack(">I4s4sI4s4s", 24, b"ftyp", b"isom", 0, b"isom", b"mp42"))
    f.write(struct.pack(">I4s", (200 << 20) + 8, b"mdat"))
    for i in range(200):
        f.write(bytes([i]) * (1 << 20))
PYEOF
    files="$files $media/plain_200mb.mp4"
    # The real signed samples when the eval data is here.
    prov="${LIKENESS_EVAL_DIR:-}/provenance_c2pa_iptc"
    [ -d "$prov" ] && files="$files $(ls "$prov"/c2pa/*.jp*g | tr '\n' ' ')"
    # shellcheck disable=SC2086  # the list is meant to split
    "$build/bench/bench_prov" --reps "$video_reps" $files >>"$results"
    ran=1
}

for p in $parts; do
    "run_$p"
done

echo "{\"bench\":\"machine_end\",\"load_after\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}" \
    >>"$results"
rc=0
"$py" "$here/report.py" "$results" >"$out/report$tag.md" || rc=$?
cat "$out/report$tag.md"
echo "(results: $results, table: $out/report$tag.md)"
[ "$rc" = 0 ] || exit "$rc"
if [ "$ran" = 0 ] && [ "$skipped" = 1 ]; then
    exit 77
fi
