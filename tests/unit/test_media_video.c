/*
 * test_media_video.c — engine/media/video.c and av.c: sampling decisions,
 * the shot-change score, rotation, time arithmetic, and the reader on
 * videos made at test time with the ffmpeg command-line tool (start
 * offsets, variable frame rate, rotation metadata, B-frames, keyframes,
 * cuts, bad files) in a fresh directory under $LK_TEST_TMP.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "media/av.h"
#include "media/demux.h"
#include "test_tmp.h"

static char tmp_dir[PATH_MAX / 2];
static int have_ffmpeg;

static const char *tpath(const char *name)
{
    static char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s/%s", tmp_dir, name);
    return buf;
}

/* Run an ffmpeg command line (arguments after "ffmpeg") writing name. */
static int ffmpeg(const char *name, const char *args)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "ffmpeg -nostdin -hide_banner -loglevel error "
             "-y %s '%s'", args, tpath(name));
    return system(cmd);
}

#define NEED_FFMPEG()                                                       \
    do {                                                                    \
        if (!have_ffmpeg)                                                   \
            skip();                                                         \
    } while (0)

/* ------------------------------------------------------------------------
 * Pure functions
 * ---------------------------------------------------------------------- */

static void test_seconds(void **state)
{
    (void)state;
    const AVRational tb90k = {1, 90000};
    assert_float_equal(lk__av_seconds(450000, 0, tb90k), 5.0, 1e-9);
    assert_float_equal(lk__av_seconds(450000 + 126000, 126000, tb90k), 5.0,
                       1e-9);
    assert_float_equal(lk__av_seconds(1000, AV_NOPTS_VALUE, (AVRational){1, 1000}),
                       1.0, 1e-12);
    assert_true(isnan(lk__av_seconds(AV_NOPTS_VALUE, 0, tb90k)));
    /* 2^40 ticks at 90 kHz (about 141 days) keep sub-millisecond precision */
    const int64_t big = (int64_t)1 << 40;
    assert_float_equal(lk__av_seconds(big + 90, big, tb90k), 0.001, 1e-9);
    /* NTSC: 1001 ticks of 1/30000 is one frame */
    assert_float_equal(lk__av_seconds(1001 * 300, 0, (AVRational){1, 30000}),
                       10.01, 1e-9);
    /* before the start: negative, not wrapped */
    assert_float_equal(lk__av_seconds(0, 9000, tb90k), -0.1, 1e-9);
}

static void test_sampler_rate(void **state)
{
    (void)state;
    lk__sampler s;
    lk__sampler_init(&s, LK_SAMPLE_RATE, 4.0);
    /* 30 fps: samples on the grid 0, 0.25, 0.5 … — the first frame at or
     * after each point */
    int taken = 0;
    double first_after[5] = {0};
    for (int i = 0; i < 60; i++) {
        double t = i / 30.0;
        if (lk__sampler_take(&s, t, 0, 0)) {
            if (taken < 5)
                first_after[taken] = t;
            taken++;
        }
    }
    assert_int_equal(taken, 8);
    assert_float_equal(first_after[0], 0.0, 1e-9);
    assert_float_equal(first_after[1], 8 / 30.0, 1e-9);   /* >= 0.25 */
    assert_float_equal(first_after[2], 15 / 30.0, 1e-9);  /* = 0.5 */
    assert_float_equal(first_after[3], 23 / 30.0, 1e-9);  /* >= 0.75 */
    /* skipping is allowed only before the next grid point */
    assert_true(lk__sampler_may_skip(&s, 1.9));
    assert_false(lk__sampler_may_skip(&s, 2.0));
    assert_false(lk__sampler_may_skip(&s, NAN));
    /* a cut means nothing to the rate policy */
    assert_false(lk__sampler_take(&s, 1.99, 0, 1));
    /* time going back (a broken stream) restarts the grid there */
    assert_true(lk__sampler_take(&s, 0.5, 0, 0));
    assert_false(lk__sampler_take(&s, 0.6, 0, 0));
    assert_true(lk__sampler_take(&s, 0.75, 0, 0));
}

static void test_sampler_scene_and_keyframes(void **state)
{
    (void)state;
    lk__sampler s;
    lk__sampler_init(&s, LK_SAMPLE_SCENE, 1.0);
    assert_true(lk__sampler_take(&s, 0.0, 1, 0));
    assert_false(lk__sampler_take(&s, 0.3, 0, 0));
    assert_true(lk__sampler_take(&s, 0.4, 0, 1));     /* a cut: sampled now */
    assert_false(lk__sampler_take(&s, 0.5, 0, 0));
    assert_true(lk__sampler_take(&s, 1.0, 0, 0));     /* the grid goes on */

    lk__sampler_init(&s, LK_SAMPLE_KEYFRAMES, 4.0);
    assert_true(lk__sampler_take(&s, 0.0, 1, 0));
    assert_false(lk__sampler_take(&s, 5.0, 0, 1));
    assert_true(lk__sampler_take(&s, 5.04, 1, 0));
    assert_false(lk__sampler_may_skip(&s, 1.0));      /* skips by packet */
}

static void test_scene_score(void **state)
{
    (void)state;
    enum { N = LK__THUMB_W * LK__THUMB_H };
    static uint8_t a[N], b[N], c[N], d[N];
    for (int i = 0; i < N; i++) {
        int x = i % LK__THUMB_W, y = i / LK__THUMB_W;
        a[i] = (uint8_t)(x * 3 + y);                   /* a gradient */
        b[i] = (uint8_t)((x + 2) * 3 + y);             /* panned a little */
        c[i] = (uint8_t)(230 - y * 2);                 /* another shot */
        d[i] = a[i];
    }
    assert_float_equal(lk__scene_score(a, d, N), 0.0, 1e-6);
    const float pan = lk__scene_score(a, b, N), cut = lk__scene_score(a, c, N);
    assert_true(pan < 0.1f);
    assert_true(cut > 0.5f);
    assert_true(cut <= 1.0f);
    assert_float_equal(lk__scene_score(a, c, N), lk__scene_score(c, a, N), 1e-6);
}

/* Scores of the stage clip's cuts (0.21-0.30) against its within-shot
 * change (median 0.02, at most 0.09), and a shot full of motion. */
static void test_scene_is_cut(void **state)
{
    (void)state;
    float avg = 0.0f;
    int cuts = 0;
    for (int i = 0; i < 300; i++) {
        float s = 0.02f + 0.01f * (float)(i % 5);
        if (i == 40)
            s = 0.092f;                      /* a quick movement: no cut */
        if (i == 45 || i == 107 || i == 236)
            s = i == 45 ? 0.213f : 0.241f;   /* the cuts */
        cuts += lk__scene_is_cut(s, &avg, 0.12f);
    }
    assert_int_equal(cuts, 3);
    /* a pan: every frame changes by 0.2; only its start may count */
    avg = 0.0f;
    cuts = 0;
    for (int i = 0; i < 50; i++)
        cuts += lk__scene_is_cut(i < 10 ? 0.02f : 0.2f, &avg, 0.12f);
    assert_true(cuts <= 1);
}

static void test_rotate(void **state)
{
    (void)state;
    /* 3x2 image, pixel value = its index */
    uint8_t src[2][3 * 3], dst[3 * 2 * 3 + 8];
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 3; x++)
            memset(&src[y][x * 3], y * 3 + x, 3);
    /* 90 clockwise: 2 wide, 3 tall; top row is the old left column,
     * bottom-up: (1,0) (0,0) */
    lk__rgb_rotate(&src[0][0], 3, 2, 9, 90, dst, 6);
    assert_int_equal(dst[0], 3);
    assert_int_equal(dst[3], 0);
    assert_int_equal(dst[2 * 6 + 3], 2);
    lk__rgb_rotate(&src[0][0], 3, 2, 9, 180, dst, 9);
    assert_int_equal(dst[0], 5);
    assert_int_equal(dst[9 + 6], 0);
    lk__rgb_rotate(&src[0][0], 3, 2, 9, 270, dst, 6);
    assert_int_equal(dst[0], 2);
    assert_int_equal(dst[3], 5);
    assert_int_equal(dst[2 * 6], 0);
}

/* ------------------------------------------------------------------------
 * The reader on generated videos
 * ---------------------------------------------------------------------- */

typedef struct run {
    int n;
    double t[256];
    int cut[256], key[256];
    int sw, sh, dw, dh;
    uint8_t corner[3];       /* small frame's top-right pixel, first frame */
    lk__demux_info info;
    lk_status end;
    size_t samples;          /* sound, when asked for */
    double pcm_first, pcm_last;
    int pcm_before_last_frame;   /* chunks that came before the last frame */
} run;

static lk_status read_av(const char *name, lk_sampling pol, double fps,
                         int audio, run *r)
{
    memset(r, 0, sizeof *r);
    lk__demux_opts o = lk__demux_default_opts();
    o.video = 1;
    o.audio = audio;
    o.sampling = pol;
    o.fps = fps;
    o.small_w = 320;
    o.small_h = 240;
    o.threads = 2;
    o.max_pixels = 100000000;
    lk__source *src;
    lk_status s = lk__source_open_file(tpath(name), &src);
    if (s != LK_OK)
        return s;
    lk__demux *v;
    if ((s = lk__demux_open(src, NULL, &o, &v)) != LK_OK) {
        lk__source_close(src);
        return s;
    }
    lk__item it;
    int pcm_chunks = 0;
    while ((s = lk__demux_next(v, &it)) == LK_OK) {
        lk__vframe *f = it.frame;
        if (!f) {
            if (!r->samples)
                r->pcm_first = it.t0;
            r->pcm_last = it.t0 + (double)it.n / 16000;
            r->samples += it.n;
            pcm_chunks++;
            lk__demux_release(v, &it);
            continue;
        }
        if (r->n < 256) {
            r->t[r->n] = f->t;
            r->cut[r->n] = f->cut;
            r->key[r->n] = f->key;
        }
        if (r->n == 0) {
            r->sw = f->sw;
            r->sh = f->sh;
            r->dw = f->dw;
            r->dh = f->dh;
            memcpy(r->corner, f->small + (f->sw - 2) * 3 + f->sstride, 3);
        }
        r->n++;
        r->pcm_before_last_frame = pcm_chunks;
        lk__demux_release(v, &it);
    }
    r->end = s;
    lk__demux_get_info(v, &r->info);
    lk__demux_close(v);
    lk__source_close(src);
    return s == LK_DONE ? LK_OK : s;
}

static lk_status read_all(const char *name, lk_sampling pol, double fps,
                          run *r)
{
    return read_av(name, pol, fps, 0, r);
}

static void test_start_offset(void **state)
{
    (void)state;
    NEED_FFMPEG();
    /* MPEG-TS starts its clock at 1.4 s, here plus 5 s of offset */
    assert_int_equal(ffmpeg("offset.ts", "-f lavfi -i testsrc=size=160x120:"
                            "rate=10:duration=3 -output_ts_offset 5 "
                            "-c:v mpeg2video -bf 0"), 0);
    run r;
    assert_int_equal(read_all("offset.ts", LK_SAMPLE_RATE, 2.0, &r), LK_OK);
    assert_int_equal(r.n, 6);
    for (int i = 0; i < r.n; i++)
        assert_float_equal(r.t[i], 0.5 * i, 1e-3);
    assert_int_equal(r.info.frames_decoded, 30);
    assert_int_equal(r.dw, 160);
    assert_int_equal(r.sw, 320);      /* 4:3 fills the detector's box */
}

static void test_variable_frame_rate(void **state)
{
    (void)state;
    NEED_FFMPEG();
    /* frames at 0, 0.1 … 0.9, then 1.0, 1.5, 2.0 … 5.5 */
    assert_int_equal(ffmpeg("vfr.mkv", "-f lavfi -i testsrc=size=160x120:"
                            "rate=10:duration=2 -vf \"setpts='if(lt(N,10),"
                            "N*0.1,1+(N-10)*0.5)/TB'\" -fps_mode passthrough "
                            "-c:v libx264 -bf 0"), 0);
    run r;
    assert_int_equal(read_all("vfr.mkv", LK_SAMPLE_RATE, 4.0, &r), LK_OK);
    static const double want[] = {0.0, 0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5,
                                  3.0, 3.5, 4.0, 4.5, 5.0, 5.5};
    assert_int_equal(r.n, 14);
    for (int i = 0; i < 14; i++)
        assert_float_equal(r.t[i], want[i], 2e-3);
}

static void test_rotation(void **state)
{
    (void)state;
    NEED_FFMPEG();
    /* 160x120 with a red square top-left; shown turned 90 degrees
     * clockwise (as `ffmpeg -i` shows it): 120x160 with the square
     * top-right.  This ffmpeg cannot write rotation metadata, so the track
     * header's matrix is set here, as a phone writes it. */
    assert_int_equal(ffmpeg("rot.mp4", "-f lavfi -i color=c=gray:size=160x120:"
                            "rate=10:duration=1 -vf drawbox=x=0:y=0:w=40:h=40:"
                            "color=red:t=fill -c:v libx264 -pix_fmt yuv444p"),
                     0);
    FILE *f = fopen(tpath("rot.mp4"), "r+b");
    assert_non_null(f);
    static uint8_t buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    uint8_t *tkhd = memmem(buf, n, "tkhd", 4);
    assert_non_null(tkhd);
    /* matrix {0, 1, 0; -1, 0, 0; 0, 0, 1} in 16.16 (last 2.30), big-endian,
     * 40 bytes into the version-0 box */
    static const uint8_t matrix[36] = {
        0, 0, 0, 0,  0, 1, 0, 0,  0, 0, 0, 0,
        0xff, 0xff, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
        0, 0, 0, 0,  0, 0, 0, 0,  0x40, 0, 0, 0};
    assert_int_equal(fseek(f, (long)(tkhd + 4 + 40 - buf), SEEK_SET), 0);
    assert_int_equal(fwrite(matrix, 1, sizeof matrix, f), sizeof matrix);
    fclose(f);
    run r;
    assert_int_equal(read_all("rot.mp4", LK_SAMPLE_RATE, 4.0, &r), LK_OK);
    assert_int_equal(r.info.rotation, 90);
    assert_int_equal(r.dw, 120);
    assert_int_equal(r.dh, 160);
    assert_int_equal(r.sh, 240);
    assert_int_equal(r.sw, 180);
    assert_true(r.corner[0] > 180 && r.corner[1] < 80 && r.corner[2] < 80);
}

static void test_bframes_skipped(void **state)
{
    (void)state;
    NEED_FFMPEG();
    assert_int_equal(ffmpeg("bf.mp4", "-f lavfi -i testsrc2=size=320x240:"
                            "rate=25:duration=4 -c:v libx264 -bf 3 -g 50 "
                            "-b-pyramid none"), 0);
    run r;
    assert_int_equal(read_all("bf.mp4", LK_SAMPLE_RATE, 2.0, &r), LK_OK);
    assert_int_equal(r.n, 8);
    for (int i = 0; i < r.n; i++)           /* the first frame at or after */
        assert_true(r.t[i] >= 0.5 * i - 1e-6 && r.t[i] < 0.5 * i + 0.04);
    /* B-frames nobody refers to, before each sample, were not decoded */
    assert_true(r.info.frames_decoded < 100);
    assert_true(r.info.frames_decoded >= 25);
    assert_int_equal(r.info.warnings, 0);
}

static void test_keyframes(void **state)
{
    (void)state;
    NEED_FFMPEG();
    assert_int_equal(ffmpeg("gop.mp4", "-f lavfi -i testsrc2=size=320x240:"
                            "rate=10:duration=3 -c:v libx264 -g 10 "
                            "-keyint_min 10 -sc_threshold 0"), 0);
    run r;
    assert_int_equal(read_all("gop.mp4", LK_SAMPLE_KEYFRAMES, 4.0, &r), LK_OK);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.info.frames_decoded, 3);
    for (int i = 0; i < r.n; i++) {
        assert_float_equal(r.t[i], (double)i, 1e-3);
        assert_true(r.key[i]);
    }
}

static void test_scene_cuts(void **state)
{
    (void)state;
    NEED_FFMPEG();
    /* three shots: 0-1.2 s gradient, 1.2-2 s plain blue, 2-3 s test card */
    assert_int_equal(ffmpeg("cuts.mp4", "-f lavfi -i gradients=size=320x240:"
                            "rate=10:duration=1.2:speed=0.001 -f lavfi -i "
                            "color=c=blue:size=320x240:rate=10:duration=0.8 "
                            "-f lavfi -i testsrc=size=320x240:rate=10:"
                            "duration=1 -filter_complex "
                            "\"[0][1][2]concat=n=3:v=1\" -c:v libx264"), 0);
    run r;
    assert_int_equal(read_all("cuts.mp4", LK_SAMPLE_SCENE, 0.25, &r), LK_OK);
    /* the grid sample at 0 and the first decoded frame of each new shot
     * (a non-reference frame right at the cut may be skipped: then the
     * next one, 0.1 s later) */
    assert_int_equal(r.n, 3);
    assert_float_equal(r.t[0], 0.0, 1e-3);
    assert_true(r.t[1] > 1.2 - 1e-3 && r.t[1] < 1.3 + 1e-3);
    assert_true(r.t[2] > 2.0 - 1e-3 && r.t[2] < 2.1 + 1e-3);
    assert_true(r.cut[1] && r.cut[2] && !r.cut[0]);
    assert_int_equal(r.info.cuts, 2);
    /* the rate policy alone misses both shots */
    assert_int_equal(read_all("cuts.mp4", LK_SAMPLE_RATE, 0.25, &r), LK_OK);
    assert_int_equal(r.n, 1);
}

static void expect_open_fail(const char *name, lk_status want,
                             const char *needle)
{
    run r;
    lk_status s = read_all(name, LK_SAMPLE_SCENE, 4.0, &r);
    if (s != want || !strstr(lk_last_error(), needle) ||
        !strstr(lk_last_error(), name)) {
        print_error("%s: got %d '%s', want %d with '%s'\n", name, s,
                    lk_last_error(), want, needle);
        fail();
    }
}

static void write_bytes(const char *name, const void *p, size_t n)
{
    FILE *f = fopen(tpath(name), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* One pass: pictures and sound of a file come through the same queue, the
 * sound interleaved with the frames (not after them), on one clock. */
static void test_pictures_and_sound(void **state)
{
    (void)state;
    NEED_FFMPEG();
    assert_int_equal(ffmpeg("av.mp4", "-f lavfi -i testsrc=size=160x120:"
                            "rate=25:duration=4 -f lavfi -i sine=frequency="
                            "440:sample_rate=44100:duration=4 -c:v mpeg4 "
                            "-c:a aac -shortest"), 0);
    run r;
    assert_int_equal(read_av("av.mp4", LK_SAMPLE_RATE, 2.0, 1, &r), LK_OK);
    assert_int_equal(r.n, 8);
    assert_true(r.info.video && r.info.audio);
    assert_int_equal(r.info.audio_rate, 44100);
    /* 4 s at 16 kHz, give or take the codec's priming and padding */
    assert_true(r.samples > 63000 && r.samples < 65500);
    assert_float_equal(r.pcm_first, 0.0, 0.05);
    assert_float_equal(r.pcm_last, 4.0, 0.1);
    /* most of the sound arrived before the last sampled frame */
    assert_true(r.pcm_before_last_frame > 50);
    /* sound not asked for: frames only */
    assert_int_equal(read_av("av.mp4", LK_SAMPLE_RATE, 2.0, 0, &r), LK_OK);
    assert_int_equal(r.n, 8);
    assert_int_equal(r.samples, 0);
    assert_false(r.info.audio);

    /* narrowband sound is refused by name, and the pictures still come */
    assert_int_equal(ffmpeg("av8k.mkv", "-f lavfi -i testsrc=size=160x120:"
                            "rate=25:duration=2 -f lavfi -i sine=sample_rate="
                            "8000:duration=2 -c:v mpeg4 -c:a pcm_s16le"), 0);
    lk__source *src;
    assert_int_equal(lk__source_open_file(tpath("av8k.mkv"), &src), LK_OK);
    lk__demux_opts o = lk__demux_default_opts();
    o.video = o.audio = 1;
    o.min_audio_rate = 16000;
    lk__demux *d;
    assert_int_equal(lk__demux_open(src, NULL, &o, &d), LK_OK);
    assert_int_equal(lk__demux_audio_refusal(d), LK_ERR_FORMAT);
    assert_non_null(strstr(lk_last_error(), "av8k.mkv: audio sampled at 8000"));
    lk__item it;
    int frames = 0, chunks = 0;
    while (lk__demux_next(d, &it) == LK_OK) {
        frames += it.frame != NULL;
        chunks += it.frame == NULL;
        lk__demux_release(d, &it);
    }
    assert_int_equal(frames, 4);
    assert_int_equal(chunks, 0);
    assert_int_equal(lk__demux_audio_status(d), LK_OK);
    lk__demux_close(d);

    /* neither asked for is a misuse; the source outlives a failed open */
    o.video = o.audio = 0;
    d = (lk__demux *)1;
    assert_int_equal(lk__demux_open(src, NULL, &o, &d), LK_ERR_MISUSE);
    assert_null(d);
    lk__source_close(src);
}

/* A source in memory reads as the same file does. */
static void test_memory_source(void **state)
{
    (void)state;
    NEED_FFMPEG();
    assert_int_equal(ffmpeg("mem.mkv", "-f lavfi -i testsrc=size=160x120:"
                            "rate=25:duration=2 -c:v mpeg4"), 0);
    FILE *f = fopen(tpath("mem.mkv"), "rb");
    assert_non_null(f);
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(n > 0 && n < sizeof buf);
    lk__source *src;
    assert_int_equal(lk__source_open_memory("upload.mkv", buf, n, &src), LK_OK);
    assert_string_equal(lk__source_name(src), "upload.mkv");
    assert_false(lk__source_is_image(src));
    lk__demux_opts o = lk__demux_default_opts();
    o.video = 1;
    o.sampling = LK_SAMPLE_RATE;
    lk__demux *d;
    assert_int_equal(lk__demux_open(src, NULL, &o, &d), LK_OK);
    lk__item it;
    int frames = 0;
    while (lk__demux_next(d, &it) == LK_OK) {
        frames++;
        lk__demux_release(d, &it);
    }
    assert_int_equal(frames, 4);
    lk__demux_close(d);
    lk__source_close(src);
    /* no bytes, junk bytes */
    assert_int_equal(lk__source_open_memory("none", buf, 0, &src),
                     LK_ERR_FORMAT);
    assert_null(src);
    assert_int_equal(lk__source_open_memory("junk.bin", "junk junk junk", 14,
                                            &src), LK_OK);
    AVFormatContext *fmt;
    assert_int_equal(lk__av_open(src, &fmt), LK_ERR_FORMAT);
    assert_non_null(strstr(lk_last_error(), "junk.bin: "));
    lk__source_close(src);
}

static void test_bad_files(void **state)
{
    (void)state;
    write_bytes("empty.mp4", "", 0);
    expect_open_fail("empty.mp4", LK_ERR_FORMAT, "empty");
    write_bytes("page.mp4", "<html>hello</html>\n", 19);
    expect_open_fail("page.mp4", LK_ERR_FORMAT, "not a recognised");
    expect_open_fail("missing.mp4", LK_ERR_IO, strerror(ENOENT));
    static const char y4m[] = "YUV4MPEG2 W70000 H70000 F25:1 Ip A1:1 C420jpeg\n"
                              "FRAME\nxxxxxxxx";
    write_bytes("huge.y4m", y4m, sizeof y4m - 1);
    run r;
    assert_int_not_equal(read_all("huge.y4m", LK_SAMPLE_SCENE, 4, &r), LK_OK);
    assert_non_null(strstr(lk_last_error(), "huge.y4m"));
    /* a frame size a decoder accepts but over the configured limit */
    static const char y4m_big[] = "YUV4MPEG2 W12000 H10000 F25:1 Ip A1:1 "
                                  "C420jpeg\nFRAME\nxxxxxxxx";
    write_bytes("big.y4m", y4m_big, sizeof y4m_big - 1);
    expect_open_fail("big.y4m", LK_ERR_TOO_LARGE, "12000x10000");
    if (!have_ffmpeg)
        return;
    assert_int_equal(ffmpeg("tone.m4a", "-f lavfi -i sine=duration=1 "
                            "-c:a aac"), 0);
    expect_open_fail("tone.m4a", LK_ERR_FORMAT, "no video stream");

    /* cut off after its first second: decodes what is there and says the
     * file ends early */
    assert_int_equal(ffmpeg("whole.mkv", "-f lavfi -i testsrc2=size=320x240:"
                            "rate=25:duration=6 -c:v libx264 -g 25"), 0);
    FILE *f = fopen(tpath("whole.mkv"), "rb");
    assert_non_null(f);
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    write_bytes("cut.mkv", buf, n / 3);
    assert_int_equal(read_all("cut.mkv", LK_SAMPLE_RATE, 4.0, &r), LK_OK);
    assert_true(r.n > 0 && r.n < 20);
    assert_true(r.info.warnings >= 1);

    /* bytes flipped in the middle third of a transport stream: warnings with
     * times, and frames after the damage still come */
    assert_int_equal(ffmpeg("clean.ts", "-f lavfi -i testsrc2=size=320x240:"
                            "rate=25:duration=6 -c:v libx264 -g 25"), 0);
    f = fopen(tpath("clean.ts"), "rb");
    assert_non_null(f);
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    srand(7);
    for (int i = 0; i < 300; i++)
        buf[n / 3 + (size_t)rand() % (n / 3)] ^= 0x5a;
    write_bytes("damaged.ts", buf, n);
    assert_int_equal(read_all("damaged.ts", LK_SAMPLE_RATE, 4.0, &r), LK_OK);
    assert_true(r.n >= 20);
    assert_true(r.t[r.n - 1] > 5.0);
    assert_true(r.info.warnings >= 1);
}

static int group_setup(void **state)
{
    (void)state;
    if (lk_test_mkdtemp("media_video", tmp_dir, sizeof tmp_dir) != 0)
        return -1;
    have_ffmpeg = system("ffmpeg -version >/dev/null 2>&1") == 0;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    lk_test_rmtree(tmp_dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seconds),
        cmocka_unit_test(test_sampler_rate),
        cmocka_unit_test(test_sampler_scene_and_keyframes),
        cmocka_unit_test(test_scene_score),
        cmocka_unit_test(test_scene_is_cut),
        cmocka_unit_test(test_rotate),
        cmocka_unit_test(test_start_offset),
        cmocka_unit_test(test_variable_frame_rate),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_bframes_skipped),
        cmocka_unit_test(test_keyframes),
        cmocka_unit_test(test_scene_cuts),
        cmocka_unit_test(test_pictures_and_sound),
        cmocka_unit_test(test_memory_source),
        cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
