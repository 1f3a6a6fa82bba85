/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixed grant request of the grant unit tests and its exact canonical
 * bytes. The key is RFC 8032's test 1 (its seed gives its public key); the
 * signature was computed apart from this code (Python's cryptography
 * package, Ed25519 over the bytes docs/grants.md describes).
 */
#ifndef TG_TESTS_GRANT_VECTORS_H
#define TG_TESTS_GRANT_VECTORS_H

#include <string.h>

#include "common/grant_doc.h"

#define VEC_SEED                                                               \
	"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define VEC_PK_HEX                                                             \
	"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define VEC_PK_B64  "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
#define VEC_BOOT    "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
#define VEC_HOST    "0123456789abcdef0123456789abcdef"
#define VEC_EXPIRES 1700007200ULL
#define VEC_REQUEST                                                            \
	"{\"activate_by\":1700003600,\"boot_id\":\"" VEC_BOOT "\","            \
	"\"created\":1700000000,\"duration\":7200,"                            \
	"\"host\":\"" VEC_HOST                                                 \
	"\",\"id\":\"00112233445566778899aabbccddeeff\","                      \
	"\"login_uid\":1000,\"ops\":[\"read\",\"write\"],"                     \
	"\"paths\":[\"/srv/tenants/acme/db\",\"/srv/tenants/acme/logs\"],"     \
	"\"reason\":\"ticket \\\"42\\\" \\\\ disk\",\"tenant\":\"acme\","      \
	"\"type\":\"tenantguard-grant-request\",\"user\":\"alice\","           \
	"\"version\":1}"
#define VEC_SHA256                                                             \
	"fd173f9c53a8d0c9ba03fef3bf74bfde952572cccb9aa68fd3c7715efbb889f4"
#define VEC_SIG                                                                \
	"7f14ae2e7c4f42c0ad344d8d4a64aa22649af7a7f905ec1fdd369c523aac8266"     \
	"157b9901740a9329525e778921d243fe1fd2d70ea258b17459d281f4d4aa9806"

/* The request of VEC_REQUEST, built field by field (paths not sorted). */
static inline void vec_request(struct tg_grant_request *r)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->id, "00112233445566778899aabbccddeeff");
	strcpy(r->tenant, "acme");
	r->login_uid = 1000;
	strcpy(r->user, "alice");
	r->ops = TG_GRANT_OP_WRITE | TG_GRANT_OP_READ;
	tg_grant_request_add_path(r, "/srv/tenants/acme/logs");
	tg_grant_request_add_path(r, "/srv/tenants/acme/db");
	r->duration = 7200;
	strcpy(r->reason, "ticket \"42\" \\ disk");
	r->created = 1700000000;
	r->activate_by = 1700003600;
	strcpy(r->host, VEC_HOST);
	strcpy(r->boot_id, VEC_BOOT);
}

/* The signature of the revocation of test_revocation (RFC 8032 key 1). */
#define VEC_REVOCATION_SIG                                                     \
	"\"signature\":\"77bc7076ff87f80b5874799f76c73d74d390e3c87db7f4771367b8389bd3c34e1cc82945d8a31314401d26b02dcae447934cd7122628cd9f976a49b08304100b\""

#endif /* TG_TESTS_GRANT_VECTORS_H */
