/* The agent's command line and output: exit codes, option parsing shared by
 * the commands, progress lines, the console, and allocations before anything
 * is changed (cli.c). */
#ifndef ODV_CLI_H
#define ODV_CLI_H
#include <stdbool.h>
#include <stddef.h>

/* Exit codes (README): */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,          /* failed; nothing changed */
	EXIT_USAGE = 2,
	EXIT_NATIVE = 3,        /* go-virtual: the system came back, but natively (fail-safe) */
	EXIT_PRECONDITION = 4,  /* a precondition (odv check) is not met; nothing changed */
};

/* The options every command shares: --json (sets opt_json), --help/-h (prints
 * help, EXIT_OK) and an unknown one ("odv CMD: UNKNOWN 'ARG' (try TRY)",
 * EXIT_USAGE). `option` takes the command's own: it returns true if it used
 * argv[*i] (and advanced *i past any value). Returns -1 when the command goes
 * on, else the exit code. */
struct cli_cmd {
	const char *name;         /* "status" */
	const char *help;         /* printed for --help */
	const char *unknown;      /* NULL: "unknown option" */
	const char *try_hint;     /* NULL: "--help" */
	bool (*option)(void *ctx, int argc, char **argv, int *i);
};
/* ctx: what `option` is given. */
int cli_options(const struct cli_cmd *c, void *ctx, int argc, char **argv);

void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Wait at most `seconds` for a terminal's output to drain (never blocks longer). */
void console_drain(int fd, double seconds);
extern bool opt_json;
extern bool progress_after_snapshot;   /* set once the snapshot exists: see progress() */

/* Allocations made before the system is changed: on failure they print
 * "odv: out of memory (N bytes for WHAT)" and exit with EXIT_FAIL (nothing
 * changed). Never use them once anything is frozen, suspended or detached:
 * there a failed allocation must go through the undo path. */
void *xmalloc(size_t n, const char *what);
void *xcalloc(size_t n, const char *what);

#endif
