/*
 * enroll.c — enrolment from a file: a face from an image, a voice from a
 * recording.  The gallery entry points that run the face and voice
 * pipelines, kept apart from gallery.c so that the registry and the index
 * link (tests, benchmarks) without them.
 */
#include "gallery/gallery.h"
#include "core/engine.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* What both enrolments start with: the performer must be registered, and
 * the file is hashed first, so that one enrolled before (for this
 * performer and modality) is answered without decoding it again:
 * *existing is then its template id, else 0. */
static lk_status prepare(lk_gallery *gal, lk_modality m,
                         const char *performer_id, const char *path,
                         char sha[65], int64_t *existing)
{
    *existing = 0;
    lk_status rs = lk__gallery_find_performer(gal, performer_id);
    if (rs == LK_OK && (rs = lk__sha256_file(path, sha)) == LK_OK)
        *existing = lk__gallery_source_template(gal, m, performer_id, sha);
    return rs;
}

lk_status lk_gallery_enroll_file(lk_gallery *gal, lk_session *ses,
                                 const char *performer_id, const char *path,
                                 unsigned flags, lk_enroll_result *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!gal || !ses || !path)
        return lk__error(LK_ERR_MISUSE, "lk_gallery_enroll_file: NULL "
                         "argument");
    if (lk__gallery_readonly(gal))
        return lk__error(LK_ERR_MISUSE, "%s: enrol: the gallery is open "
                         "read-only", lk__gallery_dir(gal));
    char sha[65];
    lk_enroll_result r;
    memset(&r, 0, sizeof r);
    lk_status rs = prepare(gal, LK_MODALITY_FACE, performer_id, path, sha,
                           &r.template_id);
    if (rs != LK_OK)
        return rs;
    if (r.template_id > 0) {
        r.duplicate = 1;
        if (out)
            *out = r;
        return LK_OK;
    }

    /* A headshot's face is large: the single detector pass finds it, and
     * the tiled search would only add chances of counting a small
     * background face (or a false one) as a second face. */
    lk_detect_params dp = lk_detect_default_params();
    dp.pyramid = 0;
    lk_faces *faces = NULL;
    if ((rs = lk_faces_from_file(ses, path, &dp, &faces)) != LK_OK)
        return rs;
    r.faces_found = faces->count;
    if (faces->count == 0) {
        rs = lk__error(LK_ERR_NO_FACE, "%s: no face found", path);
    } else if (faces->count > 1 && !(flags & LK_ENROLL_LARGEST)) {
        rs = lk__error(LK_ERR_MANY_FACES, "%s: %d faces found; enrolment "
                       "needs exactly one (or take the largest with "
                       "LK_ENROLL_LARGEST)", path, faces->count);
    } else if (faces->dim != lk__gallery_dim(gal, LK_MODALITY_FACE)) {
        rs = lk__error(LK_ERR_MODEL_MISMATCH, "%s: embeddings of dimension "
                       "%d, the gallery's are %d", path, faces->dim,
                       lk__gallery_dim(gal, LK_MODALITY_FACE));
    }
    if (rs == LK_OK) {
        /* faces[0] is the largest.  The path is kept absolute so that the
         * template says where it came from whatever the working dir. */
        char *abs = realpath(path, NULL);
        r.face = faces->faces[0];
        rs = lk__gallery_add_template(gal, LK_MODALITY_FACE, performer_id,
                                      faces->embeddings, sha,
                                      abs ? abs : path, &faces->faces[0],
                                      LK__TEMPLATE_ONCE, &r.template_id,
                                      &r.duplicate);
        free(abs);
    }
    lk_faces_free(faces);
    if (rs == LK_OK && out)
        *out = r;
    return rs;
}

lk_status lk_gallery_enroll_voice_file(lk_gallery *gal, lk_session *ses,
                                       const char *performer_id,
                                       const char *path, unsigned flags,
                                       lk_voice_enroll_result *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!gal || !ses || !path)
        return lk__error(LK_ERR_MISUSE, "lk_gallery_enroll_voice_file: NULL "
                         "argument");
    if (flags)
        return lk__error(LK_ERR_MISUSE, "%s: voice enrolment flags 0x%x "
                         "(must be 0)", path, flags);
    if (lk__gallery_readonly(gal))
        return lk__error(LK_ERR_MISUSE, "%s: enrol: the gallery is open "
                         "read-only", lk__gallery_dir(gal));
    lk_status rs = lk__gallery_modality_ready(gal, LK_MODALITY_VOICE);
    if (rs != LK_OK)
        return rs;
    /* The session may come from another engine than the gallery's: its
     * embeddings must be of the gallery's speaker embedder. */
    const lk_engine *eng = ses->eng;
    const char *gm = lk__gallery_model_id(gal, LK_MODALITY_VOICE);
    if (!ses->voice || !eng || !eng->voice)
        return lk__error(LK_ERR_MODEL, "%s: no speaker embedder loaded in "
                         "the session (its engine has no voice_embed model)",
                         path);
    if (strcmp(eng->voice->id, gm) != 0 ||
        eng->voice->dim != lk__gallery_dim(gal, LK_MODALITY_VOICE))
        return lk__error(LK_ERR_MODEL_MISMATCH, "%s: the session embeds "
                         "voices with %s, the gallery %s with %s", path,
                         eng->voice->id, lk__gallery_dir(gal), gm);
    char sha[65];
    lk_voice_enroll_result r;
    memset(&r, 0, sizeof r);
    if ((rs = prepare(gal, LK_MODALITY_VOICE, performer_id, path, sha,
                      &r.template_id)) != LK_OK)
        return rs;
    if (r.template_id > 0) {
        r.duplicate = 1;
        if (out)
            *out = r;
        return LK_OK;
    }

    /* 60 KiB: on the heap, not the stack of a worker thread. */
    int dim = lk__gallery_dim(gal, LK_MODALITY_VOICE);
    float *emb = lk__malloc((size_t)dim * sizeof *emb);
    if (!emb)
        return LK_ERR_NOMEM;
    lk__voice_info info = {0};
    /* Refusals (no audio stream, under 16 kHz, too little speech, clipped)
     * come with messages naming the file. */
    rs = lk__voice_embed_file(ses->voice, path, emb, &info);
    r.seconds = info.seconds;
    r.speech_seconds = info.speech_seconds;
    if (rs == LK_OK) {
        char *abs = realpath(path, NULL);
        rs = lk__gallery_add_template(gal, LK_MODALITY_VOICE, performer_id,
                                      emb, sha, abs ? abs : path, NULL,
                                      LK__TEMPLATE_ONCE, &r.template_id,
                                      &r.duplicate);
        free(abs);
        if (r.duplicate)
            r.seconds = r.speech_seconds = 0;
    }
    free(emb);
    if (rs == LK_OK && out)
        *out = r;
    return rs;
}
