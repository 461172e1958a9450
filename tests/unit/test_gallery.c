/*
 * test_gallery.c — the gallery: registry, indexes (face and voice),
 * erasure, threads.
 *
 * Embeddings are synthetic random unit vectors added through
 * lk__gallery_open_models() and lk__gallery_add_template(), so no model is
 * needed; only the enrolment tests need models, photos and recordings, and
 * skip without them.  What every modality must do alike (index files,
 * erasure, scale) is one set of tests run for each (PER_MODALITY).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <malloc.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "eval_dir.h"
#include "gallery/gallery.h"
#include "pipeline/engine.h"
#include "pcm_file.h"
#include "test_tmp.h"

#define MODEL "test_model@1.0"
#define DIM 128
/* The real speaker embedder's size: 256 Gaussians x 60 features. */
#define VMODEL "test_voice@1"
#define VDIM 15360

/* ---- helpers -------------------------------------------------------------- */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fail_msg("out of memory");
        abort();
    }
    return p;
}

static char *scratch_dir(const char *what)
{
    char prefix[256];
    snprintf(prefix, sizeof prefix, "gallery-%s", what);
    char *dir = xmalloc(4200);
    assert_int_equal(lk_test_mkdtemp(prefix, dir, 4200), 0);
    return dir;
}

/* The gallery lives in a subdirectory that does not exist yet, so that
 * CREATE making the directory is exercised too. */
static char *gallery_dir(const char *what)
{
    char *d = scratch_dir(what);
    char *g = xmalloc(strlen(d) + 16);
    sprintf(g, "%s/gal", d);
    free(d);
    return g;
}

static char *join(const char *dir, const char *name)
{
    /* Also tells GCC, whose inlining under ASan loses track, that neither
     * is NULL. */
    if (!dir || !name) {
        fail_msg("join: NULL path");
        abort();
    }
    char *p = xmalloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static void rng_seed(uint64_t s) { rng_state = s ? s : 1; }

static double rng_unit(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static double rng_gauss(void)
{
    double u = rng_unit(), v = rng_unit();
    if (u < 1e-300)
        u = 1e-300;
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

static void normalise(float *v, int dim)
{
    double ss = 0;
    for (int i = 0; i < dim; i++)
        ss += (double)v[i] * v[i];
    float inv = (float)(1.0 / sqrt(ss));
    for (int i = 0; i < dim; i++)
        v[i] *= inv;
}

static void random_unit(float *v, int dim)
{
    for (int i = 0; i < dim; i++)
        v[i] = (float)rng_gauss();
    normalise(v, dim);
}

/* centre + noise of the given size, normalised: a template or a probe of
 * the identity whose centre it is. */
static void near(float *out, const float *centre, int dim, double noise)
{
    for (int i = 0; i < dim; i++)
        out[i] = centre[i] + (float)(noise * rng_gauss() / sqrt(dim));
    normalise(out, dim);
}

/* lk__gallery_open_models() with a face model and, voice_id not NULL, a
 * speaker embedder. */
static lk_status open_with(const char *dir, const char *face_id, int face_dim,
                           const char *voice_id, int voice_dim, unsigned flags,
                           lk_gallery **out)
{
    const lk__gallery_model models[2] = {
        [LK_MODALITY_FACE] = { face_id, face_dim },
        [LK_MODALITY_VOICE] = { voice_id, voice_dim },
    };
    return lk__gallery_open_models(dir, models, 2, flags, out);
}

static lk_gallery *open_ok(const char *dir, unsigned flags)
{
    lk_gallery *g = NULL;
    lk_status s = open_with(dir, MODEL, DIM, NULL, 0, flags, &g);
    if (s != LK_OK)
        fail_msg("open %s: %s: %s", dir, lk_status_str(s), lk_last_error());
    assert_non_null(g);
    return g;
}

static lk_gallery_stats stats_of(lk_gallery *g)
{
    lk_gallery_stats st;
    assert_int_equal(lk_gallery_stats_get(g, &st), LK_OK);
    return st;
}

static lk_gallery_modality mod_of(lk_gallery *g, lk_modality m)
{
    lk_gallery_modality mi;
    assert_int_equal(lk_gallery_modality_info(g, m, &mi), LK_OK);
    return mi;
}

/* The performer's name, valid until the next call. */
static const char *name_of(lk_gallery *g, const char *id)
{
    static char *last;
    lk_free(last);
    last = NULL;
    lk_status s = lk_gallery_performer_name(g, id, &last);
    if (s != LK_OK)
        fail_msg("name of %s: %s: %s", id, lk_status_str(s), lk_last_error());
    return last;
}

static int64_t n_templates(lk_gallery *g, lk_modality m)
{
    return mod_of(g, m).templates;
}

static int rebuilt(lk_gallery *g, lk_modality m)
{
    return mod_of(g, m).index_rebuilt;
}

/* 1 when an index of either modality was rebuilt by the last load. */
static int any_rebuilt(lk_gallery *g)
{
    return rebuilt(g, LK_MODALITY_FACE) || rebuilt(g, LK_MODALITY_VOICE);
}

typedef struct blob {
    uint8_t *data;
    size_t n;
} blob;

static blob read_all(const char *path)
{
    blob b = { NULL, 0 };
    FILE *f = fopen(path, "rb");
    if (!f)
        return b;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b.data = xmalloc(n > 0 ? (size_t)n : 1);
    b.n = fread(b.data, 1, n > 0 ? (size_t)n : 0, f);
    fclose(f);
    return b;
}

static int file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* The names of dir's regular files whose bytes match(), space-separated
 * into which; "" when none. */
static void files_matching(const char *dir,
                           int (*match)(const void *ctx, const uint8_t *data,
                                        size_t n),
                           const void *ctx, char *which, size_t cap)
{
    which[0] = '\0';
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        char *p = join(dir, e->d_name);
        struct stat sb;
        if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode)) {
            blob b = read_all(p);
            if (match(ctx, b.data, b.n)) {
                strncat(which, e->d_name, cap - strlen(which) - 2);
                strncat(which, " ", cap - strlen(which) - 1);
            }
            free(b.data);
        }
        free(p);
    }
    closedir(d);
}

typedef struct needle {
    const void *bytes;
    size_t n;
} needle;

static int holds_needle(const void *ctx, const uint8_t *data, size_t n)
{
    const needle *nd = ctx;
    return n >= nd->n && memmem(data, n, nd->bytes, nd->n) != NULL;
}

/* Which files of dir hold the bytes; "" when none. */
static void files_holding(const char *dir, const void *bytes, size_t n,
                          char *which, size_t cap)
{
    const needle nd = { bytes, n };
    files_matching(dir, holds_needle, &nd, which, cap);
}

static int64_t db_int(const char *dir, const char *sql)
{
    char *path = join(dir, "gallery.db");
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL),
                     SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    int rc = sqlite3_step(s);
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    assert_true(rc == SQLITE_ROW || rc == SQLITE_DONE);
    sqlite3_finalize(s);
    sqlite3_close(db);
    free(path);
    return v;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- every modality: the cases each one passes alike ------------------------------ */

/* One modality under test.  The face cases run with a face-only handle
 * (as a face-only engine opens a gallery), the voice cases with both
 * models. */
typedef struct mod_case {
    lk_modality m;
    const char *name;
    int dim;
    const char *index;         /* its index file */
    const char *scale_env;     /* templates of test_scale_rebuild */
    int scale_n, scale_dim;
} mod_case;

static const mod_case FACE_CASE = { LK_MODALITY_FACE, "face", DIM,
                                    "face.faiss", "LK_GALLERY_SCALE", 20000,
                                    512 };
/* 60 KiB a template: fewer of them. */
static const mod_case VOICE_CASE = { LK_MODALITY_VOICE, "voice", VDIM,
                                     "voice.faiss", "LK_VOICE_SCALE", 300,
                                     VDIM };

static lk_gallery *open_voice(const char *dir, const char *vmodel, int vdim,
                              unsigned flags)
{
    lk_gallery *g = NULL;
    lk_status s = open_with(dir, MODEL, DIM, vmodel, vdim, flags, &g);
    if (s != LK_OK)
        fail_msg("open %s with voice %s: %s: %s", dir, vmodel,
                 lk_status_str(s), lk_last_error());
    assert_non_null(g);
    return g;
}

/* A handle for case c whose modality has dimension dim (a face case may
 * ask for another than DIM). */
static lk_gallery *open_case_dim(const char *dir, const mod_case *c, int dim,
                                 unsigned flags)
{
    lk_gallery *g = NULL;
    lk_status s = c->m == LK_MODALITY_FACE
                      ? open_with(dir, MODEL, dim, NULL, 0, flags, &g)
                      : open_with(dir, MODEL, DIM, VMODEL, dim, flags, &g);
    if (s != LK_OK)
        fail_msg("open %s for %s: %s: %s", dir, c->name, lk_status_str(s),
                 lk_last_error());
    assert_non_null(g);
    return g;
}

static lk_gallery *open_case(const char *dir, const mod_case *c,
                             unsigned flags)
{
    return open_case_dim(dir, c, c->dim, flags);
}

static void add_m_ok(lk_gallery *g, lk_modality m, const char *id,
                     const float *e, int64_t *tid)
{
    lk_status s = lk__gallery_add_template(g, m, id, e, NULL, NULL, NULL, 0,
                                           tid, NULL);
    if (s != LK_OK)
        fail_msg("add template %d for %s: %s: %s", (int)m, id,
                 lk_status_str(s), lk_last_error());
}

static const char *top1_m(lk_gallery *g, lk_modality m, const float *q,
                          float *score)
{
    /* Strings of a match belong to it: this one lives until the next. */
    static lk_match best;
    int n = -1;
    lk_status s = lk_gallery_search(g, m, q, 1, &best, &n);
    if (s != LK_OK)
        fail_msg("search %d: %s: %s", (int)m, lk_status_str(s),
                 lk_last_error());
    if (n == 0)
        return NULL;
    if (score)
        *score = best.score;
    return best.performer_id;
}

static void add_voice_ok(lk_gallery *g, const char *id, const float *e,
                         int64_t *tid)
{
    add_m_ok(g, LK_MODALITY_VOICE, id, e, tid);
}

static const char *top1_voice(lk_gallery *g, const float *q, float *score)
{
    return top1_m(g, LK_MODALITY_VOICE, q, score);
}

static float *vecs(int n, int dim)
{
    return xmalloc(sizeof(float) * (size_t)dim * (size_t)n);
}

static float *voice_vecs(int n)
{
    return vecs(n, VDIM);
}

static void add_ok(lk_gallery *g, const char *id, const float *e,
                   int64_t *tid)
{
    add_m_ok(g, LK_MODALITY_FACE, id, e, tid);
}

static const char *top1(lk_gallery *g, const float *q, float *score)
{
    return top1_m(g, LK_MODALITY_FACE, q, score);
}

/* A gallery of 3 performers "a", "b", "c", 4 templates of c's modality
 * each near probes[p] (3 x c->dim floats, filled here). */
static void small_gallery_of(const char *dir, const mod_case *c, float *probes)
{
    lk_gallery *g = open_case(dir, c, LK_GALLERY_CREATE);
    rng_seed(7);
    const char *ids[3] = { "a", "b", "c" };
    float *e = vecs(1, c->dim);
    for (int p = 0; p < 3; p++) {
        assert_int_equal(lk_gallery_add_performer(g, ids[p], NULL), LK_OK);
        random_unit(probes + (size_t)p * c->dim, c->dim);
        for (int t = 0; t < 4; t++) {
            near(e, probes + (size_t)p * c->dim, c->dim, 0.5);
            add_m_ok(g, c->m, ids[p], e, NULL);
        }
    }
    free(e);
    lk_gallery_close(g);
}

static void expect_answers_of(lk_gallery *g, const mod_case *c,
                              const float *probes)
{
    const char *ids[3] = { "a", "b", "c" };
    for (int p = 0; p < 3; p++) {
        const char *who = top1_m(g, c->m, probes + (size_t)p * c->dim, NULL);
        if (!who || strcmp(who, ids[p]) != 0)
            fail_msg("%s probe %d found %s", c->name, p, who ? who : "no one");
    }
}

/* The face gallery of small_gallery_of() as a face-only engine makes it. */
static void small_gallery(const char *dir, float probes[3][DIM])
{
    small_gallery_of(dir, &FACE_CASE, &probes[0][0]);
}

static void expect_answers(lk_gallery *g, float probes[3][DIM])
{
    expect_answers_of(g, &FACE_CASE, &probes[0][0]);
}

/* The other modality's index: never rebuilt when only c's was at fault. */
static int other_rebuilt(lk_gallery *g, const mod_case *c)
{
    return rebuilt(g, c->m == LK_MODALITY_FACE ? LK_MODALITY_VOICE
                                               : LK_MODALITY_FACE);
}

static char *case_dir(const mod_case *c, const char *what)
{
    char name[64];
    snprintf(name, sizeof name, "%s-%s", c->name, what);
    return gallery_dir(name);
}

/* The gallery of small_gallery_of() in a fresh directory, for one case. */
typedef struct small {
    char *dir, *ix;            /* the gallery, its index file of c */
    float *probes;             /* 3 x c->dim */
} small;

static small small_setup(const mod_case *c, const char *what)
{
    small f = { case_dir(c, what), NULL, vecs(3, c->dim) };
    small_gallery_of(f.dir, c, f.probes);
    f.ix = join(f.dir, c->index);
    return f;
}

static void small_teardown(small *f)
{
    lk_test_rmtree(f->dir);
    free(f->dir);
    free(f->ix);
    free(f->probes);
}

/* ---- the index file, per modality ------------------------------------------------- */

static void test_index_rebuilt_when_missing(void **state)
{
    const mod_case *c = *state;
    small f = small_setup(c, "missing");

    lk_gallery *g = open_case(f.dir, c, 0);
    assert_int_equal(rebuilt(g, c->m), 0);
    expect_answers_of(g, c, f.probes);
    lk_gallery_close(g);

    assert_int_equal(unlink(f.ix), 0);
    g = open_case(f.dir, c, 0);
    assert_int_equal(rebuilt(g, c->m), 1);
    assert_int_equal(other_rebuilt(g, c), 0);
    assert_int_equal(n_templates(g, c->m), 12);
    expect_answers_of(g, c, f.probes);
    assert_true(file_exists(f.ix));          /* written back */
    lk_gallery_close(g);

    g = open_case(f.dir, c, 0);
    assert_int_equal(rebuilt(g, c->m), 0);
    expect_answers_of(g, c, f.probes);
    lk_gallery_close(g);
    small_teardown(&f);
}

static void test_index_rebuilt_when_stale(void **state)
{
    const mod_case *c = *state;
    small f = small_setup(c, "stale");
    blob old = read_all(f.ix);
    assert_true(old.n > 0);

    /* A change made by a process that died before writing its index:
     * the file on disk is one generation behind. */
    lk_gallery *g = open_case(f.dir, c, 0);
    assert_int_equal(lk_gallery_add_performer(g, "d", NULL), LK_OK);
    float *pd = vecs(1, c->dim);
    rng_seed(99);
    random_unit(pd, c->dim);
    add_m_ok(g, c->m, "d", pd, NULL);
    lk_gallery_close(g);
    write_file(f.ix, old.data, old.n);

    g = open_case(f.dir, c, 0);
    assert_int_equal(rebuilt(g, c->m), 1);
    assert_int_equal(n_templates(g, c->m), 13);
    assert_string_equal(top1_m(g, c->m, pd, NULL), "d");
    expect_answers_of(g, c, f.probes);
    lk_gallery_close(g);

    /* The generation moved on in the database alone. */
    g = open_case(f.dir, c, 0);
    assert_int_equal(rebuilt(g, c->m), 0);
    lk_gallery_close(g);
    db_int(f.dir, "UPDATE meta SET value = value + 1 WHERE key = 'generation'");
    g = open_case(f.dir, c, 0);
    assert_int_equal(rebuilt(g, c->m), 1);
    assert_string_equal(top1_m(g, c->m, pd, NULL), "d");
    lk_gallery_close(g);

    /* An index of the right generation that does not hold the database's
     * templates (a row deleted behind the library's back) is rebuilt. */
    g = open_case(f.dir, c, 0);
    assert_int_equal(rebuilt(g, c->m), 0);
    lk_gallery_close(g);
    db_int(f.dir, "PRAGMA foreign_keys = ON");
    db_int(f.dir, "DELETE FROM templates WHERE id = (SELECT max(id) FROM "
                "templates)");
    g = open_case(f.dir, c, 0);
    assert_int_equal(rebuilt(g, c->m), 1);
    assert_int_equal(n_templates(g, c->m), 12);
    const char *w = top1_m(g, c->m, pd, NULL);
    assert_true(w == NULL || strcmp(w, "d") != 0);
    lk_gallery_close(g);

    free(pd);
    free(old.data);
    small_teardown(&f);
}

/* Standard error pointed at a file for a while: the library never prints,
 * and neither may what it calls (FAISS prints on some damaged files: it
 * must never be given one). */
static int stderr_to(const char *path)
{
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    return saved;
}

static off_t stderr_back(int saved, const char *path)
{
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

static void test_index_rebuilt_when_corrupt(void **state)
{
    const mod_case *c = *state;
    small f = small_setup(c, "corrupt");
    blob good = read_all(f.ix);
    assert_true(good.n > 200);
    lk_gallery *g = open_case(f.dir, c, LK_GALLERY_READONLY);
    const int64_t gen = stats_of(g).generation;
    lk_gallery_close(g);

    enum { TRUNC_HALF, TRUNC_HEADER, EMPTY, FLIP_PAYLOAD, FLIP_HEADER,
           GARBAGE, PADDED, OTHER_TAG, FORGED, N_CASES };
    for (int k = 0; k < N_CASES; k++) {
        blob b = { xmalloc(good.n + 64), good.n };
        memcpy(b.data, good.data, good.n);
        switch (k) {
        case TRUNC_HALF: b.n = good.n / 2; break;
        case TRUNC_HEADER: b.n = 50; break;
        case EMPTY: b.n = 0; break;
        case FLIP_PAYLOAD: b.data[good.n - 1000] ^= 0x40; break;
        case FLIP_HEADER: b.data[13] ^= 0x01; break;    /* the dimension */
        case GARBAGE:
            for (size_t i = 0; i < b.n; i++)
                b.data[i] = (uint8_t)(i * 131 + 7);
            break;
        case PADDED:
            memset(b.data + good.n, 0xab, 64);
            b.n = good.n + 64;
            break;
        case FORGED: {
            /* Issue 17 row 5: two templates' ids swapped (the id map is
             * the payload's last count * 8 bytes) and the payload's
             * sha256 recomputed: intact to a checksum, but lying. */
            uint64_t count = 0;
            for (int i = 7; i >= 0; i--)
                count = count << 8 | b.data[24 + i];
            assert_true(count >= 2);
            uint8_t *ids = b.data + b.n - count * 8, t[8];
            memcpy(t, ids, 8);
            memmove(ids, ids + (count - 1) * 8, 8);
            memcpy(ids + (count - 1) * 8, t, 8);
            unsigned len = 0;
            EVP_Digest(b.data + 104, b.n - 104, b.data + 40, &len,
                       EVP_sha256(), NULL);
            break;
        }
        case OTHER_TAG: {
            /* Intact, of this generation and dimension, but another
             * gallery's (or modality's) index. */
            lk__index *x = NULL;
            assert_int_equal(lk__index_new(c->dim, &x), LK_OK);
            assert_int_equal(lk__index_write_file(x, f.ix, gen, "another"),
                             LK_OK);
            lk__index_free(x);
            break;
        }
        }
        if (k != OTHER_TAG)
            write_file(f.ix, b.data, b.n);
        free(b.data);
        char *err = join(f.dir, "stderr.txt");
        int saved = stderr_to(err);
        g = open_case(f.dir, c, 0);
        const off_t printed = stderr_back(saved, err);
        if (printed != 0)
            fail_msg("case %d: opening printed %lld bytes on stderr", k,
                     (long long)printed);
        unlink(err);
        free(err);
        if (rebuilt(g, c->m) != 1)
            fail_msg("case %d: damaged %s index was not rebuilt", k, c->name);
        assert_int_equal(other_rebuilt(g, c), 0);
        expect_answers_of(g, c, f.probes);
        lk_gallery_close(g);
        /* ... and written back whole. */
        blob now = read_all(f.ix);
        assert_int_equal(now.n, good.n);
        free(now.data);
    }
    /* The private reader refuses the damaged file outright. */
    write_file(f.ix, good.data, good.n / 3);
    lk__index *x = (lk__index *)1;
    assert_int_equal(lk__index_read_file(f.ix, c->dim, NULL, -1, NULL, &x),
                     LK_ERR_FORMAT);
    assert_null(x);
    free(good.data);
    small_teardown(&f);
}

/* Read-only: a missing index is rebuilt in memory, the file left alone. */
static void test_index_rebuilt_readonly(void **state)
{
    const mod_case *c = *state;
    small f = small_setup(c, "readonly");
    lk_gallery *g = open_case(f.dir, c, LK_GALLERY_READONLY);
    assert_int_equal(rebuilt(g, c->m), 0);
    expect_answers_of(g, c, f.probes);
    lk_gallery_close(g);
    assert_int_equal(unlink(f.ix), 0);
    g = open_case(f.dir, c, LK_GALLERY_READONLY);
    assert_int_equal(rebuilt(g, c->m), 1);
    expect_answers_of(g, c, f.probes);
    lk_gallery_close(g);
    assert_false(file_exists(f.ix));
    small_teardown(&f);
}

/* ---- erasure, per modality: no 64-byte window of an erased embedding anywhere ------ */

/* Every 8-byte-aligned 8-byte word of a set of embeddings, hashed: any
 * 64-byte run of an embedding contains at least 7 of them, so a file
 * holding such a run hits one, and the hit is then extended both ways. */
typedef struct wordset {
    uint64_t *keys;
    uint32_t *pos;             /* (embedding * bytes + offset) / 8 */
    size_t cap;
    const uint8_t *bytes;      /* the embeddings, back to back */
    size_t per;                /* bytes of one embedding */
} wordset;

static uint64_t load8(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static size_t word_slot(const wordset *w, uint64_t k)
{
    k ^= k >> 31;
    k *= 0x9e3779b97f4a7c15ULL;
    return (size_t)(k >> 17) & (w->cap - 1);
}

static wordset words_of(const float *embs, int n, int dim)
{
    wordset w = { 0 };
    w.bytes = (const uint8_t *)embs;
    w.per = (size_t)dim * sizeof(float);
    size_t words = (size_t)n * w.per / 8;
    w.cap = 1;
    while (w.cap < words * 2)
        w.cap *= 2;
    w.keys = xmalloc(w.cap * sizeof *w.keys);
    w.pos = xmalloc(w.cap * sizeof *w.pos);
    for (size_t i = 0; i < w.cap; i++)
        w.pos[i] = UINT32_MAX;
    for (size_t i = 0; i < words; i++) {
        uint64_t k = load8(w.bytes + i * 8);
        size_t j = word_slot(&w, k);
        while (w.pos[j] != UINT32_MAX)
            j = (j + 1) & (w.cap - 1);
        w.keys[j] = k;
        w.pos[j] = (uint32_t)i;
    }
    return w;
}

/* 1 when data holds 64 consecutive bytes of one of the embeddings. */
static int holds_window(const wordset *w, const uint8_t *data, size_t n)
{
    for (size_t p = 0; p + 8 <= n; p++) {
        uint64_t k = load8(data + p);
        for (size_t j = word_slot(w, k); w->pos[j] != UINT32_MAX;
             j = (j + 1) & (w->cap - 1)) {
            if (w->keys[j] != k)
                continue;
            size_t at = (size_t)w->pos[j] * 8;
            size_t e0 = at / w->per * w->per, e1 = e0 + w->per;
            size_t back = 0, fwd = 8;
            while (back < p && at - back > e0 &&
                   data[p - back - 1] == w->bytes[at - back - 1])
                back++;
            while (p + fwd < n && at + fwd < e1 &&
                   data[p + fwd] == w->bytes[at + fwd])
                fwd++;
            if (back + fwd >= 64)
                return 1;
        }
    }
    return 0;
}

static void words_free(wordset *w)
{
    free(w->keys);
    free(w->pos);
}

static int holds_words(const void *ctx, const uint8_t *data, size_t n)
{
    return holds_window(ctx, data, n);
}

/* Which files of dir hold a 64-byte window of the embeddings; "" none. */
static void files_holding_windows(const char *dir, const wordset *w,
                                  char *which, size_t cap)
{
    files_matching(dir, holds_words, w, which, cap);
}

/* No file of dir holds a window of the n embeddings at e. */
static void assert_absent(const char *dir, const float *e, int n, int dim,
                          const char *what)
{
    wordset w = words_of(e, n, dim);
    char which[512];
    files_holding_windows(dir, &w, which, sizeof which);
    words_free(&w);
    if (which[0])
        fail_msg("%s: embedding bytes survive in %s", what, which);
}

/* file holds a window of the n embeddings at e (of one performer: the
 * checker sees what it looks for). */
static void assert_present(const char *dir, const float *e, int n, int dim,
                           const char *file, const char *what)
{
    wordset w = words_of(e, n, dim);
    char which[512];
    files_holding_windows(dir, &w, which, sizeof which);
    words_free(&w);
    if (!strstr(which, file))
        fail_msg("%s: embedding bytes not found in %s (found in: %s)", what,
                 file, which);
}

enum { SD_NP = 12, SD_NT = 6 };

static void secure_delete_proof(const mod_case *c, int dim)
{
    char *dir = case_dir(c, "erase");
    lk_gallery *g = open_case_dim(dir, c, dim, LK_GALLERY_CREATE);
    float *emb = vecs(SD_NP * SD_NT, dim);
    rng_seed(2024 + (uint64_t)dim);
    char id[32], name[64], src[64], sha[65];
    for (int p = 0; p < SD_NP; p++) {
        snprintf(id, sizeof id, "p%02d", p);
        snprintf(name, sizeof name, "Secret Name %02d", p);
        assert_int_equal(lk_gallery_add_performer(g, id, name), LK_OK);
    }
    /* Round robin, so that pages hold rows of several performers, and
     * erasures move the survivors' rows between pages. */
    for (int t = 0; t < SD_NT; t++)
        for (int p = 0; p < SD_NP; p++) {
            float *e = emb + ((size_t)p * SD_NT + t) * dim;
            random_unit(e, dim);
            snprintf(id, sizeof id, "p%02d", p);
            snprintf(src, sizeof src, "/media/secret-source-%02d-%d.bin", p,
                     t);
            lk__sha256_hex(src, strlen(src), sha);
            assert_int_equal(lk__gallery_add_template(g, c->m, id, e, sha, src,
                                                      NULL, 0, NULL, NULL),
                             LK_OK);
        }
    lk_gallery_close(g);

    /* The test can see what it looks for: every embedding is in the
     * database and in the index before any erasure. */
    for (int p = 0; p < SD_NP; p++) {
        const float *e = emb + (size_t)p * SD_NT * dim;
        assert_present(dir, e, SD_NT, dim, "gallery.db", "before erasure");
        assert_present(dir, e, SD_NT, dim, c->index, "before erasure");
    }

    g = open_case_dim(dir, c, dim, 0);
    /* Left behind by a writer that died: a temporary index file holding
     * the performers about to be erased. */
    char tmpname[64];
    snprintf(tmpname, sizeof tmpname, "%s.tmp.999999.0", c->index);
    char *tmp = join(dir, tmpname);
    char *ix = join(dir, c->index);
    blob idx = read_all(ix);
    write_file(tmp, idx.data, idx.n);
    free(idx.data);

    /* Enrolled and erased within one session: its bytes are only ever in
     * the write-ahead log (and the memory). */
    float *fresh = vecs(3, dim);
    assert_int_equal(lk_gallery_add_performer(g, "fresh", "Fresh Secret"),
                     LK_OK);
    for (int t = 0; t < 3; t++) {
        random_unit(fresh + (size_t)t * dim, dim);
        add_m_ok(g, c->m, "fresh", fresh + (size_t)t * dim, NULL);
    }
    assert_present(dir, fresh, 3, dim, "gallery.db-wal",
                   "fresh, before erasure");
    assert_int_equal(lk_gallery_remove_performer(g, "fresh"), LK_OK);
    assert_absent(dir, fresh, 3, dim, "fresh erased");
    free(fresh);

    const int erase[] = { 3, 4, 7, 0, 11 };
    int erased[SD_NP] = { 0 };
    float *gone = vecs(SD_NP * SD_NT, dim);   /* the erased, back to back */
    int n_gone = 0;
    for (size_t k = 0; k < sizeof erase / sizeof *erase; k++) {
        int p = erase[k];
        snprintf(id, sizeof id, "p%02d", p);
        assert_int_equal(lk_gallery_remove_performer(g, id), LK_OK);
        erased[p] = 1;
        memcpy(gone + (size_t)n_gone * dim, emb + (size_t)p * SD_NT * dim,
               sizeof(float) * SD_NT * (size_t)dim);
        n_gone += SD_NT;
        assert_int_equal(lk_gallery_remove_performer(g, id), LK_ERR_NOT_FOUND);
        /* While the gallery is still open: none of those erased so far. */
        char what[64], which[256];
        snprintf(what, sizeof what, "erased (open, after %zu)", k + 1);
        assert_absent(dir, gone, n_gone, dim, what);
        for (int q = 0; q < SD_NP; q++) {
            if (!erased[q])
                continue;
            snprintf(name, sizeof name, "Secret Name %02d", q);
            files_holding(dir, name, strlen(name), which, sizeof which);
            if (which[0])
                fail_msg("p%02d %s: name survives in %s", q, what, which);
            snprintf(src, sizeof src, "/media/secret-source-%02d-", q);
            files_holding(dir, src, strlen(src), which, sizeof which);
            if (which[0])
                fail_msg("p%02d %s: source path survives in %s", q, what,
                         which);
        }
        assert_false(file_exists(tmp));
        /* Search no longer finds the erased performer. */
        const char *who = top1_m(g, c->m, emb + (size_t)p * SD_NT * dim, NULL);
        assert_non_null(who);
        assert_string_not_equal(who, id);
    }
    assert_int_equal(stats_of(g).performers, SD_NP - 5);
    assert_int_equal(n_templates(g, c->m), (SD_NP - 5) * SD_NT);
    lk_gallery_close(g);

    /* After close: erased ones gone, kept ones still there. */
    assert_absent(dir, gone, n_gone, dim, "erased (closed)");
    for (int p = 0; p < SD_NP; p++) {
        if (erased[p])
            continue;
        const float *e = emb + (size_t)p * SD_NT * dim;
        assert_present(dir, e, SD_NT, dim, "gallery.db", "kept");
        assert_present(dir, e, SD_NT, dim, c->index, "kept");
    }
    /* The audit keeps the time and the digest of the erasure, nothing
     * that names the performer; the chain still verifies. */
    assert_int_equal(db_int(dir, "SELECT count(*) FROM audit WHERE "
                                 "action = 'remove' AND performer IS NULL "
                                 "AND detail IS NULL AND perf_digest IS NOT "
                                 "NULL AND time > 0"), 6);
    assert_int_equal(db_int(dir, "SELECT count(*) FROM audit WHERE "
                                 "performer = 'p03'"), 0);
    g = open_case_dim(dir, c, dim, LK_GALLERY_READONLY);
    lk_audit_report rep = { .size = sizeof rep };
    assert_int_equal(lk_gallery_audit_verify(g, NULL, &rep), LK_OK);
    assert_int_equal(rep.redacted, 5 * (1 + SD_NT) + 1 + 3);
    lk_gallery_close(g);
    assert_int_equal(db_int(dir, "SELECT count(*) FROM templates t JOIN "
                                 "performers p ON p.id = t.performer WHERE "
                                 "p.ext_id = 'p03'"), 0);
    free(gone);
    free(tmp);
    free(ix);
    free(emb);
    lk_test_rmtree(dir);
    free(dir);
}

static void test_remove_secure_delete(void **state)
{
    const mod_case *c = *state;
    secure_delete_proof(c, c->m == LK_MODALITY_FACE ? 512 : c->dim);
}

/* 1024 floats are 4096 bytes: each embedding spills onto overflow pages
 * (a voice template always does). */
static void test_remove_secure_delete_overflow(void **state)
{
    (void)state;
    secure_delete_proof(&FACE_CASE, 1024);
}

/* ---- scale, per modality ----------------------------------------------------------- */

/* Rebuild and reload of a larger gallery (c->scale_env templates, default
 * c->scale_n, of dimension c->scale_dim), timed; correctness checked on a
 * sample.  The exact index is the vectors and their ids, nothing more. */
static void test_scale_rebuild(void **state)
{
    const mod_case *c = *state;
    const char *env = getenv(c->scale_env);
    int n = env && atoi(env) > 0 ? atoi(env) : c->scale_n;
    const int D = c->scale_dim;
    enum { PER = 4, SAMPLE = 16 };
    char *dir = case_dir(c, "scale");
    lk_gallery *g = open_case_dim(dir, c, D, LK_GALLERY_CREATE);
    rng_seed(31337);
    float *e = vecs(1, D), *sample = vecs(SAMPLE, D);
    int sample_p[SAMPLE];
    const int every = n / SAMPLE > 0 ? n / SAMPLE : 1;
    char id[32];
    double t0 = now_ms();
    for (int i = 0; i < n; i++) {
        int p = i / PER;
        snprintf(id, sizeof id, "s%07d", p);
        if (i % PER == 0)
            assert_int_equal(lk_gallery_add_performer(g, id, NULL), LK_OK);
        random_unit(e, D);
        add_m_ok(g, c->m, id, e, NULL);
        if (i % every == 0 && i / every < SAMPLE) {
            memcpy(sample + (size_t)(i / every) * D, e, sizeof(float) * D);
            sample_p[i / every] = p;
        }
    }
    double t_add = now_ms() - t0;
    t0 = now_ms();
    lk_gallery_close(g);
    double t_close = now_ms() - t0;

    char *ix = join(dir, c->index);
    struct stat sb;
    assert_int_equal(stat(ix, &sb), 0);
    assert_true((double)sb.st_size < n * (D * 4.0 + 16) + 4096);
    t0 = now_ms();
    g = open_case_dim(dir, c, D, 0);
    double t_load = now_ms() - t0;
    assert_int_equal(rebuilt(g, c->m), 0);
    lk_gallery_close(g);

    assert_int_equal(unlink(ix), 0);
    t0 = now_ms();
    g = open_case_dim(dir, c, D, LK_GALLERY_READONLY);
    double t_rebuild = now_ms() - t0;
    assert_int_equal(rebuilt(g, c->m), 1);
    assert_int_equal(n_templates(g, c->m), n);
    int checked = 0;
    double t_search = 0;
    for (int s = 0; s < SAMPLE && s * every < n; s++) {
        snprintf(id, sizeof id, "s%07d", sample_p[s]);
        float score = 0;
        t0 = now_ms();
        const char *who = top1_m(g, c->m, sample + (size_t)s * D, &score);
        t_search += now_ms() - t0;
        assert_string_equal(who, id);
        assert_float_equal(score, 1.0f, 1e-4);
        checked++;
    }
    assert_true(checked > 0);
    const double mb = stats_of(g).db_bytes / 1e6;
    lk_gallery_close(g);
    print_message("%s scale: %d templates of %d floats, %.1f MB db, %.1f MB "
                  "index: add %.0f ms (%.1f us each), close+write index %.0f "
                  "ms, open from file %.0f ms, rebuild from db %.0f ms, "
                  "search %.2f ms\n", c->name, n, D, mb, sb.st_size / 1e6,
                  t_add, t_add * 1e3 / n, t_close, t_load, t_rebuild,
                  t_search / checked);
    free(ix);
    free(e);
    free(sample);
    lk_test_rmtree(dir);
    free(dir);
}

/* ---- create, open, model ---------------------------------------------------- */

static void test_create_open_reopen(void **state)
{
    (void)state;
    char *dir = gallery_dir("create");
    lk_gallery *g = NULL;

    /* No gallery and no CREATE: not found, and nothing made. */
    assert_int_equal(open_with(dir, MODEL, DIM, NULL, 0, 0, &g),
                     LK_ERR_NOT_FOUND);
    assert_null(g);
    assert_non_null(strstr(lk_last_error(), dir));
    assert_false(file_exists(dir));

    g = open_ok(dir, LK_GALLERY_CREATE);
    lk_gallery_stats st = stats_of(g);
    assert_int_equal(st.performers, 0);
    assert_int_equal(n_templates(g, LK_MODALITY_FACE), 0);
    assert_int_equal(st.generation, 0);
    assert_string_equal(mod_of(g, LK_MODALITY_FACE).model, MODEL);
    assert_int_equal(mod_of(g, LK_MODALITY_FACE).dim, DIM);
    assert_true(st.db_bytes > 0);

    float e[DIM];
    rng_seed(1);
    random_unit(e, DIM);
    assert_int_equal(lk_gallery_add_performer(g, "p1", "Performer One"),
                     LK_OK);
    int64_t tid = 0;
    add_ok(g, "p1", e, &tid);
    assert_true(tid > 0);
    lk_gallery_close(g);

    char *db = join(dir, "gallery.db"), *ix = join(dir, "face.faiss");
    assert_true(file_exists(db));
    assert_true(file_exists(ix));

    /* Reopen without CREATE: the template is there, the index came from
     * the file. */
    g = open_ok(dir, 0);
    st = stats_of(g);
    assert_int_equal(st.performers, 1);
    assert_int_equal(n_templates(g, LK_MODALITY_FACE), 1);
    assert_int_equal(st.generation, 1);
    assert_int_equal(any_rebuilt(g), 0);
    float score = 0;
    assert_string_equal(top1(g, e, &score), "p1");
    assert_float_equal(score, 1.0f, 1e-4);
    lk_gallery_close(g);

    /* CREATE on an existing gallery opens it. */
    g = open_ok(dir, LK_GALLERY_CREATE);
    assert_int_equal(n_templates(g, LK_MODALITY_FACE), 1);
    lk_gallery_close(g);

    /* A database that is not a gallery is refused. */
    char *other = scratch_dir("notgallery");
    char *odb = join(other, "gallery.db");
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(odb, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "CREATE TABLE x(y)", 0, 0, 0),
                     SQLITE_OK);
    sqlite3_close(raw);
    g = NULL;
    assert_int_equal(open_with(other, MODEL, DIM, NULL, 0, LK_GALLERY_CREATE,
                               &g),
                     LK_ERR_DB);
    assert_null(g);
    assert_non_null(strstr(lk_last_error(), "not a Likeness gallery"));

    lk_gallery_close(NULL);   /* does nothing */
    lk_test_rmtree(other);
    free(odb);
    free(other);
    free(db);
    free(ix);
    lk_test_rmtree(dir);
    free(dir);
}

static void test_model_mismatch(void **state)
{
    (void)state;
    char *dir = gallery_dir("model");
    lk_gallery *g = open_ok(dir, LK_GALLERY_CREATE);
    lk_gallery_close(g);

    g = (lk_gallery *)1;
    assert_int_equal(open_with(dir, "other_model@2", DIM, NULL, 0, 0, &g),
                     LK_ERR_MODEL_MISMATCH);
    assert_null(g);
    assert_non_null(strstr(lk_last_error(), MODEL));
    assert_non_null(strstr(lk_last_error(), "other_model@2"));

    assert_int_equal(open_with(dir, MODEL, DIM * 2, NULL, 0, 0, &g),
                     LK_ERR_MODEL_MISMATCH);
    assert_null(g);
    assert_non_null(strstr(lk_last_error(), "256"));

    /* Refusal changed nothing: the right model still opens it. */
    g = open_ok(dir, 0);
    assert_string_equal(mod_of(g, LK_MODALITY_FACE).model, MODEL);
    lk_gallery_close(g);

    assert_int_equal(open_with(dir, "", DIM, NULL, 0, 0, &g),
                     LK_ERR_MISUSE);
    assert_int_equal(open_with(dir, MODEL, 0, NULL, 0, 0, &g),
                     LK_ERR_MISUSE);
    /* Without an engine an existing gallery opens, but none is created. */
    assert_int_equal(lk_gallery_open(dir, NULL, LK_GALLERY_CREATE, &g),
                     LK_ERR_MISUSE);
    assert_null(g);
    lk_test_rmtree(dir);
    free(dir);
}

/* ---- search ------------------------------------------------------------------- */

static void test_search_grouping(void **state)
{
    (void)state;
    char *dir = gallery_dir("search");
    lk_gallery *g = open_ok(dir, LK_GALLERY_CREATE);
    enum { NP = 20, NT = 5 };
    static float centre[NP][DIM];
    int64_t tids[NP][NT];
    rng_seed(42);
    char id[32];
    for (int p = 0; p < NP; p++) {
        random_unit(centre[p], DIM);
        snprintf(id, sizeof id, "perf-%02d", p);
        assert_int_equal(lk_gallery_add_performer(g, id, NULL), LK_OK);
    }
    /* Templates interleaved across performers, as enrolment would. */
    for (int t = 0; t < NT; t++)
        for (int p = 0; p < NP; p++) {
            float e[DIM];
            near(e, centre[p], DIM, 0.6);
            snprintf(id, sizeof id, "perf-%02d", p);
            add_ok(g, id, e, &tids[p][t]);
        }

    for (int p = 0; p < NP; p++) {
        float q[DIM];
        near(q, centre[p], DIM, 0.6);
        lk_match m[5];
        int n = 0;
        assert_int_equal(lk_gallery_search(g, LK_MODALITY_FACE, q, 5, m, &n),
                         LK_OK);
        assert_int_equal(n, 5);
        snprintf(id, sizeof id, "perf-%02d", p);
        assert_string_equal(m[0].performer_id, id);
        /* The reported template is one of that performer's. */
        int own = 0;
        for (int t = 0; t < NT; t++)
            own |= m[0].template_id == tids[p][t];
        assert_true(own);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++)
                assert_string_not_equal(m[i].performer_id, m[j].performer_id);
            if (i)
                assert_true(m[i].score <= m[i - 1].score);
            assert_string_equal(name_of(g, m[i].performer_id), "");
        }
    }

    /* k above the number of performers: one entry each, no more. */
    lk_match all[64];
    int n = 0;
    assert_int_equal(lk_gallery_search(g, LK_MODALITY_FACE, centre[3], 64,
                                       all, &n), LK_OK);
    assert_int_equal(n, NP);

    /* One performer with many templates near the probe must not crowd the
     * others out: the search widens until it has k performers. */
    assert_int_equal(lk_gallery_add_performer(g, "crowd", "Crowd"), LK_OK);
    float probe[DIM];
    random_unit(probe, DIM);
    for (int t = 0; t < 200; t++) {
        float e[DIM];
        near(e, probe, DIM, 0.05);
        add_ok(g, "crowd", e, NULL);
    }
    assert_int_equal(lk_gallery_search(g, LK_MODALITY_FACE, probe, 3, all,
                                       &n), LK_OK);
    assert_int_equal(n, 3);
    assert_string_equal(all[0].performer_id, "crowd");
    assert_string_equal(name_of(g, all[0].performer_id), "Crowd");
    assert_string_not_equal(all[1].performer_id, "crowd");
    assert_string_not_equal(all[2].performer_id, "crowd");
    assert_string_not_equal(all[1].performer_id, all[2].performer_id);

    /* Misuse. */
    assert_int_equal(lk_gallery_search(g, LK_MODALITY_FACE, probe, 0, all,
                                       &n), LK_ERR_MISUSE);
    assert_int_equal(n, 0);
    float bad[DIM];
    memcpy(bad, probe, sizeof bad);
    bad[7] = NAN;
    assert_int_equal(lk_gallery_search(g, LK_MODALITY_FACE, bad, 1, all, &n),
                     LK_ERR_MISUSE);
    for (int i = 0; i < DIM; i++)
        bad[i] = probe[i] * 3;
    assert_int_equal(lk_gallery_search(g, LK_MODALITY_FACE, bad, 1, all, &n),
                     LK_ERR_MISUSE);
    assert_non_null(strstr(lk_last_error(), "normalised"));
    lk_gallery_close(g);

    /* An empty gallery finds no one. */
    char *empty = gallery_dir("search-empty");
    g = open_ok(empty, LK_GALLERY_CREATE);
    n = -1;
    assert_int_equal(lk_gallery_search(g, LK_MODALITY_FACE, probe, 3, all,
                                       &n), LK_OK);
    assert_int_equal(n, 0);
    lk_gallery_close(g);
    lk_test_rmtree(empty);
    free(empty);
    lk_test_rmtree(dir);
    free(dir);
}

/* ---- the index file ------------------------------------------------------------- */

static void test_index_wrapper(void **state)
{
    (void)state;
    lk__index *ix = NULL;
    assert_int_equal(lk__index_new(8, &ix), LK_OK);
    float x[3 * 8] = { 0 };
    x[0] = 1;           /* id 10: e0 */
    x[8 + 1] = 1;       /* id 20: e1 */
    x[16 + 0] = 0.6f;   /* id 30: 0.6 e0 + 0.8 e1 */
    x[16 + 1] = 0.8f;
    int64_t ids[3] = { 10, 20, 30 };
    assert_int_equal(lk__index_add(ix, 3, x, ids), LK_OK);
    assert_int_equal(lk__index_count(ix), 3);
    float q[8] = { 1, 0, 0, 0, 0, 0, 0, 0 };
    float D[4];
    int64_t I[4];
    assert_int_equal(lk__index_search(ix, 1, q, 4, D, I), LK_OK);
    assert_int_equal(I[0], 10);
    assert_int_equal(I[1], 30);
    assert_int_equal(I[2], 20);
    assert_int_equal(I[3], -1);
    assert_float_equal(D[1], 0.6f, 1e-6);
    int64_t rm = 10;
    assert_int_equal(lk__index_remove(ix, &rm, 1), LK_OK);
    assert_int_equal(lk__index_count(ix), 2);
    assert_int_equal(lk__index_search(ix, 1, q, 1, D, I), LK_OK);
    assert_int_equal(I[0], 30);

    char *d = scratch_dir("wrapper");
    char *path = join(d, "x.faiss");
    assert_int_equal(lk__index_write_file(ix, path, 0, NULL), LK_OK);
    lk__index *back = NULL;
    assert_int_equal(lk__index_read_file(path, 8, NULL, -1, NULL, &back),
                     LK_OK);
    assert_int_equal(lk__index_count(back), 2);
    assert_int_equal(lk__index_search(back, 1, q, 1, D, I), LK_OK);
    assert_int_equal(I[0], 30);
    lk__index *wrong = (lk__index *)1;
    assert_int_equal(lk__index_read_file(path, 16, NULL, -1, NULL, &wrong),
                     LK_ERR_FORMAT);
    assert_null(wrong);
    assert_int_equal(lk__index_read_file(path, 8, "another tag", -1, NULL,
                                         &wrong), LK_ERR_FORMAT);
    char *none = join(d, "none.faiss");
    assert_int_equal(lk__index_read_file(none, 8, NULL, -1, NULL, &wrong),
                     LK_ERR_NOT_FOUND);
    lk__index_free(back);
    lk__index_free(ix);
    lk__index_free(NULL);
    free(none);
    free(path);
    lk_test_rmtree(d);
    free(d);
}

/* ---- erasure ------------------------------------------------------------------------ */

/* Two handles on one gallery, as two processes would have: one holding an
 * index from before an erasure must not write it back. */
static void test_two_handles(void **state)
{
    (void)state;
    char *dir = gallery_dir("two");
    float probes[3][DIM];
    small_gallery(dir, probes);
    lk_gallery *h1 = open_ok(dir, 0), *h2 = open_ok(dir, 0);

    /* h1 changes something: its memory is ahead of the index file. */
    float pe[DIM];
    rng_seed(5);
    random_unit(pe, DIM);
    assert_int_equal(lk_gallery_add_performer(h1, "e", NULL), LK_OK);
    add_ok(h1, "e", pe, NULL);

    /* h2 has not seen it, catches up when it writes, and erases "a". */
    assert_int_equal(lk_gallery_add_performer(h2, "f", NULL), LK_OK);
    float pf[DIM];
    random_unit(pf, DIM);
    add_ok(h2, "f", pf, NULL);
    assert_string_equal(top1(h2, pe, NULL), "e");
    assert_int_equal(lk_gallery_remove_performer(h2, "a"), LK_OK);

    /* h1 sees the erasure and the new enrolment at its next search,
     * without being told (issue 17 row 1: a long-lived handle kept
     * matching an erased performer). */
    const char *who = top1(h1, probes[0], NULL);
    assert_true(who == NULL || strcmp(who, "a") != 0);
    assert_string_equal(top1(h1, pf, NULL), "f");
    /* ... and so does a read-only handle (a service), both ways. */
    lk_gallery *ro = open_ok(dir, LK_GALLERY_READONLY);
    assert_string_equal(top1(ro, pf, NULL), "f");
    assert_int_equal(lk_gallery_remove_performer(h2, "f"), LK_OK);
    who = top1(ro, pf, NULL);
    assert_true(who == NULL || strcmp(who, "f") != 0);
    float pg[DIM];
    random_unit(pg, DIM);
    assert_int_equal(lk_gallery_add_performer(h2, "g", NULL), LK_OK);
    add_ok(h2, "g", pg, NULL);
    assert_string_equal(top1(ro, pg, NULL), "g");
    assert_string_equal(top1(h1, pg, NULL), "g");
    assert_int_equal(lk__gallery_refresh(h1), LK_OK);
    lk_gallery_close(ro);

    lk_gallery_close(h2);
    lk_gallery_close(h1);
    lk_gallery *g = open_ok(dir, 0);
    assert_int_equal(n_templates(g, LK_MODALITY_FACE), 8 + 2);
    assert_int_equal(any_rebuilt(g), 0);
    who = top1(g, probes[0], NULL);
    assert_true(who == NULL || strcmp(who, "a") != 0);
    assert_string_equal(top1(g, pe, NULL), "e");
    lk_gallery_close(g);

    /* Stale h1 closing after h2's erasure: no write-back of "a". */
    small_gallery(dir, probes);          /* "a" again */
    float secret[DIM];
    random_unit(secret, DIM);
    g = open_ok(dir, 0);
    add_ok(g, "a", secret, NULL);
    lk_gallery_close(g);
    assert_present(dir, secret, 1, DIM, "face.faiss", "a, before erasure");
    h1 = open_ok(dir, 0);
    h2 = open_ok(dir, 0);
    add_ok(h1, "b", probes[1], NULL);    /* h1 dirty, still holds "a" */
    assert_int_equal(lk_gallery_remove_performer(h2, "a"), LK_OK);
    assert_absent(dir, secret, 1, DIM, "a erased by h2");
    lk_gallery_close(h2);
    lk_gallery_close(h1);
    assert_absent(dir, secret, 1, DIM, "a erased, stale h1 closed");
    g = open_ok(dir, 0);
    assert_int_equal(any_rebuilt(g), 0);
    who = top1(g, probes[0], NULL);
    assert_true(who == NULL || strcmp(who, "a") != 0);
    lk_gallery_close(g);
    lk_test_rmtree(dir);
    free(dir);
}

/* ---- audit, stats, listing ----------------------------------------------------------- */

/* A new gallery with performer p1 ("One"), and a random embedding of
 * the given seed in e. */
static lk_gallery *new_with_p1(const char *dir, uint64_t seed, float e[DIM])
{
    lk_gallery *g = open_ok(dir, LK_GALLERY_CREATE);
    rng_seed(seed);
    random_unit(e, DIM);
    assert_int_equal(lk_gallery_add_performer(g, "p1", "One"), LK_OK);
    return g;
}

/* The audit rows as stored, in id order: action, performer, a substring
 * of the detail (NULL: none) and the redacted flag of each. */
typedef struct want_row {
    const char *action, *performer, *detail;
    int redacted;
} want_row;

static void assert_audit_rows(const char *dir, const want_row *want, size_t n)
{
    char *db = join(dir, "gallery.db");
    sqlite3 *raw;
    assert_int_equal(sqlite3_open_v2(db, &raw, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(raw, "SELECT action, performer, "
                                        "detail, time, redacted FROM audit "
                                        "ORDER BY id", -1, &s, NULL),
                     SQLITE_OK);
    int64_t t0 = (int64_t)time(NULL);
    size_t i = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        assert_true(i < n);
        assert_string_equal(sqlite3_column_text(s, 0), want[i].action);
        const char *perf = (const char *)sqlite3_column_text(s, 1);
        const char *detail = (const char *)sqlite3_column_text(s, 2);
        if (want[i].performer)
            assert_string_equal(perf, want[i].performer);
        else
            assert_null(perf);
        if (want[i].detail)
            assert_non_null(strstr(detail, want[i].detail));
        else
            assert_null(detail);
        int64_t t = sqlite3_column_int64(s, 3);
        assert_true(t <= t0 && t > t0 - 600);
        assert_int_equal(sqlite3_column_int(s, 4), want[i].redacted);
        i++;
    }
    assert_int_equal(i, n);
    sqlite3_finalize(s);
    sqlite3_close(raw);
    free(db);
}

static void test_audit_rows(void **state)
{
    (void)state;
    char *dir = gallery_dir("audit");
    float e[DIM];
    lk_gallery *g = new_with_p1(dir, 3, e);
    assert_int_equal(lk_gallery_add_performer(g, "p1", "Renamed"), LK_OK);
    int64_t tid = 0;
    add_ok(g, "p1", e, &tid);
    assert_int_equal(lk_gallery_audit(g, "scan", "p1", "upload.jpg 0.71"),
                     LK_OK);
    assert_int_equal(lk_gallery_audit(g, "export", NULL, NULL), LK_OK);
    const want_row before[] = {
        { "add", "p1", NULL, 0 },
        { "enrol", "p1", "template", 0 },
        { "scan", "p1", "upload.jpg 0.71", 0 },
        { "export", NULL, NULL, 0 },
    };
    assert_audit_rows(dir, before, sizeof before / sizeof *before);
    assert_int_equal(lk_gallery_remove_performer(g, "p1"), LK_OK);

    assert_int_equal(lk_gallery_audit(g, "", NULL, NULL), LK_ERR_MISUSE);
    assert_int_equal(lk_gallery_audit(g, NULL, NULL, NULL), LK_ERR_MISUSE);
    assert_int_equal(lk_gallery_audit(g, "sc\nan", NULL, NULL), LK_ERR_MISUSE);
    assert_int_equal(lk_gallery_audit(g, "scan", "", NULL), LK_ERR_MISUSE);
    /* An entry of a performer is erased with them: one that is not
     * registered has nothing to be erased with. */
    assert_int_equal(lk_gallery_audit(g, "scan", "p1", "x"), LK_ERR_NOT_FOUND);
    assert_non_null(strstr(lk_last_error(), "p1"));
    lk_gallery_close(g);

    /* The erasure emptied the performer's entries and wrote its own,
     * which names no one. */
    const want_row after[] = {
        { "add", NULL, NULL, 1 },
        { "enrol", NULL, NULL, 1 },
        { "scan", NULL, NULL, 1 },
        { "export", NULL, NULL, 0 },
        { "remove", NULL, NULL, 0 },
    };
    assert_audit_rows(dir, after, sizeof after / sizeof *after);
    lk_test_rmtree(dir);
    free(dir);
}

/* ---- the audit log's hash chain ------------------------------------------------------ */

static void raw_exec(const char *dir, const char *sql)
{
    char *path = join(dir, "gallery.db");
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL),
                     SQLITE_OK);
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err ? err : "?");
    sqlite3_close(db);
    free(path);
}

/* The code of sql on the gallery's file, and the message in why. */
static int raw_try(const char *dir, const char *sql, char *why, size_t cap)
{
    char *path = join(dir, "gallery.db");
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL),
                     SQLITE_OK);
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    snprintf(why, cap, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);
    free(path);
    return rc;
}

static lk_status verify_dir(const char *dir, const char *anchor,
                            lk_audit_report *rep)
{
    lk_gallery *g = open_ok(dir, LK_GALLERY_READONLY);
    memset(rep, 0, sizeof *rep);
    rep->size = sizeof *rep;
    lk_status st = lk_gallery_audit_verify(g, anchor, rep);
    lk_gallery_close(g);
    return st;
}

/* A log of seven entries: 1 add p1, 2 add p2, 3 enrol p1, 4 scan, 5 scan
 * of p2, 6 export, 7 scan. */
static void make_log(const char *dir)
{
    float e[DIM];
    lk_gallery *g = new_with_p1(dir, 11, e);
    assert_int_equal(lk_gallery_add_performer(g, "p2", "Two"), LK_OK);
    add_ok(g, "p1", e, NULL);
    assert_int_equal(lk_gallery_audit(g, "scan", NULL, "files=1"), LK_OK);
    assert_int_equal(lk_gallery_audit(g, "scan", "p2", "upload.jpg 0.71"),
                     LK_OK);
    assert_int_equal(lk_gallery_audit(g, "export", NULL, NULL), LK_OK);
    assert_int_equal(lk_gallery_audit(g, "scan", NULL, "files=2"), LK_OK);
    lk_gallery_close(g);
}

static const char DROP_TRIGGERS[] =
    "DROP TRIGGER audit_append_only; DROP TRIGGER audit_erase_only; "
    "DROP TRIGGER audit_chained;";

typedef struct entry_list {
    int n, redacted, named;
    char actions[16][16];
} entry_list;

static int list_cb_audit(const lk_audit_entry *e, void *user)
{
    entry_list *l = user;
    assert_int_equal(e->id, l->n + 1);
    assert_int_equal(strlen(e->hash), 64);
    if (l->n < 16)
        snprintf(l->actions[l->n], sizeof l->actions[0], "%s", e->action);
    l->n++;
    l->redacted += e->redacted;
    l->named += e->performer != NULL;
    if (e->redacted)
        assert_true(!e->performer && !e->detail);
    return 0;
}

static void test_audit_chain_intact(void **state)
{
    (void)state;
    char *dir = gallery_dir("chain");
    make_log(dir);
    lk_audit_report rep;
    assert_int_equal(verify_dir(dir, NULL, &rep), LK_OK);
    assert_int_equal(rep.fault, LK_AUDIT_INTACT);
    assert_int_equal(rep.entries, 7);
    assert_int_equal(rep.redacted, 0);
    assert_int_equal(rep.head_id, 7);
    assert_int_equal(rep.upgraded_through, 0);
    assert_int_equal(strlen(rep.head), 64);
    assert_string_equal(rep.why, "");
    char head[65];
    memcpy(head, rep.head, sizeof head);

    /* The head taken earlier anchors the longer log: still in the chain. */
    lk_gallery *g = open_ok(dir, 0);
    assert_int_equal(lk_gallery_remove_performer(g, "p2"), LK_OK);
    memset(&rep, 0, sizeof rep);
    rep.size = sizeof rep;
    assert_int_equal(lk_gallery_audit_verify(g, head, &rep), LK_OK);
    assert_int_equal(rep.entries, 8);
    assert_int_equal(rep.redacted, 2);     /* add p2, scan of p2 */
    assert_string_not_equal(rep.head, head);
    /* An anchor of no entry; not a hash; a report of another size. */
    char other[65];
    memset(other, 'a', 64);
    other[64] = '\0';
    assert_int_equal(lk_gallery_audit_verify(g, other, &rep), LK_ERR_ALTERED);
    assert_int_equal(rep.fault, LK_AUDIT_ANCHOR);
    assert_non_null(strstr(lk_last_error(), "gallery.db"));
    assert_int_equal(lk_gallery_audit_verify(g, "abc", &rep), LK_ERR_MISUSE);
    rep.size = sizeof rep - 1;
    assert_int_equal(lk_gallery_audit_verify(g, NULL, &rep), LK_ERR_MISUSE);
    assert_int_equal(lk_gallery_audit_verify(g, NULL, NULL), LK_ERR_MISUSE);

    entry_list l = { 0 };
    assert_int_equal(lk_gallery_audit_entries(g, list_cb_audit, &l), LK_OK);
    assert_int_equal(l.n, 8);
    assert_int_equal(l.redacted, 2);
    assert_int_equal(l.named, 2);          /* add p1, enrol p1 */
    assert_string_equal(l.actions[7], "remove");
    lk_gallery_close(g);

    /* The triggers refuse changes and deletions, and unchained rows; the
     * erasure's own change is allowed. */
    char why[256];
    assert_int_equal(raw_try(dir, "UPDATE audit SET time = 0 WHERE id = 4",
                             why, sizeof why), SQLITE_CONSTRAINT);
    assert_non_null(strstr(why, "append-only"));
    assert_int_equal(raw_try(dir, "DELETE FROM audit WHERE id = 8", why,
                             sizeof why), SQLITE_CONSTRAINT);
    assert_int_equal(raw_try(dir, "UPDATE audit SET detail = 'x' WHERE id = 3",
                             why, sizeof why), SQLITE_CONSTRAINT);
    assert_int_equal(raw_try(dir, "INSERT INTO audit (time, action) VALUES "
                             "(1, 'scan')", why, sizeof why),
                     SQLITE_CONSTRAINT);
    assert_int_equal(verify_dir(dir, head, &rep), LK_OK);
    lk_test_rmtree(dir);
    free(dir);
}

/* Two handles (two connections, as two processes) appending at once:
 * every append reads the head and chains after it in one write
 * transaction, so the chain does not fork and no append fails. */
typedef struct appender {
    lk_gallery *g;
    int fails;
} appender;

static void *append_many(void *arg)
{
    appender *a = arg;
    for (int i = 0; i < 1000; i++)
        a->fails += lk_gallery_audit(a->g, "scan", NULL, "files=1") != LK_OK;
    return NULL;
}

static void test_audit_concurrent_appends(void **state)
{
    (void)state;
    char *dir = gallery_dir("chainmt");
    appender a[2] = { { open_ok(dir, LK_GALLERY_CREATE), 0 },
                      { NULL, 0 } };
    a[1].g = open_ok(dir, 0);
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, append_many, &a[i]), 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(a[i].fails, 0);
    }
    lk_gallery_close(a[0].g);
    lk_gallery_close(a[1].g);
    lk_audit_report rep;
    if (verify_dir(dir, NULL, &rep) != LK_OK)
        fail_msg("%s", lk_last_error());
    assert_int_equal(rep.entries, 2000);
    lk_test_rmtree(dir);
    free(dir);
}

/* Hand alterations of the file, made after dropping the triggers, each
 * on a fresh copy of make_log()'s log: what verification must say. */
typedef struct tamper {
    const char *what, *sql;
    lk_audit_fault fault;
    int64_t id;
} tamper;

static const tamper TAMPERS[] = {
    { "time", "UPDATE audit SET time = time - 60 WHERE id = 4",
      LK_AUDIT_CHANGED, 4 },
    { "action", "UPDATE audit SET action = 'scan' WHERE id = 6",
      LK_AUDIT_CHANGED, 6 },
    { "detail", "UPDATE audit SET detail = 'files=0' WHERE id = 4",
      LK_AUDIT_CHANGED, 4 },
    { "detail of a performer's entry",
      "UPDATE audit SET detail = 'template 9' WHERE id = 3",
      LK_AUDIT_CHANGED, 3 },
    { "performer", "UPDATE audit SET performer = 'p2' WHERE id = 3",
      LK_AUDIT_CHANGED, 3 },
    { "performer added", "UPDATE audit SET performer = 'p1' WHERE id = 4",
      LK_AUDIT_CHANGED, 4 },
    { "performer taken out", "UPDATE audit SET performer = NULL WHERE id = 5",
      LK_AUDIT_CHANGED, 5 },
    { "middle entry deleted", "DELETE FROM audit WHERE id = 4",
      LK_AUDIT_DELETED, 4 },
    { "first entry deleted", "DELETE FROM audit WHERE id = 1",
      LK_AUDIT_DELETED, 1 },
    { "last entry deleted", "DELETE FROM audit WHERE id = 7",
      LK_AUDIT_TRUNCATED, 7 },
    { "last two deleted", "DELETE FROM audit WHERE id >= 6",
      LK_AUDIT_TRUNCATED, 6 },
    { "ids swapped", "UPDATE audit SET id = -5 WHERE id = 5; "
      "UPDATE audit SET id = 5 WHERE id = 4; "
      "UPDATE audit SET id = 4 WHERE id = -5",
      LK_AUDIT_REORDERED, 4 },
    { "entry inserted after the head",
      "INSERT INTO audit (id, time, action, prev, hash) VALUES (8, 1, 'scan', "
      "(SELECT hash FROM audit WHERE id = 7), hex(randomblob(32)))",
      LK_AUDIT_INSERTED, 8 },
    { "entry inserted, head moved",
      "DELETE FROM audit WHERE id = 7; "
      "INSERT INTO audit (id, time, action, prev, hash) VALUES (7, 1, 'scan', "
      "hex(randomblob(32)), hex(randomblob(32))); "
      "UPDATE meta SET value = (SELECT hash FROM audit WHERE id = 7) "
      "WHERE key = 'audit_head'",
      LK_AUDIT_INSERTED, 7 },
    /* Read back at any length: no entry's fields are trusted. */
    { "link rewritten, long",
      "UPDATE audit SET prev = replace(hex(zeroblob(2000)), '0', 'a') "
      "WHERE id = 4",
      LK_AUDIT_INSERTED, 4 },
    { "redacted without an erasure",
      "UPDATE audit SET performer = NULL, detail = NULL, redacted = 1 "
      "WHERE id = 3",
      LK_AUDIT_REDACTED, 3 },
    { "a remove entry forged for the redaction",
      "UPDATE audit SET performer = NULL, detail = NULL, redacted = 1 "
      "WHERE id = 5; UPDATE audit SET action = 'remove', detail = NULL, "
      "detail_digest = NULL, perf_digest = (SELECT perf_digest FROM audit "
      "WHERE id = 5) WHERE id = 7",
      LK_AUDIT_CHANGED, 7 },
};

static void test_audit_tamper(void **state)
{
    (void)state;
    char *base = gallery_dir("tamper");
    make_log(base);
    /* Each case on its own copy of the log (the same entries, hashes and
     * head). */
    char *db = join(base, "gallery.db");
    blob orig = read_all(db);
    assert_true(orig.n > 0);
    /* Closed: the write-ahead log was checkpointed into the file. */
    char *wal = join(base, "gallery.db-wal");
    assert_false(file_exists(wal));
    free(wal);
    for (size_t k = 0; k < sizeof TAMPERS / sizeof *TAMPERS; k++) {
        const tamper *t = &TAMPERS[k];
        char *dir = gallery_dir("tampered");
        assert_int_equal(mkdir(dir, 0700), 0);
        char *p = join(dir, "gallery.db");
        write_file(p, orig.data, orig.n);
        lk_audit_report rep;
        assert_int_equal(verify_dir(dir, NULL, &rep), LK_OK);
        raw_exec(dir, DROP_TRIGGERS);
        raw_exec(dir, t->sql);
        lk_status st = verify_dir(dir, NULL, &rep);
        if (st != LK_ERR_ALTERED || rep.fault != t->fault ||
            rep.fault_id != t->id)
            fail_msg("%s: %s, fault %s at entry %lld (%s); want %s at %lld",
                     t->what, lk_status_name(st), lk_audit_fault_name(rep.fault),
                     (long long)rep.fault_id, rep.why,
                     lk_audit_fault_name(t->fault), (long long)t->id);
        char idtext[32];
        snprintf(idtext, sizeof idtext, "%lld", (long long)t->id);
        assert_non_null(strstr(rep.why, idtext));
        free(p);
        lk_test_rmtree(dir);
        free(dir);
    }
    free(orig.data);
    free(db);
    lk_test_rmtree(base);
    free(base);
}

/* An erasure leaves neither the performer's id nor any detail of their
 * entries in the gallery's files, open or closed, and the chain verifies;
 * the same id registered and erased again too. */
static void test_audit_erasure_bytes(void **state)
{
    (void)state;
    static const char ID[] = "performer-id-7f3aq-secret";
    static const char DETAIL[] = "finding: Qzvx Secretperson in upload.mp4";
    static const char KEPT[] = "files=3 faces=2";
    char *dir = gallery_dir("auditerase");
    lk_gallery *g = open_ok(dir, LK_GALLERY_CREATE);
    float e[DIM];
    rng_seed(5);
    char which[256];
    for (int round = 0; round < 2; round++) {
        assert_int_equal(lk_gallery_add_performer(g, ID, NULL), LK_OK);
        assert_int_equal(lk_gallery_add_performer(g, "other", NULL), LK_OK);
        random_unit(e, DIM);
        add_ok(g, ID, e, NULL);
        assert_int_equal(lk_gallery_audit(g, "scan", ID, DETAIL), LK_OK);
        assert_int_equal(lk_gallery_audit(g, "scan", NULL, KEPT), LK_OK);
        files_holding(dir, DETAIL, strlen(DETAIL), which, sizeof which);
        assert_string_not_equal(which, "");    /* the test can see it */
        assert_int_equal(lk_gallery_remove_performer(g, ID), LK_OK);
        files_holding(dir, ID, strlen(ID), which, sizeof which);
        if (which[0])
            fail_msg("round %d: the erased id survives in %s", round, which);
        files_holding(dir, DETAIL, strlen(DETAIL), which, sizeof which);
        if (which[0])
            fail_msg("round %d: the erased detail survives in %s", round,
                     which);
        files_holding(dir, KEPT, strlen(KEPT), which, sizeof which);
        assert_string_not_equal(which, "");
        lk_audit_report rep = { .size = sizeof rep };
        if (lk_gallery_audit_verify(g, NULL, &rep) != LK_OK)
            fail_msg("round %d: %s", round, lk_last_error());
        /* add, enrol and scan of each round, and "other"'s add before */
        assert_int_equal(rep.redacted, 3 * (round + 1) + round);
        assert_int_equal(lk_gallery_remove_performer(g, "other"), LK_OK);
    }
    lk_gallery_close(g);
    files_holding(dir, ID, strlen(ID), which, sizeof which);
    assert_string_equal(which, "");
    files_holding(dir, DETAIL, strlen(DETAIL), which, sizeof which);
    assert_string_equal(which, "");
    lk_audit_report rep;
    assert_int_equal(verify_dir(dir, NULL, &rep), LK_OK);
    assert_int_equal(rep.entries, 2 * 7);
    lk_test_rmtree(dir);
    free(dir);
}

/* Version 1 of the schema, as galleries made before the chain hold it. */
static const char V1_SCHEMA[] =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE performers (id INTEGER PRIMARY KEY, ext_id TEXT NOT NULL "
    "  UNIQUE, name TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL);"
    "CREATE TABLE templates (id INTEGER PRIMARY KEY, performer INTEGER NOT "
    "  NULL REFERENCES performers (id) ON DELETE CASCADE, modality TEXT NOT "
    "  NULL, model_id TEXT NOT NULL, dim INTEGER NOT NULL, embedding BLOB NOT "
    "  NULL, source_sha256 TEXT, source_path TEXT, face_x REAL, face_y REAL, "
    "  face_w REAL, face_h REAL, face_score REAL, created INTEGER NOT NULL, "
    "  CHECK (length(embedding) = 4 * dim));"
    "CREATE INDEX templates_performer ON templates (performer, modality, "
    "  source_sha256);"
    "CREATE TABLE consent (id INTEGER PRIMARY KEY, performer INTEGER NOT NULL "
    "  REFERENCES performers (id) ON DELETE CASCADE, scope TEXT NOT NULL, "
    "  terms TEXT, valid_from INTEGER, valid_to INTEGER, created INTEGER NOT "
    "  NULL);"
    "CREATE INDEX consent_performer ON consent (performer);"
    "CREATE TABLE audit (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, "
    "  action TEXT NOT NULL, performer TEXT, detail TEXT);"
    "PRAGMA user_version = 1;";

/* Entries as the old library wrote them: a performer erased (whose
 * entries, its remove among them, kept the id), one never registered, one
 * still registered. */
#define OLD_ERASED "old-erased-performer-id-31"
#define OLD_STRANGER "never-registered-performer-9"
static const char V1_ROWS[] =
    "INSERT INTO meta VALUES ('schema', 1), ('generation', 3), "
    "('face_model', '" MODEL "'), ('face_dim', 128), ('uuid', 'abcd'), "
    "('created', 1700000000);"
    "INSERT INTO performers (ext_id, name, created) VALUES "
    "('kept-performer', 'Kept', 1700000000);"
    "INSERT INTO audit (time, action, performer, detail) VALUES "
    "(1700000001, 'add', 'kept-performer', NULL), "
    "(1700000002, 'add', '" OLD_ERASED "', NULL), "
    "(1700000003, 'enrol', '" OLD_ERASED "', 'template 1'), "
    "(1700000004, 'scan', NULL, 'files=4 faces=1'), "
    "(1700000005, 'remove', '" OLD_ERASED "', NULL), "
    "(1700000006, 'scan', '" OLD_STRANGER "', 'finding of " OLD_STRANGER "'), "
    "(1700000007, 'enrol', 'kept-performer', 'template 2');";

/* A change whose audit entry cannot be written does not happen: with the
 * audit insert made to fail (a trigger added by hand), adding a performer,
 * enrolling, a licence, a refusal and an erasure each fail naming the
 * cause, and nothing of them is committed (or, for the erasure, removed
 * from the index); without the trigger all work again. */
static void test_audit_failure_rolls_back(void **state)
{
    (void)state;
    char *dir = gallery_dir("auditfail");
    lk_gallery *g = open_ok(dir, LK_GALLERY_CREATE);
    float e[DIM], other[DIM];
    rng_seed(29);
    random_unit(e, DIM);
    random_unit(other, DIM);
    assert_int_equal(lk_gallery_add_performer(g, "kept", NULL), LK_OK);
    add_ok(g, "kept", e, NULL);
    const int64_t entries = db_int(dir, "SELECT count(*) FROM audit");
    char *path = join(dir, "gallery.db");
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    sqlite3_busy_timeout(raw, 5000);
    assert_int_equal(sqlite3_exec(raw, "CREATE TRIGGER inject BEFORE INSERT "
                                       "ON audit BEGIN SELECT RAISE(ABORT, "
                                       "'injected audit failure'); END;",
                                  NULL, NULL, NULL), SQLITE_OK);
    assert_int_not_equal(lk_gallery_add_performer(g, "new", NULL), LK_OK);
    assert_non_null(strstr(lk_last_error(), "injected audit failure"));
    int64_t tid = 0;
    assert_int_not_equal(lk__gallery_add_template(g, LK_MODALITY_FACE, "kept",
                                                  other, NULL, NULL, NULL, 0,
                                                  &tid, NULL), LK_OK);
    int64_t lid = 0;
    assert_int_not_equal(lk_licence_add(g, "{\"performer\":\"kept\","
                                           "\"modalities\":[\"face\"],"
                                           "\"uses\":[\"dubbing\"],"
                                           "\"licensee\":{\"name\":\"L\"},"
                                           "\"from\":\"2026-01-01\"}", &lid),
                         LK_OK);
    assert_int_not_equal(lk_policy_set(g, "kept", LK_USE_AI_TRAINING), LK_OK);
    assert_int_not_equal(lk_gallery_remove_performer(g, "kept"), LK_OK);
    /* nothing committed, nothing erased */
    assert_int_equal(db_int(dir, "SELECT count(*) FROM performers"), 1);
    assert_int_equal(db_int(dir, "SELECT count(*) FROM templates"), 1);
    assert_int_equal(db_int(dir, "SELECT count(*) FROM licences"), 0);
    assert_int_equal(db_int(dir, "SELECT count(*) FROM refusals"), 0);
    assert_int_equal(db_int(dir, "SELECT count(*) FROM audit"), entries);
    float score;
    assert_string_equal(top1(g, e, &score), "kept");
    assert_int_equal(sqlite3_exec(raw, "DROP TRIGGER inject", NULL, NULL,
                                  NULL), SQLITE_OK);
    sqlite3_close(raw);
    assert_int_equal(lk_gallery_add_performer(g, "new", NULL), LK_OK);
    assert_int_equal(lk_gallery_remove_performer(g, "kept"), LK_OK);
    lk_audit_report rep = { .size = sizeof rep };
    assert_int_equal(lk_gallery_audit_verify(g, NULL, &rep), LK_OK);
    lk_gallery_close(g);
    free(path);
    lk_test_rmtree(dir);
    free(dir);
}

static void test_audit_upgrade_v1(void **state)
{
    (void)state;
    char *dir = gallery_dir("v1");
    assert_int_equal(mkdir(dir, 0700), 0);
    char *db = join(dir, "gallery.db");
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, V1_SCHEMA, 0, 0, 0), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, V1_ROWS, 0, 0, 0), SQLITE_OK);
    sqlite3_close(raw);

    /* read-only, an older schema is refused by name, not read */
    lk_gallery *g = NULL;
    assert_int_equal(lk_gallery_open(dir, NULL, LK_GALLERY_READONLY, &g),
                     LK_ERR_DB);
    assert_non_null(strstr(lk_last_error(), "older"));
    g = open_ok(dir, 0);                   /* upgrades */
    lk_audit_report rep = { .size = sizeof rep };
    if (lk_gallery_audit_verify(g, NULL, &rep) != LK_OK)
        fail_msg("%s", lk_last_error());
    assert_int_equal(rep.upgraded_through, 7);
    /* The seven, the stranger's erasure closed by a remove, the upgrade's
     * own entry. */
    assert_int_equal(rep.entries, 9);
    assert_int_equal(rep.redacted, 3);
    assert_int_equal(db_int(dir, "PRAGMA user_version"), 2);
    assert_int_equal(db_int(dir, "SELECT count(*) FROM audit WHERE "
                                 "performer = 'kept-performer'"), 2);
    assert_int_equal(db_int(dir, "SELECT count(*) FROM audit WHERE action = "
                                 "'upgrade' AND detail LIKE '%1 to 7%'"), 1);
    /* the same step made the licence tables (and dropped consent) */
    int64_t lid = 0;
    assert_int_equal(lk_licence_add(g, "{\"performer\":\"kept-performer\","
                                       "\"modalities\":[\"face\"],\"uses\":"
                                       "[\"dubbing\"],\"licensee\":{\"name\":"
                                       "\"L\"},\"from\":\"2026-01-01\"}", &lid),
                     LK_OK);
    assert_int_equal(db_int(dir, "SELECT count(*) FROM sqlite_master WHERE "
                                 "name IN ('consent', 'calibration')"), 1);
    /* The kept performer's entries are chained with its salt: erasing it
     * now leaves a log that verifies. */
    assert_int_equal(lk_gallery_remove_performer(g, "kept-performer"), LK_OK);
    assert_int_equal(lk_gallery_audit_verify(g, NULL, &rep), LK_OK);
    assert_int_equal(rep.redacted, 6);     /* with the licence-add */
    lk_gallery_close(g);
    char which[256];
    const char *gone[] = { OLD_ERASED, OLD_STRANGER, "kept-performer" };
    for (size_t i = 0; i < sizeof gone / sizeof *gone; i++) {
        files_holding(dir, gone[i], strlen(gone[i]), which, sizeof which);
        if (which[0])
            fail_msg("%s survives the upgrade in %s", gone[i], which);
    }
    assert_int_equal(verify_dir(dir, NULL, &rep), LK_OK);
    free(db);
    lk_test_rmtree(dir);
    free(dir);
}

static void test_stats(void **state)
{
    (void)state;
    char *dir = gallery_dir("stats");
    lk_gallery *g = open_ok(dir, LK_GALLERY_CREATE);
    float e[DIM];
    rng_seed(11);
    assert_int_equal(lk_gallery_add_performer(g, "x", NULL), LK_OK);
    assert_int_equal(lk_gallery_add_performer(g, "y", NULL), LK_OK);
    assert_int_equal(stats_of(g).generation, 0);   /* no template change */
    for (int i = 0; i < 3; i++) {
        random_unit(e, DIM);
        add_ok(g, i < 2 ? "x" : "y", e, NULL);
    }
    lk_gallery_stats st = stats_of(g);
    assert_int_equal(st.performers, 2);
    assert_int_equal(n_templates(g, LK_MODALITY_FACE), 3);
    assert_int_equal(st.generation, 3);
    char *db = join(dir, "gallery.db");
    struct stat sb;
    assert_int_equal(stat(db, &sb), 0);
    assert_int_equal(st.db_bytes, (int64_t)sb.st_size);
    assert_int_equal(lk_gallery_remove_performer(g, "x"), LK_OK);
    st = stats_of(g);
    assert_int_equal(st.performers, 1);
    assert_int_equal(n_templates(g, LK_MODALITY_FACE), 1);
    assert_int_equal(st.generation, 4);
    assert_int_equal(lk_gallery_stats_get(NULL, &st), LK_ERR_MISUSE);
    assert_int_equal(st.performers, 0);
    lk_gallery_close(g);
    free(db);
    lk_test_rmtree(dir);
    free(dir);
}

typedef struct listed {
    char ids[8][32], names[8][32];
    int templates[8], voice_templates[8];
    int n, stop_after;
    lk_gallery *g;
} listed;

static int collect(const lk_performer_info *p, void *user)
{
    listed *l = user;
    snprintf(l->ids[l->n], 32, "%s", p->id);
    snprintf(l->names[l->n], 32, "%s", p->name);
    assert_int_equal(p->n_modalities, 2);
    l->templates[l->n] = p->templates[LK_MODALITY_FACE];
    l->voice_templates[l->n] = p->templates[LK_MODALITY_VOICE];
    assert_true(p->created > 0);
    /* Calling back into the gallery from the callback does not deadlock. */
    lk_gallery_stats st;
    assert_int_equal(lk_gallery_stats_get(l->g, &st), LK_OK);
    return ++l->n == l->stop_after;
}

static void test_performers_list(void **state)
{
    (void)state;
    char *dir = gallery_dir("list");
    lk_gallery *g = open_ok(dir, LK_GALLERY_CREATE);
    assert_int_equal(lk_gallery_add_performer(g, "zed", "Zed"), LK_OK);
    assert_int_equal(lk_gallery_add_performer(g, "amy", NULL), LK_OK);
    assert_int_equal(lk_gallery_add_performer(g, "bob", "Bob"), LK_OK);
    assert_int_equal(lk_gallery_add_performer(g, "bob", NULL), LK_OK);
    float e[DIM];
    rng_seed(8);
    for (int i = 0; i < 3; i++) {
        random_unit(e, DIM);
        add_ok(g, "zed", e, NULL);
    }
    random_unit(e, DIM);
    add_ok(g, "bob", e, NULL);
    /* A rename shows at once in matches. */
    assert_int_equal(lk_gallery_add_performer(g, "bob", "Robert"), LK_OK);
    lk_match m;
    int n;
    assert_int_equal(lk_gallery_search(g, LK_MODALITY_FACE, e, 1, &m, &n),
                     LK_OK);
    assert_string_equal(name_of(g, m.performer_id), "Robert");
    char *nm = (char *)1;
    assert_int_equal(lk_gallery_performer_name(g, "nobody", &nm),
                     LK_ERR_NOT_FOUND);
    assert_null(nm);
    assert_int_equal(lk_gallery_performer_name(g, "", &nm), LK_ERR_MISUSE);
    assert_int_equal(lk_gallery_performer_name(NULL, "bob", &nm),
                     LK_ERR_MISUSE);
    assert_int_equal(lk_gallery_performer_name(g, "bob", NULL),
                     LK_ERR_MISUSE);

    listed l = { .stop_after = -1, .g = g };
    assert_int_equal(lk_gallery_performers(g, collect, &l), LK_OK);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.ids[0], "amy");
    assert_string_equal(l.names[0], "");
    assert_int_equal(l.templates[0], 0);
    assert_string_equal(l.ids[1], "bob");
    assert_string_equal(l.names[1], "Robert");
    assert_int_equal(l.templates[1], 1);
    assert_string_equal(l.ids[2], "zed");
    assert_string_equal(l.names[2], "Zed");
    assert_int_equal(l.templates[2], 3);

    listed s = { .stop_after = 2, .g = g };
    assert_int_equal(lk_gallery_performers(g, collect, &s), LK_DONE);
    assert_int_equal(s.n, 2);
    lk_gallery_close(g);
    lk_test_rmtree(dir);
    free(dir);
}

/* ---- read-only, ids, duplicates -------------------------------------------------------- */

static void test_readonly(void **state)
{
    (void)state;
    char *dir = gallery_dir("readonly");
    lk_gallery *g = NULL;
    assert_int_equal(open_with(dir, MODEL, DIM, NULL, 0, LK_GALLERY_READONLY,
                               &g),
                     LK_ERR_NOT_FOUND);
    assert_int_equal(open_with(dir, MODEL, DIM, NULL, 0, LK_GALLERY_READONLY |
                                            LK_GALLERY_CREATE, &g),
                     LK_ERR_MISUSE);
    float probes[3][DIM];
    small_gallery(dir, probes);

    g = open_ok(dir, LK_GALLERY_READONLY);
    assert_int_equal(any_rebuilt(g), 0);
    expect_answers(g, probes);
    int64_t gen = stats_of(g).generation;
    assert_int_equal(lk_gallery_add_performer(g, "new", NULL), LK_ERR_MISUSE);
    assert_non_null(strstr(lk_last_error(), "read-only"));
    assert_int_equal(lk__gallery_add_template(g, LK_MODALITY_FACE, "a",
        probes[0], NULL, NULL, NULL, 0, NULL, NULL), LK_ERR_MISUSE);
    assert_int_equal(lk_gallery_remove_performer(g, "a"), LK_ERR_MISUSE);
    assert_int_equal(lk_gallery_audit(g, "scan", NULL, NULL), LK_ERR_MISUSE);
    assert_int_equal(stats_of(g).generation, gen);
    assert_int_equal(n_templates(g, LK_MODALITY_FACE), 12);
    lk_gallery_close(g);
    /* A missing index read-only: test_index_rebuilt_readonly. */
    lk_test_rmtree(dir);
    free(dir);
}

static void test_bad_ids(void **state)
{
    (void)state;
    char *dir = gallery_dir("ids");
    lk_gallery *g = open_ok(dir, LK_GALLERY_CREATE);
    char long_id[300];
    memset(long_id, 'x', sizeof long_id);
    long_id[257] = '\0';
    const char *bad[] = { "", long_id, "a\nb", "tab\there", "del\x7f",
                          "\xff\xfe", "c1\xc2\x85", "\xc0\xaf", "half\xe2\x82",
                          "surrogate\xed\xa0\x80" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (lk_gallery_add_performer(g, bad[i], NULL) != LK_ERR_MISUSE)
            fail_msg("bad id %zu accepted", i);
        assert_non_null(strstr(lk_last_error(), "performer id"));
    }
    assert_int_equal(lk_gallery_add_performer(g, NULL, NULL), LK_ERR_MISUSE);
    assert_int_equal(lk_gallery_add_performer(NULL, "p", NULL), LK_ERR_MISUSE);
    assert_int_equal(lk_gallery_add_performer(g, "ok", "bad\nname"),
                     LK_ERR_MISUSE);
    assert_int_equal(stats_of(g).performers, 0);

    long_id[256] = '\0';                        /* exactly 256 bytes */
    assert_int_equal(lk_gallery_add_performer(g, long_id, NULL), LK_OK);
    assert_int_equal(lk_gallery_add_performer(g, "演员-01 é", "Zoë"), LK_OK);
    assert_int_equal(lk_gallery_add_performer(g, "with space", NULL), LK_OK);
    assert_int_equal(stats_of(g).performers, 3);

    float e[DIM];
    rng_seed(13);
    random_unit(e, DIM);
    assert_int_equal(lk__gallery_add_template(g, LK_MODALITY_FACE, "nobody",
        e, NULL, NULL, NULL, 0, NULL, NULL), LK_ERR_NOT_FOUND);
    assert_non_null(strstr(lk_last_error(), "nobody"));
    assert_int_equal(lk_gallery_remove_performer(g, "nobody"),
                     LK_ERR_NOT_FOUND);
    add_ok(g, "演员-01 é", e, NULL);
    assert_string_equal(top1(g, e, NULL), "演员-01 é");
    float un[DIM];
    for (int i = 0; i < DIM; i++)
        un[i] = e[i] * 2;
    assert_int_equal(lk__gallery_add_template(g, LK_MODALITY_FACE,
        "with space", un, NULL, NULL, NULL, 0, NULL, NULL), LK_ERR_MISUSE);
    assert_int_equal(lk__gallery_add_template(g, LK_MODALITY_FACE,
        "with space", e, "nothex", NULL, NULL, 0, NULL, NULL),
                     LK_ERR_MISUSE);
    assert_int_equal(n_templates(g, LK_MODALITY_FACE), 1);
    lk_gallery_close(g);
    lk_test_rmtree(dir);
    free(dir);
}

static void test_duplicate_source(void **state)
{
    (void)state;
    char *dir = gallery_dir("dup");
    lk_gallery *g = open_ok(dir, LK_GALLERY_CREATE);
    assert_int_equal(lk_gallery_add_performer(g, "p", NULL), LK_OK);
    assert_int_equal(lk_gallery_add_performer(g, "q", NULL), LK_OK);
    char sha[65];
    lk__sha256_hex("photo", 5, sha);
    float e[DIM];
    rng_seed(17);
    random_unit(e, DIM);
    assert_int_equal(lk__gallery_source_template(g, LK_MODALITY_FACE, "p",
                                                 sha), 0);
    int64_t t1 = 0, t2 = 0;
    int dup = -1;
    lk_face face = { 10, 20, 30, 40, 0.9f, { { 0 } } };
    assert_int_equal(lk__gallery_add_template(g, LK_MODALITY_FACE, "p", e,
        sha, "photo.jpg", &face, LK__TEMPLATE_ONCE, &t1, &dup), LK_OK);
    assert_int_equal(dup, 0);
    assert_true(lk__gallery_source_template(g, LK_MODALITY_FACE, "p",
                                            sha) > 0);
    assert_int_equal(lk__gallery_source_template(g, LK_MODALITY_FACE, "p",
                                                 sha), t1);
    assert_int_equal(lk__gallery_source_template(g, LK_MODALITY_FACE, "q",
                                                 sha), 0);
    assert_int_equal(lk__gallery_add_template(g, LK_MODALITY_FACE, "p", e,
        sha, "photo.jpg", &face, LK__TEMPLATE_ONCE, &t2, &dup), LK_OK);
    assert_int_equal(dup, 1);
    assert_int_equal(t2, t1);
    assert_int_equal(n_templates(g, LK_MODALITY_FACE), 1);
    assert_int_equal(stats_of(g).generation, 1);
    /* Another performer may hold the same photo. */
    assert_int_equal(lk__gallery_add_template(g, LK_MODALITY_FACE, "q", e,
        sha, "photo.jpg", &face, LK__TEMPLATE_ONCE, &t2, &dup), LK_OK);
    assert_int_equal(dup, 0);
    assert_true(t2 != t1);
    lk_gallery_close(g);
    assert_int_equal(db_int(dir, "SELECT count(*) FROM templates WHERE "
                                 "face_x = 10 AND face_w = 30 AND "
                                 "source_path = 'photo.jpg' AND dim = 128 "
                                 "AND model_id = 'test_model@1.0'"), 2);
    lk_test_rmtree(dir);
    free(dir);
}

/* ---- threads ----------------------------------------------------------------------------- */

enum { TH_NP = 10, TH_THREADS = 8, TH_ITERS = 400 };

typedef struct th_ctx {
    lk_gallery *g;
    float (*centre)[DIM];
    int wrong, searched;
    uint64_t seed;
} th_ctx;

static void *searcher(void *arg)
{
    th_ctx *c = arg;
    uint64_t s = c->seed;
    for (int it = 0; it < TH_ITERS; it++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        int p = (int)(s % TH_NP);
        lk_match m[3];
        int n = 0;
        if (lk_gallery_search(c->g, LK_MODALITY_FACE, c->centre[p], 3, m,
                              &n) != LK_OK || n < 1) {
            c->wrong++;
            continue;
        }
        char want[16];
        snprintf(want, sizeof want, "t%d", p);
        if (strcmp(m[0].performer_id, want) != 0)
            c->wrong++;
        /* The id is the match's own; the name is looked up, and may change
         * meanwhile (but these performers stay). */
        char *name = NULL;
        if (lk_gallery_performer_name(c->g, m[0].performer_id, &name) !=
                LK_OK ||
            strncmp(name, "name", 4) != 0)
            c->wrong++;
        lk_free(name);
        for (int i = 0; i < n; i++)
            c->searched += strlen(m[i].performer_id) > 0;
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    char *dir = gallery_dir("threads");
    lk_gallery *g = open_ok(dir, LK_GALLERY_CREATE);
    static float centre[TH_NP][DIM];
    rng_seed(77);
    char id[32];
    for (int p = 0; p < TH_NP; p++) {
        random_unit(centre[p], DIM);
        snprintf(id, sizeof id, "t%d", p);
        assert_int_equal(lk_gallery_add_performer(g, id, "name"), LK_OK);
        for (int t = 0; t < 3; t++) {
            float e[DIM];
            near(e, centre[p], DIM, 0.4);
            add_ok(g, id, e, NULL);
        }
    }
    pthread_t th[TH_THREADS];
    th_ctx ctx[TH_THREADS];
    for (int i = 0; i < TH_THREADS; i++) {
        ctx[i] = (th_ctx){ g, centre, 0, 0, 0x1234567ULL * (i + 1) };
        assert_int_equal(pthread_create(&th[i], NULL, searcher, &ctx[i]), 0);
    }
    /* Meanwhile: performers come and go, names change. */
    for (int j = 0; j < 40; j++) {
        snprintf(id, sizeof id, "temp-%d", j);
        assert_int_equal(lk_gallery_add_performer(g, id, "Temp"), LK_OK);
        float e[DIM];
        random_unit(e, DIM);
        add_ok(g, id, e, NULL);
        char nm[32];
        snprintf(nm, sizeof nm, "name %d", j);
        snprintf(id, sizeof id, "t%d", j % TH_NP);
        assert_int_equal(lk_gallery_add_performer(g, id, nm), LK_OK);
        if (j % 2) {
            snprintf(id, sizeof id, "temp-%d", j - 1);
            assert_int_equal(lk_gallery_remove_performer(g, id), LK_OK);
        }
    }
    int wrong = 0, searched = 0;
    for (int i = 0; i < TH_THREADS; i++) {
        pthread_join(th[i], NULL);
        wrong += ctx[i].wrong;
        searched += ctx[i].searched;
    }
    assert_int_equal(wrong, 0);
    assert_true(searched >= TH_THREADS * TH_ITERS);
    assert_int_equal(stats_of(g).performers, TH_NP + 20);
    lk_gallery_close(g);
    lk_test_rmtree(dir);
    free(dir);
}

/* ---- churn: a long-running process ----------------------------------------------------- */

/* Heap bytes in use (glibc), or -1 where that is not known. */
static long long heap_in_use(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
    struct mallinfo2 mi = mallinfo2();
    return (long long)mi.uordblks;
#else
    return -1;
#endif
}

/* Resident set size in bytes (Linux), or -1. */
static long long rss_now(void)
{
    long long pages = -1, resident = -1;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%lld %lld", &pages, &resident) != 2)
            resident = -1;
        fclose(f);
    }
    return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

/* Performers enrolled, renamed, searched and erased over and over on one
 * open gallery, while a second handle reloads what the first changed
 * (LK_CHURN cycles, default 300): searches stay right on both, and the
 * first handle's memory does not grow with the cycles. */
static void test_churn(void **state)
{
    (void)state;
    const char *env = getenv("LK_CHURN");
    const int n = env && atoi(env) > 0 ? atoi(env) : 300;
    char *dir = gallery_dir("churn");
    lk_gallery *g = open_ok(dir, LK_GALLERY_CREATE);
    enum { STABLE = 8 };
    static float stable[STABLE][DIM];
    char id[64], name[256];
    rng_seed(4711);
    for (int p = 0; p < STABLE; p++) {
        snprintf(id, sizeof id, "stable-%d", p);
        assert_int_equal(lk_gallery_add_performer(g, id, "Stable"), LK_OK);
        random_unit(stable[p], DIM);
        add_ok(g, id, stable[p], NULL);
    }
    lk_gallery *h = open_ok(dir, 0);
    long long heap0 = -1, rss0 = -1, sql0 = 0;
    const int warm = n / 10 > 0 ? n / 10 : 1;
    float e[DIM];
    double t0 = now_ms();
    for (int i = 0; i < n; i++) {
        if (i == warm) {
            heap0 = heap_in_use();
            rss0 = rss_now();
            sql0 = (long long)sqlite3_memory_used();
        }
        snprintf(id, sizeof id, "churn-%06d", i);
        snprintf(name, sizeof name, "Churned Performer %06d %0180d", i, i);
        assert_int_equal(lk_gallery_add_performer(g, id, name), LK_OK);
        random_unit(e, DIM);
        add_ok(g, id, e, NULL);
        name[0] = 'c';            /* a rename */
        assert_int_equal(lk_gallery_add_performer(g, id, name), LK_OK);
        assert_string_equal(top1(g, e, NULL), id);
        assert_string_equal(name_of(g, id), name);
        char want[32];
        snprintf(want, sizeof want, "stable-%d", i % STABLE);
        assert_string_equal(top1(g, stable[i % STABLE], NULL), want);
        if (i % 50 == 0) {
            /* The other handle sees the newcomer once it reloads. */
            assert_int_equal(lk__gallery_refresh(h), LK_OK);
            assert_string_equal(top1(h, e, NULL), id);
        }
        assert_int_equal(lk_gallery_remove_performer(g, id), LK_OK);
        const char *who = top1(g, e, NULL);
        assert_true(who != NULL && strncmp(who, "stable-", 7) == 0);
        if (i % 50 == 0) {
            assert_int_equal(lk__gallery_refresh(h), LK_OK);
            who = top1(h, e, NULL);
            assert_true(who != NULL && strncmp(who, "stable-", 7) == 0);
        }
    }
    const double ms = now_ms() - t0;
    const long long heap1 = heap_in_use(), rss1 = rss_now();
    /* SQLite's share: its page caches, bounded by cache_size, fill as the
     * audit log (three rows a cycle) grows the database. */
    const long long sql = (long long)sqlite3_memory_used() - sql0;
    const long long ours = heap0 >= 0 ? heap1 - heap0 - sql : 0;
    assert_int_equal(stats_of(g).performers, STABLE);
    assert_int_equal(n_templates(h, LK_MODALITY_FACE), STABLE);
    lk_gallery_close(h);
    lk_gallery_close(g);
    print_message("churn: %d cycles in %.0f ms; heap in use %lld bytes after "
                  "%d cycles, %lld after %d (%+lld, of which SQLite %+lld, "
                  "the rest %+lld); RSS %+lld KiB\n", n, ms, heap0, warm,
                  heap1, n, heap0 >= 0 ? heap1 - heap0 : 0, sql, ours,
                  (rss1 - rss0) / 1024);
    /* Nothing is kept per cycle (a retired name was about 200 bytes). */
    if (heap0 >= 0 && !getenv("LK_SANITIZED"))
        assert_true(ours < 16 * 1024);
    lk_test_rmtree(dir);
    free(dir);
}

/* ---- enrolment (needs models and photos) ---------------------------------------------------- */

static uint32_t crc32_png(const uint8_t *p, size_t n, uint32_t c)
{
    c = ~c;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return ~c;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void png_chunk(FILE *f, const char *type, const uint8_t *data,
                      uint32_t n)
{
    uint8_t b[8];
    put_be32(b, n);
    memcpy(b + 4, type, 4);
    fwrite(b, 1, 8, f);
    if (n)
        fwrite(data, 1, n, f);
    uint32_t c = crc32_png(b + 4, 4, 0);
    c = crc32_png(data, n, c);
    put_be32(b, c);
    fwrite(b, 1, 4, f);
}

/* A flat grey w x h PNG (stored, uncompressed deflate): no face in it. */
static void write_flat_png(const char *path, int w, int h)
{
    size_t row = (size_t)w + 1, raw_n = row * (size_t)h;
    uint8_t *raw = xmalloc(raw_n);
    for (int y = 0; y < h; y++) {
        raw[y * row] = 0;                        /* filter: none */
        memset(raw + y * row + 1, 128, (size_t)w);
    }
    size_t nblocks = (raw_n + 65534) / 65535;
    uint8_t *z = xmalloc(2 + raw_n + 5 * nblocks + 4);
    size_t zn = 0;
    z[zn++] = 0x78;
    z[zn++] = 0x01;
    for (size_t off = 0; off < raw_n; off += 65535) {
        size_t len = raw_n - off < 65535 ? raw_n - off : 65535;
        z[zn++] = off + len == raw_n;
        z[zn++] = (uint8_t)len;
        z[zn++] = (uint8_t)(len >> 8);
        z[zn++] = (uint8_t)~len;
        z[zn++] = (uint8_t)(~len >> 8);
        memcpy(z + zn, raw + off, len);
        zn += len;
    }
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < raw_n; i++) {
        a = (a + raw[i]) % 65521;
        b = (b + a) % 65521;
    }
    put_be32(z + zn, (b << 16) | a);
    zn += 4;
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite("\x89PNG\r\n\x1a\n", 1, 8, f);
    uint8_t ihdr[13];
    put_be32(ihdr, (uint32_t)w);
    put_be32(ihdr + 4, (uint32_t)h);
    ihdr[8] = 8;           /* bit depth */
    ihdr[9] = 0;           /* greyscale */
    ihdr[10] = ihdr[11] = ihdr[12] = 0;
    png_chunk(f, "IHDR", ihdr, 13);
    png_chunk(f, "IDAT", z, (uint32_t)zn);
    png_chunk(f, "IEND", NULL, 0);
    fclose(f);
    free(z);
    free(raw);
}

static void test_enroll_file(void **state)
{
    (void)state;
    const char *eval = lk_test_eval_dir();
    if (!eval)
        skip();
    char one[4096], two[4096];
    snprintf(one, sizeof one, "%s/faces_face_recognition/obama/obama.jpg",
             eval);
    snprintf(two, sizeof two,
             "%s/faces_face_recognition/_group/obama_and_biden.jpg", eval);
    if (!file_exists(one) || !file_exists(two))
        skip();
    lk_engine_params ep = lk_engine_default_params();
    lk_engine *eng = NULL;
    if (lk_engine_open(&ep, &eng) != LK_OK)
        skip();                                    /* models not fetched */
    lk_session *ses = NULL;
    assert_int_equal(lk_session_new(eng, &ses), LK_OK);
    char *dir = gallery_dir("enroll");
    char *scratch = scratch_dir("enroll-img");
    char *none = join(scratch, "flat.png");
    write_flat_png(none, 160, 120);
    lk_gallery *g = NULL;
    assert_int_equal(lk_gallery_open(dir, eng, LK_GALLERY_CREATE, &g), LK_OK);
    assert_string_equal(mod_of(g, LK_MODALITY_FACE).model,
                        lk_engine_face_model_id(eng));

    lk_enroll_result r;
    assert_int_equal(lk_gallery_enroll(g, ses, "obama", LK_MODALITY_FACE, one, 0, &r),
                     LK_ERR_NOT_FOUND);
    assert_int_equal(lk_gallery_add_performer(g, "obama", "Barack Obama"),
                     LK_OK);
    assert_int_equal(lk_gallery_enroll(g, ses, "obama", LK_MODALITY_FACE, one, 0, &r),
                     LK_OK);
    assert_int_equal(r.faces_found, 1);
    assert_int_equal(r.duplicate, 0);
    assert_true(r.template_id > 0);
    assert_true(r.face.w > 20 && r.face.h > 20);
    int64_t first = r.template_id;
    assert_int_equal(lk_gallery_enroll(g, ses, "obama", LK_MODALITY_FACE, one, 0, &r),
                     LK_OK);
    assert_int_equal(r.duplicate, 1);
    assert_int_equal(r.template_id, first);
    assert_int_equal(n_templates(g, LK_MODALITY_FACE), 1);

    assert_int_equal(lk_gallery_enroll(g, ses, "obama", LK_MODALITY_FACE, two, 0, &r),
                     LK_ERR_MANY_FACES);
    assert_non_null(strstr(lk_last_error(), "obama_and_biden.jpg"));
    const char *many = strstr(lk_last_error(), ": ");
    int nf = 0;
    assert_non_null(many);
    assert_int_equal(sscanf(many, ": %d faces found", &nf), 1);
    assert_true(nf >= 2);
    assert_int_equal(lk_gallery_enroll(g, ses, "obama", LK_MODALITY_FACE, none, 0, &r),
                     LK_ERR_NO_FACE);
    assert_non_null(strstr(lk_last_error(), "flat.png"));
    assert_int_equal(lk_gallery_enroll(g, ses, "obama", LK_MODALITY_FACE, two,
                                            LK_ENROLL_LARGEST, &r), LK_OK);
    assert_int_equal(r.faces_found, nf);
    assert_int_equal(n_templates(g, LK_MODALITY_FACE), 2);
    lk_gallery_close(g);
    assert_int_equal(db_int(dir, "SELECT count(*) FROM audit WHERE "
                                 "action = 'enrol'"), 2);
    lk_session_free(ses);
    lk_engine_free(eng);
    lk_test_rmtree(scratch);
    free(scratch);
    free(none);
    lk_test_rmtree(dir);
    free(dir);
}

/* ---- voice ------------------------------------------------------------------------------- */

/* Three performers: "f" with faces only, "v" with voices only, "fv" with
 * both; 2 templates of each kind.  face[] and voice[] receive the centres
 * (voice[0] for "v", voice[1] for "fv"; face[0] for "f", face[1] "fv"). */
static void mixed_gallery(const char *dir, float face[2][DIM], float *voice)
{
    lk_gallery *g = open_voice(dir, VMODEL, VDIM, LK_GALLERY_CREATE);
    rng_seed(4242);
    assert_int_equal(lk_gallery_add_performer(g, "f", "Face Only"), LK_OK);
    assert_int_equal(lk_gallery_add_performer(g, "v", "Voice Only"), LK_OK);
    assert_int_equal(lk_gallery_add_performer(g, "fv", "Both"), LK_OK);
    float *e = voice_vecs(1);
    for (int p = 0; p < 2; p++) {
        random_unit(face[p], DIM);
        random_unit(voice + (size_t)p * VDIM, VDIM);
        for (int t = 0; t < 2; t++) {
            float fe[DIM];
            near(fe, face[p], DIM, 0.5);
            add_ok(g, p ? "fv" : "f", fe, NULL);
            near(e, voice + (size_t)p * VDIM, VDIM, 0.5);
            add_voice_ok(g, p ? "fv" : "v", e, NULL);
        }
    }
    free(e);
    lk_gallery_close(g);
}

static void expect_mixed(lk_gallery *g, float face[2][DIM], const float *voice)
{
    assert_string_equal(top1(g, face[0], NULL), "f");
    assert_string_equal(top1(g, face[1], NULL), "fv");
    assert_string_equal(top1_voice(g, voice, NULL), "v");
    assert_string_equal(top1_voice(g, voice + VDIM, NULL), "fv");
}

static void test_voice_search_by_modality(void **state)
{
    (void)state;
    char *dir = gallery_dir("voice");
    float face[2][DIM];
    float *voice = voice_vecs(2);
    mixed_gallery(dir, face, voice);

    lk_gallery *g = open_voice(dir, VMODEL, VDIM, 0);
    lk_gallery_stats st = stats_of(g);
    assert_int_equal(st.performers, 3);
    assert_int_equal(n_templates(g, LK_MODALITY_FACE),
                     4);            /* faces */
    assert_int_equal(n_templates(g, LK_MODALITY_VOICE), 4);
    assert_string_equal(mod_of(g, LK_MODALITY_VOICE).model, VMODEL);
    assert_int_equal(mod_of(g, LK_MODALITY_VOICE).dim, VDIM);
    assert_int_equal(any_rebuilt(g), 0);
    assert_int_equal(st.generation, 8);   /* one counter for both */
    expect_mixed(g, face, voice);

    /* Each modality finds only performers with templates of it, however
     * many are asked for. */
    lk_match m[8];
    int n = 0;
    assert_int_equal(lk_gallery_search(g, LK_MODALITY_VOICE, voice, 8,
                                                m, &n), LK_OK);
    assert_int_equal(n, 2);
    for (int i = 0; i < n; i++)
        assert_true(!strcmp(m[i].performer_id, "v") ||
                    !strcmp(m[i].performer_id, "fv"));
    assert_string_equal(name_of(g, m[0].performer_id), "Voice Only");
    assert_true(m[0].score > 0.8f && m[1].score < 0.2f);
    assert_int_equal(lk_gallery_search(g, LK_MODALITY_FACE, face[0],
                                                8, m, &n), LK_OK);
    assert_int_equal(n, 2);
    for (int i = 0; i < n; i++)
        assert_true(!strcmp(m[i].performer_id, "f") ||
                    !strcmp(m[i].performer_id, "fv"));
    assert_int_equal(lk_gallery_search(g, LK_MODALITY_FACE, face[0], 8, m,
                                       &n), LK_OK);
    assert_int_equal(n, 2);

    /* An embedding of the other modality's size, or not normalised. */
    assert_int_equal(lk_gallery_search(g, LK_MODALITY_VOICE, voice, 0,
                                                m, &n), LK_ERR_MISUSE);
    assert_int_equal(lk_gallery_search(g, (lk_modality)7, voice, 1, m,
                                                &n), LK_ERR_MISUSE);
    float *bad = voice_vecs(1);
    memcpy(bad, voice, sizeof(float) * VDIM);
    bad[VDIM - 1] += 0.5f;
    assert_int_equal(lk_gallery_search(g, LK_MODALITY_VOICE, bad, 1,
                                                m, &n), LK_ERR_MISUSE);
    assert_non_null(strstr(lk_last_error(), "15360"));
    assert_int_equal(lk__gallery_add_template(g, LK_MODALITY_VOICE,
                                                       "v", bad, NULL, NULL,
                                                       NULL, 0, NULL, NULL),
                     LK_ERR_MISUSE);
    lk_face box = { 1, 2, 3, 4, 0.9f, { { 0 } } };
    assert_int_equal(lk__gallery_add_template(g, LK_MODALITY_VOICE,
                                                       "v", voice, NULL, NULL,
                                                       &box, 0, NULL, NULL),
                     LK_ERR_MISUSE);
    free(bad);

    /* Duplicates are per performer and modality: a source hash enrolled as
     * a face is not a voice duplicate, and the other way round. */
    char sha[65];
    lk__sha256_hex("recording", 9, sha);
    int64_t tf = 0, tv = 0, t2 = 0;
    int dup = -1;
    assert_int_equal(lk__gallery_add_template(g, LK_MODALITY_FACE, "fv",
        face[1], sha, "x", NULL, LK__TEMPLATE_ONCE, &tf, &dup), LK_OK);
    assert_int_equal(dup, 0);
    assert_int_equal(lk__gallery_source_template(
                         g, LK_MODALITY_VOICE, "fv", sha), 0);
    assert_int_equal(lk__gallery_add_template(
                         g, LK_MODALITY_VOICE, "fv", voice + VDIM, sha, "x",
                         NULL, LK__TEMPLATE_ONCE, &tv, &dup), LK_OK);
    assert_int_equal(dup, 0);
    assert_true(tv != tf);
    assert_int_equal(lk__gallery_source_template(
                         g, LK_MODALITY_VOICE, "fv", sha), tv);
    assert_int_equal(lk__gallery_source_template(g, LK_MODALITY_FACE, "fv",
                                                 sha), tf);
    assert_int_equal(lk__gallery_add_template(
                         g, LK_MODALITY_VOICE, "fv", voice + VDIM, sha, "x",
                         NULL, LK__TEMPLATE_ONCE, &t2, &dup), LK_OK);
    assert_int_equal(dup, 1);
    assert_int_equal(t2, tv);

    listed l = { .stop_after = -1, .g = g };
    assert_int_equal(lk_gallery_performers(g, collect, &l), LK_OK);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.ids[0], "f");
    assert_int_equal(l.templates[0], 2);
    assert_int_equal(l.voice_templates[0], 0);
    assert_string_equal(l.ids[1], "fv");
    assert_int_equal(l.templates[1], 3);
    assert_int_equal(l.voice_templates[1], 3);
    assert_string_equal(l.ids[2], "v");
    assert_int_equal(l.templates[2], 0);
    assert_int_equal(l.voice_templates[2], 2);
    lk_gallery_close(g);

    assert_int_equal(db_int(dir, "SELECT count(*) FROM templates WHERE "
                                 "modality = 'voice' AND dim = 15360 AND "
                                 "model_id = 'test_voice@1' AND face_x IS "
                                 "NULL"), 5);
    assert_int_equal(db_int(dir, "SELECT count(*) FROM audit WHERE action = "
                                 "'enrol' AND detail LIKE 'voice template %'"),
                     5);
    free(voice);
    lk_test_rmtree(dir);
    free(dir);
}

static void test_voice_model_mismatch(void **state)
{
    (void)state;
    char *dir = gallery_dir("voice-model");
    float face[2][DIM];
    float *voice = voice_vecs(2);
    mixed_gallery(dir, face, voice);

    /* Another speaker embedder: the gallery opens, faces work, voice is
     * refused naming both models. */
    lk_gallery *g = open_voice(dir, "other_voice@2", 4096, 0);
    assert_string_equal(top1(g, face[0], NULL), "f");
    float fe[DIM];
    rng_seed(61);
    random_unit(fe, DIM);
    add_ok(g, "v", fe, NULL);                  /* face enrolment goes on */
    lk_match m[2];
    int n = -1;
    float *q = voice_vecs(1);
    rng_seed(62);
    random_unit(q, VDIM);
    assert_int_equal(lk_gallery_search(g, LK_MODALITY_VOICE, q, 2, m,
                                                &n), LK_ERR_MODEL_MISMATCH);
    assert_int_equal(n, 0);
    assert_non_null(strstr(lk_last_error(), VMODEL));
    assert_non_null(strstr(lk_last_error(), "other_voice@2"));
    assert_non_null(strstr(lk_last_error(), dir));
    assert_int_equal(lk__gallery_add_template(g, LK_MODALITY_VOICE,
                                                       "v", q, NULL, NULL,
                                                       NULL, 0, NULL, NULL),
                     LK_ERR_MODEL_MISMATCH);
    assert_non_null(strstr(lk_last_error(), VMODEL));
    assert_non_null(strstr(lk_last_error(), "other_voice@2"));
    assert_int_equal(lk__gallery_modality_ready(g, LK_MODALITY_VOICE),
                     LK_ERR_MODEL_MISMATCH);
    assert_int_equal(mod_of(g, LK_MODALITY_VOICE).usable,
                     LK_ERR_MODEL_MISMATCH);
    assert_int_equal(mod_of(g, LK_MODALITY_FACE).usable, LK_OK);
    lk_gallery_modality mi;
    assert_int_equal(lk_gallery_modality_info(g, (lk_modality)7, &mi),
                     LK_ERR_MISUSE);
    assert_int_equal(lk_gallery_modality_info(NULL, LK_MODALITY_FACE, &mi),
                     LK_ERR_MISUSE);
    assert_string_equal(mod_of(g, LK_MODALITY_VOICE).model,
                        VMODEL);   /* the recorded one */
    assert_int_equal(mod_of(g, LK_MODALITY_VOICE).dim, VDIM);
    assert_int_equal(n_templates(g, LK_MODALITY_VOICE), 4);
    lk_gallery_close(g);

    /* No speaker embedder: the same, with LK_ERR_MODEL. */
    g = open_ok(dir, 0);
    assert_string_equal(top1(g, face[1], NULL), "fv");
    assert_int_equal(lk_gallery_search(g, LK_MODALITY_VOICE, q, 2, m,
                                                &n), LK_ERR_MODEL);
    assert_non_null(strstr(lk_last_error(), "no speaker embedder loaded"));
    assert_int_equal(mod_of(g, LK_MODALITY_VOICE).usable, LK_ERR_MODEL);
    assert_int_equal(lk__gallery_add_template(g, LK_MODALITY_VOICE,
                                                       "v", q, NULL, NULL,
                                                       NULL, 0, NULL, NULL),
                     LK_ERR_MODEL);
    assert_string_equal(mod_of(g, LK_MODALITY_VOICE).model, VMODEL);
    lk_gallery_close(g);

    /* Nothing changed for voice: the recorded model still opens it, and
     * the voice index (stale since the face enrolment) is rebuilt. */
    assert_int_equal(db_int(dir, "SELECT value FROM meta WHERE key = "
                                 "'voice_dim'"), VDIM);
    g = open_voice(dir, VMODEL, VDIM, 0);
    assert_int_equal(rebuilt(g, LK_MODALITY_VOICE), 1);
    expect_mixed(g, face, voice);
    assert_int_equal(n_templates(g, LK_MODALITY_VOICE), 4);
    lk_gallery_close(g);
    /* A dimension that differs under the same id is another model too. */
    g = open_voice(dir, VMODEL, VDIM / 2, 0);
    assert_int_equal(lk__gallery_modality_ready(g, LK_MODALITY_VOICE),
                     LK_ERR_MODEL_MISMATCH);
    assert_non_null(strstr(lk_last_error(), "7680"));
    lk_gallery_close(g);
    free(q);
    free(voice);
    lk_test_rmtree(dir);
    free(dir);
}

static void test_voice_upgrade(void **state)
{
    (void)state;
    char *dir = gallery_dir("voice-upgrade");
    /* A gallery made without voice, as before voice existed. */
    float probes[3][DIM];
    small_gallery(dir, probes);
    lk_gallery *g = open_ok(dir, 0);
    assert_null(mod_of(g, LK_MODALITY_VOICE).model);
    assert_int_equal(mod_of(g, LK_MODALITY_VOICE).dim, 0);
    lk_gallery_close(g);
    assert_int_equal(db_int(dir, "SELECT count(*) FROM meta WHERE key LIKE "
                                 "'voice%'"), 0);
    char *vix = join(dir, "voice.faiss");

    /* Read-only: nothing recorded, voice usable (and empty). */
    g = open_voice(dir, VMODEL, VDIM, LK_GALLERY_READONLY);
    assert_null(mod_of(g, LK_MODALITY_VOICE).model);
    float *v = voice_vecs(2);
    rng_seed(77);
    random_unit(v, VDIM);
    random_unit(v + VDIM, VDIM);
    assert_null(top1_voice(g, v, NULL));
    expect_answers(g, probes);
    lk_gallery_close(g);
    assert_int_equal(db_int(dir, "SELECT count(*) FROM meta WHERE key LIKE "
                                 "'voice%'"), 0);
    assert_false(file_exists(vix));

    /* The first writable open records the speaker embedder; the face
     * index is untouched. */
    g = open_voice(dir, VMODEL, VDIM, 0);
    assert_string_equal(mod_of(g, LK_MODALITY_VOICE).model, VMODEL);
    assert_int_equal(mod_of(g, LK_MODALITY_VOICE).dim, VDIM);
    assert_int_equal(rebuilt(g, LK_MODALITY_FACE), 0);
    expect_answers(g, probes);
    add_voice_ok(g, "a", v, NULL);
    assert_string_equal(top1_voice(g, v, NULL), "a");
    lk_gallery_close(g);
    assert_int_equal(db_int(dir, "SELECT count(*) FROM meta WHERE "
                                 "(key = 'voice_model' AND value = "
                                 "'test_voice@1') OR (key = 'voice_dim' AND "
                                 "value = 15360)"), 2);
    assert_true(file_exists(vix));

    /* From now on another speaker embedder is refused for voice. */
    g = open_voice(dir, "other_voice@2", VDIM, 0);
    assert_int_equal(lk__gallery_add_template(g, LK_MODALITY_VOICE,
                                                       "b", v + VDIM, NULL,
                                                       NULL, NULL, 0, NULL,
                                                       NULL),
                     LK_ERR_MODEL_MISMATCH);
    expect_answers(g, probes);
    lk_gallery_close(g);
    g = open_voice(dir, VMODEL, VDIM, 0);
    assert_string_equal(top1_voice(g, v, NULL), "a");
    assert_int_equal(n_templates(g, LK_MODALITY_VOICE), 1);
    lk_gallery_close(g);

    /* A face-only engine can still create galleries: none recorded. */
    char *dir2 = gallery_dir("voice-none");
    g = open_ok(dir2, LK_GALLERY_CREATE);
    assert_null(mod_of(g, LK_MODALITY_VOICE).model);
    lk_gallery_close(g);
    /* ... and one with a voice model records it at creation. */
    char *dir3 = gallery_dir("voice-new");
    g = open_voice(dir3, VMODEL, VDIM, LK_GALLERY_CREATE);
    assert_string_equal(mod_of(g, LK_MODALITY_VOICE).model, VMODEL);
    lk_gallery_close(g);

    assert_int_equal(open_with(dir, MODEL, DIM, VMODEL, 0, 0, &g),
                     LK_ERR_MISUSE);
    assert_null(g);
    free(v);
    free(vix);
    lk_test_rmtree(dir3);
    free(dir3);
    lk_test_rmtree(dir2);
    free(dir2);
    lk_test_rmtree(dir);
    free(dir);
}

/* ---- without an engine ------------------------------------------------------------ */

/* Opened with the models the gallery records: everything but adding
 * templates works, voice included. */
static void test_open_without_engine(void **state)
{
    (void)state;
    char *dir = gallery_dir("no-engine");
    lk_gallery *g = (lk_gallery *)1;
    assert_int_equal(lk_gallery_open(dir, NULL, 0, &g), LK_ERR_NOT_FOUND);
    assert_null(g);
    assert_int_equal(lk_gallery_open(NULL, NULL, 0, &g), LK_ERR_MISUSE);
    float face[2][DIM];
    float *voice = voice_vecs(2);
    mixed_gallery(dir, face, voice);

    assert_int_equal(lk_gallery_open(dir, NULL, 0, &g), LK_OK);
    lk_gallery_stats st = stats_of(g);
    assert_string_equal(mod_of(g, LK_MODALITY_FACE).model, MODEL);
    assert_int_equal(mod_of(g, LK_MODALITY_FACE).dim, DIM);
    assert_string_equal(mod_of(g, LK_MODALITY_VOICE).model, VMODEL);
    assert_int_equal(mod_of(g, LK_MODALITY_VOICE).dim, VDIM);
    assert_int_equal(st.performers, 3);
    assert_int_equal(any_rebuilt(g), 0);
    expect_mixed(g, face, voice);
    listed l = { .stop_after = -1, .g = g };
    assert_int_equal(lk_gallery_performers(g, collect, &l), LK_OK);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.voice_templates[1], 2);
    assert_int_equal(lk_gallery_audit(g, "export", NULL, NULL), LK_OK);

    /* No model vouches for an embedding: templates are refused. */
    assert_int_equal(lk__gallery_add_template(g, LK_MODALITY_FACE, "f",
        face[0], NULL, NULL, NULL, 0, NULL, NULL), LK_ERR_MISUSE);
    assert_non_null(strstr(lk_last_error(), "without an engine"));
    assert_int_equal(lk__gallery_add_template(
                         g, LK_MODALITY_VOICE, "v", voice, NULL, NULL, NULL,
                         0, NULL, NULL), LK_ERR_MISUSE);
    /* Performers come and go; erasure takes both modalities, and both
     * index files are rewritten (not dropped) since both are loaded. */
    assert_int_equal(lk_gallery_add_performer(g, "new", "New"), LK_OK);
    assert_int_equal(lk_gallery_remove_performer(g, "fv"), LK_OK);
    const char *who = top1(g, face[1], NULL);
    assert_true(who == NULL || strcmp(who, "fv") != 0);
    assert_string_equal(top1_voice(g, voice, NULL), "v");
    who = top1_voice(g, voice + VDIM, NULL);
    assert_true(who == NULL || strcmp(who, "fv") != 0);
    lk_gallery_close(g);
    char *vix = join(dir, "voice.faiss");
    assert_true(file_exists(vix));
    g = open_voice(dir, VMODEL, VDIM, 0);
    assert_int_equal(rebuilt(g, LK_MODALITY_VOICE), 0);
    assert_int_equal(rebuilt(g, LK_MODALITY_FACE), 0);
    assert_int_equal(n_templates(g, LK_MODALITY_VOICE), 2);
    assert_int_equal(stats_of(g).performers, 3);
    lk_gallery_close(g);

    /* Read-only, and a gallery of any face model. */
    assert_int_equal(lk_gallery_open(dir, NULL, LK_GALLERY_READONLY, &g),
                     LK_OK);
    assert_string_equal(top1(g, face[0], NULL), "f");
    lk_gallery_close(g);
    char *other = gallery_dir("no-engine-other");
    g = NULL;
    assert_int_equal(open_with(other, "other_model@3", 64, NULL, 0,
                               LK_GALLERY_CREATE, &g), LK_OK);
    lk_gallery_close(g);
    assert_int_equal(lk_gallery_open(other, NULL, 0, &g), LK_OK);
    assert_string_equal(mod_of(g, LK_MODALITY_FACE).model, "other_model@3");
    assert_null(mod_of(g, LK_MODALITY_VOICE).model);
    /* No voice recorded: voice is refused, nothing gets recorded. */
    float q[64];
    random_unit(q, 64);
    lk_match m[1];
    int n = -1;
    assert_int_equal(lk_gallery_search(g, LK_MODALITY_VOICE, voice,
                                                1, m, &n), LK_ERR_MODEL);
    assert_int_equal(lk_gallery_search(g, LK_MODALITY_FACE, q, 1, m, &n),
                     LK_OK);
    assert_int_equal(n, 0);
    lk_gallery_close(g);
    assert_int_equal(db_int(other, "SELECT count(*) FROM meta WHERE key "
                                   "LIKE 'voice%'"), 0);
    lk_test_rmtree(other);
    free(other);
    free(vix);
    free(voice);
    lk_test_rmtree(dir);
    free(dir);
}

/* ---- voice erasure by a handle that does not load voice ------------------------------ */

/* A face-only engine erases a performer of a voice gallery: the voice rows
 * go, and voice.faiss, which it cannot rewrite, too; it is rebuilt by the
 * next handle that loads voice, without the erased voices. */
static void test_voice_remove_without_voice(void **state)
{
    (void)state;
    char *dir = gallery_dir("voice-erase-face-only");
    float face[2][DIM];
    float *voice = voice_vecs(2);
    mixed_gallery(dir, face, voice);
    lk_gallery *g = open_ok(dir, 0);
    assert_int_equal(lk_gallery_remove_performer(g, "fv"), LK_OK);
    lk_gallery_close(g);
    char *vix = join(dir, "voice.faiss");
    assert_false(file_exists(vix));
    g = open_voice(dir, VMODEL, VDIM, 0);
    assert_int_equal(rebuilt(g, LK_MODALITY_VOICE), 1);
    assert_int_equal(n_templates(g, LK_MODALITY_VOICE), 2);
    assert_int_equal(stats_of(g).performers, 2);
    assert_string_equal(top1_voice(g, voice, NULL), "v");
    const char *who = top1_voice(g, voice + VDIM, NULL);
    assert_true(who == NULL || strcmp(who, "fv") != 0);
    lk_gallery_close(g);
    assert_true(file_exists(vix));
    assert_int_equal(db_int(dir, "SELECT count(*) FROM templates t JOIN "
                                 "performers p ON p.id = t.performer WHERE "
                                 "p.ext_id = 'fv'"), 0);
    free(vix);
    free(voice);
    lk_test_rmtree(dir);
    free(dir);
}

/* ---- voice enrolment (needs the speaker embedder and recordings) ------------------------ */

static int run_ffmpeg(const char *args, const char *out)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "ffmpeg -nostdin -hide_banner -loglevel error "
             "-y %s '%s' </dev/null", args, out);
    return system(cmd);
}

static void test_enroll_voice_file(void **state)
{
    (void)state;
    const char *eval = lk_test_eval_dir();
    if (!eval)
        skip();
    char one[4096], two[4096];
    snprintf(one, sizeof one, "%s/voices_librispeech_resemblyzer/test-other/"
             "1688/1688-142285-0000.flac", eval);
    snprintf(two, sizeof two, "%s/voices_librispeech_resemblyzer/test-other/"
             "1688/1688-142285-0001.flac", eval);
    if (!file_exists(one) || !file_exists(two))
        skip();
    lk_engine_params ep = lk_engine_default_params();
    lk_engine *eng = NULL;
    if (lk_engine_open(&ep, &eng) != LK_OK)
        skip();                                    /* models not fetched */
    if (!lk_engine_voice_model_id(eng)) {
        lk_engine_free(eng);
        skip();                                    /* no speaker embedder */
    }
    char *scratch = scratch_dir("enroll-voice");
    char *silence = join(scratch, "silence.wav");
    char *narrow = join(scratch, "narrow.wav");
    char *mute = join(scratch, "mute.mp4");
    if (run_ffmpeg("-f lavfi -i anullsrc=r=16000:cl=mono -t 3", silence) ||
        run_ffmpeg("-f lavfi -i sine=frequency=300:sample_rate=8000 -t 3",
                   narrow) ||
        run_ffmpeg("-f lavfi -i testsrc=size=64x48:rate=10 -t 1 -an", mute)) {
        lk_engine_free(eng);
        lk_test_rmtree(scratch);
        free(scratch);
        free(silence);
        free(narrow);
        free(mute);
        skip();                                    /* no ffmpeg */
    }
    lk_session *ses = NULL;
    assert_int_equal(lk_session_new(eng, &ses), LK_OK);
    char *dir = gallery_dir("enroll-voice");
    lk_gallery *g = NULL;
    assert_int_equal(lk_gallery_open(dir, eng, LK_GALLERY_CREATE, &g), LK_OK);
    assert_string_equal(mod_of(g, LK_MODALITY_VOICE).model,
                        lk_engine_voice_model_id(eng));
    assert_int_equal(mod_of(g, LK_MODALITY_VOICE).dim,
                     lk_engine_voice_dim(eng));

    lk_enroll_result r;
    assert_int_equal(lk_gallery_enroll(g, ses, "1688", LK_MODALITY_VOICE, one, 0, &r),
                     LK_ERR_NOT_FOUND);
    assert_non_null(strstr(lk_last_error(), "1688"));
    assert_int_equal(lk_gallery_add_performer(g, "1688", "Reader 1688"),
                     LK_OK);
    assert_int_equal(lk_gallery_enroll(g, ses, "1688", LK_MODALITY_VOICE, one, 1, &r),
                     LK_ERR_MISUSE);
    assert_int_equal(lk_gallery_enroll(g, ses, "1688", LK_MODALITY_VOICE, one, 0, &r),
                     LK_OK);
    assert_int_equal(r.duplicate, 0);
    assert_true(r.template_id > 0);
    assert_true(r.seconds > 5 && r.speech_seconds > 2 &&
                r.speech_seconds <= r.seconds);
    int64_t first = r.template_id;
    assert_int_equal(lk_gallery_enroll(g, ses, "1688", LK_MODALITY_VOICE, one, 0, &r),
                     LK_OK);
    assert_int_equal(r.duplicate, 1);
    assert_int_equal(r.template_id, first);
    assert_true(r.seconds == 0);
    assert_int_equal(n_templates(g, LK_MODALITY_VOICE), 1);
    assert_int_equal(n_templates(g, LK_MODALITY_FACE), 0);

    /* Refusals name the file and the cause, and add nothing. */
    assert_int_equal(lk_gallery_enroll(g, ses, "1688", LK_MODALITY_VOICE, silence, 0,
                                                  &r), LK_ERR_FORMAT);
    assert_non_null(strstr(lk_last_error(), "silence.wav"));
    assert_non_null(strstr(lk_last_error(), "too little speech"));
    assert_int_equal(r.template_id, 0);
    assert_int_equal(lk_gallery_enroll(g, ses, "1688", LK_MODALITY_VOICE, narrow, 0,
                                                  &r), LK_ERR_FORMAT);
    assert_non_null(strstr(lk_last_error(), "narrow.wav"));
    assert_non_null(strstr(lk_last_error(), "8000 Hz"));
    assert_int_equal(lk_gallery_enroll(g, ses, "1688", LK_MODALITY_VOICE, mute, 0,
                                                  &r), LK_ERR_FORMAT);
    assert_non_null(strstr(lk_last_error(), "mute.mp4"));
    assert_non_null(strstr(lk_last_error(), "no audio stream"));
    assert_int_equal(n_templates(g, LK_MODALITY_VOICE), 1);

    /* Another utterance of the same reader finds the template; the file is
     * embedded as enrolment would. */
    float *q = xmalloc(sizeof(float) * (size_t)lk_engine_voice_dim(eng));
    assert_int_equal(voice_embed_file(ses->voice, two, q, NULL), LK_OK);
    lk_match m[2];
    int n = 0;
    assert_int_equal(lk_gallery_search(g, LK_MODALITY_VOICE, q, 2, m,
                                                &n), LK_OK);
    assert_int_equal(n, 1);
    assert_string_equal(m[0].performer_id, "1688");
    assert_int_equal(m[0].template_id, first);
    assert_true(m[0].score >= eng->voice->threshold);
    /* Voice templates are not faces. */
    assert_int_equal(lk_gallery_enroll(g, ses, "1688", LK_MODALITY_VOICE, two, 0, &r),
                     LK_OK);
    assert_int_equal(r.duplicate, 0);
    lk_gallery_close(g);
    assert_int_equal(db_int(dir, "SELECT count(*) FROM templates WHERE "
                                 "modality = 'voice' AND source_sha256 IS NOT "
                                 "NULL AND source_path LIKE '%.flac'"), 2);

    /* A gallery of another speaker embedder refuses the session. */
    char *dir2 = gallery_dir("enroll-voice-other");
    assert_int_equal(open_with(dir2, lk_engine_face_model_id(eng),
                               lk_engine_face_dim(eng), "other_voice@2", 4096,
                               LK_GALLERY_CREATE, &g), LK_OK);
    assert_int_equal(lk_gallery_add_performer(g, "1688", NULL), LK_OK);
    assert_int_equal(lk_gallery_enroll(g, ses, "1688", LK_MODALITY_VOICE, one, 0, &r),
                     LK_ERR_MODEL_MISMATCH);
    assert_non_null(strstr(lk_last_error(), "other_voice@2"));
    assert_non_null(strstr(lk_last_error(), lk_engine_voice_model_id(eng)));
    lk_gallery_close(g);
    /* ... and a gallery opened without one says so. */
    assert_int_equal(open_with(dir2, lk_engine_face_model_id(eng),
                               lk_engine_face_dim(eng), NULL, 0, 0, &g),
                     LK_OK);
    assert_int_equal(lk_gallery_enroll(g, ses, "1688", LK_MODALITY_VOICE, one, 0, &r),
                     LK_ERR_MODEL);
    assert_non_null(strstr(lk_last_error(), "no speaker embedder loaded"));
    lk_gallery_close(g);

    free(q);
    lk_session_free(ses);
    lk_engine_free(eng);
    lk_test_rmtree(dir2);
    free(dir2);
    lk_test_rmtree(dir);
    free(dir);
    lk_test_rmtree(scratch);
    free(scratch);
    free(silence);
    free(narrow);
    free(mute);
}

/* Issue 17 row 7: an empty gallery.db is damage, reported and never
 * built over; row 13: every gallery file private (0600, directories 0700),
 * also in a directory that existed before. */
static void test_empty_db_is_damage(void **state)
{
    (void)state;
    char *dir = gallery_dir("empty");
    char *db = join(dir, "gallery.db");
    assert_int_equal(mkdir(dir, 0755), 0);
    write_file(db, "", 0);
    lk_gallery *g = NULL;
    assert_int_equal(open_with(dir, MODEL, DIM, NULL, 0, LK_GALLERY_CREATE,
                               &g), LK_ERR_DB);
    assert_null(g);
    assert_non_null(strstr(lk_last_error(), "gallery.db"));
    assert_non_null(strstr(lk_last_error(), "empty"));
    assert_int_equal(open_with(dir, MODEL, DIM, NULL, 0, LK_GALLERY_READONLY,
                               &g), LK_ERR_DB);
    struct stat sb;
    assert_int_equal(stat(db, &sb), 0);
    assert_int_equal(sb.st_size, 0);
    free(db);
    lk_test_rmtree(dir);
    free(dir);
}

static void assert_mode(const char *dir, const char *name, unsigned want)
{
    char *p = join(dir, name);
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    if ((sb.st_mode & 0777) != want)
        fail_msg("%s: mode %o, want %o", p, sb.st_mode & 0777, want);
    free(p);
}

static void test_files_private(void **state)
{
    (void)state;
    mode_t old = umask(022);
    /* In a directory made before. */
    char *dir = gallery_dir("private");
    assert_int_equal(mkdir(dir, 0755), 0);
    lk_gallery *g = open_ok(dir, LK_GALLERY_CREATE);
    float e[DIM];
    rng_seed(3);
    random_unit(e, DIM);
    assert_int_equal(lk_gallery_add_performer(g, "p", NULL), LK_OK);
    add_ok(g, "p", e, NULL);
    assert_mode(dir, "gallery.db", 0600);
    assert_mode(dir, "gallery.db-wal", 0600);
    assert_mode(dir, "gallery.db-shm", 0600);
    lk_gallery_close(g);
    assert_mode(dir, "gallery.db", 0600);
    assert_mode(dir, "face.faiss", 0600);
    lk_test_rmtree(dir);
    /* Made by the gallery, with a parent. */
    char *sub = join(dir, "a/b");
    g = open_ok(sub, LK_GALLERY_CREATE);
    lk_gallery_close(g);
    assert_mode(dir, "a", 0700);
    assert_mode(dir, "a/b", 0700);
    assert_mode(sub, "gallery.db", 0600);
    free(sub);
    lk_test_rmtree(dir);
    free(dir);
    umask(old);
}

/* Warnings the library logs, kept for the tests to read. */
static char logged[16384];

static void keep_log(lk_log_level level, const char *msg, void *user)
{
    (void)user;
    if (level <= LK_LOG_WARN) {
        size_t n = strlen(logged);
        snprintf(logged + n, sizeof logged - n, "%s\n", msg);
    }
}

/* Insert a template row of performer ext_id with blob e (n bytes) and
 * dim, straight into the file; id 0: SQLite's choice. */
static void raw_template(const char *dir, int64_t id, const char *ext_id,
                         const void *e, int n, int dim)
{
    char *path = join(dir, "gallery.db");
    sqlite3 *db;
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
        "INSERT INTO templates (id, performer, modality, model_id, dim, "
        "embedding, created) VALUES (?1, (SELECT id FROM performers WHERE "
        "ext_id = ?2), 'face', ?3, ?4, ?5, 0)", -1, &s, NULL), SQLITE_OK);
    if (id)
        sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, ext_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, MODEL, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 4, dim);
    sqlite3_bind_blob(s, 5, e, n, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        fail_msg("insert: %s", sqlite3_errmsg(db));
    sqlite3_finalize(s);
    sqlite3_close(db);
    free(path);
}

static int count_perf(const lk_performer_info *p, void *user)
{
    (void)p;
    (*(int *)user)++;
    return 0;
}

/* Issue 17 row 11: hostile rows in gallery.db are skipped on load, each
 * named, and never matched; the rest of the gallery works (list, remove,
 * search); a generation at its maximum refuses the change, no overflow. */
static void test_hostile_rows(void **state)
{
    (void)state;
    char *dir = gallery_dir("hostile");
    float probes[3][DIM];
    small_gallery(dir, probes);
    lk_gallery *g = open_ok(dir, 0);
    assert_int_equal(lk_gallery_add_performer(g, "x", NULL), LK_OK);
    lk_gallery_close(g);
    /* x's "template" is a's probe times 1000: it would outscore a. */
    float big[DIM], nan_[DIM];
    for (int i = 0; i < DIM; i++) {
        big[i] = probes[0][i] * 1000.0f;
        nan_[i] = probes[1][i];
    }
    nan_[5] = NAN;
    raw_template(dir, 0, "x", big, sizeof big, DIM);
    raw_template(dir, 0, "x", nan_, sizeof nan_, DIM);
    raw_template(dir, 0, "x", probes[2], 12, 3);          /* wrong length */
    raw_template(dir, -7, "x", probes[2], sizeof probes[2], DIM);
    raw_exec(dir, "INSERT INTO performers (ext_id, name, created, salt) "
             "VALUES ('bad' || char(10) || 'MATCH', '', 0, randomblob(32))");
    raw_template(dir, 0, "bad\nMATCH", probes[2], sizeof probes[2], DIM);
    char *ix = join(dir, "face.faiss");
    unlink(ix);                                  /* rebuilt from the rows */
    free(ix);

    logged[0] = '\0';
    lk_log_set(keep_log, LK_LOG_WARN, NULL);
    g = open_ok(dir, 0);
    lk_log_set(NULL, LK_LOG_ERROR, NULL);
    assert_non_null(strstr(logged, "not L2-normalised"));
    assert_non_null(strstr(logged, "not finite"));
    assert_non_null(strstr(logged, "embedding of 12 bytes"));
    assert_non_null(strstr(logged, "template -7: id out of range"));
    assert_non_null(strstr(logged, "control character"));
    assert_non_null(strstr(logged, "row skipped"));
    /* Nothing of x or of the bad performer is ever found. */
    expect_answers(g, probes);
    lk_match mt[8];
    int nm = 0;
    assert_int_equal(lk_gallery_search(g, LK_MODALITY_FACE, probes[2], 8, mt,
                                       &nm), LK_OK);
    for (int i = 0; i < nm; i++)
        assert_string_equal(strchr("abc", mt[i].performer_id[0]) &&
                            !mt[i].performer_id[1] ? "ok" : mt[i].performer_id,
                            "ok");
    int n = 0;
    assert_int_equal(lk_gallery_performers(g, count_perf, &n), LK_OK);
    assert_int_equal(n, 5);
    assert_int_equal(lk_gallery_remove_performer(g, "x"), LK_OK);
    lk_gallery_close(g);
    assert_int_equal(db_int(dir, "SELECT count(*) FROM templates t JOIN "
                            "performers p ON t.performer = p.id WHERE "
                            "p.ext_id = 'x'"), 0);

    /* A generation at its maximum: the change is refused, naming the
     * repair; another not a count refuses the open. */
    raw_exec(dir, "UPDATE meta SET value = 9223372036854775807 "
             "WHERE key = 'generation'");
    g = open_ok(dir, 0);
    expect_answers(g, probes);
    float e[DIM];
    random_unit(e, DIM);
    assert_int_equal(lk__gallery_add_template(g, LK_MODALITY_FACE, "a", e,
                                              NULL, NULL, NULL, 0, NULL,
                                              NULL), LK_ERR_DB);
    assert_non_null(strstr(lk_last_error(), "maximum"));
    lk_gallery_close(g);
    raw_exec(dir, "UPDATE meta SET value = 'many' WHERE key = 'generation'");
    assert_int_equal(open_with(dir, MODEL, DIM, NULL, 0, 0, &g), LK_ERR_DB);
    assert_non_null(strstr(lk_last_error(), "repair"));
    lk_test_rmtree(dir);
    free(dir);
}

/* Issue 17 row 6: a gallery on a read-only mount lists, searches and
 * opens for a scan (read-only, changes refused naming why).  Needs a
 * mount namespace (root, or skipped). */
static void test_readonly_mount(void **state)
{
    (void)state;
    char *dir = gallery_dir("romount");
    float probes[3][DIM];
    small_gallery(dir, probes);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (unshare(CLONE_NEWNS) != 0 ||
            mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
            mount(dir, dir, NULL, MS_BIND, NULL) != 0 ||
            mount(NULL, dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY,
                  NULL) != 0)
            _exit(77);
        int bad = 0;
        for (int k = 0; k < 2; k++) {
            lk_gallery *g = NULL;
            lk_status s = open_with(dir, MODEL, DIM, NULL, 0,
                                    k ? 0 : LK_GALLERY_READONLY, &g);
            if (s != LK_OK) {
                fprintf(stderr, "open %d: %s\n", k, lk_last_error());
                _exit(1);
            }
            lk_match m;
            int n = 0;
            bad |= lk_gallery_search(g, LK_MODALITY_FACE, probes[0], 1, &m,
                                     &n) != LK_OK || n != 1 ||
                   strcmp(m.performer_id, "a") != 0;
            int np = 0;
            bad |= lk_gallery_performers(g, count_perf, &np) != LK_OK ||
                   np != 3;
            s = lk_gallery_audit(g, "scan", NULL, "files=1");
            bad |= s == LK_OK ||
                   (k && !strstr(lk_last_error(), "not writable"));
            lk_gallery_close(g);
        }
        _exit(bad);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        lk_test_rmtree(dir);
        free(dir);
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
    lk_test_rmtree(dir);
    free(dir);
}

/* Issue 17 row 4: a database that lost commits (here its generation set
 * back, as a damaged log or a power loss leaves it) is warned about: its
 * index file was written at a later generation. */
static void test_lost_commits_warned(void **state)
{
    (void)state;
    char *dir = gallery_dir("lost");
    float probes[3][DIM];
    small_gallery(dir, probes);
    raw_exec(dir, "UPDATE meta SET value = value - 2 WHERE key = 'generation'");
    logged[0] = '\0';
    lk_log_set(keep_log, LK_LOG_WARN, NULL);
    lk_gallery *g = open_ok(dir, LK_GALLERY_READONLY);
    lk_log_set(NULL, LK_LOG_ERROR, NULL);
    assert_non_null(strstr(logged, "were lost"));
    assert_non_null(strstr(logged, "face.faiss"));
    lk_gallery_close(g);
    /* An intact gallery says nothing of the kind. */
    small_gallery(dir, probes);
    logged[0] = '\0';
    lk_log_set(keep_log, LK_LOG_WARN, NULL);
    g = open_ok(dir, 0);
    lk_log_set(NULL, LK_LOG_ERROR, NULL);
    assert_null(strstr(logged, "were lost"));
    lk_gallery_close(g);
    lk_test_rmtree(dir);
    free(dir);
}

/* A test run once for each modality, named after both. */
#define PER_MODALITY(fn)                                                    \
    { #fn "/face", fn, NULL, NULL, (void *)&FACE_CASE },                    \
    { #fn "/voice", fn, NULL, NULL, (void *)&VOICE_CASE }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_open_reopen),
        cmocka_unit_test(test_empty_db_is_damage),
        cmocka_unit_test(test_files_private),
        cmocka_unit_test(test_hostile_rows),
        cmocka_unit_test(test_readonly_mount),
        cmocka_unit_test(test_lost_commits_warned),
        cmocka_unit_test(test_model_mismatch),
        cmocka_unit_test(test_search_grouping),
        cmocka_unit_test(test_index_wrapper),
        PER_MODALITY(test_index_rebuilt_when_missing),
        PER_MODALITY(test_index_rebuilt_when_stale),
        PER_MODALITY(test_index_rebuilt_when_corrupt),
        PER_MODALITY(test_index_rebuilt_readonly),
        PER_MODALITY(test_remove_secure_delete),
        cmocka_unit_test(test_remove_secure_delete_overflow),
        cmocka_unit_test(test_two_handles),
        cmocka_unit_test(test_audit_rows),
        cmocka_unit_test(test_audit_chain_intact),
        cmocka_unit_test(test_audit_concurrent_appends),
        cmocka_unit_test(test_audit_tamper),
        cmocka_unit_test(test_audit_erasure_bytes),
        cmocka_unit_test(test_audit_upgrade_v1),
        cmocka_unit_test(test_audit_failure_rolls_back),
        cmocka_unit_test(test_stats),
        cmocka_unit_test(test_performers_list),
        cmocka_unit_test(test_readonly),
        cmocka_unit_test(test_bad_ids),
        cmocka_unit_test(test_duplicate_source),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_churn),
        PER_MODALITY(test_scale_rebuild),
        cmocka_unit_test(test_enroll_file),
        cmocka_unit_test(test_voice_search_by_modality),
        cmocka_unit_test(test_voice_model_mismatch),
        cmocka_unit_test(test_voice_upgrade),
        cmocka_unit_test(test_open_without_engine),
        cmocka_unit_test(test_voice_remove_without_voice),
        cmocka_unit_test(test_enroll_voice_file),
    };
    /* Every test's scratch under one folder, removed at the end. */
    static char base[4096];
    if (lk_test_mkdtemp("gallery", base, sizeof base) != 0 ||
        setenv("LK_TEST_TMP", base, 1) != 0)
        return 1;
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    lk_test_rmtree(base);
    return failed;
}
