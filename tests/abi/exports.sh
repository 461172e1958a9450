#!/bin/sh
# exports.sh — the shared library exports the public API and nothing else:
# every defined dynamic symbol must be lk_ followed by a letter (lk__ names
# are private).  Names each symbol that is not.  Usage: exports.sh NM LIB
NM=$1 LIB=$2
syms=$("$NM" -D --defined-only --format=posix "$LIB" | cut -d' ' -f1) || {
    echo "exports: $NM failed on $LIB"; exit 1; }
[ -n "$syms" ] || { echo "exports: $LIB exports nothing"; exit 1; }
bad=$(printf '%s\n' "$syms" | grep -v '^lk_[a-z]')
if [ -n "$bad" ]; then
    printf '%s\n' "$bad" | sed "s|^|exports: $LIB exports a symbol not in the API: |"
    exit 1
fi
echo "exports: $(printf '%s\n' "$syms" | wc -l) symbols, all lk_*"
