/* schema: the store's versioned migrations, applied in order at store_open.
 *
 * Guarantees: a version's statements never change once released (a change
 * is a new version appended at the end); every statement is valid in both
 * SQLite 3.40 and PostgreSQL 15 after "{blob}" and "{serial}" are replaced
 * by the backend's spelling.  Tokens and credentials appear only as SHA-256
 * hex (columns *hash).  Version 3+ is where slices and slivers will go. */
#include <stddef.h>

#include "store/store_db.h"

static const char *const v1[] = {
	"CREATE TABLE sites (name TEXT PRIMARY KEY, description TEXT NOT NULL,"
	" created BIGINT NOT NULL)",

	"CREATE TABLE hosts (name TEXT PRIMARY KEY, site TEXT NOT NULL,"
	" hwclass TEXT NOT NULL, channel TEXT NOT NULL, pinned BIGINT NOT NULL,"
	" reinstall BIGINT NOT NULL, macs TEXT NOT NULL, addrs TEXT NOT NULL,"
	" node_groups TEXT NOT NULL, cred_hash TEXT, cred_revoked BIGINT NOT NULL,"
	" state TEXT NOT NULL, last_stage TEXT NOT NULL, last_status TEXT NOT NULL,"
	" last_code TEXT NOT NULL, last_tail {blob}, created BIGINT NOT NULL,"
	" updated BIGINT NOT NULL, last_seen BIGINT NOT NULL)",

	"CREATE TABLE host_macs (mac TEXT PRIMARY KEY, host TEXT NOT NULL)",
	"CREATE INDEX host_macs_host ON host_macs (host)",

	"CREATE TABLE sessions (id TEXT PRIMARY KEY, host TEXT NOT NULL,"
	" nonce TEXT NOT NULL, version BIGINT NOT NULL, hwclass TEXT NOT NULL,"
	" state TEXT NOT NULL, opened BIGINT NOT NULL, closed BIGINT NOT NULL)",
	"CREATE INDEX sessions_host ON sessions (host, opened)",

	"CREATE TABLE tokens (hash TEXT PRIMARY KEY, host TEXT NOT NULL,"
	" session TEXT NOT NULL, purpose TEXT NOT NULL, issued BIGINT NOT NULL,"
	" expires_at BIGINT NOT NULL, used_at BIGINT, reissue BIGINT NOT NULL)",
	"CREATE INDEX tokens_host ON tokens (host)",

	"CREATE TABLE token_reissues (session TEXT NOT NULL, purpose TEXT NOT NULL,"
	" n BIGINT NOT NULL, PRIMARY KEY (session, purpose))",

	"CREATE TABLE releases (hwclass TEXT NOT NULL, version BIGINT NOT NULL,"
	" expires BIGINT NOT NULL, published BIGINT NOT NULL,"
	" manifest {blob} NOT NULL, manifest_sha256 TEXT NOT NULL,"
	" PRIMARY KEY (hwclass, version))",
	"CREATE TABLE release_artifacts (hwclass TEXT NOT NULL,"
	" version BIGINT NOT NULL, role TEXT NOT NULL, length BIGINT NOT NULL,"
	" sha256 TEXT NOT NULL, PRIMARY KEY (hwclass, version, role))",

	"CREATE TABLE channels (name TEXT PRIMARY KEY, version BIGINT NOT NULL,"
	" updated BIGINT NOT NULL)",
	"CREATE TABLE group_pins (grp TEXT NOT NULL, channel TEXT NOT NULL,"
	" version BIGINT NOT NULL, PRIMARY KEY (grp, channel))",

	"CREATE TABLE reports (id {serial}, host TEXT NOT NULL,"
	" session TEXT NOT NULL, stage TEXT NOT NULL, status TEXT NOT NULL,"
	" code TEXT NOT NULL, tail {blob}, time BIGINT NOT NULL)",
	"CREATE INDEX reports_host ON reports (host, id)",

	"CREATE TABLE admins (name TEXT PRIMARY KEY, cred_hash TEXT NOT NULL UNIQUE,"
	" revoked BIGINT NOT NULL, created BIGINT NOT NULL)",

	"CREATE TABLE audit (seq BIGINT PRIMARY KEY, time BIGINT NOT NULL,"
	" actor TEXT NOT NULL, action TEXT NOT NULL, subject TEXT NOT NULL,"
	" detail TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL)",
	NULL
};

/* v2: purge and the per-session lookups scan tokens by session and expiry */
static const char *const v2[] = {
	"CREATE INDEX tokens_session ON tokens (session, purpose)",
	"CREATE INDEX tokens_expires ON tokens (expires_at)",
	NULL
};

/* v3 (issue 13): a new boot credential is pending until epoxyctl confirms
 * it was stored (or the node first uses it); the old one works till then */
static const char *const v3[] = {
	"ALTER TABLE hosts ADD COLUMN cred_pending TEXT",
	"ALTER TABLE hosts ADD COLUMN cred_pending_at BIGINT NOT NULL DEFAULT 0",
	NULL
};

/* v4 (issue 14): node client certificates, serial -> host, bound to the
 * host's boot credential hash of the moment they were issued */
static const char *const v4[] = {
	"CREATE TABLE node_certs (serial TEXT PRIMARY KEY, host TEXT NOT NULL,"
	" cred_hash TEXT NOT NULL, issued BIGINT NOT NULL, expires_at BIGINT NOT NULL,"
	" revoked BIGINT NOT NULL, last_seen BIGINT NOT NULL)",
	"CREATE INDEX node_certs_host ON node_certs (host)",
	NULL
};

/* v5 (issue 14): a node certificate's not-before, for the operator's view
 * (epoxyctl host show); rows of v4 read 0 */
static const char *const v5[] = {
	"ALTER TABLE node_certs ADD COLUMN not_before BIGINT NOT NULL DEFAULT 0",
	NULL
};

/* v6 (issue 13 point 10): the fleet's dbx updates, never changed or
 * deleted; the current one has the highest id */
static const char *const v6[] = {
	"CREATE TABLE dbx_updates (id {serial}, sha256 TEXT NOT NULL,"
	" hashes BIGINT NOT NULL, published BIGINT NOT NULL, actor TEXT NOT NULL,"
	" body {blob} NOT NULL)",
	"CREATE INDEX dbx_updates_sha256 ON dbx_updates (sha256)",
	NULL
};

/* v7 (issue 14 point 3): the SliceDB.  slice_nodes.kind is 'host' or
 * 'group'; slice_attrs.scope is 'slice' (target ''), 'group' or 'host';
 * values are integers in the units of store_attrs[] (store.h);
 * sliver_serials: each host's sliver-set serial and the digest it was
 * last given for, kept across host deletion so a serial never goes back */
static const char *const v7[] = {
	"CREATE TABLE images (sha256 TEXT PRIMARY KEY, name TEXT NOT NULL,"
	" length BIGINT NOT NULL, published BIGINT NOT NULL, actor TEXT NOT NULL)",
	"CREATE TABLE slices (name TEXT PRIMARY KEY, site TEXT NOT NULL,"
	" expires BIGINT NOT NULL, vref TEXT NOT NULL, entry TEXT NOT NULL,"
	" created BIGINT NOT NULL, updated BIGINT NOT NULL)",
	"CREATE TABLE slice_nodes (slice TEXT NOT NULL, kind TEXT NOT NULL,"
	" node TEXT NOT NULL, PRIMARY KEY (slice, kind, node))",
	"CREATE INDEX slice_nodes_node ON slice_nodes (kind, node)",
	"CREATE TABLE slice_attrs (slice TEXT NOT NULL, scope TEXT NOT NULL,"
	" target TEXT NOT NULL, attr TEXT NOT NULL, value BIGINT NOT NULL,"
	" PRIMARY KEY (slice, scope, target, attr))",
	"CREATE TABLE sliver_serials (host TEXT PRIMARY KEY, serial BIGINT NOT NULL,"
	" digest TEXT NOT NULL, updated BIGINT NOT NULL)",
	NULL
};

/* v8 (issue 15 point 3): the archive's experiments and the bundles the
 * nodes stored; a bundle's embargo is its experiment's, checked when asked */
static const char *const v8[] = {
	"CREATE TABLE experiments (name TEXT PRIMARY KEY, datatypes TEXT NOT NULL,"
	" embargo_days BIGINT NOT NULL, slice TEXT NOT NULL, created BIGINT NOT NULL,"
	" updated BIGINT NOT NULL)",
	"CREATE TABLE archive_bundles (host TEXT NOT NULL, experiment TEXT NOT NULL,"
	" sha256 TEXT NOT NULL, size BIGINT NOT NULL, stored BIGINT NOT NULL,"
	" PRIMARY KEY (host, experiment, sha256))",
	"CREATE INDEX archive_bundles_sha256 ON archive_bundles (sha256)",
	NULL
};

/* v9 (issue 16 point 3): each host's inventory as its node reported it
 * (lib/inventory.h's canonical text), the one before its last change, and
 * when that change was seen (0: never) */
static const char *const v9[] = {
	"CREATE TABLE host_inventory (host TEXT PRIMARY KEY, body TEXT NOT NULL,"
	" prev TEXT NOT NULL, session TEXT NOT NULL, reported BIGINT NOT NULL,"
	" changed BIGINT NOT NULL)",
	NULL
};

/* v10 (issue 16 point 2): release rollouts.  One rollout moves the hosts
 * of a channel from from_version to version in waves (wave 0: the
 * canaries); rollout_hosts holds each host's wave and state ('waiting',
 * 'moved', 'joined', 'failed', 'gone'), each row moved at most once; at
 * most one rollout per channel is in progress (the partial unique index) */
static const char *const v10[] = {
	"CREATE TABLE rollouts (id {serial}, channel TEXT NOT NULL,"
	" version BIGINT NOT NULL, from_version BIGINT NOT NULL, state TEXT NOT NULL,"
	" wave BIGINT NOT NULL, waves BIGINT NOT NULL, canary BIGINT NOT NULL,"
	" canary_pct BIGINT NOT NULL, step_pct BIGINT NOT NULL,"
	" max_failures BIGINT NOT NULL, wait BIGINT NOT NULL, wave_done BIGINT NOT NULL,"
	" actor TEXT NOT NULL, created BIGINT NOT NULL, updated BIGINT NOT NULL)",
	"CREATE UNIQUE INDEX rollouts_active ON rollouts (channel)"
	" WHERE state IN ('running', 'paused', 'halted')",
	"CREATE TABLE rollout_hosts (rollout BIGINT NOT NULL, host TEXT NOT NULL,"
	" site TEXT NOT NULL, ord BIGINT NOT NULL, wave BIGINT NOT NULL, state TEXT NOT NULL,"
	" moved_at BIGINT NOT NULL, done_at BIGINT NOT NULL,"
	" PRIMARY KEY (rollout, host))",
	"CREATE INDEX rollout_hosts_host ON rollout_hosts (host)",
	"CREATE INDEX rollout_hosts_wave ON rollout_hosts (rollout, wave, state)",
	NULL
};

/* v11 (issue 15 point 3, the S3 backend): where each bundle's bytes are:
 * 'local' (data_dir/archive), 's3-private' (under embargo, in the object
 * store's private prefix) or 's3-public' (moved out by housekeeping) */
static const char *const v11[] = {
	"ALTER TABLE archive_bundles ADD COLUMN location TEXT NOT NULL DEFAULT 'local'",
	"CREATE INDEX archive_bundles_location ON archive_bundles (location, stored)",
	NULL
};

/* v12 (issue 17 point 1): each host's boot path, what its HTTPS boot
 * option fetches: 'ipxe' (stage0, the signed iPXE) or 'direct' (the
 * db-signed stage1 UKI); epoxyctl host enroll writes it into the VARS */
static const char *const v12[] = {
	"ALTER TABLE hosts ADD COLUMN boot_path TEXT NOT NULL DEFAULT 'ipxe'",
	NULL
};

/* v13 (issue 14 point 7): each host's last sensor snapshot, the canonical
 * line of lib/usage.h, with the node's time (at) and the server's */
static const char *const v13[] = {
	"CREATE TABLE host_usage (host TEXT PRIMARY KEY, at BIGINT NOT NULL,"
	" received BIGINT NOT NULL, body TEXT NOT NULL)",
	NULL
};

/* v14 (issue 14 point 6): a slice's privileged-operation grants, the
 * canonical list of lib/grant.h ('' none); rows of v13 read none */
static const char *const v14[] = {
	"ALTER TABLE slices ADD COLUMN grants TEXT NOT NULL DEFAULT ''",
	NULL
};

/* v15 (issue 15 point 2): each bundle's archive name in M-Lab's layout
 * (lib/bundlename.h), unique; "" for the bundles recorded before */
static const char *const v15[] = {
	"ALTER TABLE archive_bundles ADD COLUMN name TEXT NOT NULL DEFAULT ''",
	"CREATE UNIQUE INDEX archive_bundles_name ON archive_bundles (name) WHERE name <> ''",
	NULL
};

const struct store_migration store_migrations[] = {
	{ 1, v1 },
	{ 2, v2 },
	{ 3, v3 },
	{ 4, v4 },
	{ 5, v5 },
	{ 6, v6 },
	{ 7, v7 },
	{ 8, v8 },
	{ 9, v9 },
	{ 10, v10 },
	{ 11, v11 },
	{ 12, v12 },
	{ 13, v13 },
	{ 14, v14 },
	{ 15, v15 },
};
const size_t store_migrations_n = sizeof(store_migrations) / sizeof(store_migrations[0]);
