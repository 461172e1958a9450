/*
 * gallery.c — the gallery handle: opening (and creating) a gallery
 * directory, closing it, and the public transactions: performers,
 * templates, erasure, listing and counts.  gallery_impl.h says how the
 * gallery's files divide the rest.
 */
#include "gallery/gallery_impl.h"
#include "core/bytes.h"
#include "core/utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DB_NAME "gallery.db"
#define MAX_ID_BYTES LK_ID_MAX
#define MAX_NAME_BYTES 4096
#define MAX_ACTION_BYTES 64
#define MAX_DETAIL_BYTES 65536

/* ---- checks ------------------------------------------------------------- */

/* A performer id is non-empty UTF-8 of at most 256 bytes without control
 * characters.  LK_ERR_MISUSE naming what is wrong. */
static lk_status check_id(const char *id)
{
    if (!id)
        return lk__error(LK_ERR_MISUSE, "performer id is NULL");
    const char *why = lk__utf8_check(id, MAX_ID_BYTES, 0);
    if (why)
        return lk__error(LK_ERR_MISUSE,
                         "performer id %s (must be 1 to %d bytes of UTF-8 "
                         "without control characters)",
                         why, MAX_ID_BYTES);
    return LK_OK;
}

lk_status lk__gal_check_embedding(int dim, const float *e, const char *what)
{
    double ss = 0;
    for (int i = 0; i < dim; i++) {
        if (!isfinite(e[i]))
            return lk__error(LK_ERR_MISUSE, "%s: embedding value %d is not "
                             "finite", what, i);
        ss += (double)e[i] * e[i];
    }
    if (fabs(ss - 1.0) > 1e-3)
        return lk__error(LK_ERR_MISUSE, "%s: embedding is not L2-normalised "
                         "(norm %.6f, dimension %d)", what, sqrt(ss), dim);
    return LK_OK;
}

static int is_sha256_hex(const char *s)
{
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[64] == '\0';
}

/* ---- open and close ---------------------------------------------------------- */

static lk_status make_dirs(const char *dir)
{
    char *p = lk__strdup(dir);
    if (!p)
        return LK_ERR_NOMEM;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            lk_status st = lk__error(LK_ERR_IO, "%s: %s", p, strerror(errno));
            free(p);
            return st;
        }
        *s = c;
        if (!c)
            break;
    }
    free(p);
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return lk__error(LK_ERR_IO, "%s: not a directory", dir);
    return LK_OK;
}

/* What lk__gal_setup_schema() filled in of a modality, freed. */
static void modality_unset(modality *md)
{
    free(md->recorded);
    free(md->why);
    free(md->tag);
    free(md->calib);
    free(md->calib_sha);
    md->recorded = md->why = md->tag = md->calib = md->calib_sha = NULL;
    md->ready = 0;
    md->recorded_dim = 0;
}

static void gallery_free(lk_gallery *gal)
{
    for (int i = 0; i < Q_N; i++)
        sqlite3_finalize(gal->stmt[i]);
    sqlite3_close(gal->db);
    lk__gal_state_free(&gal->st);
    pthread_mutex_destroy(&gal->mu);
    pthread_rwlock_destroy(&gal->rw);
    free(gal->dir);
    free(gal->db_path);
    free(gal->readonly_why);
    for (int m = 0; m < MOD_N; m++) {
        modality *md = &gal->mod[m];
        modality_unset(md);
        free(md->model_id);
        free(md->index_path);
        free(md->calib_given);
        free(md->calib_given_sha);
    }
    free(gal);
}

void lk__gallery_calibration(const lk_gallery *gal, lk_modality m,
                             const char **text, const char **sha256)
{
    const int ok = gal && (int)m >= 0 && (int)m < MOD_N;
    *text = ok ? gal->mod[m].calib : NULL;
    *sha256 = ok ? gal->mod[m].calib_sha : NULL;
}

/* Make a new gallery.db: built under a temporary name (created 0600, which
 * its log and shared-memory files inherit) and linked into place whole,
 * so that gallery.db never exists empty or half made (an empty one is
 * damage, see open_gallery) and two processes creating the same gallery
 * at once end with one of theirs. */
static lk_status create_db(lk_gallery *gal, unsigned flags)
{
    size_t n = strlen(gal->db_path) + 48;
    char *tmp = lk__malloc(n);
    if (!tmp)
        return LK_ERR_NOMEM;
    snprintf(tmp, n, "%s.new.%ld", gal->db_path, (long)getpid());
    int fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
        fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) {
        lk_status st = lk__error(LK_ERR_IO, "%s: %s", tmp, strerror(errno));
        free(tmp);
        return st;
    }
    close(fd);
    char *final = gal->db_path;
    gal->db_path = tmp;
    lk_status rs = lk__gal_db_open(gal);
    if (rs == LK_OK)
        rs = lk__gal_setup_schema(gal, flags);
    for (int i = 0; i < Q_N; i++) {
        sqlite3_finalize(gal->stmt[i]);
        gal->stmt[i] = NULL;
    }
    /* The last connection's close checkpoints and deletes the log. */
    if (sqlite3_close(gal->db) != SQLITE_OK && rs == LK_OK)
        rs = lk__error(LK_ERR_DB, "%s: cannot close the new database", tmp);
    gal->db = NULL;
    gal->db_path = final;
    for (int m = 0; m < MOD_N; m++)
        modality_unset(&gal->mod[m]);
    if (rs == LK_OK && link(tmp, final) != 0 && errno != EEXIST)
        rs = lk__error(LK_ERR_IO, "%s: %s", final, strerror(errno));
    unlink(tmp);
    free(tmp);
    if (rs == LK_OK) {
        char *dir = lk__strdup(gal->dir);
        if (dir) {
            int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (dfd >= 0) {
                fsync(dfd);
                close(dfd);
            }
            free(dir);
        }
    }
    return rs;
}

/* Open with the given models, or with recorded set (and no model given),
 * with the models the gallery's meta records.  Arguments checked by the
 * callers. */
static lk_status open_gallery(const char *dir,
                              const lk__gallery_model models[MOD_N],
                              int recorded, unsigned flags, lk_gallery **out)
{
    *out = NULL;
    if ((flags & LK_GALLERY_CREATE) && (flags & LK_GALLERY_READONLY))
        return lk__error(LK_ERR_MISUSE, "%s: a gallery cannot be created "
                         "read-only", dir);

    lk_gallery *gal = lk__calloc(1, sizeof *gal);
    if (!gal)
        return LK_ERR_NOMEM;
    gal->recorded_models = recorded;
    pthread_mutex_init(&gal->mu, NULL);
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
#if defined(__GLIBC__)
    /* Searches hold the read lock back to back; without this a change
     * could wait for ever. */
    pthread_rwlockattr_setkind_np(&ra,
                                  PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
    pthread_rwlock_init(&gal->rw, &ra);
    pthread_rwlockattr_destroy(&ra);
    gal->readonly = (flags & LK_GALLERY_READONLY) != 0;
    gal->st.gen = -1;
    gal->dir = lk__strdup(dir);
    gal->db_path = lk__path_join(dir, DB_NAME);
    lk_status rs = LK_ERR_NOMEM;
    if (!gal->dir || !gal->db_path)
        goto fail;
    for (int m = 0; m < MOD_N; m++) {
        modality *md = &gal->mod[m];
        md->dim = models[m].id ? models[m].dim : 0;
        md->file_gen = -1;
        md->refusal = LK_ERR_MODEL;
        if ((models[m].id && !(md->model_id = lk__strdup(models[m].id))) ||
            !(md->index_path = lk__path_join(dir, INDEX_NAME[m])))
            goto fail;
        if (models[m].id && models[m].calib && models[m].calib_sha256 &&
            (!(md->calib_given = lk__strdup(models[m].calib)) ||
             !(md->calib_given_sha = lk__strdup(models[m].calib_sha256))))
            goto fail;
    }

    struct stat sb;
    if (stat(gal->db_path, &sb) != 0) {
        if (errno != ENOENT) {
            rs = lk__error(LK_ERR_IO, "%s: %s", gal->db_path, strerror(errno));
            goto fail;
        }
        if (!(flags & LK_GALLERY_CREATE)) {
            rs = lk__error(LK_ERR_NOT_FOUND, "%s: no gallery (no %s)", dir,
                           DB_NAME);
            goto fail;
        }
        if ((rs = make_dirs(dir)) != LK_OK ||
            (rs = create_db(gal, flags)) != LK_OK)
            goto fail;
    } else if (S_ISREG(sb.st_mode) && sb.st_size == 0) {
        /* A gallery.db is never empty (create_db makes it whole), so an
         * empty one is damage: a truncation, a failed copy.  Making a new
         * gallery over it would hide the loss. */
        rs = lk__error(LK_ERR_DB, "%s: the database is empty (0 bytes): the "
                       "gallery is damaged; restore gallery.db from a backup "
                       "(nothing was changed)", gal->db_path);
        goto fail;
    }

    /* A gallery this process cannot write (a read-only mount, another
     * user's directory) opens read-only, so that listing and scanning
     * work; changes are refused naming why (lk__gal_check_writable). */
    if (!gal->readonly && !(flags & LK_GALLERY_CREATE) &&
        (access(dir, W_OK) != 0 || access(gal->db_path, W_OK) != 0)) {
        gal->readonly_why = lk__strdup(strerror(errno));
        if (!gal->readonly_why) {
            rs = LK_ERR_NOMEM;
            goto fail;
        }
        gal->readonly = 1;
        lk__log(LK_LOG_WARN, "%s: not writable (%s): opened read-only; "
                "nothing will be changed or recorded in its audit log", dir,
                gal->readonly_why);
    }
    if ((rs = lk__gal_db_open(gal)) != LK_OK)
        goto fail;
    if ((rs = lk__gal_setup_schema(gal, flags)) != LK_OK)
        goto fail;

    state ns;
    if ((rs = lk__gal_load_state(gal, &ns)) != LK_OK)
        goto fail;
    gal->st = ns;
    for (int m = 0; m < MOD_N; m++)
        if (ns.ix[m] && !ns.rebuilt[m])
            gal->mod[m].file_gen = ns.gen;
    if (lk__gal_index_dirty(gal) && !gal->readonly &&
        lk__gal_save_index(gal) != LK_OK)
        lk__log(LK_LOG_WARN, "%s (the index stays in memory)",
                lk_last_error());
    lk__error_clear();
    *out = gal;
    return LK_OK;

fail:
    gallery_free(gal);
    return rs;
}

lk_status lk__gallery_open_models(const char *dir,
                                  const lk__gallery_model *models, int n,
                                  unsigned flags, lk_gallery **out)
{
    if (!out)
        return lk__error(LK_ERR_MISUSE, "lk_gallery_open: out is NULL");
    *out = NULL;
    if (!dir || !*dir)
        return lk__error(LK_ERR_MISUSE, "gallery directory is empty");
    lk__gallery_model given[MOD_N] = { { NULL, 0, NULL, NULL } };
    for (int m = 0; m < MOD_N && m < n && models; m++)
        given[m] = models[m];
    if (!given[MOD_FACE].id)
        return lk__error(LK_ERR_MISUSE, "%s: no face model given", dir);
    for (int m = 0; m < MOD_N; m++)
        if (given[m].id &&
            (!*given[m].id || given[m].dim <= 0 || given[m].dim > 65536))
            return lk__error(LK_ERR_MISUSE, "%s: %s model \"%s\" of "
                             "dimension %d", dir, MOD_NAME[m], given[m].id,
                             given[m].dim);
    return open_gallery(dir, given, 0, flags, out);
}

lk_status lk_gallery_open(const char *dir, lk_engine *eng, unsigned flags,
                          lk_gallery **out)
{
    if (!out)
        return lk__error(LK_ERR_MISUSE, "lk_gallery_open: out is NULL");
    *out = NULL;
    if (eng) {
        lk__gallery_model models[MOD_N] = {
            [MOD_FACE] = { lk_engine_face_model_id(eng),
                           lk_engine_face_dim(eng), NULL, NULL },
            [MOD_VOICE] = { lk_engine_voice_model_id(eng),
                            lk_engine_voice_dim(eng), NULL, NULL },
        };
        lk__engine_calib_text(eng, LK_MODALITY_FACE, &models[MOD_FACE].calib,
                              &models[MOD_FACE].calib_sha256);
        lk__engine_calib_text(eng, LK_MODALITY_VOICE,
                              &models[MOD_VOICE].calib,
                              &models[MOD_VOICE].calib_sha256);
        return lk__gallery_open_models(dir, models, MOD_N, flags, out);
    }
    if (!dir || !*dir)
        return lk__error(LK_ERR_MISUSE, "gallery directory is empty");
    if (flags & LK_GALLERY_CREATE)
        return lk__error(LK_ERR_MISUSE, "%s: a gallery is created with an "
                         "engine (its models are recorded); without one only "
                         "an existing gallery opens", dir);
    const lk__gallery_model none[MOD_N] = { { NULL, 0, NULL, NULL } };
    return open_gallery(dir, none, 1, flags, out);
}

void lk_gallery_close(lk_gallery *gal)
{
    if (!gal)
        return;
    pthread_mutex_lock(&gal->mu);
    if (!gal->readonly && lk__gal_index_dirty(gal) &&
        lk__gal_save_index(gal) != LK_OK)
        lk__log(LK_LOG_WARN, "%s (rebuilt on next open)", lk_last_error());
    pthread_mutex_unlock(&gal->mu);
    gallery_free(gal);
}

int lk__gallery_dim(const lk_gallery *gal, lk_modality m)
{
    return gal && (unsigned)m < MOD_N && gal->mod[m].ready ? gal->mod[m].dim
                                                            : 0;
}

const char *lk__gallery_model_id(const lk_gallery *gal, lk_modality m)
{
    return gal && (unsigned)m < MOD_N && gal->mod[m].ready
               ? gal->mod[m].model_id
               : NULL;
}

lk_status lk__gallery_modality_ready(lk_gallery *gal, lk_modality m)
{
    if (!gal)
        return lk__error(LK_ERR_MISUSE, "gallery is NULL");
    if ((unsigned)m >= MOD_N)
        return lk__error(LK_ERR_MISUSE, "%s: no modality %d", gal->dir,
                         (int)m);
    const modality *md = &gal->mod[m];
    if (md->ready)
        return LK_OK;
    return lk__error(md->refusal, "%s: %s: %s", gal->dir, MOD_NAME[m],
                     md->why ? md->why : "not available");
}

const char *lk__gallery_dir(const lk_gallery *gal) { return gal ? gal->dir : ""; }

int lk__gallery_readonly(const lk_gallery *gal) { return gal ? gal->readonly : 1; }

lk_status lk__gal_check_writable(const lk_gallery *gal, const char *what)
{
    if (!gal)
        return lk__error(LK_ERR_MISUSE, "%s: gallery is NULL", what);
    if (gal->readonly && gal->readonly_why)
        return lk__error(LK_ERR_IO, "%s: %s: the gallery is not writable "
                         "(%s)", gal->dir, what, gal->readonly_why);
    if (gal->readonly)
        return lk__error(LK_ERR_MISUSE, "%s: %s: the gallery is open "
                         "read-only", gal->dir, what);
    return LK_OK;
}

/* ---- performers --------------------------------------------------------------- */

lk_status lk_gallery_add_performer(lk_gallery *gal, const char *id,
                                   const char *name)
{
    lk_status rs;
    if ((rs = lk__gal_check_writable(gal, "add performer")) != LK_OK ||
        (rs = check_id(id)) != LK_OK)
        return rs;
    if (name && *name) {
        const char *why = lk__utf8_check(name, MAX_NAME_BYTES, 0);
        if (why)
            return lk__error(LK_ERR_MISUSE, "performer \"%s\": name %s", id,
                             why);
    }
    pthread_mutex_lock(&gal->mu);
    if ((rs = lk__gal_begin_write(gal)) != LK_OK)
        goto out;
    int64_t row;
    int existed = lk__gal_find_perf(gal, id, &row, NULL, NULL) == LK_OK;
    lk__error_clear();     /* "no performer" is the normal case here */
    sqlite3_stmt *s = lk__gal_q(gal, Q_PERF_UPSERT);
    if (!s) {
        rs = LK_ERR_DB;
        goto out;
    }
    uint8_t salt[LK__GAL_SALT_BYTES];
    if ((rs = lk__random_bytes(salt, sizeof salt)) != LK_OK) {
        lk__gal_done(s);
        goto out;
    }
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    if (name)
        sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, lk__gal_now_s());
    sqlite3_bind_blob(s, 4, salt, sizeof salt, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    lk__gal_done(s);
    if (rc != SQLITE_DONE) {
        rs = lk__gal_db_fail(gal, "adding a performer");
        goto out;
    }
    if (!existed && (rs = lk__gal_audit_row(gal, "add", id, NULL)) != LK_OK)
        goto out;
    /* Names are not in memory: a rename is seen by the next lookup; a new
     * performer enters memory with its first template. */
    rs = lk__gal_commit(gal);
out:
    lk__gal_rollback(gal);
    pthread_mutex_unlock(&gal->mu);
    return rs;
}

lk_status lk__gallery_find_performer(lk_gallery *gal, const char *performer_id)
{
    lk_status rs = check_id(performer_id);
    if (rs != LK_OK)
        return rs;
    if (!gal)
        return lk__error(LK_ERR_MISUSE, "gallery is NULL");
    int64_t row;
    pthread_mutex_lock(&gal->mu);
    rs = lk__gal_find_perf(gal, performer_id, &row, NULL, NULL);
    pthread_mutex_unlock(&gal->mu);
    return rs;
}

lk_status lk_gallery_performer_name(lk_gallery *gal, const char *performer_id,
                                   char **name)
{
    if (name)
        *name = NULL;
    lk_status rs = check_id(performer_id);
    if (rs != LK_OK)
        return rs;
    if (!gal || !name)
        return lk__error(LK_ERR_MISUSE, "lk_gallery_performer_name: NULL "
                         "argument");
    int64_t row;
    pthread_mutex_lock(&gal->mu);
    rs = lk__gal_find_perf(gal, performer_id, &row, name, NULL);
    pthread_mutex_unlock(&gal->mu);
    return rs;
}

char *lk__gallery_name_of(lk_gallery *gal, const char *performer_id)
{
    char *name = NULL;
    lk_status rs = lk_gallery_performer_name(gal, performer_id, &name);
    if (rs == LK_OK)
        return name;
    if (rs == LK_ERR_NOMEM)
        return NULL;
    lk__error_clear();
    return lk__strdup("");
}

/* ---- templates ------------------------------------------------------------------ */

lk_status lk__gallery_add_template(lk_gallery *gal, lk_modality m,
                                   const char *performer_id,
                                   const float *embedding,
                                   const char *source_sha256,
                                   const char *source_path,
                                   const lk_face *face, unsigned flags,
                                   int64_t *template_id, int *duplicate)
{
    if (template_id)
        *template_id = 0;
    if (duplicate)
        *duplicate = 0;
    lk_status rs;
    if ((rs = lk__gal_check_writable(gal, "add template")) != LK_OK)
        return rs;
    if (gal->recorded_models)
        return lk__error(LK_ERR_MISUSE, "%s: add template: the gallery was "
                         "opened without an engine, so nothing says which "
                         "model made the embedding; open it with one",
                         gal->dir);
    if ((rs = lk__gallery_modality_ready(gal, m)) != LK_OK ||
        (rs = check_id(performer_id)) != LK_OK)
        return rs;
    const modality *md = &gal->mod[m];
    if (!embedding)
        return lk__error(LK_ERR_MISUSE, "%s: embedding is NULL", gal->dir);
    if (face && m != LK_MODALITY_FACE)
        return lk__error(LK_ERR_MISUSE, "%s: a face box for a %s template",
                         gal->dir, MOD_NAME[m]);
    if ((rs = lk__gal_check_embedding(md->dim, embedding,
                                      performer_id)) != LK_OK)
        return rs;
    if (source_sha256 && !is_sha256_hex(source_sha256))
        return lk__error(LK_ERR_MISUSE, "source hash \"%.80s\" is not 64 "
                         "lower-case hex digits", source_sha256);
    if (source_path && lk__utf8_check(source_path, 1 << 16, 1))
        return lk__error(LK_ERR_MISUSE, "source path is not UTF-8 or too "
                         "long");

    size_t bytes = (size_t)md->dim * sizeof(float);
    void *blob = lk__malloc(bytes);
    if (!blob)
        return LK_ERR_NOMEM;
    lk__floats_to_le(blob, embedding, (size_t)md->dim);

    int64_t row = 0, tid = 0;
    pthread_mutex_lock(&gal->mu);
    if ((rs = lk__gal_begin_write(gal)) != LK_OK ||
        (rs = lk__gal_find_perf(gal, performer_id, &row, NULL,
                                NULL)) != LK_OK)
        goto out;
    sqlite3_stmt *s;
    if ((flags & LK__TEMPLATE_ONCE) && source_sha256) {
        if (!(s = lk__gal_q(gal, Q_TMPL_SOURCE))) {
            rs = LK_ERR_DB;
            goto out;
        }
        sqlite3_bind_int64(s, 1, row);
        sqlite3_bind_text(s, 2, source_sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, MOD_NAME[m], -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            if (template_id)
                *template_id = sqlite3_column_int64(s, 0);
            if (duplicate)
                *duplicate = 1;
        } else if (rc != SQLITE_DONE) {
            rs = lk__gal_db_fail(gal, "looking up the source");
        }
        lk__gal_done(s);
        if (rc != SQLITE_DONE)
            goto out;
    }
    if (!(s = lk__gal_q(gal, Q_TMPL_INSERT))) {
        rs = LK_ERR_DB;
        goto out;
    }
    sqlite3_bind_int64(s, 1, row);
    sqlite3_bind_text(s, 2, md->model_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, md->dim);
    sqlite3_bind_blob(s, 4, blob, (int)bytes, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, source_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, source_path, -1, SQLITE_STATIC);
    if (face) {
        sqlite3_bind_double(s, 7, face->x);
        sqlite3_bind_double(s, 8, face->y);
        sqlite3_bind_double(s, 9, face->w);
        sqlite3_bind_double(s, 10, face->h);
        sqlite3_bind_double(s, 11, face->score);
    }
    sqlite3_bind_int64(s, 12, lk__gal_now_s());
    sqlite3_bind_text(s, 13, MOD_NAME[m], -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    lk__gal_done(s);
    if (rc != SQLITE_DONE) {
        rs = lk__gal_db_fail(gal, "adding a template");
        goto out;
    }
    tid = sqlite3_last_insert_rowid(gal->db);
    char detail[64];
    /* Face rows keep the wording they always had. */
    snprintf(detail, sizeof detail, "%s%stemplate %lld",
             m == LK_MODALITY_FACE ? "" : MOD_NAME[m],
             m == LK_MODALITY_FACE ? "" : " ",
             (long long)tid);
    if ((rs = lk__gal_bump_gen(gal)) != LK_OK ||
        (rs = lk__gal_audit_row(gal, "enrol", performer_id,
                                detail)) != LK_OK ||
        (rs = lk__gal_commit(gal)) != LK_OK)
        goto out;
    if (template_id)
        *template_id = tid;

    /* The database has it; now the memory.  A failure here leaves the
     * memory behind the database, which the generation check repairs. */
    pthread_rwlock_wrlock(&gal->rw);
    state *st = &gal->st;
    int32_t pi = lk__i64map_get(&st->by_row, row);
    if (pi < 0) {
        char *cid = lk__strdup(performer_id);
        if (!cid || (pi = lk__gal_state_add_perf(st, row, cid)) < 0)
            free(cid);
    }
    if (pi < 0 || lk__i64map_put(&st->tmpl[m], tid, pi) != 0 ||
        (rs = lk__index_add(st->ix[m], 1, embedding, &tid)) != LK_OK) {
        if (pi >= 0)
            lk__i64map_del(&st->tmpl[m], tid);
        st->gen = -1;
        char why[512];
        snprintf(why, sizeof why, "%s", lk_last_error());
        rs = lk__error(rs == LK_OK ? LK_ERR_NOMEM : rs, "%s: %s template "
                       "%lld stored, but the index could not take it (%s); "
                       "it will be reloaded", gal->dir, MOD_NAME[m],
                       (long long)tid, why);
    } else {
        st->gen++;
    }
    pthread_rwlock_unlock(&gal->rw);

out:
    lk__gal_rollback(gal);
    pthread_mutex_unlock(&gal->mu);
    free(blob);
    return rs;
}

int64_t lk__gallery_source_template(lk_gallery *gal, lk_modality m,
                                    const char *performer_id,
                                    const char *source_sha256)
{
    if (!gal || !performer_id || !source_sha256 || (unsigned)m >= MOD_N ||
        !gal->mod[m].ready)
        return 0;
    int64_t tid = 0, row;
    pthread_mutex_lock(&gal->mu);
    if (lk__gal_find_perf(gal, performer_id, &row, NULL, NULL) == LK_OK) {
        sqlite3_stmt *s = lk__gal_q(gal, Q_TMPL_SOURCE);
        if (s) {
            sqlite3_bind_int64(s, 1, row);
            sqlite3_bind_text(s, 2, source_sha256, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 3, MOD_NAME[m], -1, SQLITE_STATIC);
            if (sqlite3_step(s) == SQLITE_ROW)
                tid = sqlite3_column_int64(s, 0);
            lk__gal_done(s);
        }
    }
    pthread_mutex_unlock(&gal->mu);
    return tid;
}

/* ---- erasure ------------------------------------------------------------------- */

lk_status lk_gallery_remove_performer(lk_gallery *gal,
                                      const char *performer_id)
{
    lk_status rs;
    if ((rs = lk__gal_check_writable(gal, "remove performer")) != LK_OK ||
        (rs = check_id(performer_id)) != LK_OK)
        return rs;
    int64_t row, *tids = NULL;
    uint8_t *mods = NULL;          /* the modality of each of tids */
    size_t n = 0, cap = 0;
    pthread_mutex_lock(&gal->mu);
    if ((rs = lk__gal_begin_write(gal)) != LK_OK ||
        (rs = lk__gal_find_perf(gal, performer_id, &row, NULL,
                                NULL)) != LK_OK)
        goto out;
    sqlite3_stmt *s = lk__gal_q(gal, Q_TMPL_OF_PERF);
    if (!s) {
        rs = LK_ERR_DB;
        goto out;
    }
    sqlite3_bind_int64(s, 1, row);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            int64_t *t = lk__realloc(tids, cap * sizeof *t);
            if (t)
                tids = t;
            uint8_t *md = t ? lk__realloc(mods, cap * sizeof *md) : NULL;
            if (!md) {
                rs = LK_ERR_NOMEM;
                break;
            }
            mods = md;
        }
        const char *mn = (const char *)sqlite3_column_text(s, 1);
        /* A modality this library does not know has no index to clean;
         * its row still goes with the performer. */
        uint8_t mi = MOD_N;
        for (int m = 0; m < MOD_N; m++)
            if (mn && !strcmp(mn, MOD_NAME[m]))
                mi = (uint8_t)m;
        mods[n] = mi;
        tids[n++] = sqlite3_column_int64(s, 0);
    }
    if (rs == LK_OK && rc != SQLITE_DONE)
        rs = lk__gal_db_fail(gal, "listing templates");
    lk__gal_done(s);
    if (rs != LK_OK)
        goto out;
    /* The log first, while the performer's salt is there to find the
     * entries by; the salt then goes with the row. */
    if ((rs = lk__gal_audit_erase(gal, performer_id)) != LK_OK)
        goto out;
    if (!(s = lk__gal_q(gal, Q_PERF_DELETE))) {
        rs = LK_ERR_DB;
        goto out;
    }
    sqlite3_bind_int64(s, 1, row);
    rc = sqlite3_step(s);
    lk__gal_done(s);
    if (rc != SQLITE_DONE) {
        rs = lk__gal_db_fail(gal, "removing a performer");
        goto out;
    }
    /* The index files go before the commit, under the write lock: a
     * process killed after the commit leaves no file that holds the
     * erased vectors (killed before it, the erasure did not happen and
     * the files are rebuilt from the database).  Temporary files of
     * writers that died mid-write may hold them too. */
    lk__gal_sweep_temp_files(gal);
    for (int m = 0; m < MOD_N; m++) {
        modality *md = &gal->mod[m];
        if (unlink(md->index_path) != 0 && errno != ENOENT) {
            rs = lk__error(LK_ERR_IO, "%s: cannot remove the index before "
                           "erasing \"%s\" (nothing erased): %s",
                           md->index_path, performer_id, strerror(errno));
            goto out;
        }
        md->file_gen = -1;
    }
    if ((rs = lk__gal_bump_gen(gal)) != LK_OK ||
        (rs = lk__gal_commit(gal)) != LK_OK)
        goto out;

    /* Group the ids by modality, in place: the index removal takes one
     * batch per index. */
    size_t start[MOD_N + 1], k = 0;
    for (int m = 0; m <= MOD_N; m++) {
        start[m] = k;
        for (size_t i = k; i < n; i++)
            if (mods[i] == m) {
                int64_t t = tids[i];
                tids[i] = tids[k];
                mods[i] = mods[k];
                tids[k] = t;
                mods[k++] = (uint8_t)m;
            }
    }
    pthread_rwlock_wrlock(&gal->rw);
    state *st = &gal->st;
    lk_status ixs = LK_OK;
    for (int m = 0; m < MOD_N; m++) {
        size_t a = start[m], b = start[m + 1];
        /* Not loaded (voice unusable with this handle): no vectors in
         * memory; its file is removed below. */
        if (!st->ix[m] || a == b)
            continue;
        if (ixs == LK_OK)
            ixs = lk__index_remove(st->ix[m], tids + a, b - a);
        for (size_t i = a; i < b; i++)
            lk__i64map_del(&st->tmpl[m], tids[i]);
    }
    lk__gal_state_drop_perf(st, row);
    st->gen = ixs == LK_OK ? st->gen + 1 : -1;
    pthread_rwlock_unlock(&gal->rw);
    if (ixs != LK_OK) {
        /* The memory will be rebuilt from the database; the file must not
         * keep the vectors meanwhile. */
        lk__log(LK_LOG_WARN, "%s", lk_last_error());
        if (lk__gal_reload(gal) != LK_OK)
            lk__log(LK_LOG_WARN, "%s", lk_last_error());
    }

    /* Old page images live on in the write-ahead log until a checkpoint
     * copies the zeroed pages home; TRUNCATE then empties the log. */
    int nlog = 0, nckpt = 0;
    rc = sqlite3_wal_checkpoint_v2(gal->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
                                   &nlog, &nckpt);
    if (rc != SQLITE_OK)
        rs = lk__error(LK_ERR_DB, "%s: performer \"%s\" removed, but the "
                       "write-ahead log could not be emptied (%s): another "
                       "process has the gallery open; erased data stays in "
                       "%s-wal until it closes", gal->db_path, performer_id,
                       sqlite3_errmsg(gal->db), gal->db_path);
    /* The files removed above are written again for the new generation
     * (a modality this handle does not load is rebuilt by the next open
     * that uses it). */
    (void)lk__gal_save_index(gal);
out:
    lk__gal_rollback(gal);
    pthread_mutex_unlock(&gal->mu);
    free(tids);
    free(mods);
    return rs;
}

/* ---- listing, stats, audit -------------------------------------------------------- */

typedef struct prow {
    size_t id, name;           /* offsets into the text buffer */
    int64_t created;
    int templates[MOD_N];      /* per modality */
} prow;

lk_status lk_gallery_performers(lk_gallery *gal, lk_performer_fn fn,
                                void *user)
{
    if (!gal || !fn)
        return lk__error(LK_ERR_MISUSE, "lk_gallery_performers: NULL "
                         "argument");
    /* Collected first and delivered without the lock held, so fn may call
     * back into the gallery. */
    prow *rows = NULL;
    char *text = NULL;
    size_t n = 0, cap = 0, nt = 0, capt = 0;
    lk_status rs = LK_OK;
    pthread_mutex_lock(&gal->mu);
    sqlite3_stmt *s = lk__gal_q(gal, Q_LIST);
    if (!s) {
        rs = LK_ERR_DB;
    } else {
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            const char *id = (const char *)sqlite3_column_text(s, 0);
            const char *name = (const char *)sqlite3_column_text(s, 1);
            id = id ? id : "";
            name = name ? name : "";
            size_t li = strlen(id) + 1, ln = strlen(name) + 1;
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                prow *r = lk__realloc(rows, cap * sizeof *r);
                if (!r) {
                    rs = LK_ERR_NOMEM;
                    break;
                }
                rows = r;
            }
            if (nt + li + ln > capt) {
                while (nt + li + ln > capt)
                    capt = capt ? capt * 2 : 4096;
                char *t = lk__realloc(text, capt);
                if (!t) {
                    rs = LK_ERR_NOMEM;
                    break;
                }
                text = t;
            }
            rows[n] = (prow){ nt, nt + li, sqlite3_column_int64(s, 2),
                              { 0 } };
            for (int m = 0; m < MOD_N; m++)
                rows[n].templates[m] = sqlite3_column_int(s, 3 + m);
            memcpy(text + nt, id, li);
            memcpy(text + nt + li, name, ln);
            nt += li + ln;
            n++;
        }
        if (rs == LK_OK && rc != SQLITE_DONE)
            rs = lk__gal_db_fail(gal, "listing performers");
        lk__gal_done(s);
    }
    pthread_mutex_unlock(&gal->mu);
    for (size_t i = 0; rs == LK_OK && i < n; i++) {
        lk_performer_info p = { text + rows[i].id, text + rows[i].name,
                                rows[i].created, MOD_N, rows[i].templates };
        if (fn(&p, user))
            rs = LK_DONE;
    }
    free(rows);
    free(text);
    return rs;
}

lk_status lk_gallery_stats_get(lk_gallery *gal, lk_gallery_stats *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!gal || !out)
        return lk__error(LK_ERR_MISUSE, "lk_gallery_stats_get: NULL argument");
    lk_status rs = LK_OK;
    lk_gallery_stats r = { 0 };
    pthread_mutex_lock(&gal->mu);
    sqlite3_stmt *s = lk__gal_q(gal, Q_COUNTS);
    if (!s) {
        rs = LK_ERR_DB;
    } else {
        if (sqlite3_step(s) == SQLITE_ROW) {
            r.performers = sqlite3_column_int64(s, 0);
            r.generation = sqlite3_column_int64(s, 1);
        } else {
            rs = lk__gal_db_fail(gal, "counting");
        }
        lk__gal_done(s);
    }
    pthread_mutex_unlock(&gal->mu);
    if (rs != LK_OK)
        return rs;
    struct stat sb;
    if (stat(gal->db_path, &sb) != 0)
        return lk__error(LK_ERR_IO, "%s: %s", gal->db_path, strerror(errno));
    r.db_bytes = (int64_t)sb.st_size;
    *out = r;
    return LK_OK;
}

lk_status lk_gallery_modality_info(lk_gallery *gal, lk_modality mod,
                                   lk_gallery_modality *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!gal || !out)
        return lk__error(LK_ERR_MISUSE, "lk_gallery_modality_info: NULL "
                         "argument");
    if ((unsigned)mod >= MOD_N)
        return lk__error(LK_ERR_MISUSE, "%s: no modality %d", gal->dir,
                         (int)mod);
    const int m = (int)mod;
    const modality *md = &gal->mod[m];
    lk_gallery_modality r = { 0 };
    r.model = md->recorded;
    r.dim = md->recorded ? md->recorded_dim : 0;
    r.usable = md->ready ? LK_OK : md->refusal;
    lk_status rs = LK_OK;
    pthread_mutex_lock(&gal->mu);
    sqlite3_stmt *s = lk__gal_q(gal, Q_MOD_COUNT);
    if (!s) {
        rs = LK_ERR_DB;
    } else {
        sqlite3_bind_text(s, 1, MOD_NAME[m], -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW)
            r.templates = sqlite3_column_int64(s, 0);
        else
            rs = lk__gal_db_fail(gal, "counting templates");
        lk__gal_done(s);
    }
    pthread_rwlock_rdlock(&gal->rw);
    r.index_rebuilt = gal->st.rebuilt[m];
    pthread_rwlock_unlock(&gal->rw);
    pthread_mutex_unlock(&gal->mu);
    if (rs != LK_OK)
        return rs;
    *out = r;
    return LK_OK;
}

lk_status lk_gallery_audit(lk_gallery *gal, const char *action,
                           const char *performer_id, const char *detail)
{
    lk_status rs;
    if ((rs = lk__gal_check_writable(gal, "audit")) != LK_OK)
        return rs;
    const char *why = action ? lk__utf8_check(action, MAX_ACTION_BYTES, 0)
                             : "missing";
    if (why)
        return lk__error(LK_ERR_MISUSE, "audit action %s", why);
    if (performer_id && (rs = check_id(performer_id)) != LK_OK)
        return rs;
    if (detail && *detail && (why = lk__utf8_check(detail, MAX_DETAIL_BYTES,
                                                   1)))
        return lk__error(LK_ERR_MISUSE, "audit detail %s", why);
    pthread_mutex_lock(&gal->mu);
    /* Reading the head and appending after it in one write transaction:
     * two processes cannot chain after the same entry. */
    if ((rs = lk__gal_exec(gal, "BEGIN IMMEDIATE")) == LK_OK &&
        (rs = lk__gal_audit_row(gal, action, performer_id, detail)) == LK_OK)
        rs = lk__gal_commit(gal);
    lk__gal_rollback(gal);
    pthread_mutex_unlock(&gal->mu);
    return rs;
}
