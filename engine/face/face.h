/*
 * face.h — the face pipeline: detect, landmarks, 5-point alignment and
 * embedding.  Networks are per session (cv::dnn::Net is not safe to run
 * from two threads at once); the weights they load from are the engine's.
 */
#ifndef LK_FACE_H
#define LK_FACE_H

#include "core/manifest.h"

typedef struct lk__face_nets lk__face_nets;

/* Make one session's networks from the engine's loaded models. threads is
 * lk_engine_params.threads.  LK_ERR_MODEL, LK_ERR_BACKEND, LK_ERR_NOMEM. */
lk_status lk__face_nets_new(const lk__model *detect, const lk__model *landmark,
                            const lk__model *embed, lk__face_nets **out);
void lk__face_nets_free(lk__face_nets *nets);

/* Detect faces in RGB pixels and locate their 5 landmarks.  *faces is
 * malloc'd (NULL when *n is 0), sorted largest first, at most
 * params->max_faces. */
lk_status lk__face_detect(lk__face_nets *nets, const uint8_t *rgb, int w,
                          int h, int stride, const lk_detect_params *params,
                          lk_face **faces, int *n);

/* Align and embed n faces (batched); out holds n * dim floats, each row
 * L2-normalised. */
lk_status lk__face_embed(lk__face_nets *nets, const uint8_t *rgb, int w, int h,
                         int stride, const lk_face *faces, int n, float *out);

#endif
