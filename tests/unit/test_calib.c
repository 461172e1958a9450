/*
 * test_calib.c — score calibrations (engine/match/calib.c): a file of
 * known counts gives known false-match rates, the rate never rises with
 * the score, the floor is reported as a bound, a fitted file reads back
 * to its own data, malformed files are refused naming the file, and the
 * manifest's sha256 of a calibration is enforced.  No data or models.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/manifest.h"
#include "match/calib.h"
#include "test_tmp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char tmpdir[512];

static int setup(void **state)
{
    (void)state;
    return lk_test_mkdtemp("calib", tmpdir, sizeof tmpdir);
}

static int teardown(void **state)
{
    (void)state;
    lk_test_rmtree(tmpdir);
    return 0;
}

/* 1000 comparisons; grid 0.0, 0.1, ... 0.9; exponential tail over 0.5
 * from the top 5 with scale 0.1; floor 1e-4. */
#define KNOWN                                                               \
    "{\"format\":\"likeness-calibration/1\",\"model\":\"m@1\","            \
    "\"comparisons\":1000,"                                                 \
    "\"grid\":{\"start\":0.0,\"step\":0.1,"                                 \
    "\"at_or_above\":[1000,500,100,40,20,8,3,1,0,0]},"                      \
    "\"tail\":{\"model\":\"gpd\",\"u\":0.5,\"exceedances\":5,"              \
    "\"shape\":%s,\"scale\":0.1},\"floor\":1e-4}"

static lk__calib *parse_known(const char *shape)
{
    char text[1024];
    snprintf(text, sizeof text, KNOWN, shape);
    lk__calib *c = NULL;
    lk_status s = lk__calib_parse(text, strlen(text), "known.json", &c);
    if (s != LK_OK)
        fail_msg("%s", lk_last_error());
    return c;
}

static void test_known_counts(void **state)
{
    (void)state;
    lk__calib *c = parse_known("0");
    int below = -1;
    assert_string_equal(lk__calib_model(c), "m@1");
    /* under the tail: the grid point at or below the score */
    assert_true(fabs(lk__calib_fmr(c, -0.5, &below) - 1.0) < 1e-12);
    assert_int_equal(below, 0);
    assert_true(fabs(lk__calib_fmr(c, 0.05, NULL) - 1.0) < 1e-12);
    assert_true(fabs(lk__calib_fmr(c, 0.1, NULL) - 0.5) < 1e-12);
    assert_true(fabs(lk__calib_fmr(c, 0.25, NULL) - 0.1) < 1e-12);
    assert_true(fabs(lk__calib_fmr(c, 0.45, NULL) - 0.02) < 1e-12);
    /* over u: the larger of the grid (8/1000 at 0.5) and the tail */
    assert_true(fabs(lk__calib_fmr(c, 0.5, NULL) - 0.008) < 1e-12);
    assert_true(fabs(lk__calib_fmr(c, 0.65, NULL) - 0.003) < 1e-12);
    assert_true(fabs(lk__calib_fmr(c, 0.75, NULL) - 0.001) < 1e-12);
    /* past the data (no count at 0.8): the tail alone */
    assert_true(fabs(lk__calib_fmr(c, 0.85, NULL) -
                     0.005 * exp(-3.5)) < 1e-12);
    /* far out: the floor, said to be a bound */
    double f = lk__calib_fmr(c, 1.0, &below);
    assert_true(fabs(f - 1e-4) < 1e-15);
    assert_int_equal(below, 1);
    assert_true(fabs(lk__calib_floor(c) - 1e-4) < 1e-15);
    lk__calib_free(c);

    /* a heavier (Pareto) tail: (k/n)(1 + shape z)^(-1/shape) */
    c = parse_known("0.5");
    assert_true(fabs(lk__calib_fmr(c, 0.85, NULL) -
                     0.005 * pow(1 + 0.5 * 3.5, -2.0)) < 1e-12);
    lk__calib_free(c);
}

static void test_monotone(void **state)
{
    (void)state;
    const char *shapes[] = {"0", "0.3"};
    for (int k = 0; k < 2; k++) {
        lk__calib *c = parse_known(shapes[k]);
        double last = 2.0;
        for (double s = -1.0; s <= 1.0; s += 0.0007) {
            double f = lk__calib_fmr(c, s, NULL);
            assert_true(f > 0 && f <= 1.0);
            if (f > last)
                fail_msg("fmr rises at %.4f: %g after %g", s, f, last);
            last = f;
        }
        lk__calib_free(c);
    }
}

/* A deterministic sample: 20000 scores, a bell around 0.05 with a tail. */
static float *sample(size_t n)
{
    float *v = malloc(n * sizeof *v);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        double sum = 0;
        for (int k = 0; k < 12; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            sum += (double)(x >> 11) / 9007199254740992.0;
        }
        v[i] = (float)(0.05 + 0.08 * (sum - 6.0));
    }
    return v;
}

static void test_fit_reads_back(void **state)
{
    (void)state;
    const size_t n = 20000;
    float *v = sample(n);
    char path[600];
    snprintf(path, sizeof path, "%s/fit.json", tmpdir);
    const char *sets[] = {"set_a"};
    lk__calib_source src = {"m@2", "00", "one thing against another", sets,
                            1, NULL, 0, 3, 4, 5};
    assert_int_equal(lk__calib_write(v, n, 0.02, &src, path), LK_OK);
    uint8_t *text;
    size_t len;
    assert_int_equal(lk__read_file(path, 1 << 20, &text, &len), LK_OK);
    lk__calib *c;
    assert_int_equal(lk__calib_parse((const char *)text, len, path, &c),
                     LK_OK);
    /* under the tail, the rate at a grid point is the data's own */
    for (double t = -0.2; t < 0.15; t += 0.05) {
        size_t at = 0;
        double g = -1.0 + 0.01 * floor((t + 1.0) / 0.01 + 1e-9);
        for (size_t i = 0; i < n; i++)
            at += v[i] >= g;
        assert_true(fabs(lk__calib_fmr(c, t, NULL) - (double)at / n) <
                    1e-12);
    }
    /* the top 2% over the tail's start: the model's rate there */
    assert_true(fabs(lk__calib_floor(c) - 1.0 / (10.0 * n)) < 1e-12);
    int below;
    lk__calib_fmr(c, 0.99, &below);
    assert_int_equal(below, 1);
    lk__calib_free(c);
    free(text);
    assert_int_equal(lk__calib_write(v, 50, 0.02, &src, path),
                     LK_ERR_MISUSE);
    free(v);
}

static void expect_refused(const char *text, const char *why)
{
    lk__calib *c = (lk__calib *)1;
    assert_int_equal(lk__calib_parse(text, strlen(text), "/x/bad.json", &c),
                     LK_ERR_MODEL);
    assert_null(c);
    if (!strstr(lk_last_error(), "/x/bad.json") ||
        !strstr(lk_last_error(), why))
        fail_msg("message '%s' lacks the file or '%s'", lk_last_error(), why);
}

static void test_malformed(void **state)
{
    (void)state;
    expect_refused("{\"format\":", "calibration");
    expect_refused("{\"format\":\"other/1\"}", "format");
    expect_refused("{\"format\":\"likeness-calibration/1\",\"model\":\"m\","
                   "\"comparisons\":10,\"grid\":{\"start\":0,\"step\":0.1,"
                   "\"at_or_above\":[5,7]},\"tail\":{\"model\":\"gpd\","
                   "\"u\":0.5,\"exceedances\":1,\"shape\":0,\"scale\":0.1},"
                   "\"floor\":0.01}", "no larger than the one before");
    expect_refused("{\"format\":\"likeness-calibration/1\",\"model\":\"m\","
                   "\"comparisons\":10,\"grid\":{\"start\":0,\"step\":0.1,"
                   "\"at_or_above\":[5,4]},\"tail\":{\"model\":\"gpd\","
                   "\"u\":0.5,\"exceedances\":1,\"shape\":0,\"scale\":-1},"
                   "\"floor\":0.01}", "positive scale");
    expect_refused("{\"format\":\"likeness-calibration/1\",\"model\":\"m\","
                   "\"comparisons\":10,\"grid\":{\"start\":0,\"step\":0.1,"
                   "\"at_or_above\":[5,4]},\"tail\":{\"model\":\"gpd\","
                   "\"u\":0.5,\"exceedances\":1,\"shape\":0,\"scale\":0.1},"
                   "\"floor\":0}", "floor");
    expect_refused("{\"format\":\"likeness-calibration/1\",\"model\":\"m\","
                   "\"comparisons\":10,\"grid\":{\"start\":0,\"step\":0.1,"
                   "\"at_or_above\":[50,4]},\"tail\":{\"model\":\"gpd\","
                   "\"u\":0.5,\"exceedances\":1,\"shape\":0,\"scale\":0.1},"
                   "\"floor\":0.1}", "grid count 0");
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The manifest's sha256 of a calibration is checked like a weight's. */
static void test_manifest_sha(void **state)
{
    (void)state;
    char path[700], text[2048], known[1024];
    snprintf(known, sizeof known, KNOWN, "0");
    snprintf(path, sizeof path, "%s/c.json", tmpdir);
    write_file(path, known);
    char hex[65];
    lk__sha256_hex(known, strlen(known), hex);
    for (int good = 0; good < 2; good++) {
        snprintf(text, sizeof text,
                 "{\"models\":[{\"id\":\"m@1\",\"role\":\"face_embed\","
                 "\"file\":\"w.onnx\",\"sha256\":\"%064d\",\"dim\":8,"
                 "\"input\":{\"width\":8,\"height\":8},"
                 "\"calibration\":{\"file\":\"c.json\",\"sha256\":\"%s\"}}]}",
                 0, good ? hex : "ab00000000000000000000000000000000000000"
                                 "000000000000000000000000");
        snprintf(path, sizeof path, "%s/manifest.json", tmpdir);
        write_file(path, text);
        lk__manifest mf;
        assert_int_equal(lk__manifest_load(tmpdir, &mf), LK_OK);
        lk__model *m = lk__manifest_find(&mf, "face_embed", NULL);
        assert_non_null(m);
        lk_status s = lk__model_load_calibration(m, 1);
        if (good) {
            assert_int_equal(s, LK_OK);
            assert_string_equal(m->calib, known);
        } else {
            assert_int_equal(s, LK_ERR_MODEL);
            assert_null(m->calib);
            assert_non_null(strstr(lk_last_error(), "c.json"));
            assert_non_null(strstr(lk_last_error(), "sha256"));
        }
        lk__manifest_free(&mf);
    }
    /* a calibration entry without its sha256 is a manifest error */
    write_file(path, "{\"models\":[{\"id\":\"m@1\",\"role\":\"face_embed\","
               "\"file\":\"w.onnx\",\"sha256\":\"0000000000000000000000000000"
               "000000000000000000000000000000000000\",\"dim\":8,"
               "\"input\":{\"width\":8,\"height\":8},"
               "\"calibration\":{\"file\":\"c.json\"}}]}");
    lk__manifest mf;
    assert_int_equal(lk__manifest_load(tmpdir, &mf), LK_ERR_MODEL);
    assert_non_null(strstr(lk_last_error(), "manifest.json"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_counts),
        cmocka_unit_test(test_monotone),
        cmocka_unit_test(test_fit_reads_back),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_manifest_sha),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
