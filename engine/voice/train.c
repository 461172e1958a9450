/*
 * train.c — training the voice model from audio files: the front end's
 * speech frames of every file, pooled, and a GMM-UBM fitted to them by EM
 * (lk_voice_train in pipeline/train.c and tests/eval/voice_train call
 * this, with the reader that decodes the files).  The pool
 * of speech frames serves spoof.c's trainer too.
 *
 * The UBM needs no speaker labels; on the few speakers we can train on
 * here, back-ends that use them (LDA, PLDA) lost to plain cosine
 * (models/voice/README.md).
 */
#include "voice/voice_impl.h"
#include "core/grow.h"

#include <stdlib.h>
#include <string.h>

/* 4M frames is 11 hours of speech at frame_step 1, 1 GB of features: past
 * that, a larger frame_step loses nothing a UBM of this size can use. */
#define MAX_TRAIN_FRAMES ((size_t)4 << 20)
#define MIN_TRAIN_SPEECH 60.0

lk_status lk__voice_pool_cb(void *user, const float *x, const double *t,
                            const uint8_t *clip, int n)
{
    (void)t;
    (void)clip;
    lk__voice_pool *p = user;
    for (int i = 0; i < n; i++) {
        if (p->seen++ % p->step)
            continue;
        if (p->n == p->cap) {
            if (p->cap >= MAX_TRAIN_FRAMES)
                return lk__error(LK_ERR_TOO_LARGE, "%s: over %zu frames of "
                                 "speech%s; raise frame_step", p->who,
                                 (size_t)MAX_TRAIN_FRAMES, p->scope);
            if (lk__grow(&p->x, &p->cap, p->n + 1,
                         LK__VOICE_DIM * sizeof *p->x, 65536) != LK_OK)
                return LK_ERR_NOMEM;
        }
        memcpy(p->x + p->n * LK__VOICE_DIM, x + (size_t)i * LK__VOICE_DIM,
               LK__VOICE_DIM * sizeof *p->x);
        p->n++;
    }
    return LK_OK;
}

lk__voice_train_params lk__voice_train_default_params(void)
{
    lk__voice_train_params p = {NULL, 64, 10, 2, 16.0f};
    return p;
}

/* Frames of one file into the pool; LK_ERR_FORMAT and LK_ERR_IO are the
 * file's own problem and skipped by the caller. */
static lk_status add_file(lk__voice_front *f, lk__voice_pool *p,
                          lk__pcm_read_fn read, const char *path,
                          double *speech)
{
    lk_status s = lk__voice_front_read(f, read, path, lk__voice_pool_cb, p);
    *speech = f->speech_seconds;
    return s;
}

lk_status lk__voice_train(const char *const *files, int n,
                          const lk__voice_train_params *params,
                          const char *out_model_path)
{
    lk__voice_train_params d = lk__voice_train_default_params();
    const lk__voice_train_params *p = params ? params : &d;
    if (!files || n <= 0 || !out_model_path)
        return lk__error(LK_ERR_MISUSE, "voice train: no files or no output");
    if (p->components < 1 || p->components > 4096 || p->iters < 1 ||
        p->iters > 100 || p->frame_step < 1 || !(p->relevance > 0))
        return lk__error(LK_ERR_MISUSE, "voice train: bad parameters "
                         "(components %d, iters %d, frame_step %d, "
                         "relevance %g)", p->components, p->iters,
                         p->frame_step, (double)p->relevance);
    lk__voice_front f;
    lk_status s = lk__voice_front_init(&f);
    if (s != LK_OK)
        return s;
    lk__voice_pool pl = {.step = p->frame_step, .who = "voice train",
                         .scope = ""};
    double total = 0;
    int used = 0;
    for (int i = 0; i < n; i++) {
        double speech = 0;
        size_t before = pl.n;
        s = files[i] ? add_file(&f, &pl, p->read, files[i], &speech)
                     : lk__error(LK_ERR_MISUSE, "voice train: file %d is "
                                 "NULL", i);
        if (s == LK_ERR_FORMAT || s == LK_ERR_IO || s == LK_ERR_MISUSE) {
            lk__log(LK_LOG_WARN, "voice train: skipped: %s", lk_last_error());
            pl.n = before;
            continue;
        }
        if (s != LK_OK)
            goto done;
        total += speech;
        used++;
    }
    lk__log(LK_LOG_INFO, "voice train: %d of %d files, %.1f s of speech, "
            "%zu frames", used, n, total, pl.n);
    if (total < MIN_TRAIN_SPEECH) {
        s = lk__error(LK_ERR_FORMAT, "voice train: %.1f s of speech in %d "
                      "usable files; at least %.0f s needed", total, used,
                      MIN_TRAIN_SPEECH);
        goto done;
    }
    lk__gmm ubm;
    s = lk__gmm_train(pl.x, pl.n, LK__VOICE_DIM, p->components, p->iters,
                      &ubm);
    if (s != LK_OK)
        goto done;
    s = lk__voice_model_write(&ubm, p->relevance, out_model_path);
    lk__gmm_free(&ubm);
done:
    free(pl.x);
    lk__voice_front_free(&f);
    return s;
}
