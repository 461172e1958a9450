/*
 * fuzz_media.c — libFuzzer target for video and sound decoding: arbitrary
 * bytes as a file, through the video reader (scene sampling, detector-size
 * frames, a full-size copy of every third) and the audio reader, under a
 * 4-megapixel frame limit.  Every input must end in LK_OK/LK_DONE or a
 * clean error; the sanitizers catch the rest (FFmpeg itself is Debian's,
 * not instrumented: this exercises our code around it).
 *
 *   CC=clang CXX=clang++ meson setup build-fuzz -Dfuzz=true \
 *       -Db_sanitize=address,undefined -Db_lundef=false
 *   ninja -C build-fuzz && build-fuzz/tests/fuzz_media -max_total_time=300 \
 *       -max_len=200000 CORPUS_DIR
 *
 * A corpus of small real files (ffmpeg -f lavfi -i testsrc=d=1 ...) gets it
 * past the container probes quickly.
 */
#include "media/audio.h"
#include "media/video.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("fuzz_media", 0);
        if (fd < 0)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();

    lk__video_opts o = {.sampling = LK_SAMPLE_SCENE, .fps = 4.0,
                        .scene_threshold = 0.12f, .small_w = 320,
                        .small_h = 240, .threads = 1, .max_pixels = 4000000};
    lk__video *v;
    if (lk__video_open(path, NULL, &o, &v) == LK_OK) {
        lk__vframe *f;
        int i = 0;
        volatile uint8_t sum = 0;
        while (lk__video_next(v, &f) == LK_OK) {
            for (int y = 0; y < f->sh; y++)
                sum ^= f->small[(size_t)y * f->sstride + (size_t)f->sw * 3 - 1];
            if (i++ % 3 == 0) {
                const uint8_t *rgb;
                int w, h, stride;
                float scale;
                if (lk__video_rgb(v, f, 640, &rgb, &w, &h, &stride, &scale) ==
                    LK_OK)
                    sum ^= rgb[(size_t)(h - 1) * stride + (size_t)w * 3 - 1];
            }
            lk__video_release(v, f);
        }
        (void)sum;
        lk__video_close(v);
    }
    lk__audio *a;
    if (lk__audio_open(path, &a) == LK_OK) {
        const float *pcm;
        size_t n;
        double t0;
        volatile float acc = 0;
        while (lk__audio_read(a, &pcm, &n, &t0) == LK_OK)
            acc += pcm[n - 1];
        (void)acc;
        lk__audio_close(a);
    }
    return 0;
}
