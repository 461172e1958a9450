/*
 * meta.c — the weaker signals: XMP (Iptc4xmpExt:DigitalSourceType,
 * xmp:CreatorTool; libxml2), EXIF Software (libexif), PNG text chunks
 * that image generators write, and the IPTC digital source type
 * vocabulary shared with the C2PA reader.
 *
 * Unsigned metadata is a claim anybody can write or strip: it can raise
 * "declared-ai" (nobody hides a genuine image behind an AI label) but a
 * capture claim from it is only ever "declared".
 */
#include "evidence/evidence.h"

#include <ctype.h>
#include <libexif/exif-data.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * IPTC digital source types
 * (https://cv.iptc.org/newscodes/digitalsourcetype/)
 * ---------------------------------------------------------------------- */

static const struct {
    const char *term;
    lk_source_class cls;
} source_types[] = {
    {"trainedAlgorithmicMedia", LK_SOURCE_GENERATIVE},
    {"compositeWithTrainedAlgorithmicMedia", LK_SOURCE_GENERATIVE},
    {"algorithmicMedia", LK_SOURCE_ALGORITHMIC},
    {"digitalCapture", LK_SOURCE_CAPTURE},
    {"computationalCapture", LK_SOURCE_CAPTURE},
    {"negativeFilm", LK_SOURCE_CAPTURE},
    {"positiveFilm", LK_SOURCE_CAPTURE},
    {"print", LK_SOURCE_CAPTURE},
    {"compositeCapture", LK_SOURCE_CAPTURE},
};

lk_source_class lk__source_class(const char *s, const char **term,
                                 size_t *term_len)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    const char *t = s;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/')
            t = s + i + 1;
    size_t tn = n - (size_t)(t - s);
    if (term) {
        *term = t;
        *term_len = tn;
    }
    if (!tn)
        return LK_SOURCE_UNDECLARED;
    for (size_t i = 0; i < sizeof source_types / sizeof *source_types; i++)
        if (strlen(source_types[i].term) == tn &&
            memcmp(source_types[i].term, t, tn) == 0)
            return source_types[i].cls;
    return LK_SOURCE_OTHER;
}

/* ------------------------------------------------------------------------
 * Generative AI tools named in software fields
 * ---------------------------------------------------------------------- */

/* Tools whose output is generated (not merely edited) media, as they name
 * themselves in Software / CreatorTool / claim generators.  Matched as
 * whole words, any case; words that are also ordinary ones ("imagen" is
 * Spanish for image, "designer", "gemini") only with their maker's name. */
static const char *const ai_tools[] = {
    "midjourney", "dall-e", "dall·e", "dalle", "stable diffusion",
    "stablediffusion", "sdxl", "adobe firefly", "firefly", "google imagen",
    "novelai", "comfyui", "automatic1111", "invokeai", "dreamstudio",
    "leonardo.ai", "ideogram", "craiyon", "nightcafe", "bing image creator",
    "openai", "chatgpt", "gpt-4o", "sora", "runwayml", "runway gen",
    "elevenlabs", "synthesia", "heygen", "deepfacelab", "facefusion",
    "faceswap", "roop", "suno", "udio", "flux.1", "google gemini", "grok",
    "meta ai", "stability ai",
};

static int word_at(const char *text, size_t i, size_t n, size_t len)
{
    int before = i == 0 || !isalnum((unsigned char)text[i - 1]);
    int after = i + len >= n || !isalnum((unsigned char)text[i + len]);
    return before && after;
}

int lk__ai_software(const char *text)
{
    if (!text)
        return 0;
    size_t n = strlen(text);
    for (size_t t = 0; t < sizeof ai_tools / sizeof *ai_tools; t++) {
        size_t len = strlen(ai_tools[t]);
        for (size_t i = 0; i + len <= n; i++)
            if (strncasecmp(text + i, ai_tools[t], len) == 0 &&
                word_at(text, i, n, len))
                return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * XMP
 * ---------------------------------------------------------------------- */

#define NS_IPTC_EXT "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
#define NS_XMP "http://ns.adobe.com/xap/1.0/"
#define NS_RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

static int ns_is(const xmlNs *ns, const char *uri)
{
    return ns && ns->href && strcmp((const char *)ns->href, uri) == 0;
}

/* The value of an RDF property in any of its forms: attribute, element
 * text, rdf:resource, or the first rdf:li of an Alt/Seq/Bag.  malloc'd. */
static char *element_value(xmlNode *e)
{
    xmlChar *res = xmlGetNsProp(e, (const xmlChar *)"resource",
                                (const xmlChar *)NS_RDF);
    if (res) {
        char *s = lk__strdup((const char *)res);
        xmlFree(res);
        return s;
    }
    for (xmlNode *c = e->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        for (xmlNode *li = c->children; li; li = li->next)
            if (li->type == XML_ELEMENT_NODE)
                return element_value(li);
    }
    xmlChar *t = xmlNodeGetContent(e);
    char *s = t ? lk__strdup((const char *)t) : NULL;
    xmlFree(t);
    return s;
}

static void xmp_property(lk__prov *pr, const xmlNs *ns, const char *name,
                         char *value)
{
    if (!value)
        return;
    if (ns_is(ns, NS_IPTC_EXT) && strcmp(name, "DigitalSourceType") == 0) {
        const char *term;
        size_t tn;
        lk_source_class c = lk__source_class(value, &term, &tn);
        if (c > pr->xmp_class || !pr->xmp_type) {
            pr->xmp_class = c;
            pr->xmp_type = lk__prov_keepn(pr, term, tn);
        }
    } else if (ns_is(ns, NS_XMP) && strcmp(name, "CreatorTool") == 0 &&
               !pr->creator_tool) {
        pr->creator_tool = lk__prov_keepn(pr, value, strlen(value));
    }
    free(value);
}

/* Depth-first over the packet (bounded: libxml2 refuses documents nested
 * over 256 deep without XML_PARSE_HUGE). */
static void xmp_walk(lk__prov *pr, xmlNode *n)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        for (xmlAttr *a = n->properties; a; a = a->next) {
            xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
            if (v) {
                xmp_property(pr, a->ns, (const char *)a->name,
                             lk__strdup((const char *)v));
                xmlFree(v);
            }
        }
        if (ns_is(n->ns, NS_IPTC_EXT) || ns_is(n->ns, NS_XMP))
            xmp_property(pr, n->ns, (const char *)n->name, element_value(n));
        xmp_walk(pr, n->children);
    }
}

/* libxml2's first initialisation is not thread-safe; scans run in
 * parallel. */
static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static void xml_init(void) { xmlInitParser(); }

void lk__xmp_read(lk__prov *pr, const uint8_t *xmp, size_t n)
{
    pthread_once(&xml_once, xml_init);
    if (n > INT32_MAX) {
        lk__prov_problem(pr, "XMP packet too large to read");
        return;
    }
    /* No network, no external entities, no DTD loading; libxml2 also
     * caps entity expansion ("billion laughs") without XML_PARSE_HUGE. */
    xmlDoc *doc = xmlReadMemory((const char *)xmp, (int)n, NULL, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR |
                                    XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (!doc) {
        lk__prov_problem(pr, "XMP packet is not well-formed XML");
        return;
    }
    xmp_walk(pr, xmlDocGetRootElement(doc));
    xmlFreeDoc(doc);
}

/* ------------------------------------------------------------------------
 * EXIF
 * ---------------------------------------------------------------------- */

void lk__exif_read(lk__prov *pr, const uint8_t *exif, size_t n)
{
    if (n > UINT32_MAX)
        return;
    /* libexif wants the block with its "Exif\0\0" header back in front. */
    uint8_t *buf = lk__malloc(n + 6);
    if (!buf) {
        pr->nomem = 1;
        return;
    }
    memcpy(buf, "Exif\0\0", 6);
    memcpy(buf + 6, exif, n);
    ExifData *ed = exif_data_new_from_data(buf, (unsigned)(n + 6));
    free(buf);
    if (!ed)
        return;
    ExifEntry *e = exif_content_get_entry(ed->ifd[EXIF_IFD_0],
                                          EXIF_TAG_SOFTWARE);
    if (e && !pr->exif_software) {
        char v[256];
        if (exif_entry_get_value(e, v, sizeof v) && *v)
            pr->exif_software = lk__prov_keepn(pr, v, strlen(v));
    }
    exif_data_unref(ed);
}

/* ------------------------------------------------------------------------
 * PNG text
 * ---------------------------------------------------------------------- */

void lk__png_text(lk__prov *pr, const char *key, const uint8_t *text,
                  size_t n)
{
    /* Stable Diffusion web UIs write their settings as "parameters"
     * ("…Steps: 20, Sampler: …, CFG scale: …"); ComfyUI writes its
     * "prompt" and "workflow" graphs as JSON; NovelAI names itself in
     * "Software" and writes "Comment" JSON with "steps"/"sampler". */
    if ((strcmp(key, "parameters") == 0 && n < (1u << 20) &&
         memmem(text, n, "Steps:", 6) && memmem(text, n, "Sampler:", 8)) ||
        ((strcmp(key, "prompt") == 0 || strcmp(key, "workflow") == 0) &&
         memmem(text, n, "class_type", 10)) ||
        (strcmp(key, "Comment") == 0 && memmem(text, n, "\"sampler\"", 9) &&
         memmem(text, n, "\"steps\"", 7)))
        pr->png_generation_text = 1;
    else if (strcmp(key, "Software") == 0 && !pr->png_software)
        pr->png_software = lk__prov_keepn(pr, text, n);
}
