/*
 * calib.c — calibration files (match/calib.h): parsing them as untrusted
 * input, the false-match rate at a score, and fitting one to measured
 * impostor scores (for the evaluation tools that make them).
 *
 * The model.  Within the measured range the rate is empirical: the
 * fraction of impostor comparisons at or above the grid point at or below
 * the score (a step down only at grid points, so it never under-states
 * the data).  Over the tail threshold u (the score exceeded by the top
 * tail_fraction of the impostors, k of n) it is a generalised Pareto tail
 *     FMR(s) = (k / n) (1 + shape (s - u) / scale) ^ (-1 / shape)
 * (the exponential (k / n) exp(-(s - u) / scale) at shape 0), fitted by
 * probability-weighted moments (Hosking and Wallis 1987), and never less
 * than the empirical rate where there is one.  Cosines are bounded by 1,
 * so a fitted negative shape would put an end point on the tail and claim
 * rates near zero just past the data: the shape is clamped at 0 (the
 * exponential, scale then its maximum-likelihood fit, the mean excess),
 * which can only over-state the rate.  The raw fitted shape and the
 * Kolmogorov-Smirnov distance of the exceedances from the model used are
 * written beside it for the record.  Under the floor, 1 / (10 n) (the
 * tail trusted one decade beyond the smallest rate n comparisons can
 * measure), nothing is claimed but "below the floor".
 */
#include "match/calib.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT "likeness-calibration/1"
#define GRID_START -1.0
#define GRID_STEP 0.01
#define GRID_N 201          /* -1.00, -0.99, ..., 1.00 */
#define MIN_TAIL 50
#define FLOOR_DECADES 1.0   /* how far under 1/n the tail is trusted */

struct lk__calib {
    char *model;
    double n;               /* impostor comparisons */
    double start, step;
    int n_grid;
    double *at_or_above;    /* counts at grid points, non-increasing */
    double u, k, shape, scale;  /* the tail */
    double floor;
};

void lk__calib_free(lk__calib *c)
{
    if (!c)
        return;
    free(c->model);
    free(c->at_or_above);
    free(c);
}

static int num_in(json_t *j, double lo, double hi, double *v)
{
    if (!json_is_number(j))
        return 0;
    *v = json_number_value(j);
    return isfinite(*v) && *v >= lo && *v <= hi;
}

lk_status lk__calib_parse(const char *text, size_t n, const char *name,
                          lk__calib **out)
{
    *out = NULL;
    json_error_t jerr;
    json_t *root = json_loadb(text, n, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return lk__error(LK_ERR_MODEL, "%s: calibration: %s (line %d)",
                         name, jerr.text, jerr.line);
    lk__calib *c = lk__calloc(1, sizeof *c);
    lk_status s = LK_ERR_NOMEM;
    const char *bad = NULL;
    if (!c)
        goto done;
    const char *fmt = json_string_value(json_object_get(root, "format"));
    const char *model = json_string_value(json_object_get(root, "model"));
    json_t *grid = json_object_get(root, "grid");
    json_t *tail = json_object_get(root, "tail");
    json_t *counts = json_object_get(grid, "at_or_above");
    const char *tm = json_string_value(json_object_get(tail, "model"));
    if (!fmt || strcmp(fmt, FORMAT)) {
        bad = "\"format\" is not \"" FORMAT "\"";
    } else if (!model) {
        bad = "no \"model\"";
    } else if (!num_in(json_object_get(root, "comparisons"), 1, 1e15,
                       &c->n)) {
        bad = "\"comparisons\" is not a positive count";
    } else if (!num_in(json_object_get(grid, "start"), -1, 1, &c->start) ||
               !num_in(json_object_get(grid, "step"), 1e-6, 2, &c->step) ||
               !json_is_array(counts) || json_array_size(counts) < 2 ||
               json_array_size(counts) > 100000) {
        bad = "\"grid\" needs start in -1..1, a positive step and "
              "\"at_or_above\" counts";
    } else if (!tm || strcmp(tm, "gpd") ||
               !num_in(json_object_get(tail, "u"), -1, 1, &c->u) ||
               !num_in(json_object_get(tail, "exceedances"), 1, c->n,
                       &c->k) ||
               !num_in(json_object_get(tail, "shape"), 0, 1, &c->shape) ||
               !num_in(json_object_get(tail, "scale"), 1e-9, 10, &c->scale)) {
        bad = "\"tail\" needs model \"gpd\", u in -1..1, exceedances in "
              "1..comparisons, a shape in 0..1 and a positive scale";
    } else if (!num_in(json_object_get(root, "floor"), 1e-15, 1,
                       &c->floor)) {
        bad = "\"floor\" is not a rate in (0, 1]";
    }
    if (bad) {
        s = lk__error(LK_ERR_MODEL, "%s: calibration: %s", name, bad);
        goto done;
    }
    c->n_grid = (int)json_array_size(counts);
    if (!(c->model = lk__strdup(model)) ||
        !(c->at_or_above = lk__calloc((size_t)c->n_grid, sizeof(double))))
        goto done;
    for (int i = 0; i < c->n_grid; i++) {
        double v;
        if (!num_in(json_array_get(counts, (size_t)i), 0, c->n, &v) ||
            (i && v > c->at_or_above[i - 1])) {
            s = lk__error(LK_ERR_MODEL, "%s: calibration: grid count %d is "
                          "not a count in 0..comparisons, no larger than "
                          "the one before", name, i);
            goto done;
        }
        c->at_or_above[i] = v;
    }
    s = LK_OK;
done:
    json_decref(root);
    if (s != LK_OK)
        lk__calib_free(c);
    else
        *out = c;
    return s;
}

/* The generalised Pareto tail at s >= u. */
static double tail(double u, double k_over_n, double shape, double scale,
                   double s)
{
    const double z = (s - u) / scale;
    return shape < 1e-9 ? k_over_n * exp(-z)
                        : k_over_n * pow(1.0 + shape * z, -1.0 / shape);
}

double lk__calib_fmr(const lk__calib *c, double score, int *below)
{
    /* the grid point at or below score (a hair of slack for scores that
     * are grid points written in decimal) */
    double x = floor((score - c->start) / c->step + 1e-9);
    int i = x < 0 ? -1 : x >= c->n_grid ? c->n_grid - 1 : (int)x;
    double p = i < 0 ? 1.0 : c->at_or_above[i] / c->n;
    if (score >= c->u)
        p = fmax(p, tail(c->u, c->k / c->n, c->shape, c->scale, score));
    const int under = !(p >= c->floor);
    if (below)
        *below = under;
    return under ? c->floor : p > 1.0 ? 1.0 : p;
}

const char *lk__calib_model(const lk__calib *c) { return c->model; }
double lk__calib_floor(const lk__calib *c) { return c->floor; }

/* ---- fitting ---------------------------------------------------------------- */

static int by_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

static json_t *strings(const char *const *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

lk_status lk__calib_write(const float *scores, size_t n, double tail_fraction,
                          const lk__calib_source *src, const char *path)
{
    if (n < 100 || !(tail_fraction > 0 && tail_fraction < 0.5))
        return lk__error(LK_ERR_MISUSE, "%s: a calibration needs 100 scores "
                         "or more (%zu given) and a tail fraction in "
                         "(0, 0.5)", path, n);
    float *s = lk__malloc(n * sizeof *s);
    if (!s)
        return LK_ERR_NOMEM;
    memcpy(s, scores, n * sizeof *s);
    qsort(s, n, sizeof *s, by_desc);
    size_t k = (size_t)ceil(tail_fraction * (double)n);
    if (k < MIN_TAIL)
        k = MIN_TAIL;
    /* u: the highest score under the top k, so that each of them exceeds
     * it (ties with u leave the tail) */
    while (k > 1 && s[k] == s[k - 1])
        k--;
    const double u = s[k];
    /* Probability-weighted moments over the ascending excesses (Hosking
     * and Wallis 1987): a0 the mean, a1 weighted by 1 - plotting
     * position. */
    double a0 = 0, a1 = 0;
    for (size_t r = 0; r < k; r++) {            /* ascending rank r */
        double y = (double)s[k - 1 - r] - u;
        a0 += y;
        a1 += (1.0 - ((double)r + 0.65) / (double)k) * y;
    }
    a0 /= (double)k;
    a1 /= (double)k;
    const double shape_pwm = 2.0 - a0 / (a0 - 2.0 * a1);
    double shape = shape_pwm, scale = 2.0 * a0 * a1 / (a0 - 2.0 * a1);
    if (!(shape > 0) || !(scale > 0)) {
        shape = 0;
        scale = a0;
    }
    if (shape > 0.9)
        shape = 0.9;
    /* Kolmogorov-Smirnov distance of the excesses from the tail used. */
    double ks = 0;
    for (size_t r = 0; r < k; r++) {
        double y = (double)s[k - 1 - r] - u;
        double F = 1.0 - tail(0, 1, shape, scale, y);
        ks = fmax(ks, fmax(fabs(F - (double)r / (double)k),
                           fabs(F - (double)(r + 1) / (double)k)));
    }
    json_t *counts = json_array();
    size_t at = 0;
    for (int i = GRID_N - 1; i >= 0; i--) {     /* from the top */
        const double g = GRID_START + GRID_STEP * i;
        while (at < n && s[at] >= g)
            at++;
        json_array_insert_new(counts, 0, json_integer((json_int_t)at));
    }
    const double floor_rate = pow(10.0, -FLOOR_DECADES) / (double)n;
    json_t *root = json_pack(
        "{s:s,s:s,s:s,s:s,s:{s:o,s:o,s:i,s:i,s:i},s:I,"
        "s:{s:f,s:f,s:o},"
        "s:{s:s,s:f,s:I,s:f,s:f,s:f,s:{s:f,s:f}},s:f,s:s}",
        "format", FORMAT, "model", src->model,
        "model_sha256", src->model_sha256 ? src->model_sha256 : "",
        "unit", src->unit,
        "data", "sets", strings(src->sets, src->n_sets),
        "held_out", strings(src->held_out, src->n_held_out),
        "identities", src->identities, "probes", src->probes,
        "templates", src->templates,
        "comparisons", (json_int_t)n,
        "grid", "start", GRID_START, "step", GRID_STEP,
        "at_or_above", counts,
        "tail", "model", "gpd", "u", u,
        "exceedances", (json_int_t)k, "shape", shape, "scale", scale,
        "top_fraction", (double)k / (double)n,
        "fit", "ks_distance", ks, "shape_pwm", shape_pwm,
        "floor", floor_rate,
        "floor_rule", "1/(10 x comparisons): the tail is trusted one decade "
                      "beyond the smallest rate the comparisons measure");
    free(s);
    if (!root)
        return LK_ERR_NOMEM;
    int rc = json_dump_file(root, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER |
                                            JSON_REAL_PRECISION(10));
    json_decref(root);
    if (rc != 0)
        return lk__error(LK_ERR_IO, "%s: cannot write the calibration", path);
    return LK_OK;
}
