#!/bin/bash
# crash_test.sh — crash consistency of `likeness enroll` and `likeness
# remove`: each is killed with SIGKILL at a write system call (strace's
# fault injection: -e inject=SYSCALL:signal=KILL:when=N, for every call of
# pwrite64, write, fsync, fdatasync, ftruncate, rename and unlink that the
# command makes) and at random moments, on a fresh copy of one gallery,
# and after each kill:
#   - no gallery file holds a byte window of an erased embedding once the
#     erasure committed: face.faiss and temporary index files at once,
#     gallery.db and its log after the next writable open (a kill between
#     the commit and the checkpoint leaves the old pages to it);
#   - the gallery opens (`likeness list`), PRAGMA integrity_check is ok,
#     `likeness audit verify` passes;
#   - every template the killed enrol printed as enrolled is in the
#     database, and a scan of its photo finds its performer;
#   - the removal is all or nothing: the victim keeps its one template
#     and is found by a scan, or has no row left and is not found;
#   - the other performers are untouched and found.
# Usage: crash_test.sh PATH/TO/likeness [--long]
#   default (CI): every second injection point and 6 random kills per
#   command; --long: every point, 3 times, and 100 random kills each.
# Prints TAP.  Skips (exit 77) without strace, models or demo media.
set -u
LK=$1
MODE=${2:-}
ROOT=${LK_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3
T=$(mktemp -d "${LK_TEST_TMP:-/tmp}/crash.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0 n=0 kills=0 points=0 randoms=0 committed=0
ok() { pass=$((pass + 1)); n=$((n + 1)); echo "ok $n - $1"; }
ko() { fail=$((fail + 1)); n=$((n + 1)); echo "not ok $n - $1"; }

command -v strace >/dev/null || { echo "1..0 # SKIP no strace"; exit 77; }
M=$T/media
if ! $PY "$ROOT/examples/demo/make_media.py" "$M" >"$T/media.log" 2>&1; then
    echo "1..0 # SKIP no demo media"; exit 77
fi
. "$M/media.env"
set -- $ENROL_A
V1=$1 V2=$2           # the victim's photo, and a second one to enrol

if [[ $MODE == --long ]]; then step=1 reps=3 nrand=100; else step=2 reps=1 nrand=6; fi
SYSCALLS=(pwrite64 write fsync fdatasync ftruncate rename unlink)

# The gallery every run starts from: base (OTHER), third (OTHER_PROFILE)
# and victim (V1), one face template each.
P=$T/pristine
for a in "base $OTHER" "third $OTHER_PROFILE" "victim $V1"; do
    set -- $a
    "$LK" enroll --gallery "$P" --performer "$1" "$2" >"$T/out" 2>&1 ||
        { echo "1..0 # SKIP cannot enrol ($(tail -1 "$T/out"))"; exit 77; }
done
# The victim's embedding, to look for after its erasure.
$PY - "$P/gallery.db" "$T/victim.emb" <<'EOF' || { echo "Bail out! no embedding"; exit 2; }
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
(e,) = db.execute("SELECT embedding FROM templates t JOIN performers p "
                  "ON t.performer = p.id WHERE p.ext_id = 'victim'").fetchone()
open(sys.argv[2], "wb").write(e)
EOF

# holds_victim FILE... : 0 when one of them holds a 32-byte window of the
# victim's embedding.
holds_victim() {
    $PY - "$T/victim.emb" "$@" <<'EOF'
import sys
e = open(sys.argv[1], "rb").read()
wins = [e[i:i + 32] for i in range(0, len(e) - 32, 64)]
for p in sys.argv[2:]:
    try:
        d = open(p, "rb").read()
    except OSError:
        continue
    if any(w in d for w in wins):
        print(p)
        sys.exit(0)
sys.exit(1)
EOF
}

# db_state DIR: "victim N" (its template count, or -1 when no row) and
# the template ids of each performer, from a read-only connection that
# writes nothing (no checkpoint).
db_state() {
    $PY - "$1/gallery.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
row = db.execute("SELECT id FROM performers WHERE ext_id='victim'").fetchone()
n = -1 if row is None else db.execute(
    "SELECT count(*) FROM templates WHERE performer=?", row).fetchone()[0]
print("victim", n)
for pid, tid in db.execute("SELECT p.ext_id, t.id FROM templates t JOIN "
                           "performers p ON t.performer = p.id"):
    print("template", pid, tid)
EOF
}

# check_run WHAT DIR OUT: the checks after a kill; prints a cause and
# returns 1 at the first that fails.
check_run() {
    local what=$1 G=$2 out=$3 st victim files
    if ! st=$(db_state "$G" 2>&1); then echo "database unreadable: $st"; return 1; fi
    victim=$(awk '$1 == "victim" { print $2 }' <<<"$st")
    if [[ $victim == -1 ]]; then
        files=("$G"/face.faiss "$G"/voice.faiss "$G"/*.tmp.*)
        if f=$(holds_victim "${files[@]}"); then
            echo "erasure committed but $f holds the erased embedding"; return 1
        fi
    elif [[ $victim != 1 && $victim != 2 ]]; then
        echo "victim has $victim templates (not all or nothing)"; return 1
    fi
    "$LK" list --gallery "$G" >"$T/list" 2>&1 || { echo "list failed: $(head -3 "$T/list")"; return 1; }
    local ic
    ic=$($PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])' "$G/gallery.db" 2>&1)
    [[ $ic == ok ]] || { echo "integrity_check: $ic"; return 1; }
    "$LK" audit verify --gallery "$G" >"$T/audit" 2>&1 || { echo "audit verify: $(head -3 "$T/audit")"; return 1; }
    # Printed as enrolled: in the database under its performer.
    local line tid
    while read -r line; do
        tid=$(sed -n 's/.*enrolled for victim (template \([0-9]*\).*/\1/p' <<<"$line")
        [[ -z $tid ]] && continue
        grep -qx "template victim $tid" <<<"$st" ||
            { echo "template $tid printed as enrolled is not in the database"; return 1; }
    done <"$out"
    for p in base third; do
        [[ $(grep -c "^template $p " <<<"$st") == 1 ]] || { echo "$p lost its template"; return 1; }
    done
    # Found by a scan: base, third, the victim when present, the second
    # photo when its enrolment was printed.
    "$LK" scan --json --gallery "$G" "$OTHER" "$OTHER_PROFILE" "$V1" "$V2" >"$T/scan" 2>"$T/scan.err"
    local got
    got=$($PY -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    f = [x["performer"] for x in r.get("findings", []) if x.get("decision") == "match"]
    print(f[0] if f else "-")' "$T/scan" 2>&1 | tr '\n' ' ')
    local want="base third"
    if [[ $victim == -1 ]]; then want+=" - -"; else want+=" victim victim"; fi
    [[ $got == "$want " ]] || { echo "scan found '$got', want '$want' (victim $victim)"; return 1; }
    # The scan opened the gallery writable: the log is home now.
    if [[ $victim == -1 ]] && f=$(holds_victim "$G"/*); then
        echo "erasure committed but $f still holds the erased embedding"; return 1
    fi
    return 0
}

count_committed() {
    [[ $(db_state "$T/g" 2>/dev/null | head -1) == "victim -1" ]] &&
        committed=$((committed + 1))
}

# A fresh copy of the gallery in $T/g, and the command run on it.
fresh() { rm -rf "$T/g"; cp -a "$P" "$T/g"; }
cmd_of() {
    case $1 in
    enroll) echo "$LK enroll --gallery $T/g --performer victim $V2" ;;
    remove) echo "$LK remove --gallery $T/g --performer victim" ;;
    esac
}

# Calls of each system call the whole command makes.
count_calls() {
    fresh
    strace -f -qq -c -o "$T/count" -e trace="$(IFS=,; echo "${SYSCALLS[*]}")" $(cmd_of "$1") >/dev/null 2>&1
    awk -v s="$2" '$NF == s { print $4 }' "$T/count"
}

for what in enroll remove; do
    bad=0 tried=0
    for s in "${SYSCALLS[@]}"; do
        calls=$(count_calls "$what" "$s")
        calls=${calls:-0}
        for ((r = 0; r < reps; r++)); do
            for ((k = 1 + r % step; k <= calls; k += step)); do
                fresh
                # In a subshell, so that bash's "Killed" goes to /dev/null.
                (strace -f -qq -o /dev/null -e trace="$s" \
                    -e inject="$s":signal=KILL:when="$k" \
                    $(cmd_of "$what") >"$T/run.out" 2>"$T/run.err"; true) \
                    2>/dev/null
                kills=$((kills + 1)) points=$((points + 1)) tried=$((tried + 1))
                if ! why=$(check_run "$what" "$T/g" "$T/run.out"); then
                    bad=$((bad + 1))
                    echo "# $what killed at $s #$k: $why"
                fi
                count_committed
            done
        done
    done
    # Random moments: a kill after 0 to 600 ms (an enrolment takes about
    # 0.7 s, most of it loading models; a removal 50 ms).
    for ((r = 0; r < nrand; r++)); do
        fresh
        $(cmd_of "$what") >"$T/run.out" 2>"$T/run.err" &
        pid=$!
        if [[ $what == enroll ]]; then ms=$((RANDOM % 900)); else ms=$((RANDOM % 60)); fi
        sleep "$(printf '0.%03d' "$ms")"
        kill -KILL "$pid" 2>/dev/null && kills=$((kills + 1))
        wait "$pid" 2>/dev/null
        randoms=$((randoms + 1)) tried=$((tried + 1))
        if ! why=$(check_run "$what" "$T/g" "$T/run.out"); then
            bad=$((bad + 1))
            echo "# $what killed after $ms ms: $why"
        fi
        count_committed
    done
    if ((bad == 0)); then ok "$what: $tried kills, every check held"
    else ko "$what: $bad of $tried kills broke a check"; fi
done
echo "# $((points + randoms)) runs: $points killed at an injected system call, $randoms at a random moment ($((kills - points)) of them still running when killed); $committed left the erasure committed"
echo "1..$n"
echo "# $pass passed, $fail failed"
((fail == 0))
