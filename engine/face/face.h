/*
 * face.h — the face pipeline: detect, landmarks, 5-point alignment and
 * embedding.  Networks are per session (cv::dnn::Net is not safe to run
 * from two threads at once); the weights they load from are the engine's.
 */
#ifndef LK_FACE_H
#define LK_FACE_H

#include "core/manifest.h"
#include "cv/cv_bridge.h"

typedef struct lk__face_nets lk__face_nets;

/* The faces of an image (opaque in likeness.h; lk_faces_from_rgb() in
 * pipeline/engine.c makes it). */
struct lk_faces {
    int width, height;       /* upright image size (after EXIF orientation) */
    int count;               /* faces found, largest first */
    int dim;                 /* embedding dimension */
    lk_face *faces;          /* count entries */
    float *embeddings;       /* count * dim floats, each row L2-normalised */
};

/* Make one session's networks from the engine's loaded models (weights in
 * memory; the models must outlive the networks).  Thread count is not
 * per network: OpenCV's pool is process-wide, set by lk__cv_set_threads().
 * LK_ERR_MODEL (weights missing or unparsable, unusable input size, unknown
 * alignment template), LK_ERR_BACKEND, LK_ERR_NOMEM. */
lk_status lk__face_nets_new(const lk__model *detect, const lk__model *landmark,
                            const lk__model *embed, lk__face_nets **out);
void lk__face_nets_free(lk__face_nets *nets);

/* Detect faces in RGB pixels and locate their 5 landmarks.  *faces is
 * malloc'd (NULL when *n is 0), sorted largest first, at most
 * params->max_faces.  Boxes are clipped to the image; a face's size for
 * min_face is its box's longer side.  With params->pyramid, images over
 * 800 pixels a side are also searched in tiles at finer scales (up to 16
 * more detector calls, and one per 12 boxes the tiles find).  LK_ERR_MISUSE (NULL or bad sizes or params),
 * LK_ERR_TOO_LARGE (over params->max_pixels), LK_ERR_BACKEND,
 * LK_ERR_NOMEM. */
lk_status lk__face_detect(lk__face_nets *nets, const uint8_t *rgb, int w,
                          int h, int stride, const lk_detect_params *params,
                          lk_face **faces, int *n);

/* As lk__face_detect() without the landmarks (left zero): for video, where
 * only the faces chosen for embedding need them (lk__face_landmarks()). */
lk_status lk__face_detect_boxes(lk__face_nets *nets, const uint8_t *rgb, int w,
                                int h, int stride,
                                const lk_detect_params *params,
                                lk_face **faces, int *n);

/* Align and embed n faces (batched); out holds n * dim floats, each row
 * L2-normalised.  Faces are aligned by their landmarks, or by their box
 * when the landmarks cannot be fitted (never filled, all equal).
 * LK_ERR_MISUSE (a face with neither), LK_ERR_MODEL (output size is not
 * the manifest's dim), LK_ERR_BACKEND, LK_ERR_NOMEM. */
lk_status lk__face_embed(lk__face_nets *nets, const uint8_t *rgb, int w, int h,
                         int stride, const lk_face *faces, int n, float *out);

/* ---- shared by the face files only ---------------------------------- */

/* A session's networks.  The models are the engine's and outlive it. */
struct lk__face_nets {
    const lk__model *detect_m, *landmark_m, *embed_m;
    lk__cv_net *detect, *landmark, *embed;
    float *scratch;          /* network input, grown as needed */
    size_t n_scratch;        /* floats */
};

/* Check pixel arguments shared by the entry points: non-NULL, positive
 * sizes, stride >= 3 * w.  LK_ERR_MISUSE naming `what`. */
/* The largest min_face: no image the library decodes has a side of more
 * than this many pixels that a face could fill. */
#define LK__MAX_FACE_SIDE 65536

/* LK_OK, or LK_ERR_MISUSE naming the field of p out of range (NaN
 * included). */
lk_status lk__detect_check_params(const lk_detect_params *p);

lk_status lk__face_check_rgb(const char *what, const uint8_t *rgb, int w,
                             int h, int stride);

/* nets->scratch with room for n floats, or NULL (LK_ERR_NOMEM recorded). */
float *lk__face_scratch(lk__face_nets *nets, size_t n);

/* Locate the 5 landmarks of n faces from their boxes (batched), writing
 * faces[i].landmarks.  Coordinates here and in lk_face are continuous:
 * pixel (i, j) covers [i, i+1) x [j, j+1).  LK_ERR_BACKEND, LK_ERR_NOMEM. */
lk_status lk__face_landmarks(lk__face_nets *nets, const uint8_t *rgb, int w,
                             int h, int stride, lk_face *faces, int n);

/* Least-squares similarity (rotation, uniform scale, translation) taking
 * the n points src onto dst (x, y interleaved), as a 2x3 row-major matrix
 * (Umeyama 1991).  Returns 0, or -1 when src is degenerate (all points
 * coincide) or not finite. */
int lk__similarity_fit(const float *src, const float *dst, int n,
                       double m[6]);

#endif
