#!/usr/bin/python3
"""Make the quick-start demo's media from photos that Debian packages ship.

No photo is kept in the repository.  The sources are public-domain or CC0
images shipped in Debian main (see examples/demo/README.md for each licence):

  python3-skimage         astronaut.png (Eileen Collins, NASA), camera.png,
                          coffee.png, rocket.jpg
  python-matplotlib-data  grace_hopper.jpg (Grace Hopper, U.S. Navy)

Usage:
  make_media.py --prepare [--sources DIR]
      Download the two .deb files with `apt-get download` (checked by apt
      against the signed archive index) and extract only the photos and the
      packages' copyright files into DIR/root (default: .deps/demo).  Does
      nothing when that was already done.  scripts/setup.sh runs this.
  make_media.py [--sources DIR] OUTDIR
      Write the demo media into OUTDIR:
        enrol/  two images of the performer (Eileen Collins) to enrol
        scan/   images to scan: the performer in new framings, in a scene
                with another person, other people, and a picture with no face
        SOURCES.tsv  what each file was made from, and its licence
        media.env    the files by role, as shell variables (ENROL_A, PROBE_A,
                     OTHER, NOFACE, MULTI, ...) for tests/cli/test_cli.sh
      A photo already installed on the system (by apt-get install of the same
      package) is used when DIR has no copy.

Run with Debian's /usr/bin/python3: it needs python3-opencv and python3-numpy.
"""

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_SOURCES = os.path.join(REPO, ".deps", "demo")

SKIMAGE = "/usr/lib/python3/dist-packages/skimage/data/"
MPL = "/usr/share/matplotlib/mpl-data/sample_data/"

# name: (Debian package, path in it, who/what, licence as the package states it)
PHOTOS = {
    "astronaut": ("python3-skimage", SKIMAGE + "astronaut.png",
                  "Eileen Collins, NASA portrait",
                  "public domain: 'No known copyright restrictions, released "
                  "into the public domain.' (skimage.data.astronaut docstring)"),
    "camera": ("python3-skimage", SKIMAGE + "camera.png",
               "man with a camera on a tripod (profile), photo by Lav Varshney",
               "CC0: 'No copyright restrictions. CC0 by the photographer "
               "(Lav Varshney).' (skimage.data.camera docstring)"),
    "coffee": ("python3-skimage", SKIMAGE + "coffee.png",
               "cup of coffee, photo by Rachel Michetti",
               "CC0: 'No copyright restrictions. CC0 by the photographer "
               "(Rachel Michetti).' (skimage.data.coffee docstring)"),
    "rocket": ("python3-skimage", SKIMAGE + "rocket.jpg",
               "Falcon 9 launch of DSCOVR, SpaceX",
               "public domain: 'captured by SpaceX and released in the public "
               "domain' (skimage.data.rocket docstring)"),
    "hopper": ("python-matplotlib-data", MPL + "grace_hopper.jpg",
               "Grace Hopper, U.S. Navy official portrait",
               "shipped in Debian main under the matplotlib licence (Files: * "
               "in the package's copyright file); a U.S. Navy photograph, a "
               "work of the U.S. federal government and so public domain"),
}
# Kept beside the photos so that their licence statements travel with them.
EXTRA_FILES = {
    "python3-skimage": ["/usr/share/doc/python3-skimage/copyright",
                        "/usr/lib/python3/dist-packages/skimage/data/_fetchers.py"],
    "python-matplotlib-data": ["/usr/share/doc/python-matplotlib-data/copyright"],
}


def log(msg):
    print("make_media: " + msg, file=sys.stderr, flush=True)


def die(msg, code=1):
    log("ERROR: " + msg)
    sys.exit(code)


def wanted_files():
    files = {}
    for pkg, path, _, _ in PHOTOS.values():
        files.setdefault(pkg, set()).add(path)
    for pkg, paths in EXTRA_FILES.items():
        files.setdefault(pkg, set()).update(paths)
    return files


def prepared(src_dir):
    root = os.path.join(src_dir, "root")
    if not os.path.isfile(os.path.join(src_dir, "packages.json")):
        return False
    return all(os.path.isfile(root + p)
               for paths in wanted_files().values() for p in paths)


def prepare(src_dir):
    """Fetch the source packages' .debs and extract the files the demo needs."""
    if prepared(src_dir):
        log("demo sources already in %s" % src_dir)
        return
    root = os.path.join(src_dir, "root")
    os.makedirs(src_dir, exist_ok=True)
    files = wanted_files()
    apt = ["apt-get", "-q", "download"]
    if os.geteuid() == 0:
        # Root downloads into a folder the _apt sandbox user cannot write.
        apt[1:1] = ["-o", "APT::Sandbox::User=root"]
    versions = {}
    with tempfile.TemporaryDirectory(dir=src_dir, prefix="debs-") as tmp:
        r = subprocess.run(apt + sorted(files), cwd=tmp, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            # 3: setup.sh runs `apt-get update` and tries again.
            die("apt-get download %s failed" % " ".join(sorted(files)), 3)
        staging = tempfile.mkdtemp(dir=tmp, prefix="root-")
        os.chmod(staging, 0o755)  # mkdtemp makes it private
        for deb in sorted(os.listdir(tmp)):
            if not deb.endswith(".deb"):
                continue
            path = os.path.join(tmp, deb)
            info = subprocess.run(["dpkg-deb", "-f", path, "Package", "Version"],
                                  check=True, stdout=subprocess.PIPE, text=True)
            fields = dict(line.split(": ", 1) for line in info.stdout.splitlines())
            pkg = fields["Package"]
            versions[pkg] = fields["Version"]
            want = {"." + p for p in files.get(pkg, ())}
            data = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", path],
                                    stdout=subprocess.PIPE)
            with tarfile.open(fileobj=data.stdout, mode="r|") as tar:
                for m in tar:
                    if m.name in want and m.isfile():
                        tar.extract(m, staging, set_attrs=False)
                        want.discard(m.name)
            data.stdout.close()
            if data.wait() != 0:
                die("dpkg-deb --fsys-tarfile %s failed" % deb)
            if want:
                die("%s has no %s" % (deb, ", ".join(sorted(want))))
        missing = sorted(set(files) - set(versions))
        if missing:
            die("apt-get download gave no .deb for %s" % ", ".join(missing))
        if os.path.isdir(root):
            shutil.rmtree(root)
        os.replace(staging, root)
    with open(os.path.join(src_dir, "packages.json"), "w") as f:
        json.dump(versions, f, indent=1, sort_keys=True)
        f.write("\n")
    log("demo sources extracted to %s (%s)" % (
        root, ", ".join("%s %s" % kv for kv in sorted(versions.items()))))


def find_photo(src_dir, name):
    pkg, path = PHOTOS[name][:2]
    for cand in (os.path.join(src_dir, "root") + path, path):
        if os.path.isfile(cand):
            return cand
    die("%s (from Debian package %s) not found in %s/root nor installed; "
        "run scripts/setup.sh (or examples/demo/make_media.py --prepare)"
        % (path, pkg, src_dir))


def package_versions(src_dir):
    try:
        with open(os.path.join(src_dir, "packages.json")) as f:
            return json.load(f)
    except OSError:
        return {}


# --- image operations (numpy/OpenCV, deterministic) -------------------------

def adjust(img, gain=1.0, bias=0.0, gamma=1.0):
    import numpy as np
    x = img.astype(np.float32) / 255.0
    x = np.power(np.clip(x, 0, 1), gamma) * gain + bias / 255.0
    return (np.clip(x, 0, 1) * 255.0 + 0.5).astype(np.uint8)


def rotate_scale(img, angle, scale, border):
    import cv2
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_AREA,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=border)


def cover(img, w, h):
    """Scale and centre-crop img to exactly w x h."""
    import cv2
    ih, iw = img.shape[:2]
    s = max(w / iw, h / ih)
    r = cv2.resize(img, (round(iw * s), round(ih * s)), interpolation=cv2.INTER_AREA
                   if s < 1 else cv2.INTER_CUBIC)
    y, x = (r.shape[0] - h) // 2, (r.shape[1] - w) // 2
    return r[y:y + h, x:x + w]


def paste(scene, patch, x, y, feather=12):
    """Blend patch into scene at (x, y) with a soft edge."""
    import cv2
    import numpy as np
    h, w = patch.shape[:2]
    mask = np.zeros((h, w), np.float32)
    mask[feather:h - feather, feather:w - feather] = 1.0
    mask = cv2.GaussianBlur(mask, (0, 0), feather / 2)[..., None]
    roi = scene[y:y + h, x:x + w].astype(np.float32)
    scene[y:y + h, x:x + w] = (roi * (1 - mask) + patch * mask + 0.5).astype(np.uint8)


def make(src_dir, out):
    import cv2
    import numpy as np

    def load(name):
        path = find_photo(src_dir, name)
        # libpng warns on stderr about coffee.png's colour profile: harmless.
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 2)
                img = cv2.imread(path, cv2.IMREAD_COLOR)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        if img is None:
            die("cannot read %s" % path)
        return img

    astronaut, hopper = load("astronaut"), load("hopper")
    camera, coffee, rocket = load("camera"), load("coffee"), load("rocket")

    enrol, scan = os.path.join(out, "enrol"), os.path.join(out, "scan")
    for d in (enrol, scan):
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
    rows = []
    versions = package_versions(src_dir)

    def write(rel, img, made_from, how, quality=90):
        path = os.path.join(out, rel)
        params = [cv2.IMWRITE_JPEG_QUALITY, quality] if rel.endswith(".jpg") else []
        if not cv2.imwrite(path, img, params):
            die("cannot write %s" % path)
        src = "; ".join("%s %s %s" % (PHOTOS[n][0], versions.get(PHOTOS[n][0], "(installed)"),
                                      PHOTOS[n][1]) for n in made_from)
        lic = "; ".join(PHOTOS[n][3] for n in made_from)
        rows.append((rel, how, src, lic))

    # Enrolment: the portrait, and a second framing of it (mirrored, turned,
    # smaller, darker), as a user would enrol from a couple of photos.
    bg = tuple(int(v) for v in astronaut[5, 5])
    write("enrol/eileen_collins_1.png", astronaut, ["astronaut"],
          "performer, enrolment: the portrait as shipped")
    second = rotate_scale(cv2.flip(astronaut, 1), -7, 0.8, bg)
    write("enrol/eileen_collins_2.jpg", adjust(second, gain=0.85, gamma=1.1),
          ["astronaut"], "performer, enrolment: mirrored, turned 7 degrees, "
          "scaled 0.8, darkened")

    # Scan: the performer in framings that were not enrolled.
    head = astronaut[20:250, 110:340]
    close = cv2.resize(head, (460, 460), interpolation=cv2.INTER_CUBIC)
    write("scan/closeup_bright.jpg", adjust(close, gain=1.1, bias=12, gamma=0.8),
          ["astronaut"], "performer expected: head crop x2, brighter, JPEG q70",
          quality=70)

    # A scene: the launch photo with the performer and another person in it.
    scene = cover(rocket, 1280, 720)
    collins = cv2.resize(astronaut[0:330, 60:400], None, fx=0.9, fy=0.9,
                         interpolation=cv2.INTER_AREA)
    paste(scene, collins, 60, 720 - collins.shape[0] - 20)
    other = cv2.resize(hopper[60:420, 100:440], None, fx=0.85, fy=0.85,
                       interpolation=cv2.INTER_AREA)
    paste(scene, other, 1280 - other.shape[1] - 60, 720 - other.shape[0] - 20)
    write("scan/launch_scene.jpg", scene, ["rocket", "astronaut", "hopper"],
          "performer expected (left) beside another person (right), "
          "composited into a 1280x720 launch photo")

    # Small and grey: the portrait at 40% inside a grey frame.
    grey = cv2.cvtColor(cv2.cvtColor(astronaut, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    frame = np.full((480, 640, 3), 200, np.uint8)
    small = cv2.resize(grey, (205, 205), interpolation=cv2.INTER_AREA)
    frame[140:345, 380:585] = small
    write("scan/small_grey.png", frame, ["astronaut"],
          "performer expected: greyscale, scaled to 40%, off-centre in a 640x480 frame")

    # Negatives: other people and a picture with no face.
    write("scan/other_person.jpg", hopper, ["hopper"],
          "not the performer: another person, frontal")
    write("scan/other_person_profile.png", camera, ["camera"],
          "not the performer: another person, in profile")
    write("scan/no_face.jpg", coffee, ["coffee"], "no face at all")

    # For shell scripts (tests/cli/test_cli.sh): `. OUTDIR/media.env`.  Lists
    # are space-separated, to be expanded unquoted, so OUTDIR must not hold
    # white space.
    def files(*rels):
        paths = [os.path.join(out, r) for r in rels]
        for p in paths:
            if any(c.isspace() or c in "'\\" for c in p):
                die("media.env cannot name %r: white space or quotes in the path" % p)
        return "'%s'" % " ".join(paths)

    env = [
        ("PERFORMER_NAME", "'Eileen Collins'",
         "the performer the demo enrols"),
        ("ENROL_A", files("enrol/eileen_collins_1.png", "enrol/eileen_collins_2.jpg"),
         "photos to enrol the performer from"),
        ("PROBE_A", files("scan/closeup_bright.jpg", "scan/small_grey.png"),
         "each shows the performer and no one else"),
        ("SCENE", files("scan/launch_scene.jpg"),
         "the performer (left, smaller face) and OTHER (right, larger face)"),
        ("OTHER", files("scan/other_person.jpg"),
         "another person, frontal, alone"),
        ("OTHER_PROFILE", files("scan/other_person_profile.png"),
         "a third person, in profile, alone"),
        ("NOFACE", files("scan/no_face.jpg"), "no face at all"),
        ("MULTI", files("scan/launch_scene.jpg"),
         "several faces; the largest is OTHER's"),
        ("SCAN_DIR", files("scan"), "every scan image"),
    ]
    with open(os.path.join(out, "media.env"), "w") as f:
        f.write("# Written by examples/demo/make_media.py; source with `. media.env`.\n")
        for name, value, what in env:
            f.write("%s=%s  # %s\n" % (name, value, what))

    with open(os.path.join(out, "SOURCES.tsv"), "w") as f:
        f.write("file\tmade how\tsource (Debian package, version, path)\tlicence\n")
        for row in rows:
            f.write("\t".join(row) + "\n")
    log("wrote %d images to %s (see %s)" % (len(rows), out,
                                            os.path.join(out, "SOURCES.tsv")))


def main(argv):
    src_dir, out, do_prepare = DEFAULT_SOURCES, None, False
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--prepare":
            do_prepare = True
        elif a == "--sources" and args:
            src_dir = os.path.abspath(args.pop(0))
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        elif a.startswith("-"):
            die("unknown option %s (try --help)" % a, 2)
        elif out is None:
            out = os.path.abspath(a)
        else:
            die("one output folder only", 2)
    if do_prepare:
        prepare(src_dir)
        if out is None:
            return 0
    if out is None:
        die("no output folder given (try --help)", 2)
    make(src_dir, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
