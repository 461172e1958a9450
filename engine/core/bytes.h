/*
 * bytes.h — byte order of what the library writes to files: integers and
 * float32 arrays little-endian whatever the host.
 */
#ifndef LK_BYTES_H
#define LK_BYTES_H

#include <stddef.h>
#include <stdint.h>

void lk__put_le32(uint8_t *p, uint32_t v);
void lk__put_le64(uint8_t *p, uint64_t v);
uint32_t lk__get_le32(const uint8_t *p);
uint64_t lk__get_le64(const uint8_t *p);

/* n floats as float32 little-endian (4n bytes at dst), and back.  A copy
 * on a little-endian host. */
void lk__floats_to_le(void *dst, const float *src, size_t n);
void lk__le_to_floats(float *dst, const void *src, size_t n);

#endif
