/*
 * c2pa_craft.h — test-only C2PA signer: writes JPEG, PNG, WAV, MP3 and MP4
 * files carrying a C2PA manifest store the way a real signer lays it out
 * (JUMBF boxes,
 * CBOR assertions, a claim of hashed URIs, a COSE_Sign1 ES256 signature
 * with the certificate in x5chain, a c2pa.hash.data hard binding), and
 * the same files damaged in the ways a reader must survive.  The key and
 * a self-signed certificate are made at run time; the source image is
 * made with libvips, the source audio and video in C (a 0.5 s tone).
 * Nothing it writes is committed: tests and the fuzz
 * seeds (c2pa_craft --make-seeds DIR) make their files when they run.
 *
 * Not part of the engine: it links libcbor and OpenSSL itself, and it is
 * not thread-safe (one error buffer).
 */
#ifndef C2PA_CRAFT_H
#define C2PA_CRAFT_H

#include <stddef.h>
#include <stdint.h>

typedef enum c2pa_craft_container {
    C2PA_CRAFT_JPEG = 0,       /* APP11 segment(s) after the leading APPn */
    C2PA_CRAFT_PNG = 1,        /* a caBX chunk right after IHDR */
    C2PA_CRAFT_WAV = 2,        /* a "C2PA" chunk at the end of the RIFF
                                  (where c2pa-rs puts it); the exclusion
                                  is the chunk with its 8-byte header */
    C2PA_CRAFT_MP3 = 3,        /* an ID3v2.4 tag in front holding one GEOB
                                  frame; the exclusion is the store's bytes
                                  inside the frame (as c2pa-rs does) */
    C2PA_CRAFT_MP4 = 4,        /* a C2PA uuid box right after ftyp, chunk
                                  offsets (stco/co64) moved; the exclusion
                                  is the whole uuid box */
    C2PA_CRAFT_CONTAINER_COUNT
} c2pa_craft_container;

typedef enum c2pa_craft_damage {
    C2PA_CRAFT_INTACT = 0,
    C2PA_CRAFT_PIXELS,         /* image data (WAV data chunk, MP3 audio
                                  frames, MP4 mdat) changed after signing:
                                  the hard binding no longer matches */
    C2PA_CRAFT_CLAIM,          /* one byte of the claim (its dc:title)
                                  changed after signing: the signature
                                  no longer verifies */
    C2PA_CRAFT_OTHER_KEY,      /* signed by a key that is not the one in
                                  the certificate */
    C2PA_CRAFT_TRUNCATED,      /* the JUMBF cut in the middle of the claim
                                  box (the container segment lengths are
                                  consistent, the boxes' are not) */
    C2PA_CRAFT_FILE_CUT,       /* the file itself ends inside the APP11
                                  segment / caBX chunk / C2PA chunk / ID3
                                  tag / uuid box (halfway through the
                                  excluded bytes) */
    C2PA_CRAFT_BOX_OVERLONG,   /* a box declares more bytes than its
                                  parent holds */
    C2PA_CRAFT_BOX_SHORT,      /* a box declares a length of 4 (< 8) */
    C2PA_CRAFT_BOX_XL,         /* a box with LBox 1 and a 64-bit XLBox
                                  (xl_size) beyond the file */
    C2PA_CRAFT_CBOR_DEEP,      /* the actions assertion is 100000 nested
                                  one-element arrays (validly hashed and
                                  signed) */
    C2PA_CRAFT_CBOR_HUGE,      /* ... is {"actions": a byte string that
                                  declares 2^62 bytes} */
    C2PA_CRAFT_CBOR_OPEN,      /* ... is {"actions": an indefinite-length
                                  text string never terminated} */
    C2PA_CRAFT_DAMAGE_COUNT
} c2pa_craft_damage;

typedef struct c2pa_craft_params {
    c2pa_craft_container container;
    int width, height;         /* the generated source image; 96 x 64 */
    const char *action;        /* "c2pa.created" */
    const char *source_type;   /* IPTC digital source type term, e.g.
                                  "trainedAlgorithmicMedia"; NULL: none */
    const char *software_agent; /* the action's softwareAgent; NULL: none */
    const char *claim_generator; /* "c2pa_craft/1.0 likeness-tests" */
    const char *title;         /* dc:title; "c2pa_craft.jpg" */
    int claim_v2;              /* 1: C2PA 2.x: c2pa.claim.v2 with
                                  created_assertions and
                                  claim_generator_info, c2pa.actions.v2
                                  with softwareAgent as {"name": …} */
    size_t segment_max;        /* JPEG: at most this many JUMBF bytes per
                                  APP11 segment; 0: as many as fit (65517).
                                  A small value forces several segments */
    size_t filler;             /* bytes of an extra assertion, to make the
                                  store large; 0: none */
    c2pa_craft_damage damage;
    /* The box the BOX_* damages hit: the first content box of the JUMBF
     * superbox with this label ("c2pa.claim" when NULL; the v2 claim's
     * label is found for either); with damage_superbox, the superbox
     * itself. */
    const char *damage_label;
    int damage_superbox;
    uint64_t xl_size;          /* BOX_XL: the 64-bit size; 2^40 */
    int tag_long;              /* 1: COSE tag 18 as d8 12 (valid, not the
                                  preferred one-byte d2 real signers write) */
    int bmff_hash;             /* MP4 only, 1: a c2pa.hash.bmff.v2 hard
                                  binding instead of c2pa.hash.data, as
                                  real MP4 signers write.  Its exclusions
                                  are /ftyp, the C2PA /uuid and /mfra; its
                                  hash is the sha256 of the bytes after the
                                  uuid box (the v1 reading: v2's per-box
                                  offsets are not hashed), so it is for
                                  readers that do not check it */
    const char *geob_mime;     /* MP3: the GEOB frame's MIME type; NULL:
                                  "application/x-c2pa-manifest-store"
                                  (C2PA 1.x; c2pa-rs now writes
                                  "application/c2pa" and reads both) */
    int cose_float_payload;    /* 1: the COSE_Sign1's payload slot holds
                                  a float instead of nil (malformed; a
                                  fuzzer find: libcbor 0.8's cbor_is_null()
                                  aborts on a float) */
    const char *signer_pem;    /* sign with the key and certificate this
                                  PEM file holds (a private key, then the
                                  certificate), made and written there
                                  when the file does not exist; NULL: a
                                  new key for each file */
} c2pa_craft_params;

/** An intact AI-generated JPEG: trainedAlgorithmicMedia, c2pa.created,
 * softwareAgent "Likeness Test Diffusion 1.0". */
c2pa_craft_params c2pa_craft_default_params(void);

/** A plain JPEG or PNG (a w x h RGB pattern, via libvips), or a plain
 * WAV (16 kHz mono 16-bit PCM), MP3 (ID3-less MPEG-1 Layer III silent
 * frames) or MP4 (ftyp, moov with one PCM audio track, mdat) holding
 * 0.5 s of a tone (w and h unused), malloc'd into *out.  0 or -1 (see
 * c2pa_craft_error()). */
int c2pa_craft_image(c2pa_craft_container c, int w, int h,
                     uint8_t **out, size_t *n);

/** Sign img (a JPEG, PNG, WAV, MP3 without an ID3 tag, or MP4 starting
 * with ftyp, as p->container says) and apply p->damage.  The result is
 * malloc'd into *out.  0 or -1. */
int c2pa_craft_sign(const uint8_t *img, size_t n,
                    const c2pa_craft_params *p, uint8_t **out, size_t *outn);

/** The file in signed (c2pa_craft_sign()) into out.  0 or -1. */
int c2pa_craft_sign_file(const char *in, const char *out,
                         const c2pa_craft_params *p);

/** c2pa_craft_image() then c2pa_craft_sign(), written to path.  0 or -1. */
int c2pa_craft_write(const char *path, const c2pa_craft_params *p);

/** png with a tEXt chunk key\0text inserted after IHDR, malloc'd into
 * *out.  0 or -1. */
int c2pa_craft_png_add_text(const uint8_t *png, size_t n, const char *key,
                            const char *text, uint8_t **out, size_t *outn);

/** Write n bytes to path.  0 or -1. */
int c2pa_craft_write_file(const char *path, const void *data, size_t n);

/** Fuzz seeds: every damage in every container, split segments, v2, an
 * MP4 with c2pa.hash.bmff.v2, into dir (which must exist).  The number of
 * files written, or -1. */
int c2pa_craft_make_seeds(const char *dir);

/** The container's usual file extension ("jpg", "png", "wav", "mp3",
 * "mp4"). */
const char *c2pa_craft_extension(c2pa_craft_container c);

/** The damage's short name ("intact", "pixels", …). */
const char *c2pa_craft_damage_name(c2pa_craft_damage d);

/** What the last failing call could not do. */
const char *c2pa_craft_error(void);

#endif
