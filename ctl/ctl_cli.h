/* ctl_cli: what every online epoxyctl subcommand shares: option parsing
 * with the common connection flags, one call per admin request, rendering
 * of answer records as a table, "key: value" lines or JSON, and writing a
 * secret to a new 0600 file.
 *
 * Guarantees: a record field named "credential" or "token" holding a live
 * value is never rendered by ctl_cli_print (the callers that hand a secret
 * out do so explicitly); secret files are created with O_EXCL and mode
 * 0600 and never overwrite an existing file. */
#ifndef EPOXY_CTL_CLI_H
#define EPOXY_CTL_CLI_H

#include <getopt.h>

#include "ctl/ctlhttp.h"
#include "lib/record.h"

#define CTL_CLI_MAX_OPTS 32

/* Parses argv with getopt_long over opts (which must end with
 * CTLHTTP_LONGOPTS and a zero entry); handles the common options and
 * --help (prints help and returns 1 with *status CLI_OK), calls fn for the
 * others.  Returns 0 to go on, 1 to exit with *status. */
int ctl_cli_parse(int argc, char **argv, const struct option *opts,
		  struct ctlhttp_cfg *cfg, const char *help,
		  int (*fn)(int opt, const char *arg, void *a), void *a,
		  int *status);

/* One request; prints errors.  Returns the exit status (CTL_*); on
 * CLI_OK rep holds the answer and the caller frees rep->body. */
int ctl_cli_call(const struct ctlhttp_cfg *cfg, const char *what,
		 const char *method, const char *path, const struct record_buf *form,
		 struct ctlhttp_reply *rep);

/* Renders the records of body: JSON array (json), else a table of cols
 * (NULL-terminated) with a header line.  Returns CLI_OK or CLI_FAIL
 * (malformed answer). */
int ctl_cli_table(char *body, size_t len, int json, const char *const *cols);
/* Renders one record as "key: value" lines or a JSON object. */
int ctl_cli_show(char *body, size_t len, int json);
/* ctl_cli_call, then its answer rendered: the records as a table of cols,
 * or (cols NULL) one record as ctl_cli_show.  Frees form (may be NULL).
 * Returns the exit status. */
int ctl_cli_send(const struct ctlhttp_cfg *cfg, const char *what, const char *method,
		 const char *path, struct record_buf *form, const char *const *cols);

/* Creates path with O_EXCL, mode 0600, writes "value\n", fsyncs.  Returns
 * 0 or -EPX_E_CTL_OUTFILE (message printed). */
/* Prints n bytes of s (to its NUL) with every byte outside printable
 * ASCII as \\xNN and the backslash doubled: the one way node-supplied text
 * reaches the terminal.  ctl_cli_safe returns the same in one of eight
 * rotating buffers (1 KiB; longer text ends in "..."). */
void ctl_cli_fput_safe(FILE *f, const char *s, size_t n);
const char *ctl_cli_safe(const char *s);
/* The same in two steps, so that the file exists before the server acts:
 * ctl_cli_secret_open creates it (0600, exclusive) and returns its fd;
 * ctl_cli_secret_write fills and closes it (removed on failure);
 * ctl_cli_secret_abandon closes and removes it. */
int ctl_cli_secret_open(const char *path);
int ctl_cli_secret_write(int fd, const char *path, const char *value);
void ctl_cli_secret_abandon(int fd, const char *path);
int ctl_cli_secret_file(const char *path, const char *value);

/* Usage error: prints "epoxyctl: msg (see CMD --help)", returns CLI_USAGE. */
int ctl_cli_usage(const char *cmd, const char *msg);

#endif
