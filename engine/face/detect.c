/*
 * detect.c — face detection: the fixed-size detector run over the whole
 * image (letterboxed) and, for large images, over overlapping tiles at
 * finer scales; boxes merged by NMS, filtered, and given landmarks.
 */
#include "face/face.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef LK__DET_LETTERBOX
#define LK__DET_LETTERBOX 1
#endif
#ifndef LK__DET_BORDER
#define LK__DET_BORDER 127.0f
#endif
#ifndef LK__PYR_MIN_SIDE
#define LK__PYR_MIN_SIDE 800
#endif
/* Face side in input pixels above which the detector finds nearly every
 * face (measured: 96% at 24 px, 69% at 16, 37% at 12). */
#ifndef LK__PYR_FACE
#define LK__PYR_FACE 24.0
#endif
#ifndef LK__PYR_STEP
#define LK__PYR_STEP 3.0
#endif
#ifndef LK__PYR_SCORE
#define LK__PYR_SCORE 0.0f
#endif
#ifndef LK__PYR_MAX_TILES
#define LK__PYR_MAX_TILES 32
#endif

/* Bounds on work a hostile or noisy image can cause: candidates kept for
 * NMS and boxes surviving it. */
enum { MAX_CANDS = 4096, MAX_KEPT = 1024 };

typedef struct cand {
    float x1, y1, x2, y2, score;
} cand;

typedef struct cands {
    cand *v;
    int n, cap;
} cands;

static lk_status push(cands *c, cand x)
{
    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 256;
        cand *v = lk__realloc(c->v, (size_t)cap * sizeof *v);
        if (!v)
            return LK_ERR_NOMEM;
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = x;
    return LK_OK;
}

/* Faces a tile keeps, in input pixels: larger ones are at least
 * LK__PYR_FACE at the next coarser scale, where they are found whole. */
#define TILE_KEEP (1.25 * LK__PYR_STEP * LK__PYR_FACE)
/* Input pixels of a tile edge inside the image in which a box counts as
 * cut by the edge. */
#define TILE_MARGIN 4.0
/* Tiles overlap by enough to hold any face a tile keeps whole. */
#define TILE_OVERLAP (TILE_KEEP + 2 * TILE_MARGIN)

/* One detector call on the canvas whose top-left source point is (rx, ry)
 * at scale sx, sy (input pixels per source pixel).  A tile drops boxes cut
 * by one of its edges that lie inside the image, and boxes too large for
 * its scale: a neighbour or a coarser pass sees those whole. */
static lk_status detect_view(lk__face_nets *nets, const lk__cv_image *img,
                             double rx, double ry, double sx, double sy,
                             int tile, const lk_detect_params *p,
                             cands *out)
{
    const lk__model *m = nets->detect_m;
    const int iw = m->input_w, ih = m->input_h;
    float *blob = lk__face_scratch(nets, (size_t)iw * (size_t)ih * 3);
    if (!blob)
        return LK_ERR_NOMEM;
    const double a[6] = {sx, 0, -rx * sx, 0, sy, -ry * sy};
    lk_status st = lk__cv_warp_to_blob(img, a, iw, ih, m->channels, m->mean,
                                       m->scale, LK__DET_BORDER, blob);
    if (st != LK_OK)
        return st;
    static const char *const names[2] = {"scores", "boxes"};
    const int shape[4] = {1, 3, ih, iw};
    lk__cv_tensor t[2];
    if ((st = lk__cv_net_forward(nets->detect, blob, shape, names, 2, t)) !=
        LK_OK)
        return st;
    const size_t na = t[1].count / 4;
    if (na == 0 || t[1].count != 4 * na || t[0].count != 2 * na)
        return lk__error(LK_ERR_BACKEND, "%s: %zu scores for %zu boxes",
                         m->id, t[0].count, t[1].count);

    const double cw = iw / sx, ch = ih / sy;
    const double mx = TILE_MARGIN / sx, my = TILE_MARGIN / sy;
    const double ex0 = rx > 0 ? rx + mx : -INFINITY;
    const double ey0 = ry > 0 ? ry + my : -INFINITY;
    const double ex1 = rx + cw < img->w ? rx + cw - mx : INFINITY;
    const double ey1 = ry + ch < img->h ? ry + ch - my : INFINITY;
    const double keep = TILE_KEEP / sx;
    for (size_t i = 0; i < na; i++) {
        const float score = t[0].data[2 * i + 1];
        if (!(score >= p->min_score) || (tile && !(score >= LK__PYR_SCORE)))
            continue;
        const float *b = t[1].data + 4 * i;
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
    double n = ceil((size - len) / (len - overlap)) + 1;
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

/* The finer scales of the pyramid, each LK__PYR_STEP times finer than the
 * last, down to where faces of min_face pixels reach LK__PYR_FACE or to
 * native resolution.  Coarse levels go first; a level that would exceed
 * the tile budget is made coarser until it fits, or dropped with the
 * finer ones: a bounded cost matters more than the smallest faces. */
static lk_status detect_pyramid(lk__face_nets *nets, const lk__cv_image *img,
                                double s0, const lk_detect_params *p,
                                cands *c)
{
    const lk__model *m = nets->detect_m;
    const double iw = m->input_w, ih = m->input_h;
    double s_max = p->min_face > 0 ? LK__PYR_FACE / p->min_face : 1.0;
    if (s_max > 1.0)
        s_max = 1.0;
    int64_t budget = LK__PYR_MAX_TILES;
    double prev = s0;
    while (prev * 1.25 < s_max) {
        double s = fmin(prev * LK__PYR_STEP, s_max);
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
                    tile_origin(j, ny, img->h, ih / s), s, s, 1, p, c);
                if (st != LK_OK)
                    return st;
            }
        drop_parts(c, from);
        nms(c, 0, p->nms_iou);
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
    const float x1 = clipf(f->x, 0, (float)w), x2 = clipf(f->x + f->w, 0, (float)w);
    const float y1 = clipf(f->y, 0, (float)h), y2 = clipf(f->y + f->h, 0, (float)h);
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

static lk_status check_params(const lk_detect_params *p)
{
    if (!(p->min_score >= 0.0f && p->min_score <= 1.0f))
        return lk__error(LK_ERR_MISUSE, "detect: min_score %g is not in 0..1",
                         (double)p->min_score);
    if (!(p->nms_iou > 0.0f && p->nms_iou <= 1.0f))
        return lk__error(LK_ERR_MISUSE, "detect: nms_iou %g is not in (0, 1]",
                         (double)p->nms_iou);
    if (p->min_face < 0 || p->max_faces < 1)
        return lk__error(LK_ERR_MISUSE,
                         "detect: min_face %d or max_faces %d out of range",
                         p->min_face, p->max_faces);
    return LK_OK;
}

lk_status lk__face_detect(lk__face_nets *nets, const uint8_t *rgb, int w,
                          int h, int stride, const lk_detect_params *params,
                          lk_face **faces, int *n)
{
    if (faces)
        *faces = NULL;
    if (n)
        *n = 0;
    if (!nets || !params || !faces || !n)
        return lk__error(LK_ERR_MISUSE, "detect: NULL argument");
    lk_status st = lk__face_check_rgb("detect", rgb, w, h, stride);
    if (st != LK_OK || (st = check_params(params)) != LK_OK)
        return st;
    if (params->max_pixels > 0 && (int64_t)w * h > params->max_pixels)
        return lk__error(LK_ERR_TOO_LARGE,
                         "image of %dx%d exceeds %lld pixels", w, h,
                         (long long)params->max_pixels);

    const lk__cv_image img = {rgb, w, h, stride, 3};
    const lk__model *m = nets->detect_m;
    cands c = {0};
    const double s0 = fmin((double)m->input_w / w, (double)m->input_h / h);
#if LK__DET_LETTERBOX
    st = detect_view(nets, &img, 0, 0, s0, s0, 0, params, &c);
#else
    st = detect_view(nets, &img, 0, 0, (double)m->input_w / w,
                     (double)m->input_h / h, 0, params, &c);
#endif
    if (st == LK_OK)
        nms(&c, 0, params->nms_iou);
    if (st == LK_OK && params->pyramid &&
        (w > LK__PYR_MIN_SIDE || h > LK__PYR_MIN_SIDE))
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
    qsort(v, (size_t)kept, sizeof *v, by_area);
    const int count = kept < params->max_faces ? kept : params->max_faces;
    if (count == 0) {
        free(v);
        return LK_OK;
    }
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
    if ((st = lk__face_landmarks(nets, rgb, w, h, stride, out, count)) !=
        LK_OK) {
        free(out);
        return st;
    }
    for (int i = 0; i < count; i++) {
        lk_face *f = &out[i];
        const float x1 = clipf(f->x, 0, (float)w), y1 = clipf(f->y, 0, (float)h);
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
