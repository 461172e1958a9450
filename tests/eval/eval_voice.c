/*
 * eval_voice.c — speaker verification accuracy of the voice model on real
 * speech (LIKENESS_EVAL_DIR), its speed, and the rate at which AI voice
 * clones match the speaker they imitate; also the trainer of the shipped
 * model, so that the split between training and evaluation speakers lives
 * in one place.
 *
 *   eval_voice                      evaluate models/ (manifest voice_embed)
 *   eval_voice --train OUT [--with-libritts] [--components N]
 *              [--relevance R]      train on the protocol's training speakers
 *
 * Protocol (speaker-disjoint):
 *   training   LibriSpeech train-clean-100 (51 speakers, one utterance
 *              each) and LJ Speech real clips (1 speaker); --with-libritts
 *              adds the LibriTTS real clips (11 speakers), which measured
 *              worse (models/voice/README.md) and would make the clone
 *              measurement below dishonest.
 *   evaluation LibriSpeech test-other: 10 speakers x 10 utterances; each
 *              speaker enrolled from its first 3 (sorted by name), the
 *              other 7 are target trials against it and non-target trials
 *              against the other 9; the 6 voices_misc_single_refs clips
 *              (other LibriSpeech and VCTK speakers, mp3) are non-target
 *              trials against all 10.  None of these speakers is trained
 *              on.
 *   clones     the 11 LibriTTS speakers (not trained on) are enrolled from
 *              all their real clips; each clone (YourTTS zero-shot, ESPnet
 *              x-vector TTS) counts as matched when its best-scoring
 *              enrolled speaker is the one it imitates and the score clears
 *              the threshold at 1% false accepts on the test-other trials.
 *
 * Calibration (match/calib.h, models/README.md), split by whole corpus:
 *   fitted on  LibriSpeech test-other (10 speakers) and the 6
 *              voices_misc_single_refs speakers;
 *   held out   the 11 LibriTTS speakers' real clips.
 * Speakers trained on (train-clean-100, LJ Speech) and synthetic speech
 * are in neither.  An impostor comparison is one 4 s speech window (the
 * segmenter's, as a scan makes them) against one recording's template of
 * another speaker of the same split.
 *   eval_voice --calibrate OUT     write the speaker embedder's calibration
 * Without it the held-out split's predicted and observed false-match rates
 * are printed.
 *
 * Exits 77 (skip) without the data or the model, 1 when the EER on
 * test-other exceeds 5%.
 */
#include "core/manifest.h"
#include "media/audio.h"
#include "voice/voice.h"
#include "eval_common.h"
#include "calib_check.h"
#include "../unit/pcm_file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EER_TARGET 0.05

static int is_clone(const item *it) { return strstr(it->label, ":") != NULL; }

static int train_item(const item *it, int with_libritts)
{
    if (is_clone(it))
        return 0;
    if (in_set(it, "voices_librispeech_resemblyzer"))
        return starts(it->rel, "train-clean-100");
    if (in_set(it, "voices_espnet_tts_ljspeech_libritts"))
        return starts(it->rel, "ljspeech/real/") ||
               (with_libritts && starts(it->rel, "libritts/real/"));
    if (in_set(it, "voices_yourtts_demo"))
        return with_libritts && starts(it->rel, "real/");
    return 0;
}

static int train(int argc, char **argv)
{
    const char *out = NULL;
    int with_libritts = 0;
    lk__voice_train_params p = lk__voice_train_default_params();
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--with-libritts"))
            with_libritts = 1;
        else if (!strcmp(argv[i], "--components") && i + 1 < argc)
            p.components = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--relevance") && i + 1 < argc)
            p.relevance = (float)atof(argv[++i]);
        else if (!out)
            out = argv[i];
    }
    if (!out) {
        fprintf(stderr, "usage: eval_voice --train OUT [--with-libritts] "
                "[--components N] [--relevance R]\n");
        return 2;
    }
    const char *files[MAX_ITEMS];
    int n = 0;
    for (int i = 0; i < n_items; i++)
        if (train_item(&items[i], with_libritts)) {
            files[n++] = items[i].path;
        }
    fprintf(stderr, "training on %d files (%s LibriTTS), %d components\n", n,
            with_libritts ? "with" : "without", p.components);
    p.read = lk__read_pcm_file;
    lk_status s = lk__voice_train(files, n, &p, out);
    if (s != LK_OK) {
        fprintf(stderr, "train: %s\n", lk_last_error());
        return 2;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Scoring
 * ---------------------------------------------------------------------- */

typedef struct scores {
    float *v;
    int n, cap;
} scores;

static void push(scores *s, float x)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->v = realloc(s->v, (size_t)s->cap * sizeof *s->v);
        if (!s->v)
            abort();
    }
    s->v[s->n++] = x;
}

static double eer(const scores *tg, const scores *nt, double *thr)
{
    double best = 1, bt = 0;
    for (int i = 0; i < tg->n + nt->n; i++) {
        float t = i < tg->n ? tg->v[i] : nt->v[i - tg->n];
        int fr = 0, fa = 0;
        for (int j = 0; j < tg->n; j++)
            fr += tg->v[j] < t;
        for (int j = 0; j < nt->n; j++)
            fa += nt->v[j] >= t;
        double e = fmax((double)fr / tg->n, (double)fa / nt->n);
        if (e < best) {
            best = e;
            bt = t;
        }
    }
    if (thr)
        *thr = bt;
    return best;
}

static int cmp_f(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);   /* descending */
}

/* The lowest threshold with at most far of the non-targets at or above it. */
static double thr_at_far(const scores *nt, double far)
{
    float *s = malloc((size_t)nt->n * sizeof *s);
    memcpy(s, nt->v, (size_t)nt->n * sizeof *s);
    qsort(s, (size_t)nt->n, sizeof *s, cmp_f);
    int k = (int)floor(far * nt->n);   /* may accept k non-targets */
    double t = k < nt->n ? s[k] + 1e-6 : s[nt->n - 1];
    free(s);
    return t;
}

static double frac_ge(const scores *s, double t)
{
    int k = 0;
    for (int i = 0; i < s->n; i++)
        k += s->v[i] >= t;
    return s->n ? (double)k / s->n : 0;
}

static double now_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void normalise(float *v, int d)
{
    double s = 0;
    for (int i = 0; i < d; i++)
        s += (double)v[i] * v[i];
    float k = s > 0 ? (float)(1 / sqrt(s)) : 0;
    for (int i = 0; i < d; i++)
        v[i] *= k;
}

static float dot(const float *a, const float *b, int d)
{
    double s = 0;
    for (int i = 0; i < d; i++)
        s += (double)a[i] * b[i];
    return (float)s;
}

/* Test-other protocol: fills target/non-target scores; also 4 s windows. */
typedef struct proto {
    scores tg, nt, seg_tg, seg_nt;
    scores max_tg, max_nt;   /* best of the per-recording templates */
    scores seg_max_tg, seg_max_nt;
    double audio_s, cpu_s;
    int failures;
} proto;

typedef struct seg_ctx {
    const float *enrol;   /* 10 x dim */
    const float *each;    /* 10 x 3 x dim: the per-recording templates */
    const char (*spk)[96];
    int n_spk, dim;
    const char *label;
    proto *p;
} seg_ctx;

static lk_status seg_cb(void *user, const lk__voice_segment *seg)
{
    seg_ctx *c = user;
    for (int k = 0; k < c->n_spk; k++) {
        const int same = !strcmp(c->spk[k], c->label);
        float s = dot(seg->embedding, c->enrol + (size_t)k * c->dim, c->dim);
        push(same ? &c->p->seg_tg : &c->p->seg_nt, s);
        float best = -2.0f;
        for (int r = 0; r < 3; r++) {
            float b = dot(seg->embedding,
                          c->each + ((size_t)k * 3 + r) * c->dim, c->dim);
            if (b > best)
                best = b;
        }
        push(same ? &c->p->seg_max_tg : &c->p->seg_max_nt, best);
    }
    return LK_OK;
}

static int run_protocol(lk__voice *v, int dim, proto *p, int segments)
{
    memset(p, 0, sizeof *p);
    char spk[16][96];
    int n_spk = 0;
    float *enrol = calloc((size_t)16 * dim, sizeof *enrol);
    /* Each enrolment recording's own embedding too: the gallery keeps one
     * template per recording and scores a performer by the best. */
    float *each = calloc((size_t)16 * 3 * dim, sizeof *each);
    float *e = malloc((size_t)dim * sizeof *e);
    /* test-other items, sorted, grouped by speaker */
    int idx[MAX_ITEMS], n = 0;
    for (int i = 0; i < n_items; i++)
        if (in_set(&items[i], "voices_librispeech_resemblyzer") &&
            starts(items[i].rel, "test-other/"))
            idx[n++] = i;
    int per[16] = {0};
    typedef struct trial { float *e; int spk; } trial;
    trial *tests = calloc(MAX_ITEMS, sizeof *tests);
    int n_tests = 0;
    for (int q = 0; q < n; q++) {
        item *it = &items[idx[q]];
        int k;
        for (k = 0; k < n_spk && strcmp(spk[k], it->label); k++)
            ;
        if (k == n_spk) {
            if (n_spk == 16)
                continue;
            snprintf(spk[n_spk++], sizeof spk[0], "%s", it->label);
        }
        lk__voice_info info;
        double c0 = now_cpu();
        lk_status s = voice_embed_file(v, it->path, e, &info);
        p->cpu_s += now_cpu() - c0;
        p->audio_s += info.seconds;
        if (s != LK_OK) {
            fprintf(stderr, "  %s\n", lk_last_error());
            p->failures++;
            continue;
        }
        if (per[k] < 3) {
            for (int j = 0; j < dim; j++)
                enrol[(size_t)k * dim + j] += e[j];
            memcpy(each + ((size_t)k * 3 + (size_t)per[k]) * dim, e,
                   (size_t)dim * sizeof *e);
            per[k]++;
        } else {
            tests[n_tests].e = malloc((size_t)dim * sizeof(float));
            memcpy(tests[n_tests].e, e, (size_t)dim * sizeof(float));
            tests[n_tests++].spk = k;
        }
    }
    for (int k = 0; k < n_spk; k++)
        normalise(enrol + (size_t)k * dim, dim);
    for (int t = 0; t < n_tests; t++)
        for (int k = 0; k < n_spk; k++) {
            push(tests[t].spk == k ? &p->tg : &p->nt,
                 dot(tests[t].e, enrol + (size_t)k * dim, dim));
            float best = -2.0f;
            for (int r = 0; r < per[k] && r < 3; r++) {
                float c = dot(tests[t].e, each + ((size_t)k * 3 + r) * dim,
                              dim);
                if (c > best)
                    best = c;
            }
            push(tests[t].spk == k ? &p->max_tg : &p->max_nt, best);
        }
    /* Impostors from elsewhere. */
    for (int i = 0; i < n_items; i++) {
        if (!in_set(&items[i], "voices_misc_single_refs"))
            continue;
        if (voice_embed_file(v, items[i].path, e, NULL) != LK_OK) {
            fprintf(stderr, "  %s\n", lk_last_error());
            p->failures++;
            continue;
        }
        for (int k = 0; k < n_spk; k++) {
            push(&p->nt, dot(e, enrol + (size_t)k * dim, dim));
            float best = -2.0f;
            for (int r = 0; r < per[k] && r < 3; r++) {
                float c = dot(e, each + ((size_t)k * 3 + r) * dim, dim);
                if (c > best)
                    best = c;
            }
            push(&p->max_nt, best);
        }
    }
    /* 4 s windows of the test utterances (the segmenter's defaults). */
    if (segments) {
        int seen[16] = {0};
        for (int q = 0; q < n; q++) {
            item *it = &items[idx[q]];
            int k;
            for (k = 0; k < n_spk && strcmp(spk[k], it->label); k++)
                ;
            if (k == n_spk || seen[k]++ < 3)
                continue;
            seg_ctx c = {enrol, each, (const char (*)[96])spk, n_spk, dim,
                         it->label, p};
            if (voice_segment_file(v, it->path, NULL, seg_cb, &c) != LK_OK)
                p->failures++;
        }
    }
    for (int t = 0; t < n_tests; t++)
        free(tests[t].e);
    free(tests);
    free(each);
    free(enrol);
    free(e);
    return n_spk;
}

/* The same LibriTTS utterance may be in both sets (one as a "ref_"
 * clip): 1 when its file name is among seen[*n], else 0 and added. */
static int seen_before(const item *it, char (*seen)[128], int *n)
{
    const char *b = strrchr(it->rel, '/');
    b = b ? b + 1 : it->rel;
    if (starts(b, "ref_"))
        b += 4;
    for (int j = 0; j < *n; j++)
        if (!strcmp(seen[j], b))
            return 1;
    if (*n < MAX_ITEMS)
        snprintf(seen[(*n)++], 128, "%.127s", b);
    return 0;
}

/* Clone protocol with model v (trained without LibriTTS). */
static void run_clones(lk__voice *v, int dim, double thr)
{
    char spk[32][96];
    int n_spk = 0, cnt[32] = {0};
    float *enrol = calloc((size_t)32 * dim, sizeof *enrol);
    float *e = malloc((size_t)dim * sizeof *e);
    char seen_base[MAX_ITEMS][128];
    int n_seen = 0;
    for (int i = 0; i < n_items; i++) {
        item *it = &items[i];
        if (is_clone(it) || !starts(it->label, "libritts_"))
            continue;
        if (seen_before(it, seen_base, &n_seen))
            continue;
        if (voice_embed_file(v, it->path, e, NULL) != LK_OK) {
            fprintf(stderr, "  %s\n", lk_last_error());
            continue;
        }
        int k;
        for (k = 0; k < n_spk && strcmp(spk[k], it->label); k++)
            ;
        if (k == n_spk) {
            if (n_spk == 32)
                continue;
            snprintf(spk[n_spk++], sizeof spk[0], "%s", it->label);
        }
        for (int j = 0; j < dim; j++)
            enrol[(size_t)k * dim + j] += e[j];
        cnt[k]++;
    }
    for (int k = 0; k < n_spk; k++)
        normalise(enrol + (size_t)k * dim, dim);
    const char *sets[2] = {"voices_yourtts_demo", "voices_espnet_tts_ljspeech_libritts"};
    const char *names[2] = {"YourTTS zero-shot clones", "ESPnet x-vector TTS clones"};
    for (int si = 0; si < 2; si++) {
        int total = 0, matched = 0, top1 = 0, above = 0;
        for (int i = 0; i < n_items; i++) {
            item *it = &items[i];
            if (!in_set(it, sets[si]) || !is_clone(it) ||
                !starts(it->label, "libritts_"))
                continue;
            char want[96];
            snprintf(want, sizeof want, "%s", it->label);
            *strchr(want, ':') = '\0';
            if (voice_embed_file(v, it->path, e, NULL) != LK_OK) {
                fprintf(stderr, "  %s\n", lk_last_error());
                total++;
                continue;
            }
            int best = -1, own = -1;
            float bs = -2, os = -2;
            for (int k = 0; k < n_spk; k++) {
                float s = dot(e, enrol + (size_t)k * dim, dim);
                if (s > bs) {
                    bs = s;
                    best = k;
                }
                if (!strcmp(spk[k], want)) {
                    own = k;
                    os = s;
                }
            }
            total++;
            top1 += best == own && own >= 0;
            above += own >= 0 && os >= thr;
            matched += best == own && own >= 0 && bs >= thr;
        }
        printf("  %-28s %2d clips: matched to the imitated speaker %d "
               "(%.0f%%); top-1 %d, over threshold %d\n", names[si], total,
               matched, total ? 100.0 * matched / total : 0, top1, above);
    }
    printf("  (%d LibriTTS speakers enrolled from their real clips)\n", n_spk);
    free(enrol);
    free(e);
}

/* ---- calibration ------------------------------------------------------- */

static const char *const CALIB_SETS[] = {
    "voices_librispeech_resemblyzer (test-other)", "voices_misc_single_refs",
};
static const char *const HELD_OUT_SETS[] = {
    "voices_yourtts_demo (real)",
    "voices_espnet_tts_ljspeech_libritts (libritts real)",
};

static int calib_item(const item *it)
{
    return (in_set(it, "voices_librispeech_resemblyzer") &&
            starts(it->rel, "test-other/")) ||
           in_set(it, "voices_misc_single_refs");
}

static int held_out_item(const item *it)
{
    return !is_clone(it) && starts(it->label, "libritts_");
}

typedef struct rec {
    int spk;
    float *tmpl;       /* the whole recording's embedding */
    float *win;        /* n_win 4 s windows' */
    int n_win;
} rec;

typedef struct recs {
    rec r[MAX_ITEMS];
    int n, dim;
    char spk[64][96];
    int n_spk;
} recs;

static recs split_recs;

static const char *spk_name(int who) { return split_recs.spk[who]; }

static lk_status win_cb(void *user, const lk__voice_segment *seg)
{
    recs *R = user;
    rec *r = &R->r[R->n];
    r->win = realloc(r->win, (size_t)(r->n_win + 1) * R->dim * sizeof(float));
    if (!r->win)
        abort();
    memcpy(r->win + (size_t)r->n_win++ * R->dim, seg->embedding,
           (size_t)R->dim * sizeof(float));
    return LK_OK;
}

/* Every recording of a split, once (the same LibriTTS utterance may be in
 * two sets), with its template and its windows; the impostor comparisons
 * into p.  Counts of speakers, windows and templates into n[3]. */
static void split_impostors(lk__voice *v, int dim, int calib, impostors *p,
                            int n[3])
{
    recs *R = &split_recs;
    memset(R, 0, sizeof *R);
    R->dim = dim;
    char seen[MAX_ITEMS][128];
    int n_seen = 0;
    for (int i = 0; i < n_items && R->n < MAX_ITEMS; i++) {
        item *it = &items[i];
        if (!(calib ? calib_item(it) : held_out_item(it)))
            continue;
        if (seen_before(it, seen, &n_seen))
            continue;
        rec *r = &R->r[R->n];
        memset(r, 0, sizeof *r);
        r->tmpl = malloc((size_t)dim * sizeof(float));
        if (!r->tmpl || voice_embed_file(v, it->path, r->tmpl, NULL) != LK_OK ||
            voice_segment_file(v, it->path, NULL, win_cb, R) != LK_OK) {
            fprintf(stderr, "  %s\n", lk_last_error());
            free(r->tmpl);
            free(r->win);
            continue;
        }
        int k;
        for (k = 0; k < R->n_spk && strcmp(R->spk[k], it->label); k++)
            ;
        if (k == R->n_spk && R->n_spk < 64)
            snprintf(R->spk[R->n_spk++], sizeof R->spk[0], "%s", it->label);
        r->spk = k;
        R->n++;
    }
    n[0] = R->n_spk;
    n[1] = 0;
    n[2] = R->n;
    for (int a = 0; a < R->n; a++) {
        n[1] += R->r[a].n_win;
        for (int t = 0; t < R->n; t++) {
            if (R->r[t].spk == R->r[a].spk)
                continue;
            for (int w = 0; w < R->r[a].n_win; w++)
                imp_push(p, dot(R->r[a].win + (size_t)w * dim, R->r[t].tmpl,
                                dim), R->r[t].spk);
        }
    }
}

static void free_recs(void)
{
    for (int i = 0; i < split_recs.n; i++) {
        free(split_recs.r[i].tmpl);
        free(split_recs.r[i].win);
    }
    split_recs.n = 0;
}

static int calibrate(lk__voice *v, const lk__model *mm, const char *out)
{
    impostors p = {0};
    int n[3];
    split_impostors(v, mm->dim, 1, &p, n);
    lk__calib_source src = {
        mm->id, mm->sha256, "one 4 s speech window (the scan's segmenter) "
        "against one recording's template of another speaker",
        CALIB_SETS, 2, HELD_OUT_SETS, 2, n[0], n[1], n[2],
    };
    lk_status s = lk__calib_write(p.score, (size_t)p.n, 0.02, &src, out);
    printf("calibration: %d impostor comparisons of %d windows against %d "
           "templates of %d speakers -> %s\n", p.n, n[1], n[2], n[0],
           s == LK_OK ? out : lk_last_error());
    imp_free(&p);
    free_recs();
    return s == LK_OK ? 0 : 1;
}

static void check_calibration(lk__voice *v, int dim, const double *thr,
                              int n_thr)
{
    printf("calibration check on the held-out split (%s, %s; the "
           "calibration saw only %s, %s)\n", HELD_OUT_SETS[0],
           HELD_OUT_SETS[1], CALIB_SETS[0], CALIB_SETS[1]);
    lk__calib *c = calib_of_role("voice_embed");
    if (!c)
        return;
    impostors p = {0};
    int n[3];
    split_impostors(v, dim, 0, &p, n);
    printf("  %d speakers' %d recordings, %d windows: %d impostor "
           "comparisons (one window, one template)\n", n[0], n[2], n[1],
           p.n);
    double r = calib_report(c, &p, thr, n_thr, spk_name);
    printf("  worst observed/predicted pooled ratio: %.2f\n", r);
    imp_free(&p);
    free_recs();
    lk__calib_free(c);
}

static void report(const char *name, proto *p)
{
    double t, thr1 = thr_at_far(&p->nt, 0.01);
    double e = eer(&p->tg, &p->nt, &t);
    printf("%s\n  whole utterances: EER %.2f%% at cosine %.3f (%d target, %d "
           "non-target trials); at 1%% FAR (cosine %.3f) %.1f%% of targets "
           "accepted\n", name, 100 * e, t, p->tg.n, p->nt.n, thr1,
           100 * frac_ge(&p->tg, thr1));
    if (p->max_tg.n) {
        double thr = thr_at_far(&p->max_nt, 0.01);
        double em = eer(&p->max_tg, &p->max_nt, &t);
        printf("  best of the 3 per-recording templates (the gallery's "
               "search): EER %.2f%% at cosine %.3f; at 1%% FAR (cosine %.3f) "
               "%.1f%% of targets accepted\n", 100 * em, t, thr,
               100 * frac_ge(&p->max_tg, thr));
    }
    if (p->seg_tg.n) {
        double e4 = eer(&p->seg_tg, &p->seg_nt, &t);
        printf("  4 s speech windows: EER %.2f%% (%d target, %d non-target)\n",
               100 * e4, p->seg_tg.n, p->seg_nt.n);
        double em4 = eer(&p->seg_max_tg, &p->seg_max_nt, &t);
        printf("  4 s windows against the best per-recording template (a "
               "scan): EER %.2f%%\n", 100 * em4);
    }
    printf("  speed: %.0f s of audio in %.2f s CPU: %.0fx real time per core "
           "(decode + features + embedding)\n", p->audio_s, p->cpu_s,
           p->audio_s / p->cpu_s);
}

static void free_proto(proto *p)
{
    free(p->tg.v);
    free(p->nt.v);
    free(p->seg_tg.v);
    free(p->seg_nt.v);
    free(p->max_tg.v);
    free(p->max_nt.v);
    free(p->seg_max_tg.v);
    free(p->seg_max_nt.v);
}

/* Embedding alone on decoded PCM, one core. */
static void bench_pcm(lk__voice *v, int dim)
{
    float *pcm = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < n_items && n < 16000 * 120; i++) {
        if (!in_set(&items[i], "voices_librispeech_resemblyzer") ||
            !starts(items[i].rel, "test-other/"))
            continue;
        append_pcm(items[i].path, &pcm, &n, &cap);
    }
    float *e = malloc((size_t)dim * sizeof *e);
    double best = 1e9;
    for (int r = 0; r < 3; r++) {
        double c0 = now_cpu();
        lk__voice_embed_pcm(v, "bench", pcm, n, e, NULL);
        double dt = now_cpu() - c0;
        if (dt < best)
            best = dt;
    }
    printf("  speed: embedding %.0f s of PCM in %.3f s CPU (best of 3): %.0fx "
           "real time per core\n", (double)n / 16000, best, n / 16000.0 / best);
    free(e);
    free(pcm);
}

int main(int argc, char **argv)
{
    if (!load_eval_items("eval_voice"))
        return 77;
    if (argc > 1 && !strcmp(argv[1], "--train"))
        return train(argc, argv);

    const char *mdir = getenv("LIKENESS_MODEL_DIR");
    if (!mdir)
        mdir = "models";
    lk__manifest mf;
    if (lk__manifest_load(mdir, &mf) != LK_OK) {
        fprintf(stderr, "eval_voice: %s: skipped\n", lk_last_error());
        return 77;
    }
    lk__model *mm = lk__manifest_find(&mf, "voice_embed", NULL);
    lk__voice_model *model = NULL;
    if (!mm || lk__model_load_weights(mm, 1) != LK_OK ||
        lk__voice_model_parse(mm->weights, mm->n_weights, mm->path,
                              &model) != LK_OK) {
        fprintf(stderr, "eval_voice: no usable voice_embed model: %s: "
                "skipped\n", mm ? lk_last_error() : "none in the manifest");
        lk__manifest_free(&mf);
        return 77;
    }
    int dim = lk__voice_model_dim(model);
    if (dim != mm->dim) {
        fprintf(stderr, "eval_voice: manifest says dim %d, model has %d\n",
                mm->dim, dim);
        return 1;
    }
    lk__voice *v;
    if (lk__voice_new(model, &v) != LK_OK) {
        fprintf(stderr, "eval_voice: %s\n", lk_last_error());
        return 1;
    }
    if (argc > 2 && !strcmp(argv[1], "--calibrate")) {
        int rc = calibrate(v, mm, argv[2]);
        lk__voice_free(v);
        lk__voice_model_free(model);
        lk__manifest_free(&mf);
        return rc;
    }
    proto p;
    run_protocol(v, dim, &p, 1);
    printf("voice model %s (dim %d), LibriSpeech test-other 10 speakers, "
           "enrol 3 / test 7, + 6 misc impostors\n", mm->id, dim);
    report("model", &p);
    printf("  manifest threshold %.3f: %.1f%% targets accepted, %.2f%% "
           "non-targets\n", mm->threshold, 100 * frac_ge(&p.tg, mm->threshold),
           100 * frac_ge(&p.nt, mm->threshold));
    bench_pcm(v, dim);
    double e = eer(&p.tg, &p.nt, NULL);
    /* The clones imitate LibriTTS speakers: the shipped model is trained
     * without any (models/voice/README.md), so it may judge them. */
    double thr = thr_at_far(&p.nt, 0.01);
    printf("clones, at the 1%% FAR threshold of these trials (cosine %.3f):\n",
           thr);
    run_clones(v, dim, thr);
    double eer_t;
    eer(&p.seg_max_tg, &p.seg_max_nt, &eer_t);
    const double thr_c[] = {0.08, 0.10, mm->threshold, thr, eer_t, 0.15,
                            0.20};
    check_calibration(v, dim, thr_c, (int)(sizeof thr_c / sizeof *thr_c));
    int fail = p.failures > 0 || e > EER_TARGET;
    free_proto(&p);
    lk__voice_free(v);
    lk__voice_model_free(model);
    lk__manifest_free(&mf);
    if (fail)
        printf("FAIL: EER %.2f%% over the %.0f%% target or files failed\n",
               100 * e, 100 * EER_TARGET);
    else
        printf("PASS: EER %.2f%% <= %.0f%%\n", 100 * e, 100 * EER_TARGET);
    return fail;
}
