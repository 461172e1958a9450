/*
 * files.c — the files a command works on: the operands, directories walked
 * in name order, and list files (train-spoof); the string vector holding
 * them.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int strvec_push(strvec *sv, const char *s)
{
    if (sv->n == sv->cap) {
        size_t cap = sv->cap ? sv->cap * 2 : 64;
        char **v = realloc(sv->v, cap * sizeof *v);
        if (!v)
            return -1;
        sv->v = v;
        sv->cap = cap;
    }
    if (!(sv->v[sv->n] = strdup(s)))
        return -1;
    sv->n++;
    return 0;
}

void strvec_free(strvec *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory that cannot be walked: its path, then "path: cause", as the
 * next two entries of errors. */
static void walk_error(strvec *errors, const char *dir, const char *cause)
{
    size_t n = strlen(dir) + strlen(cause) + 3;
    char *m = malloc(n);
    if (m) {
        snprintf(m, n, "%s: %s", dir, cause);
        strvec_push(errors, dir);
        strvec_push(errors, m);
        free(m);
    }
}

/* The directories from a walk's root down to the one being walked, as
 * device and inode: a link back to one of them is a loop. */
typedef struct dir_up {
    dev_t dev;
    ino_t ino;
    const struct dir_up *up;
} dir_up;

static int encloses(const dir_up *up, const struct stat *st)
{
    for (; up; up = up->up)
        if (up->dev == st->st_dev && up->ino == st->st_ino)
            return 1;
    return 0;
}

/* Walk a directory (st: its stat) in name order.  Symbolic links are
 * followed, to files and to directories alike, as if the link were what
 * it names; a link to a directory on the way down (a loop) is not
 * followed, and is reported in errors. */
static void walk(const char *dir, const struct stat *st, const dir_up *up,
                 strvec *files, strvec *errors, int depth)
{
    if (depth > 64) {
        walk_error(errors, dir, "directories nested too deep (over 64)");
        return;
    }
    const dir_up here = {st->st_dev, st->st_ino, up};
    DIR *d = opendir(dir);
    if (!d) {
        walk_error(errors, dir, strerror(errno));
        return;
    }
    strvec names = {0};
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        strvec_push(&names, e->d_name);
    }
    closedir(d);
    if (names.n)
        qsort(names.v, names.n, sizeof *names.v, cmp_str);
    for (size_t i = 0; i < names.n; i++) {
        size_t len = strlen(dir) + strlen(names.v[i]) + 2;
        char *p = malloc(len);
        if (!p)
            break;
        snprintf(p, len, "%s%s%s", dir,
                 dir[strlen(dir) - 1] == '/' ? "" : "/", names.v[i]);
        struct stat sub;
        if (stat(p, &sub) == 0 && S_ISDIR(sub.st_mode)) {
            if (encloses(&here, &sub))
                walk_error(errors, p, "not followed: a symbolic link to a "
                           "directory that encloses it (a loop)");
            else
                walk(p, &sub, &here, files, errors, depth + 1);
        } else {
            strvec_push(files, p); /* else the library names what is wrong */
        }
        free(p);
    }
    strvec_free(&names);
}

void cli_collect(char **args, int n, strvec *files, strvec *errors)
{
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (stat(args[i], &st) == 0 && S_ISDIR(st.st_mode))
            walk(args[i], &st, NULL, files, errors, 0);
        else
            strvec_push(files, args[i]);
    }
}

void cli_read_list(const char *list, strvec *files, strvec *errors)
{
    struct stat st;
    if (stat(list, &st) == 0 && S_ISDIR(st.st_mode)) {
        walk(list, &st, NULL, files, errors, 0);
        return;
    }
    FILE *f = fopen(list, "r");
    if (!f) {
        walk_error(errors, list, strerror(errno));
        return;
    }
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] && line[0] != '#')
            strvec_push(files, line);
    }
    fclose(f);
}

