/*
 * scan.c — the orchestration of a scan (lk_scan_file, lk_scan_memory,
 * lk_media_probe).
 *
 * One source per file or buffer (media/source.h), sniffed once.  A photo
 * goes to the face pipeline; anything else is demuxed once
 * (media/demux.h), its sampled frames to the faces stage
 * (match/scan_video.c) and its sound, at the same time, to the voices
 * stage (match/scan_voice.c: speaker windows and the synthetic-speech
 * detector), which runs on a thread of its own when there are pictures
 * too: three threads, decoding, faces and voices.  The evidence is read from the same bytes.
 */
#include "consent/consent.h"
#include "core/names.h"
#include "evidence/evidence.h"
#include "match/scan_internal.h"
#include "media/audio.h"
#include "media/av.h"
#include "media/image.h"
#include "media/source.h"
#include "pipeline/engine.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Open src's container and say which streams it holds; a container with
 * neither video nor audio is an error naming the file. */
static lk_status open_av(lk__source *src, AVFormatContext **fmt,
                         int *has_video, int *has_audio, double *duration)
{
    lk_status s = lk__av_open(src, fmt);
    if (s != LK_OK)
        return s;
    lk__av_streams(*fmt, has_video, has_audio, duration);
    if (!*has_video && !*has_audio) {
        lk__av_close(fmt);
        return lk__error(LK_ERR_FORMAT, "%s: no video or audio stream",
                         lk__source_name(src));
    }
    return LK_OK;
}

lk_status lk_media_probe(const char *path, lk_media_kind *out)
{
    if (!path || !out)
        return lk__error(LK_ERR_MISUSE, "lk_media_probe: NULL argument");
    *out = LK_MEDIA_IMAGE;
    lk__source *src;
    lk_status s = lk__source_open_file(path, &src);
    if (s != LK_OK)
        return s;
    if (!lk__source_is_image(src)) {
        AVFormatContext *fmt;
        int has_video, has_audio;
        double duration;
        s = open_av(src, &fmt, &has_video, &has_audio, &duration);
        if (s == LK_OK)
            *out = has_video ? LK_MEDIA_VIDEO : LK_MEDIA_AUDIO;
        lk__av_close(&fmt);
    }
    lk__source_close(src);
    return s;
}

static lk_status new_result(lk__source *src, lk_scan_result **out)
{
    lk_scan_result *res = lk__calloc(1, sizeof *res);
    if (!res || !(res->path = lk__strdup(lk__source_name(src)))) {
        free(res);
        return LK_ERR_NOMEM;
    }
    *out = res;
    return LK_OK;
}

/* Longest sides of the evidence kept for a reviewer (keep_evidence). */
#define CROP_SIDE 256
#define CONTEXT_SIDE 640

/* keep_evidence: each matched face with half its size again around it,
 * and the whole photo, as JPEGs, from the pixels the faces were found
 * in. */
static lk_status keep_evidence(const lk__image *img, lk_scan_result *res)
{
    lk_status s = LK_OK;
    int any = 0;
    for (int i = 0; s == LK_OK && i < res->n_findings; i++) {
        lk_finding *f = &res->findings[i];
        if (f->decision != LK_MATCH)
            continue;
        any = 1;
        const lk_face *b = &f->face;
        uint8_t *j;
        size_t n;
        s = lk__jpeg_region(img->data, img->w, img->h, img->stride,
                            b->x - 0.5 * b->w, b->y - 0.5 * b->h, 2.0 * b->w,
                            2.0 * b->h, CROP_SIDE, &j, &n);
        if (s == LK_OK) {
            f->crop_jpeg = j;
            f->crop_jpeg_size = n;
        }
    }
    if (s == LK_OK && any)
        s = lk__jpeg_region(img->data, img->w, img->h, img->stride, 0, 0,
                            img->w, img->h, CONTEXT_SIDE, &res->context_jpeg,
                            &res->context_jpeg_size);
    return s;
}

static lk_status scan_photo(lk_gallery *gal, lk_session *ses, lk__source *src,
                            const lk_scan_params *params, lk_scan_result *res)
{
    lk_faces *faces = NULL;
    lk__image img;
    const char *name = lk__source_name(src);
    lk_status s = lk__image_load_memory(name, lk__source_data(src),
                                        lk__source_size(src),
                                        params->detect.max_pixels,
                                        ses->eng->mem, &img);
    if (s != LK_OK)
        return s;
    s = lk_faces_from_rgb(ses, img.data, img.w, img.h, img.stride,
                          &params->detect, &faces);
    if (s != LK_OK && !strstr(lk_last_error(), name))
        lk__error(s, "%s: %s", name, lk_last_error());
    if (s == LK_OK)
        s = lk__scan_image(gal, faces, params, res);
    if (s == LK_OK && params->keep_evidence)
        s = keep_evidence(&img, res);
    lk_faces_free(faces);
    lk__image_release(&img);
    return s;
}

/* What the demux pass gives the faces stage: the sampling policy, the
 * detector's input box, the pixel limit. */
static lk__demux_opts video_opts(const lk_session *ses,
                                 const lk_scan_params *params)
{
    const lk_video_params *vp = &params->video;
    const lk__model *det = ses->eng->detect;
    lk__demux_opts o = lk__demux_default_opts();
    o.video = 1;
    o.sampling = vp->sampling;
    o.fps = vp->fps;
    o.scene_threshold = vp->scene_threshold;
    o.small_w = det->input_w;
    o.small_h = det->input_h;
    o.threads = vp->threads;
    o.max_pixels = params->detect.max_pixels;
    return o;
}

/* The voices stage on a thread of its own, when a video has pictures too:
 * decoding, faces and voices then spread over the cores instead of the
 * voices adding to the face thread's work.  The chunks of sound go to it
 * through a small queue, which it releases back to the demux pass. */
#define VOICE_QUEUE 64

/* Bytes a video holds per pixel of its frames while it is scanned: an
 * H.264 decoder's reference frames (up to 16, 1.5 bytes a pixel each), the
 * queue of sampled frames and the RGB frame faces are embedded from.
 * Measured: 1080p against 720p peaks 17-22 MB higher (bench/README), about
 * 15 bytes a pixel; this is twice that. */
#define VIDEO_BYTES_PER_PIXEL 32

typedef struct voice_worker {
    lk__voicescan *v;
    lk__demux *d;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    lk__item q[VOICE_QUEUE];
    int head, len, closed;
    lk_status status;        /* the stage's first failure; under mu */
    char msg[LK__MSG_MAX];
} voice_worker;

static void *voice_main(void *arg)
{
    voice_worker *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (!w->len && !w->closed)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->len) {
            pthread_mutex_unlock(&w->mu);
            return NULL;
        }
        lk__item it = w->q[w->head];
        w->head = (w->head + 1) % VOICE_QUEUE;
        w->len--;
        const int failed = w->status != LK_OK;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        /* after a failure the queue is only drained */
        lk_status s = failed ? LK_OK
                             : lk__voicescan_push(w->v, it.pcm, it.n, it.t0);
        lk__demux_release(w->d, &it);
        if (s != LK_OK) {
            pthread_mutex_lock(&w->mu);
            w->status = s;
            snprintf(w->msg, sizeof w->msg, "%s", lk_last_error());
            pthread_mutex_unlock(&w->mu);
        }
    }
}

/* Hand a chunk over (the worker releases it), waiting while the queue is
 * full. */
static void worker_put(voice_worker *w, lk__item *it)
{
    pthread_mutex_lock(&w->mu);
    while (w->len == VOICE_QUEUE)
        pthread_cond_wait(&w->cv, &w->mu);
    w->q[(w->head + w->len) % VOICE_QUEUE] = *it;
    w->len++;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* No more chunks: wait for the worker and give its status (its message
 * set again on this thread). */
static lk_status worker_end(voice_worker *w)
{
    pthread_mutex_lock(&w->mu);
    w->closed = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    return w->status == LK_OK ? LK_OK
                              : lk__error(w->status, "%s", w->msg);
}

/* The demux pass with the stages it feeds. */
typedef struct pass {
    lk__demux *d;
    lk__vscan *faces;        /* NULL: no pictures */
    lk__voicescan *voices;   /* NULL: not listening */
} pass;

static lk_status run_pass(pass *p)
{
    voice_worker w = {.v = p->voices, .d = p->d};
    int worker = 0;
    if (p->faces && p->voices) {
        pthread_mutex_init(&w.mu, NULL);
        pthread_cond_init(&w.cv, NULL);
        worker = pthread_create(&w.thread, NULL, voice_main, &w) == 0;
        if (!worker) {       /* no thread: the voices on this one */
            pthread_mutex_destroy(&w.mu);
            pthread_cond_destroy(&w.cv);
        }
    }
    lk_status s;
    for (;;) {
        lk__item it;
        if ((s = lk__demux_next(p->d, &it)) != LK_OK)
            break;
        if (it.frame) {
            s = p->faces ? lk__vscan_frame(p->faces, p->d, it.frame) : LK_OK;
        } else if (worker) {
            worker_put(&w, &it);
            continue;
        } else if (p->voices) {
            s = lk__voicescan_push(p->voices, it.pcm, it.n, it.t0);
        }
        lk__demux_release(p->d, &it);
        if (s != LK_OK)
            break;
    }
    if (s == LK_DONE)
        s = LK_OK;
    if (worker) {
        lk_status ws = worker_end(&w);
        if (s == LK_OK)
            s = ws;
    }
    return s;
}

static lk_status scan_av(lk_gallery *gal, lk_session *ses, lk__source *src,
                         const lk_scan_params *params, lk_scan_result *res)
{
    const char *name = lk__source_name(src);
    AVFormatContext *fmt;
    int has_video, has_audio;
    double duration;
    lk_status s = open_av(src, &fmt, &has_video, &has_audio, &duration);
    if (s != LK_OK)
        return s;
    lk_gallery_modality voice;
    if (!has_video && !ses->voice)
        s = lk__error(LK_ERR_MODEL, "%s: sound only, and the engine has "
                      "no speaker embedder (no voice_embed model in "
                      "%s/manifest.json)", name, ses->eng->manifest.dir);
    else
        s = lk_gallery_modality_info(gal, LK_MODALITY_VOICE, &voice);
    if (s != LK_OK) {
        lk__av_close(&fmt);
        return s;
    }
    res->kind = has_video ? LK_MEDIA_VIDEO : LK_MEDIA_AUDIO;
    res->duration = isnan(duration) ? 0.0 : duration;
    res->voice_threshold = ses->voice && params->voice_threshold < -1.0f
                               ? ses->eng->voice->threshold
                               : params->voice_threshold;
    /* The sound is decoded when there is a voice to find (voice
     * templates) or speech to judge (a synthetic-speech detector, whose
     * score over a face appearance is evidence even when the performer's
     * voice is not registered); otherwise not at all. */
    int listen = has_audio && params->voice && ses->voice &&
                 (voice.templates > 0 || ses->spoof);
    if (!has_video && !listen) {
        lk__av_close(&fmt);
        return LK_OK;
    }

    pass p = {0};
    lk__demux_opts o = has_video ? video_opts(ses, params)
                                 : lk__demux_default_opts();
    o.audio = listen;
    o.min_audio_rate = LK__AUDIO_RATE;
    if (has_video)
        s = lk__vscan_new(gal, ses->face, ses->eng->embed->dim, params,
                          res->threshold, &p.faces);
    if (s == LK_OK)
        s = lk__demux_open(src, fmt, &o, &p.d);   /* which owns fmt now */
    else
        lk__av_close(&fmt);
    /* What the pictures will hold (the decoder's reference frames, the
     * queue, the frame embedded from), from the memory cap, before the
     * pass. */
    int64_t reserved = 0;
    if (s == LK_OK && has_video) {
        lk__demux_info info;
        lk__demux_get_info(p.d, &info);
        const int64_t need = (int64_t)info.width * info.height *
                             VIDEO_BYTES_PER_PIXEL;
        if ((s = lk__budget_take(ses->eng->mem, need, lk__source_name(src))) ==
            LK_OK)
            reserved = need;
    }
    /* Sound that cannot be judged (narrowband, undecodable) costs a film
     * its voices, not its faces. */
    lk_status refused = LK_OK;
    if (s == LK_OK && listen &&
        (refused = lk__demux_audio_refusal(p.d)) != LK_OK && !has_video)
        s = refused;
    char why[LK__MSG_MAX] = "";
    if (refused != LK_OK)
        snprintf(why, sizeof why, "%s", lk_last_error());
    if (s == LK_OK && listen && refused == LK_OK)
        s = lk__voicescan_begin(gal, ses->voice, ses->spoof,
                                ses->spoof ? lk__spoof_model_threshold(
                                                 ses->eng->spoof_model)
                                           : 0.0f,
                                res->voice_threshold, &p.voices);
    if (s == LK_OK)
        s = run_pass(&p);
    if (s == LK_OK && p.faces)
        s = lk__vscan_finish(p.faces, p.d, res);
    if (s == LK_OK && p.voices) {
        lk_status as = lk__demux_audio_status(p.d);
        if (as == LK_OK)
            s = lk__voicescan_finish(p.voices, params, res);
        else if (as == LK_ERR_FORMAT && has_video)
            snprintf(why, sizeof why, "%s", lk_last_error());
        else
            s = as;
    }
    if (s == LK_OK) {
        lk__demux_info info;
        lk__demux_get_info(p.d, &info);
        const char *w;
        for (int i = 0; s == LK_OK && (w = lk__demux_warning(p.d, i)); i++)
            s = lk__scan_warn(res, "%s", w);
        /* the reader counted all, and kept only the first few */
        res->n_warnings = (int)(info.warnings > INT32_MAX ? INT32_MAX
                                                          : info.warnings);
        if (s == LK_OK && why[0])
            s = lk__scan_warn(res, "voices not searched: %s", why);
    }
    lk__voicescan_free(p.voices);
    lk__vscan_free(p.faces);
    lk__demux_close(p.d);
    lk__budget_give(ses->eng->mem, reserved);
    return s;
}

static const char *source_sha256(void *user)
{
    return lk__source_sha256(user);
}

/* Every matched finding against its performer's licences and refusal
 * (consent/resolve.c), each performer's records read once. */
static lk_status resolve_licences(lk_gallery *gal, lk__source *src,
                                  const lk_scan_params *params,
                                  lk_scan_result *res)
{
    const lk__consent_ctx ctx = {
        .channel = params->context_channel,
        .domain = params->context_domain,
        .territory = params->context_territory,
        .uses = params->context_uses,
        .time = params->context_time > 0 ? params->context_time
                                         : (int64_t)time(NULL),
        .prov = res->provenance,
        .sha256 = source_sha256,
        .user = src,
    };
    lk_status s = LK_OK;
    for (int i = 0; s == LK_OK && i < res->n_findings; i++) {
        lk_finding *f = &res->findings[i];
        if (f->decision != LK_MATCH || !f->performer_id || f->licence_reason)
            continue;
        lk__consent_set *cs;
        if ((s = lk__gallery_consent(gal, f->performer_id, &cs)) != LK_OK)
            break;
        for (int k = i; s == LK_OK && k < res->n_findings; k++) {
            lk_finding *g = &res->findings[k];
            if (g->decision == LK_MATCH && g->performer_id &&
                !g->licence_reason && !strcmp(g->performer_id, f->performer_id))
                s = lk__consent_resolve(cs, &ctx, res->synthetic_threshold, g);
        }
        lk__consent_set_free(cs);
    }
    return s;
}

/* The context's territory and domain, folded as licences keep them. */
static lk_status check_context(const lk_scan_params *p)
{
    const unsigned all_uses = LK__USE_ALL;
    const char *t = p->context_territory;
    const int known = t && strlen(t) == 2 ? lk__territory_known(t) : 0;
    if (known < 0)
        return LK_ERR_IO;       /* the list of codes is missing: recorded */
    if (t && !known)
        return lk__error(LK_ERR_MISUSE, "scan context: territory '%s' is not "
                         "an ISO 3166-1 alpha-2 code in upper case (GB, US)",
                         t);
    if (p->context_uses & ~all_uses)
        return lk__error(LK_ERR_MISUSE, "scan context: uses 0x%x hold bits "
                         "that are no use", p->context_uses & ~all_uses);
    for (const char *d = p->context_domain; d && *d; d++)
        if (*d >= 'A' && *d <= 'Z')
            return lk__error(LK_ERR_MISUSE, "scan context: domain '%s' is "
                             "not in lower case", p->context_domain);
    return LK_OK;
}

/* The calibration modality m's scores are read with: the gallery's copy
 * for its model (the one its decisions were made with, whatever the
 * engine's package now ships), else the engine's.  *own is set when the
 * result was parsed here and is the caller's to free. */
static lk_status calib_of(lk_gallery *gal, const lk_engine *eng,
                          lk_modality m, const lk__calib **out,
                          lk__calib **own)
{
    const lk__model *md = m == LK_MODALITY_FACE ? eng->embed : eng->voice;
    const lk__calib *mine = m == LK_MODALITY_FACE ? eng->face_calib
                                                  : eng->voice_calib;
    const char *text, *sha;
    lk__gallery_calibration(gal, m, &text, &sha);
    *own = NULL;
    *out = mine;
    if (!text || !lk__gallery_model_id(gal, m) ||
        (mine && !strcmp(sha, md->calib_sha256)))
        return LK_OK;            /* none kept, not in use, or the same */
    char name[1024];
    snprintf(name, sizeof name, "%s: calibration table, %s model %s",
             lk__gallery_dir(gal), lk_modality_name(m),
             lk__gallery_model_id(gal, m));
    lk_status s = lk__calib_parse(text, strlen(text), name, own);
    *out = *own;
    return s;
}

/* Every finding's false-match rates (lk_finding.fmr, voice_fmr). */
static lk_status calibrate(lk_gallery *gal, const lk_engine *eng,
                           lk_scan_result *res)
{
    const lk__calib *face, *voice = NULL;
    lk__calib *own_face, *own_voice = NULL;
    lk_status s = calib_of(gal, eng, LK_MODALITY_FACE, &face, &own_face);
    if (s == LK_OK && eng->voice)
        s = calib_of(gal, eng, LK_MODALITY_VOICE, &voice, &own_voice);
    for (int i = 0; s == LK_OK && i < res->n_findings; i++) {
        lk_finding *f = &res->findings[i];
        const lk__calib *c = f->modality == LK_MODALITY_VOICE ? voice : face;
        f->fmr = f->voice_fmr = -1.0;
        if (c && f->performer_id)
            f->fmr = lk__calib_fmr(c, f->score, &f->fmr_below);
        if (voice && f->modality == LK_MODALITY_FACE && f->voice_segments > 0)
            f->voice_fmr = lk__calib_fmr(voice, f->voice_score,
                                         &f->voice_fmr_below);
    }
    lk__calib_free(own_face);
    lk__calib_free(own_voice);
    return s;
}

static lk_status scan_source(lk_gallery *gal, lk_session *ses, lk__source *src,
                             const lk_scan_params *params,
                             lk_scan_result **out)
{
    lk_scan_params defaults = lk_scan_default_params();
    if (!params)
        params = &defaults;
    lk_status s = lk__scan_check_params(params);
    if (s == LK_OK)
        s = check_context(params);
    if (s != LK_OK)
        return s;
    lk_scan_result *res;
    if ((s = new_result(src, &res)) != LK_OK)
        return s;
    res->threshold = params->threshold < -1.0f ? ses->eng->embed->threshold
                                               : params->threshold;
    s = lk__source_is_image(src) ? scan_photo(gal, ses, src, params, res)
                                 : scan_av(gal, ses, src, params, res);
    if (s == LK_OK)
        s = calibrate(gal, ses->eng, res);
    if (s == LK_OK) {
        lk__scan_sort(res);
        s = lk__evidence_attach(lk__source_name(src), lk__source_data(src),
                                lk__source_size(src), res);
    }
    if (s == LK_OK)
        s = resolve_licences(gal, src, params, res);
    /* A file with a finding is known by its hash (the findings store's
     * key); the bytes are hashed at most once (the asset check may have). */
    for (int i = 0; s == LK_OK && i < res->n_findings; i++)
        if (res->findings[i].decision == LK_MATCH) {
            memcpy(res->sha256, lk__source_sha256(src), sizeof res->sha256);
            break;
        }
    if (s != LK_OK) {
        lk_scan_result_free(res);
        return s;
    }
    *out = res;
    return LK_OK;
}

lk_status lk_scan_file(lk_gallery *gal, lk_session *ses, const char *path,
                       const lk_scan_params *params, lk_scan_result **out)
{
    if (!out)
        return lk__error(LK_ERR_MISUSE, "lk_scan_file: out is NULL");
    *out = NULL;
    if (!gal || !ses || !path)
        return lk__error(LK_ERR_MISUSE, "lk_scan_file: NULL argument");
    lk__source *src;
    lk_status s = lk__source_open_file(path, &src);
    if (s != LK_OK)
        return s;
    s = scan_source(gal, ses, src, params, out);
    lk__source_close(src);
    return s;
}

lk_status lk_scan_memory(lk_gallery *gal, lk_session *ses, const char *name,
                         const void *data, size_t size,
                         const lk_scan_params *params, lk_scan_result **out)
{
    if (!out)
        return lk__error(LK_ERR_MISUSE, "lk_scan_memory: out is NULL");
    *out = NULL;
    if (!gal || !ses || !name || !data)
        return lk__error(LK_ERR_MISUSE, "lk_scan_memory: NULL argument");
    lk__source *src;
    lk_status s = lk__source_open_memory(name, data, size, &src);
    if (s != LK_OK)
        return s;
    s = scan_source(gal, ses, src, params, out);
    lk__source_close(src);
    return s;
}
