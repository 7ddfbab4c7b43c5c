
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * libFuzzer target of the sealed tus upload URLs (ngx_vod_seal.c): a
 * token is whatever a client puts in the URL.  The input, as a token, is
 * opened with two keys: it must be refused unless it was sealed with one
 * of them (AES-256-GCM), whatever its bytes.  The input, as a state, is
 * sealed and opened again: the same bytes come back, and one bit changed
 * anywhere in the token makes it refused.
 */

#include "fuzz.h"
#include "ngx_vod_seal.h"


static ngx_vod_seal_key_t  keys[2];
static int                 ready;


int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    u_char       *data, *token, *out;
    size_t        n, len, bit;
    const char   *error;

    static const u_char  aad[] = "/files/";

    if (!ready) {
        if (ngx_vod_seal_key((const u_char *) "the first key of the fuzzer", 27,
                             &keys[0], &error) != NGX_VOD_OK
            || ngx_vod_seal_key((const u_char *) "a second, rotated key!", 22,
                                &keys[1], &error) != NGX_VOD_OK)
        {
            abort();
        }

        ready = 1;
    }

    data = fuzz_copy(in, size);

    /* as a token: refused (no input can be sealed with our keys) */

    out = malloc(size + 1);
    if (out == NULL) {
        abort();
    }

    if (ngx_vod_seal_open(keys, 2, aad, sizeof(aad) - 1, data, size, out,
                          &len)
        == NGX_VOD_OK)
    {
        abort();                        /* a token nobody sealed, opened */
    }

    free(out);

    /* as a state: sealed, opened, and refused once changed */

    n = ngx_vod_seal_size(size);
    token = malloc(n);
    out = malloc(n);
    if (token == NULL || out == NULL) {
        abort();
    }

    if (ngx_vod_seal(&keys[size & 1], aad, sizeof(aad) - 1, data, size, token,
                     &len) != NGX_VOD_OK
        || len != n)
    {
        abort();
    }

    if (ngx_vod_seal_open(keys, 2, aad, sizeof(aad) - 1, token, len, out, &n)
        != NGX_VOD_OK
        || n != size || (size && memcmp(out, data, size) != 0))
    {
        abort();                        /* sealed, it did not open */
    }

    bit = size ? (data[0] * 131u + size) % (len * 8) : 0;
    token[bit / 8] ^= (u_char) (1u << (bit % 8));

    if (ngx_vod_seal_open(keys, 2, aad, sizeof(aad) - 1, token, len, out, &n)
        == NGX_VOD_OK)
    {
        abort();                        /* a changed token, opened */
    }

    free(token);
    free(out);
    free(data);

    return 0;
}
