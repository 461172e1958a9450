#!/bin/bash
# Set up, build and run the whole test suite (suites unit, cli, eval), then
# build again with AddressSanitizer + UndefinedBehaviorSanitizer and run the
# suite once more, then with ThreadSanitizer and run the tests of the
# concurrent parts (scans and enrolments on several threads, the demux
# thread, the gallery's readers and writers).  Exits non-zero when a build
# or a test fails.
#
# Usage: scripts/test.sh [MESON_TEST_ARG...]   e.g. --suite unit
# Environment:
#   LIKENESS_SKIP_ASAN=1    skip the sanitizer passes (ASan+UBSan and TSan)
#   LIKENESS_SKIP_TSAN=1    skip the ThreadSanitizer pass only
#   BUILD_DIR=build         the normal build folder
#   ASAN_BUILD_DIR=build-asan
#   LIKENESS_WERROR=true|false  build with -Dwerror (default: true when CI is
#                           set, as STYLE.md asks; otherwise the build's own setting)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2
BUILD_DIR=${BUILD_DIR:-build}
ASAN_BUILD_DIR=${ASAN_BUILD_DIR:-build-asan}
TSAN_BUILD_DIR=${TSAN_BUILD_DIR:-build-tsan}
# The concurrent parts, for the ThreadSanitizer pass.
TSAN_TESTS=(scan media_video media_audio gallery core)
TEST_ARGS=("$@")
start=$SECONDS

log() { printf 'test.sh: %s\n' "$*" >&2; }

werror=${LIKENESS_WERROR:-}
[[ -z $werror && -n ${CI:-} && ${CI:-} != false ]] && werror=true
common=()
[[ -n $werror ]] && common+=("-Dwerror=$werror")

failed_steps=()
passed=0 failed=0 skipped=0

# Add up one build's meson test results (meson-logs/testlog.json).
count_results() {
    local counts
    counts=$(/usr/bin/python3 - "$1/meson-logs/testlog.json" <<'PYTHON'
import json, sys
ok = bad = skip = 0
try:
    with open(sys.argv[1]) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line).get("result", "")
            if r in ("OK", "EXPECTEDFAIL"):
                ok += 1
            elif r == "SKIP":
                skip += 1
            else:
                bad += 1
except OSError:
    pass
print(ok, bad, skip)
PYTHON
    ) || counts="0 0 0"
    read -r p f s <<<"$counts"
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
    log "$1: $p passed, $f failed, $s skipped"
}

# run_pass NAME BUILD_DIR [MESON_OPTION...]
run_pass() {
    local name=$1 dir=$2 t0=$SECONDS
    shift 2
    log "== $name: set-up and build in $dir"
    if ! BUILD_DIR=$dir scripts/setup.sh "$@"; then
        failed_steps+=("$name build")
        return 1
    fi
    log "== $name: meson test -C $dir"
    rm -f "$dir/meson-logs/testlog.json"
    local mult=1 args=("${TEST_ARGS[@]}")
    [[ $name == sanitizer ]] && mult=3
    if [[ $name == thread ]]; then
        mult=10
        ((${#args[@]})) || args=("${TSAN_TESTS[@]}")
    fi
    if ! meson test -C "$dir" --print-errorlogs --timeout-multiplier "$mult" \
            "${args[@]}"; then
        failed_steps+=("$name tests")
    fi
    count_results "$dir"
    log "== $name: $((SECONDS - t0)) s"
}

if run_pass normal "$BUILD_DIR" "${common[@]}" &&
        [[ ${LIKENESS_SKIP_ASAN:-0} != 1 ]]; then
    run_pass sanitizer "$ASAN_BUILD_DIR" "${common[@]}" \
        -Db_sanitize=address,undefined -Db_lundef=false -Dbench=false
    if [[ ${LIKENESS_SKIP_TSAN:-0} != 1 ]]; then
        run_pass thread "$TSAN_BUILD_DIR" "${common[@]}" \
            -Db_sanitize=thread -Db_lundef=false -Dbench=false \
            -Dexamples=false
    fi
elif [[ ${LIKENESS_SKIP_ASAN:-0} == 1 ]]; then
    log "sanitizer pass skipped (LIKENESS_SKIP_ASAN=1)"
fi

log "total $((SECONDS - start)) s"
echo "likeness: $passed passed, $failed failed, $skipped skipped"
if ((${#failed_steps[@]})); then
    log "FAILED: ${failed_steps[*]}"
    exit 1
fi
exit 0
