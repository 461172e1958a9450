/*
 * names.c — the public enums' name functions, each a switch expanded from
 * its list in names.h, so that a value missing from a list is a -Wswitch
 * warning, and the one lookup the CLI needs (a --sampling name).
 */
#include "core/core.h"
#include "core/names.h"

#include <stdio.h>
#include <string.h>

#define NAME_CASE(value, name) case value: return name;
#define STATUS_NAME_CASE(value, name, text) case value: return name;
#define STATUS_TEXT_CASE(value, name, text) case value: return text;

/* const char *fn(type v): v's name from LIST, else unknown. */
#define NAME_FN(fn, type, LIST, CASE, unknown)                               \
    const char *fn(type v)                                                   \
    {                                                                        \
        switch (v) {                                                         \
            LIST(CASE)                                                       \
        }                                                                    \
        return unknown;                                                      \
    }

NAME_FN(lk_status_name, lk_status, LK__STATUS_NAMES, STATUS_NAME_CASE,
        LK__NAME_UNKNOWN)
NAME_FN(lk_status_str, lk_status, LK__STATUS_NAMES, STATUS_TEXT_CASE,
        "unknown status")
NAME_FN(lk_modality_name, lk_modality, LK__MODALITY_NAMES, NAME_CASE,
        LK__NAME_UNKNOWN)
NAME_FN(lk_decision_name, lk_decision, LK__DECISION_NAMES, NAME_CASE,
        LK__NAME_UNKNOWN)
NAME_FN(lk_sampling_name, lk_sampling, LK__SAMPLING_NAMES, NAME_CASE,
        LK__NAME_UNKNOWN)
NAME_FN(lk_media_kind_name, lk_media_kind, LK__MEDIA_KIND_NAMES, NAME_CASE,
        LK__NAME_UNKNOWN)
NAME_FN(lk_verdict_name, lk_verdict, LK__VERDICT_NAMES, NAME_CASE,
        LK__NAME_UNKNOWN)
NAME_FN(lk_source_class_name, lk_source_class, LK__SOURCE_CLASS_NAMES,
        NAME_CASE, LK__NAME_UNKNOWN)
NAME_FN(lk_binding_name, lk_binding, LK__BINDING_NAMES, NAME_CASE,
        LK__NAME_UNKNOWN)
NAME_FN(lk_signature_name, lk_signature, LK__SIGNATURE_NAMES, NAME_CASE,
        LK__NAME_UNKNOWN)
NAME_FN(lk_audit_fault_name, lk_audit_fault, LK__AUDIT_FAULT_NAMES,
        NAME_CASE, LK__NAME_UNKNOWN)

NAME_FN(lk_use_name, lk_use, LK__USE_NAMES, NAME_CASE, LK__NAME_UNKNOWN)
NAME_FN(lk_licence_status_name, lk_licence_status, LK__LICENCE_STATUS_NAMES,
        NAME_CASE, LK__NAME_UNKNOWN)
NAME_FN(lk_action_name, lk_action, LK__ACTION_NAMES, NAME_CASE,
        LK__NAME_UNKNOWN)
NAME_FN(lk_basis_name, unsigned, LK__BASIS_NAMES, NAME_CASE,
        LK__NAME_UNKNOWN)

lk_status lk_uses_parse(const char *list, unsigned *out)
{
    if (!out)
        return lk__error(LK_ERR_MISUSE, "lk_uses_parse: out is NULL");
    *out = 0;
    if (!list)
        return lk__error(LK_ERR_MISUSE, "lk_uses_parse: list is NULL");
    unsigned set = 0;
    for (const char *p = list;;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        unsigned bit = 0;
#define USE_BIT(value, name)                                                 \
        if (n == strlen(name) && !strncmp(p, name, n))                       \
            bit = value;
        LK__USE_NAMES(USE_BIT)
#undef USE_BIT
        if (!bit)
            return lk__error(LK_ERR_MISUSE, "'%.*s' is not a use (%s)",
                             (int)n, p, lk__use_vocabulary());
        set |= bit;
        if (!e)
            break;
        p = e + 1;
    }
    *out = set;
    return LK_OK;
}

void lk__uses_text(unsigned uses, const char *sep, char *buf, size_t n)
{
    size_t k = 0;
    if (n)
        buf[0] = '\0';
    for (unsigned b = 1; b && b <= uses && k < n; b <<= 1)
        if (uses & b) {
            int w = snprintf(buf + k, n - k, "%s%s", k ? sep : "",
                             lk_use_name((lk_use)b));
            k = w > 0 ? k + (size_t)w : n;
        }
}

/* The names of the bits set in bits, each by name(bit), as a JSON list. */
static json_t *bit_names(unsigned bits, const char *(*name)(unsigned))
{
    json_t *a = json_array();
    for (unsigned b = 1; a && b && b <= bits; b <<= 1)
        if (bits & b)
            json_array_append_new(a, json_string(name(b)));
    return a;
}

static const char *use_bit_name(unsigned b) { return lk_use_name((lk_use)b); }

json_t *lk__uses_json(unsigned uses) { return bit_names(uses, use_bit_name); }

json_t *lk__basis_json(unsigned basis)
{
    return bit_names(basis, lk_basis_name);
}

const char *lk__use_vocabulary(void)
{
#define USE_LIST(value, name) ", " name
    static const char all[] = LK__USE_NAMES(USE_LIST);
#undef USE_LIST
    return all + 2;
}

lk_status lk_sampling_from_name(const char *name, lk_sampling *out)
{
    if (!out)
        return lk__error(LK_ERR_MISUSE, "lk_sampling_from_name: out is NULL");
    *out = LK_SAMPLE_SCENE;
#define FROM_NAME(value, n)                                                  \
    if (name && !strcmp(name, n)) {                                          \
        *out = value;                                                        \
        return LK_OK;                                                        \
    }
    LK__SAMPLING_NAMES(FROM_NAME)
#undef FROM_NAME
    return lk__error(LK_ERR_MISUSE,
                     "'%s' is not a sampling policy (scene, rate, keyframes)",
                     name ? name : "(null)");
}
