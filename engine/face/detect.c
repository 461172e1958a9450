/*
 * detect.c — face detection: the fixed-size detector run over the whole
 * image (letterboxed) and, for large images, over overlapping tiles at
 * finer scales; boxes merged by NMS, filtered, and given landmarks.
 */
#include "core/grow.h"
#include "face/face.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The detector's input is fixed (320x240).  The whole image is scaled to
 * fit it with its aspect kept and the rest padded with the mean (input 0).
 * Against stretching, on the 130 evaluation photos: 218 boxes vs 217,
 * stretching missed one true face and each way had 2-3 false boxes the
 * other had not; letterboxed boxes gave steadier landmarks (left-right
 * flip disagreement 2.7% vs 3.0% of the eye distance). */
#define PAD_PIXEL 127.0f

/* Images with a side over this get the tiled search when asked for. */
#define PYR_MIN_SIDE 800
/* Face side, in input pixels, from which the detector finds nearly every
 * face: measured 96% at 24 px, 69% at 16, 37% at 12, 4% at 8. */
#define PYR_FACE 24.0
/* Each level of tiles is this much finer than the one before.  A level
 * sees faces from PYR_FACE up to PYR_STEP times that; coarser ones were
 * seen whole by the level above. */
#define PYR_STEP 3.0
/* Tiles magnify texture, and ears, shoulders and hair then pass for small
 * faces.  Two defences, measured on the 130 evaluation photos (where the
 * tiles have no true face to add) and on mosaics of the group photos
 * (where they find faces too small for the whole-image pass):
 *  - a score of PYR_SCORE in the tile: tiles alone at 0.7 added 6 false
 *    faces to the photos, at 0.9 three;
 *  - a second look (verify()): with it, 0.8 adds none to the photos and
 *    finds 64+63+63+43 faces on four mosaics where the whole-image pass
 *    finds 12+29+18+30 (0.9 found 3 fewer, 0.7 let one false face in). */
#define PYR_SCORE 0.8f
/* The second look: each box with VERIFY_CONTEXT times its size of
 * surroundings, in a VERIFY_CELL-pixel cell (faces near 40 px, well inside
 * the detector's range); 1.5 let an ear through, 3 changed nothing. */
#define VERIFY_CONTEXT 2.0
#define VERIFY_CELL 80
enum { MAX_CELLS = 16 };
/* Tiles one image may add.  The detector cannot batch (its graph fixes
 * the batch at 1), so each tile is a call of its own.  On the four mosaics
 * 8 tiles found 228 faces, 16 and 32 both 235 (the next level of tiles
 * being too many to fit either way); 16 keeps a large image at 17 calls
 * plus one second-look call per 12 boxes the tiles found. */
#define PYR_MAX_TILES 16

/* Bounds on work a hostile or noisy image can cause: candidates kept for
 * NMS and boxes surviving it. */
enum { MAX_CANDS = 4096, MAX_KEPT = 1024 };

typedef struct cand {
    float x1, y1, x2, y2, score;
} cand;

typedef struct cands {
    cand *v;
    int n;
    size_t cap;
} cands;

static lk_status push(cands *c, cand x)
{
    if (lk__grow(&c->v, &c->cap, (size_t)c->n + 1, sizeof *c->v, 256) != LK_OK)
        return LK_ERR_NOMEM;
    c->v[c->n++] = x;
    return LK_OK;
}

/* Faces a tile keeps, in input pixels: larger ones are at least
 * PYR_FACE at the next coarser scale, where they are found whole. */
#define TILE_KEEP (1.25 * PYR_STEP * PYR_FACE)
/* Input pixels of a tile edge inside the image in which a box counts as
 * cut by the edge. */
#define TILE_MARGIN 4.0
/* Tiles overlap by enough to hold any face a tile keeps whole. */
#define TILE_OVERLAP (TILE_KEEP + 2 * TILE_MARGIN)

/* Run the detector on the input in blob: na anchors, each with a face
 * score (scores[2i + 1]) and a box normalised to the input (boxes[4i]). */
static lk_status run_detector(lk__face_nets *nets, const float *blob,
                              const float **scores, const float **boxes,
                              size_t *na)
{
    static const char *const names[2] = {"scores", "boxes"};
    const lk__model *m = nets->detect_m;
    const int shape[4] = {1, 3, m->input_h, m->input_w};
    lk__cv_tensor t[2];
    lk_status st = lk__cv_net_forward(nets->detect, blob, shape, names, 2, t);
    if (st != LK_OK)
        return st;
    *na = t[1].count / 4;
    if (*na == 0 || t[1].count != 4 * *na || t[0].count != 2 * *na)
        return lk__error(LK_ERR_BACKEND, "%s: %zu scores for %zu boxes",
                         m->id, t[0].count, t[1].count);
    *scores = t[0].data;
    *boxes = t[1].data;
    return LK_OK;
}

/* One detector call on the canvas whose top-left source point is (rx, ry)
 * at scale s (input pixels per source pixel).  A tile drops boxes cut
 * by one of its edges that lie inside the image, and boxes too large for
 * its scale: a neighbour or a coarser pass sees those whole. */
static lk_status detect_view(lk__face_nets *nets, const lk__cv_image *img,
                             double rx, double ry, double s, int tile,
                             const lk_detect_params *p,
                             cands *out)
{
    const lk__model *m = nets->detect_m;
    const int iw = m->input_w, ih = m->input_h;
    float *blob = lk__face_scratch(nets, (size_t)iw * (size_t)ih * 3);
    if (!blob)
        return LK_ERR_NOMEM;
    const double a[6] = {s, 0, -rx * s, 0, s, -ry * s};
    lk_status st = lk__cv_warp_to_blob(img, a, iw, ih, m->channels, m->mean,
                                       m->scale, PAD_PIXEL, blob);
    const float *scores, *boxes;
    size_t na;
    if (st != LK_OK ||
        (st = run_detector(nets, blob, &scores, &boxes, &na)) != LK_OK)
        return st;

    const double cw = iw / s, ch = ih / s, margin = TILE_MARGIN / s;
    const double ex0 = rx > 0 ? rx + margin : -INFINITY;
    const double ey0 = ry > 0 ? ry + margin : -INFINITY;
    const double ex1 = rx + cw < img->w ? rx + cw - margin : INFINITY;
    const double ey1 = ry + ch < img->h ? ry + ch - margin : INFINITY;
    const double keep = TILE_KEEP / s;
    for (size_t i = 0; i < na; i++) {
        const float score = scores[2 * i + 1];
        if (!(score >= p->min_score) || (tile && !(score >= PYR_SCORE)))
            continue;
        const float *b = boxes + 4 * i;
        cand c;
        c.x1 = (float)(rx + b[0] * cw);
        c.y1 = (float)(ry + b[1] * ch);
        c.x2 = (float)(rx + b[2] * cw);
        c.y2 = (float)(ry + b[3] * ch);
        c.score = score;
        if (!(c.x2 > c.x1 && c.y2 > c.y1) || !isfinite(c.x1) ||
            !isfinite(c.y1) || !isfinite(c.x2) || !isfinite(c.y2))
            continue;
        const float side = fmaxf(c.x2 - c.x1, c.y2 - c.y1);
        if (side < (float)p->min_face)
            continue;
        if (tile && (side > keep || c.x1 < ex0 || c.y1 < ey0 || c.x2 > ex1 ||
                     c.y2 > ey1))
            continue;
        if ((st = push(out, c)) != LK_OK)
            return st;
    }
    return LK_OK;
}

/* How many evenly spaced canvases of length len cover [0, size) with at
 * least `overlap` in common. */
static int64_t tile_count(double size, double len, double overlap)
{
    if (len >= size)
        return 1;
    const double step = fmax(len - overlap, 0.25 * len);
    double n = ceil((size - len) / step) + 1;
    return n > 1e9 ? (int64_t)1e9 : (int64_t)n;
}

static double tile_origin(int64_t i, int64_t n, double size, double len)
{
    if (n <= 1 || len >= size)
        return 0;
    return (double)i * (size - len) / (double)(n - 1);
}

static float area(const cand *c) { return (c->x2 - c->x1) * (c->y2 - c->y1); }

static float overlap_area(const cand *a, const cand *b)
{
    const float w = fminf(a->x2, b->x2) - fmaxf(a->x1, b->x1);
    const float h = fminf(a->y2, b->y2) - fmaxf(a->y1, b->y1);
    return w > 0 && h > 0 ? w * h : 0;
}

static int by_score(const void *a, const void *b)
{
    const float x = ((const cand *)a)->score, y = ((const cand *)b)->score;
    return (x < y) - (x > y);
}

/* Greedy NMS in score order over c->v[from..]; c->v[0..from) are boxes
 * kept before, which suppress but are not suppressed.  Survivors are
 * packed after them. */
static void nms(cands *c, int from, float thresh)
{
    if (c->n <= from)
        return;
    qsort(c->v + from, (size_t)(c->n - from), sizeof *c->v, by_score);
    int kept = from;
    for (int i = from; i < c->n && kept < MAX_KEPT && i < from + MAX_CANDS;
         i++) {
        int keep = 1;
        for (int j = 0; j < kept && keep; j++) {
            const float in = overlap_area(&c->v[i], &c->v[j]);
            keep = in <= thresh * (area(&c->v[i]) + area(&c->v[j]) - in);
        }
        if (keep)
            c->v[kept++] = c->v[i];
    }
    c->n = kept;
}

/* Drop the boxes of a finer pass c->v[from..] lying mostly inside a box
 * already kept: part of a larger face (an eye, a mouth) magnified by the
 * tile looks like a face of its own. */
static void drop_parts(cands *c, int from)
{
    int n = from;
    for (int i = from; i < c->n; i++) {
        int inside = 0;
        for (int j = 0; j < from && !inside; j++)
            inside = overlap_area(&c->v[i], &c->v[j]) > 0.5f * area(&c->v[i]);
        if (!inside)
            c->v[n++] = c->v[i];
    }
    c->n = n;
}

/* A second look at the boxes a finer pass found, c->v[from..]: each, with
 * context around it, in a cell of a mosaic the detector sees at once, so
 * that a dozen boxes cost one call.  A box is kept when the detector finds
 * it again in its cell, with another framing and at another scale. */
static lk_status verify(lk__face_nets *nets, const lk__cv_image *img,
                        cands *c, int from, const lk_detect_params *p)
{
    const lk__model *m = nets->detect_m;
    const int iw = m->input_w, ih = m->input_h, cell = VERIFY_CELL;
    const int cols = iw / cell, rows = ih / cell;
    const int per = cols * rows < MAX_CELLS ? cols * rows : MAX_CELLS;
    const size_t plane = (size_t)iw * ih, cplane = (size_t)cell * cell;
    if (per < 1)
        return LK_OK;
    int n = from;
    for (int start = from; start < c->n; start += per) {
        const int k = c->n - start < per ? c->n - start : per;
        float *blob = lk__face_scratch(nets, 3 * plane + 3 * cplane);
        if (!blob)
            return LK_ERR_NOMEM;
        float *tmp = blob + 3 * plane;
        for (size_t i = 0; i < 3 * plane; i++)
            blob[i] = (PAD_PIXEL - m->mean) * m->scale;
        double ex[MAX_CELLS][4]; /* where each box should reappear */
        for (int i = 0; i < k; i++) {
            const cand *b = &c->v[start + i];
            const double bw = b->x2 - b->x1, bh = b->y2 - b->y1;
            const double side = VERIFY_CONTEXT * fmax(bw, bh);
            const double cx = 0.5 * (b->x1 + b->x2);
            const double cy = 0.5 * (b->y1 + b->y2);
            const double sc = cell / side;
            const double a[6] = {sc, 0, -(cx - 0.5 * side) * sc,
                                 0, sc, -(cy - 0.5 * side) * sc};
            lk_status st = lk__cv_warp_to_blob(img, a, cell, cell, m->channels,
                                               m->mean, m->scale, PAD_PIXEL,
                                               tmp);
            if (st != LK_OK)
                return st;
            const int ox = (i % cols) * cell, oy = (i / cols) * cell;
            for (int ch = 0; ch < 3; ch++)
                for (int y = 0; y < cell; y++)
                    memcpy(blob + ch * plane + (size_t)(oy + y) * iw + ox,
                           tmp + ch * cplane + (size_t)y * cell,
                           (size_t)cell * sizeof(float));
            ex[i][0] = ox + 0.5 * cell - 0.5 * bw * sc;
            ex[i][1] = oy + 0.5 * cell - 0.5 * bh * sc;
            ex[i][2] = ox + 0.5 * cell + 0.5 * bw * sc;
            ex[i][3] = oy + 0.5 * cell + 0.5 * bh * sc;
        }
        const float *scores, *boxes;
        size_t na;
        lk_status st = run_detector(nets, blob, &scores, &boxes, &na);
        if (st != LK_OK)
            return st;
        int seen[MAX_CELLS] = {0};
        for (size_t j = 0; j < na; j++) {
            const float score = scores[2 * j + 1];
            if (!(score >= p->min_score))
                continue;
            const float *b = boxes + 4 * j;
            const cand d = {b[0] * iw, b[1] * ih, b[2] * iw, b[3] * ih, score};
            for (int i = 0; i < k; i++) {
                const cand e = {(float)ex[i][0], (float)ex[i][1],
                                (float)ex[i][2], (float)ex[i][3], 0};
                const float in = overlap_area(&d, &e);
                if (in > 0.3f * (area(&d) + area(&e) - in))
                    seen[i] = 1;
            }
        }
        for (int i = 0; i < k; i++)
            if (seen[i])
                c->v[n++] = c->v[start + i];
    }
    c->n = n;
    return LK_OK;
}

/* The finer scales of the pyramid, each PYR_STEP times finer than the
 * last, down to where faces of min_face pixels reach PYR_FACE or to
 * native resolution.  Coarse levels go first; a level that would exceed
 * the tile budget is made coarser until it fits, or dropped with the
 * finer ones: a bounded cost matters more than the smallest faces. */
static lk_status detect_pyramid(lk__face_nets *nets, const lk__cv_image *img,
                                double s0, const lk_detect_params *p,
                                cands *c)
{
    const lk__model *m = nets->detect_m;
    const double iw = m->input_w, ih = m->input_h;
    double s_max = p->min_face > 0 ? PYR_FACE / p->min_face : 1.0;
    if (s_max > 1.0)
        s_max = 1.0;
    int64_t budget = PYR_MAX_TILES;
    double prev = s0;
    /* a level less than 1.25 times finer than the last is not worth its
     * tiles */
    while (prev * 1.25 < s_max) {
        double s = fmin(prev * PYR_STEP, s_max);
        int64_t nx, ny;
        for (;;) {
            nx = tile_count(img->w, iw / s, TILE_OVERLAP / s);
            ny = tile_count(img->h, ih / s, TILE_OVERLAP / s);
            if (nx * ny <= budget || s < prev * 1.25)
                break;
            s *= 0.9;
        }
        if (nx * ny > budget || s < prev * 1.25)
            break;
        budget -= nx * ny;
        const int from = c->n;
        for (int64_t j = 0; j < ny; j++)
            for (int64_t i = 0; i < nx; i++) {
                lk_status st = detect_view(
                    nets, img, tile_origin(i, nx, img->w, iw / s),
                    tile_origin(j, ny, img->h, ih / s), s, 1, p, c);
                if (st != LK_OK)
                    return st;
            }
        drop_parts(c, from);
        nms(c, from, p->nms_iou);
        lk_status st = verify(nets, img, c, from, p);
        if (st != LK_OK)
            return st;
        prev = s;
    }
    return LK_OK;
}

static float clipf(float v, float lo, float hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static float clipped_area(const lk_face *f, int w, int h)
{
    const float x1 = clipf(f->x, 0, (float)w);
    const float x2 = clipf(f->x + f->w, 0, (float)w);
    const float y1 = clipf(f->y, 0, (float)h);
    const float y2 = clipf(f->y + f->h, 0, (float)h);
    return (x2 - x1) * (y2 - y1);
}

typedef struct sized {
    lk_face f;
    float area;
} sized;

static int by_area(const void *a, const void *b)
{
    const float x = ((const sized *)a)->area, y = ((const sized *)b)->area;
    return (x < y) - (x > y);
}

lk_status lk__detect_check_params(const lk_detect_params *p)
{
    if (!(p->min_score >= 0.0f && p->min_score <= 1.0f))
        return lk__error(LK_ERR_MISUSE, "detect: min_score %g is not in 0..1",
                         (double)p->min_score);
    if (!(p->nms_iou > 0.0f && p->nms_iou <= 1.0f))
        return lk__error(LK_ERR_MISUSE, "detect: nms_iou %g is not in (0, 1]",
                         (double)p->nms_iou);
    if (p->min_face < 0 || p->min_face > LK__MAX_FACE_SIDE)
        return lk__error(LK_ERR_MISUSE, "detect: min_face %d is not in "
                         "0..%d", p->min_face, LK__MAX_FACE_SIDE);
    if (p->max_faces < 1)
        return lk__error(LK_ERR_MISUSE, "detect: max_faces %d is not 1 or "
                         "more", p->max_faces);
    if (p->max_pixels < 0)
        return lk__error(LK_ERR_MISUSE, "detect: max_pixels %lld is negative",
                         (long long)p->max_pixels);
    return LK_OK;
}

static lk_status detect(lk__face_nets *nets, const uint8_t *rgb, int w, int h,
                        int stride, const lk_detect_params *params,
                        int landmarks, lk_face **faces, int *n)
{
    if (faces)
        *faces = NULL;
    if (n)
        *n = 0;
    if (!nets || !params || !faces || !n)
        return lk__error(LK_ERR_MISUSE, "detect: NULL argument");
    lk_status st = lk__face_check_rgb("detect", rgb, w, h, stride);
    if (st != LK_OK || (st = lk__detect_check_params(params)) != LK_OK)
        return st;
    if (params->max_pixels > 0 && (int64_t)w * h > params->max_pixels)
        return lk__error(LK_ERR_TOO_LARGE,
                         "image of %dx%d exceeds %lld pixels", w, h,
                         (long long)params->max_pixels);

    const lk__cv_image img = {rgb, w, h, stride, 3};
    const lk__model *m = nets->detect_m;
    cands c = {0};
    const double s0 = fmin((double)m->input_w / w, (double)m->input_h / h);
    st = detect_view(nets, &img, 0, 0, s0, 0, params, &c);
    if (st == LK_OK)
        nms(&c, 0, params->nms_iou);
    if (st == LK_OK && params->pyramid &&
        (w > PYR_MIN_SIDE || h > PYR_MIN_SIDE))
        st = detect_pyramid(nets, &img, s0, params, &c);
    if (st != LK_OK) {
        free(c.v);
        return st;
    }

    const int kept = c.n;
    sized *v = kept ? lk__malloc((size_t)kept * sizeof *v) : NULL;
    if (kept && !v) {
        free(c.v);
        return LK_ERR_NOMEM;
    }
    for (int i = 0; i < kept; i++) {
        lk_face *f = &v[i].f;
        memset(f, 0, sizeof *f);
        f->x = c.v[i].x1;
        f->y = c.v[i].y1;
        f->w = c.v[i].x2 - c.v[i].x1;
        f->h = c.v[i].y2 - c.v[i].y1;
        f->score = c.v[i].score;
        v[i].area = clipped_area(f, w, h);
    }
    free(c.v);
    if (kept == 0)
        return LK_OK;
    qsort(v, (size_t)kept, sizeof *v, by_area);
    const int count = kept < params->max_faces ? kept : params->max_faces;
    lk_face *out = lk__malloc((size_t)count * sizeof *out);
    if (!out) {
        free(v);
        return LK_ERR_NOMEM;
    }
    for (int i = 0; i < count; i++)
        out[i] = v[i].f;
    free(v);

    /* Landmarks from the whole box, clipping only what is reported: a face
     * cut by the image edge still has its centre where the detector saw it. */
    if (landmarks &&
        (st = lk__face_landmarks(nets, rgb, w, h, stride, out, count)) !=
            LK_OK) {
        free(out);
        return st;
    }
    for (int i = 0; i < count; i++) {
        lk_face *f = &out[i];
        const float x1 = clipf(f->x, 0, (float)w);
        const float y1 = clipf(f->y, 0, (float)h);
        const float x2 = clipf(f->x + f->w, 0, (float)w);
        const float y2 = clipf(f->y + f->h, 0, (float)h);
        f->x = x1;
        f->y = y1;
        f->w = x2 - x1;
        f->h = y2 - y1;
    }
    *faces = out;
    *n = count;
    return LK_OK;
}

lk_status lk__face_detect(lk__face_nets *nets, const uint8_t *rgb, int w,
                          int h, int stride, const lk_detect_params *params,
                          lk_face **faces, int *n)
{
    return detect(nets, rgb, w, h, stride, params, 1, faces, n);
}

lk_status lk__face_detect_boxes(lk__face_nets *nets, const uint8_t *rgb, int w,
                                int h, int stride,
                                const lk_detect_params *params,
                                lk_face **faces, int *n)
{
    return detect(nets, rgb, w, h, stride, params, 0, faces, n);
}
