/*
 * fuzz_image.c — libFuzzer target for the image decoder: arbitrary bytes
 * as a file, decoded under a 4-megapixel limit.  Every input must end in
 * LK_OK or a clean error; the sanitizers catch the rest.
 *
 *   CC=clang CXX=clang++ meson setup build-fuzz -Dfuzz=true \
 *       -Db_sanitize=address,undefined -Db_lundef=false
 *   ninja -C build-fuzz && build-fuzz/tests/fuzz_image -max_total_time=300
 */
#include "media/image.h"

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
        if (lk__media_init() != LK_OK)
            abort();
        /* One in-memory file, rewritten for each input: no disk I/O. */
        fd = memfd_create("fuzz_image", 0);
        if (fd < 0)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    lk__image img;
    if (lk__image_load(path, 4000000, &img) == LK_OK) {
        /* touch every byte so a short buffer is caught */
        volatile uint8_t sum = 0;
        for (int y = 0; y < img.h; y++)
            for (int x = 0; x < img.w * 3; x++)
                sum ^= img.data[(size_t)y * img.stride + x];
        (void)sum;
        lk__image_release(&img);
    }
    return 0;
}
