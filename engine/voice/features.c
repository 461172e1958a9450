/*
 * features.c — the acoustic front end of the voice pipeline: MFCC of one
 * frame (FFTW3 single precision), deltas, energy VAD and mean/variance
 * normalisation.  The layout is fixed by the model format (voice.h).  The
 * triangular filterbank and DCT are shared with spoof.c's LFCC.
 */
#include "voice/voice_impl.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NBIN (LK__VOICE_NFFT / 2 + 1)
_Static_assert(LK__VOICE_NMEL <= LK__VOICE_MAX_FILT, "mel filters");

/* FFTW's planner keeps global state; only fftw_execute is thread-safe. */
static pthread_mutex_t plan_lock = PTHREAD_MUTEX_INITIALIZER;

struct lk__mfcc {
    fftwf_plan plan;
    float *in;                /* NFFT, fftwf_malloc'd (aligned) */
    fftwf_complex *out;       /* NBIN */
    float power[NBIN];
    float window[LK__VOICE_FRAME];
    /* Triangular mel filters as [first bin, n bins] + weights. */
    int f_first[LK__VOICE_NMEL], f_n[LK__VOICE_NMEL];
    float f_w[LK__VOICE_NMEL][NBIN];
    float dct[LK__VOICE_NCEP][LK__VOICE_NMEL];
};

static double hz_to_mel(double hz) { return 2595.0 * log10(1.0 + hz / 700.0); }
static double mel_to_hz(double m) { return 700.0 * (pow(10.0, m / 2595.0) - 1.0); }

void lk__voice_tri_filters(const double *edge, int n, int nbin, int *first,
                           int *count, float *w)
{
    for (int f = 0; f < n; f++, w += nbin) {
        double l = edge[f], c = edge[f + 1], r = edge[f + 2];
        first[f] = -1;
        count[f] = 0;
        for (int k = 0; k < nbin; k++) {
            double a = (k - l) / (c - l), b = (r - k) / (r - c);
            double wgt = a < b ? a : b;
            if (wgt <= 0)
                continue;
            if (first[f] < 0)
                first[f] = k;
            w[k - first[f]] = (float)wgt;
            count[f] = k - first[f] + 1;
        }
        if (first[f] < 0)
            first[f] = 0;
    }
}

void lk__voice_dct2(int ncep, int n, float *dct)
{
    for (int i = 0; i < ncep; i++)
        for (int j = 0; j < n; j++)
            dct[i * n + j] = (float)(cos(M_PI / n * (j + 0.5) * i) *
                                     sqrt((i ? 2.0 : 1.0) / n));
}

void lk__voice_filter_ceps(const float *power, int n, int nbin,
                           const int *first, const int *count,
                           const float *w, const float *dct, float *ceps)
{
    float logf_[LK__VOICE_MAX_FILT];
    for (int f = 0; f < n; f++) {
        double s = 0;
        const float *p = power + first[f];
        const float *wf = w + (size_t)f * nbin;
        for (int k = 0; k < count[f]; k++)
            s += (double)wf[k] * p[k];
        /* The floor sits far under any real signal's band energy (a frame
         * of -90 dBFS noise) so silence does not dominate the cepstrum. */
        logf_[f] = (float)log(s + 1e-8);
    }
    for (int i = 0; i < LK__VOICE_NCEP; i++) {
        double s = 0;
        for (int j = 0; j < n; j++)
            s += (double)dct[i * n + j] * logf_[j];
        ceps[i] = (float)s;
    }
}

lk_status lk__mfcc_new(lk__mfcc **out)
{
    *out = NULL;
    lk__mfcc *m = lk__calloc(1, sizeof *m);
    if (!m)
        return LK_ERR_NOMEM;
    m->in = fftwf_malloc(sizeof(float) * LK__VOICE_NFFT);
    m->out = fftwf_malloc(sizeof(fftwf_complex) * NBIN);
    if (!m->in || !m->out) {
        lk__mfcc_free(m);
        return lk__error(LK_ERR_NOMEM, "voice features: out of memory");
    }
    /* ESTIMATE: no timing runs, so the plan (and the floating-point
     * results) do not depend on machine load. */
    pthread_mutex_lock(&plan_lock);
    m->plan = fftwf_plan_dft_r2c_1d(LK__VOICE_NFFT, m->in, m->out,
                                    FFTW_ESTIMATE);
    pthread_mutex_unlock(&plan_lock);
    if (!m->plan) {
        lk__mfcc_free(m);
        return lk__error(LK_ERR_BACKEND, "voice features: FFTW could not "
                         "plan a %d-point FFT", LK__VOICE_NFFT);
    }
    for (int i = 0; i < LK__VOICE_FRAME; i++)
        m->window[i] = (float)(0.54 - 0.46 * cos(2.0 * M_PI * i /
                                                 (LK__VOICE_FRAME - 1)));
    /* Mel filters from 20 Hz (below, mains hum) to 7600 Hz (above, the
     * roll-off of 16 kHz resamplers), on fractional FFT bins. */
    const double lo = hz_to_mel(20.0), hi = hz_to_mel(7600.0);
    double edge[LK__VOICE_NMEL + 2];
    for (int i = 0; i < LK__VOICE_NMEL + 2; i++)
        edge[i] = mel_to_hz(lo + (hi - lo) * i / (LK__VOICE_NMEL + 1)) /
                  LK__VOICE_RATE * LK__VOICE_NFFT;
    lk__voice_tri_filters(edge, LK__VOICE_NMEL, NBIN, m->f_first, m->f_n,
                          &m->f_w[0][0]);
    lk__voice_dct2(LK__VOICE_NCEP, LK__VOICE_NMEL, &m->dct[0][0]);
    *out = m;
    return LK_OK;
}

void lk__mfcc_free(lk__mfcc *m)
{
    if (!m)
        return;
    if (m->plan) {
        pthread_mutex_lock(&plan_lock);
        fftwf_destroy_plan(m->plan);
        pthread_mutex_unlock(&plan_lock);
    }
    fftwf_free(m->in);
    fftwf_free(m->out);
    free(m);
}

const float *lk__mfcc_power(const lk__mfcc *m)
{
    return m->power;
}

void lk__mfcc_frame(lk__mfcc *m, const float *x, float *ceps, float *energy_db)
{
    float *in = m->in;
    /* Pre-emphasis (0.97) flattens the spectral tilt of voiced speech so
     * the upper formants weigh in; then DC is removed and the frame
     * windowed. */
    double mean = 0;
    for (int i = 0; i < LK__VOICE_FRAME; i++) {
        in[i] = x[i] - 0.97f * x[i - 1];
        mean += in[i];
    }
    mean /= LK__VOICE_FRAME;
    double e = 0;
    for (int i = 0; i < LK__VOICE_FRAME; i++) {
        in[i] = (float)(in[i] - mean) * m->window[i];
        e += (double)in[i] * in[i];
    }
    memset(in + LK__VOICE_FRAME, 0,
           sizeof(float) * (LK__VOICE_NFFT - LK__VOICE_FRAME));
    *energy_db = (float)(10.0 * log10(e / LK__VOICE_FRAME + 1e-10));
    fftwf_execute(m->plan);
    for (int k = 0; k < NBIN; k++)
        m->power[k] = m->out[k][0] * m->out[k][0] + m->out[k][1] * m->out[k][1];
    lk__voice_filter_ceps(m->power, LK__VOICE_NMEL, NBIN, m->f_first, m->f_n,
                          &m->f_w[0][0], &m->dct[0][0], ceps);
}

/* Regression deltas of src (stride LK__VOICE_DIM, NCEP wide, starting at
 * column from) into column to. */
static void delta_cols(float *f, int n, int from, int to)
{
    for (int t = 0; t < n; t++) {
        for (int j = 0; j < LK__VOICE_NCEP; j++) {
            double s = 0;
            for (int k = 1; k <= 2; k++) {
                int a = t + k < n ? t + k : n - 1;
                int b = t - k >= 0 ? t - k : 0;
                s += k * ((double)f[a * LK__VOICE_DIM + from + j] -
                          f[b * LK__VOICE_DIM + from + j]);
            }
            f[t * LK__VOICE_DIM + to + j] = (float)(s / 10.0);
        }
    }
}

void lk__voice_deltas(float *frames, int n)
{
    if (n <= 0)
        return;
    delta_cols(frames, n, 0, LK__VOICE_NCEP);
    delta_cols(frames, n, LK__VOICE_NCEP, 2 * LK__VOICE_NCEP);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int lk__voice_vad(const float *energy_db, int n, uint8_t *speech)
{
    if (n <= 0)
        return 0;
    float *s = malloc((size_t)n * sizeof *s);
    float thr = -75.0f;
    if (s) {
        memcpy(s, energy_db, (size_t)n * sizeof *s);
        qsort(s, (size_t)n, sizeof *s, cmp_float);
        float p95 = s[(int)(0.95 * (n - 1))], p10 = s[(int)(0.10 * (n - 1))];
        free(s);
        /* Speech is the loud part of a block: up to 30 dB under its peaks,
         * and clear of the noise floor by 6 dB.  Steady noise or hum (a
         * narrow energy spread) thus yields next to nothing. */
        if (p95 - 30.0f > thr)
            thr = p95 - 30.0f;
        if (p10 + 6.0f > thr)
            thr = p10 + 6.0f;
    }
    for (int i = 0; i < n; i++)
        speech[i] = energy_db[i] > thr;
    /* Isolated bursts (clicks, a cough's onset) under 50 ms are not
     * speech. */
    int count = 0;
    for (int i = 0; i < n;) {
        if (!speech[i]) {
            i++;
            continue;
        }
        int j = i;
        while (j < n && speech[j])
            j++;
        if (j - i < 5)
            memset(speech + i, 0, (size_t)(j - i));
        else
            count += j - i;
        i = j;
    }
    return count;
}

int lk__voice_tonal_gate(const float *frames, int n, uint8_t *speech)
{
    enum { WIN = 100, HOP = 50, MIN_SPEECH = 30 };
    if (n <= 0)
        return 0;
    uint8_t *drop = calloc((size_t)n, 1);
    if (!drop)
        return 0;    /* out of memory: keep the energy decision */
    float d[WIN];
    for (int s = 0; s < n; s += HOP) {
        const int e = s + WIN < n ? s + WIN : n;
        int q = 0;
        for (int i = s; i < e; i++) {
            if (!speech[i])
                continue;
            const float *dc = frames + (size_t)i * LK__VOICE_DIM +
                              LK__VOICE_NCEP;
            float sum = 0.0f;
            for (int j = 1; j <= 12; j++)
                sum += dc[j] * dc[j];
            d[q++] = sqrtf(sum);
        }
        if (q >= MIN_SPEECH) {
            qsort(d, (size_t)q, sizeof *d, cmp_float);
            if (d[q / 2] < LK__VOICE_MIN_CHANGE)
                memset(drop + s, 1, (size_t)(e - s));
        }
        if (e == n)
            break;
    }
    int removed = 0;
    for (int i = 0; i < n; i++)
        if (drop[i] && speech[i]) {
            speech[i] = 0;
            removed++;
        }
    free(drop);
    return removed;
}

void lk__voice_cmvn(float *x, int n, int dim)
{
    if (n <= 0)
        return;
    for (int j = 0; j < dim; j++) {
        double s = 0, ss = 0;
        for (int t = 0; t < n; t++) {
            double v = x[(size_t)t * dim + j];
            s += v;
            ss += v * v;
        }
        double mean = s / n, var = ss / n - mean * mean;
        double inv = 1.0 / (sqrt(var > 0 ? var : 0) + 1e-5);
        for (int t = 0; t < n; t++)
            x[(size_t)t * dim + j] = (float)((x[(size_t)t * dim + j] - mean) *
                                             inv);
    }
}
