/*
 * av.c — FFmpeg's process-wide set-up and the one safe way an untrusted
 * file is opened for demuxing, shared by video and audio decoding.
 *
 * Uploads are hostile: a playlist (HLS, concat, DASH, image sequences)
 * would make FFmpeg open other files or the network.  So a container reads
 * the bytes of its source (media/source.h) through a custom I/O context,
 * no protocol may be opened, and only demuxers from a list of real media
 * containers are tried; anything else is refused by name.
 */
#include "media/av.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/avstring.h>
#include <libavutil/avutil.h>
#include <libavutil/log.h>

/* Media containers (demuxer names as FFmpeg spells them).  Image formats
 * are libvips's (media/image.c); playlists and pattern readers are out. */
static const char container_whitelist[] =
    "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,flv,mpegts,mpeg,mpegvideo,"
    "ogg,wav,w64,mp3,flac,aac,asf,aiff,caf,amr,amrnb,amrwb,mxf,m4v,h264,"
    "hevc,ivf,nut,rm,wv,ape,tta,dv,gxf,smjpeg,mjpeg,obu,vc1,yuv4mpegpipe";

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* av_log_format_line2 assembles each call with its context prefix.  Only
 * FFmpeg's warnings and errors are passed on. */
static void av_log_cb(void *avcl, int level, const char *fmt, va_list vl)
{
    if (level > AV_LOG_WARNING)
        return;
    char line[512];
    int print_prefix = 1;
    va_list copy;
    va_copy(copy, vl);
    av_log_format_line2(avcl, level, fmt, copy, line, sizeof line,
                        &print_prefix);
    va_end(copy);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    /* Debug only: FFmpeg's own detail ("error while decoding MB 30 9").
     * What matters to a user reaches them as our warnings and errors, which
     * name the file and the time. */
    if (n)
        lk__log(LK_LOG_DEBUG, "ffmpeg: %s", line);
}

static void init_fn(void)
{
    av_log_set_callback(av_log_cb);
}

void lk__av_init(void)
{
    pthread_once(&init_once, init_fn);
}

const char *lk__av_err(int averr, char *buf, size_t n)
{
    if (av_strerror(averr, buf, n) < 0)
        snprintf(buf, n, "error %d", averr);
    return buf;
}

lk_status lk__av_status(int averr)
{
    if (averr == AVERROR(ENOMEM))
        return LK_ERR_NOMEM;
    if (averr == AVERROR(EIO) || averr == AVERROR(ENOENT) ||
        averr == AVERROR(EACCES) || averr == AVERROR(EISDIR))
        return LK_ERR_IO;
    return LK_ERR_FORMAT;
}

double lk__av_seconds(int64_t ts, int64_t start, AVRational tb)
{
    if (ts == AV_NOPTS_VALUE || tb.den == 0)
        return NAN;
    if (start == AV_NOPTS_VALUE)
        start = 0;
    /* In long double: a 64-bit difference of large timestamps must not
     * wrap, and 1/90000 s must survive hours of stream. */
    return (double)(((long double)ts - (long double)start) * tb.num / tb.den);
}

/* Reading an AVFormatContext's bytes from a source: a cursor per open
 * container, so that one source may be opened more than once. */
typedef struct cursor {
    lk__source *src;
    size_t pos;
} cursor;

static int cursor_read(void *opaque, uint8_t *buf, int size)
{
    cursor *c = opaque;
    const size_t n = lk__source_size(c->src);
    if (c->pos >= n)
        return AVERROR_EOF;
    size_t k = n - c->pos < (size_t)size ? n - c->pos : (size_t)size;
    memcpy(buf, lk__source_data(c->src) + c->pos, k);
    c->pos += k;
    lk__source_consumed(c->src, c->pos);
    return (int)k;
}

static int64_t cursor_seek(void *opaque, int64_t off, int whence)
{
    cursor *c = opaque;
    const int64_t n = (int64_t)lk__source_size(c->src);
    int64_t to;
    switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE:
        return n;
    case SEEK_SET:
        to = off;
        break;
    case SEEK_CUR:
        to = (int64_t)c->pos + off;
        break;
    case SEEK_END:
        to = n + off;
        break;
    default:
        return AVERROR(EINVAL);
    }
    if (to < 0)
        return AVERROR(EINVAL);
    c->pos = (size_t)(to > n ? n : to);
    return to;
}

/* The I/O context a container opened by lk__av_open() reads through. */
static void free_io(AVIOContext **pb)
{
    if (!*pb)
        return;
    free((*pb)->opaque);
    av_freep(&(*pb)->buffer);
    avio_context_free(pb);
}

void lk__av_close(AVFormatContext **fmt)
{
    if (!fmt || !*fmt)
        return;
    AVIOContext *pb = (*fmt)->pb;
    avformat_close_input(fmt);   /* leaves a custom pb alone */
    free_io(&pb);
}

enum { IO_BUFFER = 1 << 16 };

lk_status lk__av_open(lk__source *src, AVFormatContext **out)
{
    if (out)
        *out = NULL;
    if (!src || !out)
        return lk__error(LK_ERR_MISUSE, "av open: NULL argument");
    lk__av_init();
    const char *path = lk__source_name(src);

    AVFormatContext *fmt = avformat_alloc_context();
    cursor *c = lk__calloc(1, sizeof *c);
    uint8_t *buf = av_malloc(IO_BUFFER);
    AVIOContext *pb = c && buf ? avio_alloc_context(buf, IO_BUFFER, 0, c,
                                                    cursor_read, NULL,
                                                    cursor_seek)
                               : NULL;
    if (!fmt || !pb) {
        if (!pb)
            av_free(buf);
        free(c);
        avio_context_free(&pb);
        avformat_free_context(fmt);
        return lk__error(LK_ERR_NOMEM, "%s: out of memory", path);
    }
    c->src = src;
    fmt->pb = pb;
    fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    AVDictionary *opts = NULL;
    /* The bytes come from the source alone; a playlist may name no other
     * file or address. */
    av_dict_set(&opts, "protocol_whitelist", "none", 0);
    av_dict_set(&opts, "format_whitelist", container_whitelist, 0);
    /* Enough to find the streams of any real file; bounded for hostile
     * ones that declare hundreds of streams or hide them late. */
    av_dict_set(&opts, "probesize", "10000000", 0);
    av_dict_set(&opts, "analyzeduration", "10000000", 0);
    /* The name only for demuxers that look at an extension. */
    int rc = avformat_open_input(&fmt, path, NULL, &opts);
    av_dict_free(&opts);
    char e[128];
    if (rc < 0) {
        /* avformat_open_input frees fmt on failure, not a custom pb. */
        free_io(&pb);
        lk_status s = lk__av_status(rc);
        if (s != LK_ERR_FORMAT)
            return lk__error(s, "%s: cannot open (%s)", path,
                             lk__av_err(rc, e, sizeof e));
        /* The file starts as ISO base media (MP4, MOV, 3GP) do. */
        if (lk__source_size(src) >= 8 &&
            memcmp(lk__source_data(src) + 4, "ftyp", 4) == 0)
            return lk__error(LK_ERR_FORMAT, "%s: MP4/MOV file without a "
                             "readable index (moov box): truncated, or still "
                             "being written", path);
        if (rc == AVERROR_INVALIDDATA)
            return lk__error(LK_ERR_FORMAT, "%s: not a recognised image, "
                             "video or audio format", path);
        return lk__error(LK_ERR_FORMAT, "%s: cannot be read as video or "
                         "audio (ffmpeg: %s)", path,
                         lk__av_err(rc, e, sizeof e));
    }
    if ((rc = avformat_find_stream_info(fmt, NULL)) < 0) {
        lk__av_close(&fmt);
        return lk__error(lk__av_status(rc), "%s: cannot read stream "
                         "information (%s)", path, lk__av_err(rc, e, sizeof e));
    }
    *out = fmt;
    return LK_OK;
}

void lk__av_streams(const AVFormatContext *fmt, int *has_video,
                    int *has_audio, double *duration)
{
    *has_video = *has_audio = 0;
    *duration = NAN;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        const AVStream *st = fmt->streams[i];
        /* a cover picture is an image, not video */
        if (st->disposition & AV_DISPOSITION_ATTACHED_PIC)
            continue;
        *has_video |= st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO;
        *has_audio |= st->codecpar->codec_type == AVMEDIA_TYPE_AUDIO;
    }
    if (fmt->duration > 0)
        *duration = (double)fmt->duration / AV_TIME_BASE;
}
