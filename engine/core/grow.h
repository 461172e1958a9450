/*
 * grow.h — the engine's one growable array (as curl's dynbuf is its one
 * growable buffer): capacity doubled from a minimum, sizes checked for
 * overflow, failures recorded for lk_last_error().
 */
#ifndef LK_GROW_H
#define LK_GROW_H

#include "core/core.h"

#include <stdint.h>

/* Make *arr (of *cap elements of elem bytes) hold at least need elements:
 * doubled from min (at least need) when it must grow.  *arr and *cap are
 * left as they were on failure.  LK_OK or LK_ERR_NOMEM. */
static inline lk_status lk__grow(void *arr, size_t *cap, size_t need,
                                 size_t elem, size_t min)
{
    if (need <= *cap)
        return LK_OK;
    size_t n = *cap ? *cap : min;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return lk__error(LK_ERR_NOMEM, "out of memory (%zu elements)",
                             need);
        n *= 2;
    }
    if (n > SIZE_MAX / elem)
        return lk__error(LK_ERR_NOMEM, "out of memory (%zu elements)", need);
    void **p = arr;
    void *q = lk__realloc(*p, n * elem);
    if (!q)
        return LK_ERR_NOMEM;
    *p = q;
    *cap = n;
    return LK_OK;
}

#endif
