/*
 * find_performer.c — the smallest complete use of the public API: enrol
 * one photo for one performer in a fresh gallery, then scan other images
 * and videos.
 *
 *     find_performer GALLERY_DIR HEADSHOT.jpg IMAGE|VIDEO...
 *
 * Uses only <likeness.h> and links the shared library.
 */
#include <likeness.h>

#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s GALLERY_DIR HEADSHOT IMAGE|VIDEO...\n", argv[0]);
        return 2;
    }
    lk_engine *eng = NULL;
    lk_session *ses = NULL;
    lk_gallery *gal = NULL;
    int rc = 2;

    lk_engine_params ep = lk_engine_default_params();
    if (lk_engine_open(&ep, &eng) != LK_OK ||
        lk_session_new(eng, &ses) != LK_OK ||
        lk_gallery_open(argv[1], eng, LK_GALLERY_CREATE, &gal) != LK_OK ||
        lk_gallery_add_performer(gal, "example", "Example Performer") != LK_OK)
        goto out;

    lk_enroll_result er;
    if (lk_gallery_enroll(gal, ses, "example", LK_MODALITY_FACE, argv[2],
                               LK_ENROLL_LARGEST, &er) != LK_OK)
        goto out;
    printf("enrolled %s (template %lld)\n", argv[2], (long long)er.template_id);

    rc = 0;
    lk_scan_params sp = lk_scan_default_params();
    for (int i = 3; i < argc; i++) {
        lk_scan_result *res;
        lk_status s = lk_scan_file(gal, ses, argv[i], &sp, &res);
        if (s != LK_OK) {
            /* a bad file is reported and the batch goes on */
            fprintf(stderr, "%s\n", lk_last_error());
            continue;
        }
        for (int k = 0; k < lk_scan_result_count(res); k++) {
            const lk_finding *f = lk_scan_result_finding(res, k);
            if (lk_scan_result_kind(res) != LK_MEDIA_IMAGE)
                printf("%s: %s %.2f-%.2f s score %.3f\n", argv[i],
                       f->performer_id, f->start, f->end, (double)f->score);
            else
                printf("%s: %s score %.3f\n", argv[i], f->performer_id,
                       (double)f->score);
            rc = 1;
        }
        lk_scan_result_free(res);
    }
    lk_gallery_close(gal);
    lk_session_free(ses);
    lk_engine_free(eng);
    return rc;
out:
    fprintf(stderr, "find_performer: %s\n", lk_last_error());
    lk_gallery_close(gal);
    lk_session_free(ses);
    lk_engine_free(eng);
    return rc;
}
