/*
 * pipeline.h — what the orchestration layer (pipeline/) offers inside the
 * engine: reading a recording's sound for the trainers, which open no
 * files themselves.
 */
#ifndef LK_PIPELINE_H
#define LK_PIPELINE_H

#include "voice/voice.h"

/* An lk__pcm_read_fn: the sound of path (one source, one demux pass,
 * sound only; sampled at 16 kHz or better, else LK_ERR_FORMAT naming the
 * file), every chunk to push.  Codes of lk__audio_open() and
 * lk__audio_read(), or push's. */
lk_status lk__read_pcm_file(const char *path, lk__pcm_push_fn push, void *ctx);

#endif
