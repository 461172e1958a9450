/*
 * budget.c — the memory budget of budget.h: a counter under a mutex, and
 * a condition variable the waiting takers sleep on.
 */
#include "core/budget.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

struct lk__budget {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int64_t total, used;
};

lk_status lk__budget_new(int64_t total, lk__budget **out)
{
    *out = NULL;
    if (total <= 0)
        return lk__error(LK_ERR_MISUSE, "memory cap of %lld bytes",
                         (long long)total);
    lk__budget *b = lk__calloc(1, sizeof *b);
    if (!b)
        return LK_ERR_NOMEM;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    b->total = total;
    *out = b;
    return LK_OK;
}

void lk__budget_free(lk__budget *b)
{
    if (!b)
        return;
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->cv);
    free(b);
}

int64_t lk__budget_total(const lk__budget *b)
{
    return b ? b->total : 0;
}

lk_status lk__budget_take(lk__budget *b, int64_t n, const char *name)
{
    if (!b || n <= 0)
        return LK_OK;
    if (n > b->total)
        return lk__error(LK_ERR_TOO_LARGE, "%s: needs about %lld MB to "
                         "decode and search, over the memory cap of %lld MB "
                         "(lk_engine_params.max_memory, likeness "
                         "--max-memory)", name, (long long)(n >> 20),
                         (long long)(b->total >> 20));
    pthread_mutex_lock(&b->mu);
    while (b->used + n > b->total)
        pthread_cond_wait(&b->cv, &b->mu);
    b->used += n;
    pthread_mutex_unlock(&b->mu);
    return LK_OK;
}

void lk__budget_give(lk__budget *b, int64_t n)
{
    if (!b || n <= 0)
        return;
    pthread_mutex_lock(&b->mu);
    b->used -= n;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

int64_t lk__budget_default(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    int64_t half = pages > 0 && size > 0 ? (int64_t)pages * size / 2 : 0;
    return half > ((int64_t)256 << 20) ? half : (int64_t)256 << 20;
}
