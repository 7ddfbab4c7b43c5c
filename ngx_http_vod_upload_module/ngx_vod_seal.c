
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 */


#include "ngx_vod_seal.h"

#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>


static size_t ngx_vod_b64url_encode(u_char *dst, const u_char *src,
    size_t len);
static int ngx_vod_b64url_decode(u_char *dst, const u_char *src, size_t len,
    size_t *out_len);
static int ngx_vod_seal_open_key(const ngx_vod_seal_key_t *key,
    const u_char *aad, size_t aad_len, const u_char *raw, size_t len,
    u_char *out);


static const char  ngx_vod_b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


int
ngx_vod_seal_key(const u_char *secret, size_t len, ngx_vod_seal_key_t *key,
    const char **error)
{
    unsigned int  n;

    while (len && (*secret == ' ' || *secret == '\t' || *secret == '\r'
                   || *secret == '\n'))
    {
        secret++;
        len--;
    }

    while (len && (secret[len - 1] == ' ' || secret[len - 1] == '\t'
                   || secret[len - 1] == '\r' || secret[len - 1] == '\n'))
    {
        len--;
    }

    if (len < NGX_VOD_SEAL_SECRET_MIN) {
        *error = "a key needs at least 16 bytes";
        return NGX_VOD_ERROR;
    }

    if (EVP_Digest(secret, len, key->key, &n, EVP_sha256(), NULL) != 1
        || n != NGX_VOD_SEAL_KEY_LEN)
    {
        *error = "SHA-256 failed";
        return NGX_VOD_ERROR;
    }

    return NGX_VOD_OK;
}


size_t
ngx_vod_seal_size(size_t len)
{
    size_t  raw;

    raw = NGX_VOD_SEAL_OVERHEAD + len;

    return raw / 3 * 4 + (raw % 3 ? raw % 3 + 1 : 0);
}


int
ngx_vod_seal(const ngx_vod_seal_key_t *key, const u_char *aad,
    size_t aad_len, const u_char *in, size_t len, u_char *out,
    size_t *out_len)
{
    int              n, rc;
    u_char          *raw, *p;
    size_t           size;
    EVP_CIPHER_CTX  *ctx;

    size = NGX_VOD_SEAL_OVERHEAD + len;

    raw = malloc(size);
    if (raw == NULL) {
        return NGX_VOD_ERROR;
    }

    rc = NGX_VOD_ERROR;

    raw[0] = NGX_VOD_SEAL_VERSION;
    p = raw + 1;

    ctx = EVP_CIPHER_CTX_new();

    if (ctx == NULL
        || RAND_bytes(p, NGX_VOD_SEAL_NONCE_LEN) != 1
        || EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN,
                               NGX_VOD_SEAL_NONCE_LEN, NULL) != 1
        || EVP_EncryptInit_ex(ctx, NULL, NULL, key->key, p) != 1)
    {
        goto done;
    }

    p += NGX_VOD_SEAL_NONCE_LEN;

    /* the version is authenticated with the aad */

    if (EVP_EncryptUpdate(ctx, NULL, &n, raw, 1) != 1
        || (aad_len
            && EVP_EncryptUpdate(ctx, NULL, &n, aad, (int) aad_len) != 1)
        || (len && EVP_EncryptUpdate(ctx, p, &n, in, (int) len) != 1)
        || EVP_EncryptFinal_ex(ctx, p + len, &n) != 1
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
                               NGX_VOD_SEAL_TAG_LEN, p + len) != 1)
    {
        goto done;
    }

    *out_len = ngx_vod_b64url_encode(out, raw, size);

    rc = NGX_VOD_OK;

done:

    EVP_CIPHER_CTX_free(ctx);
    OPENSSL_cleanse(raw, size);
    free(raw);

    return rc;
}


int
ngx_vod_seal_open(const ngx_vod_seal_key_t *keys, size_t nkeys,
    const u_char *aad, size_t aad_len, const u_char *in, size_t len,
    u_char *out, size_t *out_len)
{
    int      rc;
    size_t   i, raw_len;
    u_char  *raw;

    raw = malloc(len / 4 * 3 + 3);
    if (raw == NULL) {
        return NGX_VOD_ERROR;
    }

    rc = NGX_VOD_ERROR;

    if (ngx_vod_b64url_decode(raw, in, len, &raw_len) != NGX_VOD_OK
        || raw_len < NGX_VOD_SEAL_OVERHEAD
        || raw[0] != NGX_VOD_SEAL_VERSION
        || raw_len - NGX_VOD_SEAL_OVERHEAD > (size_t) 0x7fffffff)
    {
        goto done;
    }

    for (i = 0; i < nkeys; i++) {
        if (ngx_vod_seal_open_key(&keys[i], aad, aad_len, raw, raw_len, out)
            == NGX_VOD_OK)
        {
            *out_len = raw_len - NGX_VOD_SEAL_OVERHEAD;
            rc = NGX_VOD_OK;
            break;
        }
    }

done:

    free(raw);

    return rc;
}


static int
ngx_vod_seal_open_key(const ngx_vod_seal_key_t *key, const u_char *aad,
    size_t aad_len, const u_char *raw, size_t len, u_char *out)
{
    int              n, ok;
    size_t           clen;
    const u_char    *nonce, *cipher, *tag;
    EVP_CIPHER_CTX  *ctx;

    nonce = raw + 1;
    cipher = nonce + NGX_VOD_SEAL_NONCE_LEN;
    clen = len - NGX_VOD_SEAL_OVERHEAD;
    tag = cipher + clen;

    ctx = EVP_CIPHER_CTX_new();

    ok = ctx != NULL
         && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1
         && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN,
                                NGX_VOD_SEAL_NONCE_LEN, NULL) == 1
         && EVP_DecryptInit_ex(ctx, NULL, NULL, key->key, nonce) == 1
         && EVP_DecryptUpdate(ctx, NULL, &n, raw, 1) == 1
         && (aad_len == 0
             || EVP_DecryptUpdate(ctx, NULL, &n, aad, (int) aad_len) == 1)
         && (clen == 0
             || EVP_DecryptUpdate(ctx, out, &n, cipher, (int) clen) == 1)
         && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG,
                                NGX_VOD_SEAL_TAG_LEN, (void *) tag) == 1
         && EVP_DecryptFinal_ex(ctx, out + clen, &n) == 1;

    EVP_CIPHER_CTX_free(ctx);

    if (!ok) {
        OPENSSL_cleanse(out, clen);
        return NGX_VOD_ERROR;
    }

    return NGX_VOD_OK;
}


static size_t
ngx_vod_b64url_encode(u_char *dst, const u_char *src, size_t len)
{
    u_char  *d;

    d = dst;

    while (len >= 3) {
        *d++ = ngx_vod_b64url[src[0] >> 2];
        *d++ = ngx_vod_b64url[((src[0] & 3) << 4) | (src[1] >> 4)];
        *d++ = ngx_vod_b64url[((src[1] & 15) << 2) | (src[2] >> 6)];
        *d++ = ngx_vod_b64url[src[2] & 63];
        src += 3;
        len -= 3;
    }

    if (len) {
        *d++ = ngx_vod_b64url[src[0] >> 2];

        if (len == 1) {
            *d++ = ngx_vod_b64url[(src[0] & 3) << 4];

        } else {
            *d++ = ngx_vod_b64url[((src[0] & 3) << 4) | (src[1] >> 4)];
            *d++ = ngx_vod_b64url[(src[1] & 15) << 2];
        }
    }

    return d - dst;
}


/* base64url without padding; trailing bits must be zero (one spelling) */

static int
ngx_vod_b64url_decode(u_char *dst, const u_char *src, size_t len,
    size_t *out_len)
{
    int       v, bits;
    size_t    i;
    u_char    c, *d;
    uint32_t  acc;

    if (len % 4 == 1) {
        return NGX_VOD_ERROR;
    }

    d = dst;
    acc = 0;
    bits = 0;

    for (i = 0; i < len; i++) {
        c = src[i];

        if (c >= 'A' && c <= 'Z') {
            v = c - 'A';

        } else if (c >= 'a' && c <= 'z') {
            v = c - 'a' + 26;

        } else if (c >= '0' && c <= '9') {
            v = c - '0' + 52;

        } else if (c == '-') {
            v = 62;

        } else if (c == '_') {
            v = 63;

        } else {
            return NGX_VOD_ERROR;
        }

        acc = (acc << 6) | (uint32_t) v;
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            *d++ = (u_char) (acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }

    if (acc != 0) {
        return NGX_VOD_ERROR;
    }

    *out_len = d - dst;

    return NGX_VOD_OK;
}
