/*
 * bytes.h — numbers stored in a byte order, read from untrusted buffers
 * (the caller checks the length first) and written: what the library
 * writes to files is little-endian whatever the host.
 */
#ifndef LK_BYTES_H
#define LK_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t lk__be16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t lk__be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static inline uint64_t lk__be64(const uint8_t *p)
{
    return (uint64_t)lk__be32(p) << 32 | lk__be32(p + 4);
}

static inline uint16_t lk__le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static inline uint32_t lk__le32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline uint64_t lk__le64(const uint8_t *p)
{
    return lk__le32(p) | (uint64_t)lk__le32(p + 4) << 32;
}

static inline float lk__le_f32(const uint8_t *p)
{
    uint32_t u = lk__le32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline void lk__put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void lk__put_le64(uint8_t *p, uint64_t v)
{
    lk__put_le32(p, (uint32_t)v);
    lk__put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline void lk__put_le_f32(uint8_t *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    lk__put_le32(p, u);
}

/* n floats as float32 little-endian (4n bytes at dst), and back.  A copy
 * on a little-endian host. */
void lk__floats_to_le(void *dst, const float *src, size_t n);
void lk__le_to_floats(float *dst, const void *src, size_t n);

#endif
