/*
 * test_voice.c — engine/voice/: the front end against known values (a
 * tone's spectral peak, deltas of a ramp, VAD on a known energy profile),
 * EM on data drawn from a known mixture, the model file as untrusted input,
 * and embeddings of synthetic voices with the shipped model: same voice
 * closer than another, silence and clipping refused, segments placed where
 * the speech is, sessions on two threads at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voice/voice.h"
#include "pcm_file.h"
#include "test_tmp.h"

#define SR LK__VOICE_RATE

static char tmp_dir[PATH_MAX / 2];
static char model_path[PATH_MAX];
static lk__voice_model *model;

static const char *tpath(const char *name)
{
    static char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s/%s", tmp_dir, name);
    return buf;
}

/* Deterministic uniform in [0, 1). */
static double urand(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static double nrand(uint64_t *s)
{
    double u = urand(s) + 1e-12, v = urand(s);
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* A synthetic voice: a glottal pulse train at f0 (with jitter) through
 * three formant resonators that move +-15% around the voice's own formants
 * (articulation: a held vowel is not speech to the tonal gate), under a
 * syllable-rate envelope.  Voices differ in f0 and formants; utterances of
 * one voice differ in seed. */
typedef struct voice_def {
    double f0, f[3];
} voice_def;

static const voice_def voice_a = {110, {700, 1220, 2600}};
static const voice_def voice_b = {210, {400, 2100, 3000}};

static void synth(const voice_def *v, uint64_t seed, float *x, size_t n,
                  double amp)
{
    uint64_t s = seed;
    double y[3][2] = {{0}};
    double phase = 0, env_phase = urand(&s) * 2 * M_PI;
    double rate = 3.5 + urand(&s);
    double art_rate[3], art_phase[3];
    for (int k = 0; k < 3; k++) {
        art_rate[k] = 3.0 + 3.0 * urand(&s);
        art_phase[k] = urand(&s) * 2 * M_PI;
    }
    for (size_t i = 0; i < n; i++) {
        double f0 = v->f0 * (1 + 0.03 * sin(2 * M_PI * 0.7 * i / SR + seed));
        phase += f0 / SR * (1 + 0.01 * nrand(&s));
        double e = phase >= 1 ? 1.0 : 0.0;
        if (phase >= 1)
            phase -= 1;
        double out = 0;
        for (int k = 0; k < 3; k++) {
            /* Two-pole resonator, 80 Hz bandwidth. */
            double r = exp(-M_PI * 80.0 / SR);
            double fk = v->f[k] * (1 + 0.15 * sin(2 * M_PI * art_rate[k] *
                                                   i / SR + art_phase[k]));
            double c = 2 * r * cos(2 * M_PI * fk / SR);
            double yk = e + c * y[k][0] - r * r * y[k][1];
            y[k][1] = y[k][0];
            y[k][0] = yk;
            out += yk / (k + 1);
        }
        double env = 0.5 + 0.5 * sin(2 * M_PI * rate * i / SR + env_phase);
        x[i] = (float)(amp * env * env * out * 0.05 + 1e-4 * nrand(&s));
    }
}

static double cosine(const float *a, const float *b, int d)
{
    double s = 0;
    for (int i = 0; i < d; i++)
        s += (double)a[i] * b[i];
    return s;
}

static int setup(void **state)
{
    (void)state;
    if (lk_test_mkdtemp("voice", tmp_dir, sizeof tmp_dir) != 0)
        return -1;
    const char *root = getenv("LK_SOURCE_ROOT");
    snprintf(model_path, sizeof model_path, "%s/models/voice/gmm_ubm256.lkv",
             root ? root : ".");
    if (lk__voice_model_read(model_path, &model) != LK_OK) {
        fprintf(stderr, "test_voice: %s\n", lk_last_error());
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    lk__voice_model_free(model);
    lk_test_rmtree(tmp_dir);
    return 0;
}

/* ------------------------------------------------------------------------
 * Front end
 * ---------------------------------------------------------------------- */

static void test_tone_spectrum(void **state)
{
    (void)state;
    lk__mfcc *m;
    assert_int_equal(lk__mfcc_new(&m), LK_OK);
    float x[LK__VOICE_FRAME + 1], ceps[LK__VOICE_NCEP], e;
    /* 1000 Hz is bin 1000 / 16000 * 512 = 32 exactly. */
    for (int i = 0; i <= LK__VOICE_FRAME; i++)
        x[i] = (float)(0.5 * sin(2 * M_PI * 1000.0 * (i - 1) / SR));
    lk__mfcc_frame(m, x + 1, ceps, &e);
    const float *p = lk__mfcc_power(m);
    int peak = 0;
    for (int k = 1; k <= LK__VOICE_NFFT / 2; k++)
        if (p[k] > p[peak])
            peak = k;
    assert_int_equal(peak, 32);
    /* Hamming-windowed, so the leak two bins away is far down. */
    assert_true(p[36] < 1e-3 * p[32]);
    /* Pre-emphasis at 1 kHz gains |1 - 0.97 e^{-j w}|^2 = 0.1531; the
     * Hamming window keeps 0.3974 of the power; the sine's is 0.125. */
    double expect = 10 * log10(0.125 * 0.1531 * 0.3974);
    assert_true(fabs(e - expect) < 0.3);

    /* Digital silence: every band sits on the floor, so the cepstrum is
     * the DCT of a constant: only c0 is non-zero. */
    memset(x, 0, sizeof x);
    lk__mfcc_frame(m, x + 1, ceps, &e);
    assert_true(e < -95);
    assert_true(fabs(ceps[0] - log(1e-8) * sqrt(LK__VOICE_NMEL)) < 1e-2);
    for (int i = 1; i < LK__VOICE_NCEP; i++)
        assert_true(fabs(ceps[i]) < 1e-3);
    lk__mfcc_free(m);
}

static void test_deltas_cmvn(void **state)
{
    (void)state;
    enum { N = 20 };
    float f[N * LK__VOICE_DIM];
    for (int t = 0; t < N; t++)
        for (int j = 0; j < LK__VOICE_NCEP; j++)
            f[t * LK__VOICE_DIM + j] = (float)(0.5 * t * (j + 1) + j);
    lk__voice_deltas(f, N);
    /* Inside, the delta of a ramp is its slope and the delta-delta 0. */
    for (int t = 4; t < N - 4; t++)
        for (int j = 0; j < LK__VOICE_NCEP; j++) {
            assert_true(fabs(f[t * LK__VOICE_DIM + LK__VOICE_NCEP + j] -
                             0.5 * (j + 1)) < 1e-4);
            assert_true(fabs(f[t * LK__VOICE_DIM + 2 * LK__VOICE_NCEP + j]) <
                        1e-4);
        }
    lk__voice_cmvn(f, N, LK__VOICE_DIM);
    for (int j = 0; j < LK__VOICE_NCEP; j++) {
        double s = 0, ss = 0;
        for (int t = 0; t < N; t++) {
            s += f[t * LK__VOICE_DIM + j];
            ss += f[t * LK__VOICE_DIM + j] * f[t * LK__VOICE_DIM + j];
        }
        assert_true(fabs(s / N) < 1e-4);
        assert_true(fabs(ss / N - 1) < 1e-3);
    }
}

static void test_vad(void **state)
{
    (void)state;
    enum { N = 400 };
    float e[N];
    uint8_t sp[N];
    for (int i = 0; i < N; i++)
        e[i] = -70.0f + (float)(i % 3);          /* noise floor */
    for (int i = 100; i < 200; i++)
        e[i] = -25.0f + (float)(i % 5);          /* 1 s of speech */
    for (int i = 300; i < 303; i++)
        e[i] = -20.0f;                           /* a 30 ms click */
    assert_int_equal(lk__voice_vad(e, N, sp), 100);
    for (int i = 0; i < N; i++)
        assert_int_equal(sp[i], i >= 100 && i < 200);
    /* Steady noise alone: nothing. */
    for (int i = 0; i < N; i++)
        e[i] = -50.0f + (float)(i % 3);
    assert_int_equal(lk__voice_vad(e, N, sp), 0);
}

/* Loud frames of n samples through the front end's stages: MFCC, deltas,
 * energy VAD, then the tonal gate.  Returns speech frames before and after
 * the gate. */
static void gate_counts(const float *x, size_t n, int *before, int *after)
{
    lk__mfcc *m;
    assert_int_equal(lk__mfcc_new(&m), LK_OK);
    const int nf = (int)((n - LK__VOICE_FRAME - 1) / LK__VOICE_HOP);
    float *fr = calloc((size_t)nf * LK__VOICE_DIM, sizeof *fr);
    float *en = malloc((size_t)nf * sizeof *en);
    uint8_t *sp = malloc((size_t)nf);
    assert_true(fr && en && sp);
    for (int i = 0; i < nf; i++)
        lk__mfcc_frame(m, x + 1 + (size_t)i * LK__VOICE_HOP,
                       fr + (size_t)i * LK__VOICE_DIM, &en[i]);
    lk__voice_deltas(fr, nf);
    *before = lk__voice_vad(en, nf, sp);
    *after = *before - lk__voice_tonal_gate(fr, nf, sp);
    free(fr);
    free(en);
    free(sp);
    lk__mfcc_free(m);
}

/* A held chord under a slow swell (a music bed) loses its "speech" to the
 * gate; an articulated voice keeps it. */
static void test_tonal_gate(void **state)
{
    (void)state;
    const size_t n = 6 * SR;
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++) {
        const double t = (double)i / SR;
        x[i] = (float)(0.1 * (sin(2 * M_PI * 220 * t) + sin(2 * M_PI * 277 * t) +
                              sin(2 * M_PI * 330 * t)) *
                       (0.6 + 0.4 * sin(2 * M_PI * 2 * t)));
    }
    int before, after;
    gate_counts(x, n, &before, &after);
    assert_true(before > 300);          /* loud enough for the energy VAD */
    assert_int_equal(after, 0);
    synth(&voice_a, 7, x, n, 1.0);
    gate_counts(x, n, &before, &after);
    assert_true(before > 200);
    assert_int_equal(after, before);
    free(x);
}

/* ------------------------------------------------------------------------
 * GMM and model file
 * ---------------------------------------------------------------------- */

static void test_gmm_em(void **state)
{
    (void)state;
    enum { N = 6000 };
    float *x = malloc(N * 2 * sizeof *x);
    assert_non_null(x);
    uint64_t s = 7;
    /* 1/3 from N((-3, 1), diag(1, 0.25)), 2/3 from N((3, -1), diag(0.25, 1)). */
    for (int i = 0; i < N; i++) {
        int c = i % 3 == 0;
        x[2 * i] = (float)(c ? -3 + nrand(&s) : 3 + 0.5 * nrand(&s));
        x[2 * i + 1] = (float)(c ? 1 + 0.5 * nrand(&s) : -1 + nrand(&s));
    }
    lk__gmm g;
    assert_int_equal(lk__gmm_train(x, N, 2, 2, 20, &g), LK_OK);
    int a = g.mu[0] < g.mu[2] ? 0 : 1, b = 1 - a;
    assert_true(fabs(g.w[a] - 1.0 / 3) < 0.02);
    assert_true(fabs(g.mu[2 * a] + 3) < 0.05 && fabs(g.mu[2 * a + 1] - 1) < 0.05);
    assert_true(fabs(g.mu[2 * b] - 3) < 0.05 && fabs(g.mu[2 * b + 1] + 1) < 0.05);
    assert_true(fabs(g.var[2 * a] - 1) < 0.1 && fabs(g.var[2 * a + 1] - 0.25) < 0.03);
    assert_true(fabs(g.var[2 * b] - 0.25) < 0.03 && fabs(g.var[2 * b + 1] - 1) < 0.1);
    float post[2];
    float far_left[2] = {-3, 1};
    lk__gmm_posteriors(&g, far_left, post);
    assert_true(post[a] > 0.999f && fabsf(post[0] + post[1] - 1) < 1e-5f);
    lk__gmm_free(&g);
    assert_int_equal(lk__gmm_train(x, 3, 2, 2, 5, &g), LK_ERR_MISUSE);
    free(x);
}

static void test_model_file(void **state)
{
    (void)state;
    enum { N = 2000, C = 4 };
    float *x = malloc((size_t)N * LK__VOICE_DIM * sizeof *x);
    assert_non_null(x);
    uint64_t s = 3;
    for (int i = 0; i < N * LK__VOICE_DIM; i++)
        x[i] = (float)(nrand(&s) + (i / LK__VOICE_DIM) % C);
    lk__gmm g;
    assert_int_equal(lk__gmm_train(x, N, LK__VOICE_DIM, C, 5, &g), LK_OK);
    assert_int_equal(lk__voice_model_write(&g, 16.0f, tpath("m.lkv")), LK_OK);
    lk__voice_model *m;
    assert_int_equal(lk__voice_model_read(tpath("m.lkv"), &m), LK_OK);
    assert_int_equal(lk__voice_model_dim(m), C * LK__VOICE_DIM);
    lk__voice_model_free(m);

    FILE *f = fopen(tpath("m.lkv"), "rb");
    assert_non_null(f);
    static uint8_t buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_int_equal(n, 64 + 4 * (C + 2 * C * LK__VOICE_DIM));
    /* Truncated, extended, bad magic, bad version, NaN mean, zero
     * variance, weights not summing to 1, absurd component count. */
    assert_int_equal(lk__voice_model_parse(buf, n - 4, "t", &m), LK_ERR_MODEL);
    assert_null(m);
    assert_non_null(strstr(lk_last_error(), "truncated"));
    assert_int_equal(lk__voice_model_parse(buf, n + 4, "t", &m), LK_ERR_MODEL);
    assert_int_equal(lk__voice_model_parse(buf, 10, "t", &m), LK_ERR_MODEL);
    assert_int_equal(lk__voice_model_parse(NULL, 0, "t", &m), LK_ERR_MODEL);
    static uint8_t bad[sizeof buf];
    struct { size_t off; uint32_t v; const char *msg; } cases[] = {
        {0, 0x4f4f4f4f, "magic"},
        {8, 2, "version"},
        {44, 100000, "components"},
        {36, 13, "cepstra"},
        {64 + 4 * C + 8, 0x7fc00000, "mean"},          /* NaN */
        {64 + 4 * C * (1 + LK__VOICE_DIM), 0, "variance"},
        {64, 0x3f800000, "weight"},                    /* w0 = 1 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(bad, buf, n);
        memcpy(bad + cases[i].off, &cases[i].v, 4);
        assert_int_equal(lk__voice_model_parse(bad, n, "bad.lkv", &m),
                         LK_ERR_MODEL);
        assert_non_null(strstr(lk_last_error(), "bad.lkv"));
        assert_non_null(strstr(lk_last_error(), cases[i].msg));
    }
    assert_int_equal(lk__voice_model_read(tpath("absent.lkv"), &m),
                     LK_ERR_MODEL);
    lk__gmm_free(&g);
    free(x);
}

/* ------------------------------------------------------------------------
 * Embeddings
 * ---------------------------------------------------------------------- */

static void test_embed_synthetic(void **state)
{
    (void)state;
    const size_t n = 6 * SR;
    const int d = lk__voice_model_dim(model);
    float *x = malloc(n * sizeof *x);
    float *a1 = malloc((size_t)d * sizeof(float));
    float *a2 = malloc((size_t)d * sizeof(float));
    float *b1 = malloc((size_t)d * sizeof(float));
    assert_true(x && a1 && a2 && b1);
    lk__voice *v;
    assert_int_equal(lk__voice_new(model, &v), LK_OK);
    lk__voice_info info;
    synth(&voice_a, 1, x, n, 1.0);
    assert_int_equal(lk__voice_embed_pcm(v, "a1", x, n, a1, &info), LK_OK);
    assert_true(fabs(info.seconds - 6.0) < 1e-6);
    assert_true(info.speech_seconds > 2.0 && info.speech_seconds < 6.0);
    assert_true(fabs(cosine(a1, a1, d) - 1) < 1e-4);
    synth(&voice_a, 2, x, n, 0.3);    /* other words, quieter */
    assert_int_equal(lk__voice_embed_pcm(v, "a2", x, n, a2, NULL), LK_OK);
    synth(&voice_b, 3, x, n, 1.0);
    assert_int_equal(lk__voice_embed_pcm(v, "b1", x, n, b1, NULL), LK_OK);
    double same = cosine(a1, a2, d), other = cosine(a1, b1, d);
    assert_true(same > other + 0.1);
    assert_true(fabs(lk__voice_score(model, a1, a2) - same) < 1e-5);

    /* Silence, and too little speech. */
    memset(x, 0, n * sizeof *x);
    assert_int_equal(lk__voice_embed_pcm(v, "quiet.wav", x, n, a1, &info),
                     LK_ERR_FORMAT);
    assert_non_null(strstr(lk_last_error(), "quiet.wav: too little speech"));
    assert_true(info.speech_seconds == 0);
    synth(&voice_a, 4, x, SR / 2, 1.0);
    assert_int_equal(lk__voice_embed_pcm(v, NULL, x, SR / 2, a1, NULL),
                     LK_ERR_FORMAT);
    assert_int_equal(lk__voice_embed_pcm(v, NULL, NULL, 0, a1, NULL),
                     LK_ERR_FORMAT);
    /* Clipped: the same voice driven far past full scale. */
    synth(&voice_a, 5, x, n, 40.0);
    for (size_t i = 0; i < n; i++)
        x[i] = x[i] > 1 ? 1 : x[i] < -1 ? -1 : x[i];
    assert_int_equal(lk__voice_embed_pcm(v, "loud.wav", x, n, a1, &info),
                     LK_ERR_FORMAT);
    assert_non_null(strstr(lk_last_error(), "clipped"));
    assert_true(info.clipped > LK__VOICE_MAX_CLIPPED);
    lk__voice_free(v);
    lk__voice_free(NULL);
    free(x);
    free(a1);
    free(a2);
    free(b1);
}

typedef struct segs {
    double start[32], end[32];
    float *emb[32];
    int n, d;
} segs;

static lk_status on_seg(void *user, const lk__voice_segment *s)
{
    segs *g = user;
    if (g->n == 32)
        return LK_ERR_MISUSE;
    g->start[g->n] = s->start;
    g->end[g->n] = s->end;
    g->emb[g->n] = malloc((size_t)g->d * sizeof(float));
    memcpy(g->emb[g->n], s->embedding, (size_t)g->d * sizeof(float));
    g->n++;
    return LK_OK;
}

static void test_segmenter(void **state)
{
    (void)state;
    /* 10 s of voice A, 3 s of silence, 10 s of voice B, pushed in 37 ms
     * chunks starting at t = 100 s. */
    const size_t n = 23 * SR;
    float *x = calloc(n, sizeof *x);
    assert_non_null(x);
    synth(&voice_a, 11, x, 10 * SR, 1.0);
    synth(&voice_b, 12, x + 13 * SR, 10 * SR, 1.0);
    lk__voice *v;
    assert_int_equal(lk__voice_new(model, &v), LK_OK);
    segs g = {.d = lk__voice_model_dim(model)};
    assert_int_equal(lk__voice_seg_begin(v, NULL, on_seg, &g), LK_OK);
    float tmp[8];
    assert_int_equal(lk__voice_embed_pcm(v, NULL, x, 10, tmp, NULL),
                     LK_ERR_MISUSE);
    const size_t chunk = 592;
    for (size_t i = 0; i < n; i += chunk) {
        size_t m = n - i < chunk ? n - i : chunk;
        assert_int_equal(lk__voice_seg_push(v, x + i, m, 100.0 + (double)i / SR),
                         LK_OK);
    }
    assert_int_equal(lk__voice_seg_finish(v), LK_OK);
    assert_true(g.n >= 4);
    int na = 0, nb = 0;
    for (int i = 0; i < g.n; i++) {
        /* Each segment lies within one voice's stretch. */
        int in_a = g.start[i] >= 100.0 && g.end[i] <= 110.1;
        /* A frame starts up to 25 ms before the speech it contains. */
        int in_b = g.start[i] >= 112.97 && g.end[i] <= 123.1;
        assert_true(in_a || in_b);
        assert_true(g.end[i] > g.start[i] + 1.5);
        na += in_a;
        nb += in_b;
    }
    assert_true(na >= 2 && nb >= 2);
    /* Windows of one voice agree more than windows of two. */
    double same = cosine(g.emb[0], g.emb[1], g.d);
    double other = cosine(g.emb[0], g.emb[g.n - 1], g.d);
    assert_true(same > other + 0.1);
    for (int i = 0; i < g.n; i++)
        free(g.emb[i]);
    lk__voice_seg_params bad = {1.0f, 2.0f, 0.5f, 1.0f};
    assert_int_equal(lk__voice_seg_begin(v, &bad, on_seg, &g), LK_ERR_MISUSE);
    assert_int_equal(lk__voice_seg_push(v, x, 10, 0), LK_ERR_MISUSE);
    lk__voice_free(v);
    free(x);
}

static int ffmpeg(const char *args, const char *out)
{
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof cmd, "ffmpeg -nostdin -hide_banner -loglevel error "
             "-y %s '%s'", args, tpath(out));
    return system(cmd);
}

/* Write 16-bit WAV of x at rate (naive decimation for lower rates). */
static void write_wav(const char *name, const float *x, size_t n, int rate)
{
    FILE *f = fopen(tpath(name), "wb");
    assert_non_null(f);
    size_t step = (size_t)(SR / rate), m = n / step;
    uint32_t data = (uint32_t)(m * 2), riff = 36 + data, br = (uint32_t)rate * 2;
    uint32_t fmt_len = 16, r = (uint32_t)rate;
    uint16_t pcm = 1, ch = 1, ba = 2, bits = 16;
    fwrite("RIFF", 1, 4, f);
    fwrite(&riff, 4, 1, f);
    fwrite("WAVEfmt ", 1, 8, f);
    fwrite(&fmt_len, 4, 1, f);
    fwrite(&pcm, 2, 1, f);
    fwrite(&ch, 2, 1, f);
    fwrite(&r, 4, 1, f);
    fwrite(&br, 4, 1, f);
    fwrite(&ba, 2, 1, f);
    fwrite(&bits, 2, 1, f);
    fwrite("data", 1, 4, f);
    fwrite(&data, 4, 1, f);
    for (size_t i = 0; i < m; i++) {
        float v = x[i * step];
        int16_t q = (int16_t)lrintf((v > 1 ? 1 : v < -1 ? -1 : v) * 32767);
        fwrite(&q, 2, 1, f);
    }
    fclose(f);
}

static void test_files(void **state)
{
    (void)state;
    const size_t n = 5 * SR;
    const int d = lk__voice_model_dim(model);
    float *x = malloc(n * sizeof *x), *e = malloc((size_t)d * sizeof *e);
    float *ep = malloc((size_t)d * sizeof *ep);
    assert_true(x && e && ep);
    synth(&voice_a, 21, x, n, 1.0);
    write_wav("a.wav", x, n, SR);
    write_wav("a8k.wav", x, n, 8000);
    lk__voice *v;
    assert_int_equal(lk__voice_new(model, &v), LK_OK);
    lk__voice_info info;
    assert_int_equal(voice_embed_file(v, tpath("a.wav"), e, &info), LK_OK);
    assert_float_equal(info.seconds, (double)n / SR, 0.05);
    /* The file path and the PCM path agree (16-bit quantisation aside). */
    assert_int_equal(lk__voice_embed_pcm(v, NULL, x, n, ep, NULL), LK_OK);
    assert_true(cosine(e, ep, d) > 0.98);

    assert_int_equal(voice_embed_file(v, tpath("a8k.wav"), e, &info),
                     LK_ERR_FORMAT);
    assert_non_null(strstr(lk_last_error(), "a8k.wav: audio sampled at 8000 Hz"));
    assert_int_equal(ffmpeg("-f lavfi -i testsrc=size=64x48:rate=10 -t 1 "
                            "-c:v mpeg4", "video.mp4"), 0);
    assert_int_equal(voice_embed_file(v, tpath("video.mp4"), e, NULL),
                     LK_ERR_FORMAT);
    assert_non_null(strstr(lk_last_error(), "no audio stream"));
    assert_int_equal(ffmpeg("-f lavfi -i anullsrc=r=16000:cl=mono -t 3",
                            "silent.flac"), 0);
    assert_int_equal(voice_embed_file(v, tpath("silent.flac"), e, NULL),
                     LK_ERR_FORMAT);
    assert_non_null(strstr(lk_last_error(), "too little speech"));
    /* Truncated: the first half of a FLAC of the voice still embeds. */
    char cmd[PATH_MAX * 3];
    assert_true(snprintf(cmd, sizeof cmd, "cd '%s' && ffmpeg -nostdin "
                         "-loglevel error -y -i a.wav a.flac && head -c "
                         "60000 a.flac > a_cut.flac", tmp_dir) <
                (int)sizeof cmd);
    assert_int_equal(system(cmd), 0);
    lk_status s = voice_embed_file(v, tpath("a_cut.flac"), e, &info);
    assert_true(s == LK_OK || s == LK_ERR_FORMAT);
    assert_true(info.seconds < 5.0);
    if (s == LK_OK)
        assert_true(cosine(e, ep, d) > 0.5);
    segs g = {.d = d};
    assert_int_equal(voice_segment_file(v, tpath("a.wav"), NULL, on_seg,
                                            &g), LK_OK);
    assert_true(g.n >= 1);
    for (int i = 0; i < g.n; i++)
        free(g.emb[i]);
    lk__voice_free(v);
    free(x);
    free(e);
    free(ep);
}

/* Two sessions on two threads (FFTW planning serialised inside) give the
 * same embeddings as one thread. */
typedef struct job {
    float *x;
    size_t n;
    float *out;
    lk_status s;
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    for (int r = 0; r < 3; r++) {
        lk__voice *v;
        j->s = lk__voice_new(model, &v);
        if (j->s != LK_OK)
            return NULL;
        j->s = lk__voice_embed_pcm(v, NULL, j->x, j->n, j->out, NULL);
        lk__voice_free(v);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    const size_t n = 3 * SR;
    const int d = lk__voice_model_dim(model);
    job j[2];
    for (int i = 0; i < 2; i++) {
        j[i].x = malloc(n * sizeof(float));
        j[i].out = malloc((size_t)d * sizeof(float));
        j[i].n = n;
        synth(i ? &voice_b : &voice_a, 30 + (uint64_t)i, j[i].x, n, 1.0);
    }
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, run_job, &j[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    float *ref = malloc((size_t)d * sizeof(float));
    lk__voice *v;
    assert_int_equal(lk__voice_new(model, &v), LK_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(j[i].s, LK_OK);
        assert_int_equal(lk__voice_embed_pcm(v, NULL, j[i].x, n, ref, NULL),
                         LK_OK);
        assert_true(cosine(ref, j[i].out, d) > 0.9999);
        free(j[i].x);
        free(j[i].out);
    }
    lk__voice_free(v);
    free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tone_spectrum),
        cmocka_unit_test(test_deltas_cmvn),
        cmocka_unit_test(test_vad),
        cmocka_unit_test(test_tonal_gate),
        cmocka_unit_test(test_gmm_em),
        cmocka_unit_test(test_model_file),
        cmocka_unit_test(test_embed_synthetic),
        cmocka_unit_test(test_segmenter),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
