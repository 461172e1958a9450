/*
 * cv_bridge.cpp — the only C++ in the engine: OpenCV DNN networks and the
 * warp that turns pixels into network input.  Every entry point catches
 * every exception and reports it through lk__error(), so C callers see an
 * lk_status and nothing else.
 */
extern "C" {
/* core.h has no C++ guards of its own: its functions are C. */
#include "core/core.h"
}
#include "cv/cv_bridge.h"

#include <cmath>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

struct lk__cv_net {
    cv::dnn::Net net;
    std::vector<cv::Mat> outs;  /* keeps forward's outputs alive */
    std::string name;
};

/* One place for the three catches every entry point needs. */
#define LK__CV_CATCH(who)                                                    \
    catch (const cv::Exception &e) {                                         \
        return lk__error(LK_ERR_BACKEND, "%s: OpenCV: %s", (who), e.what()); \
    }                                                                        \
    catch (const std::bad_alloc &) {                                         \
        return lk__error(LK_ERR_NOMEM, "%s: out of memory", (who));          \
    }                                                                        \
    catch (const std::exception &e) {                                        \
        return lk__error(LK_ERR_BACKEND, "%s: %s", (who), e.what());         \
    }                                                                        \
    catch (...) {                                                            \
        return lk__error(LK_ERR_BACKEND, "%s: unknown C++ exception", (who)); \
    }

/* OpenCV logs its failures to stderr before it throws them, and the
 * library must not print: what it would say reaches the caller through
 * lk_last_error() instead.  The level is process-wide, so a host that uses
 * OpenCV itself and wants its log can raise it again after the first
 * session is made. */
static void quiet_opencv(void)
{
    static std::once_flag once;
    std::call_once(once, [] {
        cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    });
}

extern "C" void lk__cv_set_threads(int n)
{
    try {
        cv::setNumThreads(n > 0 ? n : -1);
    } catch (...) {
        /* A pool that cannot be resized keeps its old size: not fatal. */
    }
}

extern "C" lk_status lk__cv_net_new(const char *name, const uint8_t *onnx,
                                    size_t n, lk__cv_net **out)
{
    if (!out)
        return lk__error(LK_ERR_MISUSE, "lk__cv_net_new: out is NULL");
    *out = nullptr;
    const char *what = name ? name : "model";
    if (!onnx || n == 0)
        return lk__error(LK_ERR_MODEL, "%s: weights not loaded", what);
    lk__cv_net *net = nullptr;
    try {
        quiet_opencv();
        cv::dnn::Net parsed = cv::dnn::readNetFromONNX(
            reinterpret_cast<const char *>(onnx), n);
        if (parsed.empty())
            return lk__error(LK_ERR_MODEL, "%s: not a usable ONNX network",
                             what);
        parsed.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        parsed.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
        net = new lk__cv_net;
        net->net = parsed;
        net->name = what;
    } catch (const cv::Exception &e) {
        delete net;
        return lk__error(LK_ERR_MODEL, "%s: cannot load ONNX network: %s",
                         what, e.what());
    }
    catch (const std::bad_alloc &) {
        delete net;
        return lk__error(LK_ERR_NOMEM, "%s: out of memory", what);
    }
    catch (...) {
        delete net;
        return lk__error(LK_ERR_MODEL, "%s: cannot load ONNX network", what);
    }
    *out = net;
    return LK_OK;
}

extern "C" void lk__cv_net_free(lk__cv_net *net)
{
    try {
        delete net;
    } catch (...) {
        /* Destructors of OpenCV objects do not throw; nothing to report. */
    }
}

extern "C" lk_status lk__cv_net_forward(lk__cv_net *net, const float *input,
                                        const int shape[4],
                                        const char *const *names, int n_out,
                                        lk__cv_tensor *out)
{
    if (!net || !input || !shape || !out || n_out <= 0)
        return lk__error(LK_ERR_MISUSE, "lk__cv_net_forward: bad arguments");
    for (int i = 0; i < 4; i++)
        if (shape[i] <= 0)
            return lk__error(LK_ERR_MISUSE, "%s: empty input batch",
                             net->name.c_str());
    try {
        int sizes[4] = {shape[0], shape[1], shape[2], shape[3]};
        /* The caller's buffer is wrapped, not copied: it outlives the call. */
        cv::Mat blob(4, sizes, CV_32F, const_cast<float *>(input));
        std::vector<cv::String> want;
        if (names) {
            for (int i = 0; i < n_out; i++)
                want.emplace_back(names[i]);
        } else {
            want = net->net.getUnconnectedOutLayersNames();
            if ((int)want.size() < n_out)
                return lk__error(LK_ERR_BACKEND, "%s: has %d outputs, not %d",
                                 net->name.c_str(), (int)want.size(), n_out);
            want.resize((size_t)n_out);
        }
        net->outs.clear();
        net->net.setInput(blob);
        net->net.forward(net->outs, want);
        if ((int)net->outs.size() != n_out)
            return lk__error(LK_ERR_BACKEND, "%s: %d outputs, expected %d",
                             net->name.c_str(), (int)net->outs.size(), n_out);
        for (int i = 0; i < n_out; i++) {
            cv::Mat &m = net->outs[(size_t)i];
            if (m.type() != CV_32F || !m.isContinuous())
                m = m.clone();
            if (m.depth() != CV_32F)
                return lk__error(LK_ERR_BACKEND, "%s: output %s is not float",
                                 net->name.c_str(), want[(size_t)i].c_str());
            out[i].data = m.ptr<float>();
            out[i].count = m.total();
            out[i].dims = m.dims;
            for (int d = 0; d < 4; d++)
                out[i].shape[d] = d < m.dims ? m.size[d] : 1;
        }
    }
    LK__CV_CATCH(net->name.c_str())
    return LK_OK;
}

/* Fill a planar blob with one normalised value: what a border reads as. */
static void fill_blob(float *dst, size_t n, float v)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = v;
}

extern "C" lk_status lk__cv_warp_to_blob(const lk__cv_image *src,
                                         const double m[6], int out_w,
                                         int out_h, lk__channels order,
                                         float mean, float scale, float border,
                                         float *dst)
{
    static const char what[] = "image warp";
    if (!src || !m || !dst || !src->data)
        return lk__error(LK_ERR_MISUSE, "%s: NULL argument", what);
    if (src->w <= 0 || src->h <= 0 ||
        (src->channels != 1 && src->channels != 3 && src->channels != 4) ||
        src->stride < 0 ||
        (int64_t)src->stride < (int64_t)src->w * src->channels)
        return lk__error(LK_ERR_MISUSE, "%s: bad image %dx%d stride %d", what,
                         src->w, src->h, src->stride);
    if (out_w <= 0 || out_h <= 0 || out_w > 16384 || out_h > 16384)
        return lk__error(LK_ERR_MISUSE, "%s: bad output size %dx%d", what,
                         out_w, out_h);
    for (int i = 0; i < 6; i++)
        if (!std::isfinite(m[i]))
            return lk__error(LK_ERR_MISUSE, "%s: transform not finite", what);
    double det = m[0] * m[4] - m[1] * m[3];
    if (!(std::fabs(det) > 1e-12))
        return lk__error(LK_ERR_MISUSE, "%s: transform is singular", what);

    const int planes = order == LK__CH_GRAY ? 1 : 3;
    const size_t plane = (size_t)out_w * (size_t)out_h;
    try {
        /* Which part of the source the output can see: the inverse image of
         * the output rectangle, widened by the interpolation footprint. */
        const double ia = m[4] / det, ib = -m[1] / det;
        const double id = -m[3] / det, ie = m[0] / det;
        const double cx[4] = {0, (double)out_w, 0, (double)out_w};
        const double cy[4] = {0, 0, (double)out_h, (double)out_h};
        double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
        for (int k = 0; k < 4; k++) {
            double u = cx[k] - m[2], v = cy[k] - m[5];
            double x = ia * u + ib * v, y = id * u + ie * v;
            x0 = std::min(x0, x); x1 = std::max(x1, x);
            y0 = std::min(y0, y); y1 = std::max(y1, y);
        }
        /* output pixels per source pixel, along each axis on average */
        const double lin = std::sqrt(std::fabs(det));
        const double pad = 2.0 + 1.0 / lin;
        double rx0 = std::max(0.0, std::floor(x0 - pad));
        double ry0 = std::max(0.0, std::floor(y0 - pad));
        double rx1 = std::min((double)src->w, std::ceil(x1 + pad));
        double ry1 = std::min((double)src->h, std::ceil(y1 + pad));
        if (!(rx1 > rx0 && ry1 > ry0)) {
            fill_blob(dst, plane * (size_t)planes, (border - mean) * scale);
            return LK_OK;
        }
        cv::Rect roi((int)rx0, (int)ry0, (int)(rx1 - rx0), (int)(ry1 - ry0));
        /* Strong reductions are box-filtered by whole factors first (per
         * axis: kx source columns, ky rows to one pixel), which OpenCV does
         * in one fast pass when the part's size is a multiple of them (a
         * fractional INTER_AREA costs ~30x more).  Grow the part to a
         * multiple inside the image, or trim it by less than a factor. */
        const double sx = std::hypot(m[0], m[3]), sy = std::hypot(m[1], m[4]);
        const int kx = sx < 0.5 ? (int)std::min(std::floor(1.0 / sx), 1e6) : 1;
        const int ky = sy < 0.5 ? (int)std::min(std::floor(1.0 / sy), 1e6) : 1;
        if (kx > 1 || ky > 1) {
            int wk = (roi.width + kx - 1) / kx * kx;
            int hk = (roi.height + ky - 1) / ky * ky;
            if (roi.x + wk > src->w)
                wk = roi.width / kx * kx;
            if (roi.y + hk > src->h)
                hk = roi.height / ky * ky;
            if (wk > 0)
                roi.width = wk;
            if (hk > 0)
                roi.height = hk;
        }
        const int type = CV_8UC(src->channels);
        cv::Mat whole(src->h, src->w, type, const_cast<uint8_t *>(src->data),
                      (size_t)src->stride);
        cv::Mat part = whole(roi);

        /* m on the part's own grid, still in continuous coordinates */
        double mm[6] = {m[0], m[1], m[2] + m[0] * roi.x + m[1] * roi.y,
                        m[3], m[4], m[5] + m[3] * roi.x + m[4] * roi.y};

        /* Bilinear sampling of a strong reduction reads only a few source
         * pixels per output pixel and aliases; box-filter the part down by
         * the whole factors and warp what is left (a reduction under 2x,
         * which bilinear sampling handles). */
        cv::Mat small;
        const int bx = part.cols % kx == 0 ? kx : 1;
        const int by = part.rows % ky == 0 ? ky : 1;
        if (bx > 1 || by > 1) {
            cv::resize(part, small, cv::Size(part.cols / bx, part.rows / by),
                       0, 0, cv::INTER_AREA);
            /* small's pixel (i, j) is part's [i*bx, (i+1)*bx) x [j*by, ..) */
            mm[0] *= bx; mm[3] *= bx;
            mm[1] *= by; mm[4] *= by;
            part = small;
        }
        /* OpenCV puts pixel centres on integers, we put them at +0.5 */
        mm[2] += 0.5 * (mm[0] + mm[1]) - 0.5;
        mm[5] += 0.5 * (mm[3] + mm[4]) - 0.5;

        cv::Mat warped;
        cv::Mat M(2, 3, CV_64F, mm);
        cv::warpAffine(part, warped, M, cv::Size(out_w, out_h),
                       cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                       cv::Scalar::all(border));

        if (order == LK__CH_GRAY) {
            cv::Mat grey;
            if (src->channels == 1)
                grey = warped;
            else
                cv::cvtColor(warped, grey, src->channels == 4
                                               ? cv::COLOR_RGBA2GRAY
                                               : cv::COLOR_RGB2GRAY);
            for (int y = 0; y < out_h; y++) {
                const uint8_t *p = grey.ptr<uint8_t>(y);
                float *d = dst + (size_t)y * out_w;
                for (int x = 0; x < out_w; x++)
                    d[x] = ((float)p[x] - mean) * scale;
            }
            return LK_OK;
        }
        const int nc = src->channels;
        int pick[3] = {0, 1, 2};
        if (nc == 1)
            pick[1] = pick[2] = 0;
        else if (order == LK__CH_BGR)
            pick[0] = 2, pick[2] = 0;
        for (int y = 0; y < out_h; y++) {
            const uint8_t *p = warped.ptr<uint8_t>(y);
            float *d0 = dst + (size_t)y * out_w;
            float *d1 = d0 + plane, *d2 = d1 + plane;
            for (int x = 0; x < out_w; x++, p += nc) {
                d0[x] = ((float)p[pick[0]] - mean) * scale;
                d1[x] = ((float)p[pick[1]] - mean) * scale;
                d2[x] = ((float)p[pick[2]] - mean) * scale;
            }
        }
    }
    LK__CV_CATCH(what)
    return LK_OK;
}
