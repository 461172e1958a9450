/*
 * align.c — the least-squares similarity transform that carries a face's
 * five landmarks onto the recogniser's template.
 */
#include "face/face.h"

#include <math.h>

/* Writing the similarity as [a -b; b a] + t makes the fit linear in
 * (a, b, t): on centred points the normal equations decouple and give
 * Umeyama's result directly, with no SVD and no reflection possible. */
int lk__similarity_fit(const float *src, const float *dst, int n,
                       double m[6])
{
    if (!src || !dst || !m || n < 1)
        return -1;
    double spx = 0, spy = 0, sqx = 0, sqy = 0;
    for (int i = 0; i < n; i++) {
        spx += src[2 * i];
        spy += src[2 * i + 1];
        sqx += dst[2 * i];
        sqy += dst[2 * i + 1];
    }
    const double mpx = spx / n, mpy = spy / n, mqx = sqx / n, mqy = sqy / n;
    double var = 0, sa = 0, sb = 0;
    for (int i = 0; i < n; i++) {
        const double px = src[2 * i] - mpx, py = src[2 * i + 1] - mpy;
        const double qx = dst[2 * i] - mqx, qy = dst[2 * i + 1] - mqy;
        var += px * px + py * py;
        sa += px * qx + py * qy;
        sb += px * qy - py * qx;
    }
    /* var is a sum of squares: only coincident (or non-finite) points make
     * it vanish (NaN fails the test too), and then no rotation or scale is
 * determined. */
    if (!(var > 1e-12))
        return -1;
    const double a = sa / var, b = sb / var;
    if (!isfinite(a) || !isfinite(b) || !isfinite(mqx) || !isfinite(mqy))
        return -1;
    m[0] = a;
    m[1] = -b;
    m[2] = mqx - (a * mpx - b * mpy);
    m[3] = b;
    m[4] = a;
    m[5] = mqy - (b * mpx + a * mpy);
    return 0;
}
