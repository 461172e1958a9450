/*
 * manifest.h — the model manifest (models/manifest.json): which model
 * files exist, what role each plays, and how to feed it.  The pipeline asks
 * the manifest for a model by role and reads input size, channel order,
 * normalisation and output dimension from it, so a new recogniser is a new
 * manifest entry, not new pipeline code.
 */
#ifndef LK_MANIFEST_H
#define LK_MANIFEST_H

#include "core.h"

typedef enum lk__channels {
    LK__CH_RGB = 0,
    LK__CH_BGR,
    LK__CH_GRAY
} lk__channels;

typedef struct lk__model {
    char *id;              /* "fr_feature@0.0.1" */
    char *role;            /* "face_detect" | "face_landmark" | "face_embed" */
    char *path;            /* absolute path of the weights file */
    char *sha256;          /* expected, lower-case hex */
    char *package;         /* "name@version" it is fetched from */
    char *align;           /* embedders: alignment template ("arcface112") */
    int is_default;        /* the default model of its role */
    int input_w, input_h;
    lk__channels channels;
    float mean, scale;     /* network input = (pixel - mean) * scale */
    int dim;               /* embedders: output dimension */
    float threshold;       /* embedders: calibrated cosine threshold */
    int sample_rate;       /* audio models (voice_*): input rate in Hz */
    uint8_t *weights;      /* file contents, loaded by lk__manifest_load_weights */
    size_t n_weights;
    /* Embedders: the score calibration, optional ("calibration": {"file",
     * "sha256"}); the file's meaning is match/calib.h's, core only reads
     * and checks its bytes.  calib_path NULL: none listed. */
    char *calib_path;      /* absolute */
    char *calib_sha256;
    char *calib;           /* contents, NUL-terminated, by
                              lk__model_load_calibration */
    size_t n_calib;
} lk__model;

typedef struct lk__manifest {
    char *dir;
    lk__model *models;
    int n;
} lk__manifest;

/* Parse dir/manifest.json.  LK_ERR_MODEL when absent or malformed. */
lk_status lk__manifest_load(const char *dir, lk__manifest *out);

/* Read a model's weights into memory, checking sha256 when verify is set.
 * LK_ERR_MODEL names the file when it is missing or its checksum differs. */
lk_status lk__model_load_weights(lk__model *m, int verify);

/* Read a model's calibration file into m->calib, checking its sha256
 * when verify is set; LK_OK with m->calib NULL when none is listed.
 * LK_ERR_MODEL names the file when it is missing or its checksum
 * differs. */
lk_status lk__model_load_calibration(lk__model *m, int verify);

/* The model of a role with the given id, or the role's default when id is
 * NULL.  NULL when there is none. */
lk__model *lk__manifest_find(const lk__manifest *mf, const char *role,
                             const char *id);

void lk__manifest_free(lk__manifest *mf);

#endif
