/*
 * manifest.c — reads models/manifest.json (jansson) and loads weights into
 * memory with their sha256 checked, so every session builds its networks
 * from bytes that were verified once.
 */
#include "manifest.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Larger than any model we ship by a wide margin; refuses a runaway file. */
#define LK__MAX_MODEL_BYTES ((size_t)2 << 30)
/* A calibration is a few kilobytes of JSON. */
#define LK__MAX_CALIB_BYTES ((size_t)1 << 20)
/* A manifest is a few kilobytes of JSON. */
#define MAX_MANIFEST_BYTES ((size_t)4 << 20)

static char *dup_or_null(const char *s) { return s ? lk__strdup(s) : NULL; }

static lk_status parse_model(const char *mpath, const char *dir, json_t *jm,
                             lk__model *m)
{
    const char *id = json_string_value(json_object_get(jm, "id"));
    const char *role = json_string_value(json_object_get(jm, "role"));
    const char *file = json_string_value(json_object_get(jm, "file"));
    const char *sha = json_string_value(json_object_get(jm, "sha256"));
    json_t *in = json_object_get(jm, "input");
    if (!id || !role || !file || !sha || !json_is_object(in))
        return lk__error(LK_ERR_MODEL,
                         "%s: a model entry lacks id, role, file, sha256 or "
                         "input", mpath);
    if (strlen(sha) != 64)
        return lk__error(LK_ERR_MODEL, "%s: model %s: sha256 is not 64 hex "
                         "digits", mpath, id);

    m->id = lk__strdup(id);
    m->role = lk__strdup(role);
    m->path = lk__path_join(dir, file);
    m->sha256 = lk__strdup(sha);
    m->package = dup_or_null(json_string_value(json_object_get(jm, "package")));
    m->align = dup_or_null(json_string_value(json_object_get(jm, "align")));
    if (!m->id || !m->role || !m->path || !m->sha256)
        return LK_ERR_NOMEM;
    json_t *cal = json_object_get(jm, "calibration");
    if (cal) {
        const char *cf = json_string_value(json_object_get(cal, "file"));
        const char *cs = json_string_value(json_object_get(cal, "sha256"));
        if (!cf || !cs || strlen(cs) != 64)
            return lk__error(LK_ERR_MODEL, "%s: model %s: \"calibration\" "
                             "needs a file and a sha256 of 64 hex digits",
                             mpath, id);
        if (!(m->calib_path = lk__path_join(dir, cf)) ||
            !(m->calib_sha256 = lk__strdup(cs)))
            return LK_ERR_NOMEM;
    }
    m->is_default = json_is_true(json_object_get(jm, "default"));
    m->input_w = (int)json_integer_value(json_object_get(in, "width"));
    m->input_h = (int)json_integer_value(json_object_get(in, "height"));
    const char *ch = json_string_value(json_object_get(in, "channels"));
    if (!ch || !strcmp(ch, "rgb"))
        m->channels = LK__CH_RGB;
    else if (!strcmp(ch, "bgr"))
        m->channels = LK__CH_BGR;
    else if (!strcmp(ch, "gray"))
        m->channels = LK__CH_GRAY;
    else
        return lk__error(LK_ERR_MODEL, "%s: model %s: unknown channels '%s'",
                         mpath, id, ch);
    m->mean = (float)json_number_value(json_object_get(in, "mean"));
    json_t *sc = json_object_get(in, "scale");
    m->scale = sc ? (float)json_number_value(sc) : 1.0f;
    m->dim = (int)json_integer_value(json_object_get(jm, "dim"));
    m->threshold = (float)json_number_value(json_object_get(jm, "threshold"));
    /* Audio models (roles voice_*, spoof_detect) take PCM at a sample
     * rate, not an image: their "input" is {"sample_rate": N}. */
    m->sample_rate = (int)json_integer_value(json_object_get(in,
                                                             "sample_rate"));
    const int embedder = !strncmp(role, "voice_", 6);
    if (embedder || !strcmp(role, "spoof_detect")) {
        if (m->sample_rate < 8000 || m->sample_rate > 192000)
            return lk__error(LK_ERR_MODEL, "%s: model %s: bad sample_rate "
                             "%d", mpath, id, m->sample_rate);
        if (embedder && (m->dim <= 0 || m->dim > 65536))
            return lk__error(LK_ERR_MODEL, "%s: model %s: embedder needs a "
                             "dim in 1..65536", mpath, id);
        return LK_OK;
    }
    if (m->input_w <= 0 || m->input_h <= 0 || m->input_w > 4096 ||
        m->input_h > 4096)
        return lk__error(LK_ERR_MODEL, "%s: model %s: bad input size %dx%d",
                         mpath, id, m->input_w, m->input_h);
    if (!strcmp(role, "face_embed") && (m->dim <= 0 || m->dim > 65536))
        return lk__error(LK_ERR_MODEL, "%s: model %s: embedder needs a dim "
                         "in 1..65536", mpath, id);
    return LK_OK;
}

lk_status lk__manifest_load(const char *dir, lk__manifest *out)
{
    memset(out, 0, sizeof *out);
    char *mpath = lk__path_join(dir, "manifest.json");
    if (!mpath)
        return LK_ERR_NOMEM;
    /* Read as any file the library reads (a FIFO is refused, not waited
     * on), then parsed. */
    uint8_t *text;
    size_t len;
    lk_status rs = lk__read_file(mpath, MAX_MANIFEST_BYTES, &text, &len);
    if (rs != LK_OK) {
        rs = lk__error(LK_ERR_MODEL, "%s", lk_last_error());
        free(mpath);
        return rs;
    }
    json_error_t jerr;
    json_t *root = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES,
                              &jerr);
    free(text);
    if (!root) {
        lk_status s = lk__error(LK_ERR_MODEL, "%s: %s (line %d)", mpath,
                                jerr.text, jerr.line);
        free(mpath);
        return s;
    }
    lk_status s = LK_OK;
    json_t *models = json_object_get(root, "models");
    size_t n = json_array_size(models);
    if (!json_is_array(models) || n == 0) {
        s = lk__error(LK_ERR_MODEL, "%s: no \"models\" array", mpath);
        goto done;
    }
    out->dir = lk__strdup(dir);
    out->models = lk__calloc(n, sizeof *out->models);
    if (!out->dir || !out->models) {
        s = LK_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        out->n = (int)i + 1;
        s = parse_model(mpath, dir, json_array_get(models, i), &out->models[i]);
        if (s != LK_OK)
            goto done;
    }
done:
    json_decref(root);
    free(mpath);
    if (s != LK_OK)
        lk__manifest_free(out);
    return s;
}

/* path's bytes (at most max), checked against sha256 when verify is set;
 * what ("model", "calibration") and m name it in messages.  One byte more
 * is allocated and zeroed, so that a text file is a string. */
static lk_status read_checked(const lk__model *m, const char *what,
                              const char *path, const char *sha256,
                              size_t max, int verify, uint8_t **out,
                              size_t *n)
{
    uint8_t *buf;
    lk_status s = lk__read_file(path, max, &buf, n);
    if (s != LK_OK)
        return lk__error(LK_ERR_MODEL, "%s of model %s: %s (run "
                         "models/fetch.sh)", what, m->id, lk_last_error());
    if (verify) {
        char hex[65];
        lk__sha256_hex(buf, *n, hex);
        if (strcmp(hex, sha256) != 0) {
            free(buf);
            return lk__error(LK_ERR_MODEL, "%s: sha256 %s differs from the "
                             "manifest's %s for the %s of model %s (run "
                             "models/fetch.sh)", path, hex, sha256, what,
                             m->id);
        }
    }
    uint8_t *z = realloc(buf, *n + 1);
    if (!z) {
        free(buf);
        return LK_ERR_NOMEM;
    }
    z[*n] = 0;
    *out = z;
    return LK_OK;
}

lk_status lk__model_load_weights(lk__model *m, int verify)
{
    if (m->weights)
        return LK_OK;
    return read_checked(m, "weights", m->path, m->sha256,
                        LK__MAX_MODEL_BYTES, verify, &m->weights,
                        &m->n_weights);
}

lk_status lk__model_load_calibration(lk__model *m, int verify)
{
    if (m->calib || !m->calib_path)
        return LK_OK;
    uint8_t *buf = NULL;
    lk_status s = read_checked(m, "calibration", m->calib_path,
                               m->calib_sha256, LK__MAX_CALIB_BYTES, verify,
                               &buf, &m->n_calib);
    if (s == LK_OK)
        m->calib = (char *)buf;
    return s;
}

lk__model *lk__manifest_find(const lk__manifest *mf, const char *role,
                             const char *id)
{
    lk__model *fallback = NULL;
    for (int i = 0; i < mf->n; i++) {
        lk__model *m = &mf->models[i];
        if (strcmp(m->role, role) != 0)
            continue;
        if (id) {
            if (!strcmp(m->id, id))
                return m;
            continue;
        }
        if (m->is_default)
            return m;
        if (!fallback)
            fallback = m;
    }
    return id ? NULL : fallback;
}

void lk__manifest_free(lk__manifest *mf)
{
    if (!mf)
        return;
    for (int i = 0; i < mf->n; i++) {
        lk__model *m = &mf->models[i];
        free(m->id);
        free(m->role);
        free(m->path);
        free(m->sha256);
        free(m->package);
        free(m->align);
        free(m->weights);
        free(m->calib_path);
        free(m->calib_sha256);
        free(m->calib);
    }
    free(mf->models);
    free(mf->dir);
    memset(mf, 0, sizeof *mf);
}
