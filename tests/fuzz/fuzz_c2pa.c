/*
 * fuzz_c2pa.c — libFuzzer target for the provenance reader (engine/evidence/):
 * arbitrary bytes as a file's contents through the container walkers
 * (JPEG APP11, PNG caBX, ISO BMFF uuid, RIFF C2PA, ID3 GEOB), JUMBF, CBOR,
 * COSE verification, the hard binding, XMP and EXIF, then the record as
 * JSON.  The bytes are handed over in memory (lk__provenance_from_memory,
 * what lk_provenance_read() calls after mapping the file), so a read one
 * byte past the input is caught, which a page-rounded mapping would hide.
 * Every input must end in LK_OK (or LK_ERR_NOMEM) with a record whose JSON
 * is produced; the sanitizers catch the rest.
 *
 *   CC=clang CXX=clang++ meson setup build-fuzz -Dfuzz=true \
 *       -Db_sanitize=address,undefined -Db_lundef=false
 *   ninja -C build-fuzz
 *   build-fuzz/tests/c2pa_craft --make-seeds CORPUS_DIR
 *   build-fuzz/tests/fuzz_c2pa -max_total_time=300 -max_len=300000 CORPUS_DIR
 *
 * The seeds are signed JPEG, PNG, WAV, MP3 and MP4 files made at run time
 * by tests/unit/c2pa_craft.c, intact and damaged (nothing binary is kept
 * in the tree); a find that crashed goes to tests/fuzz/regress/ with a
 * unit test (see its README).
 */
#include "evidence/evidence.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lk_provenance *p = NULL;
    lk_status s = lk__provenance_from_memory("fuzz.bin", data, size, &p);
    if (s == LK_OK) {
        if (!p)
            abort();
        char *js = lk_provenance_json(p);
        if (!js)
            abort();
        /* touch every string the record hands out */
        volatile size_t sum = strlen(js);
        for (int i = 0; i < p->n_problems; i++)
            sum += strlen(p->problems[i]);
        for (int i = 0; i < p->n_manifests; i++) {
            const lk_prov_manifest *m = lk_provenance_manifest(p, i);
            for (int k = 0; k < m->n_actions; k++)
                if (lk_prov_manifest_action(m, k)->action)
                    sum += strlen(lk_prov_manifest_action(m, k)->action);
        }
        (void)sum;
        lk_free(js);
        lk_provenance_free(p);
    } else if (s != LK_ERR_NOMEM || p) {
        abort();
    }
    return 0;
}
