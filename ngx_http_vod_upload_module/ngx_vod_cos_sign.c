/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * COS q-sign-algorithm=sha1 request signing, with libc and OpenSSL 3.0
 * only (no API deprecated in 3.0: EVP_Digest* and the one-shot HMAC()).
 */


#include <limits.h>
#include <stdio.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ngx_vod_cos_sign.h"


#define NGX_VOD_COS_SHA1_LEN     20
#define NGX_VOD_COS_CHUNK        32

#define ngx_vod_cos_value(n)     ngx_vod_cos_string(n)
#define ngx_vod_cos_string(n)    #n
#define NGX_VOD_COS_ITEMS_TEXT   ngx_vod_cos_value(NGX_VOD_COS_SIGN_ITEMS_MAX)
#define NGX_VOD_COS_LIST_TEXT    ngx_vod_cos_value(NGX_VOD_COS_SIGN_LIST_MAX)

#define NGX_VOD_COS_STRING_TO_SIGN_MAX                                       \
    (sizeof("sha1\n") - 1 + NGX_VOD_COS_KEY_TIME_MAX + 1                    \
     + NGX_VOD_COS_HEX_LEN + 1)


static int ngx_vod_cos_sign_list(ngx_vod_cos_sign_list_t *l,
    const ngx_vod_cos_pair_t *pairs, size_t n, ngx_vod_str_t *list,
    const char **error, int headers);
static int ngx_vod_cos_name_cmp(const u_char *a, size_t a_len,
    const u_char *b, size_t b_len);
static int ngx_vod_cos_http_string_sha1(ngx_vod_cos_sign_t *s, u_char *hex);
static int ngx_vod_cos_hash_list(EVP_MD_CTX *md, ngx_vod_cos_sign_list_t *l);
static int ngx_vod_cos_hash_lower(EVP_MD_CTX *md, const u_char *p,
    size_t n);
static int ngx_vod_cos_hash_encoded(EVP_MD_CTX *md, const u_char *p,
    size_t n);
static size_t ngx_vod_cos_escape(u_char *dst, const u_char *src, size_t len,
    const uint32_t *escape);
static int ngx_vod_cos_hmac(const u_char *key, size_t key_len,
    const u_char *data, size_t len, u_char *hex);


/* what urlencode escapes (1 bits): all but A-Z a-z 0-9 - _ . ~ */

static const uint32_t  ngx_vod_cos_escape_value[] = {
    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */

                /* ?>=< ;:98 7654 3210  /.-, +*)( '&%$ #"!  */
    0xfc009fff, /* 1111 1100 0000 0000  1001 1111 1111 1111 */

                /* _^]\ [ZYX WVUT SRQP  ONML KJIH GFED CBA@ */
    0x78000001, /* 0111 1000 0000 0000  0000 0000 0000 0001 */

                /*  ~}| {zyx wvut srqp  onml kjih gfed cba` */
    0xb8000001, /* 1011 1000 0000 0000  0000 0000 0000 0001 */

    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */
    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */
    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */
    0xffffffff  /* 1111 1111 1111 1111  1111 1111 1111 1111 */
};


/* what an object key escapes: the same, but / ! ' ( ) * are kept */

static const uint32_t  ngx_vod_cos_escape_key[] = {
    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */

                /* ?>=< ;:98 7654 3210  /.-, +*)( '&%$ #"!  */
    0xfc00187d, /* 1111 1100 0000 0000  0001 1000 0111 1101 */

                /* _^]\ [ZYX WVUT SRQP  ONML KJIH GFED CBA@ */
    0x78000001, /* 0111 1000 0000 0000  0000 0000 0000 0001 */

                /*  ~}| {zyx wvut srqp  onml kjih gfed cba` */
    0xb8000001, /* 1011 1000 0000 0000  0000 0000 0000 0001 */

    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */
    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */
    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */
    0xffffffff  /* 1111 1111 1111 1111  1111 1111 1111 1111 */
};


int
ngx_vod_cos_sign(ngx_vod_cos_sign_t *s, u_char *buf, size_t size,
    size_t *len)
{
    u_char  *p;
    size_t   n;
    u_char   sts[NGX_VOD_COS_STRING_TO_SIGN_MAX];

    s->error = NULL;

    if (s->secret_id.len == 0 || !ngx_vod_header_value_valid(&s->secret_id)) {
        s->error = "empty SecretId, or a control character in it";
        return NGX_VOD_ERROR;
    }

    if (s->secret_key.len == 0) {
        s->error = "empty SecretKey";
        return NGX_VOD_ERROR;
    }

    if (s->method.len == 0) {
        s->error = "empty method";
        return NGX_VOD_ERROR;
    }

    if (s->path.len == 0 || s->path.data[0] != '/') {
        s->error = "object path does not start with \"/\"";
        return NGX_VOD_ERROR;
    }

    if (s->key_time.len == 0) {
        s->key_time.len = ngx_vod_cos_key_time(s->key_time_buf, s->start,
                                               s->end);
        s->key_time.data = s->key_time_buf;

        if (s->key_time.len == 0) {
            s->error = "invalid key time";
            return NGX_VOD_ERROR;
        }

    } else if (s->key_time.len > NGX_VOD_COS_KEY_TIME_MAX
               || !ngx_vod_header_value_valid(&s->key_time))
    {
        s->error = "invalid key time";
        return NGX_VOD_ERROR;
    }

    if (ngx_vod_cos_sign_list(&s->header_scratch, s->headers, s->nheaders,
                              &s->header_list, &s->error, 1)
        != NGX_VOD_OK
        || ngx_vod_cos_sign_list(&s->param_scratch, s->params, s->nparams,
                                 &s->param_list, &s->error, 0)
           != NGX_VOD_OK)
    {
        return NGX_VOD_ERROR;
    }

    n = sizeof("q-sign-algorithm=sha1&q-ak=") - 1 + s->secret_id.len
        + sizeof("&q-sign-time=") - 1 + s->key_time.len
        + sizeof("&q-key-time=") - 1 + s->key_time.len
        + sizeof("&q-header-list=") - 1 + s->header_list.len
        + sizeof("&q-url-param-list=") - 1 + s->param_list.len
        + sizeof("&q-signature=") - 1 + NGX_VOD_COS_HEX_LEN;

    if (size < n) {
        s->error = "Authorization buffer too small";
        return NGX_VOD_ERROR;
    }

    if (ngx_vod_cos_sign_key(&s->secret_key, &s->key_time, s->sign_key)
        != NGX_VOD_OK)
    {
        s->error = "HMAC-SHA1 of the key time failed";
        return NGX_VOD_ERROR;
    }

    if (ngx_vod_cos_http_string_sha1(s, s->http_string_sha1) != NGX_VOD_OK) {
        s->error = "SHA-1 of the http string failed";
        return NGX_VOD_ERROR;
    }

    p = ngx_vod_cpymem(sts, "sha1\n", sizeof("sha1\n") - 1);
    p = ngx_vod_cpymem(p, s->key_time.data, s->key_time.len);
    *p++ = '\n';
    p = ngx_vod_cpymem(p, s->http_string_sha1, NGX_VOD_COS_HEX_LEN);
    *p++ = '\n';

    if (ngx_vod_cos_hmac(s->sign_key, NGX_VOD_COS_HEX_LEN, sts, p - sts,
                         s->signature)
        != NGX_VOD_OK)
    {
        s->error = "HMAC-SHA1 of the string to sign failed";
        return NGX_VOD_ERROR;
    }

    p = ngx_vod_cpymem(buf, "q-sign-algorithm=sha1&q-ak=",
                       sizeof("q-sign-algorithm=sha1&q-ak=") - 1);
    p = ngx_vod_cpymem(p, s->secret_id.data, s->secret_id.len);
    p = ngx_vod_cpymem(p, "&q-sign-time=", sizeof("&q-sign-time=") - 1);
    p = ngx_vod_cpymem(p, s->key_time.data, s->key_time.len);
    p = ngx_vod_cpymem(p, "&q-key-time=", sizeof("&q-key-time=") - 1);
    p = ngx_vod_cpymem(p, s->key_time.data, s->key_time.len);
    p = ngx_vod_cpymem(p, "&q-header-list=", sizeof("&q-header-list=") - 1);
    p = ngx_vod_cpymem(p, s->header_list.data, s->header_list.len);
    p = ngx_vod_cpymem(p, "&q-url-param-list=",
                       sizeof("&q-url-param-list=") - 1);
    p = ngx_vod_cpymem(p, s->param_list.data, s->param_list.len);
    p = ngx_vod_cpymem(p, "&q-signature=", sizeof("&q-signature=") - 1);
    p = ngx_vod_cpymem(p, s->signature, NGX_VOD_COS_HEX_LEN);

    *len = p - buf;

    return NGX_VOD_OK;
}


/*
 * Encodes and lower-cases the names into l->names, sorts the pairs by
 * them (a stable insertion sort: at most NGX_VOD_COS_SIGN_ITEMS_MAX),
 * and joins the sorted names by ";" into l->text.
 */

static int
ngx_vod_cos_sign_list(ngx_vod_cos_sign_list_t *l,
    const ngx_vod_cos_pair_t *pairs, size_t n, ngx_vod_str_t *list,
    const char **error, int headers)
{
    u_char                   *p;
    size_t                    i, j, k, used;
    ngx_vod_cos_sign_item_t   item;

    l->nitems = 0;
    list->len = 0;
    list->data = l->text;

    if (n > NGX_VOD_COS_SIGN_ITEMS_MAX) {
        *error = headers ? "too many headers to sign (at most "
                           NGX_VOD_COS_ITEMS_TEXT ")"
                         : "too many query parameters to sign (at most "
                           NGX_VOD_COS_ITEMS_TEXT ")";
        return NGX_VOD_ERROR;
    }

    /* the bytes in l->names; the list adds a ";" between names */
    used = 0;

    for (i = 0; i < n; i++) {
        if (pairs[i].name.len == 0) {
            *error = headers ? "empty header name"
                             : "empty query parameter name";
            return NGX_VOD_ERROR;
        }

        k = ngx_vod_cos_urlencode(NULL, pairs[i].name.data,
                                  pairs[i].name.len);

        if (k + i > NGX_VOD_COS_SIGN_LIST_MAX - used) {
            *error = headers ? "header names too long to sign (at most "
                               NGX_VOD_COS_LIST_TEXT " bytes encoded)"
                             : "query parameter names too long to sign "
                               "(at most " NGX_VOD_COS_LIST_TEXT
                               " bytes encoded)";
            return NGX_VOD_ERROR;
        }

        item.pair = &pairs[i];
        item.name = l->names + used;
        item.name_len = k;

        ngx_vod_cos_urlencode(item.name, pairs[i].name.data,
                              pairs[i].name.len);

        ngx_vod_strlow(item.name, item.name, k);

        used += k;

        for (j = l->nitems; j > 0; j--) {
            if (ngx_vod_cos_name_cmp(l->items[j - 1].name,
                                     l->items[j - 1].name_len,
                                     item.name, item.name_len)
                <= 0)
            {
                break;
            }

            l->items[j] = l->items[j - 1];
        }

        l->items[j] = item;
        l->nitems++;
    }

    if (headers) {
        for (i = 0; i < l->nitems; i++) {
            if (l->items[i].name_len == sizeof("host") - 1
                && memcmp(l->items[i].name, "host", sizeof("host") - 1) == 0)
            {
                break;
            }
        }

        if (i == l->nitems) {
            *error = "the Host header is not among the headers to sign";
            return NGX_VOD_ERROR;
        }
    }

    p = l->text;

    for (i = 0; i < l->nitems; i++) {
        if (i) {
            *p++ = ';';
        }

        p = ngx_vod_cpymem(p, l->items[i].name, l->items[i].name_len);
    }

    list->len = p - l->text;

    return NGX_VOD_OK;
}


static int
ngx_vod_cos_name_cmp(const u_char *a, size_t a_len, const u_char *b,
    size_t b_len)
{
    int  rc;

    rc = memcmp(a, b, a_len < b_len ? a_len : b_len);

    if (rc != 0) {
        return rc;
    }

    return (a_len > b_len) - (a_len < b_len);
}


/*
 * hex(SHA1(lower(method) "\n" path "\n" params "\n" headers "\n")),
 * hashed piece by piece
 */

static int
ngx_vod_cos_http_string_sha1(ngx_vod_cos_sign_t *s, u_char *hex)
{
    int            rc;
    unsigned int   n;
    EVP_MD_CTX    *md;
    u_char         sha1[EVP_MAX_MD_SIZE];

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        return NGX_VOD_ERROR;
    }

    rc = NGX_VOD_ERROR;

    if (EVP_DigestInit_ex(md, EVP_sha1(), NULL) != 1
        || ngx_vod_cos_hash_lower(md, s->method.data, s->method.len)
           != NGX_VOD_OK
        || EVP_DigestUpdate(md, "\n", 1) != 1
        || EVP_DigestUpdate(md, s->path.data, s->path.len) != 1
        || EVP_DigestUpdate(md, "\n", 1) != 1
        || ngx_vod_cos_hash_list(md, &s->param_scratch) != NGX_VOD_OK
        || EVP_DigestUpdate(md, "\n", 1) != 1
        || ngx_vod_cos_hash_list(md, &s->header_scratch) != NGX_VOD_OK
        || EVP_DigestUpdate(md, "\n", 1) != 1
        || EVP_DigestFinal_ex(md, sha1, &n) != 1
        || n != NGX_VOD_COS_SHA1_LEN)
    {
        goto done;
    }

    ngx_vod_hex(hex, sha1, n);

    rc = NGX_VOD_OK;

done:

    EVP_MD_CTX_free(md);

    return rc;
}


/* name "=" urlencode(value), joined by "&", in the sorted order */

static int
ngx_vod_cos_hash_list(EVP_MD_CTX *md, ngx_vod_cos_sign_list_t *l)
{
    size_t                    i;
    ngx_vod_cos_sign_item_t  *item;

    for (i = 0; i < l->nitems; i++) {
        item = &l->items[i];

        if ((i && EVP_DigestUpdate(md, "&", 1) != 1)
            || EVP_DigestUpdate(md, item->name, item->name_len) != 1
            || EVP_DigestUpdate(md, "=", 1) != 1
            || ngx_vod_cos_hash_encoded(md, item->pair->value.data,
                                        item->pair->value.len)
               != NGX_VOD_OK)
        {
            return NGX_VOD_ERROR;
        }
    }

    return NGX_VOD_OK;
}


static int
ngx_vod_cos_hash_lower(EVP_MD_CTX *md, const u_char *p, size_t n)
{
    size_t  k;
    u_char  chunk[NGX_VOD_COS_CHUNK];

    while (n) {
        k = (n < sizeof(chunk)) ? n : sizeof(chunk);

        ngx_vod_strlow(chunk, p, k);

        if (EVP_DigestUpdate(md, chunk, k) != 1) {
            return NGX_VOD_ERROR;
        }

        p += k;
        n -= k;
    }

    return NGX_VOD_OK;
}


static int
ngx_vod_cos_hash_encoded(EVP_MD_CTX *md, const u_char *p, size_t n)
{
    size_t  k, len;
    u_char  chunk[3 * NGX_VOD_COS_CHUNK];

    while (n) {
        k = (n < NGX_VOD_COS_CHUNK) ? n : NGX_VOD_COS_CHUNK;

        len = ngx_vod_cos_urlencode(chunk, p, k);

        if (EVP_DigestUpdate(md, chunk, len) != 1) {
            return NGX_VOD_ERROR;
        }

        p += k;
        n -= k;
    }

    return NGX_VOD_OK;
}


size_t
ngx_vod_cos_urlencode(u_char *dst, const u_char *src, size_t len)
{
    return ngx_vod_cos_escape(dst, src, len, ngx_vod_cos_escape_value);
}


size_t
ngx_vod_cos_encode_key(u_char *dst, const u_char *src, size_t len)
{
    return ngx_vod_cos_escape(dst, src, len, ngx_vod_cos_escape_key);
}


static size_t
ngx_vod_cos_escape(u_char *dst, const u_char *src, size_t len,
    const uint32_t *escape)
{
    u_char               *p;
    size_t                n;
    static const u_char   hex[] = "0123456789ABCDEF";

    if (dst == NULL) {
        n = len;

        while (len--) {
            if (escape[*src >> 5] & (1U << (*src & 0x1f))) {
                n += 2;
            }

            src++;
        }

        return n;
    }

    p = dst;

    while (len--) {
        if (escape[*src >> 5] & (1U << (*src & 0x1f))) {
            *p++ = '%';
            *p++ = hex[*src >> 4];
            *p++ = hex[*src & 0xf];

        } else {
            *p++ = *src;
        }

        src++;
    }

    return p - dst;
}


size_t
ngx_vod_cos_key_time(u_char *buf, time_t start, time_t end)
{
    int   n;
    char  tmp[NGX_VOD_COS_KEY_TIME_MAX + 1];

    n = snprintf(tmp, sizeof(tmp), "%lld;%lld", (long long) start,
                 (long long) end);

    if (n <= 0 || n > NGX_VOD_COS_KEY_TIME_MAX) {
        return 0;
    }

    memcpy(buf, tmp, n);

    return n;
}


int
ngx_vod_cos_sign_key(const ngx_vod_str_t *secret_key,
    const ngx_vod_str_t *key_time, u_char *hex)
{
    return ngx_vod_cos_hmac(secret_key->data, secret_key->len,
                            key_time->data, key_time->len, hex);
}


/* hex(HMAC_SHA1(key, data)) */

static int
ngx_vod_cos_hmac(const u_char *key, size_t key_len, const u_char *data,
    size_t len, u_char *hex)
{
    unsigned int  n;
    u_char        md[EVP_MAX_MD_SIZE];

    if (key_len == 0 || key_len > INT_MAX) {
        return NGX_VOD_ERROR;
    }

    n = 0;

    if (HMAC(EVP_sha1(), key, (int) key_len,
             len ? data : (const u_char *) "", len, md, &n)
        == NULL
        || n != NGX_VOD_COS_SHA1_LEN)
    {
        return NGX_VOD_ERROR;
    }

    ngx_vod_hex(hex, md, n);

    OPENSSL_cleanse(md, sizeof(md));

    return NGX_VOD_OK;
}

