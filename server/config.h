/* config: epoxyd's configuration (file plus command-line flags).
 *
 * The file is lines of "key value" (one space or more between them), '#'
 * comments and blank lines.  Every key is known (an unknown or repeated key
 * is an error, so a typo never silently leaves a default in force), every
 * value is checked against its type and range, every line and the whole
 * file have hard caps.  Flags (`-o key=value`) override the file and are
 * checked the same way.  config_check() validates cross-field rules after
 * loading; it does not touch the file system.  `epoxyd -n` then opens
 * what a start opens and checks every path as the service user
 * (server/paths.h), so it reports syntax first, then unusable files. */
#ifndef SERVER_CONFIG_H
#define SERVER_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CONFIG_FILE_MAX 65536
#define CONFIG_LINE_MAX 1024
#define CONFIG_PATH_MAX 511
#define CONFIG_STR_MAX 255
#define CONFIG_ARGS_MAX 8        /* joincred command arguments */

enum config_joincred {
	CONFIG_JOINCRED_BUILTIN = 0, /* Kubernetes bootstrap-token shape */
	CONFIG_JOINCRED_COMMAND,     /* operator command, credential on stdout */
	CONFIG_JOINCRED_URL,         /* GET/POST to an operator URL */
};

struct config {
	/* listeners */
	char listen_addr[CONFIG_STR_MAX + 1];   /* bind address, "" = any */
	unsigned https_port;                    /* 0 = HTTPS listener off */
	unsigned http_port;                     /* 0 = plain listener off */
	char tls_cert[CONFIG_PATH_MAX + 1];
	char tls_key[CONFIG_PATH_MAX + 1];
	char tls_priorities[CONFIG_STR_MAX + 1];
	char server_name[CONFIG_STR_MAX + 1];   /* DNS name in the certificate */
	char boot_url[CONFIG_STR_MAX + 1];      /* plain-HTTP base in scripts */
	/* state and files */
	char store[CONFIG_PATH_MAX + 1];        /* sqlite path or postgresql:// */
	char data_dir[CONFIG_PATH_MAX + 1];     /* objects/<sha256> */
	char boot_dir[CONFIG_PATH_MAX + 1];     /* stage0.efi, stage1.efi ... */
	char online_key[CONFIG_PATH_MAX + 1];
	char keyset[CONFIG_PATH_MAX + 1];
	char user[CONFIG_STR_MAX + 1];          /* "" = epoxy or nobody */
	/* tokens */
	unsigned token_ttl;
	unsigned long_token_ttl;                /* joincred, report */
	unsigned statement_ttl;
	unsigned resume_tokens;                 /* per artifact per session */
	/* housekeeping (epoxyd's main thread, every housekeeping_interval s) */
	unsigned housekeeping_interval;         /* 0 = off */
	unsigned session_max_age;               /* open longer: closed "expired" */
	unsigned token_retention;               /* spent/expired tokens kept */
	/* limits (boot storm) */
	unsigned max_connections;
	unsigned max_sessions;                  /* concurrent session opens */
	unsigned max_downloads;                 /* concurrent artifact streams */
	unsigned conn_timeout;                  /* seconds idle */
	unsigned rate_per_sec;                  /* per address, token bucket */
	unsigned rate_burst;
	unsigned rate_table;                    /* addresses tracked */
	unsigned retry_min;                     /* Retry-After window */
	unsigned retry_max;
	unsigned threads;                       /* MHD thread pool size */
	uint64_t admin_upload_max;              /* spooled admin bodies */
	unsigned admin_uploads;                 /* uploads at once per admin */
	uint64_t upload_min_free;               /* bytes kept free in data_dir */
	unsigned header_timeout;                /* s: accept to full headers */
	unsigned body_timeout;                  /* s: headers to full body */
	unsigned body_min_rate;                 /* bytes/s of a body, averaged */
	unsigned slow_per_addr;                 /* unfinished requests per address */
	unsigned slow_max;                      /* unfinished requests in all */
	/* join credential plug-in */
	enum config_joincred joincred;
	char joincred_cmd[CONFIG_ARGS_MAX][CONFIG_PATH_MAX + 1];
	size_t joincred_nargs;
	char joincred_url[CONFIG_STR_MAX + 1];
	unsigned joincred_timeout;
	unsigned joincred_ttl;                  /* builtin: seconds, informational */
	/* node identity (server/nodeid.h): "" = off */
	char node_ca_cert[CONFIG_PATH_MAX + 1]; /* node CA certificate, PEM */
	char node_ca_key[CONFIG_PATH_MAX + 1];  /* its P-256 key, PEM */
	char node_ca_previous[CONFIG_PATH_MAX + 1]; /* "" or previous CA certs, PEM */
	unsigned node_cert_ttl;                 /* s: node client certificates */
	unsigned node_heartbeat;                /* s between a node's heartbeats */
	unsigned sd_metrics_port;               /* nodes' /metrics port (fleetsd.h) */
	/* the archive's backend (issue 15 point 3; docs/man/epoxyd.8) */
	char archive_backend[16];               /* "local" (data_dir) or "s3" */
	char boot_path_default[8];              /* "direct" or "ipxe": host add's default */
	char s3_endpoint[CONFIG_STR_MAX + 1];   /* http(s)://host[:port], no path */
	char s3_bucket[64];
	char s3_region[64];
	char s3_access_key_file[CONFIG_PATH_MAX + 1];
	char s3_secret_key_file[CONFIG_PATH_MAX + 1]; /* mode 0600 or stricter */
	unsigned s3_url_ttl;                    /* s: a presigned upload URL lives */
	char s3_node_endpoint[CONFIG_STR_MAX + 1]; /* "" or https://host[:port]: the
						 * store as nodes reach it */
	char s3_public_endpoint[CONFIG_STR_MAX + 1]; /* "" or http(s)://host[:port]:
						   * the store as the public reaches it */
	/* testing */
	int64_t clock_offset;                   /* added to time(NULL) */
};

/* Fills cfg with the defaults. */
void config_defaults(struct config *cfg);
/* Parses buf (len bytes) into cfg (on top of what it holds).  On error,
 * *line is the 1-based line number.  Returns 0 or -EPX_E_CFG_*. */
int config_parse(struct config *cfg, const char *buf, size_t len,
		 unsigned *line);
/* Reads and parses path.  Returns 0, -EPX_E_CFG_FILE or parse errors. */
int config_load(struct config *cfg, const char *path, unsigned *line);
/* One "key=value" override (from -o).  Returns 0 or -EPX_E_CFG_*. */
int config_set(struct config *cfg, const char *kv);
/* Cross-field rules (ports distinct, TLS files given when HTTPS is on,
 * retry_min <= retry_max ...).  Writes the failing key to *what. */
int config_check(const struct config *cfg, const char **what);
/* Prints the effective configuration in file syntax. */
void config_print(const struct config *cfg, void *file);

#endif
