/*
 * common.c — what every command of `likeness` uses: messages on stderr,
 * JSON records on stdout, opening the engine.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

void cli_fail(const char *fmt, ...)
{
    /* Formatted whole, then escaped and written in one call: a message
     * is one line whatever a path holds, and never split by another
     * thread's. */
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    char *esc = msg ? lk_text_escape(msg) : NULL;
    fprintf(stderr, "likeness: %s\n", esc ? esc : msg ? msg : fmt);
    lk_free(esc);
    free(msg);
}

/* Where this thread's log messages go: NULL, stderr at once. */
static _Thread_local char **captured;

void cli_log_capture(char **into)
{
    captured = into;
}

void cli_log(lk_log_level level, const char *msg, void *user)
{
    (void)user;
    static const char *names[] = {"error", "warning", "info", "debug"};
    char *esc = lk_text_escape(msg);
    char *line = NULL;
    if (asprintf(&line, "likeness: %s: %s\n",
                 level >= LK_LOG_ERROR && level <= LK_LOG_DEBUG ? names[level]
                                                               : "log",
                 esc ? esc : msg) < 0)
        line = NULL;
    lk_free(esc);
    if (!line)
        return;
    if (!captured) {
        fputs(line, stderr);     /* one call: the line whole */
        free(line);
        return;
    }
    if (!*captured) {
        *captured = line;
        return;
    }
    char *both = NULL;
    if (asprintf(&both, "%s%s", *captured, line) >= 0) {
        free(*captured);
        *captured = both;
    }
    free(line);
}

const char *cli_text(const char *s)
{
    /* The command prints from one thread; a few at once per line. */
    static char *ring[8];
    static unsigned next;
    if (!s)
        return "";
    char *e = lk_text_escape(s);
    if (!e)
        return "?";
    lk_free(ring[next % 8]);
    ring[next++ % 8] = e;
    return e;
}

void cli_fail_status(lk_status s)
{
    const char *d = lk_last_error();
    cli_fail("%s", *d ? d : lk_status_str(s));
}

void cli_print_json(json_t *j)
{
    if (j) {
        char *line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                   JSON_REAL_PRECISION(6));
        if (line) {
            puts(line);
            free(line);
        }
        json_decref(j);
    }
}

void cli_print_json_line(char *line)
{
    if (line) {
        fputs(line, stdout);
        fputc('\n', stdout);
        lk_free(line);
    }
}

lk_status cli_open_engine(const cli_opts *o, int threads, lk_engine **eng)
{
    lk_engine_params ep = lk_engine_default_params();
    ep.model_dir = o->models;
    ep.threads = threads;
    ep.max_memory = (int64_t)o->max_memory_mb << 20;
    lk_status s = lk_engine_open(&ep, eng);
    if (s != LK_OK)
        cli_fail_status(s);
    return s;
}

int cli_default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}
