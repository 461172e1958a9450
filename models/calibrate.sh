#!/bin/bash
# Remake the embedders' score calibrations (models/calibration/) from the
# development split of the evaluation data, and put their sha256 in
# models/manifest.json.  The splits live in the evaluation programs
# (tests/eval/eval_faces.c, eval_voice.c: CALIB_SETS and HELD_OUT_SETS);
# models/README.md documents the method and the measured numbers.
#
# Usage: LIKENESS_EVAL_DIR=DIR models/calibrate.sh [BUILD_DIR]   (default build)
#
# The programs open the models through a copy of the manifest without its
# calibrations (symlinks to everything else), so that a stale calibration
# cannot stop its own remaking.  Deterministic: the same data and models
# give the same files.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${1:-build}
[[ -d $build ]] || build=$here/../$build
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in "$here"/*; do
    [[ $(basename "$f") == manifest.json ]] || ln -s "$f" "$tmp/"
done
/usr/bin/python3 - "$here/manifest.json" "$tmp/manifest.json" <<'PYTHON'
import json, sys
m = json.load(open(sys.argv[1]))
for e in m["models"]:
    e.pop("calibration", None)
json.dump(m, open(sys.argv[2], "w"), indent=2)
PYTHON

mkdir -p "$here/calibration"
LIKENESS_MODEL_DIR=$tmp "$build/tests/eval_faces" --calibrate \
    "$here/calibration/fr_feature@0.0.1.json"
LIKENESS_MODEL_DIR=$tmp "$build/tests/eval_voice" --calibrate \
    "$here/calibration/voice_gmm_ubm256@1.json"

# The manifest's entries point at the files, with their sha256.
/usr/bin/python3 - "$here" <<'PYTHON'
import hashlib, json, os, re, sys
here = sys.argv[1]
path = os.path.join(here, "manifest.json")
text = open(path).read()
for model, rel in (("fr_feature@0.0.1", "calibration/fr_feature@0.0.1.json"),
                   ("voice_gmm_ubm256@1", "calibration/voice_gmm_ubm256@1.json")):
    sha = hashlib.sha256(open(os.path.join(here, rel), "rb").read()).hexdigest()
    entry = '"calibration": {"file": "%s", "sha256": "%s"}' % (rel, sha)
    # edit the text in place, so the manifest keeps its layout
    start = text.index('"id": "%s"' % model)
    end = text.index("\n    }", start)
    block = text[start:end]
    if '"calibration"' in block:
        block = re.sub(r'"calibration": \{[^}]*\}', entry, block)
    else:
        block = block.rstrip() + ",\n      " + entry
    text = text[:start] + block + text[end:]
    print("%s: %s %s" % (model, rel, sha))
json.loads(text)
open(path, "w").write(text)
PYTHON
