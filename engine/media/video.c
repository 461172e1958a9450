/*
 * video.c — frame sampling, shot-change scores and rotation (media/video.h);
 * the decoding itself is the demux pass's (media/demux.c).
 */
#include "media/video.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Sampling
 * ---------------------------------------------------------------------- */

void lk__sampler_init(lk__sampler *s, lk_sampling policy, double fps)
{
    s->policy = policy;
    s->interval = fps > 0 ? 1.0 / fps : 0.25;
    s->next = 0.0;
    s->last = NAN;
}

int lk__sampler_may_skip(const lk__sampler *s, double t)
{
    if (s->policy == LK_SAMPLE_KEYFRAMES || isnan(t))
        return 0;
    /* A little slack: a frame due within a microsecond of the grid point is
     * the one to sample. */
    return t < s->next - 1e-6;
}

int lk__sampler_take(lk__sampler *s, double t, int key, int cut)
{
    if (isnan(t))
        t = isnan(s->last) ? 0.0 : s->last;
    if (!isnan(s->last) && t < s->last)
        s->next = t;                       /* time went back: restart */
    s->last = t;
    if (s->policy == LK_SAMPLE_KEYFRAMES)
        return key;
    int take = t >= s->next - 1e-6 || (s->policy == LK_SAMPLE_SCENE && cut);
    if (take)
        s->next = (floor(t / s->interval + 1e-6) + 1.0) * s->interval;
    return take;
}

float lk__scene_score(const uint8_t *a, const uint8_t *b, int n)
{
    if (n <= 0)
        return 0.0f;
    int ha[32] = {0}, hb[32] = {0};
    int64_t sad = 0;
    for (int i = 0; i < n; i++) {
        ha[a[i] >> 3]++;
        hb[b[i] >> 3]++;
        sad += abs((int)a[i] - (int)b[i]);
    }
    int64_t l1 = 0;
    for (int i = 0; i < 32; i++)
        l1 += abs(ha[i] - hb[i]);
    const double hist = (double)l1 / (2.0 * n);
    double mad = 2.0 * (double)sad / (255.0 * n);
    if (mad > 1.0)
        mad = 1.0;
    return (float)(0.5 * hist + 0.5 * mad);
}

int lk__scene_is_cut(float score, float *avg, float threshold)
{
    const int cut = score >= threshold && score >= 3.0f * *avg;
    /* The mean follows within-shot change within a few frames; a cut's own
     * score is capped so that one cut hides the next for a frame or two
     * only. */
    *avg = 0.7f * *avg + 0.3f * fminf(score, 2.0f * threshold);
    return cut;
}

void lk__rgb_rotate(const uint8_t *src, int w, int h, int stride, int angle,
                    uint8_t *dst, int dst_stride)
{
    for (int y = 0; y < h; y++) {
        const uint8_t *row = src + (size_t)y * stride;
        for (int x = 0; x < w; x++) {
            int dx, dy;
            if (angle == 90) {
                dx = h - 1 - y;
                dy = x;
            } else if (angle == 180) {
                dx = w - 1 - x;
                dy = h - 1 - y;
            } else {                       /* 270 */
                dx = y;
                dy = w - 1 - x;
            }
            memcpy(dst + (size_t)dy * dst_stride + (size_t)dx * 3, row + x * 3,
                   3);
        }
    }
}
