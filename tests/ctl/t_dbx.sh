#!/bin/bash
# t_dbx: retiring images through dbx (issue 13 point 10), server side.
# `epoxyctl image retire` publishes an update made by `epoxy-pki
# dbx-append` (admin, audited, shape checked before anything is stored);
# every session statement from then on names its SHA-256, signed with the
# rest of the statement; GET /v1/dbx/<sha256> serves it over HTTPS only.
# A malformed update changes nothing: no row, no audit entry, no dbx field.
. "$(dirname "$0")/lib.sh"
need sign-efi-sig-list hash-to-efi-sig-list

epoxyd_setup || bail "set-up"
"$BIN/epoxyctl" admin init --store "$STORE" --out "$T_DIR/admin.cred" >/dev/null || bail "admin init"
export EPOXY_URL=https://epoxy.test:$HTTPS_PORT EPOXY_CA=$CA_CRT
export EPOXY_ADMIN_CREDENTIAL=$T_DIR/admin.cred EPOXY_RESOLVE=epoxy.test:$HTTPS_PORT:127.0.0.1
unset EPOXY_CONFIG
export HOME=$T_DIR/home
epoxyd_start || bail "epoxyd did not start" "$(cat "$T_DIR/epoxyd.log")"

pki=$T_DIR/sb
keys/epoxy-pki secureboot "$pki" >/dev/null || bail "epoxy-pki secureboot"
keys/epoxy-pki dbx-append "$pki" "sha256:$(printf '5a%.0s' {1..32})" >/dev/null || bail "dbx-append"
upd=$pki/dbx-append.auth
sha=$(sha256sum "$upd" | cut -c1-64)

ctl image --help; is $? 0 "image --help"
ctl image dbx; is $? 0 "image dbx with none published"
is "$(grep -c '^[0-9a-f]\{64\}' "$T_DIR/out")" 0 "... lists nothing"
is "$(open_session)" 200 "a session before any retirement"
is "$(grep -c '^dbx ' "$T_DIR/session")" 0 "... its statement has no dbx field"

# refused before anything changes
head -c 600 /dev/urandom >"$T_DIR/junk.auth"
ctl image retire "$T_DIR/junk.auth"; is $? 1 "retire of random bytes: refused by epoxyctl"
grep -q 'EPOXY-E1250' "$T_DIR/err"; ok $? "... with EPOXY-E1250" "$(cat "$T_DIR/err")"
is "$(hs_code /admin/v1/dbx -X POST -H "Authorization: Epoxy-Admin $(cat "$T_DIR/admin.cred")" \
  -H 'Content-Type: application/octet-stream' --data-binary @"$T_DIR/junk.auth")" 400 \
  "random bytes posted straight to the admin API: 400"
head -c 40000 /dev/urandom >"$T_DIR/big.auth"
is "$(hs_code /admin/v1/dbx -X POST -H "Authorization: Epoxy-Admin $(cat "$T_DIR/admin.cred")" \
  -H 'Content-Type: application/octet-stream' --data-binary @"$T_DIR/big.auth")" 413 \
  "an update over 32 KiB: 413"
is "$(hs_code /admin/v1/dbx -X POST -H 'Content-Type: application/octet-stream' \
  --data-binary @"$upd")" 401 "without an admin credential: 401"
ctl image retire "$T_DIR/none.auth"; is $? 1 "retire of a missing file: exit 1"
ctl image retire; is $? 2 "retire without FILE: usage"
is "$(sql 'SELECT COUNT(*) FROM dbx_updates')" 0 "nothing stored by the refusals"
is "$(sql "SELECT COUNT(*) FROM audit WHERE action = 'image.retire'")" 0 "nothing audited by the refusals"

# published
ctl image retire "$upd"; is $? 0 "image retire dbx-append.auth"
grep -q "^$sha " "$T_DIR/out"; ok $? "... shows its SHA-256" "$(cat "$T_DIR/out" "$T_DIR/err")"
ctl image dbx --json; is $? 0 "image dbx --json"
is "$(jq -r '.[0].sha256 + " " + .[0].hashes' "$T_DIR/out")" "$sha 1" "... the current update, one hash"
is "$(sql "SELECT subject FROM audit WHERE action = 'image.retire'")" "$sha" "audited as image.retire"
is "$(open_session)" 200 "a session after the retirement"
is "$(grep '^dbx ' "$T_DIR/session")" "dbx $sha" "... its statement names the update"
n=$(grep -n '^dbx ' "$T_DIR/session" | cut -d: -f1); m=$(grep -n '^epoxy-statement 1$' "$T_DIR/session" | cut -d: -f1)
e=$(grep -n '^end$' "$T_DIR/session" | tail -1 | cut -d: -f1)
ok $(( !(m < n && n < e) )) "... inside the statement's signed body ($m < $n < $e)" "$(cat "$T_DIR/session")"
hs "/v1/dbx/$sha" -o "$T_DIR/got.auth"
check "GET /v1/dbx/<sha256> serves the exact bytes" cmp "$T_DIR/got.auth" "$upd"
is "$(hs_code "/v1/dbx/$(printf '0%.0s' {1..64})")" 404 "an unknown SHA-256: 404"
is "$(hs_code "/v1/dbx/${sha^^}")" 404 "upper-case hex: 404 (one spelling)"
is "$(hs_code /v1/dbx/../manifest --path-as-is)" 404 "a path that is no SHA-256: 404"
is "$(hp_code "/v1/dbx/$sha")" 403 "never on plain HTTP"

# a newer update replaces it for new sessions; the old one stays fetchable
keys/epoxy-pki dbx-append "$pki" "sha256:$(printf 'a5%.0s' {1..32})" >/dev/null || bail "dbx-append 2"
sha2=$(sha256sum "$upd" | cut -c1-64)
ctl image retire "$upd"; is $? 0 "a second retirement"
is "$(open_session)" 200 "a session after it"
is "$(grep '^dbx ' "$T_DIR/session")" "dbx $sha2" "... names the newer update (2 hashes)"
is "$(hs_code "/v1/dbx/$sha")" 200 "the earlier update is still served by its SHA-256"
ctl audit verify; is $? 0 "the audit chain verifies"
done_testing
