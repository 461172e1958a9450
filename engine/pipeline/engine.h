/*
 * engine.h — the insides of lk_engine and lk_session: the loaded models
 * and each thread's stage objects.  The orchestration layer (pipeline/)
 * reads them and hands the stages what they need; the stages and the
 * gallery do not look inside.
 */
#ifndef LK_ENGINE_H
#define LK_ENGINE_H

#include "core/budget.h"
#include "core/manifest.h"
#include "face/face.h"
#include "match/calib.h"
#include "voice/spoof.h"
#include "voice/voice.h"

struct lk_engine {
    lk__manifest manifest;
    lk__model *detect;       /* role face_detect */
    lk__model *landmark;     /* role face_landmark */
    lk__model *embed;        /* role face_embed: the recogniser in use */
    lk__model *voice;        /* role voice_embed; NULL when the manifest has
                                none (faces only) */
    lk__voice_model *voice_model;   /* parsed from voice's weights */
    lk__model *spoof;        /* role spoof_detect; NULL: no detector */
    lk__spoof_model *spoof_model;   /* parsed from spoof's weights */
    /* The embedders' score calibrations from the manifest, NULL when a
     * model has none (its findings then carry no false-match rate): */
    lk__calib *face_calib;   /* of embed */
    lk__calib *voice_calib;  /* of voice */
    int threads;
    lk__budget *mem;         /* the memory cap the scans share */
};

struct lk_session {
    lk_engine *eng;
    lk__face_nets *face;
    lk__voice *voice;        /* NULL without a voice model */
    lk__spoof *spoof;        /* NULL without a synthetic-speech detector */
};

/* lk_faces_from_file() on n bytes of an image in memory (kept unchanged
 * during the call); name stands for them in messages.  params not NULL. */
lk_status lk__faces_from_memory(lk_session *ses, const char *name,
                                const void *data, size_t n,
                                const lk_detect_params *params,
                                lk_faces **out);

#endif
