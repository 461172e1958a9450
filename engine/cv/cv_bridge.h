/*
 * cv_bridge.h — the plain-C face of cv_bridge.cpp, the only C++ in the
 * engine: ONNX networks loaded from memory and run on float batches, and
 * the one image warp that builds every network input.  Only C types cross
 * this header and every entry point turns C++ exceptions into an lk_status
 * with lk_last_error() set.
 */
#ifndef LK_CV_BRIDGE_H
#define LK_CV_BRIDGE_H

#include "core/manifest.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Interleaved 8-bit pixels borrowed from the caller; channels 1, 3 (RGB)
 * or 4 (RGBA, alpha ignored).  Rows are stride bytes apart. */
typedef struct lk__cv_image {
    const uint8_t *data;
    int w, h, stride, channels;
} lk__cv_image;

/* Threads OpenCV may use for one call; n <= 0 restores OpenCV's default.
 * The setting is process-wide (OpenCV keeps one pool), so the engine sets
 * it once when it opens. */
void lk__cv_set_threads(int n);

typedef struct lk__cv_net lk__cv_net;

/* Load an ONNX network from the n bytes at onnx (not kept after the call).
 * name is used in error messages.  LK_ERR_MODEL, LK_ERR_NOMEM. */
lk_status lk__cv_net_new(const char *name, const uint8_t *onnx, size_t n,
                         lk__cv_net **out);
void lk__cv_net_free(lk__cv_net *net);

/* One output of a forward pass; data belongs to the net and stays valid
 * until its next forward or its free. */
typedef struct lk__cv_tensor {
    const float *data;
    size_t count;          /* number of floats */
    int dims;
    int shape[4];          /* first min(dims, 4) sizes */
} lk__cv_tensor;

/* Run the net on an NCHW float batch of shape[0..3] (not kept after the
 * call) and fetch n_out outputs into out[]: those named in names, or with
 * names NULL the network's first n_out unconnected outputs.
 * LK_ERR_MISUSE, LK_ERR_BACKEND, LK_ERR_NOMEM. */
lk_status lk__cv_net_forward(lk__cv_net *net, const float *input,
                             const int shape[4], const char *const *names,
                             int n_out, lk__cv_tensor *out);

/* Sample src through the 2x3 row-major affine m (source -> output) into a
 * planar out_w x out_h float image in the channel order `order`, each value
 * (pixel - mean) * scale.  m works on continuous coordinates in which pixel
 * (i, j) covers [i, i+1) x [j, j+1), so scaling by s maps a whole image onto
 * a whole output.  Output pixels whose source lies outside src read as
 * `border` (a pixel value, before normalisation).  Strong reductions are
 * area-averaged before the warp so that small outputs do not alias.  dst
 * holds out_w * out_h * (order == LK__CH_GRAY ? 1 : 3) floats.
 * LK_ERR_MISUSE (bad sizes, singular m), LK_ERR_BACKEND, LK_ERR_NOMEM. */
lk_status lk__cv_warp_to_blob(const lk__cv_image *src, const double m[6],
                              int out_w, int out_h, lk__channels order,
                              float mean, float scale, float border,
                              float *dst);

#ifdef __cplusplus
}
#endif
#endif
