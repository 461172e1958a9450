#!/usr/bin/python3
"""Make a test video whose faces and times are known, from the demo photos.

Usage: make_video.py MEDIA_DIR OUT.mp4 [--size WxH] [--fps N] [--repeat N]
                     [--crf N] [--preset P]

MEDIA_DIR is what make_media.py wrote (it reads scan/closeup_bright.jpg,
scan/other_person.jpg, scan/no_face.jpg and scan/launch_scene.jpg).  The
timeline, in seconds, repeated --repeat times back to back (default 1):

    0 - 3   no face: the coffee photo, panning
    3 - 7   the performer (Eileen Collins, a close-up not used for enrolment),
            drifting across the frame; cut at 7
    7 - 10  another person (Grace Hopper), frontal
   10 - 12  the launch scene: the performer (left) and Grace Hopper (right)

Frames are drawn with numpy/OpenCV and piped to the ffmpeg command-line tool
(libx264, yuv420p, B-frames and a 2 s keyframe interval, as most encoders
leave them).  Prints the timeline as JSON on stdout, so tests can check
reported times against it.
"""
import json
import os
import subprocess
import sys

SEGMENTS = [  # (start, end, what, who)
    (0.0, 3.0, "no_face", []),
    (3.0, 7.0, "performer", ["performer"]),
    (7.0, 10.0, "other", ["other"]),
    (10.0, 12.0, "scene", ["performer", "other"]),
]
PERIOD = 12.0


def die(msg):
    sys.stderr.write("make_video.py: %s\n" % msg)
    sys.exit(1)


def main(argv):
    import cv2
    import numpy as np

    args = list(argv)
    opts = {"--size": "640x360", "--fps": "25", "--repeat": "1", "--crf": "23",
            "--preset": "veryfast"}
    pos = []
    while args:
        a = args.pop(0)
        if a in opts:
            if not args:
                die("%s needs a value" % a)
            opts[a] = args.pop(0)
        elif a.startswith("-"):
            die("unknown option %s" % a)
        else:
            pos.append(a)
    if len(pos) != 2:
        die("usage: make_video.py MEDIA_DIR OUT.mp4 [--size WxH] [--fps N] "
            "[--repeat N] [--crf N] [--preset P]")
    media, out = pos
    w, h = (int(v) for v in opts["--size"].split("x"))
    fps, repeat = int(opts["--fps"]), int(opts["--repeat"])

    def load(rel):
        img = cv2.imread(os.path.join(media, rel), cv2.IMREAD_COLOR)
        if img is None:
            die("cannot read %s" % os.path.join(media, rel))
        return img

    performer = load("scan/closeup_bright.jpg")
    other = load("scan/other_person.jpg")
    noface = load("scan/no_face.jpg")
    scene = load("scan/launch_scene.jpg")

    def cover(img, zoom, fx, fy):
        """A w x h view of img, scaled to cover the frame times zoom, its
        window placed at fraction (fx, fy) of the slack."""
        s = max(w / img.shape[1], h / img.shape[0]) * zoom
        big = cv2.resize(img, (int(img.shape[1] * s + 0.5) + 1,
                               int(img.shape[0] * s + 0.5) + 1),
                         interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
        x = int((big.shape[1] - w) * fx)
        y = int((big.shape[0] - h) * fy)
        return big[y:y + h, x:x + w]

    # Cache each segment's base scaling: per-frame work is a crop and a paste.
    bg = np.full((h, w, 3), (70, 60, 50), np.uint8)
    side = int(h * 0.55)
    face_perf = cv2.resize(performer, (side, side), interpolation=cv2.INTER_AREA)
    side_o = int(h * 0.6)
    face_other = cv2.resize(other, (int(side_o * other.shape[1] / other.shape[0]), side_o),
                            interpolation=cv2.INTER_AREA)

    def frame(t):
        t0 = t % PERIOD
        if t0 < 3.0:
            return cover(noface, 1.15, t0 / 3.0, 0.5)
        if t0 < 7.0:
            f = bg.copy()
            u = (t0 - 3.0) / 4.0
            x = int((w - side) * (0.15 + 0.6 * u))
            y = int((h - side) * 0.4)
            f[y:y + side, x:x + side] = face_perf
            return f
        if t0 < 10.0:
            f = bg.copy()
            x = (w - face_other.shape[1]) // 2
            y = (h - face_other.shape[0]) // 2
            f[y:y + face_other.shape[0], x:x + face_other.shape[1]] = face_other
            return f
        return cover(scene, 1.0 + 0.05 * (t0 - 10.0), 0.5, 0.5)

    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
           "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", "%dx%d" % (w, h),
           "-r", str(fps), "-i", "-",
           "-c:v", "libx264", "-preset", opts["--preset"], "-crf", opts["--crf"],
           "-g", str(2 * fps), "-bf", "3", "-pix_fmt", "yuv420p",
           "-movflags", "+faststart", out]
    try:
        enc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    except OSError as e:
        die("cannot run ffmpeg: %s" % e)
    n = int(round(PERIOD * repeat * fps))
    try:
        for i in range(n):
            enc.stdin.write(np.ascontiguousarray(frame(i / fps)).tobytes())
        enc.stdin.close()
    except BrokenPipeError:
        pass
    if enc.wait() != 0:
        die("ffmpeg failed writing %s" % out)
    timeline = []
    for r in range(repeat):
        for a, b, what, who in SEGMENTS:
            timeline.append({"start": a + r * PERIOD, "end": b + r * PERIOD,
                             "what": what, "faces": who})
    json.dump({"file": out, "width": w, "height": h, "fps": fps,
               "duration": PERIOD * repeat, "timeline": timeline}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
