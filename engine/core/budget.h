/*
 * budget.h — a memory budget shared by the scans of one engine: the big
 * allocations of a file (an image's decoded pixels and working copies, a
 * video's frame queue and decoder) are reserved before they are made, so
 * that concurrent scans together stay under a cap instead of exhausting
 * the machine.  A file that needs more than the whole cap is refused; one
 * that fits but finds the budget held by others waits for them.  Each
 * file makes one reservation and holds it to its end, so waiting cannot
 * deadlock.
 */
#ifndef LK_CORE_BUDGET_H
#define LK_CORE_BUDGET_H

#include "core/core.h"

typedef struct lk__budget lk__budget;

/* A budget of total bytes (> 0).  LK_OK or LK_ERR_NOMEM. */
lk_status lk__budget_new(int64_t total, lk__budget **out);
void lk__budget_free(lk__budget *b);
int64_t lk__budget_total(const lk__budget *b);

/* Take n bytes for the file name, waiting while others hold what is
 * missing.  b NULL: no cap, LK_OK.  LK_ERR_TOO_LARGE (naming the file,
 * the need and the cap) when n exceeds the whole budget. */
lk_status lk__budget_take(lk__budget *b, int64_t n, const char *name);
/* Give back n bytes taken. */
void lk__budget_give(lk__budget *b, int64_t n);

/* The default cap: half the machine's physical memory, at least 256 MiB. */
int64_t lk__budget_default(void);

#endif
