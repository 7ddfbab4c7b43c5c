
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * Unit test of ngx_vod_seal.c: sealed tokens (AES-256-GCM, base64url)
 * open only with one of their keys and their aad, and not at all once a
 * single character is changed.
 */


#include "ngx_vod_seal.h"
#include "ngx_vod_test.h"

#include <stdlib.h>


#define S(s)  (const u_char *) s, sizeof(s) - 1


static ngx_vod_seal_key_t  k1, k2;


static void
test_keys(void)
{
    int          rc;
    u_char       hex[65];
    const char  *err;
    size_t       i;

    rc = ngx_vod_seal_key(S(" 0123456789abcdef\n"), &k1, &err);

    for (i = 0; i < NGX_VOD_SEAL_KEY_LEN; i++) {
        sprintf((char *) hex + 2 * i, "%02x", k1.key[i]);
    }

    ngx_vod_test_ok(rc == NGX_VOD_OK
                    && strcmp((char *) hex, "9f9f5111f7b27a781f1f1ddde5ebc2dd"
                              "2b796bfc7365c9c28b548e564176929f") == 0,
                    "a key is SHA-256 of the file, white space around it "
                    "left out");

    err = NULL;
    ngx_vod_test_ok(ngx_vod_seal_key(S("  short key  \n"), &k2, &err)
                    == NGX_VOD_ERROR && err
                    && strcmp(err, "a key needs at least 16 bytes") == 0,
                    "a key file of fewer than 16 bytes is refused");

    ngx_vod_test_ok(ngx_vod_seal_key(S("another secret of ours"), &k2, &err)
                    == NGX_VOD_OK, "a second key");
}


static void
test_round_trip(void)
{
    size_t   sizes[] = { 0, 1, 2, 3, 4, 100, 1000, 4097 };
    size_t   i, j, n, len, out_len;
    u_char  *in, *tok, *out, *tok2;
    int      ok, chars;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        len = sizes[i];
        in = malloc(len + 1);

        for (j = 0; j < len; j++) {
            in[j] = (u_char) (j * 7 + 3);
        }

        n = ngx_vod_seal_size(len);
        tok = malloc(n + 1);
        tok2 = malloc(n + 1);
        out = malloc(len + 1);

        ok = ngx_vod_seal(&k1, S("tus"), in, len, tok, &out_len) == NGX_VOD_OK
             && out_len == n;

        chars = 1;

        for (j = 0; j < out_len; j++) {
            if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789-_", tok[j]))
            {
                chars = 0;
            }
        }

        ngx_vod_test_ok(ok && chars, "%zu bytes sealed into %zu base64url "
                        "characters", len, n);

        ngx_vod_test_ok(ngx_vod_seal_open(&k1, 1, S("tus"), tok, n, out,
                                          &out_len) == NGX_VOD_OK
                        && out_len == len
                        && (len == 0 || memcmp(in, out, len) == 0),
                        "... and opened: the same bytes");

        ngx_vod_test_ok(ngx_vod_seal(&k1, S("tus"), in, len, tok2, &out_len)
                        == NGX_VOD_OK && memcmp(tok, tok2, n) != 0,
                        "... sealed again: another token (a new nonce)");

        free(in);
        free(tok);
        free(tok2);
        free(out);
    }
}


static void
test_refused(void)
{
    size_t   i, n, len;
    u_char   tok[200], out[200], orig;
    int      all;

    static const u_char  plain[] = "VodSessionKey=abc;UploadId=xyz";

    len = sizeof(plain) - 1;

    (void) ngx_vod_seal(&k1, S("tus"), plain, len, tok, &n);

    ngx_vod_test_ok(ngx_vod_seal_open(&k2, 1, S("tus"), tok, n, out, &len)
                    == NGX_VOD_ERROR, "another key does not open it");

    ngx_vod_test_ok(ngx_vod_seal_open(&k1, 1, S("tvs"), tok, n, out, &len)
                    == NGX_VOD_ERROR, "another aad does not open it");

    {
        ngx_vod_seal_key_t  keys[2];

        keys[0] = k2;
        keys[1] = k1;

        ngx_vod_test_ok(ngx_vod_seal_open(keys, 2, S("tus"), tok, n, out,
                                          &len) == NGX_VOD_OK
                        && len == sizeof(plain) - 1
                        && memcmp(out, plain, len) == 0,
                        "rotated: the new key first, the old one opens it");
    }

    all = 1;

    for (i = 0; i < n; i++) {
        orig = tok[i];
        tok[i] = (orig == 'A') ? 'B' : 'A';

        if (ngx_vod_seal_open(&k1, 1, S("tus"), tok, n, out, &len)
            == NGX_VOD_OK)
        {
            all = 0;
            ngx_vod_test_diag("opened with character %zu changed", i);
        }

        tok[i] = orig;
    }

    ngx_vod_test_ok(all, "any one character changed: refused (%zu tried)",
                    n);

    ngx_vod_test_ok(ngx_vod_seal_open(&k1, 1, S("tus"), tok, n - 1, out,
                                      &len) == NGX_VOD_ERROR,
                    "a character less: refused");
    ngx_vod_test_ok(ngx_vod_seal_open(&k1, 1, S("tus"), tok, 8, out, &len)
                    == NGX_VOD_ERROR, "too short to be a token: refused");
    ngx_vod_test_ok(ngx_vod_seal_open(&k1, 1, S("tus"), S("not+base64/url="),
                                      out, &len) == NGX_VOD_ERROR,
                    "not base64url: refused");
    ngx_vod_test_ok(ngx_vod_seal_open(&k1, 1, S("tus"), S(""), out, &len)
                    == NGX_VOD_ERROR, "empty: refused");
}


int
main(void)
{
    test_keys();
    test_round_trip();
    test_refused();

    return ngx_vod_test_done();
}
