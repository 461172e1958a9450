#!/usr/bin/python3
"""bench_baseline.py - the baseline Likeness is measured against.

What a researcher would write instead of the C library: the same three ONNX
models run through OpenCV's Python bindings, the gallery search through
FAISS's Python module, glued with numpy.  Run with Debian's interpreter
(/usr/bin/python3 with python3-opencv, python3-faiss, python3-numpy).

    bench_baseline.py pipeline [--eval DIR] [--models DIR] [--reps 5]
                               [--threads 2] [--warmup N] [--json OUT]
                               [--dump OUT]
    bench_baseline.py search   [--sizes 100000,1000000] [--reps 5]
                               [--threads 2] [--json OUT]
    bench_baseline.py scan     [--procs 2] [--gallery 40] [--json OUT]
    bench_baseline.py compare  C_DUMP PY_DUMP      (face-by-face agreement)

The inputs (eval image list, synthetic gallery and queries) are generated
exactly as bench_face.c and bench_search.c generate them, so the two sides
work on the same data; see bench/README.md.  Exit 77 when the eval photos or
the models are absent (meson's "skipped").
"""

import argparse
import json
import os
import statistics
import sys
import time

try:
    import numpy as np
    import cv2
    import faiss
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"bench_baseline: {e}; needs python3-opencv, python3-faiss, "
          "python3-numpy (run with /usr/bin/python3)", file=sys.stderr)
    sys.exit(77)

SKIP = 77

# ---------------------------------------------------------------------------
# Shared fixed inputs (mirrored in bench/bench_common.h)
# ---------------------------------------------------------------------------

GAMMA = np.uint64(0x9E3779B97F4A7C15)
M1 = np.uint64(0xBF58476D1CE4E5B9)
M2 = np.uint64(0x94D049BB133111EB)
SEED_GALLERY = 0x5EED0001
SEED_QUERIES = 0x5EED0002
SEED_PIPELINE_GALLERY = 0x5EED0003
PIPELINE_GALLERY = 10000        # synthetic templates the pipeline searches
PIPELINE_K = 10
SEARCH_K = 10
DIM = 512


def unit_vectors(seed, first, n, dim=DIM, chunk=2048):
    """Rows first..first+n-1 of a synthetic set of unit vectors.

    Element j of the set (row-major) comes from splitmix64 output j of the
    stream `seed` (counter form: mix(seed + (j + 1) * GAMMA)); the
    coordinate is the sum of that output's four 16-bit lanes, centred
    (Irwin-Hall, close to Gaussian, so directions are close to uniform on
    the sphere), and each row is divided by its exact integer norm.  Integer
    until that last step, so C (bench_common.h) and numpy get the same
    float32 bits."""
    out = np.empty((n, dim), dtype=np.float32)
    mask = np.uint64(0xFFFF)
    base = np.arange(chunk * dim, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for s in range(0, n, chunk):
            m = min(chunk, n - s)
            z = base[:m * dim] + np.uint64((first + s) * dim + 1)
            z *= GAMMA
            z += np.uint64(seed)
            z ^= z >> np.uint64(30)
            z *= M1
            z ^= z >> np.uint64(27)
            z *= M2
            z ^= z >> np.uint64(31)
            v = ((z & mask) + ((z >> np.uint64(16)) & mask) +
                 ((z >> np.uint64(32)) & mask) + (z >> np.uint64(48)))
            v = (v.view(np.int64) - 131070).reshape(m, dim)
            norm = np.sqrt((v * v).sum(1).astype(np.float64))   # exact sum
            out[s:s + m] = (v / norm[:, None]).astype(np.float32)
    return out


def eval_dir(arg):
    if arg:
        return arg
    env = os.environ.get("LIKENESS_EVAL_DIR")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    for d in (os.path.join(here, "..", "..", "shared", "eval"), "/work/shared/eval"):
        if os.path.isdir(d):
            return os.path.realpath(d)
    return None


def eval_images(root):
    """faces_*/MANIFEST.tsv in name order, files in manifest order."""
    out = []
    for d in sorted(os.listdir(root)):
        man = os.path.join(root, d, "MANIFEST.tsv")
        if not d.startswith("faces_") or not os.path.isfile(man):
            continue
        with open(man, encoding="utf-8") as f:
            next(f, None)
            for line in f:
                name = line.rstrip("\n").split("\t", 1)[0]
                if name:
                    out.append((d + "/" + name, os.path.join(root, d, name)))
    return out


def model_dir(arg):
    if arg:
        return arg
    env = os.environ.get("LIKENESS_MODEL_DIR")
    if env:
        return env
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models")


def stats(xs):
    s = sorted(xs)
    return {"median": statistics.median(s), "min": s[0], "max": s[-1],
            "samples": list(xs)}


# ---------------------------------------------------------------------------
# The pipeline, as a researcher writes it
# ---------------------------------------------------------------------------

ARCFACE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                    [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float32)
MIN_SCORE, NMS_IOU, MIN_FACE, MAX_FACES = 0.7, 0.4, 24, 64
LM_CROP = 1.1          # square landmark crop: 1.1 x the box's longer side


class Pipeline:
    def __init__(self, models):
        w = os.path.join(models, "weights")
        self.det = cv2.dnn.readNetFromONNX(os.path.join(w, "fr_detect.onnx"))
        self.lm = cv2.dnn.readNetFromONNX(os.path.join(w, "fr_landmark.onnx"))
        self.emb = cv2.dnn.readNetFromONNX(os.path.join(w, "fr_feature.onnx"))

    def detect(self, img):
        h, w = img.shape[:2]
        blob = cv2.dnn.blobFromImage(img, 1.0 / 128, (320, 240),
                                     (127, 127, 127), swapRB=True)
        self.det.setInput(blob)
        scores, boxes = self.det.forward(["scores", "boxes"])
        s = scores[0, :, 1]
        keep = s > MIN_SCORE
        s = s[keep]
        b = boxes[0][keep] * np.array([w, h, w, h], dtype=np.float32)
        if len(s) == 0:
            return np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
        rects = [[float(x1), float(y1), float(x2 - x1), float(y2 - y1)]
                 for x1, y1, x2, y2 in b]
        idx = np.array(cv2.dnn.NMSBoxes(rects, s.tolist(), MIN_SCORE,
                                        NMS_IOU)).reshape(-1)
        b, s = b[idx], s[idx]
        b[:, [0, 2]] = b[:, [0, 2]].clip(0, w)
        b[:, [1, 3]] = b[:, [1, 3]].clip(0, h)
        bw, bh = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
        ok = np.maximum(bw, bh) >= MIN_FACE
        b, s, bw, bh = b[ok], s[ok], bw[ok], bh[ok]
        order = np.argsort(-(bw * bh), kind="stable")[:MAX_FACES]
        return b[order], s[order]

    def landmarks(self, img, boxes):
        """5 points per face from the 68-point net on square grey crops."""
        if len(boxes) == 0:
            return np.zeros((0, 5, 2), np.float32)
        h, w = img.shape[:2]
        gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        crops, origin = [], []
        for x1, y1, x2, y2 in boxes:
            side = LM_CROP * max(x2 - x1, y2 - y1)
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            x0, y0, s = int(round(cx - side / 2)), int(round(cy - side / 2)), \
                max(1, int(round(side)))
            crop = gray[max(0, y0):min(h, y0 + s), max(0, x0):min(w, x0 + s)]
            crop = cv2.copyMakeBorder(crop, max(0, -y0), max(0, y0 + s - h),
                                      max(0, -x0), max(0, x0 + s - w),
                                      cv2.BORDER_CONSTANT, value=0)
            crops.append(cv2.resize(crop, (64, 64), interpolation=cv2.INTER_AREA))
            origin.append((x0, y0, s))
        self.lm.setInput(cv2.dnn.blobFromImages(crops, 1.0 / 256, (64, 64)))
        p = self.lm.forward().reshape(len(crops), 68, 2)
        five = np.stack([p[:, 36:42].mean(1), p[:, 42:48].mean(1), p[:, 30],
                         p[:, 48], p[:, 54]], axis=1)
        o = np.array(origin, dtype=np.float32)
        return o[:, None, :2] + five * o[:, None, 2:3]

    def embed(self, img, pts):
        if len(pts) == 0:
            return np.zeros((0, DIM), np.float32)
        faces = []
        for p in pts:
            m, _ = cv2.estimateAffinePartial2D(p.astype(np.float32), ARCFACE)
            if m is None:        # degenerate points: keep the face, unaligned
                m = np.array([[1, 0, 0], [0, 1, 0]], np.float32)
            faces.append(cv2.warpAffine(img, m, (112, 112)))
        self.emb.setInput(cv2.dnn.blobFromImages(faces, 1.0 / 128, (112, 112),
                                                 (127, 127, 127), swapRB=True))
        e = self.emb.forward().reshape(len(faces), -1)
        return e / np.linalg.norm(e, axis=1, keepdims=True)


def pipeline_index(n=PIPELINE_GALLERY):
    ix = faiss.IndexIDMap2(faiss.IndexFlatIP(DIM))
    xb = unit_vectors(SEED_PIPELINE_GALLERY, 0, n)
    ix.add_with_ids(xb, np.arange(1, n + 1, dtype=np.int64))
    return ix


def run_pipeline(args):
    root = eval_dir(args.eval)
    if not root or not os.path.isdir(root):
        print("bench_baseline: no eval photos (set LIKENESS_EVAL_DIR); skipped")
        return SKIP
    images = eval_images(root)
    models = model_dir(args.models)
    if not images or not os.path.isfile(os.path.join(models, "weights",
                                                     "fr_detect.onnx")):
        print("bench_baseline: no faces_* sets or no models; skipped")
        return SKIP
    cv2.setNumThreads(args.threads)
    faiss.omp_set_num_threads(args.threads)
    pl = Pipeline(models)
    ix = pipeline_index()

    stages = ("decode", "detect", "landmarks", "embed", "search")
    per_rep = {s: [] for s in stages}
    per_rep_cpu = {s: [] for s in stages}
    totals, cpu_totals, sums = [], [], None
    ftype = {name: {"jpg": "jpeg", "jpeg": "jpeg", "png": "png",
                    "webp": "webp"}.get(name.rsplit(".", 1)[-1].lower(), "other")
             for name, _ in images}
    n_type = {}
    for v in ftype.values():
        n_type[v] = n_type.get(v, 0) + 1
    dec_type = {k: [] for k in n_type}
    for rep in range(args.reps + 1):          # rep 0 warms up, untimed
        todo = images[:args.warmup] if rep == 0 and args.warmup >= 0 else images
        t = dict.fromkeys(stages, 0)
        u = dict.fromkeys(stages, 0)          # CPU time, all threads
        tf = dict.fromkeys(n_type, 0)
        nfaces, errors, emb_sum, box_sum, top1_sum, id_sum = 0, 0, 0.0, 0.0, 0.0, 0
        lines = [] if (rep == 1 and args.dump) else None
        for name, path in todo:
            c0, p0 = time.perf_counter_ns(), time.process_time_ns()
            img = cv2.imread(path, cv2.IMREAD_COLOR)
            c1, p1 = time.perf_counter_ns(), time.process_time_ns()
            t["decode"] += c1 - c0
            u["decode"] += p1 - p0
            tf[ftype[name]] += c1 - c0
            if img is None:
                errors += 1
                continue
            boxes, scores = pl.detect(img)
            c2, p2 = time.perf_counter_ns(), time.process_time_ns()
            pts = pl.landmarks(img, boxes)
            c3, p3 = time.perf_counter_ns(), time.process_time_ns()
            emb = pl.embed(img, pts)
            c4, p4 = time.perf_counter_ns(), time.process_time_ns()
            if len(emb):
                D, I = ix.search(np.ascontiguousarray(emb, np.float32), PIPELINE_K)
            c5, p5 = time.perf_counter_ns(), time.process_time_ns()
            u["detect"] += p2 - p1
            u["landmarks"] += p3 - p2
            u["embed"] += p4 - p3
            u["search"] += p5 - p4
            t["detect"] += c2 - c1
            t["landmarks"] += c3 - c2
            t["embed"] += c4 - c3
            t["search"] += c5 - c4
            n = len(boxes)
            nfaces += n
            if n:
                emb_sum += float(emb.astype(np.float64).sum())
                box_sum += float(boxes.astype(np.float64).sum())
                top1_sum += float(D[:, 0].astype(np.float64).sum())
                id_sum += int(I[:, 0].sum())
            if lines is not None:
                for i in range(n):
                    x1, y1, x2, y2 = (float(v) for v in boxes[i])
                    lines.append("\t".join(
                        [name, str(i), f"{x1:.2f}", f"{y1:.2f}",
                         f"{x2 - x1:.2f}", f"{y2 - y1:.2f}", f"{scores[i]:.4f}",
                         " ".join(f"{v:.6f}" for v in emb[i])]))
        cs = {"images": len(images), "errors": errors, "faces": nfaces,
              "box_sum": round(box_sum, 0), "emb_sum": round(emb_sum, 3),
              "top1_sum": round(top1_sum, 3), "top1_id_sum": id_sum}
        if lines is not None:
            with open(args.dump, "w", encoding="utf-8") as f:
                f.write("\n".join(lines) + ("\n" if lines else ""))
        if rep == 0:
            continue
        if rep == 1:
            sums = cs
        if cs != sums:
            print(f"bench_baseline: checksum changed in repetition {rep}: "
                  f"{cs} != {sums}", file=sys.stderr)
            return 1
        for s in stages:
            per_rep[s].append(t[s] / 1e6 / len(images))
            per_rep_cpu[s].append(u[s] / 1e6 / len(images))
        cpu_totals.append(sum(u.values()) / 1e6 / len(images))
        for k in n_type:
            dec_type[k].append(tf[k] / 1e6 / n_type[k])
        # as bench_face.c: the stages' sum (the loop's own bookkeeping and
        # the dump are not the pipeline)
        totals.append(sum(t.values()) / 1e9)

    n = len(images)
    res = {"bench": "pipeline", "side": "python", "threads": args.threads,
           "reps": args.reps, "checksum": sums,
           "stage_ms": {s: stats(per_rep[s]) for s in stages},
           "stage_cpu_ms": {s: stats(per_rep_cpu[s]) for s in stages},
           "images_per_s": stats([n / w for w in totals]),
           "cpu_ms_per_image": stats(cpu_totals),
           "decode_ms_by_type": {k: stats(v) for k, v in sorted(dec_type.items())}}
    print(f"python baseline (OpenCV {cv2.__version__}, FAISS "
          f"{getattr(faiss, '__version__', '?')}), {n} images, "
          f"{args.threads} thread(s), {args.reps} repetitions")
    for s in stages:
        st = res["stage_ms"][s]
        print(f"  {s:10s} {st['median']:8.2f} ms/image  "
              f"[{st['min']:.2f} .. {st['max']:.2f}]")
    ips = res["images_per_s"]
    print(f"  end to end {ips['median']:8.2f} images/s  "
          f"[{ips['min']:.2f} .. {ips['max']:.2f}]")
    cp = res["cpu_ms_per_image"]
    print(f"  CPU time   {cp['median']:8.2f} ms/image  "
          f"[{cp['min']:.2f} .. {cp['max']:.2f}]  (all threads)")
    print("  decode by type:" + "".join(
        f" {k} {res['decode_ms_by_type'][k]['median']:.2f} ms ({n_type[k]} files)"
        for k in sorted(n_type)))
    print("  checksum   " + " ".join(f"{k}={v}" for k, v in sums.items()))
    if args.json:
        with open(args.json, "a", encoding="utf-8") as f:
            f.write(json.dumps(res) + "\n")
    return 0


# ---------------------------------------------------------------------------
# A parallel scan, as a researcher parallelises it: a process pool
# ---------------------------------------------------------------------------

_worker = None


def _scan_init(models, gallery):
    global _worker
    cv2.setNumThreads(1)
    faiss.omp_set_num_threads(1)
    _worker = (Pipeline(models), pipeline_index(max(1, gallery)))


def _scan_one(path):
    pl, ix = _worker
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        return (-1, 0)
    boxes, _ = pl.detect(img)
    emb = pl.embed(img, pl.landmarks(img, boxes))
    if len(emb):
        ix.search(np.ascontiguousarray(emb, np.float32), PIPELINE_K)
    return (len(boxes), 0)


def run_scan(args):
    """Wall time of one whole scan of the eval photos by a pool of --procs
    single-threaded workers, start-up and model loading included (as
    `likeness scan --jobs N` includes them; with --since, the interpreter's
    start and the imports too).  Faces are searched in
    --gallery synthetic templates (run.sh passes the number the CLI's
    gallery holds)."""
    import multiprocessing as mp
    root = eval_dir(args.eval)
    if not root or not os.path.isdir(root):
        print("bench_baseline: no eval photos (set LIKENESS_EVAL_DIR); skipped")
        return SKIP
    paths = [p for _, p in eval_images(root)]
    t0 = time.perf_counter()
    with mp.get_context("fork").Pool(args.procs, _scan_init,
                                     (model_dir(args.models),
                                      args.gallery)) as pool:
        res = pool.map(_scan_one, paths, chunksize=1)
    wall = time.perf_counter() - t0
    inproc = wall
    if args.since is not None:      # from before the interpreter started
        wall = time.time() - args.since
    faces = sum(n for n, _ in res if n > 0)
    errors = sum(1 for n, _ in res if n < 0)
    out = {"bench": "scan", "side": "python", "procs": args.procs,
           "gallery": args.gallery,
           "images": len(paths), "faces": faces, "errors": errors,
           "wall_s": wall, "wall_in_process_s": inproc,
           "includes_start_up": args.since is not None}
    print(f"python pool of {args.procs}: {len(paths)} images in {wall:.2f} s "
          f"({len(paths) / wall:.2f} images/s), faces={faces} errors={errors}")
    if args.json:
        with open(args.json, "a", encoding="utf-8") as f:
            f.write(json.dumps(out) + "\n")
    return 0


# ---------------------------------------------------------------------------
# Search on a synthetic gallery
# ---------------------------------------------------------------------------

def search_plan(n):
    """(label, queries per call, calls per repetition) for a gallery of n;
    must match bench_search.c."""
    singles = 16 if n <= 200000 else 4
    return [("1", 1, singles), ("64", 64, 1)]


def run_search(args):
    faiss.omp_set_num_threads(args.threads)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    out = []
    print(f"python baseline search (FAISS {getattr(faiss, '__version__', '?')} "
          f"IndexIDMap2(IndexFlatIP({DIM}))), {args.threads} thread(s), "
          f"k={SEARCH_K}, {args.reps} repetitions")
    q_all = unit_vectors(SEED_QUERIES, 0, 64)
    for n in sizes:
        ix = faiss.IndexIDMap2(faiss.IndexFlatIP(DIM))
        gen = add = 0.0
        for at in range(0, n, 65536):        # chunks: peak memory = the index
            m = min(65536, n - at)
            t0 = time.perf_counter()
            xb = unit_vectors(SEED_GALLERY, at, m)
            t1 = time.perf_counter()
            ix.add_with_ids(xb, np.arange(at + 1, at + m + 1, dtype=np.int64))
            add += time.perf_counter() - t1
            gen += t1 - t0
        del xb
        print(f"  gallery {n}: generated in {gen:.1f} s, added in "
              f"{add:.2f} s")
        for label, nq, calls in search_plan(n):
            sums, qps = None, []
            for rep in range(args.reps + 1):
                id_sum, d_sum = 0, 0.0
                c0 = time.perf_counter_ns()
                for c in range(calls):
                    q = q_all[c * nq:(c + 1) * nq] if nq > 1 else q_all[c:c + 1]
                    D, I = ix.search(q, SEARCH_K)
                    id_sum += int(I.sum())
                    d_sum += float(D.astype(np.float64).sum())
                el = time.perf_counter_ns() - c0
                cs = {"queries": nq * calls, "id_sum": id_sum,
                      "score_sum": round(d_sum, 4)}
                if rep == 0:
                    sums = cs
                    continue
                if cs != sums:
                    print(f"bench_baseline: search checksum changed: {cs} != "
                          f"{sums}", file=sys.stderr)
                    return 1
                qps.append(nq * calls / (el / 1e9))
            st = stats(qps)
            res = {"bench": "search", "side": "python", "threads": args.threads,
                   "omp_wait": os.environ.get("OMP_WAIT_POLICY", ""), "n": n,
                   "batch": nq, "reps": args.reps, "checksum": sums, "qps": st}
            out.append(res)
            print(f"  n={n:8d} batch={nq:3d} {st['median']:10.1f} queries/s "
                  f"[{st['min']:.1f} .. {st['max']:.1f}]  id_sum={sums['id_sum']} "
                  f"score_sum={sums['score_sum']}")
        del ix
    if args.json:
        with open(args.json, "a", encoding="utf-8") as f:
            for r in out:
                f.write(json.dumps(r) + "\n")
    return 0


# ---------------------------------------------------------------------------
# Face-by-face agreement of two dumps (C and Python)
# ---------------------------------------------------------------------------

def read_dump(path):
    faces = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < 8:
                continue
            box = np.array([float(v) for v in p[2:6]])
            emb = np.array([float(v) for v in p[7].split()], dtype=np.float64)
            faces.setdefault(p[0], []).append((box, emb))
    return faces


def iou(a, b):
    ax2, ay2, bx2, by2 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    w = min(ax2, bx2) - max(a[0], b[0])
    h = min(ay2, by2) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    i = w * h
    return i / (a[2] * a[3] + b[2] * b[3] - i)


def run_compare(args):
    a, b = read_dump(args.c_dump), read_dump(args.py_dump)
    cos, only_a, only_b, ious = [], 0, 0, []
    for name in sorted(set(a) | set(b)):
        fa, fb = list(a.get(name, [])), list(b.get(name, []))
        used = set()
        for box, emb in fa:
            best, bj = 0.5, -1
            for j, (box2, _) in enumerate(fb):
                if j not in used and iou(box, box2) > best:
                    best, bj = iou(box, box2), j
            if bj < 0:
                only_a += 1
                continue
            used.add(bj)
            ious.append(best)
            e2 = fb[bj][1]
            cos.append(float(emb @ e2 / (np.linalg.norm(emb) * np.linalg.norm(e2))))
        only_b += len(fb) - len(used)
    res = {"bench": "agreement", "matched": len(cos), "c_only": only_a,
           "python_only": only_b}
    if cos:
        res.update({"cos_median": statistics.median(cos), "cos_min": min(cos),
                    "cos_mean": statistics.fmean(cos),
                    "cos_below_0.9": sum(c < 0.9 for c in cos),
                    "iou_median": statistics.median(ious)})
    print("agreement C vs python: " + " ".join(
        f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
        for k, v in res.items() if k != "bench"))
    if args.json:
        with open(args.json, "a", encoding="utf-8") as f:
            f.write(json.dumps(res) + "\n")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pipeline", help="per-stage time on the eval photos")
    p.add_argument("--eval")
    p.add_argument("--models")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json")
    p.add_argument("--dump")
    p.add_argument("--warmup", type=int, default=-1,
                   help="images in the untimed warm-up pass (default: all)")
    s = sub.add_parser("search", help="search throughput, synthetic gallery")
    s.add_argument("--sizes", default="100000,1000000")
    s.add_argument("--reps", type=int, default=5)
    s.add_argument("--threads", type=int, default=2)
    s.add_argument("--json")
    p = sub.add_parser("scan", help="one parallel scan of the eval photos")
    p.add_argument("--eval")
    p.add_argument("--models")
    p.add_argument("--procs", type=int, default=2)
    p.add_argument("--gallery", type=int, default=40,
                   help="synthetic templates to search (default 40)")
    p.add_argument("--since", type=float,
                   help="epoch seconds the caller started the clock at, so "
                   "that interpreter start-up and imports count, as the C "
                   "CLI's process start does")
    p.add_argument("--json")
    c = sub.add_parser("compare", help="face-by-face agreement of two dumps")
    c.add_argument("c_dump")
    c.add_argument("py_dump")
    c.add_argument("--json")
    args = ap.parse_args()
    return {"pipeline": run_pipeline, "search": run_search, "scan": run_scan,
            "compare": run_compare}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
