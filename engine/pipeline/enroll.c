/*
 * enroll.c — enrolment (lk_gallery_enroll, lk_gallery_enroll_memory): a
 * face from a photo, a voice from a recording, each read once from its
 * source.  The gallery stores templates; this layer runs the pipelines
 * that make them, so that the gallery opens and erases without models.
 */
#include "gallery/gallery.h"
#include "pipeline/engine.h"
#include "media/audio.h"
#include "media/demux.h"
#include "media/source.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* A face template from a photo's bytes. */
static lk_status enroll_face(lk_gallery *gal, lk_session *ses,
                             const char *performer_id, lk__source *src,
                             const char *sha, const char *where,
                             unsigned flags, lk_enroll_result *r)
{
    const char *name = lk__source_name(src);
    /* A headshot's face is large: the single detector pass finds it, and
     * the tiled search would only add chances of counting a small
     * background face (or a false one) as a second face. */
    lk_detect_params dp = lk_detect_default_params();
    dp.pyramid = 0;
    lk_faces *faces = NULL;
    lk_status rs = lk__faces_from_memory(ses, name, lk__source_data(src),
                                         lk__source_size(src), &dp, &faces);
    if (rs != LK_OK)
        return rs;
    r->faces_found = faces->count;
    if (faces->count == 0) {
        rs = lk__error(LK_ERR_NO_FACE, "%s: no face found", name);
    } else if (faces->count > 1 && !(flags & LK_ENROLL_LARGEST)) {
        rs = lk__error(LK_ERR_MANY_FACES, "%s: %d faces found; enrolment "
                       "needs exactly one (or take the largest with "
                       "LK_ENROLL_LARGEST)", name, faces->count);
    } else if (faces->dim != lk__gallery_dim(gal, LK_MODALITY_FACE)) {
        rs = lk__error(LK_ERR_MODEL_MISMATCH, "%s: embeddings of dimension "
                       "%d, the gallery's are %d", name, faces->dim,
                       lk__gallery_dim(gal, LK_MODALITY_FACE));
    }
    if (rs == LK_OK) {
        /* faces[0] is the largest. */
        r->face = faces->faces[0];
        rs = lk__gallery_add_template(gal, LK_MODALITY_FACE, performer_id,
                                      faces->embeddings, sha, where,
                                      &faces->faces[0], LK__TEMPLATE_ONCE,
                                      &r->template_id, &r->duplicate);
    }
    lk_faces_free(faces);
    return rs;
}

/* The session may come from another engine than the gallery's: its
 * embeddings of modality m must be of the model the gallery records (a
 * recogniser of the same dimension would mix templates that cannot be
 * compared). */
static lk_status session_ready(lk_gallery *gal, lk_session *ses,
                               lk_modality m, const char *name)
{
    lk_status rs = lk__gallery_modality_ready(gal, m);
    if (rs != LK_OK)
        return rs;
    const lk_engine *eng = ses->eng;
    const lk__model *model = m == LK_MODALITY_FACE ? eng->embed : eng->voice;
    if (m == LK_MODALITY_VOICE && (!ses->voice || !model))
        return lk__error(LK_ERR_MODEL, "%s: no speaker embedder loaded in "
                         "the session (its engine has no voice_embed model)",
                         name);
    const char *gm = lk__gallery_model_id(gal, m);
    if (!gm || strcmp(model->id, gm) != 0 ||
        model->dim != lk__gallery_dim(gal, m))
        return lk__error(LK_ERR_MODEL_MISMATCH, "%s: the session embeds "
                         "%ss with %s, the gallery %s with %s", name,
                         lk_modality_name(m), model->id, lk__gallery_dir(gal),
                         gm ? gm : "none");
    return LK_OK;
}

/* One template from all the speech of a recording's sound: one demux
 * pass, sound only, 16 kHz or better. */
static lk_status embed_voice(lk_session *ses, lk__source *src, float *emb,
                             lk__voice_info *info)
{
    lk__demux *d;
    lk_status s = lk__demux_open_sound(src, LK__AUDIO_RATE, &d);
    if (s == LK_OK)
        s = lk__voice_embed_begin(ses->voice);
    while (s == LK_OK) {
        lk__item it;
        if ((s = lk__demux_next(d, &it)) != LK_OK)
            break;
        if (!it.frame)
            s = lk__voice_embed_push(ses->voice, it.pcm, it.n, it.t0);
        lk__demux_release(d, &it);
    }
    /* Refusals (too little speech, clipped) name the file; info is filled
     * even then. */
    if (s == LK_DONE && (s = lk__demux_audio_status(d)) == LK_OK)
        s = lk__voice_embed_end(ses->voice, lk__source_name(src), emb, info);
    lk__demux_close(d);
    return s;
}

static lk_status enroll_voice(lk_gallery *gal, lk_session *ses,
                              const char *performer_id, lk__source *src,
                              const char *sha, const char *where,
                              lk_enroll_result *r)
{
    /* 60 KiB: on the heap, not the stack of a worker thread. */
    int dim = lk__gallery_dim(gal, LK_MODALITY_VOICE);
    float *emb = lk__malloc((size_t)dim * sizeof *emb);
    if (!emb)
        return LK_ERR_NOMEM;
    lk__voice_info info = {0};
    lk_status rs = embed_voice(ses, src, emb, &info);
    r->seconds = info.seconds;
    r->speech_seconds = info.speech_seconds;
    if (rs == LK_OK) {
        rs = lk__gallery_add_template(gal, LK_MODALITY_VOICE, performer_id,
                                      emb, sha, where, NULL, LK__TEMPLATE_ONCE,
                                      &r->template_id, &r->duplicate);
        if (r->duplicate)
            r->seconds = r->speech_seconds = 0;
    }
    free(emb);
    return rs;
}

/* Both enrolments: the performer must be registered; the bytes are hashed
 * first, so that a source enrolled before (for this performer and
 * modality) is answered without decoding it.  where: the path the template
 * records (absolute, whatever the working directory), or the name. */
static lk_status enroll_source(lk_gallery *gal, lk_session *ses,
                               const char *performer_id, lk_modality m,
                               lk__source *src, const char *where,
                               unsigned flags, lk_enroll_result *out)
{
    const char *name = lk__source_name(src);
    if (m == LK_MODALITY_AUTO)
        m = lk__source_is_image(src) ? LK_MODALITY_FACE : LK_MODALITY_VOICE;
    lk_enroll_result r;
    memset(&r, 0, sizeof r);
    r.modality = m;
    lk_status rs = LK_OK;
    if (m == LK_MODALITY_VOICE && flags)
        rs = lk__error(LK_ERR_MISUSE, "%s: voice enrolment flags 0x%x (must "
                       "be 0)", name, flags);
    else
        rs = session_ready(gal, ses, m, name);
    if (rs == LK_OK)
        rs = lk__gallery_find_performer(gal, performer_id);
    if (rs != LK_OK)
        return rs;
    const char *sha = lk__source_sha256(src);
    r.template_id = lk__gallery_source_template(gal, m, performer_id, sha);
    if (r.template_id > 0) {
        r.duplicate = 1;
    } else {
        rs = m == LK_MODALITY_FACE
                 ? enroll_face(gal, ses, performer_id, src, sha, where, flags,
                               &r)
                 : enroll_voice(gal, ses, performer_id, src, sha, where, &r);
    }
    if (rs == LK_OK && out)
        *out = r;
    return rs;
}

/* The checks every entry point makes. */
static lk_status check_call(lk_gallery *gal, lk_session *ses, lk_modality m,
                            const char *what, const char *name)
{
    if (!gal || !ses || !name)
        return lk__error(LK_ERR_MISUSE, "%s: NULL argument", what);
    if (m != LK_MODALITY_FACE && m != LK_MODALITY_VOICE &&
        m != LK_MODALITY_AUTO)
        return lk__error(LK_ERR_MISUSE, "%s: %s: unknown modality %d", what,
                         name, (int)m);
    if (lk__gallery_readonly(gal))
        return lk__error(LK_ERR_MISUSE, "%s: enrol: the gallery is open "
                         "read-only", lk__gallery_dir(gal));
    return LK_OK;
}

lk_status lk_gallery_enroll(lk_gallery *gal, lk_session *ses,
                            const char *performer_id, lk_modality m,
                            const char *path, unsigned flags,
                            lk_enroll_result *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    lk_status rs = check_call(gal, ses, m, "lk_gallery_enroll", path);
    lk__source *src = NULL;
    if (rs == LK_OK)
        rs = lk__source_open_file(path, &src);
    if (rs != LK_OK)
        return rs;
    char *abs = realpath(path, NULL);
    rs = enroll_source(gal, ses, performer_id, m, src, abs ? abs : path, flags,
                       out);
    free(abs);
    lk__source_close(src);
    return rs;
}

lk_status lk_gallery_enroll_memory(lk_gallery *gal, lk_session *ses,
                                   const char *performer_id, lk_modality m,
                                   const char *name, const void *data,
                                   size_t size, unsigned flags,
                                   lk_enroll_result *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    lk_status rs = check_call(gal, ses, m, "lk_gallery_enroll_memory", name);
    lk__source *src = NULL;
    if (rs == LK_OK && !data)
        rs = lk__error(LK_ERR_MISUSE, "lk_gallery_enroll_memory: %s: NULL "
                       "data", name);
    if (rs == LK_OK)
        rs = lk__source_open_memory(name, data, size, &src);
    if (rs != LK_OK)
        return rs;
    rs = enroll_source(gal, ses, performer_id, m, src, name, flags, out);
    lk__source_close(src);
    return rs;
}
