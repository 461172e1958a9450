/*
 * av.c — FFmpeg's process-wide set-up and the one safe way an untrusted
 * file is opened for demuxing, shared by video and audio decoding.
 *
 * Uploads are hostile: a playlist (HLS, concat, DASH, image sequences)
 * would make FFmpeg open other files or the network.  So input is read
 * through the file protocol only, by container demuxers from a list of
 * real media containers; anything else is refused by name.
 */
#include "media/av.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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

/* The file starts as ISO base media (MP4, MOV, 3GP) do: an ftyp box. */
static int iso_media(const char *path)
{
    unsigned char h[8];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(h, 1, sizeof h, f);
    fclose(f);
    return n == 8 && memcmp(h + 4, "ftyp", 4) == 0;
}

lk_status lk__av_open(const char *path, AVFormatContext **out)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return lk__error(LK_ERR_MISUSE, "av open: NULL argument");
    lk__av_init();

    struct stat st;
    if (stat(path, &st) != 0)
        return lk__error(LK_ERR_IO, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return lk__error(LK_ERR_IO, "%s: is a directory, not a media file",
                         path);
    if (!S_ISREG(st.st_mode))
        return lk__error(LK_ERR_IO, "%s: not a regular file", path);
    if (st.st_size == 0)
        return lk__error(LK_ERR_FORMAT, "%s: file is empty", path);

    AVFormatContext *fmt = avformat_alloc_context();
    if (!fmt)
        return lk__error(LK_ERR_NOMEM, "%s: out of memory", path);
    AVDictionary *opts = NULL;
    av_dict_set(&opts, "protocol_whitelist", "file", 0);
    av_dict_set(&opts, "format_whitelist", container_whitelist, 0);
    /* Enough to find the streams of any real file; bounded for hostile
     * ones that declare hundreds of streams or hide them late. */
    av_dict_set(&opts, "probesize", "10000000", 0);
    av_dict_set(&opts, "analyzeduration", "10000000", 0);
    /* A path is a path: "file:" would be parsed as a protocol prefix. */
    char *url = av_asprintf("file:%s", path);
    if (!url) {
        av_dict_free(&opts);
        avformat_free_context(fmt);
        return lk__error(LK_ERR_NOMEM, "%s: out of memory", path);
    }
    int rc = avformat_open_input(&fmt, url, NULL, &opts);
    av_free(url);
    av_dict_free(&opts);
    char e[128];
    if (rc < 0) {
        /* avformat_open_input frees fmt on failure. */
        lk_status s = lk__av_status(rc);
        if (s != LK_ERR_FORMAT)
            return lk__error(s, "%s: cannot open (%s)", path,
                             lk__av_err(rc, e, sizeof e));
        if (iso_media(path))
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
        avformat_close_input(&fmt);
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
