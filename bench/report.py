#!/usr/bin/python3
"""report.py - the results table of one bench/run.sh run, in Markdown.

    report.py results.jsonl

Reads the JSON lines bench_face, bench_search, bench_baseline.py and
run.sh appended, pools the timed passes of every round per side, and prints
medians with [min .. max], the C / Python ratios, and the checksums of both
sides next to each other.  Fails (exit 1) when one side's checksum differs
between its rounds: then the runs did not compute the same thing.
"""

import json
import statistics
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def pool(recs, get):
    out = []
    for r in recs:
        out.extend(get(r)["samples"])
    return out


def fmt(xs, digits=2):
    if not xs:
        return "–"
    return (f"{statistics.median(xs):.{digits}f} "
            f"[{min(xs):.{digits}f} .. {max(xs):.{digits}f}]")


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def same_checksums(recs, what):
    sums = {json.dumps(r["checksum"], sort_keys=True) for r in recs}
    if len(sums) > 1:
        print(f"\n**{what}: checksum differs between rounds:** {sorted(sums)}")
        return False
    return True


STAGES = ("decode", "detect", "landmarks", "embed", "search")


def pipeline(rs, ok):
    c = [r for r in rs if r["bench"] == "pipeline" and r["side"] == "c"
         and not r.get("pyramid")]
    cp = [r for r in rs if r["bench"] == "pipeline" and r["side"] == "c"
          and r.get("pyramid")]
    py = [r for r in rs if r["bench"] == "pipeline" and r["side"] == "python"]
    if not c and not py:
        return ok
    ok &= same_checksums(c, "pipeline C") & same_checksums(py, "pipeline Python")
    th = (c or py)[0]["threads"]
    n_img = (c or py)[0]["checksum"]["images"]
    print(f"\n### Face pipeline, one process, {th} thread(s), {n_img} eval photos\n")
    print("ms per image, median [min .. max] over "
          f"{len(pool(c, lambda r: r['stage_ms']['decode'])) if c else 0} C and "
          f"{len(pool(py, lambda r: r['stage_ms']['decode'])) if py else 0} "
          "Python passes; ratio = Python time / C time (above 1: C faster).\n")
    hdr = "| stage | C | Python | Python/C |"
    if cp:
        hdr += " C, pyramid on |"
    print(hdr)
    print("|---|---:|---:|---:|" + ("---:|" if cp else ""))
    for s in STAGES:
        cs = pool(c, lambda r: r["stage_ms"][s])
        ps = pool(py, lambda r: r["stage_ms"][s])
        label = {"detect": "detect (less landmarks)",
                 "embed": "align + embed",
                 "search": "search (10k, k=10)"}.get(s, s)
        row = f"| {label} | {fmt(cs)} | {fmt(ps)} | {med(ps) / med(cs):.2f} |"
        if cp:
            row += f" {fmt(pool(cp, lambda r: r['stage_ms'][s]))} |"
        print(row)
    ci = pool(c, lambda r: r["images_per_s"])
    pi = pool(py, lambda r: r["images_per_s"])
    row = (f"| **images/s end to end** | **{fmt(ci)}** | **{fmt(pi)}** | "
           f"**C/Python {med(ci) / med(pi):.2f}** |")
    if cp:
        row += f" {fmt(pool(cp, lambda r: r['images_per_s']))} |"
    print(row)
    if all("stage_cpu_ms" in r for r in c + py):
        print("\nCPU time per image, all threads of the process, ms (less "
              "disturbed than the wall clock by other programs on the "
              "machine; spinning worker threads count in it):\n")
        print("| stage | C | Python | Python/C |")
        print("|---|---:|---:|---:|")
        for s in STAGES:
            cs = pool(c, lambda r: r["stage_cpu_ms"][s])
            ps = pool(py, lambda r: r["stage_cpu_ms"][s])
            print(f"| {s} | {fmt(cs)} | {fmt(ps)} | {med(ps) / med(cs):.2f} |")
        cs = pool(c, lambda r: r["cpu_ms_per_image"])
        ps = pool(py, lambda r: r["cpu_ms_per_image"])
        print(f"| **all stages** | **{fmt(cs)}** | **{fmt(ps)}** | "
              f"**{med(ps) / med(cs):.2f}** |")
    if all("decode_ms_by_type" in r for r in c + py) and c and py:
        types = sorted(c[0]["decode_ms_by_type"])
        print("\nDecode by file type, ms per file (libvips vs cv2.imread):\n")
        print("| type | C | Python | Python/C |")
        print("|---|---:|---:|---:|")
        for t in types:
            cs = pool(c, lambda r: r["decode_ms_by_type"][t])
            ps = pool(py, lambda r: r["decode_ms_by_type"].get(
                t, {"samples": []}))
            print(f"| {t} | {fmt(cs)} | {fmt(ps)} | "
                  f"{med(ps) / med(cs) if ps else float('nan'):.2f} |")
    # ratio per round: the two sides of a round ran back to back
    per_round = [med(a["images_per_s"]["samples"]) / med(b["images_per_s"]["samples"])
                 for a, b in zip(c, py)]
    if len(per_round) > 1:
        print("\nC/Python images/s per round: "
              + ", ".join(f"{x:.2f}" for x in per_round))
    print("\nChecksums (each side identical in every pass):\n")
    keys = ["images", "errors", "faces", "box_sum", "emb_sum", "top1_sum",
            "top1_id_sum"]
    print("| | " + " | ".join(keys) + " |")
    print("|---|" + "---:|" * len(keys))
    for name, rr in (("C", c), ("Python", py), ("C, pyramid on", cp)):
        if rr:
            print(f"| {name} | " + " | ".join(str(rr[0]["checksum"][k])
                                            for k in keys) + " |")
    ag = [r for r in rs if r["bench"] == "agreement"]
    if ag:
        a = ag[-1]
        print(f"\nFace by face (boxes paired at IoU > 0.5): {a['matched']} faces "
              f"found by both, {a['c_only']} by C only, {a['python_only']} by "
              f"Python only; cosine of the two embeddings of a face: median "
              f"{a.get('cos_median', float('nan')):.4f}, min "
              f"{a.get('cos_min', float('nan')):.4f}, "
              f"{a.get('cos_below_0.9', 0)} below 0.9; box IoU median "
              f"{a.get('iou_median', float('nan')):.3f}.")
    return ok


def scan(rs, ok):
    sc = [r for r in rs if r["bench"] == "scan"]
    if not sc:
        return ok
    gal = [r["gallery"] for r in sc if r["side"] == "python" and "gallery" in r]
    print("\n### Parallel scan of the eval photos (whole process: start-up, "
          "model load, every file"
          + (f"; gallery of {gal[0]} templates" if gal else "") + ")\n")
    print("| run | wall s | images/s | faces | errors |")
    print("|---|---:|---:|---:|---:|")
    groups = {}
    for r in sc:
        key = r["label"] if r["side"] == "c" else \
            f"python pool of {r['procs']} (1 thread each)"
        groups.setdefault(key, []).append(r)
    for key, rr in groups.items():
        walls = [r["wall_s"] for r in rr]
        ips = [r["images"] / r["wall_s"] for r in rr]
        faces = sorted({r["faces"] for r in rr})
        print(f"| {key} | {fmt(walls)} | {fmt(ips)} | "
              f"{'/'.join(map(str, faces))} | {max(r['errors'] for r in rr)} |")
    ratios = []
    for c_lab, procs in (("likeness scan --jobs 2 --no-pyramid", 2),
                         ("likeness scan --jobs 1 --no-pyramid", 1)):
        a = groups.get(c_lab)
        b = groups.get(f"python pool of {procs} (1 thread each)")
        if a and b:
            ratios.append(f"{procs} job(s): "
                          f"{med([r['images'] / r['wall_s'] for r in a]) / med([r['images'] / r['wall_s'] for r in b]):.2f}")
    if ratios:
        print("\nC/Python images/s, like for like (no pyramid): "
              + ", ".join(ratios))
    return ok


def search(rs, ok):
    se = [r for r in rs if r["bench"] == "search"]
    if not se:
        return ok
    th = se[0]["threads"]
    print(f"\n### Exact search, synthetic unit vectors, 512-D, k=10, "
          f"{th} thread(s)\n")
    print("queries/s, median [min .. max]; ratio = C / Python.\n")
    print("| templates | queries per call | C (lk__index) | Python (faiss) | "
          "C/Python | checksums equal |")
    print("|---:|---:|---:|---:|---:|---|")
    keys = sorted({(r.get("omp_wait", ""), r["n"], r["batch"]) for r in se})
    for w, n, b in keys:
        k = lambda r: (r.get("omp_wait", ""), r["n"], r["batch"])  # noqa: E731
        c = [r for r in se if r["side"] == "c" and k(r) == (w, n, b)]
        p = [r for r in se if r["side"] == "python" and k(r) == (w, n, b)]
        cq, pq = pool(c, lambda r: r["qps"]), pool(p, lambda r: r["qps"])
        eq = "–"
        if c and p:
            eq = "yes" if c[0]["checksum"] == p[0]["checksum"] else \
                f"**no**: {c[0]['checksum']} vs {p[0]['checksum']}"
        print(f"| {n:,}{', OMP_WAIT_POLICY=' + w if w else ''} | {b} | {fmt(cq, 1)} | {fmt(pq, 1)} | "
              f"{med(cq) / med(pq) if cq and pq else float('nan'):.2f} | {eq} |")
    return ok


def video(rs, ok):
    vi = [r for r in rs if r["bench"] == "video"]
    if not vi:
        return ok
    print("\n### Video scan speed against the decode-only floor\n")
    print("Multiples of real time (video seconds per wall second), median "
          "[min .. max] of every repetition; floor = the same frames decoded "
          "and dropped, same policy, same run.  scan/floor = how much longer "
          "scanning takes than decoding alone.  Peak RSS of the process.\n")
    print("| video | sampling | floor x real time | scan x real time | "
          "scan/floor (time) | decoded / sampled | tracks | matches | "
          "RSS floor / scan MB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    keys = []
    for r in vi:
        k = (r["label"], r["sampling"])
        if k not in keys:
            keys.append(k)
    for k in keys:
        fl = [r for r in vi if (r["label"], r["sampling"]) == k and r["mode"] == "floor"]
        sc = [r for r in vi if (r["label"], r["sampling"]) == k and r["mode"] == "scan"]
        ok &= same_checksums(sc, f"video scan {k}") & same_checksums(fl, f"video floor {k}")
        def xrt(rr):
            return [r["duration_s"] / w for r in rr for w in r["wall_s"]["samples"]]
        fx, sx = xrt(fl), xrt(sc)
        ratio = med(fx) / med(sx) if fx and sx else float("nan")
        d = sc[0] if sc else fl[0]
        rss = (f"{max(r['maxrss_kb'] for r in fl) // 1024 if fl else '–'} / "
               f"{max(r['maxrss_kb'] for r in sc) // 1024 if sc else '–'}")
        print(f"| {k[0]} | {k[1]} | {fmt(fx, 1)} | {fmt(sx, 1)} | {ratio:.2f} | "
              f"{d['decoded']} / {d['sampled']} | {d['tracks'] if sc else '–'} | "
              f"{d['matches'] if sc else '–'} | {rss} |")
    return ok


def voice(rs, ok):
    vo = [r for r in rs if r["bench"] == "voice"]
    if not vo:
        return ok
    print("\n### Voice, multiples of real time\n")
    print("features and embed: CPU time of the one thread doing the work "
          "(per core); scan: lk_scan_file on the file, wall and process CPU "
          "time.  Median [min .. max] of the repetitions.\n")
    print("| stage | file | audio s | clock | x real time |")
    print("|---|---|---:|---|---:|")
    for r in vo:
        xs = [r["audio_s"] / t for t in r["time_s"]["samples"]]
        print(f"| {r['stage']} | {r['file']} | {r['audio_s']:.0f} | "
              f"{r['clock']} | {fmt(xs, 1)} |")
    return ok


def provenance(rs, ok):
    pv = [r for r in rs if r["bench"] == "provenance"]
    if not pv:
        return ok
    print("\n### Provenance: lk_provenance_read beside read + SHA-256\n")
    print("floor: open, read in 1 MiB blocks and SHA-256 every byte (what any "
          "check of a C2PA hard binding costs at least); read: "
          "lk_provenance_read (container walk, manifests, COSE verification, "
          "the binding hash, XMP/EXIF).  File in the page cache; median "
          "[min .. max] milliseconds.\n")
    print("| file | MB | verdict | floor ms | read ms | read/floor |")
    print("|---|---:|---|---:|---:|---:|")
    for r in pv:
        f = [t * 1e3 for t in r["floor"]["samples"]]
        d = [t * 1e3 for t in r["read"]["samples"]]
        print(f"| {r['file']} | {r['bytes'] / 1e6:.2f} | {r['verdict']} | "
              f"{fmt(f, 3)} | {fmt(d, 3)} | {med(d) / med(f):.2f} |")
    return ok


def main():
    rs = load(sys.argv[1])
    m = [r for r in rs if r["bench"] == "machine"]
    end = [r for r in rs if r["bench"] == "machine_end"]
    if m:
        m = m[0]
        print(f"## Likeness benchmarks, {m['date']}\n")
        print(f"{m['cpu']}, {m['cpus']} CPUs; thread budget {m['threads']} "
              f"for both sides; pipeline {m['rounds']} round(s) x {m['reps']} "
              f"timed pass(es) a side, scan {m.get('scan_runs', '?')} run(s), "
              f"search {m.get('search_reps', '?')} repetition(s); load "
              f"average before {m['load_before']}"
              + (f", after {end[0]['load_after']}" if end else "") + ".")
    ok = True
    ok = pipeline(rs, ok)
    ok = scan(rs, ok)
    ok = search(rs, ok)
    ok = video(rs, ok)
    ok = voice(rs, ok)
    ok = provenance(rs, ok)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
