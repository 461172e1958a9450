/*
 * train.c — the public trainers (lk_voice_train, lk_spoof_train): they
 * hand voice/'s trainers the reader that decodes each recording, so that
 * the models' code takes PCM and the files are opened here.
 */
#include "pipeline/pipeline.h"
#include "media/audio.h"
#include "voice/spoof.h"

lk_status lk__read_pcm_file(const char *path, lk__pcm_push_fn push, void *ctx)
{
    lk__audio *a;
    lk_status s = lk__audio_open(path, LK__AUDIO_RATE, &a);
    if (s != LK_OK)
        return s;
    const float *pcm;
    size_t n;
    double t0;
    while ((s = lk__audio_read(a, &pcm, &n, &t0)) == LK_OK)
        if ((s = push(ctx, pcm, n, t0)) != LK_OK)
            break;
    lk__audio_close(a);
    return s == LK_DONE ? LK_OK : s;
}

lk_voice_train_params lk_voice_train_default_params(void)
{
    const lk__voice_train_params d = lk__voice_train_default_params();
    lk_voice_train_params p = {256, d.iters, d.frame_step, d.relevance};
    return p;
}

lk_status lk_voice_train(const char *const *files, int n,
                         const lk_voice_train_params *params,
                         const char *out_path)
{
    const lk_voice_train_params d = lk_voice_train_default_params();
    if (!params)
        params = &d;
    lk__voice_train_params p = lk__voice_train_default_params();
    p.read = lk__read_pcm_file;
    p.components = params->components;
    p.iters = params->iters;
    p.frame_step = params->frame_step;
    p.relevance = params->relevance;
    return lk__voice_train(files, n, &p, out_path);
}

lk_spoof_train_params lk_spoof_train_default_params(void)
{
    const lk__spoof_train_params d = lk__spoof_train_default_params();
    lk_spoof_train_params p = {d.components, d.iters, d.frame_step};
    return p;
}

lk_status lk_spoof_train(const char *const *bonafide, int n_bonafide,
                         const char *const *synthetic, int n_synthetic,
                         const lk_spoof_train_params *params,
                         const char *out_path)
{
    lk__spoof_train_params p = lk__spoof_train_default_params();
    p.read = lk__read_pcm_file;
    if (params) {
        p.components = params->components;
        p.iters = params->iters;
        p.frame_step = params->frame_step;
    }
    return lk__spoof_train(bonafide, n_bonafide, synthetic, n_synthetic, &p,
                           out_path);
}
