/*
 * audio.c — sound as 16 kHz mono float chunks with timestamps: FFmpeg
 * decodes the packets of one audio stream that the demux pass hands over,
 * libswresample mixes down and resamples (audio.h).
 *
 * Uploads are untrusted and may be long or damaged: nothing is loaded
 * whole, a corrupt packet costs a warning and not the file, and a stream
 * whose format changes midway (some broadcast captures do) gets a new
 * resampler rather than garbage.
 */
#include "media/audio.h"
#include "media/av.h"
#include "media/demux.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

/* A stream that fails this many packets in a row without one good frame is
 * not audio we can use; stop rather than spin through a broken file. */
enum { MAX_CONSECUTIVE_ERRORS = 200 };

struct lk__audio_dec {
    const char *path;      /* the caller's, for messages */
    lk__audio_sink sink;
    AVCodecContext *dec;
    SwrContext *swr;
    AVFrame *frame;
    AVRational tb;
    int64_t start;
    /* The resampler's input format, to notice a change midstream. */
    int swr_rate, swr_fmt;
    AVChannelLayout swr_layout;
    float *buf;
    int cap;
    double next_t;         /* expected time of the next input frame */
    int errors, consecutive;
    int64_t frames_ok;
};

lk_status lk__audio_check_rate(const char *name, int rate, int min_rate)
{
    if (rate >= min_rate)
        return LK_OK;
    return lk__error(LK_ERR_FORMAT, "%s: audio sampled at %d Hz; voice "
                     "analysis needs at least %d Hz (narrowband audio lacks "
                     "the upper band the models measure, and would read as "
                     "synthetic)", name, rate, min_rate);
}

void lk__audio_dec_close(lk__audio_dec *a)
{
    if (!a)
        return;
    swr_free(&a->swr);
    av_channel_layout_uninit(&a->swr_layout);
    avcodec_free_context(&a->dec);
    av_frame_free(&a->frame);
    free(a->buf);
    free(a);
}

int64_t lk__audio_dec_frames(const lk__audio_dec *a)
{
    return a->frames_ok;
}

lk_status lk__audio_dec_open(const char *path, AVFormatContext *fmt, int idx,
                             const lk__audio_sink *sink, lk__audio_dec **out)
{
    *out = NULL;
    const AVStream *st = fmt->streams[idx];
    const AVCodecParameters *par = st->codecpar;
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    if (!codec)
        return lk__error(LK_ERR_FORMAT, "%s: no decoder for audio codec %s",
                         path, avcodec_get_name(par->codec_id));
    if (par->sample_rate <= 0 || par->sample_rate > 768000 ||
        par->ch_layout.nb_channels <= 0 || par->ch_layout.nb_channels > 64)
        return lk__error(LK_ERR_FORMAT, "%s: audio stream declares %d Hz, %d "
                         "channels", path, par->sample_rate,
                         par->ch_layout.nb_channels);
    lk__audio_dec *a = lk__calloc(1, sizeof *a);
    if (!a)
        return LK_ERR_NOMEM;
    a->path = path;
    a->sink = *sink;
    a->tb = st->time_base;
    /* Times count from the container's start, as video frames' do, so that
     * a voice and a face in one file share a clock. */
    a->start = fmt->start_time != AV_NOPTS_VALUE
                   ? av_rescale_q(fmt->start_time, AV_TIME_BASE_Q, a->tb)
                   : st->start_time;
    a->dec = avcodec_alloc_context3(codec);
    a->frame = av_frame_alloc();
    if (!a->dec || !a->frame) {
        lk__audio_dec_close(a);
        return lk__error(LK_ERR_NOMEM, "%s: out of memory", path);
    }
    int rc = avcodec_parameters_to_context(a->dec, par);
    if (rc >= 0) {
        a->dec->pkt_timebase = st->time_base;
        /* Parallelism is across files and stages, not inside a decoder. */
        a->dec->thread_count = 1;
        rc = avcodec_open2(a->dec, codec, NULL);
    }
    if (rc < 0) {
        char e[128];
        lk__audio_dec_close(a);
        return lk__error(lk__av_status(rc), "%s: cannot open the %s decoder "
                         "(%s)", path, codec->name, lk__av_err(rc, e, sizeof e));
    }
    *out = a;
    return LK_OK;
}

/* (Re)build the resampler for the format of frame f. */
static lk_status setup_swr(lk__audio_dec *a, const AVFrame *f)
{
    if (a->swr && a->swr_rate == f->sample_rate && a->swr_fmt == f->format &&
        !av_channel_layout_compare(&a->swr_layout, &f->ch_layout))
        return LK_OK;
    if (a->swr)
        a->sink.warn(a->sink.user, a->next_t,
                     "audio format changes; resampled anew", 0);
    swr_free(&a->swr);
    av_channel_layout_uninit(&a->swr_layout);
    if (f->sample_rate <= 0 || f->sample_rate > 768000 ||
        f->ch_layout.nb_channels <= 0 || f->ch_layout.nb_channels > 64)
        return lk__error(LK_ERR_FORMAT, "%s: decoded audio has %d Hz, %d "
                         "channels", a->path, f->sample_rate,
                         f->ch_layout.nb_channels);
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    AVChannelLayout in;
    /* A decoder may leave the order unspecified (raw PCM in some
     * containers): mix it down as the default layout of that count. */
    if (f->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_default(&in, f->ch_layout.nb_channels);
    else if (av_channel_layout_copy(&in, &f->ch_layout) < 0)
        return lk__error(LK_ERR_NOMEM, "%s: out of memory", a->path);
    int rc = swr_alloc_set_opts2(&a->swr, &mono, AV_SAMPLE_FMT_FLT,
                                 LK__AUDIO_RATE, &in, f->format,
                                 f->sample_rate, 0, NULL);
    if (rc >= 0)
        rc = swr_init(a->swr);
    if (rc < 0) {
        char e[128];
        av_channel_layout_uninit(&in);
        swr_free(&a->swr);
        return lk__error(lk__av_status(rc), "%s: cannot resample %d Hz %s "
                         "audio (%s)", a->path, f->sample_rate,
                         av_get_sample_fmt_name(f->format)
                             ? av_get_sample_fmt_name(f->format) : "?",
                         lk__av_err(rc, e, sizeof e));
    }
    /* Remember the layout as frames state it (maybe unspecified), which is
     * what the next frame is compared with. */
    av_channel_layout_uninit(&in);
    if (av_channel_layout_copy(&a->swr_layout, &f->ch_layout) < 0)
        return lk__error(LK_ERR_NOMEM, "%s: out of memory", a->path);
    a->swr_rate = f->sample_rate;
    a->swr_fmt = f->format;
    return LK_OK;
}

/* Convert frame f (NULL flushes) into a->buf; *n samples, *t0 their time. */
static lk_status convert(lk__audio_dec *a, const AVFrame *f, size_t *n, double *t0)
{
    *n = 0;
    if (!a->swr)
        return LK_OK;
    int in_n = f ? f->nb_samples : 0;
    int want = swr_get_out_samples(a->swr, in_n);
    if (want < 0)
        return lk__error(LK_ERR_FORMAT, "%s: resampler failed", a->path);
    if (want > a->cap) {
        float *nb = lk__realloc(a->buf, (size_t)want * sizeof *nb);
        if (!nb)
            return LK_ERR_NOMEM;
        a->buf = nb;
        a->cap = want;
    }
    /* Samples still inside the resampler come out first: this chunk starts
     * that much before the frame. */
    double delay = (double)swr_get_delay(a->swr, LK__AUDIO_RATE) /
                   LK__AUDIO_RATE;
    double ft = a->next_t;
    if (f) {
        double t = lk__av_seconds(f->best_effort_timestamp, a->start, a->tb);
        if (isfinite(t))
            ft = t;
    }
    uint8_t *outp = (uint8_t *)a->buf;
    int got = swr_convert(a->swr, &outp, want,
                          f ? (const uint8_t **)f->extended_data : NULL, in_n);
    if (got < 0) {
        char e[128];
        return lk__error(LK_ERR_FORMAT, "%s: resampling failed at %.2f s (%s)",
                         a->path, ft, lk__av_err(got, e, sizeof e));
    }
    if (f)
        a->next_t = ft + (double)in_n / a->swr_rate;
    *t0 = ft - delay;
    if (*t0 < 0 && *t0 > -0.01)
        *t0 = 0;   /* resampler latency at the very start, not a real offset */
    *n = (size_t)got;
    /* Decoders may emit samples slightly past full scale (MP3, AAC); keep
     * the [-1, 1] promise and let clipping show as clipping. */
    for (int i = 0; i < got; i++) {
        float v = a->buf[i];
        a->buf[i] = v > 1.0f ? 1.0f : v < -1.0f ? -1.0f : v != v ? 0.0f : v;
    }
    return LK_OK;
}

static lk_status on_bad_packet(lk__audio_dec *a, int rc)
{
    a->errors++;
    a->consecutive++;
    a->sink.warn(a->sink.user, a->next_t, "corrupt audio skipped", rc);
    if (a->consecutive >= MAX_CONSECUTIVE_ERRORS)
        return lk__error(LK_ERR_FORMAT, "%s: audio undecodable from %.2f s "
                         "(%d corrupt packets in a row)", a->path, a->next_t,
                         a->consecutive);
    return LK_OK;
}

/* Every frame the decoder has ready, resampled, to the sink. */
static lk_status receive(lk__audio_dec *a)
{
    for (;;) {
        int rc = avcodec_receive_frame(a->dec, a->frame);
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
            return LK_OK;
        lk_status s;
        if (rc < 0) {
            if ((s = on_bad_packet(a, rc)) != LK_OK)
                return s;
            continue;
        }
        a->consecutive = 0;
        a->frames_ok++;
        size_t n = 0;
        double t0 = 0;
        s = setup_swr(a, a->frame);
        if (s == LK_OK)
            s = convert(a, a->frame, &n, &t0);
        av_frame_unref(a->frame);
        if (s == LK_OK && n > 0)
            s = a->sink.pcm(a->sink.user, a->buf, n, t0);
        if (s != LK_OK)
            return s;
    }
}

lk_status lk__audio_dec_packet(lk__audio_dec *a, const AVPacket *pkt)
{
    int rc = avcodec_send_packet(a->dec, pkt);
    lk_status s;
    if (rc == AVERROR(ENOMEM))
        return lk__error(LK_ERR_NOMEM, "%s: out of memory", a->path);
    if (rc < 0 && rc != AVERROR(EAGAIN) && rc != AVERROR_EOF &&
        (s = on_bad_packet(a, rc)) != LK_OK)
        return s;
    if ((s = receive(a)) != LK_OK || pkt)
        return s;
    /* The end: what the resampler still holds. */
    size_t n = 0;
    double t0 = 0;
    if ((s = convert(a, NULL, &n, &t0)) == LK_OK && n > 0)
        s = a->sink.pcm(a->sink.user, a->buf, n, t0);
    if (s == LK_OK && a->frames_ok == 0 && a->errors > 0)
        s = lk__error(LK_ERR_FORMAT, "%s: no decodable audio (%d corrupt "
                      "packets)", a->path, a->errors);
    return s;
}

/* ------------------------------------------------------------------------
 * A file's sound alone, through the demux pass
 * ---------------------------------------------------------------------- */

struct lk__audio {
    lk__source *src;
    lk__demux *d;
    lk__item item;
    int have_item;
    lk__audio_info info;
};

const lk__audio_info *lk__audio_get_info(const lk__audio *a)
{
    return &a->info;
}

void lk__audio_close(lk__audio *a)
{
    if (!a)
        return;
    if (a->have_item)
        lk__demux_release(a->d, &a->item);
    lk__demux_close(a->d);
    lk__source_close(a->src);
    free(a);
}

lk_status lk__audio_open(const char *path, int min_rate, lk__audio **out)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return lk__error(LK_ERR_MISUSE, "audio open: NULL argument");
    lk__audio *a = lk__calloc(1, sizeof *a);
    if (!a)
        return LK_ERR_NOMEM;
    lk_status s = lk__source_open_file(path, &a->src);
    if (s == LK_OK)
        s = lk__demux_open_sound(a->src, min_rate, &a->d);
    if (s != LK_OK) {
        lk__audio_close(a);
        return s;
    }
    lk__demux_info di;
    lk__demux_get_info(a->d, &di);
    a->info.in_rate = di.audio_rate;
    a->info.in_channels = di.audio_channels;
    a->info.duration = di.audio_duration;
    snprintf(a->info.codec, sizeof a->info.codec, "%s", di.audio_codec);
    *out = a;
    return LK_OK;
}

lk_status lk__audio_read(lk__audio *a, const float **pcm, size_t *n,
                         double *t0)
{
    if (pcm)
        *pcm = NULL;
    if (n)
        *n = 0;
    if (t0)
        *t0 = 0;
    if (!a || !pcm || !n || !t0)
        return lk__error(LK_ERR_MISUSE, "audio read: NULL argument");
    if (a->have_item) {
        lk__demux_release(a->d, &a->item);
        a->have_item = 0;
    }
    lk_status s = lk__demux_next(a->d, &a->item);
    if (s == LK_OK) {
        a->have_item = 1;
        *pcm = a->item.pcm;
        *n = a->item.n;
        *t0 = a->item.t0;
        return LK_OK;
    }
    if (s != LK_DONE)
        return s;
    const char *w;
    for (int i = 0; (w = lk__demux_warning(a->d, i)); i++)
        lk__log(LK_LOG_WARN, "%s", w);
    lk_status as = lk__demux_audio_status(a->d);
    return as != LK_OK ? as : LK_DONE;
}
