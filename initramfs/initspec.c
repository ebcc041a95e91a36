/* initspec: parse the initramfs spec language (see initspec.h).
 *
 * Everything is bounded by the INITSPEC_MAX_* caps; any malformed line
 * fails the whole spec with a stable EPX_E_IS_* code and its line number.
 * Parsing touches memory only, never the file system. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "initramfs/initspec.h"
#include "lib/err.h"
#include "lib/num.h"

#define MAX_FIELDS 8

static int initspec_is_path_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
	       c == '+' || c == '@';
}

int initspec_check_path(const char *path)
{
	size_t len = strlen(path), i, comp = 0, depth = 0;

	if (len == 0 || len > INITSPEC_MAX_PATH)
		return -EPX_E_IS_PATH;
	for (i = 0; i <= len; i++) {
		if (i < len && path[i] != '/') {
			if (!initspec_is_path_byte((unsigned char)path[i]))
				return -EPX_E_IS_PATH;
			comp++;
			continue;
		}
		/* end of one component: path[i - comp, i) */
		if (comp == 0 || comp > INITSPEC_MAX_COMPONENT)
			return -EPX_E_IS_PATH;
		if (path[i - comp] == '.' &&
		    (comp == 1 || (comp == 2 && path[i - 1] == '.')))
			return -EPX_E_IS_PATH;
		if (++depth > INITSPEC_MAX_DEPTH)
			return -EPX_E_IS_PATH;
		comp = 0;
	}
	return 0;
}

/* A source file or link target: printable, no spaces, bounded. */
static int initspec_check_source(const char *s)
{
	size_t len = strlen(s), i;

	if (len == 0 || len > INITSPEC_MAX_PATH)
		return -EPX_E_IS_SYNTAX;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return -EPX_E_IS_SYNTAX;
	return 0;
}

static int initspec_parse_octal(const char *s, unsigned int *out)
{
	unsigned int v = 0;
	size_t i, len = strlen(s);

	if (len == 0 || len > 5)
		return -EPX_E_IS_MODE;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '7')
			return -EPX_E_IS_MODE;
		v = v * 8 + (unsigned int)(s[i] - '0');
	}
	if (v > 07777)
		return -EPX_E_IS_MODE;
	*out = v;
	return 0;
}

static int initspec_parse_devnum(const char *s, unsigned int *out)
{
	uint32_t v;

	if (num_str_u32(s, INITSPEC_MAX_DEVNUM, &v) < 0)
		return -EPX_E_IS_MODE;
	*out = v;
	return 0;
}

/* Splits line (NUL-terminated, modified in place) on spaces and tabs. */
static int initspec_split(char *line, char **f, size_t *nf)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (n == MAX_FIELDS)
			return -EPX_E_IS_SYNTAX;
		f[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
	*nf = n;
	return 0;
}

static int initspec_fill_entry(struct initspec_entry *e, char **f, size_t nf)
{
	int rc = -EPX_E_IS_SYNTAX;
	const char *mode = NULL;

	if (strcmp(f[0], "dir") == 0 && nf == 3) {
		e->type = INITSPEC_DIR;
		mode = f[2];
	} else if (strcmp(f[0], "file") == 0 && nf == 4) {
		e->type = INITSPEC_FILE;
		mode = f[3];
	} else if (strcmp(f[0], "slink") == 0 && nf == 4) {
		e->type = INITSPEC_SLINK;
		mode = f[3];
	} else if (strcmp(f[0], "hlink") == 0 && nf == 3) {
		e->type = INITSPEC_HLINK;
		rc = initspec_check_path(f[2]);
		if (rc < 0)
			return rc;
	} else if (strcmp(f[0], "nod") == 0 && nf == 6) {
		e->type = INITSPEC_NOD;
		mode = f[2];
		if (strcmp(f[3], "c") != 0 && strcmp(f[3], "b") != 0)
			return -EPX_E_IS_MODE;
		e->devtype = f[3][0];
		rc = initspec_parse_devnum(f[4], &e->major);
		if (rc == 0)
			rc = initspec_parse_devnum(f[5], &e->minor);
		if (rc < 0)
			return rc;
	} else {
		return -EPX_E_IS_SYNTAX;
	}
	rc = initspec_check_path(f[1]);
	if (rc < 0)
		return rc;
	if (mode != NULL) {
		rc = initspec_parse_octal(mode, &e->mode);
		if (rc < 0)
			return rc;
	}
	if (e->type == INITSPEC_FILE || e->type == INITSPEC_SLINK ||
	    e->type == INITSPEC_HLINK) {
		rc = initspec_check_source(f[2]);
		if (rc < 0)
			return rc;
		e->source = strdup(f[2]);
		if (e->source == NULL)
			return -ENOMEM;
	}
	e->path = strdup(f[1]);
	if (e->path == NULL)
		return -ENOMEM;
	return 0;
}

static int initspec_cmp_entry(const void *a, const void *b)
{
	const struct initspec_entry *x = a, *y = b;

	return strcmp(x->path, y->path);
}

/* After sorting: paths unique, and each parent declared as a dir.  A
 * parent sorts before its children, so a binary search over the sorted
 * array finds it. */
static int initspec_check_tree(struct initspec *spec, unsigned int *errline)
{
	size_t i;

	for (i = 0; i < spec->n; i++) {
		struct initspec_entry *e = &spec->entries[i], key, *p;
		char parent[INITSPEC_MAX_PATH + 1];
		char *slash;

		if (i > 0 && strcmp(spec->entries[i - 1].path, e->path) == 0) {
			*errline = e->line > spec->entries[i - 1].line ?
				   e->line : spec->entries[i - 1].line;
			return -EPX_E_IS_DUPLICATE;
		}
		slash = strrchr(e->path, '/');
		if (slash == NULL)
			continue;
		memcpy(parent, e->path, (size_t)(slash - e->path));
		parent[slash - e->path] = '\0';
		key.path = parent;
		p = bsearch(&key, spec->entries, spec->n, sizeof(key), initspec_cmp_entry);
		if (p == NULL || p->type != INITSPEC_DIR) {
			*errline = e->line;
			return -EPX_E_IS_PARENT;
		}
	}
	return 0;
}

/* After sorting: each hlink's target is a file entry of the spec; the link
 * takes its index and mode. */
static int initspec_resolve_links(struct initspec *spec, unsigned int *errline)
{
	size_t i;

	for (i = 0; i < spec->n; i++) {
		struct initspec_entry *e = &spec->entries[i], key, *p;

		if (e->type != INITSPEC_HLINK)
			continue;
		key.path = e->source;
		p = bsearch(&key, spec->entries, spec->n, sizeof(key), initspec_cmp_entry);
		if (p == NULL || p->type != INITSPEC_FILE) {
			*errline = e->line;
			return -EPX_E_IS_LINK;
		}
		e->file = (size_t)(p - spec->entries);
		e->mode = p->mode;
	}
	return 0;
}

static int initspec_parse_line(struct initspec *spec, char *line, unsigned int lineno)
{
	char *f[MAX_FIELDS];
	size_t nf = 0;
	struct initspec_entry *e;
	const char *p = line + strspn(line, " \t");
	int rc;

	if (*p == '#')
		return 0;	/* a comment may hold any number of words */
	rc = initspec_split(line, f, &nf);
	if (rc < 0)
		return rc;
	if (nf == 0)
		return 0;
	if (spec->n == INITSPEC_MAX_ENTRIES)
		return -EPX_E_IS_TOOBIG;
	e = &spec->entries[spec->n];
	memset(e, 0, sizeof(*e));
	e->line = lineno;
	rc = initspec_fill_entry(e, f, nf);
	spec->n++;	/* counted even on failure so initspec_free frees it */
	return rc;
}

int initspec_parse(const char *text, size_t len, struct initspec *spec,
		   unsigned int *errline)
{
	int rc = -EPX_E_IS_TOOBIG;
	char *line = NULL;
	size_t off = 0;
	unsigned int lineno = 0;

	memset(spec, 0, sizeof(*spec));
	*errline = 0;
	if (len > INITSPEC_MAX_BYTES)
		goto out;
	rc = -ENOMEM;
	spec->entries = calloc(INITSPEC_MAX_ENTRIES, sizeof(*spec->entries));
	line = malloc(INITSPEC_MAX_LINE + 1);
	if (spec->entries == NULL || line == NULL)
		goto out;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;

		lineno++;
		*errline = lineno;
		rc = -EPX_E_IS_TOOBIG;
		if (n > INITSPEC_MAX_LINE)
			goto out;
		rc = -EPX_E_IS_SYNTAX;
		if (memchr(text + off, '\0', n) != NULL ||
		    memchr(text + off, '\r', n) != NULL)
			goto out;
		memcpy(line, text + off, n);
		line[n] = '\0';
		rc = initspec_parse_line(spec, line, lineno);
		if (rc < 0)
			goto out;
		off += n + (nl ? 1 : 0);
	}
	*errline = 0;
	qsort(spec->entries, spec->n, sizeof(*spec->entries), initspec_cmp_entry);
	rc = initspec_check_tree(spec, errline);
	if (rc == 0)
		rc = initspec_resolve_links(spec, errline);
out:
	free(line);
	return rc;
}

void initspec_free(struct initspec *spec)
{
	size_t i;

	if (spec->entries != NULL)
		for (i = 0; i < spec->n; i++) {
			free(spec->entries[i].path);
			free(spec->entries[i].source);
		}
	free(spec->entries);
	spec->entries = NULL;
	spec->n = 0;
}
