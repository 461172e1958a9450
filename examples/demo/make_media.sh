#!/bin/sh
# Make the demo media into OUTDIR from photos that Debian packages ship; see
# examples/demo/README.md.  POSIX sh, so `sh make_media.sh OUTDIR` works too.
# Usage: make_media.sh OUTDIR      (make_media.sh --help for the rest)
# Besides the images, OUTDIR/media.env names them for shell scripts (tests).
set -e
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/make_media.py" "$@"
