/* config: parse and check epoxyd's configuration.
 *
 * Table driven: each key has a type, a place in struct config and a range.
 * A value is accepted only whole (no trailing bytes, no overflow, inside the
 * range); strings refuse control bytes.  Nothing here opens any file but
 * the config file itself. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "epoxy_config.h"
#include "lib/err.h"
#include "lib/nodeproto.h"
#include "lib/num.h"
#include "server/config.h"

enum cfg_type { CT_STR, CT_U32, CT_U64, CT_I64, CT_JOINCRED, CT_ARGV };

struct cfg_key {
	const char *name;
	enum cfg_type type;
	size_t off;
	size_t size;            /* CT_STR: buffer size */
	int64_t min, max;       /* numeric range */
};

#define S(f) CT_STR, offsetof(struct config, f), sizeof(((struct config *)0)->f), 0, 0
#define U(f, lo, hi) CT_U32, offsetof(struct config, f), 0, lo, hi
static const struct cfg_key cfg_keys[] = {
	{ "listen_addr", S(listen_addr) },
	{ "https_port", U(https_port, 0, 65535) },
	{ "http_port", U(http_port, 0, 65535) },
	{ "tls_cert", S(tls_cert) },
	{ "tls_key", S(tls_key) },
	{ "tls_priorities", S(tls_priorities) },
	{ "server_name", S(server_name) },
	{ "boot_url", S(boot_url) },
	{ "store", S(store) },
	{ "data_dir", S(data_dir) },
	{ "boot_dir", S(boot_dir) },
	{ "online_key", S(online_key) },
	{ "keyset", S(keyset) },
	{ "user", S(user) },
	{ "token_ttl", U(token_ttl, 10, 86400) },
	{ "long_token_ttl", U(long_token_ttl, 10, 86400) },
	{ "statement_ttl", U(statement_ttl, 10, 86400) },
	{ "resume_tokens", U(resume_tokens, 0, 8) },
	{ "housekeeping_interval", U(housekeeping_interval, 0, 86400) },
	{ "session_max_age", U(session_max_age, 60, 604800) },
	{ "token_retention", U(token_retention, 60, 31536000) },
	{ "max_connections", U(max_connections, 4, 65536) },
	{ "max_sessions", U(max_sessions, 1, 65536) },
	{ "max_downloads", U(max_downloads, 1, 65536) },
	{ "conn_timeout", U(conn_timeout, 1, 3600) },
	{ "rate_per_sec", U(rate_per_sec, 1, 1000000) },
	{ "rate_burst", U(rate_burst, 1, 1000000) },
	{ "rate_table", U(rate_table, 16, 1048576) },
	{ "retry_min", U(retry_min, 1, 3600) },
	{ "retry_max", U(retry_max, 1, 3600) },
	{ "threads", U(threads, 1, 64) },
	{ "admin_upload_max", CT_U64, offsetof(struct config, admin_upload_max), 0,
	  0, (int64_t)1 << 40 },
	{ "admin_uploads", U(admin_uploads, 1, 64) },
	{ "upload_min_free", CT_U64, offsetof(struct config, upload_min_free), 0,
	  0, (int64_t)1 << 62 },
	{ "header_timeout", U(header_timeout, 1, 3600) },
	{ "body_timeout", U(body_timeout, 1, 3600) },
	{ "body_min_rate", U(body_min_rate, 0, 1 << 30) },
	{ "slow_per_addr", U(slow_per_addr, 1, 65536) },
	{ "slow_max", U(slow_max, 1, 1 << 20) },
	{ "joincred", CT_JOINCRED, offsetof(struct config, joincred), 0, 0, 0 },
	{ "joincred_command", CT_ARGV, 0, 0, 0, 0 },
	{ "joincred_url", S(joincred_url) },
	{ "joincred_timeout", U(joincred_timeout, 1, 600) },
	{ "joincred_ttl", U(joincred_ttl, 60, 31536000) },
	{ "node_ca_cert", S(node_ca_cert) },
	{ "node_ca_key", S(node_ca_key) },
	{ "node_ca_previous", S(node_ca_previous) },
	{ "node_cert_ttl", U(node_cert_ttl, 300, 604800) },
	{ "node_heartbeat",
	  U(node_heartbeat, NODEPROTO_HEARTBEAT_MIN, NODEPROTO_HEARTBEAT_MAX) },
	{ "sd_metrics_port", U(sd_metrics_port, 1, 65535) },
	{ "archive_backend", S(archive_backend) },
	{ "boot_path_default", S(boot_path_default) },
	{ "s3_endpoint", S(s3_endpoint) },
	{ "s3_bucket", S(s3_bucket) },
	{ "s3_region", S(s3_region) },
	{ "s3_access_key_file", S(s3_access_key_file) },
	{ "s3_secret_key_file", S(s3_secret_key_file) },
	{ "s3_url_ttl", U(s3_url_ttl, 10, 3600) },
	{ "s3_node_endpoint", S(s3_node_endpoint) },
	{ "s3_public_endpoint", S(s3_public_endpoint) },
	{ "clock_offset", CT_I64, offsetof(struct config, clock_offset), 0,
	  -((int64_t)1 << 40), (int64_t)1 << 40 },
};
#undef S
#undef U
#define CFG_NKEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->https_port = 8443;
	cfg->http_port = 8080;
	snprintf(cfg->tls_priorities, sizeof(cfg->tls_priorities), "%s",
		 "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2");
	snprintf(cfg->server_name, sizeof(cfg->server_name), "epoxy.test");
	snprintf(cfg->store, sizeof(cfg->store), "/var/lib/epoxy/epoxy.db");
	snprintf(cfg->data_dir, sizeof(cfg->data_dir), "/var/lib/epoxy");
	snprintf(cfg->boot_dir, sizeof(cfg->boot_dir), "/var/lib/epoxy/boot");
	cfg->token_ttl = 300;
	cfg->long_token_ttl = 1800;
	cfg->statement_ttl = 600;
	cfg->resume_tokens = 8;
	cfg->housekeeping_interval = 60;
	cfg->session_max_age = 3600;
	cfg->token_retention = 86400;
	cfg->max_connections = 1024;
	cfg->max_sessions = 32;
	cfg->max_downloads = 64;
	cfg->conn_timeout = 30;
	cfg->rate_per_sec = 20;
	cfg->rate_burst = 60;
	cfg->rate_table = 4096;
	cfg->retry_min = 5;
	cfg->retry_max = 60;
	cfg->threads = 4;
	cfg->admin_upload_max = (uint64_t)1 << 30;
	cfg->admin_uploads = 2;
	cfg->upload_min_free = (uint64_t)256 << 20;
	cfg->header_timeout = 10;
	cfg->body_timeout = 30;
	cfg->body_min_rate = 1024;
	cfg->slow_per_addr = 8;
	cfg->slow_max = 512;
	cfg->joincred = CONFIG_JOINCRED_BUILTIN;
	cfg->joincred_timeout = 10;
	cfg->joincred_ttl = 86400;
	cfg->node_cert_ttl = 86400;
	cfg->node_heartbeat = 30;
	cfg->sd_metrics_port = 9100;    /* node_exporter's port (fleetsd.h) */
	snprintf(cfg->archive_backend, sizeof(cfg->archive_backend), "local");
	snprintf(cfg->boot_path_default, sizeof(cfg->boot_path_default), "%s",
		 ENABLE_BOOT_PATH_DIRECT ? "direct" : "ipxe");
	snprintf(cfg->s3_region, sizeof(cfg->s3_region), "us-east-1");
	cfg->s3_url_ttl = 300;
}

static const struct cfg_key *config_find(const char *k, size_t klen)
{
	size_t i;

	for (i = 0; i < CFG_NKEYS; i++)
		if (strlen(cfg_keys[i].name) == klen &&
		    !memcmp(cfg_keys[i].name, k, klen))
			return &cfg_keys[i];
	return NULL;
}

/* A decimal in [min, max] in lib/num.h's one spelling ('-' allowed). */
static int config_num(const char *v, size_t len, int64_t min, int64_t max,
		   int64_t *out)
{
	return num_parse_i64(v, len, min, max, out) < 0 ? -EPX_E_CFG_VALUE : 0;
}

static int config_printable(const char *v, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] == 0x7f)
			return 0;
	return 1;
}

/* joincred_command: words separated by spaces (no quoting: a path and
 * plain arguments; anything fancier belongs in a wrapper script). */
static int config_argv(struct config *cfg, const char *v, size_t len)
{
	size_t i = 0, n = 0;

	while (i < len) {
		size_t s = i;

		while (i < len && v[i] != ' ')
			i++;
		if (i - s > CONFIG_PATH_MAX || n >= CONFIG_ARGS_MAX)
			return -EPX_E_CFG_VALUE;
		memcpy(cfg->joincred_cmd[n], v + s, i - s);
		cfg->joincred_cmd[n][i - s] = '\0';
		n++;
		while (i < len && v[i] == ' ')
			i++;
	}
	if (n == 0 || cfg->joincred_cmd[0][0] != '/')
		return -EPX_E_CFG_VALUE;
	cfg->joincred_nargs = n;
	return 0;
}

static int config_assign(struct config *cfg, const struct cfg_key *k,
		      const char *v, size_t len)
{
	char *base = (char *)cfg;
	int64_t n = 0;
	int rc = -EPX_E_CFG_VALUE;

	if (!config_printable(v, len))
		return -EPX_E_CFG_VALUE;
	switch (k->type) {
	case CT_STR:
		if (len >= k->size)
			return -EPX_E_CFG_VALUE;
		memcpy(base + k->off, v, len);
		base[k->off + len] = '\0';
		return 0;
	case CT_U32:
		rc = config_num(v, len, k->min, k->max, &n);
		if (rc == 0)
			*(unsigned *)(void *)(base + k->off) = (unsigned)n;
		return rc;
	case CT_U64:
		rc = config_num(v, len, k->min, k->max, &n);
		if (rc == 0)
			*(uint64_t *)(void *)(base + k->off) = (uint64_t)n;
		return rc;
	case CT_I64:
		rc = config_num(v, len, k->min, k->max, &n);
		if (rc == 0)
			*(int64_t *)(void *)(base + k->off) = n;
		return rc;
	case CT_JOINCRED:
		if (len == 7 && !memcmp(v, "builtin", 7))
			cfg->joincred = CONFIG_JOINCRED_BUILTIN;
		else if (len == 7 && !memcmp(v, "command", 7))
			cfg->joincred = CONFIG_JOINCRED_COMMAND;
		else if (len == 3 && !memcmp(v, "url", 3))
			cfg->joincred = CONFIG_JOINCRED_URL;
		else
			return -EPX_E_CFG_VALUE;
		return 0;
	case CT_ARGV:
		return config_argv(cfg, v, len);
	}
	return rc;
}

/* One line without its '\n'.  seen[] marks keys already set by the file. */
static int config_line(struct config *cfg, const char *s, size_t len,
		    unsigned char *seen)
{
	const struct cfg_key *k;
	size_t i = 0, klen, vs;

	/* a '#' after blank space starts a comment */
	for (i = 1; i < len; i++)
		if (s[i] == '#' && (s[i - 1] == ' ' || s[i - 1] == '\t')) {
			len = i;
			break;
		}
	i = 0;
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == len || s[i] == '#')
		return 0;
	s += i;
	len -= i;
	for (klen = 0; klen < len && s[klen] != ' ' && s[klen] != '\t'; klen++)
		;
	vs = klen;
	while (vs < len && (s[vs] == ' ' || s[vs] == '\t'))
		vs++;
	if (vs == klen || vs == len)
		return -EPX_E_CFG_SYNTAX;
	k = config_find(s, klen);
	if (!k)
		return -EPX_E_CFG_UNKNOWN;
	if (seen) {
		if (seen[k - cfg_keys])
			return -EPX_E_CFG_DUP;
		seen[k - cfg_keys] = 1;
	}
	return config_assign(cfg, k, s + vs, len - vs);
}

int config_parse(struct config *cfg, const char *buf, size_t len,
		 unsigned *line)
{
	unsigned char seen[CFG_NKEYS] = { 0 };
	size_t off = 0;
	int rc = 0;

	*line = 0;
	if (len > CONFIG_FILE_MAX)
		return -EPX_E_CFG_FILE;
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - (buf + off)) : len - off;

		(*line)++;
		if (l > CONFIG_LINE_MAX || memchr(buf + off, '\0', l))
			return -EPX_E_CFG_SYNTAX;
		rc = config_line(cfg, buf + off, l, seen);
		if (rc < 0)
			return rc;
		off += l + (nl ? 1 : 0);
	}
	return 0;
}

int config_load(struct config *cfg, const char *path, unsigned *line)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, rc = -EPX_E_CFG_FILE;

	*line = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -EPX_E_CFG_FILE;
	buf = malloc(CONFIG_FILE_MAX + 1);
	if (!buf)
		goto out_close;
	while ((n = read(fd, buf + len, CONFIG_FILE_MAX + 1 - len)) > 0) {
		len += (size_t)n;
		if (len > CONFIG_FILE_MAX)
			goto out_free;
	}
	if (n < 0)
		goto out_free;
	rc = config_parse(cfg, buf, len, line);
out_free:
	free(buf);
out_close:
	close(fd);
	return rc;
}

int config_set(struct config *cfg, const char *kv)
{
	const char *eq = strchr(kv, '=');
	const struct cfg_key *k;
	size_t vlen;

	if (!eq || eq == kv)
		return -EPX_E_CFG_SYNTAX;
	k = config_find(kv, (size_t)(eq - kv));
	if (!k)
		return -EPX_E_CFG_UNKNOWN;
	vlen = strlen(eq + 1);
	if (vlen == 0 || vlen > CONFIG_LINE_MAX)
		return -EPX_E_CFG_VALUE;
	return config_assign(cfg, k, eq + 1, vlen);
}

/* boot_url: "http://" host[:port] with no path, no credentials, no space;
 * it lands in iPXE scripts, so the renderer re-checks it as well. */
static int config_url_ok(const char *u, const char *scheme)
{
	size_t sl = strlen(scheme), i;

	if (strncmp(u, scheme, sl) || !u[sl])
		return 0;
	for (i = sl; u[i]; i++)
		if (!((u[i] >= 'a' && u[i] <= 'z') || (u[i] >= '0' && u[i] <= '9') ||
		      (u[i] >= 'A' && u[i] <= 'Z') || u[i] == '.' || u[i] == '-' ||
		      u[i] == ':' || u[i] == '[' || u[i] == ']'))
			return 0;
	return 1;
}

/* the S3 backend's keys: all or none, endpoint without a path */
static const char *config_check_s3(const struct config *cfg)
{
	size_t i, n = strlen(cfg->s3_bucket);

	if (strcmp(cfg->archive_backend, "local") && strcmp(cfg->archive_backend, "s3"))
		return "archive_backend";
	if (strcmp(cfg->archive_backend, "s3"))
		return NULL;
	if (!config_url_ok(cfg->s3_endpoint, "http://") &&
	    !config_url_ok(cfg->s3_endpoint, "https://"))
		return "s3_endpoint";
	/* nodes upload with net/'s TLS-only client: https, never http */
	if (cfg->s3_node_endpoint[0] && !config_url_ok(cfg->s3_node_endpoint, "https://"))
		return "s3_node_endpoint";
	if (cfg->s3_public_endpoint[0] && !config_url_ok(cfg->s3_public_endpoint, "http://") &&
	    !config_url_ok(cfg->s3_public_endpoint, "https://"))
		return "s3_public_endpoint";
	if (n < 3 || cfg->s3_bucket[0] == '-' || cfg->s3_bucket[0] == '.')
		return "s3_bucket";
	for (i = 0; i < n; i++)
		if (!((cfg->s3_bucket[i] >= 'a' && cfg->s3_bucket[i] <= 'z') ||
		      (cfg->s3_bucket[i] >= '0' && cfg->s3_bucket[i] <= '9') ||
		      cfg->s3_bucket[i] == '-' || cfg->s3_bucket[i] == '.'))
			return "s3_bucket";
	if (!cfg->s3_region[0] || strchr(cfg->s3_region, ' ') || strchr(cfg->s3_region, '/'))
		return "s3_region";
	if (cfg->s3_access_key_file[0] != '/')
		return "s3_access_key_file";
	if (cfg->s3_secret_key_file[0] != '/')
		return "s3_secret_key_file";
	return NULL;
}

int config_check(const struct config *cfg, const char **what)
{
	*what = config_check_s3(cfg);
	if (*what)
		return -EPX_E_CFG_VALUE;
	if (cfg->https_port == 0 && cfg->http_port == 0)
		*what = "https_port";
	else if (cfg->https_port && cfg->https_port == cfg->http_port)
		*what = "http_port";
	else if (cfg->https_port && (!cfg->tls_cert[0] || !cfg->tls_key[0]))
		*what = cfg->tls_cert[0] ? "tls_key" : "tls_cert";
	else if (!cfg->store[0])
		*what = "store";
	else if (!cfg->data_dir[0] || cfg->data_dir[0] != '/')
		*what = "data_dir";
	else if (!cfg->boot_dir[0] || cfg->boot_dir[0] != '/')
		*what = "boot_dir";
	else if (cfg->https_port && !cfg->online_key[0])
		*what = "online_key";
	else if (cfg->boot_url[0] && !config_url_ok(cfg->boot_url, "http://"))
		*what = "boot_url";
	else if (cfg->retry_min > cfg->retry_max)
		*what = "retry_min";
	else if (cfg->session_max_age < cfg->long_token_ttl + cfg->token_ttl)
		*what = "session_max_age";
	else if (cfg->rate_burst < 1)
		*what = "rate_burst";
	else if (cfg->joincred == CONFIG_JOINCRED_COMMAND && cfg->joincred_nargs == 0)
		*what = "joincred_command";
	else if (cfg->joincred == CONFIG_JOINCRED_URL &&
		 ((strncmp(cfg->joincred_url, "http://", 7) &&
		   strncmp(cfg->joincred_url, "https://", 8)) || strchr(cfg->joincred_url, ' ')))
		*what = "joincred_url";
	else if (!cfg->node_ca_cert[0] != !cfg->node_ca_key[0])
		*what = cfg->node_ca_cert[0] ? "node_ca_key" : "node_ca_cert";
	else if (cfg->node_ca_previous[0] && !cfg->node_ca_cert[0])
		*what = "node_ca_previous";
	else if (strcmp(cfg->boot_path_default, "direct") &&
		 strcmp(cfg->boot_path_default, "ipxe"))
		*what = "boot_path_default";
	return *what ? -EPX_E_CFG_VALUE : 0;
}

void config_print(const struct config *cfg, void *file)
{
	const char *base = (const char *)cfg;
	FILE *f = file;
	size_t i, j;

	for (i = 0; i < CFG_NKEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];

		switch (k->type) {
		case CT_STR:
			fprintf(f, "%s%s %s\n", base[k->off] ? "" : "# ", k->name,
				base + k->off);
			break;
		case CT_U32:
			fprintf(f, "%s %u\n", k->name,
				*(const unsigned *)(const void *)(base + k->off));
			break;
		case CT_U64:
			fprintf(f, "%s %llu\n", k->name, (unsigned long long)
				*(const uint64_t *)(const void *)(base + k->off));
			break;
		case CT_I64:
			fprintf(f, "%s %lld\n", k->name, (long long)
				*(const int64_t *)(const void *)(base + k->off));
			break;
		case CT_JOINCRED:
			fprintf(f, "%s %s\n", k->name,
				cfg->joincred == CONFIG_JOINCRED_COMMAND ? "command" :
				cfg->joincred == CONFIG_JOINCRED_URL ? "url" : "builtin");
			break;
		case CT_ARGV:
			fprintf(f, "%s%s", cfg->joincred_nargs ? "" : "# ", k->name);
			for (j = 0; j < cfg->joincred_nargs; j++)
				fprintf(f, " %s", cfg->joincred_cmd[j]);
			fprintf(f, "\n");
			break;
		}
	}
}
