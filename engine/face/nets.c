/*
 * nets.c — a session's face networks: built from the engine's in-memory
 * weights, checked against what the pipeline can feed, and the scratch
 * buffer every stage writes its network input into.
 */
#include "face/face.h"

#include <stdlib.h>
#include <string.h>

/* The pipeline's fixed-format stages (detector decoding, 68-point layout)
 * only make sense for networks shaped like the ones they were written for;
 * the recogniser is free as long as its template is one we know. */
static lk_status check_model(const lk__model *m, const char *role)
{
    if (!m)
        return lk__error(LK_ERR_MODEL, "no %s model in the manifest", role);
    if (!m->weights || m->n_weights == 0)
        return lk__error(LK_ERR_MODEL, "%s: weights not loaded",
                         m->id ? m->id : role);
    if (m->input_w <= 0 || m->input_h <= 0 || m->input_w > 4096 ||
        m->input_h > 4096 || !(m->scale > 0.0f))
        return lk__error(LK_ERR_MODEL, "%s: unusable input size or scale",
                         m->id ? m->id : role);
    return LK_OK;
}

lk_status lk__face_nets_new(const lk__model *detect, const lk__model *landmark,
                            const lk__model *embed, lk__face_nets **out)
{
    if (!out)
        return lk__error(LK_ERR_MISUSE, "lk__face_nets_new: out is NULL");
    *out = NULL;
    lk_status st;
    if ((st = check_model(detect, "face_detect")) != LK_OK ||
        (st = check_model(landmark, "face_landmark")) != LK_OK ||
        (st = check_model(embed, "face_embed")) != LK_OK)
        return st;
    if (landmark->channels != LK__CH_GRAY)
        return lk__error(LK_ERR_MODEL, "%s: landmark input must be grey",
                         landmark->id);
    if (detect->channels == LK__CH_GRAY || embed->channels == LK__CH_GRAY)
        return lk__error(LK_ERR_MODEL, "%s: colour input expected",
                         detect->channels == LK__CH_GRAY ? detect->id
                                                         : embed->id);
    if (embed->dim <= 0 || embed->dim > 65536)
        return lk__error(LK_ERR_MODEL, "%s: embedding dimension %d",
                         embed->id, embed->dim);
    if (embed->align && strcmp(embed->align, "arcface112") != 0)
        return lk__error(LK_ERR_MODEL, "%s: unknown alignment template '%s'",
                         embed->id, embed->align);

    lk__face_nets *nets = lk__calloc(1, sizeof *nets);
    if (!nets)
        return LK_ERR_NOMEM;
    nets->detect_m = detect;
    nets->landmark_m = landmark;
    nets->embed_m = embed;
    if ((st = lk__cv_net_new(detect->id, detect->weights, detect->n_weights,
                             &nets->detect)) != LK_OK ||
        (st = lk__cv_net_new(landmark->id, landmark->weights,
                             landmark->n_weights, &nets->landmark)) != LK_OK ||
        (st = lk__cv_net_new(embed->id, embed->weights, embed->n_weights,
                             &nets->embed)) != LK_OK) {
        lk__face_nets_free(nets);
        return st;
    }
    *out = nets;
    return LK_OK;
}

void lk__face_nets_free(lk__face_nets *nets)
{
    if (!nets)
        return;
    lk__cv_net_free(nets->detect);
    lk__cv_net_free(nets->landmark);
    lk__cv_net_free(nets->embed);
    free(nets->scratch);
    free(nets);
}

float *lk__face_scratch(lk__face_nets *nets, size_t n)
{
    if (n <= nets->n_scratch)
        return nets->scratch;
    if (n > SIZE_MAX / sizeof(float)) {
        lk__error(LK_ERR_NOMEM, "network input of %zu floats", n);
        return NULL;
    }
    float *p = lk__realloc(nets->scratch, n * sizeof(float));
    if (!p)
        return NULL;
    nets->scratch = p;
    nets->n_scratch = n;
    return p;
}

lk_status lk__face_check_rgb(const char *what, const uint8_t *rgb, int w,
                             int h, int stride)
{
    if (!rgb)
        return lk__error(LK_ERR_MISUSE, "%s: no pixels", what);
    if (w <= 0 || h <= 0)
        return lk__error(LK_ERR_MISUSE, "%s: image size %dx%d", what, w, h);
    if (stride < 0 || (int64_t)stride < (int64_t)w * 3)
        return lk__error(LK_ERR_MISUSE,
                         "%s: stride %d is less than 3 * width %d", what,
                         stride, w);
    return LK_OK;
}
