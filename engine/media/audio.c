/*
 * audio.c — the sound track of a media file as a stream of 16 kHz mono
 * float chunks with timestamps: FFmpeg demuxes and decodes the best audio
 * stream, libswresample mixes down and resamples.
 *
 * Uploads are untrusted and may be long or damaged: nothing is loaded
 * whole, a corrupt packet costs a warning and not the file, and a stream
 * whose format changes midway (some broadcast captures do) gets a new
 * resampler rather than garbage.
 */
#include "media/audio.h"
#include "media/av.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

/* A stream that fails this many packets in a row without one good frame is
 * not audio we can use; stop rather than spin through a broken file. */
enum { MAX_CONSECUTIVE_ERRORS = 200 };

struct lk__audio {
    char *path;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    SwrContext *swr;
    AVPacket *pkt;
    AVFrame *frame;
    int stream;
    AVRational tb;
    int64_t start;
    /* The resampler's input format, to notice a change midstream. */
    int swr_rate, swr_fmt;
    AVChannelLayout swr_layout;
    float *buf;
    int cap;
    double next_t;         /* expected time of the next input frame */
    int eof_demux, eof_dec, swr_flushed;
    int errors, consecutive;
    int64_t frames_ok;
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
    swr_free(&a->swr);
    av_channel_layout_uninit(&a->swr_layout);
    avcodec_free_context(&a->dec);
    avformat_close_input(&a->fmt);
    av_packet_free(&a->pkt);
    av_frame_free(&a->frame);
    free(a->buf);
    free(a->path);
    free(a);
}

lk_status lk__audio_open(const char *path, lk__audio **out)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return lk__error(LK_ERR_MISUSE, "audio open: NULL argument");
    lk__audio *a = lk__calloc(1, sizeof *a);
    if (!a)
        return LK_ERR_NOMEM;
    a->path = lk__strdup(path);
    if (!a->path) {
        free(a);
        return LK_ERR_NOMEM;
    }
    a->next_t = 0.0;
    lk_status s = lk__av_open(path, &a->fmt);
    if (s != LK_OK) {
        lk__audio_close(a);
        return s;
    }
    char e[128];
    const AVCodec *codec = NULL;
    int idx = av_find_best_stream(a->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, &codec,
                                  0);
    if (idx == AVERROR_STREAM_NOT_FOUND) {
        lk__audio_close(a);
        return lk__error(LK_ERR_FORMAT, "%s: no audio stream", path);
    }
    if (idx < 0 || !codec) {
        const char *name = "unknown";
        /* Name the codec we could not decode, when there is a stream. */
        for (unsigned i = 0; i < a->fmt->nb_streams; i++)
            if (a->fmt->streams[i]->codecpar->codec_type ==
                AVMEDIA_TYPE_AUDIO) {
                name = avcodec_get_name(a->fmt->streams[i]->codecpar->codec_id);
                break;
            }
        lk__audio_close(a);
        return lk__error(LK_ERR_FORMAT, "%s: no decoder for audio codec %s",
                         path, name);
    }
    a->stream = idx;
    AVStream *st = a->fmt->streams[idx];
    /* Video and other streams are not demuxed into packets we would drop
     * anyway. */
    for (unsigned i = 0; i < a->fmt->nb_streams; i++)
        if ((int)i != idx)
            a->fmt->streams[i]->discard = AVDISCARD_ALL;
    a->tb = st->time_base;
    /* Times count from the container's start, as video frames' do, so that
     * a voice and a face in one file share a clock. */
    a->start = a->fmt->start_time != AV_NOPTS_VALUE
                   ? av_rescale_q(a->fmt->start_time, AV_TIME_BASE_Q, a->tb)
                   : st->start_time;

    const AVCodecParameters *par = st->codecpar;
    if (par->sample_rate <= 0 || par->sample_rate > 768000 ||
        par->ch_layout.nb_channels <= 0 || par->ch_layout.nb_channels > 64) {
        /* The message first: par belongs to the stream close frees. */
        lk_status err = lk__error(LK_ERR_FORMAT, "%s: audio stream declares "
                                  "%d Hz, %d channels", path,
                                  par->sample_rate,
                                  par->ch_layout.nb_channels);
        lk__audio_close(a);
        return err;
    }
    a->dec = avcodec_alloc_context3(codec);
    a->pkt = av_packet_alloc();
    a->frame = av_frame_alloc();
    if (!a->dec || !a->pkt || !a->frame) {
        lk__audio_close(a);
        return lk__error(LK_ERR_NOMEM, "%s: out of memory", path);
    }
    int rc = avcodec_parameters_to_context(a->dec, par);
    if (rc >= 0) {
        a->dec->pkt_timebase = st->time_base;
        /* One session is one thread (likeness.h); parallelism is across
         * files, not inside a decoder. */
        a->dec->thread_count = 1;
        rc = avcodec_open2(a->dec, codec, NULL);
    }
    if (rc < 0) {
        lk__audio_close(a);
        return lk__error(lk__av_status(rc), "%s: cannot open the %s decoder "
                         "(%s)", path, codec->name, lk__av_err(rc, e, sizeof e));
    }
    a->info.in_rate = par->sample_rate;
    a->info.in_channels = par->ch_layout.nb_channels;
    a->info.duration = NAN;
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
        a->info.duration = lk__av_seconds(st->duration, 0, st->time_base);
    else if (a->fmt->duration != AV_NOPTS_VALUE && a->fmt->duration > 0)
        a->info.duration = (double)a->fmt->duration / AV_TIME_BASE;
    snprintf(a->info.codec, sizeof a->info.codec, "%s", codec->name);
    *out = a;
    return LK_OK;
}

/* (Re)build the resampler for the format of frame f. */
static lk_status setup_swr(lk__audio *a, const AVFrame *f)
{
    if (a->swr && a->swr_rate == f->sample_rate && a->swr_fmt == f->format &&
        !av_channel_layout_compare(&a->swr_layout, &f->ch_layout))
        return LK_OK;
    if (a->swr)
        lk__log(LK_LOG_WARN, "%s: audio format changes at %.2f s; "
                "resampling anew", a->path, a->next_t);
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
static lk_status convert(lk__audio *a, const AVFrame *f, size_t *n, double *t0)
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

static lk_status on_bad_packet(lk__audio *a, int rc)
{
    char e[128];
    a->errors++;
    a->consecutive++;
    lk__log(LK_LOG_WARN, "%s: corrupt audio near %.2f s skipped (%s)", a->path,
            a->next_t, lk__av_err(rc, e, sizeof e));
    if (a->consecutive >= MAX_CONSECUTIVE_ERRORS)
        return lk__error(LK_ERR_FORMAT, "%s: audio undecodable from %.2f s "
                         "(%d corrupt packets in a row)", a->path, a->next_t,
                         a->consecutive);
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
    char e[128];
    lk_status s;
    for (;;) {
        if (a->eof_dec) {
            if (a->swr_flushed)
                break;
            a->swr_flushed = 1;
            if ((s = convert(a, NULL, n, t0)) != LK_OK)
                return s;
            if (*n > 0) {
                *pcm = a->buf;
                return LK_OK;
            }
            break;
        }
        int rc = avcodec_receive_frame(a->dec, a->frame);
        if (rc == 0) {
            a->consecutive = 0;
            a->frames_ok++;
            s = setup_swr(a, a->frame);
            if (s == LK_OK)
                s = convert(a, a->frame, n, t0);
            av_frame_unref(a->frame);
            if (s != LK_OK)
                return s;
            if (*n > 0) {
                *pcm = a->buf;
                return LK_OK;
            }
            continue;
        }
        if (rc == AVERROR_EOF) {
            a->eof_dec = 1;
            continue;
        }
        if (rc != AVERROR(EAGAIN)) {
            if ((s = on_bad_packet(a, rc)) != LK_OK)
                return s;
            continue;
        }
        /* The decoder wants input. */
        if (a->eof_demux) {
            a->eof_dec = 1;   /* drained; should not happen after NULL */
            continue;
        }
        rc = av_read_frame(a->fmt, a->pkt);
        if (rc < 0) {
            if (rc != AVERROR_EOF) {
                if (rc == AVERROR(ENOMEM))
                    return lk__error(LK_ERR_NOMEM, "%s: out of memory",
                                     a->path);
                if (a->frames_ok == 0 && rc != AVERROR_INVALIDDATA)
                    return lk__error(lk__av_status(rc), "%s: cannot read "
                                     "audio (%s)", a->path,
                                     lk__av_err(rc, e, sizeof e));
                /* A damaged tail: keep what was decoded. */
                lk__log(LK_LOG_WARN, "%s: audio ends early at %.2f s (%s)",
                        a->path, a->next_t, lk__av_err(rc, e, sizeof e));
            }
            a->eof_demux = 1;
            rc = avcodec_send_packet(a->dec, NULL);
            if (rc < 0 && rc != AVERROR_EOF)
                a->eof_dec = 1;
            continue;
        }
        if (a->pkt->stream_index != a->stream) {
            av_packet_unref(a->pkt);
            continue;
        }
        rc = avcodec_send_packet(a->dec, a->pkt);
        av_packet_unref(a->pkt);
        if (rc < 0 && rc != AVERROR(EAGAIN) && rc != AVERROR_EOF) {
            if (rc == AVERROR(ENOMEM))
                return lk__error(LK_ERR_NOMEM, "%s: out of memory", a->path);
            if ((s = on_bad_packet(a, rc)) != LK_OK)
                return s;
        }
    }
    if (a->frames_ok == 0 && a->errors > 0)
        return lk__error(LK_ERR_FORMAT, "%s: no decodable audio (%d corrupt "
                         "packets)", a->path, a->errors);
    return LK_DONE;
}
