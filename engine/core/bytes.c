/*
 * bytes.c — little-endian integers and floats (see bytes.h).
 */
#include "core/bytes.h"

#include <string.h>

void lk__floats_to_le(void *dst, const float *src, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    uint8_t *d = dst;
    for (size_t i = 0; i < n; i++) {
        uint32_t v;
        memcpy(&v, &src[i], 4);
        lk__put_le32(d + 4 * i, v);
    }
#else
    memcpy(dst, src, n * sizeof(float));
#endif
}

void lk__le_to_floats(float *dst, const void *src, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    const uint8_t *s = src;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = lk__le32(s + 4 * i);
        memcpy(&dst[i], &v, 4);
    }
#else
    memcpy(dst, src, n * sizeof(float));
#endif
}
