/*
 * eval_faces.c — face verification and identification accuracy on the
 * real photos of $LIKENESS_EVAL_DIR (never copied into the repository).
 *
 * Protocol.  Every identity with two or more independent photos is
 * enrolled from the first half of its photos (sorted by path, at least
 * one) and probed with the rest; the largest face of a photo is its face.
 * Variants of one photo (resolutions, crops of obama.jpg) are not
 * independent and are left out.  Impostor probes are every face in the
 * photos of single-photo identities, unlabelled people, distractor scenes
 * and groups of people not enrolled.  face_recognition's two_people.jpg is
 * labelled "identities not stated" but shows the enrolled obama and biden
 * (cosine 0.98 and 0.71 to their templates), so it is no impostor photo.  A probe's score for an identity is
 * its best cosine over that identity's templates.  Genuine pairs: probe vs
 * own identity; impostor pairs: probe vs every other enrolled identity.
 *
 * Prints true-accept rate at 1% and 0.1% false-accept rate, rank-1
 * accuracy, the rates at the recogniser's calibrated threshold and the
 * threshold each FAR implies.  Fails when TAR@1%FAR < 97%.
 * LK_EVAL_VERBOSE=1 also prints every genuine score and every impostor
 * score above 0.3, with the photo and the identity.
 * Exit 77 (skip) when the data or the models are absent.
 *
 * Calibration (match/calib.h, models/README.md).  The sets are split by
 * whole corpus: the calibration is fitted on CALIB_SETS only, and checked
 * on the others, which it never saw.  An impostor comparison is one face
 * against one template photo (the largest face of a named, independent
 * photo) of another identity, both from the same split; group photos
 * naming a known identity are left out, as above.
 *   eval_faces --calibrate OUT   write the calibration of the recogniser
 *                                (models/calibration/<id>.json)
 * Without it, the held-out split's predicted and observed false-match
 * rates are printed at the thresholds above.
 */
#include "../unit/eval_dir.h"
#include "calib_check.h"
#include "likeness.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_ITEMS 1024
#define MAX_IDS 128

static const char *sets[] = {
    "faces_face_recognition", "faces_faceapi_bbt", "faces_idgen_references",
    "faces_misc_pairs", "faces_impostors_distractors",
};

/* The calibration's split (indexes into sets); the rest is held out. */
static const char *const CALIB_SETS[] = {
    "faces_faceapi_bbt", "faces_idgen_references",
    "faces_impostors_distractors",
};
static const char *const HELD_OUT_SETS[] = {
    "faces_face_recognition", "faces_misc_pairs",
};
#define N_CALIB_SETS ((int)(sizeof CALIB_SETS / sizeof *CALIB_SETS))
#define N_HELD_OUT ((int)(sizeof HELD_OUT_SETS / sizeof *HELD_OUT_SETS))

typedef struct {
    char path[2048];
    char label[128];
    char notes[512];
    int calib;         /* in the calibration's split */
} item;

typedef struct {
    char name[128];
    int items[64];
    int n;
} identity;

static item items[MAX_ITEMS];
static int n_items;
static identity ids[MAX_IDS];
static int n_ids;

static int is_name(const char *label)
{
    if (!*label || strchr(label, ':') || strchr(label, ' '))
        return 0;
    return strncmp(label, "group", 5) && strncmp(label, "unlabelled", 10) &&
           strcmp(label, "no_human_face") && strcmp(label, "label");
}

/* Not independent photos of their subject: left out of both sides. */
static int is_variant(const item *it)
{
    return strstr(it->path, "/_resolutions/") || strstr(it->notes, "not independent") ||
           strstr(it->notes, "small version");
}

static void load_manifest(const char *eval, const char *set)
{
    char path[4096], line[4096];
    snprintf(path, sizeof path, "%s/%s/MANIFEST.tsv", eval, set);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f) && n_items < MAX_ITEMS) {
        char *cols[9] = {0};
        int nc = 0;
        for (char *p = line, *tok; nc < 9 && (tok = strsep(&p, "\t\n"));)
            cols[nc++] = tok;
        if (nc < 2 || !strcmp(cols[0], "file"))
            continue;
        item *it = &items[n_items++];
        snprintf(it->path, sizeof it->path, "%s/%s/%s", eval, set, cols[0]);
        snprintf(it->label, sizeof it->label, "%s", cols[1]);
        snprintf(it->notes, sizeof it->notes, "%s", nc > 8 ? cols[8] : "");
        it->calib = 0;
        for (int k = 0; k < N_CALIB_SETS; k++)
            it->calib |= !strcmp(set, CALIB_SETS[k]);
    }
    fclose(f);
}

static identity *find_id(const char *name)
{
    for (int i = 0; i < n_ids; i++)
        if (!strcmp(ids[i].name, name))
            return &ids[i];
    return NULL;
}

static int cmp_float_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

static float dot(const float *a, const float *b, int n)
{
    float s = 0;
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* Group photos naming an enrolled identity hold genuine faces we cannot
 * attribute; they are no impostors. */
static int names_enrolled(const char *label)
{
    if (strncmp(label, "group:", 6))
        return !strcmp(label, "group_bbt_cast") || strstr(label, "obama");
    char buf[128];
    snprintf(buf, sizeof buf, "%s", label + 6);
    for (char *p = buf, *tok; (tok = strsep(&p, "+"));)
        if (find_id(tok))
            return 1;
    return 0;
}

typedef struct {
    float *v;
    int n, cap;
} floats;

static void push(floats *f, float x)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 256;
        f->v = realloc(f->v, (size_t)f->cap * sizeof *f->v);
        if (!f->v) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
    }
    f->v[f->n++] = x;
}

/* Smallest threshold whose false-accept rate is at most far. */
static float threshold_at(const floats *imp, double far)
{
    int allowed = (int)floor(far * imp->n);
    if (allowed >= imp->n)
        return -1.0f;
    /* imp sorted descending: accept scores strictly above imp[allowed] */
    return nextafterf(imp->v[allowed], 2.0f);
}

static double rate_at(const floats *s, float t)
{
    int k = 0;
    for (int i = 0; i < s->n; i++)
        k += s->v[i] >= t;
    return s->n ? (double)k / s->n : 0.0;
}

static const char *id_name(int who) { return ids[who].name; }

/* A face of this item may be an impostor probe: not a group naming a
 * known identity, nor a photo of uncertain subject. */
static int probe_ok(const item *it)
{
    if (is_name(it->label))
        return find_id(it->label) != NULL;   /* a variant: no */
    return !names_enrolled(it->label) && !strstr(it->label, "appears to be") &&
           !strstr(it->path, "_group/two_people.jpg");
}

/* The impostor comparisons of one split (calib 1: the calibration's):
 * every face of it against every template photo of another identity of
 * it.  Counts of identities, probes and templates into n[3]. */
static void split_impostors(int calib, const float *emb, const int *first,
                            const int *count, int dim, impostors *p, int n[3])
{
    int has_tmpl[MAX_IDS] = {0};
    n[0] = n[1] = n[2] = 0;
    for (int t = 0; t < n_items; t++)
        if (items[t].calib == calib && is_name(items[t].label) &&
            !is_variant(&items[t]) && count[t] > 0) {
            has_tmpl[find_id(items[t].label) - ids] = 1;
            n[2]++;
        }
    for (int d = 0; d < n_ids; d++)
        n[0] += has_tmpl[d];
    for (int i = 0; i < n_items; i++) {
        if (items[i].calib != calib || !probe_ok(&items[i]))
            continue;
        const identity *own = is_name(items[i].label) ? find_id(items[i].label)
                                                      : NULL;
        for (int k = 0; k < count[i]; k++, n[1]++)
            for (int t = 0; t < n_items; t++) {
                if (items[t].calib != calib || !is_name(items[t].label) ||
                    is_variant(&items[t]) || count[t] == 0)
                    continue;
                const identity *d = find_id(items[t].label);
                if (d == own)
                    continue;
                imp_push(p, dot(emb + (size_t)(first[i] + k) * dim,
                                emb + (size_t)first[t] * dim, dim),
                         (int)(d - ids));
            }
    }
}

/* The false-match rates the calibration predicts on the held-out split,
 * beside those observed there. */
static void check_calibration(const float *emb, const int *first,
                              const int *count, int dim, const double *thr,
                              int n_thr)
{
    printf("calibration check on the held-out split (");
    for (int k = 0; k < N_HELD_OUT; k++)
        printf("%s%s", k ? ", " : "", HELD_OUT_SETS[k]);
    printf("; the calibration saw only ");
    for (int k = 0; k < N_CALIB_SETS; k++)
        printf("%s%s", k ? ", " : "", CALIB_SETS[k]);
    printf(")\n");
    lk__calib *c = calib_of_role("face_embed");
    if (!c)
        return;
    impostors p = {0};
    int n[3];
    split_impostors(0, emb, first, count, dim, &p, n);
    printf("  %d identities' %d template photos, %d faces: %d impostor "
           "comparisons (one face, one template)\n", n[0], n[2], n[1], p.n);
    double r = calib_report(c, &p, thr, n_thr, id_name);
    printf("  worst observed/predicted pooled ratio: %.2f\n", r);
    imp_free(&p);
    lk__calib_free(c);
}

static int calibrate(const char *out, const char *model, const char *sha,
                     const float *emb, const int *first, const int *count,
                     int dim)
{
    impostors p = {0};
    int n[3];
    split_impostors(1, emb, first, count, dim, &p, n);
    lk__calib_source src = {
        model, sha, "one face (every face of a photo, the largest of a "
        "named one) against one template photo of another identity",
        CALIB_SETS, N_CALIB_SETS, HELD_OUT_SETS, N_HELD_OUT, n[0], n[1], n[2],
    };
    lk_status s = lk__calib_write(p.score, (size_t)p.n, 0.02, &src, out);
    printf("calibration: %d impostor comparisons of %d faces against %d "
           "templates of %d identities -> %s\n", p.n, n[1], n[2], n[0],
           s == LK_OK ? out : lk_last_error());
    imp_free(&p);
    return s == LK_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *calib_out = argc > 2 && !strcmp(argv[1], "--calibrate")
                                ? argv[2] : NULL;
    const char *eval = lk_test_eval_dir();
    if (!eval) {
        printf("no evaluation data (LIKENESS_EVAL_DIR, ../shared/eval): "
               "skipped\n");
        return 77;
    }
    lk_engine_params ep = lk_engine_default_params();
    lk_engine *eng;
    lk_session *ses;
    if (lk_engine_open(&ep, &eng) != LK_OK) {
        printf("models unavailable (%s): skipping\n", lk_last_error());
        return 77;
    }
    if (lk_session_new(eng, &ses) != LK_OK) {
        fprintf(stderr, "session: %s\n", lk_last_error());
        return 1;
    }
    const int dim = lk_engine_face_dim(eng);
    lk_model_info mi;
    float calibrated = 0;
    const char *model_sha = NULL;
    for (int i = 0; lk_engine_model(eng, i, &mi) == LK_OK; i++)
        if (!strcmp(mi.role, "face_embed")) {
            calibrated = mi.threshold;
            model_sha = mi.sha256;
        }

    for (size_t s = 0; s < sizeof sets / sizeof *sets; s++)
        load_manifest(eval, sets[s]);
    if (n_items == 0) {
        printf("no manifests under %s: skipping\n", eval);
        return 77;
    }

    /* Identities with their independent photos, in path order. */
    for (int i = 0; i < n_items; i++) {
        if (!is_name(items[i].label) || is_variant(&items[i]))
            continue;
        identity *id = find_id(items[i].label);
        if (!id && n_ids < MAX_IDS) {
            id = &ids[n_ids++];
            snprintf(id->name, sizeof id->name, "%s", items[i].label);
        }
        if (id && id->n < 64)
            id->items[id->n++] = i;
    }

    /* Embed every face once: largest face of identity photos, all faces
     * of impostor photos. */
    float *emb = calloc((size_t)MAX_ITEMS * 64, (size_t)dim * sizeof(float));
    int *emb_item = calloc((size_t)MAX_ITEMS * 64, sizeof(int));
    int *first = calloc(MAX_ITEMS, sizeof(int)), *count = calloc(MAX_ITEMS, sizeof(int));
    int n_emb = 0, no_face = 0, errors = 0;
    lk_detect_params dp = lk_detect_default_params();
    for (int i = 0; i < n_items; i++) {
        first[i] = n_emb;
        lk_faces *f;
        if (lk_faces_from_file(ses, items[i].path, &dp, &f) != LK_OK) {
            fprintf(stderr, "  error: %s\n", lk_last_error());
            errors++;
            continue;
        }
        int take = is_name(items[i].label) ? (lk_faces_count(f) > 0)
                                             : lk_faces_count(f);
        if (take > 64)
            take = 64;
        for (int k = 0; k < take; k++) {
            memcpy(emb + (size_t)n_emb * dim, lk_faces_embedding(f, k),
                   (size_t)dim * sizeof(float));
            emb_item[n_emb++] = i;
        }
        count[i] = take;
        if (is_name(items[i].label) && lk_faces_count(f) == 0) {
            no_face++;
            printf("  no face: %s\n", items[i].path);
        }
        lk_faces_free(f);
    }

    if (calib_out) {
        int rc = calibrate(calib_out, lk_engine_face_model_id(eng), model_sha,
                           emb, first, count, dim);
        lk_session_free(ses);
        lk_engine_free(eng);
        return rc;
    }

    /* Enrol/probe split. */
    int enrolled[MAX_IDS][32], n_enrolled[MAX_IDS] = {0};
    int is_probe[MAX_ITEMS] = {0};
    int n_gallery_ids = 0;
    for (int d = 0; d < n_ids; d++) {
        if (ids[d].n < 2)
            continue;
        int ne = ids[d].n / 2;
        for (int k = 0; k < ids[d].n; k++) {
            int it = ids[d].items[k];
            if (k < ne) {
                if (count[it] > 0)
                    enrolled[d][n_enrolled[d]++] = first[it];
            } else {
                is_probe[it] = 1;
            }
        }
        n_gallery_ids += n_enrolled[d] > 0;
    }

    floats gen = {0}, imp = {0};
    int probes = 0, rank1 = 0, missed_probe = 0, impostor_faces = 0;
    for (int i = 0; i < n_items; i++) {
        const char *label = items[i].label;
        int own = -1;
        if (is_name(label)) {
            identity *id = find_id(label);
            if (id && id->n >= 2 && !is_probe[i])
                continue;                 /* enrolment photo */
            if (id && id->n >= 2)
                own = (int)(id - ids);
            else if (!id)
                continue;                 /* variant of an enrolled photo */
        } else if (names_enrolled(label) || strstr(label, "appears to be") ||
                   strstr(items[i].path, "_group/two_people.jpg")) {
            continue;
        }
        if (own >= 0 && count[i] == 0) {
            probes++;
            missed_probe++;               /* counts as a false reject */
            continue;
        }
        for (int k = 0; k < count[i]; k++) {
            const float *q = emb + (size_t)(first[i] + k) * dim;
            float best = -2;
            int best_id = -1;
            if (own < 0)
                impostor_faces++;
            for (int d = 0; d < n_ids; d++) {
                if (!n_enrolled[d])
                    continue;
                float s = -2;
                for (int t = 0; t < n_enrolled[d]; t++) {
                    float c = dot(q, emb + (size_t)enrolled[d][t] * dim, dim);
                    if (c > s)
                        s = c;
                }
                if (d == own)
                    push(&gen, s);
                else
                    push(&imp, s);
                if (getenv("LK_EVAL_VERBOSE") && (d == own || s > 0.3f))
                    printf("  %s %.3f: %s vs %s\n",
                           d == own ? "genuine" : "impostor", s,
                           items[i].path + strlen(eval) + 1, ids[d].name);
                if (s > best) {
                    best = s;
                    best_id = d;
                }
            }
            if (own >= 0) {
                probes++;
                rank1 += best_id == own;
            }
        }
    }
    /* A probe with no face never reaches the threshold. */
    for (int i = 0; i < missed_probe; i++)
        push(&gen, -1.0f);

    qsort(imp.v, (size_t)imp.n, sizeof *imp.v, cmp_float_desc);
    float t1 = threshold_at(&imp, 0.01), t01 = threshold_at(&imp, 0.001);
    double tar1 = rate_at(&gen, t1), tar01 = rate_at(&gen, t01);
    double gmean = 0, imean = 0;
    for (int i = 0; i < gen.n; i++)
        gmean += gen.v[i];
    for (int i = 0; i < imp.n; i++)
        imean += imp.v[i];

    printf("face evaluation on %s\n", eval);
    printf("  photos %d (errors %d), identities enrolled %d, genuine probes %d "
           "(no face %d), impostor faces %d\n", n_items, errors, n_gallery_ids,
           probes, missed_probe, impostor_faces);
    printf("  pairs: genuine %d (mean cosine %.3f), impostor %d (mean %.3f, "
           "max %.3f)\n", gen.n, gen.n ? gmean / gen.n : 0, imp.n,
           imp.n ? imean / imp.n : 0, imp.n ? imp.v[0] : 0);
    printf("  TAR @ FAR 1%%   = %.4f (threshold %.3f)\n", tar1, t1);
    printf("  TAR @ FAR 0.1%% = %.4f (threshold %.3f)\n", tar01, t01);
    printf("  rank-1 accuracy = %.4f (%d/%d)\n",
           probes ? (double)rank1 / probes : 0, rank1, probes);
    printf("  at the calibrated threshold %.3f: TAR %.4f, FAR %.5f\n",
           calibrated, rate_at(&gen, calibrated), rate_at(&imp, calibrated));

    const double thr[] = {0.30, t1, 0.35, calibrated, t01, 0.45, 0.50};
    check_calibration(emb, first, count, dim, thr,
                      (int)(sizeof thr / sizeof *thr));

    int ok = tar1 >= 0.97 && errors == 0;
    free(gen.v);
    free(imp.v);
    free(emb);
    free(emb_item);
    free(first);
    free(count);
    lk_session_free(ses);
    lk_engine_free(eng);
    if (!ok)
        printf("FAIL: TAR@1%%FAR below 0.97 or unreadable photos\n");
    return ok ? 0 : 1;
}
