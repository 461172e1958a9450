/*
 * demux.c — the one pass over a video or sound file (media/demux.h).
 *
 * The reader thread reads packets; video packets go to the video decoder,
 * told which frames it may skip (non-reference frames before the next
 * sample; everything but keyframes for the keyframe policy), with shot
 * changes looked for on a tiny grey thumbnail of each decoded frame and
 * each sampled frame scaled straight to the detector's input size; audio
 * packets go to the audio decoder and resampler (media/audio.c).  Both
 * kinds of output join one FIFO queue, bounded per kind, that the
 * consumer drains in file order.
 */
#include "media/demux.h"
#include "media/audio.h"
#include "media/av.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

/* Sampled frames the queue may hold: the decoder runs this far ahead. */
#define QUEUE_FRAMES 4

lk__demux_opts lk__demux_default_opts(void)
{
    lk__demux_opts o;
    memset(&o, 0, sizeof o);
    o.sampling = LK_SAMPLE_SCENE;
    o.fps = 2.0;
    o.scene_threshold = 0.12f;
    o.max_queued_audio = 4.0;
    return o;
}

struct lk__vframe_priv {
    AVFrame *av;             /* the decoded picture, referenced */
    uint8_t *small_buf;
    uint8_t *full;           /* lazily converted RGB */
    int fw, fh, fstride, full_side;
    float full_scale;
};

struct lk__item_node {
    struct lk__item_node *next;
    lk__vframe *frame;       /* or: */
    float *pcm;
    size_t n;
    double t0;
};

struct lk__demux {
    lk__source *src;
    const char *path;        /* the source's name */
    lk__demux_opts opts;
    AVFormatContext *fmt;

    /* pictures */
    AVCodecContext *dec;
    int vstream;
    AVRational tb;
    int64_t start;           /* container start, in tb */
    int rotation;
    double frame_dur;        /* seconds, for frames without a timestamp */
    /* decode thread only */
    struct SwsContext *sws_small, *sws_thumb;
    uint8_t thumb[2][LK__THUMB_W * LK__THUMB_H];
    int have_thumb, thumb_cur;
    float scene_avg;         /* running mean of shot-change scores */
    lk__sampler sampler;
    double last_t;
    uint8_t *rot_tmp;
    size_t rot_tmp_n;
    /* consumer thread only */
    struct SwsContext *sws_full;

    /* sound */
    lk__audio_dec *adec;
    int astream;
    size_t max_samples;      /* queued PCM at most (but one chunk) */
    lk_status audio_refusal; /* why sound asked for is not decoded */
    lk_status audio_fail;    /* what stopped it partway (decode thread,
                                read after the thread ends) */
    char audio_msg[LK__MSG_MAX];

    pthread_t thread;
    int thread_started;
    pthread_mutex_t mu;
    pthread_cond_t can_put, can_get;
    struct lk__item_node *head, *tail;
    int q_frames;
    size_t q_samples;
    int finished;            /* decode thread is done */
    int stop;                /* consumer asked it to stop */
    lk_status fatal;         /* the decode thread's failure, if any */
    char fatal_msg[LK__MSG_MAX];

    /* counters, under mu */
    lk__demux_info info;
    char *warn[LK__DEMUX_MAX_WARNINGS];
    int n_warn;
};

static void warn(lk__demux *v, double t, const char *what, int averr)
{
    char e[128] = "";
    if (averr)
        lk__av_err(averr, e, sizeof e);
    char msg[768];
    if (isnan(t))
        snprintf(msg, sizeof msg, "%s: %s%s%s%s", v->path, what,
                 averr ? " (" : "", e, averr ? ")" : "");
    else
        snprintf(msg, sizeof msg, "%s: %.3f s: %s%s%s%s", v->path, t, what,
                 averr ? " (" : "", e, averr ? ")" : "");
    lk__log(LK_LOG_DEBUG, "%s", msg);     /* the result carries it */
    pthread_mutex_lock(&v->mu);
    v->info.warnings++;
    if (v->n_warn < LK__DEMUX_MAX_WARNINGS) {
        char *copy = strdup(msg);
        if (copy)
            v->warn[v->n_warn++] = copy;
    }
    pthread_mutex_unlock(&v->mu);
}

static void free_frame(lk__vframe *f)
{
    if (!f)
        return;
    if (f->priv) {
        av_frame_free(&f->priv->av);
        free(f->priv->small_buf);
        free(f->priv->full);
        free(f->priv);
    }
    free(f);
}

/* Display size of a coded w x h picture: sample aspect ratio applied to
 * the width (as players do), then rotation. */
static void display_size(const lk__demux *v, const AVFrame *fr, int *dw,
                         int *dh)
{
    AVRational sar = av_guess_sample_aspect_ratio(
        v->fmt, v->fmt->streams[v->vstream], (AVFrame *)fr);
    double w = fr->width, h = fr->height;
    if (sar.num > 0 && sar.den > 0 && sar.num != sar.den) {
        double r = av_q2d(sar);
        if (r > 0.1 && r < 10.0)
            w = w * r;
    }
    int iw = (int)lrint(w), ih = (int)lrint(h);
    if (iw < 1)
        iw = 1;
    if (v->rotation == 90 || v->rotation == 270) {
        *dw = ih;
        *dh = iw;
    } else {
        *dw = iw;
        *dh = ih;
    }
}

/* Scale fr into an upright RGB buffer of out_w x out_h (display
 * orientation) with *ctx, rotating through tmp when needed.  *buf is
 * allocated here.  Returns 0, or -1 (out of memory or swscale failure). */
static int convert_rgb(struct SwsContext **ctx, const AVFrame *fr, int rot,
                       int out_w, int out_h, uint8_t **buf, int *stride,
                       uint8_t **tmp, size_t *tmp_n, int flags)
{
    /* swscale writes the picture as coded: before rotation */
    const int cw = (rot == 90 || rot == 270) ? out_h : out_w;
    const int ch = (rot == 90 || rot == 270) ? out_w : out_h;
    *ctx = sws_getCachedContext(*ctx, fr->width, fr->height, fr->format, cw,
                                ch, AV_PIX_FMT_RGB24, flags, NULL, NULL, NULL);
    if (!*ctx)
        return -1;
    /* Rows padded to 32 bytes and one row spare: swscale's SIMD may write
     * a little past the last pixel of a row. */
    const int cstride = (cw * 3 + 31) & ~31;
    const size_t need = (size_t)cstride * (ch + 1);
    uint8_t *dst;
    if (rot == 0) {
        if (!(dst = malloc(need)))
            return -1;
        *buf = dst;
        *stride = cstride;
    } else {
        if (*tmp_n < need) {
            uint8_t *t = realloc(*tmp, need);
            if (!t)
                return -1;
            *tmp = t;
            *tmp_n = need;
        }
        dst = *tmp;
    }
    uint8_t *planes[4] = {dst, NULL, NULL, NULL};
    int strides[4] = {cstride, 0, 0, 0};
    if (sws_scale(*ctx, (const uint8_t *const *)fr->data, fr->linesize, 0,
                  fr->height, planes, strides) <= 0) {
        if (rot == 0) {
            free(*buf);
            *buf = NULL;
        }
        return -1;
    }
    if (rot != 0) {
        const int ostride = (out_w * 3 + 31) & ~31;
        uint8_t *o = malloc((size_t)ostride * (out_h + 1));
        if (!o)
            return -1;
        lk__rgb_rotate(dst, cw, ch, cstride, rot, o, ostride);
        *buf = o;
        *stride = ostride;
    }
    return 0;
}

/* Shot change between this decoded frame and the one before, from 64x36
 * grey thumbnails. */
static int scene_cut(lk__demux *v, const AVFrame *fr)
{
    v->sws_thumb = sws_getCachedContext(v->sws_thumb, fr->width, fr->height,
                                        fr->format, LK__THUMB_W, LK__THUMB_H,
                                        AV_PIX_FMT_GRAY8, SWS_AREA, NULL, NULL,
                                        NULL);
    if (!v->sws_thumb)
        return 0;
    const int next = v->thumb_cur ^ 1;
    /* swscale may write past the 64th byte of a row with SIMD: go through
     * a padded buffer. */
    uint8_t pad[LK__THUMB_W * (LK__THUMB_H + 1) + 64];
    uint8_t *planes[4] = {pad, NULL, NULL, NULL};
    int strides[4] = {LK__THUMB_W, 0, 0, 0};
    if (sws_scale(v->sws_thumb, (const uint8_t *const *)fr->data,
                  fr->linesize, 0, fr->height, planes, strides) <= 0)
        return 0;
    memcpy(v->thumb[next], pad, sizeof v->thumb[next]);
    int cut = v->have_thumb &&
              lk__scene_is_cut(lk__scene_score(v->thumb[v->thumb_cur],
                                               v->thumb[next],
                                               LK__THUMB_W * LK__THUMB_H),
                               &v->scene_avg, v->opts.scene_threshold);
    v->thumb_cur = next;
    v->have_thumb = 1;
    return cut;
}

static void free_node(struct lk__item_node *n)
{
    if (!n)
        return;
    free_frame(n->frame);
    free(n->pcm);
    free(n);
}

/* Hand an item to the consumer, waiting while the queue holds its kind's
 * share.  Returns 0, or -1 when the consumer has asked to stop (the item
 * is freed). */
static int put(lk__demux *v, struct lk__item_node *n)
{
    pthread_mutex_lock(&v->mu);
    for (;;) {
        if (v->stop)
            break;
        if (n->frame ? v->q_frames < QUEUE_FRAMES
                     : v->q_samples == 0 ||
                           v->q_samples + n->n <= v->max_samples)
            break;
        pthread_cond_wait(&v->can_put, &v->mu);
    }
    if (v->stop) {
        pthread_mutex_unlock(&v->mu);
        free_node(n);
        return -1;
    }
    if (v->tail)
        v->tail->next = n;
    else
        v->head = n;
    v->tail = n;
    if (n->frame) {
        v->q_frames++;
        v->info.frames_sampled++;
    } else {
        v->q_samples += n->n;
    }
    pthread_cond_signal(&v->can_get);
    pthread_mutex_unlock(&v->mu);
    return 0;
}

static void set_fatal(lk__demux *v, lk_status s, const char *msg)
{
    pthread_mutex_lock(&v->mu);
    if (v->fatal == LK_OK) {
        v->fatal = s;
        snprintf(v->fatal_msg, sizeof v->fatal_msg, "%s", msg);
    }
    pthread_mutex_unlock(&v->mu);
}

static int put_frame(lk__demux *v, lk__vframe *f)
{
    struct lk__item_node *n = calloc(1, sizeof *n);
    if (!n) {
        free_frame(f);
        set_fatal(v, LK_ERR_NOMEM, "out of memory");
        return -1;
    }
    n->frame = f;
    return put(v, n);
}

/* The audio decoder's sink: a copy of each chunk into the queue.  LK_DONE
 * when the consumer has gone (the pass stops). */
static lk_status on_pcm(void *user, const float *pcm, size_t k, double t0)
{
    lk__demux *v = user;
    struct lk__item_node *n = calloc(1, sizeof *n);
    float *copy = n ? malloc(k * sizeof *copy) : NULL;
    if (!copy) {
        free(n);
        return lk__error(LK_ERR_NOMEM, "%s: out of memory", v->path);
    }
    memcpy(copy, pcm, k * sizeof *copy);
    n->pcm = copy;
    n->n = k;
    n->t0 = t0;
    return put(v, n) == 0 ? LK_OK : LK_DONE;
}

static void on_audio_warning(void *user, double t, const char *what, int averr)
{
    warn(user, t, what, averr);
}

/* The sound stops here with s (its message in lk_last_error()); a shortage
 * of memory stops the whole pass. */
static void audio_failed(lk__demux *v, lk_status s)
{
    if (s == LK_ERR_NOMEM)
        set_fatal(v, s, "out of memory decoding sound");
    v->audio_fail = s;
    snprintf(v->audio_msg, sizeof v->audio_msg, "%s", lk_last_error());
    lk__audio_dec_close(v->adec);
    v->adec = NULL;
}

/* One decoded frame: time, shot change, sampling, and if taken the small
 * picture.  Returns 0 to go on, -1 to stop (consumer gone or fatal). */
static int on_frame(lk__demux *v, AVFrame *fr)
{
    int64_t ts = fr->best_effort_timestamp;
    if (ts == AV_NOPTS_VALUE)
        ts = fr->pts;
    double t = lk__av_seconds(ts, v->start, v->tb);
    if (isnan(t))
        t = isnan(v->last_t) ? 0.0 : v->last_t + v->frame_dur;
    v->last_t = t;

    if (fr->width <= 0 || fr->height <= 0) {
        warn(v, t, "frame without a size skipped", 0);
        return 0;
    }
    if (v->opts.max_pixels > 0 &&
        (int64_t)fr->width * fr->height > v->opts.max_pixels) {
        warn(v, t, "frame over the pixel limit skipped", 0);
        return 0;
    }
    if (fr->decode_error_flags || (fr->flags & AV_FRAME_FLAG_CORRUPT))
        warn(v, t, "damaged frame (decoded with errors)", 0);

    int key = fr->key_frame || fr->pict_type == AV_PICTURE_TYPE_I;
    int cut = v->opts.sampling == LK_SAMPLE_SCENE ? scene_cut(v, fr) : 0;

    pthread_mutex_lock(&v->mu);
    v->info.frames_decoded++;
    v->info.cuts += cut;
    pthread_mutex_unlock(&v->mu);

    if (!lk__sampler_take(&v->sampler, t, key, cut))
        return 0;

    lk__vframe *f = calloc(1, sizeof *f);
    struct lk__vframe_priv *p = f ? calloc(1, sizeof *p) : NULL;
    if (!f || !p) {
        free(f);
        free(p);
        set_fatal(v, LK_ERR_NOMEM, "out of memory");
        return -1;
    }
    f->priv = p;
    f->t = t;
    f->key = key;
    f->cut = cut;
    display_size(v, fr, &f->dw, &f->dh);
    if (!(p->av = av_frame_clone(fr))) {
        free_frame(f);
        set_fatal(v, LK_ERR_NOMEM, "out of memory");
        return -1;
    }
    if (v->opts.small_w > 0) {
        const double s = fmin((double)v->opts.small_w / f->dw,
                              (double)v->opts.small_h / f->dh);
        f->sw = (int)lrint(f->dw * s);
        f->sh = (int)lrint(f->dh * s);
        if (f->sw < 1)
            f->sw = 1;
        if (f->sh < 1)
            f->sh = 1;
        if (convert_rgb(&v->sws_small, fr, v->rotation, f->sw, f->sh,
                        &p->small_buf, &f->sstride, &v->rot_tmp,
                        &v->rot_tmp_n, SWS_AREA) != 0) {
            free_frame(f);
            warn(v, t, "frame could not be converted; skipped", 0);
            return 0;
        }
        f->small = p->small_buf;
    }
    return put_frame(v, f);
}

/* Send one packet (NULL: flush) and take every frame it completes. */
static int decode_packet(lk__demux *v, AVPacket *pkt, AVFrame *fr)
{
    int rc = avcodec_send_packet(v->dec, pkt);
    if (rc < 0 && rc != AVERROR_EOF && rc != AVERROR(EAGAIN)) {
        if (rc == AVERROR(ENOMEM)) {
            set_fatal(v, LK_ERR_NOMEM, "out of memory decoding");
            return -1;
        }
        double t = pkt ? lk__av_seconds(pkt->pts != AV_NOPTS_VALUE ? pkt->pts
                                                                  : pkt->dts,
                                        v->start, v->tb)
                       : NAN;
        warn(v, t, "corrupt packet skipped", rc);
        return 0;
    }
    for (;;) {
        rc = avcodec_receive_frame(v->dec, fr);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
            return 0;
        if (rc < 0) {
            if (rc == AVERROR(ENOMEM)) {
                set_fatal(v, LK_ERR_NOMEM, "out of memory decoding");
                return -1;
            }
            warn(v, v->last_t, "frame could not be decoded", rc);
            /* receive_frame errors are per frame: go on with the next */
            continue;
        }
        int r = on_frame(v, fr);
        av_frame_unref(fr);
        if (r < 0)
            return -1;
    }
}

static int stop_requested(lk__demux *v)
{
    pthread_mutex_lock(&v->mu);
    int s = v->stop;
    pthread_mutex_unlock(&v->mu);
    return s;
}

/* One video packet: which frames the decoder may skip, then decode. */
static int video_packet(lk__demux *v, AVPacket *pkt, AVFrame *fr)
{
    if (v->opts.sampling == LK_SAMPLE_KEYFRAMES) {
        if (!(pkt->flags & AV_PKT_FLAG_KEY))
            return 0;
        v->dec->skip_frame = AVDISCARD_NONKEY;
    } else {
        const double t = lk__av_seconds(pkt->pts, v->start, v->tb);
        v->dec->skip_frame = lk__sampler_may_skip(&v->sampler, t)
                                 ? AVDISCARD_NONREF
                                 : AVDISCARD_DEFAULT;
    }
    return decode_packet(v, pkt, fr);
}

static void *decode_main(void *arg)
{
    lk__demux *v = arg;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *fr = av_frame_alloc();
    if (!pkt || !fr) {
        set_fatal(v, LK_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (;;) {
        if (stop_requested(v))
            goto done;
        int rc = av_read_frame(v->fmt, pkt);
        if (rc == AVERROR_EOF)
            break;
        if (rc < 0) {
            char e[128];
            if (rc == AVERROR(ENOMEM)) {
                set_fatal(v, LK_ERR_NOMEM, "out of memory reading");
                goto done;
            }
            if (v->dec)
                warn(v, v->last_t, "read error; the rest of the file is "
                     "unreadable", rc);
            else if (v->adec && lk__audio_dec_frames(v->adec) == 0 &&
                     rc != AVERROR_INVALIDDATA)
                audio_failed(v, lk__error(lk__av_status(rc), "%s: cannot "
                                          "read audio (%s)", v->path,
                                          lk__av_err(rc, e, sizeof e)));
            else if (v->adec)
                /* A damaged tail: keep what was decoded. */
                warn(v, NAN, "audio ends early: the rest of the file is "
                     "unreadable", rc);
            break;
        }
        int r = 0;
        if (v->dec && pkt->stream_index == v->vstream) {
            r = video_packet(v, pkt, fr);
        } else if (v->adec && pkt->stream_index == v->astream) {
            lk_status s = lk__audio_dec_packet(v->adec, pkt);
            if (s == LK_DONE)
                r = -1;                   /* the consumer has gone */
            else if (s != LK_OK)
                audio_failed(v, s);
        }
        av_packet_unref(pkt);
        if (r < 0 || v->fatal != LK_OK)
            goto done;
        if (!v->dec && !v->adec)
            break;                        /* the sound failed: nothing left */
    }
    if (v->dec) {
        /* Drain: the frames the decoder still holds (B-frame reordering,
         * frame threads).  Nothing more is skipped. */
        v->dec->skip_frame = v->opts.sampling == LK_SAMPLE_KEYFRAMES
                                 ? AVDISCARD_NONKEY : AVDISCARD_DEFAULT;
        if (decode_packet(v, NULL, fr) < 0)
            goto done;
    }
    if (v->adec) {
        lk_status s = lk__audio_dec_packet(v->adec, NULL);
        if (s == LK_DONE)
            goto done;
        if (s != LK_OK)
            audio_failed(v, s);
    }
    /* Demuxers of a cut-off file mostly just stop: compare with the length
     * the container declares.  Keyframes may lie seconds before the end. */
    if (v->dec && !isnan(v->info.duration) && !isnan(v->last_t)) {
        const double slack = v->opts.sampling == LK_SAMPLE_KEYFRAMES
                                 ? 12.0 : fmax(1.0, 4 * v->frame_dur);
        if (v->last_t + slack < v->info.duration) {
            char what[160];
            snprintf(what, sizeof what, "the stream ends here, %.3f s before "
                     "the %.3f s the container declares: file truncated?",
                     v->info.duration - v->last_t, v->info.duration);
            warn(v, v->last_t, what, 0);
        }
    }
done:
    av_packet_free(&pkt);
    av_frame_free(&fr);
    pthread_mutex_lock(&v->mu);
    v->finished = 1;
    pthread_cond_broadcast(&v->can_get);
    pthread_mutex_unlock(&v->mu);
    return NULL;
}

/* Clockwise rotation a player applies, from the stream's display matrix. */
static int stream_rotation(const AVStream *st)
{
    size_t size = 0;
    const uint8_t *m =
        av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (!m || size < 9 * sizeof(int32_t))
        return 0;
    double theta = -av_display_rotation_get((const int32_t *)m);
    if (isnan(theta))
        return 0;
    theta -= 360.0 * floor(theta / 360.0 + 0.9 / 360.0);
    int r = (int)lrint(theta / 90.0) * 90;
    return (r == 90 || r == 180 || r == 270) ? r : 0;
}

void lk__demux_close(lk__demux *v)
{
    if (!v)
        return;
    if (v->thread_started) {
        pthread_mutex_lock(&v->mu);
        v->stop = 1;
        pthread_cond_broadcast(&v->can_put);
        pthread_mutex_unlock(&v->mu);
        pthread_join(v->thread, NULL);
    }
    while (v->head) {
        struct lk__item_node *n = v->head;
        v->head = n->next;
        free_node(n);
    }
    for (int i = 0; i < v->n_warn; i++)
        free(v->warn[i]);
    avcodec_free_context(&v->dec);
    lk__audio_dec_close(v->adec);
    lk__av_close(&v->fmt);
    sws_freeContext(v->sws_small);
    sws_freeContext(v->sws_thumb);
    sws_freeContext(v->sws_full);
    free(v->rot_tmp);
    pthread_mutex_destroy(&v->mu);
    pthread_cond_destroy(&v->can_put);
    pthread_cond_destroy(&v->can_get);
    free(v);
}

/* The video stream and its decoder.  An absent stream is no error: the
 * caller asked for what may be there. */
static lk_status open_video(lk__demux *v)
{
    const char *path = v->path;
    const AVCodec *codec = NULL;
    int idx = av_find_best_stream(v->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (idx == AVERROR_STREAM_NOT_FOUND)
        return LK_OK;
    if (idx < 0 || !codec) {
        const AVStream *st = idx >= 0 ? v->fmt->streams[idx] : NULL;
        return lk__error(LK_ERR_FORMAT, "%s: no decoder for the video codec "
                         "(%s)", path,
                         st ? avcodec_get_name(st->codecpar->codec_id)
                            : "unknown");
    }
    AVStream *st = v->fmt->streams[idx];
    const AVCodecParameters *par = st->codecpar;
    if (par->width <= 0 || par->height <= 0)
        return lk__error(LK_ERR_FORMAT, "%s: video stream has no frame size",
                         path);
    if (v->opts.max_pixels > 0 &&
        (int64_t)par->width * par->height > v->opts.max_pixels)
        return lk__error(LK_ERR_TOO_LARGE, "%s: %dx%d video frames exceed the "
                         "limit of %lld pixels", path, par->width, par->height,
                         (long long)v->opts.max_pixels);
    v->vstream = idx;
    v->tb = st->time_base;
    /* Times count from the container's start, so video and sound of one
     * file share a clock. */
    v->start = v->fmt->start_time != AV_NOPTS_VALUE
                   ? av_rescale_q(v->fmt->start_time, AV_TIME_BASE_Q, v->tb)
                   : st->start_time;
    v->rotation = stream_rotation(st);
    AVRational fr = av_guess_frame_rate(v->fmt, st, NULL);
    v->frame_dur = fr.num > 0 && fr.den > 0 ? av_q2d(av_inv_q(fr)) : 1.0 / 25;

    if (!(v->dec = avcodec_alloc_context3(codec)))
        return lk__error(LK_ERR_NOMEM, "%s: out of memory", path);
    int rc = avcodec_parameters_to_context(v->dec, par);
    if (rc >= 0) {
        v->dec->pkt_timebase = st->time_base;
        /* One thread: the other core runs inference, and without frame
         * threads the decoder skips precisely up to each sample (frame
         * threads decode a few frames ahead of the skip decisions). */
        v->dec->thread_count = v->opts.threads > 0 ? v->opts.threads : 1;
        v->dec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
        rc = avcodec_open2(v->dec, codec, NULL);
    }
    if (rc < 0) {
        char e[128];
        return lk__error(lk__av_status(rc) == LK_ERR_NOMEM ? LK_ERR_NOMEM
                                                          : LK_ERR_FORMAT,
                         "%s: cannot open the %s decoder (%s)", path,
                         codec->name, lk__av_err(rc, e, sizeof e));
    }
    v->info.video = 1;
    v->info.width = par->width;
    v->info.height = par->height;
    if (v->rotation == 90 || v->rotation == 270) {
        v->info.width = par->height;
        v->info.height = par->width;
    }
    v->info.rotation = v->rotation;
    v->info.fps = fr.num > 0 && fr.den > 0 ? av_q2d(fr) : 0.0;
    v->info.codec = codec->name;
    return LK_OK;
}

/* The audio stream and its decoder; what keeps it from being decoded is
 * kept as the refusal, not returned (but a shortage of memory). */
static lk_status open_audio(lk__demux *v)
{
    const char *path = v->path;
    const AVCodec *codec = NULL;
    int idx = av_find_best_stream(v->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, &codec,
                                  0);
    lk_status s;
    if (idx == AVERROR_STREAM_NOT_FOUND) {
        s = lk__error(LK_ERR_FORMAT, "%s: no audio stream", path);
    } else if (idx < 0 || !codec) {
        const char *name = "unknown";
        /* Name the codec we could not decode, when there is a stream. */
        for (unsigned i = 0; i < v->fmt->nb_streams; i++)
            if (v->fmt->streams[i]->codecpar->codec_type ==
                AVMEDIA_TYPE_AUDIO) {
                name = avcodec_get_name(v->fmt->streams[i]->codecpar->codec_id);
                break;
            }
        s = lk__error(LK_ERR_FORMAT, "%s: no decoder for audio codec %s",
                      path, name);
    } else {
        const AVStream *st = v->fmt->streams[idx];
        const lk__audio_sink sink = {on_pcm, on_audio_warning, v};
        s = lk__audio_check_rate(path, st->codecpar->sample_rate,
                                 v->opts.min_audio_rate);
        if (s == LK_OK)
            s = lk__audio_dec_open(path, v->fmt, idx, &sink, &v->adec);
        if (s == LK_OK) {
            v->astream = idx;
            v->info.audio = 1;
            v->info.audio_rate = st->codecpar->sample_rate;
            v->info.audio_channels = st->codecpar->ch_layout.nb_channels;
            v->info.audio_duration = NAN;
            if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
                v->info.audio_duration = lk__av_seconds(st->duration, 0,
                                                        st->time_base);
            else if (v->fmt->duration != AV_NOPTS_VALUE && v->fmt->duration > 0)
                v->info.audio_duration =
                    (double)v->fmt->duration / AV_TIME_BASE;
            snprintf(v->info.audio_codec, sizeof v->info.audio_codec, "%s",
                     codec->name);
            return LK_OK;
        }
        if (s == LK_ERR_NOMEM)
            return s;
    }
    v->audio_refusal = s;
    snprintf(v->audio_msg, sizeof v->audio_msg, "%s", lk_last_error());
    return LK_OK;
}

lk_status lk__demux_open(lk__source *src, AVFormatContext *fmt,
                         const lk__demux_opts *opts, lk__demux **out)
{
    if (out)
        *out = NULL;
    if (!src || !opts || !out || !(opts->video || opts->audio)) {
        lk__av_close(&fmt);
        return lk__error(LK_ERR_MISUSE, "demux open: %s",
                         src && opts && out ? "neither pictures nor sound "
                                              "asked for"
                                            : "NULL argument");
    }
    lk__demux *v = calloc(1, sizeof *v);
    if (!v) {
        lk__av_close(&fmt);
        return lk__error(LK_ERR_NOMEM, "%s: out of memory",
                         lk__source_name(src));
    }
    v->src = src;
    v->path = lk__source_name(src);
    v->fmt = fmt;
    v->opts = *opts;
    if (!(v->opts.fps > 0) || v->opts.fps > 1000)
        v->opts.fps = 4.0;
    if (!(v->opts.max_queued_audio > 0) || v->opts.max_queued_audio > 60)
        v->opts.max_queued_audio = 4.0;
    v->max_samples = (size_t)(v->opts.max_queued_audio * LK__AUDIO_RATE);
    v->vstream = v->astream = -1;
    v->last_t = NAN;
    pthread_mutex_init(&v->mu, NULL);
    pthread_cond_init(&v->can_put, NULL);
    pthread_cond_init(&v->can_get, NULL);
    lk__sampler_init(&v->sampler, v->opts.sampling, v->opts.fps);

    lk_status s = v->fmt ? LK_OK : lk__av_open(src, &v->fmt);
    if (s == LK_OK && v->opts.video)
        s = open_video(v);
    if (s == LK_OK && v->opts.audio)
        s = open_audio(v);
    if (s != LK_OK)
        goto fail;
    /* What is not decoded is not demuxed into packets to drop. */
    for (unsigned i = 0; i < v->fmt->nb_streams; i++)
        if ((int)i != v->vstream && (int)i != v->astream)
            v->fmt->streams[i]->discard = AVDISCARD_ALL;
    v->info.duration = v->fmt->duration > 0
                           ? (double)v->fmt->duration / AV_TIME_BASE
                           : NAN;
    if (v->opts.video && !v->dec && !v->opts.audio) {
        s = lk__error(LK_ERR_FORMAT, "%s: no video stream", v->path);
        goto fail;
    }
    if (pthread_create(&v->thread, NULL, decode_main, v) != 0) {
        s = lk__error(LK_ERR_NOMEM, "%s: cannot start the decoding thread",
                      v->path);
        goto fail;
    }
    v->thread_started = 1;
    *out = v;
    return LK_OK;
fail:
    lk__demux_close(v);
    return s;
}

lk_status lk__demux_open_sound(lk__source *src, int min_rate, lk__demux **out)
{
    lk__demux_opts o = lk__demux_default_opts();
    o.audio = 1;
    o.min_audio_rate = min_rate;
    lk_status s = lk__demux_open(src, NULL, &o, out);
    if (s == LK_OK && (s = lk__demux_audio_refusal(*out)) != LK_OK) {
        lk__demux_close(*out);
        *out = NULL;
    }
    return s;
}

lk_status lk__demux_next(lk__demux *v, lk__item *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&v->mu);
    while (!v->head && !v->finished)
        pthread_cond_wait(&v->can_get, &v->mu);
    struct lk__item_node *n = v->head;
    if (n) {
        v->head = n->next;
        if (!v->head)
            v->tail = NULL;
        if (n->frame)
            v->q_frames--;
        else
            v->q_samples -= n->n;
        pthread_cond_signal(&v->can_put);
        pthread_mutex_unlock(&v->mu);
        out->frame = n->frame;
        out->pcm = n->pcm;
        out->n = n->n;
        out->t0 = n->t0;
        out->node = n;
        return LK_OK;
    }
    lk_status fatal = v->fatal;
    int64_t decoded = v->info.frames_decoded;
    int64_t warnings = v->info.warnings;
    const char *first = v->n_warn ? v->warn[0] : NULL;
    pthread_mutex_unlock(&v->mu);
    if (fatal != LK_OK)
        return lk__error(fatal, "%s: %s", v->path, v->fatal_msg);
    if (v->dec && decoded == 0) {
        const size_t skip = strlen(v->path) + 2;  /* "path: " */
        if (warnings && first && strlen(first) > skip)
            return lk__error(LK_ERR_FORMAT, "%s: no video frame could be "
                             "decoded (first problem: %s)", v->path,
                             first + skip);
        return lk__error(LK_ERR_FORMAT, "%s: no video frame could be decoded",
                         v->path);
    }
    return LK_DONE;
}

void lk__demux_release(lk__demux *v, lk__item *it)
{
    (void)v;
    free_node(it->node);
    memset(it, 0, sizeof *it);
}

lk_status lk__demux_audio_refusal(lk__demux *v)
{
    if (v->audio_refusal == LK_OK)
        return LK_OK;
    return lk__error(v->audio_refusal, "%s", v->audio_msg);
}

lk_status lk__demux_audio_status(lk__demux *v)
{
    pthread_mutex_lock(&v->mu);
    lk_status s = v->finished ? v->audio_fail : LK_OK;
    pthread_mutex_unlock(&v->mu);
    if (s == LK_OK)
        return LK_OK;
    return lk__error(s, "%s", v->audio_msg);
}

lk_status lk__demux_rgb(lk__demux *v, lk__vframe *f, int max_side,
                        const uint8_t **rgb, int *w, int *h, int *stride,
                        float *scale)
{
    struct lk__vframe_priv *p = f->priv;
    if (!p->full || p->full_side != max_side) {
        free(p->full);
        p->full = NULL;
        double s = 1.0;
        const int side = f->dw > f->dh ? f->dw : f->dh;
        if (max_side > 0 && side > max_side)
            s = (double)max_side / side;
        p->fw = (int)lrint(f->dw * s);
        p->fh = (int)lrint(f->dh * s);
        if (p->fw < 1)
            p->fw = 1;
        if (p->fh < 1)
            p->fh = 1;
        uint8_t *tmp = NULL;
        size_t tmp_n = 0;
        int rc = convert_rgb(&v->sws_full, p->av, v->rotation, p->fw, p->fh,
                             &p->full, &p->fstride, &tmp, &tmp_n,
                             s < 1.0 ? SWS_AREA : SWS_BILINEAR);
        free(tmp);
        if (rc != 0)
            return lk__error(LK_ERR_BACKEND, "%s: %.3f s: frame could not "
                             "be converted to RGB", v->path, f->t);
        p->full_side = max_side;
        p->full_scale = (float)f->dw / (float)p->fw;
    }
    *rgb = p->full;
    *w = p->fw;
    *h = p->fh;
    *stride = p->fstride;
    *scale = p->full_scale;
    return LK_OK;
}

void lk__demux_get_info(lk__demux *v, lk__demux_info *out)
{
    pthread_mutex_lock(&v->mu);
    *out = v->info;
    pthread_mutex_unlock(&v->mu);
}

const char *lk__demux_warning(lk__demux *v, int i)
{
    pthread_mutex_lock(&v->mu);
    const char *w = i >= 0 && i < v->n_warn ? v->warn[i] : NULL;
    pthread_mutex_unlock(&v->mu);
    return w;
}
