/* admin_int: what server/admin.c shares with the other files of the admin
 * API (server/admin_*.c): the request context and the helpers every
 * handler uses.  Internal to server/admin*.c; nothing else includes it.
 *
 * Guarantees (of the helpers, as admin.h states for the whole API):
 *  - admin_fail / admin_failf answer a refusal with its registry code and
 *    return 0 (the router's contract); admin_failf shows the argument as
 *    printable ASCII, capped;
 *  - admin_form parses the form body with lib/record.h only, refusing a
 *    key outside allowed; admin_query_only does the same for the query;
 *  - admin_reply sends the records collected in c->out, refusing an
 *    answer over ADMIN_REPLY_MAX;
 *  - admin_audit appends an entry naming c->actor (a failure is logged,
 *    never hidden from the log). */
#ifndef EPOXY_ADMIN_INT_H
#define EPOXY_ADMIN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/form.h"
#include "lib/record.h"
#include "server/http.h"
#include "store/store.h"

#define ADMIN_SEGS_MAX 4
#define ADMIN_SEG_MAX 128
#define ADMIN_DETAIL_MAX 512

struct admin_ctx {
	struct srv *srv;
	const struct http_req *req;
	struct http_resp *resp;
	char actor[STORE_ACTOR_MAX + 1];
	char seg[ADMIN_SEGS_MAX][ADMIN_SEG_MAX + 1];  /* path segments, decoded */
	size_t nseg;
	struct form form;
	char *formbuf;
	struct record_buf out;
};

int admin_fail(struct admin_ctx *c, int rc, const char *reason);
int admin_failf(struct admin_ctx *c, int rc, const char *what, const char *arg);
int admin_reply(struct admin_ctx *c, int status, int secret);
void admin_audit(struct admin_ctx *c, const char *action, const char *subject,
		 const char *detail);
int admin_name_ok(const char *s);
/* Decimal u64 in [lo, hi] (lib/num.h); -EPX_E_ADM_FIELD otherwise. */
int admin_num(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);
const char *admin_query(const struct admin_ctx *c, const char *key);
int admin_query_only(struct admin_ctx *c, const char *const *allowed);
int admin_list_limit(struct admin_ctx *c, size_t *limit);
/* Parses the form body into c->form; only keys of allowed may appear.
 * Returns 0 with c->resp->status still 0 when the caller goes on. */
int admin_form(struct admin_ctx *c, const char *const *allowed);
const char *admin_field(const struct admin_ctx *c, const char *key);
/* 1 when the method is want; else answers 405 and returns 0. */
int admin_method(struct admin_ctx *c, enum http_method want);

#endif
