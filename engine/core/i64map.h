/*
 * i64map.h — a hash map from int64 keys to int32 values (open addressing,
 * linear probing, backward-shift deletion, so deleting leaves no
 * tombstones and the table does not grow with churn).  INT64_MIN is not a
 * valid key.  Not thread-safe; readers may share a map nobody changes.
 */
#ifndef LK_I64MAP_H
#define LK_I64MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct lk__i64map {
    int64_t *keys;
    int32_t *vals;
    size_t cap, n;             /* cap is 0 or a power of two */
} lk__i64map;

/* A zeroed lk__i64map is empty.  Free with lk__i64map_free(). */
void lk__i64map_free(lk__i64map *m);
/* Room for extra more keys without rehashing: 0, -1 (recorded) when out
 * of memory. */
int lk__i64map_reserve(lk__i64map *m, size_t extra);
/* The value of k, or -1 when absent. */
int32_t lk__i64map_get(const lk__i64map *m, int64_t k);
/* Set k to v: 0, -1 (recorded) when out of memory. */
int lk__i64map_put(lk__i64map *m, int64_t k, int32_t v);
void lk__i64map_del(lk__i64map *m, int64_t k);

#endif
