#!/bin/sh
# run.sh — run the benchmarks, C and the Python baseline in the same run,
# and print (and write) the results table.  See bench/README.md.
#
#   bench/run.sh [--build DIR] [--rounds N] [--reps N] [--threads N]
#                [--scan-runs N] [--search-reps N] [--out DIR] [--quick]
#                [pipeline] [scan] [search]
#
# No part named: all three.  Pipeline: C and Python alternate, `rounds`
# times (default 5), each process warming up on the first 16 photos and
# making `reps` timed passes (default 1); the medians pool the passes of all
# rounds, so that a machine busy with something else for a while weighs on
# both sides alike.  Scan: `scan-runs` (3) alternating runs of each
# configuration.  Search: `search-reps` (3) timed repetitions after one
# warm-up, C and Python alternating per gallery size.  Exit 77 (skipped)
# when the Python baseline or, for pipeline and scan, the eval photos are
# absent.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
build="$src/build"
rounds=5
reps=1
threads=2
scan_runs=3
search_reps=3
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
    --out) out=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    pipeline|scan|search) parts="$parts $1"; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
[ -n "$parts" ] || parts="pipeline scan search"
[ -n "$out" ] || out="$build/bench-results"
sizes=100000,1000000
if [ "$quick" = 1 ]; then
    rounds=1 reps=1 scan_runs=1 search_reps=1 sizes=100000
fi

py=/usr/bin/python3
baseline="$here/bench_baseline.py"
if ! "$py" -c 'import cv2, faiss, numpy' 2>/dev/null; then
    echo "run.sh: the baseline needs $py with python3-opencv, python3-faiss" \
         "and python3-numpy; skipped"
    exit 77
fi
for exe in bench/bench_face bench/bench_search engine/cli/likeness; do
    if [ ! -x "$build/$exe" ]; then
        echo "run.sh: $build/$exe not built (ninja -C $build)" >&2
        exit 2
    fi
done

: "${LIKENESS_MODEL_DIR:=$src/models}"
if [ -z "${LIKENESS_EVAL_DIR:-}" ]; then
    if [ -d "$src/../shared/eval" ]; then
        LIKENESS_EVAL_DIR=$(cd "$src/../shared/eval" && pwd)
    elif [ -d /work/shared/eval ]; then
        LIKENESS_EVAL_DIR=/work/shared/eval
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
# A part run on its own (as meson's benchmarks do) keeps its own files.
# shellcheck disable=SC2086  # word splitting drops the leading blank
tag=$(echo $parts | tr ' ' '-')
[ "$tag" = "pipeline-scan-search" ] && tag="" || tag="-$tag"
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
