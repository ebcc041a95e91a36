/* ctl_cli: shared plumbing of epoxyctl's online subcommands.
 *
 * Guarantees: see ctl_cli.h.  Tables never print the value of a field
 * named "credential" or "token" unless it is a state word (none, active,
 * revoked); secret files are O_EXCL|O_NOFOLLOW, 0600, fsynced. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/ctl_cli.h"
#include "lib/err.h"

int ctl_cli_usage(const char *cmd, const char *msg)
{
	fprintf(stderr, "epoxyctl %s: %s (see epoxyctl %s --help)\n", cmd, msg, cmd);
	return CLI_USAGE;
}

int ctl_cli_parse(int argc, char **argv, const struct option *opts,
		  struct ctlhttp_cfg *cfg, const char *help,
		  int (*fn)(int opt, const char *arg, void *a), void *a,
		  int *status)
{
	int opt;

	optind = 0;
	opterr = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == CTL_OPT_HELP) {
			fputs(help, stdout);
			*status = CLI_OK;
			return 1;
		}
		if (opt >= CTL_OPT_URL && opt <= CTL_OPT_JSON) {
			if (ctlhttp_cfg_opt(cfg, opt, optarg)) {
				fprintf(stderr, "epoxyctl: option value too long or empty\n");
				*status = CLI_USAGE;
				return 1;
			}
			continue;
		}
		if (opt == '?' || !fn || fn(opt, optarg, a)) {
			fputs(help, stderr);
			*status = CLI_USAGE;
			return 1;
		}
	}
	return 0;
}

int ctl_cli_call(const struct ctlhttp_cfg *cfg, const char *what,
		 const char *method, const char *path, const struct record_buf *form,
		 struct ctlhttp_reply *rep)
{
	int rc, st;

	if (form && form->err) {
		fprintf(stderr, "epoxyctl: %s: request too large\n", what);
		return CLI_USAGE;
	}
	rc = ctlhttp_request(cfg, method, path,
			     form ? "application/x-www-form-urlencoded" : NULL,
			     form ? (form->buf ? form->buf : "") : NULL,
			     form ? form->len : 0, NULL, rep);
	if (rc == -EPX_E_CTL_CONFIG)
		return CLI_USAGE;
	if (rc)
		return rc == -EPX_E_CTL_REPLY ? CLI_FAIL : CLI_UNREACHABLE;
	st = ctlhttp_exit(what, rep);
	if (st != CLI_OK)
		record_buf_wipe(&rep->body);
	return st;
}

static int ctl_cli_secret_key(const char *k, const char *v)
{
	if (strcmp(k, "credential") && strcmp(k, "token"))
		return 0;
	return strcmp(v, "none") && strcmp(v, "active") && strcmp(v, "revoked");
}

/* Node-supplied text (console tails, report fields) and every other value
 * of an answer reach the operator's terminal only through these: a byte
 * outside printable ASCII, and the backslash, print as \\xNN / \\\\, so no
 * escape sequence can reach the terminal. */
void ctl_cli_fput_safe(FILE *f, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\\')
			fputs("\\\\", f);
		else if (ch >= 0x20 && ch < 0x7f)
			fputc(ch, f);
		else
			fprintf(f, "\\x%02x", ch);
	}
}

const char *ctl_cli_safe(const char *s)
{
	static char ring[8][1024];
	static unsigned k;
	char *o = ring[k++ % 8];
	size_t i, n = 0;

	for (i = 0; s && s[i] && n < sizeof(ring[0]) - 8; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\\')
			n += (size_t)snprintf(o + n, 3, "\\\\");
		else if (ch >= 0x20 && ch < 0x7f)
			o[n++] = (char)ch;
		else
			n += (size_t)snprintf(o + n, 5, "\\x%02x", ch);
	}
	if (s && s[i])
		n += (size_t)snprintf(o + n, 4, "...");
	o[n] = '\0';
	return o;
}

/* safe = r without the fields that hold a secret (the same keys and
 * values, not copies). */
static void ctl_cli_redact(const struct form *r, struct form *safe)
{
	size_t j;

	safe->n = 0;
	for (j = 0; j < r->n; j++) {
		if (ctl_cli_secret_key(r->key[j], r->val[j]))
			continue;
		safe->key[safe->n] = r->key[j];
		safe->len[safe->n] = r->len[j];
		safe->val[safe->n++] = r->val[j];
	}
}

struct ctl_cli_tab {
	int json, n;
	const char *const *cols;
};

static int ctl_cli_row(const struct form *r, void *arg)
{
	struct ctl_cli_tab *t = arg;
	struct form safe;
	size_t i;

	ctl_cli_redact(r, &safe);
	if (t->json) {
		fputs(t->n++ ? ",\n  " : "\n  ", stdout);
		record_json_rec(stdout, &safe);
		return 0;
	}
	for (i = 0; t->cols[i]; i++) {
		const char *v = form_get(&safe, t->cols[i]);

		printf("%s%-*s", i ? " " : "", t->cols[i + 1] ? 12 : 0,
		       v && *v ? ctl_cli_safe(v) : "-");
	}
	putchar('\n');
	t->n++;
	return 0;
}

int ctl_cli_table(char *body, size_t len, int json, const char *const *cols)
{
	struct ctl_cli_tab t = { json, 0, cols };
	size_t i;
	int rc;

	if (json) {
		fputs("[", stdout);
	} else {
		for (i = 0; cols[i]; i++)
			printf("%s%-*s", i ? " " : "", cols[i + 1] ? 12 : 0, cols[i]);
		putchar('\n');
	}
	rc = record_each(body, len, ctl_cli_row, &t);
	if (json)
		fputs(t.n ? "\n]\n" : "]\n", stdout);
	if (rc) {
		fprintf(stderr, "epoxyctl: server answer malformed: %s\n", epx_strerror(rc));
		return CLI_FAIL;
	}
	return CLI_OK;
}

static int ctl_cli_show_one(const struct form *r, void *arg)
{
	int *json = arg;
	struct form safe;
	size_t j;

	ctl_cli_redact(r, &safe);
	if (*json) {
		record_json_rec(stdout, &safe);
		putchar('\n');
		return 0;
	}
	for (j = 0; j < safe.n; j++) {
		printf("%-12s ", ctl_cli_safe(safe.key[j]));
		if (*safe.val[j])
			ctl_cli_fput_safe(stdout, safe.val[j], strlen(safe.val[j]));
		else
			putchar('-');
		putchar('\n');
	}
	return 0;
}

int ctl_cli_send(const struct ctlhttp_cfg *cfg, const char *what, const char *method,
		 const char *path, struct record_buf *form, const char *const *cols)
{
	struct ctlhttp_reply rep;
	int st = ctl_cli_call(cfg, what, method, path, form, &rep);

	if (form)
		record_buf_free(form);
	if (st)
		return st;
	st = cols ? ctl_cli_table(rep.body.buf, rep.body.len, cfg->json, cols) :
		ctl_cli_show(rep.body.buf, rep.body.len, cfg->json);
	record_buf_free(&rep.body);
	return st;
}

int ctl_cli_show(char *body, size_t len, int json)
{
	int rc = record_each(body, len, ctl_cli_show_one, &json);

	if (rc) {
		fprintf(stderr, "epoxyctl: server answer malformed: %s\n", epx_strerror(rc));
		return CLI_FAIL;
	}
	return CLI_OK;
}

int ctl_cli_secret_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		fprintf(stderr, "epoxyctl: cannot create %s: %s (%s; it must not exist yet)\n",
			path, strerror(errno), epx_code_str(EPX_E_CTL_OUTFILE));
		return -EPX_E_CTL_OUTFILE;
	}
	if (fchmod(fd, 0600) < 0) {
		fprintf(stderr, "epoxyctl: cannot make %s private: %s (%s)\n", path,
			strerror(errno), epx_code_str(EPX_E_CTL_OUTFILE));
		close(fd);
		unlink(path);
		return -EPX_E_CTL_OUTFILE;
	}
	return fd;
}

void ctl_cli_secret_abandon(int fd, const char *path)
{
	if (fd < 0)
		return;
	close(fd);
	unlink(path);
}

int ctl_cli_secret_write(int fd, const char *path, const char *value)
{
	size_t n = strlen(value);
	int rc = -EPX_E_CTL_OUTFILE;

	if (write(fd, value, n) == (ssize_t)n && write(fd, "\n", 1) == 1 && fsync(fd) == 0)
		rc = 0;
	else
		fprintf(stderr, "epoxyctl: cannot write %s: %s (%s)\n", path, strerror(errno),
			epx_code_str(EPX_E_CTL_OUTFILE));
	if (close(fd) && !rc)
		rc = -EPX_E_CTL_OUTFILE;
	if (rc)
		unlink(path);
	return rc;
}

int ctl_cli_secret_file(const char *path, const char *value)
{
	int fd = ctl_cli_secret_open(path);

	return fd < 0 ? fd : ctl_cli_secret_write(fd, path, value);
}
