/*
 * fuzz_media.c — libFuzzer target for video and sound decoding: arbitrary
 * bytes as an in-memory source, through the one demux pass (scene
 * sampling, detector-size frames, a full-size copy of every third, and the
 * sound resampled alongside), under a 4-megapixel frame limit.  Every input must end in LK_OK/LK_DONE or a
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
#include "media/demux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The bytes as an upload in memory, through the one demux pass that a
     * scan makes: pictures and sound together. */
    lk__source *src;
    if (lk__source_open_memory("fuzz", data, size, &src) != LK_OK)
        return 0;
    lk__demux_opts o = lk__demux_default_opts();
    o.video = 1;
    o.audio = 1;
    o.min_audio_rate = 16000;
    o.fps = 4.0;
    o.small_w = 320;
    o.small_h = 240;
    o.threads = 1;
    o.max_pixels = 4000000;
    lk__demux *v;
    if (lk__demux_open(src, NULL, &o, &v) == LK_OK) {
        lk__item it;
        int i = 0;
        volatile uint8_t sum = 0;
        volatile float acc = 0;
        while (lk__demux_next(v, &it) == LK_OK) {
            lk__vframe *f = it.frame;
            if (!f) {
                acc += it.pcm[it.n - 1];
                lk__demux_release(v, &it);
                continue;
            }
            for (int y = 0; y < f->sh; y++)
                sum ^= f->small[(size_t)y * f->sstride + (size_t)f->sw * 3 - 1];
            if (i++ % 3 == 0) {
                const uint8_t *rgb;
                int w, h, stride;
                float scale;
                if (lk__demux_rgb(v, f, 640, &rgb, &w, &h, &stride, &scale) ==
                    LK_OK)
                    sum ^= rgb[(size_t)(h - 1) * stride + (size_t)w * 3 - 1];
            }
            lk__demux_release(v, &it);
        }
        (void)sum;
        (void)acc;
        (void)lk__demux_audio_status(v);
        lk__demux_close(v);
    }
    lk__source_close(src);
    return 0;
}
