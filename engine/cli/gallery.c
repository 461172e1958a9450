/*
 * gallery.c — the commands about the gallery itself: `likeness list`,
 * `remove` and `info` (which also shows the models).  list and remove
 * load no model: the gallery opens with the ones it records.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>

/* The three share one option set: a command's table shows its own, and
 * accepts the others as before (and refuses them with the usage). */
typedef struct {
    cli_opts *o;
    const char **performer;    /* remove's; NULL for list and info */
} gallery_args;

enum { OPT_JSON = CLI_LONG_ONLY };

#define OPTION_GALLERY {"gallery", 'g', "DIR", "gallery directory"}
#define OPTION_NO_MODELS                                                    \
    {"models", 'm', "DIR", "accepted, not used: no model is loaded"}

static const cli_option list_options[] = {
    OPTION_GALLERY,
    {"performer", 'p', "ID", NULL},
    {"json", OPT_JSON, NULL, "JSON Lines: one record per performer"},
    OPTION_NO_MODELS,
    CLI_OPTION_HELP,
    {0}};

static const cli_option remove_options[] = {
    OPTION_GALLERY,
    {"performer", 'p', "ID", "the performer to erase"},
    {"json", OPT_JSON, NULL, NULL},
    OPTION_NO_MODELS,
    CLI_OPTION_HELP,
    {0}};

static const cli_option info_options[] = {
    OPTION_GALLERY,
    {"performer", 'p', "ID", NULL},
    {"json", OPT_JSON, NULL, "one JSON object"},
    CLI_OPTION_MODELS,
    CLI_OPTION_HELP,
    {0}};

static int gallery_set(void *ctx, int key, const char *arg)
{
    gallery_args *a = ctx;
    switch (key) {
    case 'g': a->o->gallery = arg; break;
    case 'p':
        if (!a->performer)
            return CLI_SET_USAGE;
        *a->performer = arg;
        break;
    case OPT_JSON: a->o->json = 1; break;
    case 'm': a->o->models = arg; break;
    default: return CLI_SET_USAGE;
    }
    return CLI_SET_OK;
}

static const cli_command list_command = {
    "usage: likeness list --gallery DIR [--json]\n"
    "\n"
    "List the registered performers with their template counts.\n"
    "\n",
    list_options, NULL, gallery_set};

static const cli_command remove_command = {
    "usage: likeness remove --gallery DIR --performer ID\n"
    "\n"
    "Erase a performer: their record and every template, from the database\n"
    "and the index.  Freed database pages are overwritten so no embedding\n"
    "bytes remain.  Their audit entries are emptied to the digests the hash\n"
    "chain needs (no id, no detail), and an entry records the erasure.\n"
    "\n",
    remove_options, NULL, gallery_set};

static const cli_command info_command = {
    "usage: likeness info [--gallery DIR] [--json]\n"
    "\n"
    "Show the version, the models in use (file, sha256, input, dimension,\n"
    "calibrated threshold) and, with --gallery, the gallery's statistics\n"
    "and the models it records (read from the gallery, not the models).\n"
    "\n",
    info_options, NULL, gallery_set};

/* cli_parse(), and no operands. */
static int parse_gallery(const cli_command *cmd, int argc, char **argv,
                         cli_opts *o, const char **performer)
{
    gallery_args a = {o, performer};
    int rc = cli_parse(cmd, argc, argv, &a);
    if (rc == CLI_PARSED && optind < argc) {
        cli_fail("unexpected argument '%s'", argv[optind]);
        cli_usage(cmd, stderr);
        return CLI_BAD;
    }
    return rc;
}

static int templates_of(const lk_performer_info *p, lk_modality m)
{
    return (int)m < p->n_modalities ? p->templates[m] : 0;
}

static int list_cb(const lk_performer_info *p, void *user)
{
    int json = *(int *)user;
    const int n_face = templates_of(p, LK_MODALITY_FACE);
    const int n_voice = templates_of(p, LK_MODALITY_VOICE);
    if (json)
        cli_print_json(json_pack("{s:s,s:s,s:I,s:i,s:i}", "performer",
                                 p->id, "name", p->name, "created",
                                 (json_int_t)p->created, "face_templates",
                                 n_face, "voice_templates", n_voice));
    else
        printf("%-24s %-32s %d face template%s, %d voice template%s\n",
               cli_text(p->id), cli_text(p->name), n_face, n_face == 1 ? "" : "s", n_voice,
               n_voice == 1 ? "" : "s");
    return 0;
}

/* list and remove need no model: the gallery opens with the ones it
 * records (--models is accepted and not used). */
static int with_gallery(const cli_opts *o, unsigned flags, lk_gallery **gal)
{
    lk_status s;
    if ((s = lk_gallery_open(o->gallery, NULL, flags, gal)) != LK_OK) {
        cli_fail_status(s);
        return -1;
    }
    return 0;
}

int cmd_list(int argc, char **argv)
{
    cli_opts o = {0};
    switch (parse_gallery(&list_command, argc, argv, &o, NULL)) {
    case CLI_HELP: return EXIT_NONE;
    case CLI_BAD: return EXIT_ERROR;
    }
    if (!o.gallery) {
        cli_fail("list needs --gallery");
        return EXIT_ERROR;
    }
    lk_gallery *gal = NULL;
    int rc = EXIT_ERROR;
    if (with_gallery(&o, LK_GALLERY_READONLY, &gal) == 0) {
        lk_status s = lk_gallery_performers(gal, list_cb, &o.json);
        if (s != LK_OK && s != LK_DONE)
            cli_fail_status(s);
        else
            rc = EXIT_NONE;
    }
    lk_gallery_close(gal);
    return rc;
}

int cmd_remove(int argc, char **argv)
{
    cli_opts o = {0};
    const char *performer = NULL;
    switch (parse_gallery(&remove_command, argc, argv, &o, &performer)) {
    case CLI_HELP: return EXIT_NONE;
    case CLI_BAD: return EXIT_ERROR;
    }
    if (!o.gallery || !performer) {
        cli_fail("remove needs --gallery and --performer");
        return EXIT_ERROR;
    }
    lk_gallery *gal = NULL;
    int rc = EXIT_ERROR;
    if (with_gallery(&o, 0, &gal) == 0) {
        lk_status s = lk_gallery_remove_performer(gal, performer);
        if (s != LK_OK)
            cli_fail_status(s);
        else {
            printf("removed %s\n", cli_text(performer));
            rc = EXIT_NONE;
        }
    }
    lk_gallery_close(gal);
    return rc;
}

int cmd_info(int argc, char **argv)
{
    cli_opts o = {0};
    switch (parse_gallery(&info_command, argc, argv, &o, NULL)) {
    case CLI_HELP: return EXIT_NONE;
    case CLI_BAD: return EXIT_ERROR;
    }
    lk_engine *eng = NULL;
    lk_gallery *gal = NULL;
    if (cli_open_engine(&o, 0, &eng) != LK_OK)
        return EXIT_ERROR;
    int rc = EXIT_NONE;
    json_t *root = json_pack("{s:s}", "version", lk_version());
    json_t *models = json_array();
    lk_model_info mi;
    for (int i = 0; lk_engine_model(eng, i, &mi) == LK_OK; i++) {
        json_t *m = json_pack("{s:s,s:s,s:s,s:s,s:[i,i,i]}", "id", mi.id,
                              "role", mi.role, "file", mi.file, "sha256",
                              mi.sha256, "input", mi.input_w, mi.input_h,
                              mi.input_c);
        if (mi.sample_rate)
            json_object_set_new(m, "sample_rate", json_integer(mi.sample_rate));
        if (mi.dim)
            json_object_set_new(m, "dim", json_integer(mi.dim));
        if (mi.dim || !strcmp(mi.role, "spoof_detect"))
            json_object_set_new(m, "threshold", json_real(mi.threshold));
        json_array_append_new(models, m);
    }
    json_object_set_new(root, "models", models);
    if (o.gallery) {
        /* What the gallery records, not what the engine would load. */
        lk_status s = lk_gallery_open(o.gallery, NULL, LK_GALLERY_READONLY,
                                      &gal);
        lk_gallery_stats st;
        lk_gallery_modality face, voice;
        if (s == LK_OK &&
            (s = lk_gallery_stats_get(gal, &st)) == LK_OK &&
            (s = lk_gallery_modality_info(gal, LK_MODALITY_FACE, &face)) ==
                LK_OK)
            s = lk_gallery_modality_info(gal, LK_MODALITY_VOICE, &voice);
        if (s != LK_OK) {
            cli_fail_status(s);
            rc = EXIT_ERROR;
        } else {
            json_object_set_new(root, "gallery", json_pack(
                "{s:s,s:I,s:I,s:I,s:I,s:I,s:s,s:i,s:o,s:i}", "path", o.gallery,
                "performers", (json_int_t)st.performers,
                "templates", (json_int_t)face.templates,
                "voice_templates", (json_int_t)voice.templates,
                "generation", (json_int_t)st.generation,
                "db_bytes", (json_int_t)st.db_bytes,
                "face_model", face.model ? face.model : "",
                "face_dim", face.dim,
                "voice_model", voice.model ? json_string(voice.model)
                                           : json_null(),
                "voice_dim", voice.dim));
        }
    }
    if (o.json) {
        cli_print_json(root);
    } else {
        printf("likeness %s\n\nmodels:\n", lk_version());
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(root, "models"), i, m) {
            printf("  %-14s %s\n    file   %s\n    sha256 %s\n",
                   json_string_value(json_object_get(m, "role")),
                   json_string_value(json_object_get(m, "id")),
                   json_string_value(json_object_get(m, "file")),
                   json_string_value(json_object_get(m, "sha256")));
            json_t *in = json_object_get(m, "input");
            if (json_object_get(m, "sample_rate"))
                printf("    input  %lld Hz mono",
                       json_integer_value(json_object_get(m, "sample_rate")));
            else
                printf("    input  %lldx%lldx%lld",
                       json_integer_value(json_array_get(in, 0)),
                       json_integer_value(json_array_get(in, 1)),
                       json_integer_value(json_array_get(in, 2)));
            if (json_object_get(m, "dim"))
                printf(", output %lld-D, calibrated threshold %.3f",
                       json_integer_value(json_object_get(m, "dim")),
                       json_real_value(json_object_get(m, "threshold")));
            else if (json_object_get(m, "threshold"))
                printf(", threshold %.3f (mean log-likelihood ratio)",
                       json_real_value(json_object_get(m, "threshold")));
            putchar('\n');
        }
        json_t *g = json_object_get(root, "gallery");
        if (g) {
            printf("\ngallery %s:\n  performers %lld\n  templates  %lld face, "
                   "%lld voice\n  generation %lld\n  database   %lld bytes\n"
                   "  face model %s (%lld-D)\n", o.gallery,
                   json_integer_value(json_object_get(g, "performers")),
                   json_integer_value(json_object_get(g, "templates")),
                   json_integer_value(json_object_get(g, "voice_templates")),
                   json_integer_value(json_object_get(g, "generation")),
                   json_integer_value(json_object_get(g, "db_bytes")),
                   json_string_value(json_object_get(g, "face_model")),
                   json_integer_value(json_object_get(g, "face_dim")));
            if (json_string_value(json_object_get(g, "voice_model")))
                printf("  voice model %s (%lld-D)\n",
                       json_string_value(json_object_get(g, "voice_model")),
                       json_integer_value(json_object_get(g, "voice_dim")));
        }
        json_decref(root);
    }
    lk_gallery_close(gal);
    lk_engine_free(eng);
    return rc;
}
