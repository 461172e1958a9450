/*
 * test_provenance.c — lk_provenance_read() (engine/evidence/) on files made at
 * test time: C2PA-signed JPEGs, PNGs, WAVs, MP3s and MP4s written by
 * c2pa_craft.c (intact, edited after signing, re-signed by another key,
 * and damaged in the ways a reader must survive; an MP4 bound by
 * c2pa.hash.bmff.v2, which is not checked), plain images, XMP and EXIF
 * written by exiftool (those tests skip when it is absent), and a PNG
 * carrying Stable Diffusion web UI's generation parameters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "c2pa_craft.h"
#include "likeness.h"
#include "test_tmp.h"

static char tmp_dir[PATH_MAX / 2];

#define AGENT "Likeness Test Diffusion 1.0"
#define CAMERA "Likeness Test Camera 2.0"
#define IPTC "http://cv.iptc.org/newscodes/digitalsourcetype/"

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

static const char *tpath(const char *name)
{
    static char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s/%s", tmp_dir, name);
    return buf;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* How long one read of a small damaged file may take: far more than a
 * sound reader needs, far less than a quadratic or runaway one. */
static double read_budget(void)
{
    return getenv("LK_SANITIZED") ? 10.0 : 2.0;
}

static void dump(const char *what, const lk_provenance *p)
{
    char *js = p ? lk_provenance_json(p) : NULL;
    print_message("%s: %s\n", what, js ? js : "(no record)");
    lk_free(js);
}

/* Craft name in the scratch directory from p; its path (static buffer). */
static const char *craft(const char *name, const c2pa_craft_params *p)
{
    const char *path = tpath(name);
    if (c2pa_craft_write(path, p) != 0)
        fail_msg("c2pa_craft: %s", c2pa_craft_error());
    return path;
}

/* lk_provenance_read(path) must succeed, within the time budget. */
static lk_provenance *read_ok(const char *path)
{
    lk_provenance *p = NULL;
    double t0 = now_s();
    lk_status st = lk_provenance_read(path, &p);
    double dt = now_s() - t0;
    if (st != LK_OK)
        fail_msg("lk_provenance_read(%s): %s: %s", path, lk_status_str(st),
                 lk_last_error());
    assert_non_null(p);
    if (dt > read_budget()) {
        dump("slow", p);
        fail_msg("lk_provenance_read(%s) took %.2f s", path, dt);
    }
    assert_non_null(p->path);
    return p;
}

static int has_problem_naming(const lk_provenance *p, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (int i = 0; i < p->n_problems; i++)
        if (p->problems && p->problems[i] && strstr(p->problems[i], base))
            return 1;
    return 0;
}

static void assert_str(const char *got, const char *want, const char *field,
                       const lk_provenance *p)
{
    if (!got || strcmp(got, want) != 0) {
        dump(field, p);
        fail_msg("%s: got \"%s\", want \"%s\"", field, got ? got : "(null)",
                 want);
    }
}

#define EXPECT(cond, p)                                                     \
    do {                                                                    \
        if (!(cond)) {                                                      \
            dump(#cond, p);                                                 \
            fail_msg("expected %s", #cond);                                 \
        }                                                                   \
    } while (0)

static const lk_prov_manifest *active(const lk_provenance *p)
{
    EXPECT(p->n_manifests >= 1 && p->active >= 0 &&
               p->active < p->n_manifests, p);
    EXPECT(lk_provenance_manifest(p, p->n_manifests) == NULL &&
               lk_provenance_manifest(p, -1) == NULL, p);
    return lk_provenance_manifest(p, p->active);
}

/* What every intact signed file of ours reads as. */
static void expect_intact(const lk_provenance *p, const c2pa_craft_params *c)
{
    EXPECT(p->c2pa == 1, p);
    EXPECT(p->n_manifests == 1, p);
    EXPECT(p->signature == LK_SIGNATURE_VALID, p);
    EXPECT(p->binding == LK_BINDING_MATCH, p);
    /* Notes are allowed (the certificate is not checked against a trust
     * list), failures are not. */
    static const char *const failed[] = {"malformed", "unreadable",
                                         "truncated", "does not",
                                         "not verified", "invalid"};
    for (int i = 0; i < p->n_problems; i++)
        for (size_t k = 0; k < sizeof failed / sizeof *failed; k++)
            if (strstr(p->problems[i], failed[k])) {
                dump("problem on an intact file", p);
                fail_msg("intact file, yet: %s", p->problems[i]);
            }
    const lk_prov_manifest *m = active(p);
    EXPECT(m->signature == LK_SIGNATURE_VALID, p);
    EXPECT(m->label && strncmp(m->label, "urn:uuid:", 9) == 0, p);
    if (!c->claim_v2)
        assert_str(m->claim_generator, c->claim_generator, "claim_generator",
                   p);
    assert_str(m->title, c->title, "title", p);
    EXPECT(m->signer && strstr(m->signer, "c2pa_craft"), p);
    EXPECT(m->n_actions == 1 && lk_prov_manifest_action(m, 0) &&
               !lk_prov_manifest_action(m, 1), p);
    const lk_prov_action *a = lk_prov_manifest_action(m, 0);
    assert_str(a->action, c->action, "actions[0].action", p);
    if (c->source_type)
        assert_str(a->source_type, c->source_type, "actions[0].source_type",
                   p);
    if (c->software_agent)
        assert_str(a->software, c->software_agent, "actions[0].software", p);
}

static c2pa_craft_params ai_params(c2pa_craft_container c)
{
    static const char *const titles[C2PA_CRAFT_CONTAINER_COUNT] = {
        "c2pa_craft.jpg", "c2pa_craft.png", "c2pa_craft.wav",
        "c2pa_craft.mp3", "c2pa_craft.mp4"};
    c2pa_craft_params p = c2pa_craft_default_params();
    p.container = c;
    p.title = titles[c];
    return p;
}

static c2pa_craft_params capture_params(c2pa_craft_container c)
{
    c2pa_craft_params p = ai_params(c);
    p.source_type = "digitalCapture";
    p.software_agent = CAMERA;
    return p;
}

static void expect_ai(const lk_provenance *p)
{
    EXPECT(p->source_class == LK_SOURCE_GENERATIVE, p);
    assert_str(p->source_type, "trainedAlgorithmicMedia", "source_type", p);
    assert_str(p->source_from, "c2pa", "source_from", p);
    assert_str(p->generator, AGENT, "generator", p);
    EXPECT(p->verdict == LK_VERDICT_DECLARED_AI, p);
}

static void expect_capture(const lk_provenance *p)
{
    EXPECT(p->source_class == LK_SOURCE_CAPTURE, p);
    assert_str(p->source_type, "digitalCapture", "source_type", p);
    assert_str(p->source_from, "c2pa", "source_from", p);
    EXPECT(p->verdict == LK_VERDICT_DECLARED_CAPTURE, p);
}

/* Nothing at all: no manifest, no declaration, no hint, no problem. */
static void expect_nothing(const lk_provenance *p)
{
    EXPECT(p->c2pa == 0, p);
    EXPECT(p->n_manifests == 0, p);
    EXPECT(p->active == -1, p);
    EXPECT(p->binding == LK_BINDING_NONE, p);
    EXPECT(p->signature == LK_SIGNATURE_NONE, p);
    EXPECT(p->source_class == LK_SOURCE_UNDECLARED, p);
    EXPECT(p->source_type == NULL && p->source_from == NULL, p);
    EXPECT(p->ai_software == 0, p);
    EXPECT(p->n_problems == 0, p);
    EXPECT(p->verdict == LK_VERDICT_NO_SIGNAL, p);
}

static void write_plain(const char *name, c2pa_craft_container c)
{
    uint8_t *img = NULL;
    size_t n = 0;
    if (c2pa_craft_image(c, 96, 64, &img, &n) != 0)
        fail_msg("c2pa_craft_image: %s", c2pa_craft_error());
    assert_int_equal(c2pa_craft_write_file(tpath(name), img, n), 0);
    free(img);
}

/* Run argv (argv[0] looked up in PATH), output discarded; its exit code,
 * or -1 when it could not be run. */
static int run(char *const argv[])
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status) == 127 ? -1 : WEXITSTATUS(status);
}

static int have_exiftool(void)
{
    static int have = -1;
    if (have < 0) {
        char *argv[] = {"exiftool", "-ver", NULL};
        have = run(argv) == 0;
    }
    return have;
}

/* exiftool -TAG=VALUE on a fresh plain JPEG, written as name. */
static const char *exif_jpeg(const char *name, const char *assignment)
{
    write_plain("exif_src.jpg", C2PA_CRAFT_JPEG);
    char src[PATH_MAX], dst[PATH_MAX];
    snprintf(src, sizeof src, "%s", tpath("exif_src.jpg"));
    snprintf(dst, sizeof dst, "%s", tpath(name));
    unlink(dst);
    char *argv[] = {"exiftool", "-q", "-o", dst, (char *)assignment, src,
                    NULL};
    if (run(argv) != 0)
        fail_msg("exiftool %s failed", assignment);
    unlink(src);
    return tpath(name);
}

/* ------------------------------------------------------------------------
 * Intact C2PA
 * ---------------------------------------------------------------------- */

static void test_jpeg_ai(void **state)
{
    (void)state;
    c2pa_craft_params c = ai_params(C2PA_CRAFT_JPEG);
    lk_provenance *p = read_ok(craft("ai.jpg", &c));
    expect_intact(p, &c);
    expect_ai(p);
    lk_provenance_free(p);
}

static void test_jpeg_capture(void **state)
{
    (void)state;
    c2pa_craft_params c = capture_params(C2PA_CRAFT_JPEG);
    lk_provenance *p = read_ok(craft("capture.jpg", &c));
    expect_intact(p, &c);
    expect_capture(p);
    assert_str(p->generator, CAMERA, "generator", p);
    lk_provenance_free(p);
}

/* A source type that is algorithmic but not generative AI is not a
 * declaration of AI; nor is a manifest without any. */
static void test_jpeg_algorithmic_and_undeclared(void **state)
{
    (void)state;
    c2pa_craft_params c = ai_params(C2PA_CRAFT_JPEG);
    c.source_type = "algorithmicMedia";
    lk_provenance *p = read_ok(craft("algorithmic.jpg", &c));
    expect_intact(p, &c);
    EXPECT(p->source_class == LK_SOURCE_ALGORITHMIC, p);
    assert_str(p->source_type, "algorithmicMedia", "source_type", p);
    EXPECT(p->verdict != LK_VERDICT_DECLARED_AI, p);
    lk_provenance_free(p);

    c.source_type = NULL;
    c.software_agent = NULL;
    p = read_ok(craft("undeclared.jpg", &c));
    expect_intact(p, &c);
    EXPECT(p->source_class == LK_SOURCE_UNDECLARED, p);
    EXPECT(p->source_type == NULL, p);
    EXPECT(p->verdict == LK_VERDICT_NO_SIGNAL, p);
    /* no softwareAgent: the claim generator is the tool behind it */
    EXPECT(p->generator == NULL ||
               strcmp(p->generator, c.claim_generator) == 0, p);
    lk_provenance_free(p);
}

/* A store split over several APP11 segments reads like one. */
static void test_jpeg_split(void **state)
{
    (void)state;
    c2pa_craft_params c = ai_params(C2PA_CRAFT_JPEG);
    c.segment_max = 700;
    c.filler = 3000;
    lk_provenance *p = read_ok(craft("split.jpg", &c));
    expect_intact(p, &c);
    expect_ai(p);
    lk_provenance_free(p);

    /* big enough to need several full segments on its own */
    c.segment_max = 0;
    c.filler = 150000;
    p = read_ok(craft("split_big.jpg", &c));
    expect_intact(p, &c);
    expect_ai(p);
    lk_provenance_free(p);
}

static void test_png(void **state)
{
    (void)state;
    c2pa_craft_params c = ai_params(C2PA_CRAFT_PNG);
    lk_provenance *p = read_ok(craft("ai.png", &c));
    expect_intact(p, &c);
    expect_ai(p);
    lk_provenance_free(p);

    c = capture_params(C2PA_CRAFT_PNG);
    p = read_ok(craft("capture.png", &c));
    expect_intact(p, &c);
    expect_capture(p);
    lk_provenance_free(p);
}

/* C2PA 2.x: c2pa.claim.v2 (created_assertions, claim_generator_info) and
 * c2pa.actions.v2 whose softwareAgent is a generator-info map. */
static void test_claim_v2(void **state)
{
    (void)state;
    c2pa_craft_params c = ai_params(C2PA_CRAFT_JPEG);
    c.claim_v2 = 1;
    c.source_type = "compositeWithTrainedAlgorithmicMedia";
    lk_provenance *p = read_ok(craft("v2.jpg", &c));
    expect_intact(p, &c);
    EXPECT(p->source_class == LK_SOURCE_GENERATIVE, p);
    assert_str(p->source_type, "compositeWithTrainedAlgorithmicMedia",
               "source_type", p);
    assert_str(p->generator, AGENT, "generator", p);
    EXPECT(p->verdict == LK_VERDICT_DECLARED_AI, p);
    lk_provenance_free(p);
}

/* ------------------------------------------------------------------------
 * Edited or re-signed after signing
 * ---------------------------------------------------------------------- */

static void test_pixels_changed(void **state)
{
    (void)state;
    for (int png = 0; png < 2; png++) {
        c2pa_craft_container k = png ? C2PA_CRAFT_PNG : C2PA_CRAFT_JPEG;
        /* Declared AI stays declared AI: an edit does not make it less
         * generated. */
        c2pa_craft_params c = ai_params(k);
        c.damage = C2PA_CRAFT_PIXELS;
        lk_provenance *p = read_ok(craft(png ? "pix_ai.png" : "pix_ai.jpg",
                                         &c));
        EXPECT(p->c2pa == 1, p);
        EXPECT(p->binding == LK_BINDING_MISMATCH, p);
        EXPECT(p->signature == LK_SIGNATURE_VALID, p);
        EXPECT(p->source_class == LK_SOURCE_GENERATIVE, p);
        EXPECT(p->verdict == LK_VERDICT_DECLARED_AI, p);
        lk_provenance_free(p);

        /* A capture whose pixels changed is tampered with. */
        c = capture_params(k);
        c.damage = C2PA_CRAFT_PIXELS;
        p = read_ok(craft(png ? "pix_cap.png" : "pix_cap.jpg", &c));
        EXPECT(p->c2pa == 1, p);
        EXPECT(p->binding == LK_BINDING_MISMATCH, p);
        EXPECT(p->signature == LK_SIGNATURE_VALID, p);
        EXPECT(p->verdict == LK_VERDICT_INVALID_MANIFEST, p);
        lk_provenance_free(p);
    }
}

static void test_claim_changed(void **state)
{
    (void)state;
    c2pa_craft_params c = capture_params(C2PA_CRAFT_JPEG);
    c.damage = C2PA_CRAFT_CLAIM;
    lk_provenance *p = read_ok(craft("claim_cap.jpg", &c));
    EXPECT(p->c2pa == 1, p);
    EXPECT(p->signature == LK_SIGNATURE_INVALID, p);
    EXPECT(active(p)->signature == LK_SIGNATURE_INVALID, p);
    EXPECT(p->verdict == LK_VERDICT_INVALID_MANIFEST, p);
    lk_provenance_free(p);

    c = ai_params(C2PA_CRAFT_PNG);
    c.damage = C2PA_CRAFT_CLAIM;
    p = read_ok(craft("claim_ai.png", &c));
    EXPECT(p->signature == LK_SIGNATURE_INVALID, p);
    EXPECT(p->verdict == LK_VERDICT_DECLARED_AI, p);
    lk_provenance_free(p);
}

static void test_other_key(void **state)
{
    (void)state;
    c2pa_craft_params c = capture_params(C2PA_CRAFT_JPEG);
    c.damage = C2PA_CRAFT_OTHER_KEY;
    lk_provenance *p = read_ok(craft("otherkey.jpg", &c));
    EXPECT(p->c2pa == 1, p);
    EXPECT(p->signature == LK_SIGNATURE_INVALID, p);
    EXPECT(p->binding == LK_BINDING_MATCH, p);
    EXPECT(p->verdict == LK_VERDICT_INVALID_MANIFEST, p);
    lk_provenance_free(p);
}

/* ------------------------------------------------------------------------
 * Malformed stores: LK_OK, quickly, with a problem naming the file
 * ---------------------------------------------------------------------- */

/* 1 when p is what a damaged store must give: c2pa set, a problem naming
 * the file, JSON that still parses, and a verdict that does not vouch for
 * the file (invalid-manifest, or declared-ai when the AI declaration is
 * still readable: a damaged store never makes content less generated);
 * else 0, saying why. */
static int survived(const char *path, const lk_provenance *p)
{
    int ok = 1;
    if (p->verdict != LK_VERDICT_INVALID_MANIFEST &&
        p->verdict != LK_VERDICT_DECLARED_AI) {
        print_message("%s: verdict %s\n", path, lk_verdict_name(p->verdict));
        ok = 0;
    }
    if (p->c2pa != 1) {
        print_message("%s: c2pa is %d, want 1\n", path, p->c2pa);
        ok = 0;
    }
    if (!has_problem_naming(p, path)) {
        print_message("%s: no problem naming the file\n", path);
        ok = 0;
    }
    char *js = lk_provenance_json(p);
    json_error_t err;
    json_t *root = js ? json_loads(js, 0, &err) : NULL;
    if (!root) {
        print_message("%s: JSON does not parse\n", path);
        ok = 0;
    }
    if (!ok)
        dump(path, p);
    json_decref(root);
    lk_free(js);
    return ok;
}

static void test_malformed(void **state)
{
    (void)state;
    static const c2pa_craft_damage damages[] = {
        C2PA_CRAFT_TRUNCATED,    C2PA_CRAFT_FILE_CUT,
        C2PA_CRAFT_BOX_OVERLONG, C2PA_CRAFT_BOX_SHORT,
        C2PA_CRAFT_BOX_XL,       C2PA_CRAFT_CBOR_DEEP,
        C2PA_CRAFT_CBOR_HUGE,    C2PA_CRAFT_CBOR_OPEN,
    };
    int failures = 0;
    for (int png = 0; png < 2; png++)
        for (size_t i = 0; i < sizeof damages / sizeof *damages; i++) {
            c2pa_craft_params c = ai_params(png ? C2PA_CRAFT_PNG
                                                : C2PA_CRAFT_JPEG);
            c.damage = damages[i];
            char name[64];
            snprintf(name, sizeof name, "bad-%s.%s",
                     c2pa_craft_damage_name(c.damage), png ? "png" : "jpg");
            const char *path = craft(name, &c);
            lk_provenance *p = read_ok(path);
            failures += !survived(path, p);
            lk_provenance_free(p);
            /* The same damage to a capture credential: void, not a
             * capture any more. */
            c2pa_craft_params k = capture_params(png ? C2PA_CRAFT_PNG
                                                     : C2PA_CRAFT_JPEG);
            k.damage = damages[i];
            snprintf(name, sizeof name, "bad-capture-%s.%s",
                     c2pa_craft_damage_name(k.damage), png ? "png" : "jpg");
            path = craft(name, &k);
            p = read_ok(path);
            if (p->verdict != LK_VERDICT_INVALID_MANIFEST) {
                print_message("%s: verdict %s, want invalid-manifest\n",
                              path, lk_verdict_name(p->verdict));
                dump(path, p);
                failures++;
            }
            lk_provenance_free(p);
        }
    assert_int_equal(failures, 0);
}

/* The box damages elsewhere in the tree: on superboxes, with an XLBox
 * that wraps an offset around, on the store itself. */
static void test_malformed_boxes(void **state)
{
    (void)state;
    static const struct {
        c2pa_craft_damage damage;
        const char *label;
        int superbox;
        uint64_t xl;
    } cases[] = {
        {C2PA_CRAFT_BOX_OVERLONG, "c2pa.assertions", 1, 0},
        {C2PA_CRAFT_BOX_OVERLONG, "c2pa.actions", 0, 0},
        {C2PA_CRAFT_BOX_SHORT, "c2pa.signature", 0, 0},
        {C2PA_CRAFT_BOX_SHORT, "c2pa.hash.data", 1, 0},
        {C2PA_CRAFT_BOX_XL, "c2pa.claim", 0, UINT64_MAX - 7},
        {C2PA_CRAFT_BOX_XL, "c2pa.signature", 1, (uint64_t)1 << 62},
        {C2PA_CRAFT_BOX_XL, "c2pa.actions", 0, 9},  /* < its own header */
        /* The store's own header: its description box is overwritten by
         * the XLBox, so nothing says C2PA any more but the APP11 'JP'
         * header; only surviving is required. */
        {C2PA_CRAFT_BOX_XL, "c2pa", 1, UINT64_MAX},
    };
    const size_t n_strict = sizeof cases / sizeof *cases - 1;
    int failures = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        c2pa_craft_params c = ai_params(C2PA_CRAFT_JPEG);
        c.damage = cases[i].damage;
        c.damage_label = cases[i].label;
        c.damage_superbox = cases[i].superbox;
        if (cases[i].xl)
            c.xl_size = cases[i].xl;
        char name[96];
        snprintf(name, sizeof name, "box%zu-%s-%s.jpg", i,
                 c2pa_craft_damage_name(c.damage), cases[i].label);
        const char *path = craft(name, &c);
        lk_provenance *p = read_ok(path);
        if (i < n_strict)
            failures += !survived(path, p);
        lk_provenance_free(p);
    }
    assert_int_equal(failures, 0);
}

/* Tag 18 may be written in one byte (d2, what signers write and what
 * libcbor before 0.9 rejects as an "unassigned" tag) or two (d8 12): the
 * same COSE_Sign1 either way. */
static void test_cose_tag_forms(void **state)
{
    (void)state;
    for (int form = 0; form < 2; form++) {
        c2pa_craft_params c = ai_params(C2PA_CRAFT_JPEG);
        c.tag_long = form;
        lk_provenance *p = read_ok(craft(form ? "tag_d812.jpg"
                                              : "tag_d2.jpg", &c));
        EXPECT(p->signature == LK_SIGNATURE_VALID, p);
        lk_provenance_free(p);
    }
    /* A fuzzer find (fuzz_c2pa, 7.2M inputs in): a float where the
     * detached payload's nil belongs made libcbor 0.8's cbor_is_null()
     * abort.  Now: malformed, not verified, the manifest void. */
    c2pa_craft_params c = capture_params(C2PA_CRAFT_JPEG);
    c.cose_float_payload = 1;
    const char *path = craft("cose_float_payload.jpg", &c);
    lk_provenance *p = read_ok(path);
    EXPECT(p->signature == LK_SIGNATURE_UNVERIFIED, p);
    EXPECT(p->verdict == LK_VERDICT_INVALID_MANIFEST, p);
    EXPECT(survived(path, p), p);
    lk_provenance_free(p);
}

/* ------------------------------------------------------------------------
 * Audio and video: WAV (RIFF C2PA chunk), MP3 (ID3 GEOB), MP4 (uuid box)
 * ---------------------------------------------------------------------- */

static const c2pa_craft_container av[] = {C2PA_CRAFT_WAV, C2PA_CRAFT_MP3,
                                          C2PA_CRAFT_MP4};
#define N_AV (sizeof av / sizeof *av)

/* "stem.wav" etc. (static buffer). */
static const char *av_name(const char *stem, c2pa_craft_container k)
{
    static char name[96];
    snprintf(name, sizeof name, "%s.%s", stem, c2pa_craft_extension(k));
    return name;
}

static void test_av_intact(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_AV; i++) {
        c2pa_craft_params c = ai_params(av[i]);
        lk_provenance *p = read_ok(craft(av_name("ai", av[i]), &c));
        expect_intact(p, &c);
        expect_ai(p);
        lk_provenance_free(p);

        c = capture_params(av[i]);
        c.claim_v2 = 1;
        p = read_ok(craft(av_name("capture_v2", av[i]), &c));
        expect_intact(p, &c);
        expect_capture(p);
        lk_provenance_free(p);
    }

    /* A RIFF chunk of odd size is followed by a pad byte, which the next
     * chunk's offset counts and the exclusion does not: fillers of 1 and
     * 2 bytes make one store odd. */
    for (int f = 1; f <= 2; f++) {
        c2pa_craft_params c = ai_params(C2PA_CRAFT_WAV);
        c.filler = (size_t)f;
        lk_provenance *p = read_ok(craft(f == 1 ? "filler1.wav"
                                                : "filler2.wav", &c));
        expect_intact(p, &c);
        expect_ai(p);
        lk_provenance_free(p);
    }
}

/* The signed files are media other tools read: ffmpeg decodes each to
 * the end without an error (skipped without ffmpeg). */
static void test_av_decodes(void **state)
{
    (void)state;
    char *ver[] = {"ffmpeg", "-version", NULL};
    if (run(ver) != 0)
        skip();
    for (size_t i = 0; i < N_AV; i++) {
        c2pa_craft_params c = ai_params(av[i]);
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s", craft(av_name("dec", av[i]), &c));
        char *argv[] = {"ffmpeg", "-v", "error", "-xerror", "-i", path,
                        "-f", "null", "-", NULL};
        if (run(argv) != 0)
            fail_msg("ffmpeg cannot decode %s", path);
    }
}

static void test_av_data_changed(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_AV; i++) {
        c2pa_craft_params c = ai_params(av[i]);
        c.damage = C2PA_CRAFT_PIXELS;
        const char *path = craft(av_name("data_ai", av[i]), &c);
        lk_provenance *p = read_ok(path);
        EXPECT(p->c2pa == 1, p);
        EXPECT(p->binding == LK_BINDING_MISMATCH, p);
        EXPECT(p->signature == LK_SIGNATURE_VALID, p);
        EXPECT(has_problem_naming(p, path), p);
        EXPECT(p->source_class == LK_SOURCE_GENERATIVE, p);
        EXPECT(p->verdict == LK_VERDICT_DECLARED_AI, p);
        lk_provenance_free(p);

        c = capture_params(av[i]);
        c.damage = C2PA_CRAFT_PIXELS;
        p = read_ok(craft(av_name("data_cap", av[i]), &c));
        EXPECT(p->binding == LK_BINDING_MISMATCH, p);
        EXPECT(p->verdict == LK_VERDICT_INVALID_MANIFEST, p);
        lk_provenance_free(p);
    }
}

static void test_av_claim_changed(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_AV; i++) {
        c2pa_craft_params c = ai_params(av[i]);
        c.damage = C2PA_CRAFT_CLAIM;
        lk_provenance *p = read_ok(craft(av_name("claim_ai", av[i]), &c));
        EXPECT(p->c2pa == 1, p);
        EXPECT(p->signature == LK_SIGNATURE_INVALID, p);
        EXPECT(active(p)->signature == LK_SIGNATURE_INVALID, p);
        EXPECT(p->binding == LK_BINDING_MATCH, p);
        EXPECT(p->verdict == LK_VERDICT_DECLARED_AI, p);
        lk_provenance_free(p);

        c = capture_params(av[i]);
        c.damage = C2PA_CRAFT_OTHER_KEY;
        p = read_ok(craft(av_name("otherkey", av[i]), &c));
        EXPECT(p->signature == LK_SIGNATURE_INVALID, p);
        EXPECT(p->verdict == LK_VERDICT_INVALID_MANIFEST, p);
        lk_provenance_free(p);
    }
}

/* Damaged stores in consistent containers: as test_malformed. */
static void test_av_malformed(void **state)
{
    (void)state;
    static const c2pa_craft_damage damages[] = {
        C2PA_CRAFT_TRUNCATED,   C2PA_CRAFT_BOX_OVERLONG,
        C2PA_CRAFT_BOX_SHORT,   C2PA_CRAFT_BOX_XL,
        C2PA_CRAFT_CBOR_DEEP,   C2PA_CRAFT_CBOR_HUGE,
        C2PA_CRAFT_CBOR_OPEN,
    };
    int failures = 0;
    for (size_t k = 0; k < N_AV; k++)
        for (size_t i = 0; i < sizeof damages / sizeof *damages; i++) {
            c2pa_craft_params c = ai_params(av[k]);
            c.damage = damages[i];
            char stem[64];
            snprintf(stem, sizeof stem, "bad-%s",
                     c2pa_craft_damage_name(c.damage));
            const char *path = craft(av_name(stem, av[k]), &c);
            lk_provenance *p = read_ok(path);
            failures += !survived(path, p);
            lk_provenance_free(p);
        }
    assert_int_equal(failures, 0);
}

/* The file ends halfway through the C2PA chunk / ID3 tag / uuid box: a
 * store was there, cut off, as a JPEG's APP11 or a PNG's caBX. */
static void test_av_file_cut(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < N_AV; i++) {
        c2pa_craft_params c = ai_params(av[i]);
        c.damage = C2PA_CRAFT_FILE_CUT;
        const char *path = craft(av_name("cut", av[i]), &c);
        lk_provenance *p = read_ok(path);
        failures += !survived(path, p);
        lk_provenance_free(p);
    }
    assert_int_equal(failures, 0);
}

/* What MP4 signers write: c2pa.hash.bmff.v2, which this version does not
 * check.  Unchecked is not broken: the declaration still stands. */
static void test_mp4_bmff_hash(void **state)
{
    (void)state;
    c2pa_craft_params c = ai_params(C2PA_CRAFT_MP4);
    c.bmff_hash = 1;
    const char *path = craft("bmff.mp4", &c);
    lk_provenance *p = read_ok(path);
    EXPECT(p->c2pa == 1, p);
    EXPECT(p->signature == LK_SIGNATURE_VALID, p);
    EXPECT(p->binding == LK_BINDING_UNCHECKED, p);
    EXPECT(has_problem_naming(p, path), p);
    int named = 0;
    for (int i = 0; i < p->n_problems; i++)
        named |= strstr(p->problems[i], "c2pa.hash.bmff.v2") != NULL;
    EXPECT(named, p);
    expect_ai(p);
    lk_provenance_free(p);

    /* nor is a capture's */
    c = capture_params(C2PA_CRAFT_MP4);
    c.bmff_hash = 1;
    p = read_ok(craft("bmff_cap.mp4", &c));
    EXPECT(p->binding == LK_BINDING_UNCHECKED, p);
    expect_capture(p);
    lk_provenance_free(p);
}

/* C2PA 2.x names the GEOB frame's MIME type "application/c2pa" (what
 * c2pa-rs writes now); "application/x-c2pa-manifest-store" is the 1.x
 * name.  Both carry a store. */
static void test_mp3_geob_mime(void **state)
{
    (void)state;
    c2pa_craft_params c = ai_params(C2PA_CRAFT_MP3);
    c.geob_mime = "application/c2pa";
    lk_provenance *p = read_ok(craft("mime.mp3", &c));
    expect_intact(p, &c);
    expect_ai(p);
    lk_provenance_free(p);
}

/* ------------------------------------------------------------------------
 * Nothing to read
 * ---------------------------------------------------------------------- */

static void test_plain_images(void **state)
{
    (void)state;
    write_plain("plain.jpg", C2PA_CRAFT_JPEG);
    lk_provenance *p = read_ok(tpath("plain.jpg"));
    expect_nothing(p);
    lk_provenance_free(p);

    write_plain("plain.png", C2PA_CRAFT_PNG);
    p = read_ok(tpath("plain.png"));
    expect_nothing(p);
    lk_provenance_free(p);
}

static void test_not_media(void **state)
{
    (void)state;
    static const char text[] = "just some text, not a picture\n";
    assert_int_equal(c2pa_craft_write_file(tpath("notes.txt"), text,
                                           sizeof text - 1), 0);
    lk_provenance *p = read_ok(tpath("notes.txt"));
    expect_nothing(p);
    lk_provenance_free(p);

    assert_int_equal(c2pa_craft_write_file(tpath("empty.jpg"), "", 0), 0);
    p = read_ok(tpath("empty.jpg"));
    expect_nothing(p);
    lk_provenance_free(p);

    /* a JPEG signature and nothing else */
    assert_int_equal(c2pa_craft_write_file(tpath("soi.jpg"), "\xff\xd8", 2),
                     0);
    p = read_ok(tpath("soi.jpg"));
    EXPECT(p->c2pa == 0 && p->verdict == LK_VERDICT_NO_SIGNAL, p);
    lk_provenance_free(p);
}

static void test_missing(void **state)
{
    (void)state;
    lk_provenance *p = (lk_provenance *)&p;   /* must be set to NULL */
    const char *path = tpath("no-such-file.jpg");
    assert_int_equal(lk_provenance_read(path, &p), LK_ERR_IO);
    assert_null(p);
    assert_non_null(strstr(lk_last_error(), "no-such-file.jpg"));
    lk_provenance_free(NULL);

    /* Not a regular file: a directory, and a FIFO nobody writes to (its
     * open must not block: the test would hang). */
    assert_int_equal(lk_provenance_read(tpath(""), &p), LK_ERR_IO);
    assert_non_null(strstr(lk_last_error(), "directory"));
    const char *fifo = tpath("fifo.jpg");
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(lk_provenance_read(fifo, &p), LK_ERR_IO);
    assert_null(p);
    assert_non_null(strstr(lk_last_error(), "fifo.jpg: not a regular file"));
    unlink(fifo);
}

/* ------------------------------------------------------------------------
 * JSON
 * ---------------------------------------------------------------------- */

static void test_json(void **state)
{
    (void)state;
    c2pa_craft_params c = ai_params(C2PA_CRAFT_JPEG);
    lk_provenance *p = read_ok(craft("json.jpg", &c));
    char *js = lk_provenance_json(p);
    assert_non_null(js);
    assert_null(strchr(js, '\n'));
    json_error_t err;
    json_t *root = json_loads(js, 0, &err);
    if (!root)
        fail_msg("JSON does not parse (%s): %s", err.text, js);
    assert_true(json_is_object(root));
    const char *v = json_string_value(json_object_get(root, "verdict"));
    if (!v || strcmp(v, "declared-ai") != 0)
        fail_msg("\"verdict\" is not \"declared-ai\": %s", js);
    assert_string_equal(lk_verdict_name(p->verdict), "declared-ai");
    /* the generator's name makes it through */
    assert_non_null(strstr(js, AGENT));
    json_decref(root);
    lk_free(js);
    lk_provenance_free(p);

    write_plain("json_plain.jpg", C2PA_CRAFT_JPEG);
    p = read_ok(tpath("json_plain.jpg"));
    js = lk_provenance_json(p);
    assert_non_null(js);
    root = json_loads(js, 0, &err);
    if (!root)
        fail_msg("JSON does not parse (%s): %s", err.text, js);
    v = json_string_value(json_object_get(root, "verdict"));
    if (!v || strcmp(v, "no-signal") != 0)
        fail_msg("\"verdict\" is not \"no-signal\": %s", js);
    json_decref(root);
    lk_free(js);
    lk_provenance_free(p);
}

/* ------------------------------------------------------------------------
 * XMP, EXIF and PNG text (exiftool writes the metadata)
 * ---------------------------------------------------------------------- */

static void test_xmp_ai(void **state)
{
    (void)state;
    if (!have_exiftool())
        skip();
    const char *path = exif_jpeg("xmp_ai.jpg",
        "-XMP-iptcExt:DigitalSourceType=" IPTC "trainedAlgorithmicMedia");
    lk_provenance *p = read_ok(path);
    EXPECT(p->c2pa == 0, p);
    EXPECT(p->source_class == LK_SOURCE_GENERATIVE, p);
    assert_str(p->source_type, "trainedAlgorithmicMedia", "source_type", p);
    assert_str(p->source_from, "xmp", "source_from", p);
    EXPECT(p->verdict == LK_VERDICT_DECLARED_AI, p);
    lk_provenance_free(p);
}

static void test_xmp_capture(void **state)
{
    (void)state;
    if (!have_exiftool())
        skip();
    const char *path = exif_jpeg("xmp_cap.jpg",
        "-XMP-iptcExt:DigitalSourceType=" IPTC "digitalCapture");
    lk_provenance *p = read_ok(path);
    EXPECT(p->source_class == LK_SOURCE_CAPTURE, p);
    assert_str(p->source_type, "digitalCapture", "source_type", p);
    assert_str(p->source_from, "xmp", "source_from", p);
    EXPECT(p->verdict == LK_VERDICT_DECLARED_CAPTURE, p);
    lk_provenance_free(p);
}

static void test_ai_software(void **state)
{
    (void)state;
    if (!have_exiftool())
        skip();
    const char *path = exif_jpeg("exif_mj.jpg", "-EXIF:Software=Midjourney");
    lk_provenance *p = read_ok(path);
    EXPECT(p->ai_software == 1, p);
    assert_str(p->software, "Midjourney", "software", p);
    EXPECT(p->source_class == LK_SOURCE_UNDECLARED, p);
    EXPECT(p->verdict == LK_VERDICT_LIKELY_SYNTHETIC, p);
    lk_provenance_free(p);

    path = exif_jpeg("xmp_ff.jpg", "-XMP-xmp:CreatorTool=Adobe Firefly");
    p = read_ok(path);
    EXPECT(p->ai_software == 1, p);
    assert_str(p->software, "Adobe Firefly", "software", p);
    EXPECT(p->verdict == LK_VERDICT_LIKELY_SYNTHETIC, p);
    lk_provenance_free(p);

    /* an ordinary editor is no hint */
    path = exif_jpeg("exif_gimp.jpg", "-EXIF:Software=GIMP 2.10.34");
    p = read_ok(path);
    EXPECT(p->ai_software == 0, p);
    assert_str(p->software, "GIMP 2.10.34", "software", p);
    EXPECT(p->verdict == LK_VERDICT_NO_SIGNAL, p);
    lk_provenance_free(p);
}

/* A validly signed capture whose file also names an AI tool in EXIF: the
 * capture is not declared-capture when something points to synthesis. */
static void test_capture_with_ai_software(void **state)
{
    (void)state;
    if (!have_exiftool())
        skip();
    const char *src = exif_jpeg("mj_src.jpg", "-EXIF:Software=Midjourney");
    FILE *f = fopen(src, "rb");
    assert_non_null(f);
    static uint8_t img[1 << 20];
    size_t n = fread(img, 1, sizeof img, f);
    fclose(f);
    assert_true(n > 0 && n < sizeof img);
    c2pa_craft_params c = capture_params(C2PA_CRAFT_JPEG);
    uint8_t *out = NULL;
    size_t on = 0;
    if (c2pa_craft_sign(img, n, &c, &out, &on) != 0)
        fail_msg("c2pa_craft_sign: %s", c2pa_craft_error());
    assert_int_equal(c2pa_craft_write_file(tpath("cap_mj.jpg"), out, on), 0);
    free(out);
    lk_provenance *p = read_ok(tpath("cap_mj.jpg"));
    EXPECT(p->signature == LK_SIGNATURE_VALID, p);
    EXPECT(p->binding == LK_BINDING_MATCH, p);
    EXPECT(p->source_class == LK_SOURCE_CAPTURE, p);
    EXPECT(p->ai_software == 1, p);
    EXPECT(p->verdict == LK_VERDICT_LIKELY_SYNTHETIC, p);
    lk_provenance_free(p);
}

/* Stable Diffusion web UI (AUTOMATIC1111) writes its generation settings
 * into a tEXt chunk "parameters". */
static void test_png_parameters(void **state)
{
    (void)state;
    static const char params[] =
        "portrait photo of an astronaut, studio light, 85mm\n"
        "Negative prompt: blurry, lowres, watermark\n"
        "Steps: 30, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234567890,"
        " Size: 512x768, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly,"
        " Version: v1.6.0";
    uint8_t *png = NULL, *out = NULL;
    size_t n = 0, on = 0;
    assert_int_equal(c2pa_craft_image(C2PA_CRAFT_PNG, 64, 64, &png, &n), 0);
    assert_int_equal(c2pa_craft_png_add_text(png, n, "parameters", params,
                                             &out, &on), 0);
    assert_int_equal(c2pa_craft_write_file(tpath("sd.png"), out, on), 0);
    free(out);
    lk_provenance *p = read_ok(tpath("sd.png"));
    EXPECT(p->c2pa == 0, p);
    EXPECT(p->ai_software == 1, p);
    EXPECT(p->verdict == LK_VERDICT_LIKELY_SYNTHETIC, p);
    lk_provenance_free(p);

    /* an ordinary comment is no hint */
    assert_int_equal(c2pa_craft_png_add_text(png, n, "Comment",
                                             "holiday snapshot, 2019", &out,
                                             &on), 0);
    assert_int_equal(c2pa_craft_write_file(tpath("comment.png"), out, on), 0);
    free(out);
    free(png);
    p = read_ok(tpath("comment.png"));
    expect_nothing(p);
    lk_provenance_free(p);
}

/* ------------------------------------------------------------------------ */

static int setup_tmp(void **state)
{
    (void)state;
    return lk_test_mkdtemp("provenance", tmp_dir, sizeof tmp_dir);
}

static int teardown_tmp(void **state)
{
    (void)state;
    if (!getenv("LK_TEST_KEEP"))
        lk_test_rmtree(tmp_dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jpeg_ai),
        cmocka_unit_test(test_jpeg_capture),
        cmocka_unit_test(test_jpeg_algorithmic_and_undeclared),
        cmocka_unit_test(test_jpeg_split),
        cmocka_unit_test(test_png),
        cmocka_unit_test(test_claim_v2),
        cmocka_unit_test(test_pixels_changed),
        cmocka_unit_test(test_claim_changed),
        cmocka_unit_test(test_other_key),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_malformed_boxes),
        cmocka_unit_test(test_cose_tag_forms),
        cmocka_unit_test(test_av_intact),
        cmocka_unit_test(test_av_decodes),
        cmocka_unit_test(test_av_data_changed),
        cmocka_unit_test(test_av_claim_changed),
        cmocka_unit_test(test_av_malformed),
        cmocka_unit_test(test_av_file_cut),
        cmocka_unit_test(test_mp4_bmff_hash),
        cmocka_unit_test(test_mp3_geob_mime),
        cmocka_unit_test(test_plain_images),
        cmocka_unit_test(test_not_media),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_xmp_ai),
        cmocka_unit_test(test_xmp_capture),
        cmocka_unit_test(test_ai_software),
        cmocka_unit_test(test_capture_with_ai_software),
        cmocka_unit_test(test_png_parameters),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
