# tap.sh — what the CLI test scripts share, sourced after they set T (their
# scratch directory): TAP lines ("ok - …", "not ok - …", the plan last)
# and the checks.
#   check NAME EXPECTED_EXIT cmd...   run it; its output in $T/out, $T/err
#   has NAME FILE PATTERN             FILE holds PATTERN (grep)
#   hasnt NAME FILE PATTERN           FILE does not
#   finish                            the plan and a summary; exits 0 when
#                                     nothing failed
# Set before sourcing: TAP_TIMEOUT=S runs every checked command under
# timeout(1) (a blocking read fails the check instead of hanging it);
# TAP_FIXED=1 makes has/hasnt match fixed strings, not patterns.
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
ko() { fail=$((fail + 1)); echo "not ok - $1"; }
check() {
    name=$1 want=$2
    shift 2
    if [ -n "${TAP_TIMEOUT:-}" ]; then
        timeout "$TAP_TIMEOUT" "$@" >"$T/out" 2>"$T/err"
    else
        "$@" >"$T/out" 2>"$T/err"
    fi
    got=$?
    if [ "$got" = "$want" ]; then ok "$name"; else
        ko "$name (exit $got, want $want)"
        sed 's/^/#   out: /' "$T/out" | head -20
        sed 's/^/#   err: /' "$T/err" | head -20
    fi
}
tap_grep() { if [ "${TAP_FIXED:-0}" = 1 ]; then grep -qF -- "$1" "$2"; else grep -q -- "$1" "$2"; fi; }
has() {
    if tap_grep "$3" "$2"; then ok "$1"; else
        ko "$1 (no '$3' in $2)"
        sed 's/^/#   | /' "$2" | head -20
    fi
}
hasnt() {
    if tap_grep "$3" "$2"; then
        ko "$1 ('$3' in $2)"
        sed 's/^/#   | /' "$2" | head -20
    else
        ok "$1"
    fi
}
finish() {
    echo "1..$((pass + fail))"
    echo "# $pass passed, $fail failed"
    [ "$fail" = 0 ]
    exit $?
}
