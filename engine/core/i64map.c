/*
 * i64map.c — int64 -> int32 hash map (see i64map.h).
 */
#include "core/i64map.h"
#include "core/core.h"

#include <stdlib.h>
#include <string.h>

#define MAP_EMPTY INT64_MIN

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

void lk__i64map_free(lk__i64map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static int rehash(lk__i64map *m, size_t want)
{
    size_t cap = 16;
    while (cap < want * 2)
        cap *= 2;
    int64_t *keys = lk__malloc(cap * sizeof *keys);
    int32_t *vals = lk__malloc(cap * sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return -1;
    }
    for (size_t i = 0; i < cap; i++)
        keys[i] = MAP_EMPTY;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->keys[i] == MAP_EMPTY)
            continue;
        size_t j = mix64((uint64_t)m->keys[i]) & (cap - 1);
        while (keys[j] != MAP_EMPTY)
            j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return 0;
}

int lk__i64map_reserve(lk__i64map *m, size_t extra)
{
    if ((m->n + extra) * 2 <= m->cap)
        return 0;
    return rehash(m, m->n + extra);
}

int32_t lk__i64map_get(const lk__i64map *m, int64_t k)
{
    if (!m->cap)
        return -1;
    size_t mask = m->cap - 1, i = mix64((uint64_t)k) & mask;
    while (m->keys[i] != MAP_EMPTY) {
        if (m->keys[i] == k)
            return m->vals[i];
        i = (i + 1) & mask;
    }
    return -1;
}

int lk__i64map_put(lk__i64map *m, int64_t k, int32_t v)
{
    if (lk__i64map_reserve(m, 1))
        return -1;
    size_t mask = m->cap - 1, i = mix64((uint64_t)k) & mask;
    while (m->keys[i] != MAP_EMPTY && m->keys[i] != k)
        i = (i + 1) & mask;
    if (m->keys[i] == MAP_EMPTY) {
        m->keys[i] = k;
        m->n++;
    }
    m->vals[i] = v;
    return 0;
}

void lk__i64map_del(lk__i64map *m, int64_t k)
{
    if (!m->cap)
        return;
    size_t mask = m->cap - 1, i = mix64((uint64_t)k) & mask;
    while (m->keys[i] != k) {
        if (m->keys[i] == MAP_EMPTY)
            return;
        i = (i + 1) & mask;
    }
    for (size_t j = i;;) {
        j = (j + 1) & mask;
        if (m->keys[j] == MAP_EMPTY)
            break;
        size_t home = mix64((uint64_t)m->keys[j]) & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            i = j;
        }
    }
    m->keys[i] = MAP_EMPTY;
    m->n--;
}
