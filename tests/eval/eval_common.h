/*
 * eval_common.h — what the voice evaluations (eval_voice.c, eval_spoof.c)
 * share: the table of audio files listed in the MANIFEST.tsv of every
 * voices_* folder under LIKENESS_EVAL_DIR.  Static, included by each.
 */
#ifndef LK_EVAL_COMMON_H
#define LK_EVAL_COMMON_H

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/eval_dir.h"
#include "media/audio.h"

#define MAX_ITEMS 1024

typedef struct item {
    char path[PATH_MAX];
    char set[64];      /* folder under the eval dir */
    char rel[256];     /* path inside it */
    char label[96];
} item;

static item items[MAX_ITEMS];
static int n_items;

static int starts(const char *s, const char *p) { return !strncmp(s, p, strlen(p)); }

static int is_audio(const char *p)
{
    const char *e = strrchr(p, '.');
    return e && (!strcmp(e, ".flac") || !strcmp(e, ".mp3") || !strcmp(e, ".wav"));
}

static int load_items(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!starts(de->d_name, "voices_"))
            continue;
        char mp[PATH_MAX];
        snprintf(mp, sizeof mp, "%s/%s/MANIFEST.tsv", dir, de->d_name);
        FILE *f = fopen(mp, "r");
        if (!f)
            continue;
        char line[4096];
        int first = 1;
        while (fgets(line, sizeof line, f)) {
            if (first) {
                first = 0;
                continue;
            }
            char *tab = strchr(line, '\t');
            if (!tab)
                continue;
            *tab = '\0';
            char *lab = tab + 1, *tab2 = strchr(lab, '\t');
            if (tab2)
                *tab2 = '\0';
            if (!is_audio(line) || n_items == MAX_ITEMS)
                continue;
            item *it = &items[n_items];
            /* A name too long for the table is not one of ours: skip. */
            if (snprintf(it->path, sizeof it->path, "%s/%s/%s", dir,
                         de->d_name, line) >= (int)sizeof it->path ||
                snprintf(it->set, sizeof it->set, "%s", de->d_name) >=
                    (int)sizeof it->set ||
                snprintf(it->rel, sizeof it->rel, "%s", line) >=
                    (int)sizeof it->rel ||
                snprintf(it->label, sizeof it->label, "%s", lab) >=
                    (int)sizeof it->label)
                continue;
            n_items++;
        }
        fclose(f);
    }
    closedir(d);
    return n_items;
}

static int cmp_items(const void *a, const void *b)
{
    return strcmp(((const item *)a)->path, ((const item *)b)->path);
}

/* items from LIKENESS_EVAL_DIR, sorted by path; 0 (with a note naming
 * prog) when there are none, for the caller to skip. */
static int load_eval_items(const char *prog)
{
    const char *dir = lk_test_eval_dir();
    if (!dir || load_items(dir) <= 0) {
        fprintf(stderr, "%s: no evaluation data (LIKENESS_EVAL_DIR, "
                "../shared/eval) or none of its voices_*: skipped\n", prog);
        return 0;
    }
    qsort(items, (size_t)n_items, sizeof *items, cmp_items);
    return 1;
}

static int in_set(const item *it, const char *s) { return !strcmp(it->set, s); }

/* The decoded PCM of path appended to pcm[n] (capacity cap, grown);
 * nothing when it does not open.  For the speed measurements. */
static void append_pcm(const char *path, float **pcm, size_t *n, size_t *cap)
{
    lk__audio *a;
    if (lk__audio_open(path, 0, &a) != LK_OK)
        return;
    const float *x;
    size_t m;
    double t0;
    while (lk__audio_read(a, &x, &m, &t0) == LK_OK) {
        if (*n + m > *cap) {
            *cap = 2 * (*n + m);
            *pcm = realloc(*pcm, *cap * sizeof **pcm);
            if (!*pcm)
                abort();
        }
        memcpy(*pcm + *n, x, m * sizeof *x);
        *n += m;
    }
    lk__audio_close(a);
}

#endif
