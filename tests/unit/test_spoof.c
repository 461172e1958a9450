/*
 * test_spoof.c — engine/voice/spoof.c: the model file as untrusted input
 * (every truncation and each corrupt field refused, naming the file), and
 * the streaming scorer's range queries on a synthetic voice placed at
 * known times (sums partition, silence scores nothing, chunking and
 * stream offset change nothing).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voice/spoof.h"

#define SR LK__VOICE_RATE
#define D LK__VOICE_DIM
#define HEADER 72

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_f32(uint8_t *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    put_u32(p, u);
}

/* A valid version-1 model of C components per class: bona fide means 0,
 * synthetic means `shift`, unit variances; threshold 0.25.  Returns its
 * size; b must hold it. */
static size_t build_model(uint8_t *b, uint32_t C, float shift)
{
    memcpy(b, "LKSPOOF1", 8);
    const uint32_t h[12] = {1, HEADER, SR, LK__VOICE_FRAME, LK__VOICE_HOP,
                            LK__VOICE_NFFT, LK__SPOOF_NFILT, LK__VOICE_NCEP,
                            D, C, LK__SPOOF_LFCC, 0};
    for (int i = 0; i < 12; i++)
        put_u32(b + 8 + 4 * i, h[i]);
    put_f32(b + 56, 0.25f);
    put_f32(b + 60, 0.0f);
    put_f32(b + 64, 8000.0f);
    put_u32(b + 68, 0);
    uint8_t *p = b + HEADER;
    for (int g = 0; g < 2; g++) {
        for (uint32_t c = 0; c < C; c++, p += 4)
            put_f32(p, 1.0f / (float)C);
        for (uint32_t i = 0; i < C * D; i++, p += 4)
            put_f32(p, g ? shift + 0.01f * (float)(i / D) : 0.0f);
        for (uint32_t i = 0; i < C * D; i++, p += 4)
            put_f32(p, 1.0f);
    }
    return (size_t)(p - b);
}

static void test_model_file(void **state)
{
    (void)state;
    const uint32_t C = 2;
    const size_t cap = HEADER + 2 * 4 * (C + 2 * C * D);
    uint8_t *buf = malloc(cap), *bad = malloc(cap);
    assert_non_null(buf);
    assert_non_null(bad);
    const size_t n = build_model(buf, C, 0.5f);
    assert_int_equal(n, cap);

    lk__spoof_model *m = NULL;
    assert_int_equal(lk__spoof_model_parse(buf, n, "ok.lkv", &m), LK_OK);
    assert_non_null(m);
    assert_true(fabsf(lk__spoof_model_threshold(m) - 0.25f) < 1e-6f);
    assert_int_equal(lk__spoof_model_components(m), 2);
    lk__spoof_model_free(m);

    /* Every length short of the whole, and one too long. */
    for (size_t k = 0; k < n; k += 13) {
        m = (lk__spoof_model *)1;
        assert_int_equal(lk__spoof_model_parse(buf, k, "cut.lkv", &m),
                         LK_ERR_MODEL);
        assert_null(m);
    }
    assert_int_equal(lk__spoof_model_parse(buf, n - 1, "cut.lkv", &m),
                     LK_ERR_MODEL);
    assert_non_null(strstr(lk_last_error(), "truncated"));
    assert_int_equal(lk__spoof_model_parse(buf, n + 0, NULL, NULL),
                     LK_ERR_MISUSE);

    /* Each field out of range, in the header and in both GMMs. */
    const struct {
        size_t off;
        int is_float;
        double v;
    } cases[] = {
        {0, 0, 0x58585858},              /* magic */
        {8, 0, 2},                       /* version */
        {12, 0, 64},                     /* header size */
        {16, 0, 8000},                   /* sample rate */
        {32, 0, 24},                     /* filters */
        {44, 0, 0},                      /* components */
        {44, 0, 5000},
        {48, 0, 2},                      /* features */
        {52, 0, 2},                      /* flags */
        {68, 0, 1},                      /* reserved */
        {56, 1, NAN},                    /* threshold */
        {64, 1, 9000},                   /* filterbank top over Nyquist */
        {60, 1, 7500},                   /* band under 1 kHz */
        {HEADER, 1, 0},                  /* bona fide weight */
        {HEADER, 1, 0.9},                /* weights sum over 1 */
        {HEADER + 4 * C + 8, 1, NAN},    /* bona fide mean */
        {HEADER + 4 * (C + C * D), 1, 0},            /* bona fide variance */
        {HEADER + 4 * (C + 2 * C * D) + 4 * C, 1, INFINITY}, /* synthetic mean */
        {n - 4, 1, -1},                  /* synthetic variance */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        memcpy(bad, buf, n);
        if (cases[i].is_float)
            put_f32(bad + cases[i].off, (float)cases[i].v);
        else
            put_u32(bad + cases[i].off, (uint32_t)cases[i].v);
        m = (lk__spoof_model *)1;
        lk_status s = lk__spoof_model_parse(bad, n, "bad.lkv", &m);
        if (s != LK_ERR_MODEL)
            fail_msg("case %zu (offset %zu) parsed: %d", i, cases[i].off, s);
        assert_null(m);
        assert_non_null(strstr(lk_last_error(), "bad.lkv"));
    }

    assert_int_equal(lk__spoof_model_read("/nonexistent/spoof.lkv", &m),
                     LK_ERR_MODEL);
    assert_non_null(strstr(lk_last_error(), "/nonexistent/spoof.lkv"));
    free(buf);
    free(bad);
}

/* ------------------------------------------------------------------------
 * Streaming scorer
 * ---------------------------------------------------------------------- */

static double urand(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

/* Voiced speech enough for the front end's VAD and tonal gate: a pulse
 * train through two moving resonators under a syllable envelope. */
static void voice(float *x, size_t n, uint64_t seed)
{
    uint64_t s = seed;
    double y[2][2] = {{0}}, phase = 0;
    const double fk0[2] = {600, 1700};
    for (size_t i = 0; i < n; i++) {
        phase += 120.0 / SR * (1 + 0.02 * (urand(&s) - 0.5));
        double e = phase >= 1 ? 1.0 : 0.0;
        if (phase >= 1)
            phase -= 1;
        double out = 0;
        for (int k = 0; k < 2; k++) {
            double r = exp(-M_PI * 80.0 / SR);
            double fk = fk0[k] * (1 + 0.2 * sin(2 * M_PI * (4 + k) * i / SR));
            double c = 2 * r * cos(2 * M_PI * fk / SR);
            double yk = e + c * y[k][0] - r * r * y[k][1];
            y[k][1] = y[k][0];
            y[k][0] = yk;
            out += yk;
        }
        double env = 0.5 + 0.5 * sin(2 * M_PI * 4.0 * i / SR);
        x[i] += (float)(0.05 * env * env * out);
    }
}

static void test_stream_range(void **state)
{
    (void)state;
    const uint32_t C = 2;
    uint8_t *buf = malloc(HEADER + 2 * 4 * (C + 2 * C * D));
    assert_non_null(buf);
    size_t nb = build_model(buf, C, 0.3f);
    lk__spoof_model *m;
    assert_int_equal(lk__spoof_model_parse(buf, nb, "t.lkv", &m), LK_OK);
    free(buf);
    lk__spoof *sp;
    assert_int_equal(lk__spoof_new(m, &sp), LK_OK);

    /* 12 s: speech in [1, 4) and [7, 10), faint noise elsewhere; the
     * stream starts at 50 s. */
    const size_t n = 12 * SR;
    float *x = calloc(n, sizeof *x);
    assert_non_null(x);
    uint64_t s = 7;
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(1e-4 * (urand(&s) - 0.5));
    voice(x + 1 * SR, 3 * SR, 1);
    voice(x + 7 * SR, 3 * SR, 2);
    const double T0 = 50.0;
    for (size_t off = 0; off < n; off += 1000)
        assert_int_equal(lk__spoof_push(sp, x + off, n - off < 1000 ? n - off
                                                                  : 1000,
                                        T0 + (double)off / SR),
                         LK_OK);
    assert_int_equal(lk__spoof_finish(sp), LK_OK);

    double total, a, b, c;
    long n_total = lk__spoof_total(sp, &total);
    assert_true(n_total > 200 && n_total <= 600);
    /* The whole stream, and its two halves, add up exactly. */
    assert_int_equal(lk__spoof_range(sp, T0, T0 + 12, &a), n_total);
    assert_true(fabs(a - total) <= 1e-9 * fabs(total) + 1e-9);
    long na = lk__spoof_range(sp, T0, T0 + 5.4, &a);
    long nb2 = lk__spoof_range(sp, T0 + 5.5, T0 + 12, &b);
    assert_true(na > 0 && nb2 > 0);
    assert_int_equal(na + nb2, n_total);
    assert_true(fabs(a + b - total) <= 1e-9 * fabs(total) + 1e-9);
    /* Silence scores nothing: before, between and after the speech. */
    assert_int_equal(lk__spoof_range(sp, T0, T0 + 0.4, &c), 0);
    assert_true(c == 0.0);
    assert_int_equal(lk__spoof_range(sp, T0 + 4.6, T0 + 6.4, &c), 0);
    assert_int_equal(lk__spoof_range(sp, T0 + 10.6, T0 + 100, &c), 0);
    /* Nothing before the stream, and an empty range is empty. */
    assert_int_equal(lk__spoof_range(sp, 0, T0 - 0.6, &c), 0);
    assert_int_equal(lk__spoof_range(sp, T0 + 3, T0 + 2, &c), 0);
    /* A single instant is its bucket. */
    assert_true(lk__spoof_range(sp, T0 + 2.2, T0 + 2.2, &c) > 0);

    /* One push of the whole, at another offset: the same frames and sums,
     * moved in time. */
    lk__spoof_reset(sp);
    assert_int_equal(lk__spoof_total(sp, &c), 0);
    assert_int_equal(lk__spoof_push(sp, x, n, 0.0), LK_OK);
    assert_int_equal(lk__spoof_finish(sp), LK_OK);
    assert_int_equal(lk__spoof_total(sp, &c), n_total);
    assert_true(fabs(c - total) <= 1e-6 * fabs(total));
    assert_int_equal(lk__spoof_range(sp, 0, 5.4, &c), na);
    assert_true(fabs(c - a) <= 1e-6 * fabs(a) + 1e-9);

    free(x);
    lk__spoof_free(sp);
    lk__spoof_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_file),
        cmocka_unit_test(test_stream_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
