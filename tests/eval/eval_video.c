/*
 * eval_video.c — video scanning on real footage ($LIKENESS_EVAL_DIR/
 * video_faces), through the public API only.
 *
 * Every named identity of faces_face_recognition is enrolled from its own
 * photos (the largest face of each).  Then, at the calibrated threshold:
 *  - the stage clip (hamilton/) must yield findings, each for one of the
 *    performers its manifest names (Lin-Manuel Miranda, perhaps Alex
 *    Lacamoire), with times inside the clip;
 *  - the crowd clip and the no-face clip must yield none;
 *  - the five-frame TV clip must scan without error.
 * Everything found (matched or not) is printed with its times, for the
 * record.  Exits 77 (skip) without the data or the models.
 */
#include "../unit/eval_dir.h"
#include "likeness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            failures++;                                                     \
            printf("FAIL: ");                                               \
            printf(__VA_ARGS__);                                            \
            printf("\n");                                                   \
        }                                                                   \
    } while (0)

/* Enrol each photo of faces_face_recognition whose label is a plain name. */
static int enrol_all(lk_gallery *gal, lk_session *ses, const char *eval)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/faces_face_recognition/MANIFEST.tsv", eval);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[8192];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char *file = strtok(line, "\t"), *label = strtok(NULL, "\t\n");
        if (!file || !label || !strcmp(file, "file"))
            continue;
        if (strchr(label, ':') || strchr(label, ' ') || label[0] == '_' ||
            !strncmp(label, "group", 5) || !strncmp(label, "unlabelled", 10))
            continue;
        lk_gallery_add_performer(gal, label, label);
        snprintf(path, sizeof path, "%s/faces_face_recognition/%s", eval, file);
        lk_enroll_result r;
        if (lk_gallery_enroll(gal, ses, label, LK_MODALITY_FACE, path, LK_ENROLL_LARGEST,
                                   &r) == LK_OK)
            n += !r.duplicate;
        else
            printf("  (not enrolled: %s)\n", lk_last_error());
    }
    fclose(f);
    return n;
}

/* Scan one clip with every face reported; returns the matches or -1. */
static int scan(lk_gallery *gal, lk_session *ses, const char *eval,
                const char *rel, lk_scan_result **out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/video_faces/%s", eval, rel);
    lk_scan_params sp = lk_scan_default_params();
    sp.report_all = 1;
    lk_status s = lk_scan_file(gal, ses, path, &sp, out);
    if (s != LK_OK) {
        printf("%s: error %s\n", rel, lk_last_error());
        return -1;
    }
    const lk_scan_result *r = *out;
    int matches = 0;
    printf("%s: %dx%d, %.2f s, %lld frames decoded, %lld sampled, %lld "
           "cuts, %d face tracks, %d warnings\n", rel,
           lk_scan_result_width(r), lk_scan_result_height(r),
           lk_scan_result_duration(r),
           (long long)lk_scan_result_frames_decoded(r),
           (long long)lk_scan_result_frames_sampled(r),
           (long long)lk_scan_result_cuts(r), lk_scan_result_faces(r),
           lk_scan_result_warning_count(r));
    for (int i = 0; i < lk_scan_result_count(r); i++) {
        const lk_finding *f = lk_scan_result_finding(r, i);
        matches += f->decision == LK_MATCH;
        /* the false-match rate at the score that decided, from the
         * recogniser's calibration (tests/eval/eval_faces.c checks it) */
        char fmr[32] = "fmr -";
        if (f->fmr > 0)
            snprintf(fmr, sizeof fmr, "fmr %s%.2g", f->fmr_below ? "<" : "",
                     f->fmr);
        printf("  %-8s %-20s %6.2f-%6.2f s  score %.3f peak %.3f at %.2f s  "
               "%s  %2d frames  face %.0fx%.0f at %.0f,%.0f\n",
               f->decision == LK_MATCH ? "MATCH" : "no match",
               f->performer_id ? f->performer_id : "-", f->start, f->end,
               (double)f->score, (double)f->peak_score, f->best_time, fmr,
               f->frames, f->face.w, f->face.h, f->face.x, f->face.y);
    }
    return matches;
}

int main(void)
{
    const char *eval = lk_test_eval_dir();
    if (!eval) {
        printf("no evaluation data (LIKENESS_EVAL_DIR, ../shared/eval): "
               "skipped\n");
        return 77;
    }
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/video_faces/MANIFEST.tsv", eval);
    FILE *pf = fopen(probe, "r");
    if (!pf) {
        printf("%s absent: skipped\n", probe);
        return 77;
    }
    fclose(pf);

    lk_engine_params ep = lk_engine_default_params();
    lk_engine *eng = NULL;
    lk_session *ses = NULL;
    lk_gallery *gal = NULL;
    if (lk_engine_open(&ep, &eng) != LK_OK) {
        printf("models unavailable (%s): skipped\n", lk_last_error());
        return 77;
    }
    const char *tmp = getenv("LK_TEST_TMP");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/eval_video.%d", tmp && *tmp ? tmp : "/tmp",
             (int)getpid());
    if (lk_session_new(eng, &ses) != LK_OK ||
        lk_gallery_open(dir, eng, LK_GALLERY_CREATE, &gal) != LK_OK) {
        printf("set-up failed: %s\n", lk_last_error());
        return 1;
    }
    int enrolled = enrol_all(gal, ses, eval);
    printf("enrolled %d photos of faces_face_recognition\n", enrolled);
    CHECK(enrolled >= 10, "only %d photos enrolled", enrolled);

    lk_scan_result *r = NULL;
    int m = scan(gal, ses, eval, "hamilton/short_hamilton_clip.mp4", &r);
    CHECK(m >= 1, "stage clip: no finding");
    for (int i = 0; r && i < lk_scan_result_count(r); i++) {
        const lk_finding *f = lk_scan_result_finding(r, i);
        if (f->decision != LK_MATCH)
            continue;
        CHECK(!strcmp(f->performer_id, "lin_manuel_miranda") ||
                  !strcmp(f->performer_id, "alex_lacamoire"),
              "stage clip: %s found, not in the clip's manifest",
              f->performer_id);
        double duration = lk_scan_result_duration(r);
        CHECK(f->start >= 0 && f->start <= f->end && f->end <= duration,
              "stage clip: times %.2f-%.2f outside 0-%.2f", f->start, f->end,
              duration);
    }
    lk_scan_result_free(r);

    m = scan(gal, ses, eval, "crowd/facenet_pytorch_video.mp4", &r);
    CHECK(m == 0, "crowd clip: %d findings, want none", m);
    CHECK(r && lk_scan_result_faces(r) > 0,
          "crowd clip: no face tracked at all");
    lk_scan_result_free(r);

    m = scan(gal, ses, eval, "no_face/c2pa_rs_c.mov", &r);
    CHECK(m == 0, "no-face clip: %d findings, want none", m);
    CHECK(r && lk_scan_result_faces(r) == 0, "no-face clip: %d face tracks",
          lk_scan_result_faces(r));
    lk_scan_result_free(r);

    m = scan(gal, ses, eval, "bbt/faceapi_test_video.mp4", &r);
    CHECK(m >= 0, "five-frame clip: error");
    lk_scan_result_free(r);

    lk_gallery_close(gal);
    lk_session_free(ses);
    lk_engine_free(eng);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("(could not remove %s)\n", dir);
    printf("%s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
