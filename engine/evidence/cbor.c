/*
 * cbor.c — CBOR from untrusted files, through libcbor.
 *
 * libcbor's cbor_load() trusts the sizes a document declares: a 9-byte item
 * declaring an array of 2^27 elements makes it allocate a gigabyte of
 * pointers before finding the data missing, and its recursive cbor_decref()
 * overflows the stack on a document nested 100000 deep.  So every document
 * is first walked with libcbor's own streaming decoder, which allocates
 * nothing: each declared element count must fit in the bytes left (every
 * element takes at least one), nesting may not exceed LK__CBOR_MAX_DEPTH,
 * the items may not exceed LK__CBOR_MAX_ITEMS (libcbor spends some 60
 * bytes on each: a 64 MB array of one-byte integers would take 4 GB), and
 * the document must end inside the buffer.  Only then is it loaded.
 */
#include "evidence/evidence.h"

#include <stdlib.h>
#include <string.h>

typedef struct check {
    const uint8_t *base;
    size_t n;
    size_t pos;                     /* offset of the item being decoded */
    /* Elements still expected per open container; -1: indefinite. */
    int64_t left[LK__CBOR_MAX_DEPTH + 1];
    int depth;                      /* open containers (the root is 0) */
    size_t items;                   /* items seen */
    int done, bad;
    const char *why;
} check;

static void fail(check *c, const char *why)
{
    if (!c->bad) {
        c->bad = 1;
        c->why = why;
    }
}

/* One complete item was read at this level: count it, and close the
 * definite containers it completes. */
static void item_done(check *c)
{
    if (++c->items > LK__CBOR_MAX_ITEMS)
        fail(c, "holds too many items");
    while (c->depth >= 0) {
        if (c->left[c->depth] < 0)
            return;                 /* indefinite: ends at its break */
        if (--c->left[c->depth] > 0)
            return;
        c->depth--;                 /* this container is complete */
    }
    c->done = 1;
}

static void open_container(check *c, int64_t elements)
{
    if (c->depth + 1 > LK__CBOR_MAX_DEPTH) {
        fail(c, "nested too deep");
        return;
    }
    if (elements == 0) {
        item_done(c);
        return;
    }
    c->left[++c->depth] = elements;
}

static void on_scalar(void *ctx) { item_done(ctx); }
static void on_u8(void *ctx, uint8_t v) { (void)v; item_done(ctx); }
static void on_u16(void *ctx, uint16_t v) { (void)v; item_done(ctx); }
static void on_u32(void *ctx, uint32_t v) { (void)v; item_done(ctx); }
static void on_u64(void *ctx, uint64_t v) { (void)v; item_done(ctx); }
static void on_float(void *ctx, float v) { (void)v; item_done(ctx); }
static void on_double(void *ctx, double v) { (void)v; item_done(ctx); }
static void on_bool(void *ctx, bool v) { (void)v; item_done(ctx); }
static void on_tag(void *ctx, uint64_t v) { (void)ctx; (void)v; }

static void on_string(void *ctx, cbor_data data, uint64_t len)
{
    (void)data;
    (void)len;
    item_done(ctx);
}

static void on_indef(void *ctx) { open_container(ctx, -1); }

static void on_collection(check *c, uint64_t elements, int pairs)
{
    size_t left = c->n - c->pos;
    if (elements > left || (pairs && elements > left / 2)) {
        fail(c, "declares more elements than it has bytes");
        return;
    }
    open_container(c, (int64_t)elements * (pairs ? 2 : 1));
}

static void on_array(void *ctx, uint64_t n) { on_collection(ctx, n, 0); }
static void on_map(void *ctx, uint64_t n) { on_collection(ctx, n, 1); }

static void on_break(void *ctx)
{
    check *c = ctx;
    if (c->depth < 1 || c->left[c->depth] >= 0) {
        fail(c, "a break outside an indefinite item");
        return;
    }
    c->depth--;
    item_done(c);
}

static const struct cbor_callbacks callbacks = {
    .uint8 = on_u8, .uint16 = on_u16, .uint32 = on_u32, .uint64 = on_u64,
    .negint8 = on_u8, .negint16 = on_u16, .negint32 = on_u32,
    .negint64 = on_u64,
    .byte_string = on_string, .byte_string_start = on_indef,
    .string = on_string, .string_start = on_indef,
    .array_start = on_array, .indef_array_start = on_indef,
    .map_start = on_map, .indef_map_start = on_indef,
    .tag = on_tag,
    .float2 = on_float, .float4 = on_float, .float8 = on_double,
    .undefined = on_scalar, .null = on_scalar, .boolean = on_bool,
    .indef_break = on_break,
};

cbor_item_t *lk__cbor_load(const uint8_t *data, size_t n, const char **why)
{
    check c = {.base = data, .n = n, .depth = 0};
    c.left[0] = 1;
    *why = NULL;
    while (!c.done && !c.bad) {
        if (c.pos >= n) {
            fail(&c, "truncated");
            break;
        }
        struct cbor_decoder_result r =
            cbor_stream_decode(data + c.pos, n - c.pos, &callbacks, &c);
        if (r.status == CBOR_DECODER_NEDATA)
            fail(&c, "truncated");
        else if (r.status != CBOR_DECODER_FINISHED || r.read == 0)
            fail(&c, "malformed");
        else
            c.pos += r.read;
    }
    if (c.bad) {
        *why = c.why;
        return NULL;
    }
    struct cbor_load_result res;
    cbor_item_t *item = cbor_load(data, c.pos, &res);
    if (!item)
        *why = res.error.code == CBOR_ERR_MEMERROR ? "out of memory"
                                                   : "malformed";
    return item;
}

cbor_item_t *lk__cbor_get(const cbor_item_t *map, const char *key)
{
    if (!map || !cbor_isa_map(map))
        return NULL;
    size_t n = cbor_map_size(map), klen = strlen(key);
    struct cbor_pair *p = cbor_map_handle(map);
    for (size_t i = 0; i < n; i++) {
        cbor_item_t *k = p[i].key;
        if (cbor_isa_string(k) && cbor_string_is_definite(k) &&
            cbor_string_length(k) == klen &&
            memcmp(cbor_string_handle(k), key, klen) == 0)
            return p[i].value;
    }
    return NULL;
}

cbor_item_t *lk__cbor_get_int(const cbor_item_t *map, int64_t key)
{
    if (!map || !cbor_isa_map(map))
        return NULL;
    size_t n = cbor_map_size(map);
    struct cbor_pair *p = cbor_map_handle(map);
    for (size_t i = 0; i < n; i++) {
        int64_t k;
        if (lk__cbor_int(p[i].key, &k) && k == key)
            return p[i].value;
    }
    return NULL;
}

int lk__cbor_is_null(const cbor_item_t *item)
{
    /* libcbor 0.8's cbor_is_null() asserts (aborts) on a float: check the
     * width first. */
    return item && cbor_isa_float_ctrl(item) &&
           cbor_float_get_width(item) == CBOR_FLOAT_0 &&
           cbor_ctrl_value(item) == CBOR_CTRL_NULL;
}

int lk__cbor_int(const cbor_item_t *item, int64_t *out)
{
    if (!item || !cbor_is_int(item))
        return 0;
    uint64_t v = cbor_get_int(item);
    if (v > INT64_MAX)
        return 0;
    *out = cbor_isa_uint(item) ? (int64_t)v : -1 - (int64_t)v;
    return 1;
}

char *lk__cbor_text(const cbor_item_t *item)
{
    if (!item || !cbor_isa_string(item))
        return NULL;
    size_t len = 0;
    if (cbor_string_is_definite(item)) {
        len = cbor_string_length(item);
    } else {
        for (size_t i = 0; i < cbor_string_chunk_count(item); i++)
            len += cbor_string_length(cbor_string_chunks_handle(item)[i]);
    }
    char *s = lk__malloc(len + 1);
    if (!s)
        return NULL;
    if (cbor_string_is_definite(item)) {
        memcpy(s, cbor_string_handle(item), len);
    } else {
        size_t o = 0;
        for (size_t i = 0; i < cbor_string_chunk_count(item); i++) {
            cbor_item_t *ch = cbor_string_chunks_handle(item)[i];
            memcpy(s + o, cbor_string_handle(ch), cbor_string_length(ch));
            o += cbor_string_length(ch);
        }
    }
    s[len] = '\0';
    /* A NUL inside would cut the text silently: make it visible. */
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\0')
            s[i] = '?';
    return s;
}

int lk__cbor_bytes(const cbor_item_t *item, const uint8_t **p, size_t *n)
{
    if (!item || !cbor_isa_bytestring(item) ||
        !cbor_bytestring_is_definite(item))
        return 0;
    *p = cbor_bytestring_handle(item);
    *n = cbor_bytestring_length(item);
    return 1;
}
