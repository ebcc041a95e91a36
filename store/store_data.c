/* store_data: sites, hosts, releases, channels, group pins, reports and the
 * content-addressed artifact files.
 *
 * Guarantees: every field is validated against the caps of store.h before
 * it reaches SQL; a host's MACs are unique across the fleet (host_macs
 * primary key) and written in the same transaction as the host; a report
 * and the host's last_* fields change together; store_object_put never
 * leaves a partial file under its final name (tmp + fsync + rename) and
 * names it by the SHA-256 of the bytes actually written. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/label.h"
#include "lib/sha256.h"
#include "store/store.h"
#include "store/store_db.h"

#define LIST_BUF 1024   /* "a b c" joined MACs/addrs/groups */

/* --------------------------------------------------------------- sites */

int store_site_add(struct store *s, const char *name, const char *description)
{
	if (!store_valid_label(name) || !st_valid_text(description, STORE_TEXT_MAX))
		return -EPX_E_DB_INVALID;
	return Q(s, "INSERT INTO sites (name, description, created) VALUES ($1, $2, $3)",
		 NULL, A_TEXT(name), A_TEXT(description), A_INT(store_now(s)));
}

static void store_data_site_row(const struct db_res *r, size_t i, struct store_site *o)
{
	memset(o, 0, sizeof(*o));
	st_copy(o->name, sizeof(o->name), db_text(r, i, 0));
	st_copy(o->description, sizeof(o->description), db_text(r, i, 1));
	o->created = db_int(r, i, 2);
}

int store_site_get(struct store *s, const char *name, struct store_site *out)
{
	struct db_res r;
	int rc = -EPX_E_DB_INVALID;

	if (!store_valid_label(name))
		return rc;
	rc = Q(s, "SELECT name, description, created FROM sites WHERE name = $1", &r,
	       A_TEXT(name));
	if (rc < 0)
		return rc;
	if (r.nrows)
		store_data_site_row(&r, 0, out);
	rc = r.nrows ? 0 : -EPX_E_DB_NOTFOUND;
	db_res_free(&r);
	return rc;
}

int store_site_delete(struct store *s, const char *name)
{
	struct db_res r;
	int rc = -EPX_E_DB_INVALID;

	if (!store_valid_label(name))
		return rc;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = Q(s, "SELECT 1 FROM hosts WHERE site = $1 LIMIT 1", &r, A_TEXT(name));
	if (rc == 0 && r.nrows)
		rc = -EPX_E_DB_INUSE;
	db_res_free(&r);
	if (rc == 0)
		rc = Q(s, "DELETE FROM sites WHERE name = $1", &r, A_TEXT(name));
	if (rc == 0 && r.changes == 0)
		rc = -EPX_E_DB_NOTFOUND;
	db_res_free(&r);
	return st_end(s, rc);
}

int store_site_list(struct store *s, int (*cb)(const struct store_site *, void *), void *arg)
{
	struct store_site o;
	struct db_res r;
	size_t i;
	int rc = Q(s, "SELECT name, description, created FROM sites ORDER BY name LIMIT $1",
		   &r, A_INT(STORE_LIST_MAX));

	if (rc < 0)
		return rc;
	for (i = 0; i < r.nrows; i++) {
		store_data_site_row(&r, i, &o);
		rc = cb(&o, arg);
		if (rc != 0)
			break;
	}
	db_res_free(&r);
	return rc < 0 ? rc : 0;
}

/* --------------------------------------------------------------- hosts */

/* Validates the editable fields; canonical MACs into macs[]. */
static int store_data_host_check(const struct store_host *h, char macs[][STORE_MAC_LEN + 1])
{
	size_t i, j;

	if (!store_valid_hostname(h->name) || !store_valid_label(h->hwclass) ||
	    (h->site[0] && !store_valid_label(h->site)) ||
	    (h->channel[0] && !store_valid_label(h->channel)) ||
	    h->n_macs > STORE_MACS_MAX || h->n_addrs > STORE_ADDRS_MAX ||
	    h->n_groups > STORE_GROUPS_MAX || (h->reinstall != 0 && h->reinstall != 1) ||
	    (h->boot_direct != 0 && h->boot_direct != 1))
		return -EPX_E_DB_INVALID;
	for (i = 0; i < h->n_macs; i++) {
		if (store_mac_canon(h->macs[i], macs[i]) < 0)
			return -EPX_E_DB_INVALID;
		for (j = 0; j < i; j++)
			if (!strcmp(macs[i], macs[j]))
				return -EPX_E_DB_INVALID;
	}
	for (i = 0; i < h->n_addrs; i++)
		if (label_check_str(LABEL_ADDR, h->addrs[i]) < 0)
			return -EPX_E_DB_INVALID;
	for (i = 0; i < h->n_groups; i++)
		if (!store_valid_label(h->groups[i]))
			return -EPX_E_DB_INVALID;
	return 0;
}

static void store_data_join_list(char *out, size_t cap, const void *items, size_t n, size_t stride)
{
	size_t i, o = 0, len;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		const char *it = (const char *)items + i * stride;

		len = strlen(it);
		if (len + 2 > cap - o)
			break;   /* cannot happen: caps * widths < LIST_BUF */
		if (i)
			out[o++] = ' ';
		memcpy(out + o, it, len + 1);
		o += len;
	}
}

/* Splits "a b c" into at most max items of width w. */
static size_t store_data_split_list(const char *in, void *items, size_t max, size_t w)
{
	size_t n = 0, len;
	const char *sp;

	while (*in && n < max) {
		sp = strchr(in, ' ');
		len = sp ? (size_t)(sp - in) : strlen(in);
		if (len > w - 1)
			len = w - 1;
		memcpy((char *)items + n * w, in, len);
		((char *)items)[n * w + len] = '\0';
		n++;
		in += sp ? (size_t)(sp - in) + 1 : strlen(in);
	}
	return n;
}

static int store_data_site_check(struct store *s, const char *site)
{
	struct store_site st;

	if (!site[0])
		return 0;
	return store_site_get(s, site, &st);
}

static int store_data_host_macs_write(struct store *s, const char *name,
			   char macs[][STORE_MAC_LEN + 1], size_t n)
{
	size_t i;
	int rc = Q(s, "DELETE FROM host_macs WHERE host = $1", NULL, A_TEXT(name));

	for (i = 0; rc == 0 && i < n; i++)
		rc = Q(s, "INSERT INTO host_macs (mac, host) VALUES ($1, $2)", NULL,
		       A_TEXT(macs[i]), A_TEXT(name));
	return rc;
}

static int store_data_host_write(struct store *s, const struct store_host *h, int insert)
{
	char macs[STORE_MACS_MAX][STORE_MAC_LEN + 1];
	char ml[LIST_BUF], al[LIST_BUF], gl[LIST_BUF];
	const char *channel = h->channel[0] ? h->channel : "stable";
	struct db_res r;
	int rc = store_data_host_check(h, macs);

	if (rc < 0)
		return rc;
	store_data_join_list(ml, sizeof(ml), macs, h->n_macs, sizeof(macs[0]));
	store_data_join_list(al, sizeof(al), h->addrs, h->n_addrs, sizeof(h->addrs[0]));
	store_data_join_list(gl, sizeof(gl), h->groups, h->n_groups, sizeof(h->groups[0]));
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = store_data_site_check(s, h->site);
	if (rc == -EPX_E_DB_NOTFOUND)
		rc = -EPX_E_DB_INVALID;
	if (rc == 0 && insert)
		rc = Q(s, "INSERT INTO hosts (name, site, hwclass, channel, pinned, reinstall,"
		       " macs, addrs, node_groups, cred_hash, cred_revoked, state, last_stage,"
		       " last_status, last_code, last_tail, created, updated, last_seen, boot_path)"
		       " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, 0, 'enrolled', '',"
		       " '', '', NULL, $10, $10, 0, $11)", NULL,
		       A_TEXT(h->name), A_TEXT(h->site), A_TEXT(h->hwclass), A_TEXT(channel),
		       A_INT(h->pinned_version), A_INT(h->reinstall), A_TEXT(ml), A_TEXT(al),
		       A_TEXT(gl), A_INT(store_now(s)), A_TEXT(store_boot_path(h->boot_direct)));
	else if (rc == 0) {
		rc = Q(s, "UPDATE hosts SET site = $2, hwclass = $3, channel = $4, pinned = $5,"
		       " reinstall = $6, macs = $7, addrs = $8, node_groups = $9, updated = $10,"
		       " boot_path = $11 WHERE name = $1", &r,
		       A_TEXT(h->name), A_TEXT(h->site), A_TEXT(h->hwclass), A_TEXT(channel),
		       A_INT(h->pinned_version), A_INT(h->reinstall), A_TEXT(ml), A_TEXT(al),
		       A_TEXT(gl), A_INT(store_now(s)), A_TEXT(store_boot_path(h->boot_direct)));
		if (rc == 0 && r.changes == 0)
			rc = -EPX_E_DB_NOTFOUND;
		db_res_free(&r);
	}
	if (rc == 0)
		rc = store_data_host_macs_write(s, h->name, macs, h->n_macs);
	return st_end(s, rc);
}

int store_host_add(struct store *s, const struct store_host *h)
{
	return store_data_host_write(s, h, 1);
}

int store_host_update(struct store *s, const struct store_host *h)
{
	return store_data_host_write(s, h, 0);
}

#define HOST_COLS "name, site, hwclass, channel, pinned, reinstall, macs, addrs," \
	" node_groups, cred_hash, cred_revoked, state, last_stage, last_status," \
	" last_code, last_tail, created, updated, last_seen, boot_path"

static void store_data_host_row(const struct db_res *r, size_t i, struct store_host *o)
{
	size_t tl;

	memset(o, 0, sizeof(*o));
	st_copy(o->name, sizeof(o->name), db_text(r, i, 0));
	st_copy(o->site, sizeof(o->site), db_text(r, i, 1));
	st_copy(o->hwclass, sizeof(o->hwclass), db_text(r, i, 2));
	st_copy(o->channel, sizeof(o->channel), db_text(r, i, 3));
	o->pinned_version = (uint32_t)db_int(r, i, 4);
	o->reinstall = (int)db_int(r, i, 5);
	o->n_macs = store_data_split_list(db_text(r, i, 6), o->macs, STORE_MACS_MAX, sizeof(o->macs[0]));
	o->n_addrs = store_data_split_list(db_text(r, i, 7), o->addrs, STORE_ADDRS_MAX, sizeof(o->addrs[0]));
	o->n_groups = store_data_split_list(db_text(r, i, 8), o->groups, STORE_GROUPS_MAX,
				 sizeof(o->groups[0]));
	o->has_credential = !db_isnull(r, i, 9);
	o->credential_revoked = (int)db_int(r, i, 10);
	st_copy(o->state, sizeof(o->state), db_text(r, i, 11));
	st_copy(o->last_stage, sizeof(o->last_stage), db_text(r, i, 12));
	st_copy(o->last_status, sizeof(o->last_status), db_text(r, i, 13));
	st_copy(o->last_code, sizeof(o->last_code), db_text(r, i, 14));
	tl = db_len(r, i, 15);
	if (tl > STORE_TAIL_MAX)
		tl = STORE_TAIL_MAX;
	memcpy(o->last_tail, db_text(r, i, 15), tl);
	o->last_tail[tl] = '\0';
	o->last_tail_len = tl;
	o->created = db_int(r, i, 16);
	o->updated = db_int(r, i, 17);
	o->last_seen = db_int(r, i, 18);
	o->boot_direct = !strcmp(db_text(r, i, 19), "direct");
}

static int store_data_host_one(struct store *s, const char *sql, const char *key, struct store_host *out)
{
	struct db_res r;
	int rc = Q(s, sql, &r, A_TEXT(key));

	if (rc < 0)
		return rc;
	if (r.nrows)
		store_data_host_row(&r, 0, out);
	rc = r.nrows ? 0 : -EPX_E_DB_NOTFOUND;
	db_res_free(&r);
	return rc;
}

int store_host_get(struct store *s, const char *name, struct store_host *out)
{
	if (!store_valid_hostname(name))
		return -EPX_E_DB_INVALID;
	return store_data_host_one(s, "SELECT " HOST_COLS " FROM hosts WHERE name = $1", name, out);
}

int store_host_by_mac(struct store *s, const char *mac, struct store_host *out)
{
	char m[STORE_MAC_LEN + 1];
	int rc = store_mac_canon(mac, m);

	if (rc < 0)
		return rc;
	return store_data_host_one(s, "SELECT " HOST_COLS " FROM hosts WHERE name ="
			" (SELECT host FROM host_macs WHERE mac = $1)", m, out);
}

int store_host_delete(struct store *s, const char *name)
{
	static const char *const del[] = {
		"DELETE FROM host_macs WHERE host = $1",
		"DELETE FROM tokens WHERE host = $1",
		"DELETE FROM host_inventory WHERE host = $1",
		"DELETE FROM host_usage WHERE host = $1",
		"UPDATE sessions SET state = 'revoked' WHERE host = $1 AND state = 'open'",
	};
	struct db_res r;
	size_t i;
	int rc = -EPX_E_DB_INVALID;

	if (!store_valid_hostname(name))
		return rc;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = Q(s, "DELETE FROM hosts WHERE name = $1", &r, A_TEXT(name));
	if (rc == 0 && r.changes == 0)
		rc = -EPX_E_DB_NOTFOUND;
	db_res_free(&r);
	for (i = 0; rc == 0 && i < sizeof(del) / sizeof(del[0]); i++)
		rc = Q(s, del[i], NULL, A_TEXT(name));
	return st_end(s, rc);
}

#define HOST_PAGE 256   /* rows per query: bounds memory (tails are 4 KiB) */

int store_host_list(struct store *s, int (*cb)(const struct store_host *, void *), void *arg)
{
	char after[STORE_NAME_MAX + 1] = "";
	struct store_host *o;
	struct db_res r;
	size_t i, total = 0, got;
	int rc = -ENOMEM;

	o = malloc(sizeof(*o));
	if (!o)
		return rc;
	do {
		rc = Q(s, "SELECT " HOST_COLS " FROM hosts WHERE name > $1 ORDER BY name LIMIT $2",
		       &r, A_TEXT(after), A_INT(HOST_PAGE));
		if (rc < 0)
			break;
		got = r.nrows;
		for (i = 0; i < r.nrows && rc == 0 && total < STORE_LIST_MAX; i++, total++) {
			store_data_host_row(&r, i, o);
			memcpy(after, o->name, sizeof(after));
			rc = cb(o, arg);
		}
		db_res_free(&r);
	} while (rc == 0 && got == HOST_PAGE && total < STORE_LIST_MAX);
	free(o);
	return rc < 0 ? rc : 0;
}

static int store_data_host_set(struct store *s, const char *sql, const char *name, struct db_arg v)
{
	struct db_res r;
	int rc = -EPX_E_DB_INVALID;

	if (!store_valid_hostname(name))
		return rc;
	rc = Q(s, sql, &r, A_TEXT(name), v, A_INT(store_now(s)));
	if (rc == 0 && r.changes == 0)
		rc = -EPX_E_DB_NOTFOUND;
	db_res_free(&r);
	return rc;
}

int store_host_set_state(struct store *s, const char *name, const char *state)
{
	size_t n = state ? strlen(state) : 0, i;

	if (n < 1 || n > STORE_STATE_MAX)
		return -EPX_E_DB_INVALID;
	for (i = 0; i < n; i++)
		if (!((state[i] >= 'a' && state[i] <= 'z') || state[i] == '-'))
			return -EPX_E_DB_INVALID;
	return store_data_host_set(s, "UPDATE hosts SET state = $2, updated = $3 WHERE name = $1",
			name, A_TEXT(state));
}

const char *store_boot_path(int boot_direct)
{
	return boot_direct ? "direct" : "ipxe";
}

int store_host_set_reinstall(struct store *s, const char *name, int flag)
{
	if (flag != 0 && flag != 1)
		return -EPX_E_DB_INVALID;
	return store_data_host_set(s, "UPDATE hosts SET reinstall = $2, updated = $3 WHERE name = $1",
			name, A_INT(flag));
}

int store_host_touch(struct store *s, const char *name)
{
	struct db_res r;
	int rc = -EPX_E_DB_INVALID;

	if (!store_valid_hostname(name))
		return rc;
	rc = Q(s, "UPDATE hosts SET last_seen = $2 WHERE name = $1", &r, A_TEXT(name),
	       A_INT(store_now(s)));
	if (rc == 0 && r.changes == 0)
		rc = -EPX_E_DB_NOTFOUND;
	db_res_free(&r);
	return rc;
}

/* ------------------------------------------------------------ releases */

static const char *const role_names[STORE_ROLES] = { "kernel", "initramfs", "cmdline", "join" };
static const uint64_t role_caps[STORE_ROLES] = {
	512ull << 20, 512ull << 20, 4096, 1ull << 20
};

const char *store_role_name(enum store_role r)
{
	return (unsigned)r < STORE_ROLES ? role_names[r] : "?";
}

int store_role_parse(const char *name, enum store_role *out)
{
	unsigned i;

	for (i = 0; name && i < STORE_ROLES; i++)
		if (!strcmp(name, role_names[i])) {
			*out = (enum store_role)i;
			return 0;
		}
	return -EPX_E_DB_INVALID;
}

int store_release_publish(struct store *s, const struct store_release *rel,
			  const uint8_t *manifest, size_t manifest_len)
{
	char mhash[STORE_HASH_HEX + 1];
	uint8_t h[SHA256_LEN];
	int64_t now = store_now(s);
	unsigned i;
	int rc = -EPX_E_DB_INVALID;

	if (rel->version == 0 || !store_valid_label(rel->hwclass) || !manifest ||
	    manifest_len == 0)
		return rc;
	if (manifest_len > STORE_MANIFEST_MAX)
		return -EPX_E_DB_TOOBIG;
	for (i = 0; i < STORE_ROLES; i++)
		if (hex_check_str(rel->art[i].sha256, STORE_HASH_HEX) < 0 || rel->art[i].length > role_caps[i])
			return rc;
	sha256_buf(manifest, manifest_len, h);
	hex_encode(h, sizeof(h), mhash);
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = Q(s, "INSERT INTO releases (hwclass, version, expires, published, manifest,"
	       " manifest_sha256) VALUES ($1, $2, $3, $4, $5, $6)", NULL,
	       A_TEXT(rel->hwclass), A_INT(rel->version), A_INT(rel->expires), A_INT(now),
	       A_BLOB(manifest, manifest_len), A_TEXT(mhash));
	for (i = 0; rc == 0 && i < STORE_ROLES; i++)
		rc = Q(s, "INSERT INTO release_artifacts (hwclass, version, role, length, sha256)"
		       " VALUES ($1, $2, $3, $4, $5)", NULL, A_TEXT(rel->hwclass),
		       A_INT(rel->version), A_TEXT(role_names[i]), A_INT(rel->art[i].length),
		       A_TEXT(rel->art[i].sha256));
	return st_end(s, rc);
}

static int store_data_release_arts(struct store *s, struct store_release *o)
{
	enum store_role role;
	struct db_res r;
	size_t i;
	int rc = Q(s, "SELECT role, length, sha256 FROM release_artifacts WHERE hwclass = $1"
		   " AND version = $2", &r, A_TEXT(o->hwclass), A_INT(o->version));

	if (rc < 0)
		return rc;
	for (i = 0; i < r.nrows; i++) {
		if (store_role_parse(db_text(&r, i, 0), &role) < 0)
			continue;
		o->art[role].length = (uint64_t)db_int(&r, i, 1);
		st_copy(o->art[role].sha256, sizeof(o->art[role].sha256), db_text(&r, i, 2));
	}
	db_res_free(&r);
	return 0;
}

static void store_data_release_row(const struct db_res *r, size_t i, struct store_release *o)
{
	memset(o, 0, sizeof(*o));
	st_copy(o->hwclass, sizeof(o->hwclass), db_text(r, i, 0));
	o->version = (uint32_t)db_int(r, i, 1);
	o->expires = db_int(r, i, 2);
	o->published = db_int(r, i, 3);
	st_copy(o->manifest_sha256, sizeof(o->manifest_sha256), db_text(r, i, 4));
}

#define REL_COLS "hwclass, version, expires, published, manifest_sha256"

int store_release_get(struct store *s, const char *hwclass, uint32_t version,
		      struct store_release *out)
{
	struct db_res r;
	int rc = -EPX_E_DB_INVALID;

	if (!store_valid_label(hwclass))
		return rc;
	rc = Q(s, "SELECT " REL_COLS " FROM releases WHERE hwclass = $1 AND version = $2", &r,
	       A_TEXT(hwclass), A_INT(version));
	if (rc < 0)
		return rc;
	if (r.nrows)
		store_data_release_row(&r, 0, out);
	rc = r.nrows ? 0 : -EPX_E_DB_NOTFOUND;
	db_res_free(&r);
	return rc < 0 ? rc : store_data_release_arts(s, out);
}

int store_release_manifest(struct store *s, const char *hwclass, uint32_t version,
			   uint8_t **buf, size_t *len)
{
	struct db_res r;
	int rc = -EPX_E_DB_INVALID;

	*buf = NULL;
	*len = 0;
	if (!store_valid_label(hwclass))
		return rc;
	rc = Q(s, "SELECT manifest FROM releases WHERE hwclass = $1 AND version = $2", &r,
	       A_TEXT(hwclass), A_INT(version));
	if (rc < 0)
		return rc;
	rc = -EPX_E_DB_NOTFOUND;
	if (r.nrows && db_len(&r, 0, 0) <= STORE_MANIFEST_MAX) {
		*len = db_len(&r, 0, 0);
		*buf = malloc(*len + 1);
		rc = *buf ? 0 : -ENOMEM;
		if (*buf)
			memcpy(*buf, db_text(&r, 0, 0), *len);
	}
	db_res_free(&r);
	return rc;
}

int store_release_list(struct store *s, int (*cb)(const struct store_release *, void *),
		       void *arg)
{
	struct store_release o;
	struct db_res r;
	size_t i;
	int rc = Q(s, "SELECT " REL_COLS " FROM releases ORDER BY hwclass, version LIMIT $1",
		   &r, A_INT(STORE_LIST_MAX));

	if (rc < 0)
		return rc;
	for (i = 0; i < r.nrows; i++) {
		store_data_release_row(&r, i, &o);
		rc = store_data_release_arts(s, &o);
		if (rc == 0)
			rc = cb(&o, arg);
		if (rc != 0)
			break;
	}
	db_res_free(&r);
	return rc < 0 ? rc : 0;
}

int store_channel_set(struct store *s, const char *channel, uint32_t version)
{
	if (!store_valid_label(channel))
		return -EPX_E_DB_INVALID;
	if (version == 0)
		return Q(s, "DELETE FROM channels WHERE name = $1", NULL, A_TEXT(channel));
	return Q(s, "INSERT INTO channels (name, version, updated) VALUES ($1, $2, $3)"
		 " ON CONFLICT (name) DO UPDATE SET version = $2, updated = $3", NULL,
		 A_TEXT(channel), A_INT(version), A_INT(store_now(s)));
}

int store_channel_get(struct store *s, const char *channel, uint32_t *version)
{
	struct db_res r;
	int rc = -EPX_E_DB_INVALID;

	if (!store_valid_label(channel))
		return rc;
	rc = Q(s, "SELECT version FROM channels WHERE name = $1", &r, A_TEXT(channel));
	if (rc < 0)
		return rc;
	rc = r.nrows ? 0 : -EPX_E_DB_NOTFOUND;
	if (r.nrows)
		*version = (uint32_t)db_int(&r, 0, 0);
	db_res_free(&r);
	return rc;
}

int store_group_pin(struct store *s, const char *group, const char *channel, uint32_t version)
{
	if (!store_valid_label(group) || !store_valid_label(channel))
		return -EPX_E_DB_INVALID;
	if (version == 0)
		return Q(s, "DELETE FROM group_pins WHERE grp = $1 AND channel = $2", NULL,
			 A_TEXT(group), A_TEXT(channel));
	return Q(s, "INSERT INTO group_pins (grp, channel, version) VALUES ($1, $2, $3)"
		 " ON CONFLICT (grp, channel) DO UPDATE SET version = $3", NULL,
		 A_TEXT(group), A_TEXT(channel), A_INT(version));
}

static int store_data_group_pin_version(struct store *s, const struct store_host *h, uint32_t *v)
{
	struct db_res r;
	size_t i;
	int rc;

	*v = 0;
	for (i = 0; i < h->n_groups; i++) {
		rc = Q(s, "SELECT version FROM group_pins WHERE grp = $1 AND channel = $2", &r,
		       A_TEXT(h->groups[i]), A_TEXT(h->channel));
		if (rc < 0)
			return rc;
		if (r.nrows && (uint32_t)db_int(&r, 0, 0) > *v)
			*v = (uint32_t)db_int(&r, 0, 0);
		db_res_free(&r);
	}
	return 0;
}

int store_host_release(struct store *s, const char *host, struct store_release *out)
{
	struct store_host *h = malloc(sizeof(*h));
	uint32_t v = 0;
	int rc = -ENOMEM;

	if (!h)
		return rc;
	rc = store_host_get(s, host, h);
	if (rc < 0)
		goto out;
	v = h->pinned_version;
	if (v == 0)
		rc = store_data_group_pin_version(s, h, &v);
	if (rc == 0 && v == 0)   /* a rollout in progress that moved it */
		rc = st_rollout_version(s, h->name, h->channel, &v);
	if (rc == 0 && v == 0) {
		rc = store_channel_get(s, h->channel, &v);
		if (rc == -EPX_E_DB_NOTFOUND)
			rc = -EPX_E_DB_NORELEASE;
	}
	if (rc == 0) {
		rc = store_release_get(s, h->hwclass, v, out);
		if (rc == -EPX_E_DB_NOTFOUND)
			rc = -EPX_E_DB_NORELEASE;
	}
out:
	free(h);
	return rc;
}

/* ------------------------------------------------------------- reports */

int store_report_add(struct store *s, const struct store_report *rp)
{
	int64_t now = store_now(s);
	struct db_res r;
	int rc = -EPX_E_DB_INVALID;

	if (!store_valid_hostname(rp->host) ||
	    (rp->session[0] && hex_check_str(rp->session, STORE_SESSION_HEX) < 0) ||
	    label_check_str(LABEL_WORD, rp->stage) < 0 ||
	    (strcmp(rp->status, "ok") && strcmp(rp->status, "fail")) ||
	    !store_valid_code(rp->code) || rp->tail_len > STORE_TAIL_MAX ||
	    memchr(rp->tail, '\0', rp->tail_len))
		return rc;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = Q(s, "UPDATE hosts SET last_stage = $2, last_status = $3, last_code = $4,"
	       " last_tail = $5, last_seen = $6 WHERE name = $1", &r, A_TEXT(rp->host),
	       A_TEXT(rp->stage), A_TEXT(rp->status), A_TEXT(rp->code),
	       A_BLOB(rp->tail, rp->tail_len), A_INT(now));
	if (rc == 0 && r.changes == 0)
		rc = -EPX_E_DB_NOTFOUND;
	db_res_free(&r);
	if (rc == 0)
		rc = Q(s, "INSERT INTO reports (host, session, stage, status, code, tail, time)"
		       " VALUES ($1, $2, $3, $4, $5, $6, $7)", NULL, A_TEXT(rp->host),
		       A_TEXT(rp->session), A_TEXT(rp->stage), A_TEXT(rp->status),
		       A_TEXT(rp->code), A_BLOB(rp->tail, rp->tail_len), A_INT(now));
	return st_end(s, rc);
}

static void store_data_report_row(const struct db_res *r, size_t i, struct store_report *o)
{
	size_t tl = db_len(r, i, 6);

	memset(o, 0, sizeof(*o));
	o->id = db_int(r, i, 0);
	st_copy(o->host, sizeof(o->host), db_text(r, i, 1));
	st_copy(o->session, sizeof(o->session), db_text(r, i, 2));
	st_copy(o->stage, sizeof(o->stage), db_text(r, i, 3));
	st_copy(o->status, sizeof(o->status), db_text(r, i, 4));
	st_copy(o->code, sizeof(o->code), db_text(r, i, 5));
	o->tail_len = tl > STORE_TAIL_MAX ? STORE_TAIL_MAX : tl;
	memcpy(o->tail, db_text(r, i, 6), o->tail_len);
	o->time = db_int(r, i, 7);
}

#define REPORT_PAGE 256

int store_report_list(struct store *s, const char *host, size_t limit,
		      int (*cb)(const struct store_report *, void *), void *arg)
{
	struct store_report *o;
	struct db_res r;
	int64_t before = INT64_MAX;
	size_t i, total = 0, got;
	int rc = -EPX_E_DB_INVALID;

	if (host && !store_valid_hostname(host))
		return rc;
	if (limit > STORE_LIST_MAX)
		limit = STORE_LIST_MAX;
	o = malloc(sizeof(*o));
	if (!o)
		return -ENOMEM;
	rc = 0;
	do {
		rc = Q(s, "SELECT id, host, session, stage, status, code, tail, time FROM reports"
		       " WHERE (CAST($1 AS TEXT) IS NULL OR host = $1) AND id < $2"
		       " ORDER BY id DESC LIMIT $3", &r, A_OPT(host), A_INT(before),
		       A_INT(limit - total < REPORT_PAGE ? limit - total : REPORT_PAGE));
		if (rc < 0)
			break;
		got = r.nrows;
		for (i = 0; i < r.nrows && rc == 0; i++, total++) {
			store_data_report_row(&r, i, o);
			before = o->id;
			rc = cb(o, arg);
		}
		db_res_free(&r);
	} while (rc == 0 && got == REPORT_PAGE && total < limit);
	free(o);
	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------- objects */

int store_object_path(const char *datadir, const char *sha256_hex, char *path, size_t len)
{
	int n;

	if (!datadir || !sha256_hex || hex_check_str(sha256_hex, STORE_HASH_HEX) < 0)
		return -EPX_E_DB_INVALID;
	n = snprintf(path, len, "%s/objects/%s", datadir, sha256_hex);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int store_data_copy_hash(int in, int out, mbedtls_sha256_context *ctx, uint64_t *len)
{
	uint8_t buf[65536];
	ssize_t n, w, off;

	*len = 0;
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -EPX_E_OBJ_IO;
		}
		mbedtls_sha256_update_ret(ctx, buf, (size_t)n);
		for (off = 0; off < n; off += w) {
			w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				w = 0;
			else if (w <= 0)
				return -EPX_E_OBJ_IO;
		}
		*len += (uint64_t)n;
	}
	return 0;
}

int store_object_put(const char *datadir, const char *src_path,
		     char sha256_hex[STORE_HASH_HEX + 1], uint64_t *length)
{
	char dir[4096], tmp[4200], dst[4200];
	uint8_t h[SHA256_LEN];
	mbedtls_sha256_context ctx;
	int in = -1, out = -1, rc = -EPX_E_OBJ_IO;

	mbedtls_sha256_init(&ctx);
	if (snprintf(dir, sizeof(dir), "%s/objects", datadir) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	if (mkdir(datadir, 0750) < 0 && errno != EEXIST)
		return rc;
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return rc;
	snprintf(tmp, sizeof(tmp), "%s/.tmp.XXXXXX", dir);
	in = open(src_path, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		tmp[0] = '\0';
		goto out;
	}
	out = mkostemp(tmp, O_CLOEXEC);   /* unique: concurrent puts never share it */
	if (out < 0 || fchmod(out, 0640) < 0) {
		if (out < 0)
			tmp[0] = '\0';
		goto out;
	}
	mbedtls_sha256_starts_ret(&ctx, 0);
	rc = store_data_copy_hash(in, out, &ctx, length);
	if (rc < 0)
		goto out;
	mbedtls_sha256_finish_ret(&ctx, h);
	hex_encode(h, sizeof(h), sha256_hex);
	rc = -EPX_E_OBJ_IO;
	if (fsync(out) < 0 || close(out) < 0) {
		out = -1;
		goto out;
	}
	out = -1;
	snprintf(dst, sizeof(dst), "%s/%s", dir, sha256_hex);
	if (rename(tmp, dst) < 0)
		goto out;
	out = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (out < 0 || fsync(out) < 0)
		goto out;   /* the rename is not durable yet */
	rc = 0;
out:
	if (out >= 0)
		close(out);
	if (in >= 0)
		close(in);
	if (rc < 0 && tmp[0])
		unlink(tmp);
	mbedtls_sha256_free(&ctx);
	return rc;
}
