/*
 * names.h — the one table of names of the public enums: an X-macro list
 * per enum, X(value, name) (the status's X(value, name, text)).  names.c
 * expands each into the public lk_*_name() function (and lk_status_str(),
 * lk_sampling_from_name()); the JSON writer, the CLI and the tests use
 * those functions.  A name is what JSON Lines records and the CLI's
 * options carry: never change one (monitoring jobs parse them); a new enum
 * value needs a line here (names.c's switches then cover it: -Wswitch).
 */
#ifndef LK_CORE_NAMES_H
#define LK_CORE_NAMES_H

#include "likeness.h"

#include <jansson.h>
#include <stddef.h>

#define LK__STATUS_NAMES(X)                                                  \
    X(LK_OK, "ok", "ok")                                                     \
    X(LK_DONE, "done", "done")                                               \
    X(LK_ERR_IO, "io", "input/output error")                                 \
    X(LK_ERR_FORMAT, "format", "corrupt or unknown format")                  \
    X(LK_ERR_TOO_LARGE, "too_large", "input too large")                      \
    X(LK_ERR_MODEL, "model", "model missing or invalid")                     \
    X(LK_ERR_MODEL_MISMATCH, "model_mismatch",                               \
      "gallery made with another model")                                     \
    X(LK_ERR_NOMEM, "nomem", "out of memory")                                \
    X(LK_ERR_BACKEND, "backend", "backend failure")                          \
    X(LK_ERR_DB, "db", "database error")                                     \
    X(LK_ERR_MISUSE, "misuse", "invalid argument or call order")             \
    X(LK_ERR_NOT_FOUND, "not_found", "not found")                            \
    X(LK_ERR_EXISTS, "exists", "already exists")                             \
    X(LK_ERR_NO_FACE, "no_face", "no face found")                            \
    X(LK_ERR_MANY_FACES, "many_faces", "several faces found")               \
    X(LK_ERR_ALTERED, "altered", "audit log altered")

#define LK__MODALITY_NAMES(X)                                                \
    X(LK_MODALITY_FACE, "face")                                              \
    X(LK_MODALITY_VOICE, "voice")                                            \
    X(LK_MODALITY_AUTO, "auto")

#define LK__DECISION_NAMES(X)                                                \
    X(LK_NO_MATCH, "no_match")                                               \
    X(LK_MATCH, "match")

#define LK__SAMPLING_NAMES(X)                                                \
    X(LK_SAMPLE_SCENE, "scene")                                              \
    X(LK_SAMPLE_RATE, "rate")                                                \
    X(LK_SAMPLE_KEYFRAMES, "keyframes")

#define LK__MEDIA_KIND_NAMES(X)                                              \
    X(LK_MEDIA_IMAGE, "image")                                               \
    X(LK_MEDIA_VIDEO, "video")                                               \
    X(LK_MEDIA_AUDIO, "audio")

#define LK__AUDIT_FAULT_NAMES(X)                                             \
    X(LK_AUDIT_INTACT, "intact")                                             \
    X(LK_AUDIT_CHANGED, "changed")                                           \
    X(LK_AUDIT_DELETED, "deleted")                                           \
    X(LK_AUDIT_INSERTED, "inserted")                                         \
    X(LK_AUDIT_REORDERED, "reordered")                                       \
    X(LK_AUDIT_TRUNCATED, "truncated")                                       \
    X(LK_AUDIT_REDACTED, "redacted")                                         \
    X(LK_AUDIT_ANCHOR, "anchor")

#define LK__VERDICT_NAMES(X)                                                 \
    X(LK_VERDICT_NO_SIGNAL, "no-signal")                                     \
    X(LK_VERDICT_DECLARED_CAPTURE, "declared-capture")                       \
    X(LK_VERDICT_INVALID_MANIFEST, "invalid-manifest")                       \
    X(LK_VERDICT_LIKELY_SYNTHETIC, "likely-synthetic")                       \
    X(LK_VERDICT_DECLARED_AI, "declared-ai")

#define LK__SOURCE_CLASS_NAMES(X)                                            \
    X(LK_SOURCE_UNDECLARED, "undeclared")                                    \
    X(LK_SOURCE_CAPTURE, "capture")                                          \
    X(LK_SOURCE_OTHER, "other")                                              \
    X(LK_SOURCE_ALGORITHMIC, "algorithmic")                                  \
    X(LK_SOURCE_GENERATIVE, "generative")

#define LK__BINDING_NAMES(X)                                                 \
    X(LK_BINDING_NONE, "none")                                               \
    X(LK_BINDING_MATCH, "match")                                             \
    X(LK_BINDING_MISMATCH, "mismatch")                                       \
    X(LK_BINDING_UNCHECKED, "unchecked")

#define LK__SIGNATURE_NAMES(X)                                               \
    X(LK_SIGNATURE_NONE, "none")                                             \
    X(LK_SIGNATURE_VALID, "valid")                                           \
    X(LK_SIGNATURE_INVALID, "invalid")                                       \
    X(LK_SIGNATURE_UNVERIFIED, "unverified")                                 \
    X(LK_SIGNATURE_EXPIRED, "expired")

/* The uses' vocabulary (bits: lk_uses_parse() reads the names). */
#define LK__USE_NAMES(X)                                                     \
    X(LK_USE_DIGITAL_DOUBLE, "digital-double")                               \
    X(LK_USE_VOICE_CLONE, "voice-clone")                                     \
    X(LK_USE_DE_AGEING, "de-ageing")                                         \
    X(LK_USE_DUBBING, "dubbing")                                             \
    X(LK_USE_SYNTHETIC_PERFORMANCE, "synthetic-performance")                 \
    X(LK_USE_ADVERTISING, "advertising")                                     \
    X(LK_USE_AI_TRAINING, "ai-training")

/* Every use bit. */
#define LK__USE_BIT(value, name) | value
#define LK__USE_ALL (0u LK__USE_NAMES(LK__USE_BIT))

#define LK__LICENCE_STATUS_NAMES(X)                                          \
    X(LK_LICENCE_NONE, "none")                                               \
    X(LK_LICENCE_LICENSED, "licensed")                                       \
    X(LK_LICENCE_UNLICENSED, "unlicensed")                                   \
    X(LK_LICENCE_REFUSED, "refused")                                         \
    X(LK_LICENCE_REVOKED, "revoked")                                         \
    X(LK_LICENCE_EXPIRED, "expired")                                         \
    X(LK_LICENCE_OUT_OF_SCOPE, "out-of-scope")

#define LK__ACTION_NAMES(X)                                                  \
    X(LK_ACTION_NONE, "none")                                                \
    X(LK_ACTION_LICENSED, "licensed")                                        \
    X(LK_ACTION_REVIEW, "review")                                            \
    X(LK_ACTION_ALERT, "alert")

#define LK__BASIS_NAMES(X)                                                   \
    X(LK_BASIS_C2PA_SIGNER, "c2pa-signer")                                   \
    X(LK_BASIS_ASSET_HASH, "asset-hash")                                     \
    X(LK_BASIS_CONTEXT, "context")

/* The names of the uses in set uses, joined by sep, into buf (n bytes,
 * cut short when too small). */
void lk__uses_text(unsigned uses, const char *sep, char *buf, size_t n);

/* The names of a set of uses, and of a set of LK_BASIS_* bits, as a new
 * JSON list (NULL when out of memory). */
json_t *lk__uses_json(unsigned uses);
json_t *lk__basis_json(unsigned basis);

/* "digital-double, voice-clone, …": the uses' names, for messages. */
const char *lk__use_vocabulary(void);

/* What an out-of-range value is called. */
#define LK__NAME_UNKNOWN "unknown"

#endif
