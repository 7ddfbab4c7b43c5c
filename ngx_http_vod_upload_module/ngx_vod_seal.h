
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * Sealed tokens: bytes that a client carries (a resumable upload's URL)
 * and can neither read nor forge.  AES-256-GCM with a random 96-bit
 * nonce, the token in base64url without padding:
 *
 *   base64url( version(1) | nonce(12) | ciphertext(n) | tag(16) )
 *
 * "aad" binds a token to its use (it is authenticated, not carried).
 * Keys come from key files (SHA-256 of their contents); several may open
 * tokens, the first seals: keys can be rotated.
 */


#ifndef _NGX_VOD_SEAL_H_INCLUDED_
#define _NGX_VOD_SEAL_H_INCLUDED_


#include "ngx_vod_common.h"


#define NGX_VOD_SEAL_VERSION     1
#define NGX_VOD_SEAL_KEY_LEN     32
#define NGX_VOD_SEAL_NONCE_LEN   12
#define NGX_VOD_SEAL_TAG_LEN     16
#define NGX_VOD_SEAL_SECRET_MIN  16     /* bytes of a key file, at least */

/* the raw bytes around the ciphertext */
#define NGX_VOD_SEAL_OVERHEAD                                                 \
    (1 + NGX_VOD_SEAL_NONCE_LEN + NGX_VOD_SEAL_TAG_LEN)


typedef struct {
    u_char                  key[NGX_VOD_SEAL_KEY_LEN];
} ngx_vod_seal_key_t;


/*
 * A key from a key file's contents, white space around them ignored:
 * NGX_VOD_OK, or NGX_VOD_ERROR with *error set (fewer than
 * NGX_VOD_SEAL_SECRET_MIN bytes).
 */
int ngx_vod_seal_key(const u_char *secret, size_t len,
    ngx_vod_seal_key_t *key, const char **error);

/* the length of the token of len bytes */
size_t ngx_vod_seal_size(size_t len);

/*
 * Seals len bytes into out (ngx_vod_seal_size(len) bytes): NGX_VOD_OK,
 * or NGX_VOD_ERROR when OpenSSL fails (no randomness, ...).
 */
int ngx_vod_seal(const ngx_vod_seal_key_t *key, const u_char *aad,
    size_t aad_len, const u_char *in, size_t len, u_char *out,
    size_t *out_len);

/*
 * Opens a token with the first of nkeys keys that can: NGX_VOD_OK with
 * the bytes in out (at least len bytes) and *out_len, or NGX_VOD_ERROR
 * (not a token of ours, tampered with, sealed with another key or for
 * another aad).
 */
int ngx_vod_seal_open(const ngx_vod_seal_key_t *keys, size_t nkeys,
    const u_char *aad, size_t aad_len, const u_char *in, size_t len,
    u_char *out, size_t *out_len);


#endif /* _NGX_VOD_SEAL_H_INCLUDED_ */
