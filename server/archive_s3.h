/* archive_s3: the archive's S3-compatible backend (issue 15 point 3;
 * docs/protocol.md, "Archive"; docs/guide, "The S3 backend").  The
 * bundles never flow through epoxyd: it signs, the node uploads, epoxyd
 * checks and records.
 *
 * POST /v1/archive/<experiment>/<sha256>/url?name=<name>   (node
 *   certificate; the name checked by archive_req_name)
 *   answers "url <presigned PUT URL>\nexpires <unix time>\nttl <s>\n": one
 *   PUT of one object, incoming/<experiment>/<host>/<sha256>.tgz,
 *   where <host> is the certificate's own host name, valid s3_url_ttl
 *   seconds, on s3_node_endpoint's host (the Host header nodes send and
 *   the signature covers; default s3_endpoint's).
 * POST /v1/archive/<experiment>/<sha256>/done?name=<name>  (node certificate)
 *   epoxyd copies incoming/... to private/<name> (experiment under
 *   embargo, or not registered) or public/<name>, deletes incoming/..., reads the
 *   copy back through libs3 and records it only if its SHA-256 is the one
 *   its name says; otherwise the copy is deleted and the bundle refused
 *   (400 EPOXY-E2341).
 *
 * Guarantees:
 *  - a URL names one key of the asking node: a node cannot sign, and so
 *    cannot write, any other node's key or any key outside incoming/ (the
 *    object store refuses a changed path: the signature covers it);
 *  - only bytes epoxyd itself copied out of incoming/ and then read back
 *    and hashed are recorded; a node that writes its incoming key again
 *    after "done" changes nothing recorded;
 *  - a bundle already recorded is never copied over (a second "done",
 *    under any name, deletes the incoming object and answers "exists
 *    <its recorded name>"); a name another bundle holds is refused (409
 *    EPOXY-E2389) and the incoming object deleted;
 *  - embargoed bundles live under private/, which only epoxyd's key can
 *    read; housekeeping (archive_s3_housekeeping) copies each whose
 *    embargo ended to public/, records the move, then deletes the private
 *    copy; the store lists a bundle as public only after that move;
 *  - the access key and secret come from files that must be regular,
 *    0600 or stricter, one line of at most S3SIGN_SECRET_MAX printable
 *    bytes; the secret is never logged and is wiped by archive_s3_free;
 *    a presigned URL (a capability) is never logged either;
 *  - every libs3 call is synchronous and bounded by libs3's timeout; a
 *    read-back is capped at ARCHIVE_BUNDLE_MAX bytes. */
#ifndef EPOXY_ARCHIVE_S3_H
#define EPOXY_ARCHIVE_S3_H

#include <stdint.h>

#include "server/http.h"
#include "store/store.h"

#define ARCHIVE_S3_HOUSEKEEPING_MAX 1000   /* bundles moved per round */

enum archive_s3_op { ARCHIVE_S3_URL = 1, ARCHIVE_S3_DONE = 2 };

struct archive_s3;

/* Reads the key files and checks cfg's s3_* keys; initializes libs3 once
 * (before any thread).  Returns 0, -EPX_E_S3_KEYFILE or -EPX_E_S3_INIT. */
int archive_s3_load(struct archive_s3 **out, const struct config *cfg);
void archive_s3_free(struct archive_s3 *s3);

/* "/v1/archive/<experiment>/<sha256>/url|done": exp, sha and *op, or
 * -EPX_E_ARC_NAME. */
int archive_s3_name(const char *path, char exp[65], char sha[65], enum archive_s3_op *op);

/* The node requests above (PUT or POST of a body: -EPX_E_S3_BACKEND). */
int archive_s3_handle(struct srv *srv, const struct http_req *req, struct http_resp *resp);

/* GET of a public bundle b (location s3-public): a presigned GET URL of
 * its public/ object, "url <URL>\nexpires <t>\n". */
int archive_s3_public(struct srv *srv, const struct store_bundle *b, struct http_resp *resp);

/* Moves up to ARCHIVE_S3_HOUSEKEEPING_MAX bundles whose embargo ended
 * from private/ to public/ (*moved counts them). */
int archive_s3_housekeeping(struct archive_s3 *s3, struct store *store, int64_t now,
			    uint64_t *moved);

#endif
