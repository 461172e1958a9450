/*
 * embed.c — alignment of each face onto the recogniser's template by its
 * five landmarks, and the recogniser run on all faces of an image in
 * batches, each embedding L2-normalised.
 */
#include "face/face.h"

#include <math.h>
#include <string.h>

/* ArcFace's 5-point template for a 112x112 crop, in OpenCV's convention
 * (pixel centres on integers); other input sizes scale it by size / 112. */
static const float arcface112[5][2] = {
    {38.2946f, 51.6963f}, {73.5318f, 51.5014f}, {56.0252f, 71.7366f},
    {41.5493f, 92.3655f}, {70.7299f, 92.2041f}};

/* Faces per forward call.  On CPU the recogniser costs about the same per
 * face in a batch as alone (6-7 ms on the 2-core development machine with
 * both cores, 12 with one), while its activations grow with the batch: 16
 * bounds the memory. */
enum { EMB_BATCH = 16 };

static int finite_points(const lk_face *f)
{
    for (int j = 0; j < 5; j++)
        if (!isfinite(f->landmarks[j][0]) || !isfinite(f->landmarks[j][1]))
            return 0;
    return 1;
}

/* The transform from image to network input for one face.  Landmarks that
 * cannot be fitted (all equal, or never filled) fall back to the box, so
 * a face from a caller without landmarks still gets an embedding: over
 * the evaluation photos the landmark fit put the detector's box side at
 * 0.98 of the input width and its centre at (0.51, 0.57) of the input
 * (medians), which is where the box goes. */
static int face_transform(const lk_face *f, const float *tmpl,
                          int iw, int ih, double a[6])
{
    if (finite_points(f) &&
        lk__similarity_fit(&f->landmarks[0][0], tmpl, 5, a) == 0)
        return 0;
    if (!isfinite(f->x) || !isfinite(f->y) || !isfinite(f->w) ||
        !isfinite(f->h) || !(f->w > 0) || !(f->h > 0))
        return -1;
    const double side = f->w > f->h ? f->w : f->h;
    const double s = 0.98 * iw / side;
    const double cx = f->x + 0.5 * f->w, cy = f->y + 0.5 * f->h;
    a[0] = s, a[1] = 0, a[2] = 0.51 * iw - s * cx;
    a[3] = 0, a[4] = s, a[5] = 0.57 * ih - s * cy;
    return 0;
}

lk_status lk__face_embed(lk__face_nets *nets, const uint8_t *rgb, int w, int h,
                         int stride, const lk_face *faces, int n, float *out)
{
    lk_status st = lk__face_check_rgb("embed", rgb, w, h, stride);
    if (st != LK_OK)
        return st;
    if (!nets || n < 0 || (n > 0 && (!faces || !out)))
        return lk__error(LK_ERR_MISUSE, "embed: bad face list");
    const lk__model *m = nets->embed_m;
    const int iw = m->input_w, ih = m->input_h, dim = m->dim;
    const size_t per = (size_t)iw * (size_t)ih * 3;

    /* The template in our continuous coordinates (+0.5), scaled to the
     * network's input. */
    float tmpl[5][2];
    for (int j = 0; j < 5; j++) {
        tmpl[j][0] = (arcface112[j][0] + 0.5f) * (float)iw / 112.0f;
        tmpl[j][1] = (arcface112[j][1] + 0.5f) * (float)ih / 112.0f;
    }
    const lk__cv_image img = {rgb, w, h, stride, 3};

    for (int start = 0; start < n; start += EMB_BATCH) {
        const int k = n - start < EMB_BATCH ? n - start : EMB_BATCH;
        float *blob = lk__face_scratch(nets, per * (size_t)k);
        if (!blob)
            return LK_ERR_NOMEM;
        for (int i = 0; i < k; i++) {
            double a[6];
            if (face_transform(&faces[start + i], &tmpl[0][0], iw, ih, a) != 0)
                return lk__error(LK_ERR_MISUSE, "embed: face %d has neither "
                                 "landmarks nor a box", start + i);
            /* black outside the image, as ArcFace's own alignment pads */
            st = lk__cv_warp_to_blob(&img, a, iw, ih, m->channels, m->mean,
                                     m->scale, 0.0f, blob + per * (size_t)i);
            if (st != LK_OK)
                return st;
        }
        const int shape[4] = {k, 3, ih, iw};
        lk__cv_tensor t;
        if ((st = lk__cv_net_forward(nets->embed, blob, shape, NULL, 1, &t)) !=
            LK_OK)
            return st;
        /* batched output comes as [k, dim] or flattened to [1, k * dim] */
        if (t.count != (size_t)k * (size_t)dim)
            return lk__error(LK_ERR_MODEL, "%s: %zu outputs for %d faces of "
                             "dimension %d", m->id, t.count, k, dim);
        for (int i = 0; i < k; i++) {
            const float *e = t.data + (size_t)i * dim;
            float *o = out + (size_t)(start + i) * dim;
            double ss = 0;
            for (int d = 0; d < dim; d++)
                ss += (double)e[d] * e[d];
            if (!(ss > 0) || !isfinite(ss))
                return lk__error(LK_ERR_BACKEND, "%s: embedding of face %d "
                                 "is zero or not finite", m->id, start + i);
            const float inv = (float)(1.0 / sqrt(ss));
            for (int d = 0; d < dim; d++)
                o[d] = e[d] * inv;
        }
    }
    return LK_OK;
}
