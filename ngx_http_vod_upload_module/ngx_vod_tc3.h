/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * TC3-HMAC-SHA256: the signature of Tencent Cloud API 3.0 requests
 * (POST / with a JSON body): section 1 of the protocol notes
 * (tencent-vod.md).
 *
 * Every step is exposed so that the unit test can check each
 * intermediate value; the module calls ngx_vod_tc3_sign() once per
 * request.  Nothing here calls malloc (OpenSSL allocates its digest
 * contexts internally): outputs go to caller buffers whose maximum
 * sizes are given below.  Hex is lower-case everywhere.
 */


#ifndef _NGX_VOD_TC3_H_INCLUDED_
#define _NGX_VOD_TC3_H_INCLUDED_


#include "ngx_vod_common.h"


#define NGX_VOD_TC3_ALGORITHM          "TC3-HMAC-SHA256"

#define NGX_VOD_TC3_SIGNED_HEADERS     "content-type;host"
#define NGX_VOD_TC3_SIGNED_HEADERS_ACTION                                    \
    "content-type;host;x-tc-action"

#define NGX_VOD_TC3_HEX_LEN            64      /* hex of a SHA-256 */
#define NGX_VOD_TC3_KEY_LEN            32      /* a raw HMAC-SHA256 key */
#define NGX_VOD_TC3_DATE_LEN           10      /* YYYY-MM-DD */
#define NGX_VOD_TC3_SERVICE_MAX        63      /* a DNS label */
#define NGX_VOD_TC3_SECRET_KEY_MAX     128     /* "TC3" + key on the stack */

/* the decimal form of any time_t: "-9223372036854775808" */
#define NGX_VOD_TC3_TIMESTAMP_MAX      20

#define NGX_VOD_TC3_STRING_TO_SIGN_MAX                                       \
    (sizeof(NGX_VOD_TC3_ALGORITHM "\n") - 1 + NGX_VOD_TC3_TIMESTAMP_MAX     \
     + 1 + NGX_VOD_TC3_DATE_LEN + 1 + NGX_VOD_TC3_SERVICE_MAX               \
     + sizeof("/tc3_request\n") - 1 + NGX_VOD_TC3_HEX_LEN)

/*
 * The Authorization value of a SecretId of id_len bytes and a service
 * name of service_len bytes (an upper bound: it assumes x-tc-action is
 * signed); NGX_VOD_TC3_AUTHORIZATION_MAX covers any SecretId of up to
 * NGX_VOD_TC3_SECRET_ID_MAX bytes and any service name.
 */

#define NGX_VOD_TC3_AUTHORIZATION_LEN(id_len, service_len)                   \
    (sizeof(NGX_VOD_TC3_ALGORITHM " Credential=") - 1 + (id_len)            \
     + 1 + NGX_VOD_TC3_DATE_LEN + 1 + (service_len)                         \
     + sizeof("/tc3_request, SignedHeaders=") - 1                           \
     + sizeof(NGX_VOD_TC3_SIGNED_HEADERS_ACTION) - 1                        \
     + sizeof(", Signature=") - 1 + NGX_VOD_TC3_HEX_LEN)

#define NGX_VOD_TC3_SECRET_ID_MAX      128

#define NGX_VOD_TC3_AUTHORIZATION_MAX                                        \
    NGX_VOD_TC3_AUTHORIZATION_LEN(NGX_VOD_TC3_SECRET_ID_MAX,                 \
                                  NGX_VOD_TC3_SERVICE_MAX)


/*
 * The signing key of one SecretKey: derived again only when the UTC
 * date or the service changes, so once a day.  Keep one per SecretKey
 * (per configured key per worker) and keep the SecretKey itself: the
 * derived key is worthless after UTC midnight.  A cache must not be
 * shared between different SecretKeys: it does not look at the key.
 */

typedef struct {
    u_char            date[NGX_VOD_TC3_DATE_LEN];
    u_char            service[NGX_VOD_TC3_SERVICE_MAX];
    size_t            service_len;
    u_char            key[NGX_VOD_TC3_KEY_LEN];
    unsigned          valid:1;

    /* how many times the key was derived: for tests and statistics */
    unsigned long     derivations;
} ngx_vod_tc3_key_cache_t;


/*
 * One request to sign.  The caller fills the input part; the sign call
 * fills the output part, or sets "error" to a static message on
 * failure (the caller logs it, with whatever context it has).
 */

typedef struct {
    /* input */
    ngx_vod_str_t     secret_id;
    ngx_vod_str_t     secret_key;
    ngx_vod_str_t     host;            /* as sent in Host, lower-case */
    ngx_vod_str_t     action;          /* as sent in X-TC-Action */
    ngx_vod_str_t     content_type;    /* byte-identical to the one sent */
    ngx_vod_str_t     payload;         /* the request body */
    time_t            timestamp;       /* as sent in X-TC-Timestamp */
    unsigned          sign_action:1;   /* sign x-tc-action too */

    /*
     * input/output: the service name; when empty, the first label of
     * the host is used (set it to point into the host)
     */
    ngx_vod_str_t     service;

    /* output */
    u_char            date[NGX_VOD_TC3_DATE_LEN];
    u_char            payload_hash[NGX_VOD_TC3_HEX_LEN];
    u_char            canonical_hash[NGX_VOD_TC3_HEX_LEN];
    u_char            signature[NGX_VOD_TC3_HEX_LEN];
    const char       *error;
} ngx_vod_tc3_sign_t;


/*
 * Signs a request: writes the Authorization header value to buf (not
 * NUL-terminated) and its length to *len.  size must be at least
 * ngx_vod_tc3_authorization_size(s); NGX_VOD_TC3_AUTHORIZATION_MAX is
 * always enough for a SecretId of up to NGX_VOD_TC3_SECRET_ID_MAX
 * bytes.  cache may be NULL: the key is then derived every time.
 * Returns NGX_VOD_OK, or NGX_VOD_ERROR with s->error set.
 */
int ngx_vod_tc3_sign(ngx_vod_tc3_sign_t *s, ngx_vod_tc3_key_cache_t *cache,
    u_char *buf, size_t size, size_t *len);

/* the exact length of the Authorization value of s (0 if no service) */
size_t ngx_vod_tc3_authorization_size(const ngx_vod_tc3_sign_t *s);

/*
 * The X-TC-Timestamp value: writes the decimal timestamp to buf (at
 * least NGX_VOD_TC3_TIMESTAMP_MAX bytes), returns its length.
 */
size_t ngx_vod_tc3_timestamp(u_char *buf, time_t timestamp);


/* the steps, for the unit test and for debug logging */

/* hex(SHA256(payload)) to hex (NGX_VOD_TC3_HEX_LEN bytes) */
int ngx_vod_tc3_payload_hash(const u_char *payload, size_t len,
    u_char *hex);

/*
 * The canonical request:
 *
 *     POST\n/\n\ncontent-type:<ct>\nhost:<host>\n[x-tc-action:<action>\n]
 *     \n<signed headers>\n<payload_hash>
 *
 * action NULL or empty: x-tc-action is not signed; otherwise its value
 * is signed lower-cased.  payload_hash is NGX_VOD_TC3_HEX_LEN bytes.
 * ngx_vod_tc3_canonical_request() writes the text to buf and its length
 * to *len; when size is too small it returns NGX_VOD_ERROR with *len
 * set to the size needed.  ngx_vod_tc3_canonical_hash() hashes the same
 * text without building it.  Host, content type and action must not
 * contain control characters (NGX_VOD_ERROR).
 */
int ngx_vod_tc3_canonical_request(u_char *buf, size_t size, size_t *len,
    const ngx_vod_str_t *host, const ngx_vod_str_t *content_type,
    const ngx_vod_str_t *action, const u_char *payload_hash);
int ngx_vod_tc3_canonical_hash(const ngx_vod_str_t *host,
    const ngx_vod_str_t *content_type, const ngx_vod_str_t *action,
    const u_char *payload_hash, u_char *hex);

/* the UTC date (YYYY-MM-DD, NGX_VOD_TC3_DATE_LEN bytes) of a timestamp */
int ngx_vod_tc3_date(time_t timestamp, u_char *date);

/* the first label of host: service points into host */
int ngx_vod_tc3_service(const ngx_vod_str_t *host, ngx_vod_str_t *service);

/*
 * k_date = HMAC_SHA256("TC3" SecretKey, date), k_service, k_signing:
 * writes k_signing (NGX_VOD_TC3_KEY_LEN bytes) and, unless k_date is
 * NULL, k_date.  date is NGX_VOD_TC3_DATE_LEN bytes.
 */
int ngx_vod_tc3_signing_key(const ngx_vod_str_t *secret_key,
    const u_char *date, const ngx_vod_str_t *service, u_char *k_date,
    u_char *k_signing);

/*
 * "TC3-HMAC-SHA256\n" timestamp "\n" date "/" service "/tc3_request\n"
 * canonical_hash: writes it to buf (at least
 * NGX_VOD_TC3_STRING_TO_SIGN_MAX bytes), returns its length, or 0 if
 * the service name is longer than NGX_VOD_TC3_SERVICE_MAX.
 */
size_t ngx_vod_tc3_string_to_sign(u_char *buf, time_t timestamp,
    const u_char *date, const ngx_vod_str_t *service,
    const u_char *canonical_hash);

/* hex(HMAC_SHA256(k_signing, string_to_sign)) to hex */
int ngx_vod_tc3_signature(const u_char *k_signing, const u_char *sts,
    size_t len, u_char *hex);


void ngx_vod_tc3_key_cache_init(ngx_vod_tc3_key_cache_t *cache);

/*
 * The signing key for date and service, derived from secret_key only
 * when the cached one is for another date or service.  Returns a
 * pointer into the cache (NGX_VOD_TC3_KEY_LEN bytes), NULL on error.
 */
const u_char *ngx_vod_tc3_key_cache_get(ngx_vod_tc3_key_cache_t *cache,
    const ngx_vod_str_t *secret_key, const u_char *date,
    const ngx_vod_str_t *service);

/* forgets the cached key, wiping it */
void ngx_vod_tc3_key_cache_wipe(ngx_vod_tc3_key_cache_t *cache);


#endif /* _NGX_VOD_TC3_H_INCLUDED_ */
