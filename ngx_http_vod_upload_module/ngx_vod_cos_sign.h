/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * The COS request signature, q-sign-algorithm=sha1, and the URL
 * encodings COS requests need: section 5 of the protocol notes
 * (tencent-vod.md).
 *
 * Nothing here calls malloc (OpenSSL allocates its digest contexts
 * internally): the sorted name lists live in the ngx_vod_cos_sign_t
 * the caller provides, the Authorization value goes to a caller
 * buffer, and the http_string is hashed piece by piece without being
 * built.  Hex is lower-case.
 */


#ifndef _NGX_VOD_COS_SIGN_H_INCLUDED_
#define _NGX_VOD_COS_SIGN_H_INCLUDED_


#include "ngx_vod_common.h"


#define NGX_VOD_COS_HEX_LEN            40      /* hex of a SHA-1 */

/* "<start>;<end>", each any time_t */
#define NGX_VOD_COS_KEY_TIME_MAX       41

/* signed headers, and signed query parameters: at most so many each */
#define NGX_VOD_COS_SIGN_ITEMS_MAX     16

/* encoded names of a list joined by ";": at most so many bytes each */
#define NGX_VOD_COS_SIGN_LIST_MAX      256

#define NGX_VOD_COS_SECRET_ID_MAX      256

/*
 * The Authorization value for a SecretId of id_len bytes (an upper
 * bound: it assumes both name lists full).
 */

#define NGX_VOD_COS_AUTHORIZATION_LEN(id_len)                                \
    (sizeof("q-sign-algorithm=sha1&q-ak=") - 1 + (id_len)                   \
     + sizeof("&q-sign-time=") - 1 + NGX_VOD_COS_KEY_TIME_MAX               \
     + sizeof("&q-key-time=") - 1 + NGX_VOD_COS_KEY_TIME_MAX                \
     + sizeof("&q-header-list=") - 1 + NGX_VOD_COS_SIGN_LIST_MAX            \
     + sizeof("&q-url-param-list=") - 1 + NGX_VOD_COS_SIGN_LIST_MAX         \
     + sizeof("&q-signature=") - 1 + NGX_VOD_COS_HEX_LEN)

#define NGX_VOD_COS_AUTHORIZATION_MAX                                        \
    NGX_VOD_COS_AUTHORIZATION_LEN(NGX_VOD_COS_SECRET_ID_MAX)


/* a query parameter or a header: the name as sent, the raw value */

typedef struct {
    ngx_vod_str_t               name;
    ngx_vod_str_t               value;
} ngx_vod_cos_pair_t;


/* internal: the pairs of one kind sorted by lower(urlencode(name)) */

typedef struct {
    const ngx_vod_cos_pair_t   *pair;
    u_char                     *name;          /* in names[] */
    size_t                      name_len;
} ngx_vod_cos_sign_item_t;

typedef struct {
    ngx_vod_cos_sign_item_t     items[NGX_VOD_COS_SIGN_ITEMS_MAX];
    size_t                      nitems;
    u_char                      names[NGX_VOD_COS_SIGN_LIST_MAX];
    u_char                      text[NGX_VOD_COS_SIGN_LIST_MAX];
} ngx_vod_cos_sign_list_t;


/*
 * One request to sign.  The caller fills the input part (the pairs are
 * read during the call only); the sign call fills the output part, or
 * sets "error" to a static message on failure.  The structure is about
 * 2 KB: allocate it from the request pool rather than the stack of
 * a deeply nested caller.  When it is reused, set key_time.len to 0
 * again if the key time is to be built from new start and end.
 */

typedef struct {
    /* input */
    ngx_vod_str_t               secret_id;
    ngx_vod_str_t               secret_key;
    ngx_vod_str_t               method;        /* "PUT", any case */

    /* the decoded object key with its leading "/" */
    ngx_vod_str_t               path;

    const ngx_vod_cos_pair_t   *params;        /* query parameters */
    size_t                      nparams;

    /* the headers to sign, as sent: Host is required */
    const ngx_vod_cos_pair_t   *headers;
    size_t                      nheaders;

    /*
     * "<start>;<end>" as is, or, when key_time.len is 0, built from
     * start and end (unix seconds) into key_time_buf, and key_time set
     * to point there
     */
    ngx_vod_str_t               key_time;
    time_t                      start;
    time_t                      end;

    /* output */
    u_char                      key_time_buf[NGX_VOD_COS_KEY_TIME_MAX];
    u_char                      sign_key[NGX_VOD_COS_HEX_LEN];
    u_char                      http_string_sha1[NGX_VOD_COS_HEX_LEN];
    u_char                      signature[NGX_VOD_COS_HEX_LEN];
    ngx_vod_str_t               header_list;   /* "content-length;host" */
    ngx_vod_str_t               param_list;    /* "partnumber;uploadid" */
    const char                 *error;

    /* internal */
    ngx_vod_cos_sign_list_t     header_scratch;
    ngx_vod_cos_sign_list_t     param_scratch;
} ngx_vod_cos_sign_t;


/*
 * Signs a request: writes the Authorization header value to buf (not
 * NUL-terminated) and its length to *len; size should be
 * NGX_VOD_COS_AUTHORIZATION_LEN(secret_id.len), or
 * NGX_VOD_COS_AUTHORIZATION_MAX for any SecretId of up to
 * NGX_VOD_COS_SECRET_ID_MAX bytes (the exact size needed is checked
 * after the lists are built).  Returns NGX_VOD_OK, or NGX_VOD_ERROR
 * with s->error set: among others too many headers or parameters
 * (NGX_VOD_COS_SIGN_ITEMS_MAX), encoded names too long
 * (NGX_VOD_COS_SIGN_LIST_MAX), no Host header, buffer too small.
 */
int ngx_vod_cos_sign(ngx_vod_cos_sign_t *s, u_char *buf, size_t size,
    size_t *len);

/*
 * Percent-encodes src (UTF-8 bytes) as COS signs it: every byte but
 * A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex, space is %20).
 * Writes to dst (3 * len bytes are always enough) and returns the
 * length; with dst NULL only returns the length.  Used for query
 * values sent (uploadId, ...) too: what is sent is what is signed.
 */
size_t ngx_vod_cos_urlencode(u_char *dst, const u_char *src, size_t len);

/*
 * Percent-encodes an object key for the request line: like
 * ngx_vod_cos_urlencode(), but "/" and the characters JavaScript's
 * encodeURIComponent() keeps (! ' ( ) *) stay as they are, as the COS
 * documentation sends "/exampleobject(" UTF-8 of U+817E U+8BAF U+4E91
 * ")" as "/exampleobject(%E8%85%BE%E8%AE%AF%E4%BA%91)".  Same dst and
 * length contract.
 */
size_t ngx_vod_cos_encode_key(u_char *dst, const u_char *src, size_t len);

/*
 * "<start>;<end>": writes it to buf (NGX_VOD_COS_KEY_TIME_MAX bytes),
 * returns its length.
 */
size_t ngx_vod_cos_key_time(u_char *buf, time_t start, time_t end);

/* hex(HMAC_SHA1(secret_key, key_time)) to hex (NGX_VOD_COS_HEX_LEN) */
int ngx_vod_cos_sign_key(const ngx_vod_str_t *secret_key,
    const ngx_vod_str_t *key_time, u_char *hex);


#endif /* _NGX_VOD_COS_SIGN_H_INCLUDED_ */
