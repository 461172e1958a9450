/*
 * test_track.c — engine/match/track.c on made-up detections and
 * embeddings: continuity by overlap and motion, re-joining after a cut or
 * an occlusion, the embedding budget, and when tracks finish.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "match/track.h"

enum { D = 8 };

/* Unit vector along axis k, slightly tilted towards axis (k+1) by e. */
static void person(int k, float e, float *out)
{
    memset(out, 0, D * sizeof *out);
    out[k % D] = 1.0f;
    out[(k + 1) % D] = e;
    float n = sqrtf(1.0f + e * e);
    for (int i = 0; i < D; i++)
        out[i] /= n;
}

static lk_face box(float x, float y, float s)
{
    lk_face f;
    memset(&f, 0, sizeof f);
    f.x = x;
    f.y = y;
    f.w = f.h = s;
    f.score = 0.99f;
    return f;
}

/* One frame: plan, embed the asked faces as their people, update.  who[i]
 * is the person of face i.  Returns how many were embedded. */
static int step(lk__tracker *tr, double t, int cut, const lk_face *faces,
                const float *q, const int *who, int n, int *assign)
{
    int want[16];
    float emb[16 * D];
    assert_int_equal(lk__tracker_plan(tr, t, cut, faces, q, n, assign, want),
                     LK_OK);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (want[i])
        {
            person(who[i], 0.05f * (float)(m % 3), emb + (size_t)m * D);
            m++;
        }
    assert_int_equal(lk__tracker_update(tr, t, faces, q, n, assign, want, emb),
                     LK_OK);
    return m;
}

static lk__track **finish(lk__tracker *tr, double t, int flush, int *n)
{
    lk__track **done;
    assert_int_equal(lk__tracker_finished(tr, t, flush, &done, n), LK_OK);
    return done;
}

static void free_tracks(lk__track **v, int n)
{
    for (int i = 0; i < n; i++)
        lk__track_free(v[i]);
    free(v);
}

static void test_iou(void **state)
{
    (void)state;
    lk_face a = box(0, 0, 10), b = box(5, 0, 10), c = box(20, 20, 5);
    assert_float_equal(lk__box_iou(&a, &a), 1.0, 1e-6);
    assert_float_equal(lk__box_iou(&a, &b), 50.0 / 150.0, 1e-6);
    assert_float_equal(lk__box_iou(&a, &c), 0.0, 1e-6);
}

/* A face walking across the frame fast enough that consecutive boxes barely
 * overlap stays one track thanks to the motion prediction. */
static void test_walking_face_is_one_track(void **state)
{
    (void)state;
    lk__track_params p = lk__track_default_params(D, 4, 0.25);
    lk__tracker *tr;
    assert_int_equal(lk__tracker_new(&p, &tr), LK_OK);
    int assign[1], who[1] = {0}, embeds = 0;
    float q[1] = {0.5f};
    for (int i = 0; i < 40; i++) {
        lk_face f = box(10.0f + 35.0f * (float)i, 100, 50);  /* 35 px/sample */
        embeds += step(tr, 0.25 * i, 0, &f, q, who, 1, assign);
        /* the second sighting overlaps too little and is re-joined by its
         * embedding; from then on the velocity predicts the box */
        if (i > 1)
            assert_int_equal(assign[0], 0);
    }
    assert_int_equal(lk__tracker_active(tr), 1);
    /* one to start, one to re-join, then one per embed_interval (2 s)
     * while slots are free: bounded by the slots, 4 */
    assert_int_equal(embeds, 4);
    int n;
    lk__track **done = finish(tr, 10.0, 0, &n);
    assert_int_equal(n, 0);                      /* not gone long enough */
    done = finish(tr, 10.0, 1, &n);
    assert_int_equal(n, 1);
    assert_int_equal(done[0]->frames, 40);
    assert_float_equal(done[0]->t_first, 0.0, 1e-9);
    assert_float_equal(done[0]->t_last, 9.75, 1e-9);
    assert_int_equal(done[0]->n_emb, 4);
    free_tracks(done, n);
    lk__tracker_free(tr);
}

/* Quality rising frame after frame: slots keep the best, replacements come
 * at most one per embed_interval, and no more than twice the slots are
 * ever computed. */
static void test_embedding_budget_keeps_best(void **state)
{
    (void)state;
    lk__track_params p = lk__track_default_params(D, 3, 0.25);
    lk__tracker *tr;
    assert_int_equal(lk__tracker_new(&p, &tr), LK_OK);
    int assign[1], who[1] = {2}, embeds = 0;
    for (int i = 0; i < 200; i++) {
        lk_face f = box(100, 100, 60);
        float q[1] = {0.4f * powf(1.3f, (float)i / 2.0f)};
        embeds += step(tr, 0.25 * i, 0, &f, q, who, 1, assign);
    }
    assert_int_equal(embeds, 6);
    int n;
    lk__track **done = finish(tr, 100.0, 1, &n);
    assert_int_equal(n, 1);
    assert_int_equal(done[0]->embeds_done, 6);
    assert_int_equal(done[0]->n_emb, 3);
    /* frames 0, 4 and 8 fill the slots (a second apart, each a quarter
     * better than the best); frames 16, 24 and 32 replace them, one every
     * embed_interval (2 s) */
    float worst = INFINITY;
    for (int i = 0; i < 3; i++)
        worst = fminf(worst, done[0]->emb_q[i]);
    assert_float_equal(worst, 0.4f * powf(1.3f, 8.0f), 1e-4);
    free_tracks(done, n);
    lk__tracker_free(tr);
}

/* Two people side by side stay apart; after a cut they come back swapped
 * left-right and are re-joined to their own tracks by embedding. */
static void test_cut_rejoins_by_embedding(void **state)
{
    (void)state;
    lk__track_params p = lk__track_default_params(D, 4, 0.25);
    lk__tracker *tr;
    assert_int_equal(lk__tracker_new(&p, &tr), LK_OK);
    float q[2] = {0.5f, 0.5f};
    int assign[2];
    int who[2] = {0, 3};
    lk_face f[2] = {box(50, 50, 80), box(400, 50, 80)};
    for (int i = 0; i < 4; i++)
        step(tr, 0.25 * i, 0, f, q, who, 2, assign);
    assert_int_equal(lk__tracker_active(tr), 2);
    /* cut: same places, people swapped.  Overlap must not carry over. */
    int swapped[2] = {3, 0};
    step(tr, 1.0, 1, f, q, swapped, 2, assign);
    assert_int_equal(assign[0], -1);
    assert_int_equal(assign[1], -1);
    assert_int_equal(lk__tracker_active(tr), 2);   /* re-joined, not new */
    /* a third person appears: a new track */
    int third[1] = {6};
    lk_face g = box(250, 300, 60);
    step(tr, 1.25, 1, &g, q, third, 1, assign);
    assert_int_equal(lk__tracker_active(tr), 3);
    int n;
    lk__track **done = finish(tr, 2.0, 1, &n);
    assert_int_equal(n, 3);
    /* track 0 (person 0) was last seen on the right after the cut */
    assert_int_equal(done[0]->id, 0);
    assert_float_equal(done[0]->last.x, 400, 1e-3);
    assert_int_equal(done[0]->frames, 5);
    assert_float_equal(done[1]->last.x, 50, 1e-3);
    free_tracks(done, n);
    lk__tracker_free(tr);
}

/* Gone for one sample: the box carries over.  Gone longer than the re-join
 * window: finished, and a return is a new track. */
static void test_occlusion_and_finish(void **state)
{
    (void)state;
    lk__track_params p = lk__track_default_params(D, 4, 0.25);
    lk__tracker *tr;
    assert_int_equal(lk__tracker_new(&p, &tr), LK_OK);
    float q[1] = {0.5f};
    int assign[1], who[1] = {1};
    lk_face f = box(100, 100, 60);
    step(tr, 0.0, 0, &f, q, who, 1, assign);
    step(tr, 0.25, 0, NULL, q, who, 0, assign);     /* unseen once */
    step(tr, 0.5, 0, &f, q, who, 1, assign);
    assert_int_equal(assign[0], 0);
    for (int i = 3; i < 20; i++)                     /* gone 0.75 .. 4.75 */
        step(tr, 0.25 * i, 0, NULL, q, who, 0, assign);
    int n;
    lk__track **done = finish(tr, 4.75, 0, &n);
    assert_int_equal(n, 1);
    assert_int_equal(done[0]->frames, 2);
    free_tracks(done, n);
    assert_int_equal(lk__tracker_active(tr), 0);
    step(tr, 5.0, 0, &f, q, who, 1, assign);
    done = finish(tr, 5.0, 1, &n);
    assert_int_equal(n, 1);
    assert_int_equal(done[0]->id, 1);
    free_tracks(done, n);
    lk__tracker_free(tr);
}

/* A small, uncertain face is not embedded when first seen (most such
 * detections never come back); seen again, it is. */
static void test_low_quality_waits_for_second_sighting(void **state)
{
    (void)state;
    lk__track_params p = lk__track_default_params(D, 4, 0.5);
    lk__tracker *tr;
    assert_int_equal(lk__tracker_new(&p, &tr), LK_OK);
    float q[2] = {0.1f, 0.9f};
    int assign[2], who[2] = {1, 2};
    lk_face f[2] = {box(10, 10, 20), box(200, 10, 100)};
    assert_int_equal(step(tr, 0.0, 0, f, q, who, 2, assign), 1);
    assert_int_equal(lk__tracker_active(tr), 2);
    assert_int_equal(step(tr, 0.5, 0, f, q, who, 2, assign), 1);
    int n;
    lk__track **done = finish(tr, 1.0, 1, &n);
    assert_int_equal(n, 2);
    assert_int_equal(done[0]->n_emb, 1);       /* the small one, at 0.5 s */
    assert_float_equal(done[0]->emb_t[0], 0.5, 1e-9);
    assert_int_equal(done[0]->frames, 2);
    assert_int_equal(done[1]->n_emb, 1);       /* the big face, at 0 s */
    assert_float_equal(done[1]->emb_t[0], 0.0, 1e-9);
    free_tracks(done, n);
    lk__tracker_free(tr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iou),
        cmocka_unit_test(test_walking_face_is_one_track),
        cmocka_unit_test(test_embedding_budget_keeps_best),
        cmocka_unit_test(test_cut_rejoins_by_embedding),
        cmocka_unit_test(test_occlusion_and_finish),
        cmocka_unit_test(test_low_quality_waits_for_second_sighting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
