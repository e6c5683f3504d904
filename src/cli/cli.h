/*
 * cli.h - wash's command table and option parsing (Git's builtin shape).
 *
 * Each command lives in its own file as `int cmd_<name>(int argc, char **argv)`
 * and is listed once in the table in wash.c. argv[0] is the command name.
 * A command returns the process exit status.
 */
#ifndef WC_CLI_H
#define WC_CLI_H

#include "base/error.h"
#include "base/strbuf.h"

#include <stdint.h>

typedef struct wc_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary; /* one line, for `wash --help` */
    const char *usage;   /* full usage text, for `wash CMD --help` */
} wc_command;

extern const wc_command wc_commands[];

/* Options: --name VALUE, --name=VALUE, or a bare --name for booleans. */
enum wc_optkind { WC_OPT_BOOL, WC_OPT_STRING, WC_OPT_UINT, WC_OPT_DURATION, WC_OPT_LIST };

/* The destination of a repeatable WC_OPT_LIST option; free v with free(). */
typedef struct wc_strlist {
    const char **v;
    size_t n;
} wc_strlist;

typedef struct wc_option {
    const char *name; /* long name without dashes */
    char shortname;   /* or 0 */
    enum wc_optkind kind;
    void *out; /* int *, const char **, uint64_t *, uint64_t * (ns), wc_strlist * */
} wc_option;

/**
 * Parse argv[1..] against opts (terminated by a zero entry). Positional
 * arguments are moved to the front of argv[1..]; *npos receives their count.
 * "--" ends options. Returns 0, 1 if --help was given (usage printed), or -1
 * on a bad option (message printed, naming the option).
 */
int wc_parse_options(const wc_command *cmd, const wc_option *opts, int argc, char **argv,
                     int *npos);
/** The same, but options end at the first positional argument (for `wash run`). */
int wc_parse_options_head(const wc_command *cmd, const wc_option *opts, int argc, char **argv,
                          int *npos);

/** Find a command by name. */
const wc_command *wc_find_command(const char *name);

/** Print "wash CMD: message" to stderr. */
void wc_cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Read a whole file; the error names it. */
int wc_cli_read_file(const char *path, wc_strbuf *out, wc_error *err);

typedef struct wc_lattice wc_lattice;
/**
 * The host running id (a component, or a provider) and its image reference,
 * from the hosts' inventories; WC_ENOENT saying so when none runs it.
 */
int wc_cli_locate(wc_lattice *lat, const char *lattice, const char *id, int provider, char *host,
                  size_t hsize, char *image, size_t isize, wc_error *err);

/**
 * A progress line on stderr for work that may take over a second: nothing
 * if it ends sooner, else "what... Ns" kept current until wc_progress_end().
 */
void wc_progress_begin(const char *what);
void wc_progress_end(void);

int cmd_app(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_call(int argc, char **argv);
int cmd_complete(int argc, char **argv);
int cmd_completions(int argc, char **argv);
int cmd_ctl(int argc, char **argv);
int cmd_dev(int argc, char **argv);
int cmd_docs(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_host(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_new(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_spy(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_wadm(int argc, char **argv);
int cmd_wast(int argc, char **argv);

#endif
