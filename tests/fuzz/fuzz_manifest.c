/*
 * fuzz_manifest.c — libFuzzer target for the model manifest parser:
 * arbitrary bytes as manifest.json.  Built with -Dfuzz=true (see
 * fuzz_image.c for the commands).
 */
#include "core/manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dir[] = "/tmp/fuzz_manifest.XXXXXX";
    static char path[sizeof dir + 16];
    if (!path[0]) {
        if (!mkdtemp(dir))
            abort();
        snprintf(path, sizeof path, "%s/manifest.json", dir);
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    lk__manifest mf;
    if (lk__manifest_load(dir, &mf) == LK_OK) {
        for (const char *role = "face_detect"; role;
             role = strcmp(role, "face_detect") ? NULL : "face_embed")
            (void)lk__manifest_find(&mf, role, NULL);
        lk__manifest_free(&mf);
    }
    return 0;
}
