/*
 * engine.c — lk_engine (manifest and verified weights, shared read-only)
 * and lk_session (one thread's networks), and the image entry points that
 * run decode → detect → embed.
 */
#include "pipeline/engine.h"
#include "gallery/gallery.h"

#include "cv/cv_bridge.h"
#include "lk_config.h"
#include "media/image.h"
#include "media/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

lk_engine_params lk_engine_default_params(void)
{
    lk_engine_params p;
    memset(&p, 0, sizeof p);
    p.verify_models = 1;
    return p;
}

lk_detect_params lk_detect_default_params(void)
{
    lk_detect_params p;
    memset(&p, 0, sizeof p);
    p.min_score = 0.7f;
    p.nms_iou = 0.4f;
    p.min_face = 24;
    p.max_faces = 64;
    p.pyramid = 1;
    p.max_pixels = 100000000;
    return p;
}

static int has_manifest(const char *dir)
{
    char path[4096];
    struct stat st;
    if (!dir || !*dir)
        return 0;
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Explicit choices are taken as given, so that a wrong one fails loudly;
 * the built-in places are tried in order. */
static const char *model_dir(const lk_engine_params *p)
{
    if (p->model_dir && *p->model_dir)
        return p->model_dir;
    const char *env = getenv("LIKENESS_MODEL_DIR");
    if (env && *env)
        return env;
    if (has_manifest(LK_MODEL_DIR))
        return LK_MODEL_DIR;
    return LK_INSTALLED_MODEL_DIR;
}

static lk_status need_model(lk_engine *eng, const char *role, const char *id,
                            lk__model **out)
{
    *out = lk__manifest_find(&eng->manifest, role, id);
    if (!*out) {
        if (id)
            return lk__error(LK_ERR_MODEL, "%s/manifest.json: no %s model "
                             "with id '%s'", eng->manifest.dir, role, id);
        return lk__error(LK_ERR_MODEL, "%s/manifest.json: no %s model",
                         eng->manifest.dir, role);
    }
    return LK_OK;
}

/* An embedder's calibration, when the manifest lists one: checked by
 * sha256 like its weights, and refused when it is of another model. */
static lk_status load_calib(lk__model *m, int verify, lk__calib **out)
{
    lk_status s = lk__model_load_calibration(m, verify);
    if (s != LK_OK || !m->calib)
        return s;
    if ((s = lk__calib_parse(m->calib, m->n_calib, m->calib_path, out)) !=
        LK_OK)
        return s;
    if (strcmp(lk__calib_model(*out), m->id) != 0)
        return lk__error(LK_ERR_MODEL, "%s: a calibration of model %s, "
                         "listed for %s", m->calib_path,
                         lk__calib_model(*out), m->id);
    return LK_OK;
}

void lk__engine_calib_text(const lk_engine *eng, lk_modality m,
                           const char **text, const char **sha256)
{
    const lk__model *md = m == LK_MODALITY_FACE ? eng->embed
                        : m == LK_MODALITY_VOICE ? eng->voice : NULL;
    const int has = md && (md == eng->embed ? eng->face_calib != NULL
                                            : eng->voice_calib != NULL);
    *text = has ? md->calib : NULL;
    *sha256 = has ? md->calib_sha256 : NULL;
}

lk_status lk_engine_open(const lk_engine_params *params, lk_engine **out)
{
    lk_engine_params defaults = lk_engine_default_params();
    if (!out)
        return lk__error(LK_ERR_MISUSE, "lk_engine_open: out is NULL");
    *out = NULL;
    if (!params)
        params = &defaults;
    lk__error_clear();

    lk_engine *eng = lk__calloc(1, sizeof *eng);
    if (!eng)
        return LK_ERR_NOMEM;
    eng->threads = params->threads;
    lk_status s = params->max_memory < 0
                      ? LK_OK
                      : lk__budget_new(params->max_memory > 0
                                           ? params->max_memory
                                           : lk__budget_default(),
                                       &eng->mem);
    if (s == LK_OK)
        s = lk__media_init();
    if (s == LK_OK)
        s = lk__manifest_load(model_dir(params), &eng->manifest);
    if (s == LK_OK)
        s = need_model(eng, "face_detect", NULL, &eng->detect);
    if (s == LK_OK)
        s = need_model(eng, "face_landmark", NULL, &eng->landmark);
    if (s == LK_OK)
        s = need_model(eng, "face_embed", params->face_model, &eng->embed);
    lk__model *use[3] = {eng->detect, eng->landmark, eng->embed};
    for (int i = 0; i < 3 && s == LK_OK; i++)
        s = lk__model_load_weights(use[i], params->verify_models);
    /* The speaker embedder is optional: a manifest of face models only
     * makes a faces-only engine.  When listed, it must load. */
    if (s == LK_OK && params->voice_model)
        s = need_model(eng, "voice_embed", params->voice_model, &eng->voice);
    else if (s == LK_OK)
        eng->voice = lk__manifest_find(&eng->manifest, "voice_embed", NULL);
    if (s == LK_OK && eng->voice &&
        (s = lk__model_load_weights(eng->voice, params->verify_models)) ==
            LK_OK)
        s = lk__voice_model_parse(eng->voice->weights, eng->voice->n_weights,
                                  eng->voice->path, &eng->voice_model);
    if (s == LK_OK && eng->voice &&
        lk__voice_model_dim(eng->voice_model) != eng->voice->dim)
        s = lk__error(LK_ERR_MODEL, "%s: embeddings of dimension %d, the "
                      "manifest says %d", eng->voice->path,
                      lk__voice_model_dim(eng->voice_model), eng->voice->dim);
    /* So is the synthetic-speech detector: when none is listed, or its
     * file is absent (a models directory put together without spoof/),
     * speech is simply not scored, and scan results say so
     * (speech_scored 0).  A file that is there must load. */
    struct stat sst;
    if (s == LK_OK &&
        (eng->spoof = lk__manifest_find(&eng->manifest, "spoof_detect",
                                        NULL)) != NULL &&
        stat(eng->spoof->path, &sst) != 0) {
        lk__log(LK_LOG_WARN, "model %s: %s is missing: no synthetic-speech "
                "detector", eng->spoof->id, eng->spoof->path);
        eng->spoof = NULL;
    }
    if (s == LK_OK && eng->spoof &&
        (s = lk__model_load_weights(eng->spoof, params->verify_models)) ==
            LK_OK)
        s = lk__spoof_model_parse(eng->spoof->weights, eng->spoof->n_weights,
                                  eng->spoof->path, &eng->spoof_model);
    if (s == LK_OK)
        s = load_calib(eng->embed, params->verify_models, &eng->face_calib);
    if (s == LK_OK && eng->voice)
        s = load_calib(eng->voice, params->verify_models, &eng->voice_calib);
    if (s == LK_OK && params->threads > 0)
        lk__cv_set_threads(params->threads);
    /* Build one set of networks now so that a model OpenCV cannot load
     * fails here, at open, rather than in the first worker. */
    lk__face_nets *probe = NULL;
    if (s == LK_OK)
        s = lk__face_nets_new(eng->detect, eng->landmark, eng->embed, &probe);
    lk__face_nets_free(probe);
    if (s != LK_OK) {
        lk_engine_free(eng);
        return s;
    }
    lk__log(LK_LOG_INFO, "engine: models from %s, recogniser %s (%d-D)",
            eng->manifest.dir, eng->embed->id, eng->embed->dim);
    *out = eng;
    return LK_OK;
}

void lk_engine_free(lk_engine *eng)
{
    if (!eng)
        return;
    lk__voice_model_free(eng->voice_model);
    lk__spoof_model_free(eng->spoof_model);
    lk__calib_free(eng->face_calib);
    lk__calib_free(eng->voice_calib);
    lk__manifest_free(&eng->manifest);
    lk__budget_free(eng->mem);
    free(eng);
}

/* Only the models the engine loaded are listed: those are what it runs. */
lk_status lk_engine_model(const lk_engine *eng, int i, lk_model_info *out)
{
    if (!eng || !out)
        return lk__error(LK_ERR_MISUSE, "lk_engine_model: NULL argument");
    memset(out, 0, sizeof *out);
    const lk__model *list[5] = {eng->detect, eng->landmark, eng->embed};
    int n = 3;
    if (eng->voice)
        list[n++] = eng->voice;
    if (eng->spoof)
        list[n++] = eng->spoof;
    if (i < 0 || i >= n)
        return LK_DONE;
    const lk__model *m = list[i];
    out->id = m->id;
    out->role = m->role;
    out->file = m->path;
    out->sha256 = m->sha256;
    out->input_w = m->input_w;
    out->input_h = m->input_h;
    out->input_c = m->sample_rate ? 0 : m->channels == LK__CH_GRAY ? 1 : 3;
    out->sample_rate = m->sample_rate;
    out->dim = m->dim;
    /* The detector's threshold lives in its file, next to the models it
     * was calibrated with. */
    out->threshold = m == eng->spoof
                         ? lk__spoof_model_threshold(eng->spoof_model)
                         : m->threshold;
    return LK_OK;
}

const char *lk_engine_face_model_id(const lk_engine *eng)
{
    return eng ? eng->embed->id : NULL;
}

int lk_engine_face_dim(const lk_engine *eng) { return eng ? eng->embed->dim : 0; }

const char *lk_engine_voice_model_id(const lk_engine *eng)
{
    return eng && eng->voice ? eng->voice->id : NULL;
}

int lk_engine_voice_dim(const lk_engine *eng)
{
    return eng && eng->voice ? eng->voice->dim : 0;
}

lk_status lk_session_new(lk_engine *eng, lk_session **out)
{
    if (!out)
        return lk__error(LK_ERR_MISUSE, "lk_session_new: out is NULL");
    *out = NULL;
    if (!eng)
        return lk__error(LK_ERR_MISUSE, "lk_session_new: engine is NULL");
    lk_session *ses = lk__calloc(1, sizeof *ses);
    if (!ses)
        return LK_ERR_NOMEM;
    ses->eng = eng;
    lk_status s = lk__face_nets_new(eng->detect, eng->landmark, eng->embed,
                                    &ses->face);
    if (s == LK_OK && eng->voice_model)
        s = lk__voice_new(eng->voice_model, &ses->voice);
    if (s == LK_OK && eng->spoof_model)
        s = lk__spoof_new(eng->spoof_model, &ses->spoof);
    if (s != LK_OK) {
        lk_session_free(ses);
        return s;
    }
    *out = ses;
    return LK_OK;
}

void lk_session_free(lk_session *ses)
{
    if (!ses)
        return;
    lk__face_nets_free(ses->face);
    lk__voice_free(ses->voice);
    lk__spoof_free(ses->spoof);
    free(ses);
}

int lk_faces_count(const lk_faces *faces) { return faces ? faces->count : 0; }
int lk_faces_width(const lk_faces *faces) { return faces ? faces->width : 0; }
int lk_faces_height(const lk_faces *faces) { return faces ? faces->height : 0; }
int lk_faces_dim(const lk_faces *faces) { return faces ? faces->dim : 0; }

const lk_face *lk_faces_face(const lk_faces *faces, int i)
{
    return faces && i >= 0 && i < faces->count ? &faces->faces[i] : NULL;
}

const float *lk_faces_embedding(const lk_faces *faces, int i)
{
    return faces && i >= 0 && i < faces->count
               ? faces->embeddings + (size_t)i * (size_t)faces->dim
               : NULL;
}

void lk_faces_free(lk_faces *faces)
{
    if (!faces)
        return;
    free(faces->faces);
    free(faces->embeddings);
    free(faces);
}

lk_status lk_faces_from_rgb(lk_session *ses, const uint8_t *rgb, int width,
                            int height, int stride,
                            const lk_detect_params *params, lk_faces **out)
{
    lk_detect_params defaults = lk_detect_default_params();
    if (!out)
        return lk__error(LK_ERR_MISUSE, "lk_faces_from_rgb: out is NULL");
    *out = NULL;
    if (!ses || !rgb || width <= 0 || height <= 0 || stride < width * 3)
        return lk__error(LK_ERR_MISUSE, "lk_faces_from_rgb: bad image "
                         "(%dx%d, stride %d)", width, height, stride);
    if (!params)
        params = &defaults;

    lk_faces *f = lk__calloc(1, sizeof *f);
    if (!f)
        return LK_ERR_NOMEM;
    f->width = width;
    f->height = height;
    f->dim = ses->eng->embed->dim;
    lk_status s = lk__face_detect(ses->face, rgb, width, height, stride,
                                  params, &f->faces, &f->count);
    if (s == LK_OK && f->count > 0) {
        f->embeddings = lk__malloc((size_t)f->count * (size_t)f->dim *
                                   sizeof(float));
        s = f->embeddings ? lk__face_embed(ses->face, rgb, width, height,
                                           stride, f->faces, f->count,
                                           f->embeddings)
                          : LK_ERR_NOMEM;
    }
    if (s != LK_OK) {
        lk_faces_free(f);
        return s;
    }
    *out = f;
    return LK_OK;
}

lk_status lk__faces_from_memory(lk_session *ses, const char *name,
                                const void *data, size_t n,
                                const lk_detect_params *params, lk_faces **out)
{
    *out = NULL;
    lk__image img;
    lk_status s = lk__image_load_memory(name, data, n, params->max_pixels,
                                        ses->eng->mem, &img);
    if (s != LK_OK)
        return s;
    s = lk_faces_from_rgb(ses, img.data, img.w, img.h, img.stride, params, out);
    lk__image_release(&img);
    if (s != LK_OK && !strstr(lk_last_error(), name))
        lk__error(s, "%s: %s", name, lk_last_error());
    return s;
}

lk_status lk_faces_from_file(lk_session *ses, const char *path,
                             const lk_detect_params *params, lk_faces **out)
{
    lk_detect_params defaults = lk_detect_default_params();
    if (!out)
        return lk__error(LK_ERR_MISUSE, "lk_faces_from_file: out is NULL");
    *out = NULL;
    if (!ses || !path)
        return lk__error(LK_ERR_MISUSE, "lk_faces_from_file: NULL argument");
    lk__source *src;
    lk_status s = lk__source_open_file(path, &src);
    if (s != LK_OK)
        return s;
    s = lk__faces_from_memory(ses, path, lk__source_data(src),
                              lk__source_size(src), params ? params : &defaults,
                              out);
    lk__source_close(src);
    return s;
}
