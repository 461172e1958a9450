/*
 * enroll.c — enrolment from an image file: the one gallery entry point
 * that runs the face pipeline.  Kept apart from gallery.c so that the
 * registry and the index link (tests, benchmarks) without the face code.
 */
#include "gallery/gallery.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

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
    lk_status rs = lk__gallery_find_performer(gal, performer_id);
    if (rs != LK_OK)
        return rs;

    /* The hash first: a file enrolled before is answered without
     * decoding it again. */
    char sha[65];
    if ((rs = lk__sha256_file(path, sha)) != LK_OK)
        return rs;
    lk_enroll_result r;
    memset(&r, 0, sizeof r);
    r.template_id = lk__gallery_source_template(gal, performer_id, sha);
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
    } else if (faces->dim != lk__gallery_dim(gal)) {
        rs = lk__error(LK_ERR_MODEL_MISMATCH, "%s: embeddings of dimension "
                       "%d, the gallery's are %d", path, faces->dim,
                       lk__gallery_dim(gal));
    }
    if (rs == LK_OK) {
        /* faces[0] is the largest.  The path is kept absolute so that the
         * template says where it came from whatever the working dir. */
        char *abs = realpath(path, NULL);
        r.face = faces->faces[0];
        rs = lk__gallery_add_template_ex(gal, performer_id, faces->embeddings,
                                         sha, abs ? abs : path,
                                         &faces->faces[0], LK__TEMPLATE_ONCE,
                                         &r.template_id, &r.duplicate);
        free(abs);
    }
    lk_faces_free(faces);
    if (rs == LK_OK && out)
        *out = r;
    return rs;
}
