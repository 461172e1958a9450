/*
 * cli.h — what the `likeness` command's files share: exit codes, messages
 * on stderr and records on stdout (common.c), the input files of a command
 * (files.c), the one options parser that also writes every --help
 * (options.c), and the commands themselves (one file per group: enroll.c,
 * scan.c, gallery.c for list, remove and info, consent.c for consent
 * and policy, audit.c for audit verify and list, findings.c for the
 * findings store, report.c for its HTML page, inspect.c, train.c).  The
 * command uses the public API only (likeness.h), and jansson.
 */
#ifndef LK_CLI_H
#define LK_CLI_H

#include "likeness.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* As clamscan: an error wins over findings, so a batch job notices it. */
enum { EXIT_NONE = 0, EXIT_FOUND = 1, EXIT_ERROR = 2 };

/* ---- messages and records (common.c) ----------------------------------- */

#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

/* "likeness: <message>\n" on stderr, the message escaped as
 * lk_text_escape() does (one line, whatever a path or name holds). */
void cli_fail(const char *fmt, ...) CLI_PRINTF(1, 2);
/* s escaped for a line of human text (lk_text_escape()); valid until 8
 * more calls; main thread only.  "" for NULL. */
const char *cli_text(const char *s);
/* The library's detail (it names the file and the cause), else the
 * status's text. */
void cli_fail_status(lk_status s);

/* The library's log callback: "likeness: LEVEL: message\n" on stderr,
 * escaped, in one write; or, on a thread that called cli_log_capture(),
 * appended to that thread's string (malloc'd), for the command to print
 * with the file it belongs to, in order. */
void cli_log(lk_log_level level, const char *msg, void *user);
/* Capture this thread's log messages into *into (NULL: stop). */
void cli_log_capture(char **into);

/* A CLI-only record (enrol, list, info) on one line of stdout; takes j.
 * Scan and inspect records come from the library, so that other callers
 * produce the same schema. */
void cli_print_json(json_t *j);
/* A line the library wrote (lk_*_json), then lk_free()s it; NULL: none. */
void cli_print_json_line(char *line);

/* The options most commands share. */
typedef struct {
    const char *gallery;
    const char *models;
    int json;
    int jobs;
    int max_memory_mb;         /* the engine's memory cap; 0: its default */
} cli_opts;

/* Open the engine with o->models and threads inference threads; says why
 * not on stderr. */
lk_status cli_open_engine(const cli_opts *o, int threads, lk_engine **eng);
/* The cores online, 1..64. */
int cli_default_jobs(void);

/* ---- input files (files.c) --------------------------------------------- */

typedef struct {
    char **v;
    size_t n, cap;
} strvec;

/* Append a copy of s.  0, or -1 out of memory. */
int strvec_push(strvec *sv, const char *s);
void strvec_free(strvec *sv);

/* The files n args name: a directory is walked in name order, following
 * symbolic links to files and directories (a link to a directory that
 * encloses it, a loop, is not followed but reported: device and inode of
 * each directory on the way down tell), anything else is taken as it is,
 * for the library to say what is wrong with it.  A directory that cannot
 * be walked, or a loop, adds two entries to errors: its path, then
 * "path: cause". */
void cli_collect(char **args, int n, strvec *files, strvec *errors);
/* The paths a list names: a directory's files (walked as above), or a text
 * file's lines (blank lines and lines starting with # skipped). */
void cli_read_list(const char *list, strvec *files, strvec *errors);

/* ---- options and --help (options.c) ------------------------------------ */

/* One option of a command, or (name NULL) a heading in its --help.  key is
 * what the command's set function receives: a letter is also the short
 * option (-g); long-only options take keys from CLI_LONG_ONLY up. */
typedef struct {
    const char *name;          /* "gallery", without the dashes */
    int key;
    const char *arg;           /* its argument in the help ("DIR"); NULL:
                                  a switch */
    const char *help;          /* "\n" goes on at the help column; a
                                  heading is printed as it is; NULL: an
                                  option accepted but not shown */
} cli_option;

enum { CLI_LONG_ONLY = 256 };

/* Entries several commands' tables hold alike. */
#define CLI_OPTION_MODELS                                                   \
    {"models", 'm', "DIR", "model directory (default: built-in)"}
#define CLI_OPTION_HELP {"help", 'h', NULL, "this text"}

/* What set returns: the option taken, or refused with the message already
 * printed, or refused by printing the usage (on stderr). */
enum { CLI_SET_OK = 0, CLI_SET_FAIL = -1, CLI_SET_USAGE = -2 };

typedef struct {
    const char *synopsis;      /* the help before the options, with the
                                  blank line that ends it */
    const cli_option *options; /* ending with {0} */
    const char *epilog;        /* after the options; may be NULL */
    /* Take the option key (its argument arg, NULL for a switch) into ctx.
     * --help (key 'h') is handled by the parser. */
    int (*set)(void *ctx, int key, const char *arg);
} cli_command;

/* The command's --help, generated from its table. */
void cli_usage(const cli_command *cmd, FILE *f);

/* What cli_parse() found. */
enum { CLI_PARSED = 0, CLI_HELP = 1, CLI_BAD = -1 };

/* Parse argv's options (argv[0] is the command's name, which getopt's own
 * messages give) with cmd's table.  CLI_PARSED: the operands start at
 * optind.  CLI_HELP: --help was printed on stdout.  CLI_BAD: the problem
 * was printed on stderr (with the usage for an unknown option). */
int cli_parse(const cli_command *cmd, int argc, char **argv, void *ctx);

/* Numeric option arguments: the whole of arg a number in [lo, hi] into
 * *out, else CLI_SET_FAIL with "--NAME: 'ARG' is not WHAT". */
int cli_int_arg(const char *name, const char *arg, long lo, long hi,
                const char *what, int *out);
int cli_double_arg(const char *name, const char *arg, double lo, double hi,
                   int open_lo, const char *what, double *out);
/* A record's id operand, a positive number, into *id: 0, or -1 with
 * "'ARG' is not a WHAT id (…, as `likeness LISTING` shows)". */
int cli_id_arg(const char *arg, const char *what, const char *listing,
               int64_t *id);

/* ---- the commands ------------------------------------------------------ */

int cmd_enroll(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_remove(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_consent(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_findings(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_train_voice(int argc, char **argv);
int cmd_train_spoof(int argc, char **argv);

#endif
