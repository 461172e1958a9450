/*
 * model.c — the voice model file: format version 1, a GMM-UBM and the MAP
 * relevance factor, with the front-end settings it was trained with.  The
 * file comes from disk and is treated as untrusted: every size is checked
 * against the bytes present and every number for range before use.  Also
 * what the synthetic-speech model file (spoof.c) reads and writes the same
 * way: the front-end settings, a GMM's parameters, the bytes to disk.
 *
 * Layout (little-endian):
 *   0  "LKVOICE1"                 8 bytes
 *   8  u32 version (1), u32 header bytes (64)
 *  16  u32 sample rate, frame, hop, nfft, mels, cepstra, feature dim,
 *      components
 *  48  f32 relevance, f32 mel low Hz, f32 mel high Hz, u32 reserved (0)
 *  64  f32 weights[C], means[C][D], variances[C][D]
 */
#include "voice/voice_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER 64
static const char magic[8] = {'L', 'K', 'V', 'O', 'I', 'C', 'E', '1'};

/* Larger than a 4096-component model; refuses a runaway file early. */
#define MAX_MODEL_BYTES ((size_t)64 << 20)

lk_status lk__voice_front_check(const uint8_t *p, uint32_t nfilt,
                                const char *filt, const char *name)
{
    const uint32_t want[7] = {LK__VOICE_RATE, LK__VOICE_FRAME, LK__VOICE_HOP,
                              LK__VOICE_NFFT, nfilt, LK__VOICE_NCEP,
                              LK__VOICE_DIM};
    const char *const what[7] = {"sample rate", "frame", "hop", "FFT", filt,
                                 "cepstra", "feature dim"};
    for (int i = 0; i < 7; i++) {
        uint32_t v = lk__le32(p + 4 * i);
        if (v != want[i])
            return lk__error(LK_ERR_MODEL, "%s: %s %u differs from this "
                             "build's front end (%u)", name, what[i], v,
                             want[i]);
    }
    return LK_OK;
}

lk_status lk__voice_gmm_parse(const uint8_t *p, lk__gmm *g, const char *name,
                              const char *cls)
{
    const size_t C = (size_t)g->c, D = (size_t)g->d;
    /* "name: bona fide weight ..." or "name: weight ...". */
    const char *c1 = cls ? cls : "", *c2 = cls ? " " : "";
    double wsum = 0;
    for (size_t c = 0; c < C; c++, p += 4) {
        float w = lk__le_f32(p);
        if (!(w > 0 && w <= 1))
            return lk__error(LK_ERR_MODEL, "%s: %s%sweight %zu is %g (not in "
                             "(0, 1])", name, c1, c2, c, (double)w);
        g->w[c] = w;
        wsum += w;
    }
    if (fabs(wsum - 1.0) > 1e-3)
        return lk__error(LK_ERR_MODEL, "%s: %s%sweights sum to %g, not 1",
                         name, c1, c2, wsum);
    for (size_t i = 0; i < C * D; i++, p += 4) {
        float v = lk__le_f32(p);
        if (!isfinite(v) || fabsf(v) > 1e4f)
            return lk__error(LK_ERR_MODEL, "%s: %s%smean %zu is %g", name, c1,
                             c2, i, (double)v);
        g->mu[i] = v;
    }
    for (size_t i = 0; i < C * D; i++, p += 4) {
        float v = lk__le_f32(p);
        if (!(v >= 1e-8f && v <= 1e6f))
            return lk__error(LK_ERR_MODEL, "%s: %s%svariance %zu is %g", name,
                             c1, c2, i, (double)v);
        g->var[i] = v;
    }
    lk__gmm_prepare(g);
    return LK_OK;
}

uint8_t *lk__voice_gmm_put(uint8_t *p, const lk__gmm *g)
{
    const size_t C = (size_t)g->c, D = (size_t)g->d;
    /* Weights renormalised in double so the file sums to 1 however EM
     * rounded. */
    double wsum = 0;
    for (size_t c = 0; c < C; c++)
        wsum += g->w[c];
    for (size_t c = 0; c < C; c++, p += 4)
        lk__put_le_f32(p, (float)(g->w[c] / wsum));
    for (size_t i = 0; i < C * D; i++, p += 4)
        lk__put_le_f32(p, g->mu[i]);
    for (size_t i = 0; i < C * D; i++, p += 4)
        lk__put_le_f32(p, g->var[i]);
    return p;
}

lk_status lk__voice_write_bytes(const char *path, const uint8_t *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return lk__error(LK_ERR_IO, "%s: %s", path, strerror(errno));
    size_t wrote = fwrite(b, 1, n, f);
    if (fclose(f) != 0 || wrote != n)
        return lk__error(LK_ERR_IO, "%s: write failed (%s)", path,
                         strerror(errno));
    return LK_OK;
}

void lk__voice_model_free(lk__voice_model *m)
{
    if (!m)
        return;
    lk__gmm_free(&m->ubm);
    free(m->scale);
    free(m->name);
    free(m);
}

int lk__voice_model_dim(const lk__voice_model *m)
{
    return m ? m->dim : 0;
}

lk_status lk__voice_model_parse(const uint8_t *b, size_t n, const char *name,
                                lk__voice_model **out)
{
    if (out)
        *out = NULL;
    if (!out || (!b && n))
        return lk__error(LK_ERR_MISUSE, "voice model: NULL argument");
    if (!name)
        name = "voice model";
    if (n < HEADER || memcmp(b, magic, sizeof magic) != 0)
        return lk__error(LK_ERR_MODEL, "%s: not a Likeness voice model (bad "
                         "magic or shorter than its header)", name);
    uint32_t version = lk__le32(b + 8), hdr = lk__le32(b + 12);
    if (version != 1 || hdr != HEADER)
        return lk__error(LK_ERR_MODEL, "%s: voice model format version %u "
                         "(header %u bytes); this build reads version 1",
                         name, version, hdr);
    lk_status s = lk__voice_front_check(b + 16, LK__VOICE_NMEL, "mel bands",
                                        name);
    if (s != LK_OK)
        return s;
    uint32_t C = lk__le32(b + 44);
    float rel = lk__le_f32(b + 48), lo = lk__le_f32(b + 52),
          hi = lk__le_f32(b + 56);
    if (C < 1 || C > 4096)
        return lk__error(LK_ERR_MODEL, "%s: %u components (1..4096)", name, C);
    if (!(rel > 0 && rel < 1e6f) || lo != 20.0f || hi != 7600.0f)
        return lk__error(LK_ERR_MODEL, "%s: bad relevance %g or mel range "
                         "%g-%g Hz", name, (double)rel, (double)lo, (double)hi);
    const size_t D = LK__VOICE_DIM;
    size_t need = HEADER + 4 * ((size_t)C + 2 * (size_t)C * D);
    if (n != need)
        return lk__error(LK_ERR_MODEL, "%s: %zu bytes where %u components "
                         "need %zu (truncated or corrupt)", name, n, C, need);

    lk__voice_model *m = lk__calloc(1, sizeof *m);
    if (!m)
        return LK_ERR_NOMEM;
    s = lk__gmm_alloc(&m->ubm, (int)C, (int)D);
    m->name = lk__strdup(name);
    m->scale = lk__calloc((size_t)C * D, sizeof *m->scale);
    if (s != LK_OK || !m->name || !m->scale) {
        lk__voice_model_free(m);
        return LK_ERR_NOMEM;
    }
    if ((s = lk__voice_gmm_parse(b + HEADER, &m->ubm, name, NULL)) != LK_OK) {
        lk__voice_model_free(m);
        return s;
    }
    m->relevance = rel;
    m->dim = (int)(C * D);
    for (size_t c = 0; c < C; c++)
        for (size_t j = 0; j < D; j++)
            m->scale[c * D + j] = sqrtf(m->ubm.w[c]) /
                                  sqrtf(m->ubm.var[c * D + j]);
    *out = m;
    return LK_OK;
}

lk_status lk__voice_model_read(const char *path, lk__voice_model **out)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return lk__error(LK_ERR_MISUSE, "voice model: NULL argument");
    uint8_t *buf;
    size_t n;
    lk_status s = lk__read_file(path, MAX_MODEL_BYTES, &buf, &n);
    if (s != LK_OK)
        return lk__error(LK_ERR_MODEL, "%s", lk_last_error());
    s = lk__voice_model_parse(buf, n, path, out);
    free(buf);
    return s;
}

lk_status lk__voice_model_write(const lk__gmm *g, float relevance,
                                const char *path)
{
    if (!g || !path || g->d != LK__VOICE_DIM || g->c < 1 || g->c > 4096)
        return lk__error(LK_ERR_MISUSE, "voice model write: bad model");
    const size_t C = (size_t)g->c, D = LK__VOICE_DIM;
    size_t n = HEADER + 4 * (C + 2 * C * D);
    uint8_t *b = lk__calloc(1, n);
    if (!b)
        return LK_ERR_NOMEM;
    memcpy(b, magic, sizeof magic);
    const uint32_t h[10] = {1, HEADER, LK__VOICE_RATE, LK__VOICE_FRAME,
                            LK__VOICE_HOP, LK__VOICE_NFFT, LK__VOICE_NMEL,
                            LK__VOICE_NCEP, LK__VOICE_DIM, (uint32_t)C};
    for (int i = 0; i < 10; i++)
        lk__put_le32(b + 8 + 4 * i, h[i]);
    lk__put_le_f32(b + 48, relevance);
    lk__put_le_f32(b + 52, 20.0f);
    lk__put_le_f32(b + 56, 7600.0f);
    lk__voice_gmm_put(b + HEADER, g);
    lk_status s = lk__voice_write_bytes(path, b, n);
    free(b);
    return s;
}
