/*
 * spoof.c — the synthetic-speech detector (spoof.h): LFCC features from the
 * voice front end's power spectrum, the model file, the streaming scorer
 * and the trainer.
 *
 * Model file, format version 1 (little-endian; parsed as untrusted input):
 *   0  "LKSPOOF1"                 8 bytes
 *   8  u32 version (1), u32 header bytes (72)
 *  16  u32 sample rate, frame, hop, nfft, filters, cepstra, feature dim,
 *      components
 *  48  u32 features (0 LFCC, 1 MFCC), u32 flags (bit 0: LFCC normalised)
 *  56  f32 threshold, f32 filterbank low Hz, f32 high Hz, u32 reserved (0)
 *  72  bona fide GMM: f32 weights[C], means[C][D], variances[C][D]
 *      then the synthetic GMM, the same
 */
#include "voice/spoof.h"
#include "voice/voice_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HEADER 72
#define NBIN (LK__VOICE_NFFT / 2 + 1)
_Static_assert(LK__SPOOF_NFILT <= LK__VOICE_MAX_FILT, "LFCC filters");
static const char magic[8] = {'L', 'K', 'S', 'P', 'O', 'O', 'F', '1'};

/* Two 4096-component models are 8 MB; refuses a runaway file early. */
#define MAX_MODEL_BYTES ((size_t)16 << 20)

struct lk__spoof_model {
    lk__gmm bona, synth;
    lk__spoof_features features;
    int cmvn;
    float threshold, low_hz, high_hz;
    /* LFCC: triangular filters as [first bin, n bins] + weights, and the
     * orthonormal DCT-II. */
    int f_first[LK__SPOOF_NFILT], f_n[LK__SPOOF_NFILT];
    float f_w[LK__SPOOF_NFILT][NBIN];
    float dct[LK__VOICE_NCEP][LK__SPOOF_NFILT];
    /* Both GMMs' log densities as one affine map of [x, x*x] (see
     * fast_llr): lin[2D][2C], bias[2C]; bona fide first. */
    float *lin, *bias;
};

typedef struct bucket {
    long long idx;           /* floor(t / LK__SPOOF_BUCKET) */
    double sum;
    long n;
} bucket;

struct lk__spoof {
    const lk__spoof_model *m;
    lk__voice_front front;
    float *post;             /* 2C scratch for fast_llr */
    bucket *b;               /* in increasing idx */
    size_t nb, capb;
    double sum;
    long n;
};

/* ------------------------------------------------------------------------
 * LFCC
 * ---------------------------------------------------------------------- */

static void lfcc_init(lk__spoof_model *m)
{
    /* Linear, not mel: the artefacts of vocoders and of waveform
     * concatenation sit as much in the upper band as in the lower, and a
     * mel scale would blur the upper band into a few wide filters. */
    double edge[LK__SPOOF_NFILT + 2];
    for (int i = 0; i < LK__SPOOF_NFILT + 2; i++)
        edge[i] = (m->low_hz + (m->high_hz - m->low_hz) * i /
                                   (LK__SPOOF_NFILT + 1)) /
                  LK__VOICE_RATE * LK__VOICE_NFFT;
    lk__voice_tri_filters(edge, LK__SPOOF_NFILT, NBIN, m->f_first, m->f_n,
                          &m->f_w[0][0]);
    lk__voice_dct2(LK__VOICE_NCEP, LK__SPOOF_NFILT, &m->dct[0][0]);
}

static void lfcc_frame(void *ctx, const float *power, float *ceps)
{
    const lk__spoof_model *m = ctx;
    lk__voice_filter_ceps(power, LK__SPOOF_NFILT, NBIN, m->f_first, m->f_n,
                          &m->f_w[0][0], &m->dct[0][0], ceps);
}

/* A front end producing the model's features. */
static lk_status front_for(const lk__spoof_model *m, lk__voice_front *f)
{
    lk_status s = lk__voice_front_init(f);
    if (s == LK_OK && m->features == LK__SPOOF_LFCC &&
        (s = lk__voice_front_set_aux(f, lfcc_frame, (void *)m, m->cmvn)) !=
            LK_OK)
        lk__voice_front_free(f);
    return s;
}

/* ------------------------------------------------------------------------
 * Model file
 * ---------------------------------------------------------------------- */

void lk__spoof_model_free(lk__spoof_model *m)
{
    if (!m)
        return;
    lk__gmm_free(&m->bona);
    lk__gmm_free(&m->synth);
    free(m->lin);
    free(m->bias);
    free(m);
}

float lk__spoof_model_threshold(const lk__spoof_model *m)
{
    return m ? m->threshold : 0.0f;
}

int lk__spoof_model_components(const lk__spoof_model *m)
{
    return m ? m->bona.c : 0;
}

lk_status lk__spoof_model_parse(const uint8_t *b, size_t n, const char *name,
                                lk__spoof_model **out)
{
    if (out)
        *out = NULL;
    if (!out || (!b && n))
        return lk__error(LK_ERR_MISUSE, "spoof model: NULL argument");
    if (!name)
        name = "spoof model";
    if (n < HEADER || memcmp(b, magic, sizeof magic) != 0)
        return lk__error(LK_ERR_MODEL, "%s: not a Likeness synthetic-speech "
                         "model (bad magic or shorter than its header)", name);
    uint32_t version = lk__le32(b + 8), hdr = lk__le32(b + 12);
    if (version != 1 || hdr != HEADER)
        return lk__error(LK_ERR_MODEL, "%s: synthetic-speech model format "
                         "version %u (header %u bytes); this build reads "
                         "version 1", name, version, hdr);
    uint32_t feat = lk__le32(b + 48), flags = lk__le32(b + 52);
    if (feat > LK__SPOOF_MFCC || flags > 1 || lk__le32(b + 68) != 0)
        return lk__error(LK_ERR_MODEL, "%s: unknown features %u or flags %u",
                         name, feat, flags);
    lk_status s = lk__voice_front_check(b + 16,
                                        feat == LK__SPOOF_LFCC
                                            ? LK__SPOOF_NFILT
                                            : LK__VOICE_NMEL,
                                        "filters", name);
    if (s != LK_OK)
        return s;
    uint32_t C = lk__le32(b + 44);
    float thr = lk__le_f32(b + 56), lo = lk__le_f32(b + 60),
          hi = lk__le_f32(b + 64);
    if (C < 1 || C > 4096)
        return lk__error(LK_ERR_MODEL, "%s: %u components (1..4096)", name, C);
    if (!isfinite(thr) || fabsf(thr) > 1e3f || !(lo >= 0 && lo < hi &&
                                                 hi <= LK__VOICE_RATE / 2 &&
                                                 hi - lo >= 1000))
        return lk__error(LK_ERR_MODEL, "%s: bad threshold %g or filterbank "
                         "%g-%g Hz", name, (double)thr, (double)lo, (double)hi);
    const size_t D = LK__VOICE_DIM;
    const size_t one = 4 * ((size_t)C + 2 * (size_t)C * D);
    if (n != HEADER + 2 * one)
        return lk__error(LK_ERR_MODEL, "%s: %zu bytes where %u components "
                         "need %zu (truncated or corrupt)", name, n, C,
                         HEADER + 2 * one);
    lk__spoof_model *m = lk__calloc(1, sizeof *m);
    if (!m)
        return LK_ERR_NOMEM;
    s = lk__gmm_alloc(&m->bona, (int)C, (int)D);
    if (s == LK_OK)
        s = lk__gmm_alloc(&m->synth, (int)C, (int)D);
    if (s != LK_OK) {
        lk__spoof_model_free(m);
        return LK_ERR_NOMEM;
    }
    if ((s = lk__voice_gmm_parse(b + HEADER, &m->bona, name,
                                 "bona fide")) != LK_OK ||
        (s = lk__voice_gmm_parse(b + HEADER + one, &m->synth, name,
                                 "synthetic")) != LK_OK) {
        lk__spoof_model_free(m);
        return s;
    }
    m->lin = lk__malloc((size_t)2 * D * 2 * C * sizeof *m->lin);
    m->bias = lk__malloc((size_t)2 * C * sizeof *m->bias);
    if (!m->lin || !m->bias) {
        lk__spoof_model_free(m);
        return LK_ERR_NOMEM;
    }
    const size_t C2 = 2 * (size_t)C;
    for (size_t g = 0; g < 2; g++) {
        const lk__gmm *q = g ? &m->synth : &m->bona;
        for (size_t c = 0; c < C; c++) {
            double k = q->lconst[c];
            for (size_t j = 0; j < D; j++) {
                const double mu = q->mu[c * D + j], iv = q->ivar[c * D + j];
                m->lin[j * C2 + g * C + c] = (float)(mu * iv);
                m->lin[(D + j) * C2 + g * C + c] = (float)(-0.5 * iv);
                k -= 0.5 * mu * mu * iv;
            }
            m->bias[g * C + c] = (float)k;
        }
    }
    m->features = (lk__spoof_features)feat;
    m->cmvn = (int)(flags & 1);
    m->threshold = thr;
    m->low_hz = lo;
    m->high_hz = hi;
    lfcc_init(m);
    *out = m;
    return LK_OK;
}

lk_status lk__spoof_model_read(const char *path, lk__spoof_model **out)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return lk__error(LK_ERR_MISUSE, "spoof model: NULL argument");
    uint8_t *buf;
    size_t n;
    lk_status s = lk__read_file(path, MAX_MODEL_BYTES, &buf, &n);
    if (s != LK_OK)
        return lk__error(LK_ERR_MODEL, "%s", lk_last_error());
    s = lk__spoof_model_parse(buf, n, path, out);
    free(buf);
    return s;
}

static lk_status model_write(const lk__gmm *bona, const lk__gmm *synth,
                             const lk__spoof_train_params *tp, float threshold,
                             const char *path)
{
    const size_t C = (size_t)bona->c, D = LK__VOICE_DIM;
    const size_t n = HEADER + 2 * 4 * (C + 2 * C * D);
    uint8_t *b = lk__calloc(1, n);
    if (!b)
        return LK_ERR_NOMEM;
    memcpy(b, magic, sizeof magic);
    const uint32_t h[12] = {1, HEADER, LK__VOICE_RATE, LK__VOICE_FRAME,
                            LK__VOICE_HOP, LK__VOICE_NFFT,
                            tp->features == LK__SPOOF_LFCC ? LK__SPOOF_NFILT
                                                           : LK__VOICE_NMEL,
                            LK__VOICE_NCEP, LK__VOICE_DIM, (uint32_t)C,
                            (uint32_t)tp->features, tp->cmvn ? 1u : 0u};
    for (int i = 0; i < 12; i++)
        lk__put_le32(b + 8 + 4 * i, h[i]);
    lk__put_le_f32(b + 56, threshold);
    lk__put_le_f32(b + 60, 0.0f);
    lk__put_le_f32(b + 64, tp->high_hz);
    lk__voice_gmm_put(lk__voice_gmm_put(b + HEADER, bona), synth);
    lk_status s = lk__voice_write_bytes(path, b, n);
    free(b);
    return s;
}

/* ------------------------------------------------------------------------
 * Streaming scorer
 * ---------------------------------------------------------------------- */

static double frame_llr(const lk__gmm *synth, const lk__gmm *bona,
                        const float *x, float *post)
{
    return lk__gmm_posteriors(synth, x, post) -
           lk__gmm_posteriors(bona, x, post);
}

static double log_sum_exp(const float *v, int n)
{
    float best = v[0];
    for (int i = 1; i < n; i++)
        if (v[i] > best)
            best = v[i];
    double s = 0;
    for (int i = 0; i < n; i++)
        s += expf(v[i] - best);
    return best + log(s);
}

/* frame_llr for scanning, twice as fast: -0.5 (x - mu)^2 / var expands into
 * mu/var * x - 0.5/var * x^2 + const, so both GMMs' 2C log densities are
 * one affine map of [x, x^2], computed with the components innermost where
 * the compiler vectorises it (the per-component sum over dimensions of
 * lk__gmm_posteriors is a reduction it may not reorder).  Agrees with
 * frame_llr to 1e-4 on LFCC frames (the eval's mean LLRs agree to four
 * decimals); training keeps frame_llr. */
static double fast_llr(const lk__spoof_model *m, const float *x, float *s)
{
    const int C = m->bona.c, C2 = 2 * C;
    memcpy(s, m->bias, (size_t)C2 * sizeof *s);
    for (int j = 0; j < LK__VOICE_DIM; j++) {
        const float xj = x[j], xx = xj * xj;
        const float *b = m->lin + (size_t)j * C2;
        const float *a = m->lin + (size_t)(LK__VOICE_DIM + j) * C2;
        for (int c = 0; c < C2; c++)
            s[c] += b[c] * xj + a[c] * xx;
    }
    return log_sum_exp(s + C, C) - log_sum_exp(s, C);
}

/* The bucket of a time, clamped so that a broken file's timestamps
 * (1e300 s, NaN) cannot overflow the conversion. */
long long lk__spoof_bucket(double t)
{
    const double lim = 1e15;
    double b = floor(t / LK__SPOOF_BUCKET);
    return (long long)(!(b >= -lim) ? -lim : b > lim ? lim : b);
}

/* The bucket of index idx, made when absent.  Time runs forward, so the
 * last bucket is almost always the one; a stream that jumps back (a cut,
 * a broken timestamp) is searched and inserted into. */
static bucket *bucket_at(lk__spoof *s, long long idx)
{
    if (s->nb && s->b[s->nb - 1].idx == idx)
        return &s->b[s->nb - 1];
    size_t lo = 0, hi = s->nb;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->b[mid].idx < idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->nb && s->b[lo].idx == idx)
        return &s->b[lo];
    if (s->nb == s->capb) {
        size_t cap = s->capb ? 2 * s->capb : 256;
        bucket *nb = lk__realloc(s->b, cap * sizeof *nb);
        if (!nb)
            return NULL;
        s->b = nb;
        s->capb = cap;
    }
    memmove(s->b + lo + 1, s->b + lo, (s->nb - lo) * sizeof *s->b);
    s->nb++;
    s->b[lo] = (bucket){idx, 0.0, 0};
    return &s->b[lo];
}

static lk_status score_cb(void *user, const float *x, const double *t,
                          const uint8_t *clip, int n)
{
    (void)clip;
    lk__spoof *s = user;
    for (int i = 0; i < n; i++) {
        double llr = fast_llr(s->m, x + (size_t)i * LK__VOICE_DIM, s->post);
        bucket *b = bucket_at(s, lk__spoof_bucket(t[i]));
        if (!b)
            return LK_ERR_NOMEM;
        b->sum += llr;
        b->n++;
        s->sum += llr;
        s->n++;
    }
    return LK_OK;
}

lk_status lk__spoof_new(const lk__spoof_model *m, lk__spoof **out)
{
    if (out)
        *out = NULL;
    if (!m || !out)
        return lk__error(LK_ERR_MISUSE, "spoof: NULL argument");
    lk__spoof *s = lk__calloc(1, sizeof *s);
    if (!s)
        return LK_ERR_NOMEM;
    s->m = m;
    s->post = lk__calloc(2 * (size_t)m->bona.c, sizeof *s->post);
    lk_status st = s->post ? front_for(m, &s->front) : LK_ERR_NOMEM;
    if (st != LK_OK) {
        free(s->post);
        free(s);
        return st;
    }
    lk__spoof_reset(s);
    *out = s;
    return LK_OK;
}

void lk__spoof_free(lk__spoof *s)
{
    if (!s)
        return;
    lk__voice_front_free(&s->front);
    free(s->post);
    free(s->b);
    free(s);
}

void lk__spoof_reset(lk__spoof *s)
{
    lk__voice_front_reset(&s->front, score_cb, s);
    s->nb = 0;
    s->sum = 0;
    s->n = 0;
}

lk_status lk__spoof_push(lk__spoof *s, const float *pcm, size_t n, double t0)
{
    if (!s)
        return lk__error(LK_ERR_MISUSE, "spoof: NULL scorer");
    return lk__voice_front_push(&s->front, pcm, n, t0);
}

lk_status lk__spoof_finish(lk__spoof *s)
{
    if (!s)
        return lk__error(LK_ERR_MISUSE, "spoof: NULL scorer");
    return lk__voice_front_finish(&s->front);
}

long lk__spoof_range(const lk__spoof *s, double t0, double t1, double *sum)
{
    *sum = 0;
    if (!s || !(t1 >= t0))
        return 0;
    const long long i0 = lk__spoof_bucket(t0), i1 = lk__spoof_bucket(t1);
    size_t lo = 0, hi = s->nb;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->b[mid].idx < i0)
            lo = mid + 1;
        else
            hi = mid;
    }
    long n = 0;
    for (size_t i = lo; i < s->nb && s->b[i].idx <= i1; i++) {
        *sum += s->b[i].sum;
        n += s->b[i].n;
    }
    return n;
}

long lk__spoof_total(const lk__spoof *s, double *sum)
{
    *sum = s ? s->sum : 0.0;
    return s ? s->n : 0;
}

/* ------------------------------------------------------------------------
 * Training
 * ---------------------------------------------------------------------- */

#define MIN_CLASS_SPEECH 10.0

static lk_status add_file(lk__voice_front *f, lk__voice_pool *p,
                          lk__pcm_read_fn read, const char *path)
{
    p->seen = 0;
    return lk__voice_front_read(f, read, path, lk__voice_pool_cb, p);
}

static lk_status load_class(lk__voice_front *f, lk__pcm_read_fn read,
                            const char *const *files, int n, int step,
                            const char *cls,
                            lk__voice_pool *p)
{
    memset(p, 0, sizeof *p);
    p->step = step;
    p->who = "spoof train";
    p->scope = " in a class";
    p->start = lk__calloc((size_t)n + 1, sizeof *p->start);
    if (!p->start)
        return LK_ERR_NOMEM;
    for (int i = 0; i < n; i++) {
        size_t before = p->n;
        lk_status s = files[i] ? add_file(f, p, read, files[i])
                               : lk__error(LK_ERR_MISUSE, "spoof train: %s "
                                           "file %d is NULL", cls, i);
        if (s == LK_OK && p->n == before)
            s = lk__error(LK_ERR_FORMAT, "%s: no speech", files[i]);
        if (s == LK_ERR_FORMAT || s == LK_ERR_IO || s == LK_ERR_MISUSE) {
            lk__log(LK_LOG_WARN, "spoof train: skipped: %s", lk_last_error());
            p->n = before;
            continue;
        }
        if (s != LK_OK)
            return s;
        p->start[p->files++] = before;
    }
    p->start[p->files] = p->n;
    double speech = (double)p->n * p->step * LK__VOICE_HOP / LK__VOICE_RATE;
    lk__log(LK_LOG_INFO, "spoof train: %s: %d of %d files, %.1f s of speech",
            cls, p->files, n, speech);
    if (speech < MIN_CLASS_SPEECH)
        return lk__error(LK_ERR_FORMAT, "spoof train: %.1f s of %s speech in "
                         "%d usable files; at least %.0f s needed", speech,
                         cls, p->files, MIN_CLASS_SPEECH);
    return LK_OK;
}

/* Mean frame LLR of each file of p of the given fold parity (fold < 0:
 * all files), appended to out. */
static void file_scores(const lk__gmm *bona, const lk__gmm *synth,
                        const lk__voice_pool *p, int fold, float *post,
                        double *out, int *n_out)
{
    for (int i = 0; i < p->files; i++) {
        if (fold >= 0 && i % 2 != fold)
            continue;
        double s = 0;
        for (size_t t = p->start[i]; t < p->start[i + 1]; t++)
            s += frame_llr(synth, bona, p->x + t * LK__VOICE_DIM, post);
        out[(*n_out)++] = s / (double)(p->start[i + 1] - p->start[i]);
    }
}

/* The frames of p's files of the other fold parity (fold < 0: all). */
static lk_status fold_frames(const lk__voice_pool *p, int fold, float **x,
                             size_t *n)
{
    *x = NULL;
    *n = 0;
    if (fold < 0) {
        *x = p->x;
        *n = p->n;
        return LK_OK;
    }
    float *y = lk__malloc(p->n * LK__VOICE_DIM * sizeof *y);
    if (!y)
        return LK_ERR_NOMEM;
    size_t k = 0;
    for (int i = 0; i < p->files; i++) {
        if (i % 2 == fold)
            continue;
        size_t len = p->start[i + 1] - p->start[i];
        memcpy(y + k * LK__VOICE_DIM, p->x + p->start[i] * LK__VOICE_DIM,
               len * LK__VOICE_DIM * sizeof *y);
        k += len;
    }
    *x = y;
    *n = k;
    return LK_OK;
}

static lk_status train_pair(const lk__voice_pool *bp, const lk__voice_pool *sp,
                            int fold, const lk__spoof_train_params *p,
                            lk__gmm *bona, lk__gmm *synth)
{
    float *bx, *sx;
    size_t bn, sn;
    lk_status s = fold_frames(bp, fold, &bx, &bn);
    if (s != LK_OK)
        return s;
    if ((s = fold_frames(sp, fold, &sx, &sn)) != LK_OK) {
        if (fold >= 0)
            free(bx);
        return s;
    }
    s = lk__gmm_train(bx, bn, LK__VOICE_DIM, p->components, p->iters, bona);
    if (s == LK_OK &&
        (s = lk__gmm_train(sx, sn, LK__VOICE_DIM, p->components, p->iters,
                           synth)) != LK_OK)
        lk__gmm_free(bona);
    if (fold >= 0) {
        free(bx);
        free(sx);
    }
    return s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The equal-error point of per-file scores: of the thresholds halfway
 * between neighbouring scores, the one where the rate of synthetic files
 * under it is closest to the rate of bona fide files over it.  Halfway,
 * because classes this far apart often do not overlap at all, and then
 * either edge of the gap would sit on a training file's score. */
static double eer_threshold(double *bona, int nb, double *synth, int ns)
{
    qsort(bona, (size_t)nb, sizeof *bona, cmp_double);
    qsort(synth, (size_t)ns, sizeof *synth, cmp_double);
    double best = INFINITY, thr = 0;
    int i = 0, j = 0;   /* bona[<i] and synth[<j] lie under the threshold */
    while (i < nb || j < ns) {
        double lo = j == ns || (i < nb && bona[i] <= synth[j]) ? bona[i++]
                                                                : synth[j++];
        if (i == nb && j == ns)
            break;
        double hi = j == ns || (i < nb && bona[i] <= synth[j]) ? bona[i]
                                                                : synth[j];
        double d = fabs((double)(nb - i) / nb - (double)j / ns);
        if (d < best) {
            best = d;
            thr = (lo + hi) / 2;
        }
    }
    return thr;
}

lk__spoof_train_params lk__spoof_train_default_params(void)
{
    lk__spoof_train_params p = {NULL, 512, 10, 1, LK__SPOOF_LFCC, 0, 8000.0f};
    return p;
}

lk_status lk__spoof_train(const char *const *bonafide, int n_bonafide,
                          const char *const *synthetic, int n_synthetic,
                          const lk__spoof_train_params *params,
                          const char *out_path)
{
    const lk__spoof_train_params d = lk__spoof_train_default_params();
    const lk__spoof_train_params *p = params ? params : &d;
    if (!bonafide || !synthetic || n_bonafide < 2 || n_synthetic < 2 ||
        !out_path)
        return lk__error(LK_ERR_MISUSE, "spoof train: needs two or more "
                         "files of each class and an output");
    if (p->components < 1 || p->components > 4096 || p->iters < 1 ||
        p->iters > 100 || p->frame_step < 1 || p->frame_step > 1000 ||
        (p->features != LK__SPOOF_LFCC && p->features != LK__SPOOF_MFCC) ||
        !(p->high_hz >= 1000.0f && p->high_hz <= LK__VOICE_RATE / 2))
        return lk__error(LK_ERR_MISUSE, "spoof train: bad parameters "
                         "(components %d, iters %d, frame_step %d, top %g "
                         "Hz)", p->components, p->iters, p->frame_step,
                         (double)p->high_hz);
    /* The front end reads its filterbank from a model: a shell with the
     * training settings. */
    lk__spoof_model *shell = lk__calloc(1, sizeof *shell);
    if (!shell)
        return LK_ERR_NOMEM;
    shell->features = p->features;
    shell->cmvn = p->cmvn;
    shell->low_hz = 0.0f;
    shell->high_hz = p->high_hz;
    lfcc_init(shell);
    lk__voice_front f;
    lk__voice_pool bp = {0}, sp = {0};
    double *bs = NULL, *ss = NULL;
    float *post = NULL;
    lk__gmm bona = {0}, synth = {0};
    lk_status s = front_for(shell, &f);
    if (s != LK_OK) {
        free(shell);
        return s;
    }
    if ((s = load_class(&f, p->read, bonafide, n_bonafide, p->frame_step,
                        "bona fide", &bp)) != LK_OK ||
        (s = load_class(&f, p->read, synthetic, n_synthetic, p->frame_step,
                        "synthetic", &sp)) != LK_OK)
        goto done;
    bs = lk__calloc((size_t)bp.files, sizeof *bs);
    ss = lk__calloc((size_t)sp.files, sizeof *ss);
    post = lk__calloc((size_t)p->components, sizeof *post);
    if (!bs || !ss || !post) {
        s = LK_ERR_NOMEM;
        goto done;
    }
    /* The threshold: a model's own training files score far apart (a
     * 512-Gaussian model all but memorises them), so the equal-error point
     * on them says little.  Two-fold cross-validation over files (even and
     * odd, each class) scores every file with models that never saw it;
     * their pooled equal-error point is the threshold. */
    int nb = 0, ns = 0;
    for (int fold = 0; fold < 2 && s == LK_OK; fold++) {
        if ((s = train_pair(&bp, &sp, fold, p, &bona, &synth)) != LK_OK)
            break;
        file_scores(&bona, &synth, &bp, fold, post, bs, &nb);
        file_scores(&bona, &synth, &sp, fold, post, ss, &ns);
        lk__gmm_free(&bona);
        lk__gmm_free(&synth);
    }
    if (s != LK_OK)
        goto done;
    const double thr = eer_threshold(bs, nb, ss, ns);
    lk__log(LK_LOG_INFO, "spoof train: cross-validated EER threshold %.3f",
            thr);
    if ((s = train_pair(&bp, &sp, -1, p, &bona, &synth)) != LK_OK)
        goto done;
    s = model_write(&bona, &synth, p, (float)thr, out_path);
done:
    lk__gmm_free(&bona);
    lk__gmm_free(&synth);
    free(bs);
    free(ss);
    free(post);
    free(bp.x);
    free(bp.start);
    free(sp.x);
    free(sp.start);
    lk__voice_front_free(&f);
    free(shell);
    return s;
}

/* ------------------------------------------------------------------------
 * Public API
 * ---------------------------------------------------------------------- */
