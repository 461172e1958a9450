/*
 * eval_dir.h — the one way every test finds the evaluation data, at run
 * time: $LIKENESS_EVAL_DIR, else ../shared/eval beside the source tree
 * ($LK_SOURCE_ROOT, which meson sets), else none.  A test that needs the
 * data and finds none skips: cmocka's skip() inside a unit test, exit 77
 * (meson's skip) for a whole eval program.
 */
#ifndef LK_TEST_EVAL_DIR_H
#define LK_TEST_EVAL_DIR_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* The directory, or NULL when there is none; static storage. */
static inline const char *lk_test_eval_dir(void)
{
    static char dir[1024];
    const char *e = getenv("LIKENESS_EVAL_DIR");
    const char *root = getenv("LK_SOURCE_ROOT");
    if (e && *e)
        snprintf(dir, sizeof dir, "%s", e);
    else if (root && *root)
        snprintf(dir, sizeof dir, "%s/../shared/eval", root);
    else
        return NULL;
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? dir : NULL;
}

#endif
