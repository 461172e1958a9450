/*
 * names.c — the public enums' name functions, each a switch expanded from
 * its list in names.h, so that a value missing from a list is a -Wswitch
 * warning, and the one lookup the CLI needs (a --sampling name).
 */
#include "core/core.h"
#include "core/names.h"

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
