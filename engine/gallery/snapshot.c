/*
 * snapshot.c — what searches read: the in-memory state (the performers
 * that have templates, each modality's index and template map), built
 * from one read snapshot of the database, reloaded when another process
 * moved the generation on, and the index files saved from it.
 */
#include "gallery/gallery_impl.h"
#include "core/bytes.h"
#include "core/utf8.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Rows a rebuild hands FAISS at once: at most 1024, and at most 8 MiB of
 * floats (a 15360-float voice template is 60 KiB). */
#define REBUILD_BATCH 1024
#define REBUILD_BATCH_BYTES (8u << 20)

void lk__gal_state_free(state *st)
{
    for (int m = 0; m < MOD_N; m++) {
        lk__index_free(st->ix[m]);
        lk__i64map_free(&st->tmpl[m]);
    }
    for (size_t i = 0; i < st->n_perfs; i++)
        free(st->perfs[i].id);
    free(st->perfs);
    free(st->free_slots);
    lk__i64map_free(&st->by_row);
    memset(st, 0, sizeof *st);
}

/* Add a performer (taking ownership of id) in a free slot or at the end;
 * its index, or -1. */
int32_t lk__gal_state_add_perf(state *st, int64_t row, char *id)
{
    int32_t i;
    if (st->n_free) {
        i = st->free_slots[st->n_free - 1];
    } else {
        if (st->n_perfs == st->cap_perfs) {
            size_t cap = st->cap_perfs ? st->cap_perfs * 2 : 64;
            perf *p = lk__realloc(st->perfs, cap * sizeof *p);
            if (!p)
                return -1;
            st->perfs = p;
            st->cap_perfs = cap;
        }
        if (st->n_perfs >= INT32_MAX) {
            lk__error(LK_ERR_NOMEM, "more than %d performers", INT32_MAX);
            return -1;
        }
        i = (int32_t)st->n_perfs;
    }
    if (lk__i64map_put(&st->by_row, row, i))
        return -1;
    st->perfs[i] = (perf){ row, id };
    if (st->n_free)
        st->n_free--;
    else
        st->n_perfs++;
    return i;
}

/* Forget an erased performer: its id is freed (no match points to it) and
 * its slot is kept for the next one. */
void lk__gal_state_drop_perf(state *st, int64_t row)
{
    int32_t pi = lk__i64map_get(&st->by_row, row);
    if (pi < 0)
        return;
    lk__i64map_del(&st->by_row, row);
    free(st->perfs[pi].id);
    st->perfs[pi] = (perf){ 0, NULL };
    if (st->n_free == st->cap_free) {
        size_t cap = st->cap_free ? st->cap_free * 2 : 16;
        int32_t *f = realloc(st->free_slots, cap * sizeof *f);
        if (!f)
            return;            /* the slot stays unused; nothing leaks */
        st->free_slots = f;
        st->cap_free = cap;
    }
    st->free_slots[st->n_free++] = pi;
}

/* Rows of gallery.db that no search may use (altered or damaged by hand
 * or by a tool): each is skipped with a warning naming it, so that one
 * bad row does not block every command (list, remove, and scans of the
 * rest all work) and none of them is ever matched.  The first few are
 * named, then a count. */
enum { BAD_ROWS_NAMED = 10 };

typedef struct bad_rows {
    const char *db_path;
    int n;
} bad_rows;

#define SKIPPED "; row skipped (not searched; `likeness remove` of its " \
                "performer still erases it)"

/* Count a bad row; 1 when it is one of those to name. */
static int bad_row(bad_rows *b) { return b->n++ < BAD_ROWS_NAMED; }

static void bad_rows_end(const bad_rows *b)
{
    if (b->n > BAD_ROWS_NAMED)
        lk__log(LK_LOG_WARN, "%s: %d bad rows skipped in all (%d named "
                "above)", b->db_path, b->n, BAD_ROWS_NAMED);
}

/* Read the performer table into st (empty). */
static lk_status load_perfs(lk_gallery *gal, state *st, bad_rows *bad)
{
    sqlite3_stmt *s = lk__gal_q(gal, Q_PERF_ALL);
    if (!s)
        return LK_ERR_DB;
    lk_status st_ = LK_OK;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t row = sqlite3_column_int64(s, 0);
        const char *id = (const char *)sqlite3_column_text(s, 1);
        const char *why = id ? lk__utf8_check(id, LK_ID_MAX, 0) : "missing";
        if (row <= 0 || why) {
            /* Its templates then belong to no performer, and are skipped
             * too. */
            if (bad_row(bad))
                lk__log(LK_LOG_WARN, "%s: performer row %lld: %s" SKIPPED,
                        bad->db_path, (long long)row,
                        row <= 0 ? "row id out of range" : why);
            continue;
        }
        char *cid = lk__strdup(id);
        if (!cid || lk__gal_state_add_perf(st, row, cid) < 0) {
            free(cid);
            st_ = LK_ERR_NOMEM;
            break;
        }
    }
    if (st_ == LK_OK && rc != SQLITE_DONE)
        st_ = lk__gal_db_fail(gal, "reading performers");
    lk__gal_done(s);
    return st_;
}

/* Map the templates of modality m to performers, and with vectors also
 * fill its index, streaming the templates table. */
static lk_status load_templates(lk_gallery *gal, state *st, int m,
                                int vectors, bad_rows *bad)
{
    sqlite3_stmt *s = lk__gal_q(gal, vectors ? Q_TMPL_ALL : Q_TMPL_MAP);
    if (!s)
        return LK_ERR_DB;
    sqlite3_bind_text(s, 1, MOD_NAME[m], -1, SQLITE_STATIC);
    const modality *md = &gal->mod[m];
    size_t dim = (size_t)md->dim;
    size_t batch = REBUILD_BATCH_BYTES / (dim * sizeof(float));
    if (batch > REBUILD_BATCH)
        batch = REBUILD_BATCH;
    if (batch < 1)
        batch = 1;
    float *x = NULL;
    int64_t *ids = NULL;
    size_t nb = 0;
    if (vectors) {
        x = lk__malloc(batch * dim * sizeof *x);
        ids = lk__malloc(batch * sizeof *ids);
        if (!x || !ids) {
            free(x);
            free(ids);
            lk__gal_done(s);
            return LK_ERR_NOMEM;
        }
    }
    lk_status rs = LK_OK;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t tid = sqlite3_column_int64(s, 0);
        int64_t prow = sqlite3_column_int64(s, 1);
        int32_t pi = lk__i64map_get(&st->by_row, prow);
        /* FAISS's ids are int64 with -1 for "none": only positive ids. */
        if (tid <= 0) {
            if (bad_row(bad))
                lk__log(LK_LOG_WARN, "%s: %s template %lld: id out of range"
                        SKIPPED, bad->db_path, MOD_NAME[m], (long long)tid);
            continue;
        }
        if (pi < 0) {
            if (bad_row(bad))
                lk__log(LK_LOG_WARN, "%s: %s template %lld: belongs to no "
                        "(usable) performer (row %lld)" SKIPPED, bad->db_path,
                        MOD_NAME[m], (long long)tid, (long long)prow);
            continue;
        }
        if (vectors) {
            const char *model = (const char *)sqlite3_column_text(s, 2);
            const void *blob = sqlite3_column_blob(s, 3);
            int bytes = sqlite3_column_bytes(s, 3);
            if (!model || strcmp(model, md->model_id) != 0) {
                if (bad_row(bad))
                    lk__log(LK_LOG_WARN, "%s: %s template %lld: made with "
                            "model %s, the gallery's is %s" SKIPPED,
                            bad->db_path, MOD_NAME[m], (long long)tid,
                            model ? model : "(none)", md->model_id);
                continue;
            }
            if (!blob || (size_t)bytes != dim * sizeof(float)) {
                if (bad_row(bad))
                    lk__log(LK_LOG_WARN, "%s: %s template %lld: embedding of "
                            "%d bytes, expected %zu" SKIPPED, bad->db_path,
                            MOD_NAME[m], (long long)tid, bytes,
                            dim * sizeof(float));
                continue;
            }
            float *v = x + nb * dim;
            lk__le_to_floats(v, blob, dim);
            /* The check every embedding passed when it was added: a
             * vector of another norm would outscore every honest one. */
            if (lk__gal_check_embedding((int)dim, v, "embedding") != LK_OK) {
                if (bad_row(bad))
                    lk__log(LK_LOG_WARN, "%s: %s template %lld: %s" SKIPPED,
                            bad->db_path, MOD_NAME[m], (long long)tid,
                            lk_last_error());
                lk__error_clear();
                continue;
            }
            ids[nb++] = tid;
        }
        if (lk__i64map_put(&st->tmpl[m], tid, pi)) {
            rs = LK_ERR_NOMEM;
            break;
        }
        if (!vectors)
            continue;
        if (nb == batch) {
            rs = lk__index_add(st->ix[m], (int64_t)nb, x, ids);
            nb = 0;
            if (rs != LK_OK)
                break;
        }
    }
    if (rs == LK_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        rs = lk__gal_db_fail(gal, "reading templates");
    if (rs == LK_OK && nb)
        rs = lk__index_add(st->ix[m], (int64_t)nb, x, ids);
    lk__gal_done(s);
    free(x);
    free(ids);
    return rs;
}

/* 1 when the loaded index of modality m holds exactly the templates of
 * its map. */
static int index_matches(const state *st, int m)
{
    const int64_t *ids;
    size_t n;
    lk__index_ids(st->ix[m], &ids, &n);
    if (n != st->tmpl[m].n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lk__i64map_get(&st->tmpl[m], ids[i]) < 0)
            return 0;
    return 1;
}

/* The index of modality m: from its file when that is of this generation
 * and intact, else from the templates table.  Inside load_state's read
 * transaction. */
static lk_status load_modality(lk_gallery *gal, state *st, int m,
                               bad_rows *bad)
{
    const modality *md = &gal->mod[m];
    lk_status rs;
    int64_t fgen = -1;
    lk_status fs = !gal->index_trusted
        ? lk__error(LK_ERR_FORMAT, "%s: the gallery has no index key yet "
                    "(given at its first writable open)", md->index_path)
        : lk__index_read_file(md->index_path, md->dim, md->tag, st->gen,
                              &fgen, &st->ix[m]);
    /* The index file is written only for a committed generation, after
     * its commit: one of a later generation than the database's says the
     * database lost commits (a damaged write-ahead log, a power loss with
     * synchronous=NORMAL, an older copy restored).  What they held is
     * gone; the index is rebuilt from what the database has. */
    if (fgen > st->gen)
        lk__log(LK_LOG_WARN, "%s: the database is at generation %lld but %s "
                "was written at generation %lld: changes committed after "
                "generation %lld were lost (a damaged write-ahead log, a "
                "power loss, or an older copy of gallery.db); enrol the "
                "missing templates again", gal->db_path, (long long)st->gen,
                md->index_path, (long long)fgen, (long long)st->gen);
    if (fs == LK_OK) {
        if ((rs = load_templates(gal, st, m, 0, bad)) != LK_OK)
            return rs;
        if (!index_matches(st, m)) {
            lk__log(LK_LOG_WARN, "%s: index does not hold the database's "
                    "%s templates; rebuilding", md->index_path, MOD_NAME[m]);
            lk__index_free(st->ix[m]);
            st->ix[m] = NULL;
            lk__i64map_free(&st->tmpl[m]);
        }
    } else if (fs != LK_ERR_NOT_FOUND) {
        lk__log(LK_LOG_INFO, "%s; rebuilding", lk_last_error());
    }
    if (!st->ix[m]) {
        st->rebuilt[m] = 1;
        if ((rs = lk__index_new(md->dim, &st->ix[m])) != LK_OK ||
            (rs = load_templates(gal, st, m, 1, bad)) != LK_OK)
            return rs;
    }
    return LK_OK;
}

/* The connection's PRAGMA data_version: it moves when another
 * connection commits. */
static lk_status data_version(lk_gallery *gal, int64_t *v)
{
    sqlite3_stmt *s = lk__gal_q(gal, Q_DATA_VERSION);
    if (!s)
        return LK_ERR_DB;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int64(s, 0);
    lk__gal_done(s);
    return rc == SQLITE_ROW ? LK_OK
                            : lk__gal_db_fail(gal, "reading data_version");
}

/* Build a fresh state from one read snapshot of the database: the indexes
 * of the modalities this handle can use.  Called with mu held. */
lk_status lk__gal_load_state(lk_gallery *gal, state *st)
{
    memset(st, 0, sizeof *st);
    /* Read before the snapshot: a commit in between makes the next check
     * reload once more, never miss a change. */
    lk_status rs = data_version(gal, &st->data_version);
    if (rs != LK_OK || (rs = lk__gal_exec(gal, "BEGIN")) != LK_OK)
        return rs;
    bad_rows bad = { gal->db_path, 0 };
    if ((rs = lk__gal_read_gen(gal, &st->gen)) != LK_OK ||
        (rs = load_perfs(gal, st, &bad)) != LK_OK)
        goto fail;
    for (int m = 0; m < MOD_N; m++)
        if (gal->mod[m].ready &&
            (rs = load_modality(gal, st, m, &bad)) != LK_OK)
            goto fail;
    bad_rows_end(&bad);
    if ((rs = lk__gal_exec(gal, "COMMIT")) != LK_OK)
        goto fail;
    return LK_OK;

fail:
    lk__gal_rollback(gal);
    lk__gal_state_free(st);
    return rs;
}

/* Replace the state searches read, and free the old one: no reader holds
 * a pointer into it once the write lock is had. */
static void swap_state(lk_gallery *gal, state *ns)
{
    state old;
    pthread_rwlock_wrlock(&gal->rw);
    old = gal->st;
    gal->st = *ns;
    pthread_rwlock_unlock(&gal->rw);
    lk__gal_state_free(&old);
    memset(ns, 0, sizeof *ns);
}

lk_status lk__gal_reload(lk_gallery *gal)
{
    state ns;
    lk_status rs = lk__gal_load_state(gal, &ns);
    if (rs != LK_OK)
        return rs;
    swap_state(gal, &ns);
    return LK_OK;
}

/* Reload when another process changed the templates.  mu held. */
lk_status lk__gal_sync_locked(lk_gallery *gal)
{
    int64_t gen = 0, dv = 0;
    lk_status rs = data_version(gal, &dv);
    if (rs != LK_OK || (rs = lk__gal_read_gen(gal, &gen)) != LK_OK)
        return rs;
    if (gen != gal->st.gen)
        return lk__gal_reload(gal);
    /* Only searches read it, under mu. */
    gal->st.data_version = dv;
    return LK_OK;
}

lk_status lk__gal_sync_if_changed(lk_gallery *gal)
{
    pthread_mutex_lock(&gal->mu);
    int64_t dv = 0;
    lk_status rs = data_version(gal, &dv);
    if (rs == LK_OK && dv != gal->st.data_version)
        rs = lk__gal_sync_locked(gal);
    pthread_mutex_unlock(&gal->mu);
    return rs;
}

/* BEGIN IMMEDIATE (the write lock), and the generation under it; on
 * failure no transaction is left open. */
static lk_status lock_gen(lk_gallery *gal, int64_t *gen)
{
    lk_status rs = lk__gal_exec(gal, "BEGIN IMMEDIATE");
    if (rs == LK_OK && (rs = lk__gal_read_gen(gal, gen)) != LK_OK)
        lk__gal_rollback(gal);
    return rs;
}

/* BEGIN IMMEDIATE with memory that reflects the database's generation. */
lk_status lk__gal_begin_write(lk_gallery *gal)
{
    for (int tries = 0;; tries++) {
        int64_t gen;
        lk_status rs = lock_gen(gal, &gen);
        if (rs != LK_OK)
            return rs;
        if (gen == gal->st.gen)
            return LK_OK;
        lk__gal_rollback(gal);
        if (tries == 4)
            return lk__error(LK_ERR_DB, "%s: changed by another process "
                             "faster than it can be reloaded", gal->db_path);
        if ((rs = lk__gal_reload(gal)) != LK_OK)
            return rs;
    }
}

lk_status lk__gal_commit(lk_gallery *gal)
{
    lk_status rs = lk__gal_exec(gal, "COMMIT");
    if (rs != LK_OK)
        lk__gal_rollback(gal);
    return rs;
}

/* Remove index files left by writers that died mid-write: they may hold
 * vectors since erased.  Only called under the database write lock, which
 * every index writer holds, so no live writer's file is touched. */
void lk__gal_sweep_temp_files(lk_gallery *gal)
{
    DIR *d = opendir(gal->dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        int ours = 0;
        for (int m = 0; m < MOD_N && !ours; m++) {
            size_t n = strlen(INDEX_NAME[m]);
            ours = strncmp(e->d_name, INDEX_NAME[m], n) == 0 &&
                   strncmp(e->d_name + n, LK__INDEX_TMP_INFIX,
                           strlen(LK__INDEX_TMP_INFIX)) == 0;
        }
        if (!ours)
            continue;
        char *p = lk__path_join(gal->dir, e->d_name);
        if (p) {
            unlink(p);
            free(p);
        }
    }
    closedir(d);
}

/* Write the index files not yet written for the current generation, under
 * the write lock, and only when the database is still at the generation
 * the memory reflects.  Modalities this handle cannot use have no index in
 * memory and their files are left alone: a later generation makes them
 * stale (an erasure removes them, see lk_gallery_remove_performer).
 * mu held. */
lk_status lk__gal_save_index(lk_gallery *gal)
{
    if (gal->readonly)
        return LK_OK;
    int64_t gen;
    lk_status rs = lock_gen(gal, &gen);
    if (rs != LK_OK)
        return rs;
    if (gen == gal->st.gen) {
        lk__gal_sweep_temp_files(gal);
        for (int m = 0; m < MOD_N; m++) {
            modality *md = &gal->mod[m];
            if (!gal->st.ix[m] || md->file_gen == gen)
                continue;
            lk_status ws = lk__index_write_file(gal->st.ix[m],
                                                md->index_path, gen, md->tag);
            if (ws == LK_OK)
                md->file_gen = gen;
            else if (rs == LK_OK)
                rs = ws;
        }
    }
    lk__gal_rollback(gal);         /* nothing was written to the database */
    return rs;
}

/* 1 when an index file of a usable modality is behind the memory. */
int lk__gal_index_dirty(const lk_gallery *gal)
{
    for (int m = 0; m < MOD_N; m++)
        if (gal->st.ix[m] && gal->mod[m].file_gen != gal->st.gen)
            return 1;
    return 0;
}

lk_status lk__gallery_refresh(lk_gallery *gal)
{
    if (!gal)
        return lk__error(LK_ERR_MISUSE, "gallery is NULL");
    pthread_mutex_lock(&gal->mu);
    lk_status rs = lk__gal_sync_locked(gal);
    pthread_mutex_unlock(&gal->mu);
    return rs;
}
