/*
 * test_tmp.h — scratch directories for the unit tests: a fresh directory
 * under $LK_TEST_TMP (meson sets it to the build tree's tests/tmp; /tmp
 * otherwise) and its removal.  Header-only: each test is one translation
 * unit.
 */
#ifndef LK_TEST_TMP_H
#define LK_TEST_TMP_H

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* mkdir -p: each missing component of path, mode 0755.  0 or -1. */
static inline int lk_test_mkdirs(const char *path)
{
    char p[4096];
    if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p)
        return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            return -1;
        *s = '/';
    }
    return mkdir(p, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* A new empty directory "<$LK_TEST_TMP>/<prefix>.XXXXXX", its path in buf
 * (n bytes).  0, or -1 when it cannot be made. */
static inline int lk_test_mkdtemp(const char *prefix, char *buf, size_t n)
{
    const char *base = getenv("LK_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    if (lk_test_mkdirs(base) != 0 ||
        snprintf(buf, n, "%s/%s.XXXXXX", base, prefix) >= (int)n)
        return -1;
    return mkdtemp(buf) ? 0 : -1;
}

static inline int lk_test_rm_entry(const char *p, const struct stat *sb,
                                   int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* Remove dir and everything below it; symbolic links are removed, not
 * followed.  NULL or "" does nothing. */
static inline void lk_test_rmtree(const char *dir)
{
    if (dir && *dir)
        nftw(dir, lk_test_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
