/*
 * replay.c — a fuzz target as a plain program (as libvips builds its
 * fuzz/ in every build): each FILE, or every file under each DIR, is fed
 * once to LLVMFuzzerTestOneInput, so the suite re-checks every input that
 * once crashed a target (tests/fuzz/regress/) and the seeds, under the
 * sanitizers of the build.  Prints "TARGET: N inputs"; exit 0 when every
 * input returned, 2 when one could not be read.
 *
 *   replay_fuzz_media tests/fuzz/regress SEED_DIR...
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef REPLAY_TARGET
#define REPLAY_TARGET "fuzz"
#endif
/* Inputs over this are not what a fuzzer makes (its -max_len). */
#define REPLAY_MAX (16u << 20)

static int n_inputs, n_bad;

static void replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = malloc(REPLAY_MAX);
    size_t n = f && buf ? fread(buf, 1, REPLAY_MAX, f) : 0;
    if (!f || !buf || ferror(f)) {
        fprintf(stderr, "%s: %s: cannot read\n", REPLAY_TARGET, path);
        n_bad++;
    } else {
        /* an exact-size copy, so that a read past the input is caught */
        uint8_t *in = malloc(n ? n : 1);
        if (!in)
            abort();
        memcpy(in, buf, n);
        LLVMFuzzerTestOneInput(in, n);
        free(in);
        n_inputs++;
    }
    free(buf);
    if (f)
        fclose(f);
}

static void replay(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "%s: %s: missing\n", REPLAY_TARGET, path);
        n_bad++;
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        replay_file(path);
        return;
    }
    struct dirent **names;
    int n = scandir(path, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.' &&
            strcmp(names[i]->d_name, "README.md") != 0) {
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, names[i]->d_name);
            replay(sub);
        }
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        replay(argv[i]);
    printf("%s: %d inputs\n", REPLAY_TARGET, n_inputs);
    return n_bad ? 2 : 0;
}
