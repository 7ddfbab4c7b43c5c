/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * TC3-HMAC-SHA256 request signing, with libc and OpenSSL 3.0 only (no
 * API deprecated in 3.0: EVP_Digest* and the one-shot HMAC()).
 */


#include <limits.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ngx_vod_tc3.h"


#define NGX_VOD_TC3_CANONICAL_START  "POST\n/\n\ncontent-type:"
#define NGX_VOD_TC3_SCOPE_END        "/tc3_request"
#define NGX_VOD_TC3_CHUNK            64

#define ngx_vod_tc3_value(n)         ngx_vod_tc3_string(n)
#define ngx_vod_tc3_string(n)        #n


/*
 * Where the text of the canonical request goes: into a digest, or into
 * a buffer (pos..end); len counts what was emitted even when the buffer
 * is too small, so that the caller learns the size needed.
 */

typedef struct {
    EVP_MD_CTX       *md;
    u_char           *pos;
    u_char           *end;
    size_t            len;
    unsigned          full:1;
    unsigned          failed:1;
} ngx_vod_tc3_sink_t;


static int ngx_vod_tc3_canonical(ngx_vod_tc3_sink_t *sk,
    const ngx_vod_str_t *host, const ngx_vod_str_t *content_type,
    const ngx_vod_str_t *action, const u_char *payload_hash);
static void ngx_vod_tc3_emit(ngx_vod_tc3_sink_t *sk, const u_char *p,
    size_t n);
static void ngx_vod_tc3_emit_lower(ngx_vod_tc3_sink_t *sk, const u_char *p,
    size_t n);
static int ngx_vod_tc3_hmac(const u_char *key, size_t key_len,
    const u_char *data, size_t len, u_char *out);


#define ngx_vod_tc3_emit_literal(sk, s)                                      \
    ngx_vod_tc3_emit(sk, (const u_char *) s, sizeof(s) - 1)


int
ngx_vod_tc3_sign(ngx_vod_tc3_sign_t *s, ngx_vod_tc3_key_cache_t *cache,
    u_char *buf, size_t size, size_t *len)
{
    int            rc;
    u_char        *p;
    size_t         n;
    const u_char  *key;
    u_char         local_key[NGX_VOD_TC3_KEY_LEN];
    u_char         sts[NGX_VOD_TC3_STRING_TO_SIGN_MAX];

    s->error = NULL;

    if (s->secret_id.len == 0 || !ngx_vod_header_value_valid(&s->secret_id)) {
        s->error = "empty SecretId, or a control character in it";
        return NGX_VOD_ERROR;
    }

    if (s->secret_key.len == 0) {
        s->error = "empty SecretKey";
        return NGX_VOD_ERROR;
    }

    if (s->secret_key.len > NGX_VOD_TC3_SECRET_KEY_MAX) {
        s->error = "SecretKey longer than "
                   ngx_vod_tc3_value(NGX_VOD_TC3_SECRET_KEY_MAX) " bytes";
        return NGX_VOD_ERROR;
    }

    if (s->sign_action && s->action.len == 0) {
        s->error = "x-tc-action to be signed, but no action";
        return NGX_VOD_ERROR;
    }

    if (s->service.len == 0) {
        if (ngx_vod_tc3_service(&s->host, &s->service) != NGX_VOD_OK) {
            s->error = "no service name: the host has no first label";
            return NGX_VOD_ERROR;
        }

    } else if (s->service.len > NGX_VOD_TC3_SERVICE_MAX
               || !ngx_vod_header_value_valid(&s->service)
               || memchr(s->service.data, '/', s->service.len) != NULL)
    {
        s->error = "invalid service name";
        return NGX_VOD_ERROR;
    }

    if (size < ngx_vod_tc3_authorization_size(s)) {
        s->error = "Authorization buffer too small";
        return NGX_VOD_ERROR;
    }

    if (ngx_vod_tc3_date(s->timestamp, s->date) != NGX_VOD_OK) {
        s->error = "timestamp out of range";
        return NGX_VOD_ERROR;
    }

    if (ngx_vod_tc3_payload_hash(s->payload.data, s->payload.len,
                                 s->payload_hash)
        != NGX_VOD_OK)
    {
        s->error = "SHA-256 of the payload failed";
        return NGX_VOD_ERROR;
    }

    if (ngx_vod_tc3_canonical_hash(&s->host, &s->content_type,
                                   s->sign_action ? &s->action : NULL,
                                   s->payload_hash, s->canonical_hash)
        != NGX_VOD_OK)
    {
        s->error = "empty host or content type, a control character in "
                   "host, content type or action, or SHA-256 failed";
        return NGX_VOD_ERROR;
    }

    if (cache) {
        key = ngx_vod_tc3_key_cache_get(cache, &s->secret_key, s->date,
                                        &s->service);

    } else if (ngx_vod_tc3_signing_key(&s->secret_key, s->date, &s->service,
                                       NULL, local_key)
               == NGX_VOD_OK)
    {
        key = local_key;

    } else {
        key = NULL;
    }

    if (key == NULL) {
        OPENSSL_cleanse(local_key, sizeof(local_key));
        s->error = "signing key derivation failed";
        return NGX_VOD_ERROR;
    }

    n = ngx_vod_tc3_string_to_sign(sts, s->timestamp, s->date, &s->service,
                                   s->canonical_hash);

    rc = ngx_vod_tc3_signature(key, sts, n, s->signature);

    OPENSSL_cleanse(local_key, sizeof(local_key));

    if (rc != NGX_VOD_OK) {
        s->error = "HMAC-SHA256 of the string to sign failed";
        return NGX_VOD_ERROR;
    }

    p = ngx_vod_cpymem(buf, NGX_VOD_TC3_ALGORITHM " Credential=",
                       sizeof(NGX_VOD_TC3_ALGORITHM " Credential=") - 1);
    p = ngx_vod_cpymem(p, s->secret_id.data, s->secret_id.len);
    *p++ = '/';
    p = ngx_vod_cpymem(p, s->date, NGX_VOD_TC3_DATE_LEN);
    *p++ = '/';
    p = ngx_vod_cpymem(p, s->service.data, s->service.len);
    p = ngx_vod_cpymem(p, NGX_VOD_TC3_SCOPE_END ", SignedHeaders=",
                       sizeof(NGX_VOD_TC3_SCOPE_END ", SignedHeaders=") - 1);

    if (s->sign_action) {
        p = ngx_vod_cpymem(p, NGX_VOD_TC3_SIGNED_HEADERS_ACTION,
                           sizeof(NGX_VOD_TC3_SIGNED_HEADERS_ACTION) - 1);

    } else {
        p = ngx_vod_cpymem(p, NGX_VOD_TC3_SIGNED_HEADERS,
                           sizeof(NGX_VOD_TC3_SIGNED_HEADERS) - 1);
    }

    p = ngx_vod_cpymem(p, ", Signature=", sizeof(", Signature=") - 1);
    p = ngx_vod_cpymem(p, s->signature, NGX_VOD_TC3_HEX_LEN);

    *len = p - buf;

    return NGX_VOD_OK;
}


size_t
ngx_vod_tc3_authorization_size(const ngx_vod_tc3_sign_t *s)
{
    size_t         n;
    ngx_vod_str_t  service;

    service = s->service;

    if (service.len == 0
        && ngx_vod_tc3_service(&s->host, &service) != NGX_VOD_OK)
    {
        return 0;
    }

    n = NGX_VOD_TC3_AUTHORIZATION_LEN(s->secret_id.len, service.len);

    if (!s->sign_action) {
        n -= sizeof(NGX_VOD_TC3_SIGNED_HEADERS_ACTION)
             - sizeof(NGX_VOD_TC3_SIGNED_HEADERS);
    }

    return n;
}


size_t
ngx_vod_tc3_timestamp(u_char *buf, time_t timestamp)
{
    u_char              *p;
    size_t               n;
    unsigned long long   v;
    u_char               tmp[NGX_VOD_TC3_TIMESTAMP_MAX];

    p = tmp + sizeof(tmp);

    v = (timestamp < 0) ? 0 - (unsigned long long) timestamp
                        : (unsigned long long) timestamp;

    do {
        *--p = (u_char) ('0' + v % 10);
        v /= 10;
    } while (v);

    if (timestamp < 0) {
        *--p = '-';
    }

    n = tmp + sizeof(tmp) - p;

    memcpy(buf, p, n);

    return n;
}


int
ngx_vod_tc3_payload_hash(const u_char *payload, size_t len, u_char *hex)
{
    unsigned int  n;
    u_char        md[EVP_MAX_MD_SIZE];

    if (EVP_Digest(len ? payload : (const u_char *) "", len, md, &n,
                   EVP_sha256(), NULL)
        != 1
        || n != NGX_VOD_TC3_HEX_LEN / 2)
    {
        return NGX_VOD_ERROR;
    }

    ngx_vod_hex(hex, md, n);

    return NGX_VOD_OK;
}


int
ngx_vod_tc3_canonical_request(u_char *buf, size_t size, size_t *len,
    const ngx_vod_str_t *host, const ngx_vod_str_t *content_type,
    const ngx_vod_str_t *action, const u_char *payload_hash)
{
    ngx_vod_tc3_sink_t  sk;

    memset(&sk, 0, sizeof(ngx_vod_tc3_sink_t));

    sk.pos = buf;
    sk.end = buf + size;

    if (ngx_vod_tc3_canonical(&sk, host, content_type, action, payload_hash)
        != NGX_VOD_OK)
    {
        *len = 0;
        return NGX_VOD_ERROR;
    }

    *len = sk.len;

    return sk.full ? NGX_VOD_ERROR : NGX_VOD_OK;
}


int
ngx_vod_tc3_canonical_hash(const ngx_vod_str_t *host,
    const ngx_vod_str_t *content_type, const ngx_vod_str_t *action,
    const u_char *payload_hash, u_char *hex)
{
    int                 rc;
    unsigned int        n;
    ngx_vod_tc3_sink_t  sk;
    u_char              md[EVP_MAX_MD_SIZE];

    memset(&sk, 0, sizeof(ngx_vod_tc3_sink_t));

    sk.md = EVP_MD_CTX_new();
    if (sk.md == NULL) {
        return NGX_VOD_ERROR;
    }

    rc = NGX_VOD_ERROR;

    if (EVP_DigestInit_ex(sk.md, EVP_sha256(), NULL) != 1) {
        goto done;
    }

    if (ngx_vod_tc3_canonical(&sk, host, content_type, action, payload_hash)
        != NGX_VOD_OK)
    {
        goto done;
    }

    if (EVP_DigestFinal_ex(sk.md, md, &n) != 1
        || n != NGX_VOD_TC3_HEX_LEN / 2)
    {
        goto done;
    }

    ngx_vod_hex(hex, md, n);

    rc = NGX_VOD_OK;

done:

    EVP_MD_CTX_free(sk.md);

    return rc;
}


static int
ngx_vod_tc3_canonical(ngx_vod_tc3_sink_t *sk, const ngx_vod_str_t *host,
    const ngx_vod_str_t *content_type, const ngx_vod_str_t *action,
    const u_char *payload_hash)
{
    if (host->len == 0 || content_type->len == 0
        || !ngx_vod_header_value_valid(host)
        || !ngx_vod_header_value_valid(content_type)
        || (action && !ngx_vod_header_value_valid(action)))
    {
        return NGX_VOD_ERROR;
    }

    ngx_vod_tc3_emit_literal(sk, NGX_VOD_TC3_CANONICAL_START);
    ngx_vod_tc3_emit(sk, content_type->data, content_type->len);
    ngx_vod_tc3_emit_literal(sk, "\nhost:");
    ngx_vod_tc3_emit(sk, host->data, host->len);
    ngx_vod_tc3_emit_literal(sk, "\n");

    if (action && action->len) {
        ngx_vod_tc3_emit_literal(sk, "x-tc-action:");
        ngx_vod_tc3_emit_lower(sk, action->data, action->len);
        ngx_vod_tc3_emit_literal(sk,
                                 "\n\n" NGX_VOD_TC3_SIGNED_HEADERS_ACTION "\n");

    } else {
        ngx_vod_tc3_emit_literal(sk, "\n" NGX_VOD_TC3_SIGNED_HEADERS "\n");
    }

    ngx_vod_tc3_emit(sk, payload_hash, NGX_VOD_TC3_HEX_LEN);

    return sk->failed ? NGX_VOD_ERROR : NGX_VOD_OK;
}


static void
ngx_vod_tc3_emit(ngx_vod_tc3_sink_t *sk, const u_char *p, size_t n)
{
    sk->len += n;

    if (sk->md) {
        if (EVP_DigestUpdate(sk->md, p, n) != 1) {
            sk->failed = 1;
        }

        return;
    }

    if (sk->full || (size_t) (sk->end - sk->pos) < n) {
        sk->full = 1;
        return;
    }

    sk->pos = ngx_vod_cpymem(sk->pos, p, n);
}


static void
ngx_vod_tc3_emit_lower(ngx_vod_tc3_sink_t *sk, const u_char *p, size_t n)
{
    size_t  k;
    u_char  chunk[NGX_VOD_TC3_CHUNK];

    while (n) {
        k = (n < sizeof(chunk)) ? n : sizeof(chunk);

        ngx_vod_strlow(chunk, p, k);
        ngx_vod_tc3_emit(sk, chunk, k);

        p += k;
        n -= k;
    }
}


int
ngx_vod_tc3_date(time_t timestamp, u_char *date)
{
    int        year;
    struct tm  tm;

    if (gmtime_r(&timestamp, &tm) == NULL) {
        return NGX_VOD_ERROR;
    }

    year = tm.tm_year + 1900;

    if (year < 0 || year > 9999) {
        return NGX_VOD_ERROR;
    }

    date[0] = (u_char) ('0' + year / 1000);
    date[1] = (u_char) ('0' + year / 100 % 10);
    date[2] = (u_char) ('0' + year / 10 % 10);
    date[3] = (u_char) ('0' + year % 10);
    date[4] = '-';
    date[5] = (u_char) ('0' + (tm.tm_mon + 1) / 10);
    date[6] = (u_char) ('0' + (tm.tm_mon + 1) % 10);
    date[7] = '-';
    date[8] = (u_char) ('0' + tm.tm_mday / 10);
    date[9] = (u_char) ('0' + tm.tm_mday % 10);

    return NGX_VOD_OK;
}


int
ngx_vod_tc3_service(const ngx_vod_str_t *host, ngx_vod_str_t *service)
{
    size_t   n;
    u_char  *p;

    if (host->len == 0) {
        return NGX_VOD_ERROR;
    }

    p = memchr(host->data, '.', host->len);
    n = p ? (size_t) (p - host->data) : host->len;

    /* "host:port" without a dot */
    p = memchr(host->data, ':', n);
    if (p) {
        n = p - host->data;
    }

    if (n == 0 || n > NGX_VOD_TC3_SERVICE_MAX) {
        return NGX_VOD_ERROR;
    }

    service->len = n;
    service->data = host->data;

    if (!ngx_vod_header_value_valid(service)
        || memchr(service->data, '/', n) != NULL)
    {
        service->len = 0;
        service->data = NULL;
        return NGX_VOD_ERROR;
    }

    return NGX_VOD_OK;
}


int
ngx_vod_tc3_signing_key(const ngx_vod_str_t *secret_key, const u_char *date,
    const ngx_vod_str_t *service, u_char *k_date, u_char *k_signing)
{
    int     rc;
    u_char  key[sizeof("TC3") - 1 + NGX_VOD_TC3_SECRET_KEY_MAX];
    u_char  k1[NGX_VOD_TC3_KEY_LEN];
    u_char  k2[NGX_VOD_TC3_KEY_LEN];

    if (secret_key->len == 0 || secret_key->len > NGX_VOD_TC3_SECRET_KEY_MAX
        || service->len == 0)
    {
        return NGX_VOD_ERROR;
    }

    memcpy(key, "TC3", sizeof("TC3") - 1);
    memcpy(key + sizeof("TC3") - 1, secret_key->data, secret_key->len);

    rc = ngx_vod_tc3_hmac(key, sizeof("TC3") - 1 + secret_key->len,
                          date, NGX_VOD_TC3_DATE_LEN, k1);

    if (rc == NGX_VOD_OK) {
        rc = ngx_vod_tc3_hmac(k1, sizeof(k1), service->data, service->len,
                              k2);
    }

    if (rc == NGX_VOD_OK) {
        rc = ngx_vod_tc3_hmac(k2, sizeof(k2), (const u_char *) "tc3_request",
                              sizeof("tc3_request") - 1, k_signing);
    }

    if (rc == NGX_VOD_OK && k_date) {
        memcpy(k_date, k1, sizeof(k1));
    }

    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(k1, sizeof(k1));
    OPENSSL_cleanse(k2, sizeof(k2));

    return rc;
}


size_t
ngx_vod_tc3_string_to_sign(u_char *buf, time_t timestamp, const u_char *date,
    const ngx_vod_str_t *service, const u_char *canonical_hash)
{
    u_char  *p;

    if (service->len > NGX_VOD_TC3_SERVICE_MAX) {
        return 0;
    }

    p = ngx_vod_cpymem(buf, NGX_VOD_TC3_ALGORITHM "\n",
                       sizeof(NGX_VOD_TC3_ALGORITHM "\n") - 1);
    p += ngx_vod_tc3_timestamp(p, timestamp);
    *p++ = '\n';
    p = ngx_vod_cpymem(p, date, NGX_VOD_TC3_DATE_LEN);
    *p++ = '/';
    p = ngx_vod_cpymem(p, service->data, service->len);
    p = ngx_vod_cpymem(p, NGX_VOD_TC3_SCOPE_END "\n",
                       sizeof(NGX_VOD_TC3_SCOPE_END "\n") - 1);
    p = ngx_vod_cpymem(p, canonical_hash, NGX_VOD_TC3_HEX_LEN);

    return p - buf;
}


int
ngx_vod_tc3_signature(const u_char *k_signing, const u_char *sts, size_t len,
    u_char *hex)
{
    u_char  md[NGX_VOD_TC3_KEY_LEN];

    if (ngx_vod_tc3_hmac(k_signing, NGX_VOD_TC3_KEY_LEN, sts, len, md)
        != NGX_VOD_OK)
    {
        return NGX_VOD_ERROR;
    }

    ngx_vod_hex(hex, md, sizeof(md));

    return NGX_VOD_OK;
}


void
ngx_vod_tc3_key_cache_init(ngx_vod_tc3_key_cache_t *cache)
{
    memset(cache, 0, sizeof(ngx_vod_tc3_key_cache_t));
}


const u_char *
ngx_vod_tc3_key_cache_get(ngx_vod_tc3_key_cache_t *cache,
    const ngx_vod_str_t *secret_key, const u_char *date,
    const ngx_vod_str_t *service)
{
    if (service->len == 0 || service->len > NGX_VOD_TC3_SERVICE_MAX) {
        return NULL;
    }

    if (cache->valid
        && memcmp(cache->date, date, NGX_VOD_TC3_DATE_LEN) == 0
        && cache->service_len == service->len
        && memcmp(cache->service, service->data, service->len) == 0)
    {
        return cache->key;
    }

    cache->valid = 0;

    if (ngx_vod_tc3_signing_key(secret_key, date, service, NULL, cache->key)
        != NGX_VOD_OK)
    {
        OPENSSL_cleanse(cache->key, sizeof(cache->key));
        return NULL;
    }

    memcpy(cache->date, date, NGX_VOD_TC3_DATE_LEN);
    memcpy(cache->service, service->data, service->len);
    cache->service_len = service->len;
    cache->valid = 1;
    cache->derivations++;

    return cache->key;
}


void
ngx_vod_tc3_key_cache_wipe(ngx_vod_tc3_key_cache_t *cache)
{
    OPENSSL_cleanse(cache->key, sizeof(cache->key));
    cache->valid = 0;
}


static int
ngx_vod_tc3_hmac(const u_char *key, size_t key_len, const u_char *data,
    size_t len, u_char *out)
{
    unsigned int  n;

    if (key_len > INT_MAX) {
        return NGX_VOD_ERROR;
    }

    n = 0;

    if (HMAC(EVP_sha256(), key, (int) key_len,
             len ? data : (const u_char *) "", len, out, &n)
        == NULL
        || n != NGX_VOD_TC3_KEY_LEN)
    {
        return NGX_VOD_ERROR;
    }

    return NGX_VOD_OK;
}

