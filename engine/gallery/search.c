/*
 * search.c — the k best performers for an embedding of a modality:
 * templates searched in the modality's index under the read lock, grouped
 * by performer (the best template of each), the search widened until k
 * performers are found.
 */
#include "gallery/gallery_impl.h"

#include <stdio.h>
#include <stdlib.h>

lk_status lk_gallery_search(lk_gallery *gal, lk_modality mod,
                            const float *embedding, int k, lk_match *out,
                            int *n_out)
{
    if (n_out)
        *n_out = 0;
    if (!gal || !embedding || !out || !n_out || k <= 0)
        return lk__error(LK_ERR_MISUSE, "lk_gallery_search: NULL argument or "
                         "k %d", k);
    lk_status rs = lk__gallery_modality_ready(gal, mod);
    if (rs != LK_OK)
        return rs;
    const int m = (int)mod;
    rs = lk__gal_check_embedding(gal->mod[m].dim, embedding,
                                 m == MOD_FACE ? "search" : "voice search");
    if (rs != LK_OK)
        return rs;
    /* A change committed by another process before this search began is
     * seen by it: an erased performer is never found once the erasure
     * has committed. */
    if ((rs = lk__gal_sync_if_changed(gal)) != LK_OK)
        return rs;

    enum { STACK = 256 };
    float d_stack[STACK];
    int64_t i_stack[STACK];
    int32_t seen_stack[64];
    float *D = d_stack;
    int64_t *I = i_stack;
    int32_t *seen = seen_stack;       /* performer of each out[] entry */
    lk__i64map seen_map = { 0 };          /* the same, for large k */
    int filled = 0;

    if (k > 64 && !(seen = lk__malloc((size_t)k * sizeof *seen)))
        return LK_ERR_NOMEM;
    pthread_rwlock_rdlock(&gal->rw);
    const state *st = &gal->st;
    int64_t n = lk__index_count(st->ix[m]);
    /* Several templates per performer: ask for more templates than
     * performers wanted, and widen until k performers are found or the
     * whole gallery was looked at. */
    int64_t kk = (int64_t)k * 8 < 64 ? 64 : (int64_t)k * 8;
    for (; n > 0;) {
        if (kk > n)
            kk = n;
        if (kk > INT32_MAX)
            kk = INT32_MAX;
        if (kk > STACK) {
            if (D != d_stack)
                free(D);
            if (I != i_stack)
                free(I);
            D = lk__malloc((size_t)kk * sizeof *D);
            I = lk__malloc((size_t)kk * sizeof *I);
            if (!D || !I) {
                rs = LK_ERR_NOMEM;
                break;
            }
        }
        if ((rs = lk__index_search(st->ix[m], 1, embedding, (int)kk, D,
                                   I)) != LK_OK)
            break;
        filled = 0;
        lk__i64map_free(&seen_map);
        for (int64_t j = 0; j < kk && filled < k; j++) {
            if (I[j] < 0)
                break;
            int32_t pi = lk__i64map_get(&st->tmpl[m], I[j]);
            if (pi < 0)
                continue;
            int dup = 0;
            if (k <= 16) {
                for (int m = 0; m < filled && !dup; m++)
                    dup = seen[m] == pi;
            } else {
                dup = lk__i64map_get(&seen_map, pi) >= 0;
                if (!dup && lk__i64map_put(&seen_map, pi, 1) != 0) {
                    rs = LK_ERR_NOMEM;
                    break;
                }
            }
            if (dup)
                continue;
            seen[filled] = pi;
            lk_match *o = &out[filled];
            /* Ids are checked to fit when performers are added. */
            snprintf(o->performer_id, sizeof o->performer_id, "%s",
                     st->perfs[pi].id);
            o->template_id = I[j];
            o->score = D[j];
            filled++;
        }
        if (rs != LK_OK || filled == k || kk >= n || kk >= INT32_MAX)
            break;
        kk *= 4;
    }
    pthread_rwlock_unlock(&gal->rw);
    if (D != d_stack)
        free(D);
    if (I != i_stack)
        free(I);
    if (seen != seen_stack)
        free(seen);
    lk__i64map_free(&seen_map);
    if (rs != LK_OK)
        return rs;
    *n_out = filled;
    return LK_OK;
}
