/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * ngx_vod_cos_sign: every value of every "cos" vector of vectors.json,
 * the two encodings over every byte, and the limits.
 */


#define _GNU_SOURCE

#include <limits.h>
#include <stdlib.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "ngx_vod_cos_sign.h"
#include "ngx_vod_test.h"


#define HOST  "examplebucket-1250000000.cos.ap-beijing.myqcloud.com"


static void test_vector(cJSON *v);
static void test_urlencode(void);
static void test_encode_key(void);
static void test_key_time(void);
static void test_names(void);
static void test_limits(void);
static void simple_request(ngx_vod_cos_sign_t *s, ngx_vod_cos_pair_t *h,
    size_t nh);
static size_t pairs(cJSON *obj, ngx_vod_cos_pair_t *p, size_t max,
    int reverse);
static void expected_encoding(char *dst, const u_char *src, size_t len,
    const char *keep);


int
main(void)
{
    cJSON  *root, *v;

    root = ngx_vod_test_vectors_load();

    ngx_vod_test_ok(cJSON_GetArraySize(cJSON_GetObjectItem(root, "cos")) >= 4,
                    "vectors.json has the cos vectors");

    cJSON_ArrayForEach(v, cJSON_GetObjectItem(root, "cos")) {
        test_vector(v);
    }

    test_urlencode();
    test_encode_key();
    test_key_time();
    test_names();
    test_limits();

    cJSON_Delete(root);

    return ngx_vod_test_done();
}


static void
test_vector(cJSON *v)
{
    int                 rc, reverse;
    char                name[256], expected[1024];
    u_char              auth[NGX_VOD_COS_AUTHORIZATION_MAX];
    u_char              sign_key[NGX_VOD_COS_HEX_LEN];
    size_t              len;
    char                sign_key_hex[NGX_VOD_COS_HEX_LEN + 1];
    const char         *vname, *e;
    ngx_vod_str_t       secret_key, key_time;
    ngx_vod_cos_pair_t  headers[NGX_VOD_COS_SIGN_ITEMS_MAX];
    ngx_vod_cos_pair_t  params[NGX_VOD_COS_SIGN_ITEMS_MAX];
    ngx_vod_cos_sign_t  s;
    long long           start, end;

    vname = ngx_vod_test_json_get(v, "name");
    secret_key = ngx_vod_test_str(ngx_vod_test_json_get(v, "secret_key"));
    key_time = ngx_vod_test_str(ngx_vod_test_json_get(v, "key_time"));

    ngx_vod_test_diag("%s", vname);

    /* the sign key on its own */

    rc = ngx_vod_cos_sign_key(&secret_key, &key_time, sign_key);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "%s: sign key rc", vname);

    memcpy(sign_key_hex, sign_key, NGX_VOD_COS_HEX_LEN);
    sign_key_hex[NGX_VOD_COS_HEX_LEN] = '\0';

    e = ngx_vod_test_json_get(v, "sign_key");
    if (e) {
        snprintf(name, sizeof(name), "%s: sign key", vname);
        ngx_vod_test_is(sign_key, sizeof(sign_key), e, name);
    }

    /* the pairs in the order of the file, then reversed */

    for (reverse = 0; reverse < 2; reverse++) {
        memset(&s, 0, sizeof(ngx_vod_cos_sign_t));

        s.secret_id = ngx_vod_test_str(ngx_vod_test_json_get(v, "secret_id"));
        s.secret_key = secret_key;
        s.method = ngx_vod_test_str(ngx_vod_test_json_get(v, "method"));
        s.path = ngx_vod_test_str(ngx_vod_test_json_get(v, "path"));
        s.key_time = key_time;
        s.headers = headers;
        s.nheaders = pairs(cJSON_GetObjectItem(v, "headers"), headers,
                           NGX_VOD_COS_SIGN_ITEMS_MAX, reverse);
        s.params = params;
        s.nparams = pairs(cJSON_GetObjectItem(v, "query"), params,
                          NGX_VOD_COS_SIGN_ITEMS_MAX, reverse);

        rc = ngx_vod_cos_sign(&s, auth, sizeof(auth), &len);
        ngx_vod_test_ok(rc == NGX_VOD_OK, "%s%s: sign rc (%s)", vname,
                        reverse ? ", reversed" : "",
                        s.error ? s.error : "no error");

        if (rc != NGX_VOD_OK) {
            continue;
        }

        snprintf(name, sizeof(name), "%s%s: signature", vname,
                 reverse ? ", reversed" : "");
        ngx_vod_test_is(s.signature, sizeof(s.signature),
                        ngx_vod_test_json_get(v, "signature"), name);

        if (reverse) {
            continue;
        }

        snprintf(name, sizeof(name), "%s: sign: sign key", vname);
        ngx_vod_test_is(s.sign_key, sizeof(s.sign_key), sign_key_hex, name);

        snprintf(name, sizeof(name), "%s: header list", vname);
        ngx_vod_test_is(s.header_list.data, s.header_list.len,
                        ngx_vod_test_json_get(v, "header_list"), name);

        snprintf(name, sizeof(name), "%s: url param list", vname);
        ngx_vod_test_is(s.param_list.data, s.param_list.len,
                        ngx_vod_test_json_get(v, "url_param_list"), name);

        e = ngx_vod_test_json_get(v, "http_string_sha1");
        if (e) {
            snprintf(name, sizeof(name), "%s: http string sha1", vname);
            ngx_vod_test_is(s.http_string_sha1, sizeof(s.http_string_sha1),
                            e, name);
        }

        snprintf(expected, sizeof(expected),
                 "q-sign-algorithm=sha1&q-ak=%s&q-sign-time=%s"
                 "&q-key-time=%s&q-header-list=%s&q-url-param-list=%s"
                 "&q-signature=%s",
                 ngx_vod_test_json_get(v, "secret_id"),
                 ngx_vod_test_json_get(v, "key_time"),
                 ngx_vod_test_json_get(v, "key_time"),
                 ngx_vod_test_json_get(v, "header_list"),
                 ngx_vod_test_json_get(v, "url_param_list"),
                 ngx_vod_test_json_get(v, "signature"));

        snprintf(name, sizeof(name), "%s: Authorization", vname);
        ngx_vod_test_is(auth, len, expected, name);

        ngx_vod_test_ok(len <= NGX_VOD_COS_AUTHORIZATION_LEN(s.secret_id.len),
                        "%s: within NGX_VOD_COS_AUTHORIZATION_LEN", vname);

        /* the same with the key time given as start and end */

        e = ngx_vod_test_json_get(v, "key_time");

        if (sscanf(e, "%lld;%lld", &start, &end) != 2) {
            ngx_vod_test_ok(0, "%s: key time parses", vname);
            continue;
        }

        s.key_time.len = 0;
        s.key_time.data = NULL;
        s.start = (time_t) start;
        s.end = (time_t) end;

        rc = ngx_vod_cos_sign(&s, auth, sizeof(auth), &len);
        ngx_vod_test_ok(rc == NGX_VOD_OK, "%s: start/end: sign rc", vname);

        snprintf(name, sizeof(name), "%s: start/end: key time", vname);
        ngx_vod_test_is(s.key_time.data, s.key_time.len,
                        ngx_vod_test_json_get(v, "key_time"), name);

        snprintf(name, sizeof(name), "%s: start/end: Authorization", vname);
        ngx_vod_test_is(auth, len, expected, name);
    }
}


static void
test_urlencode(void)
{
    int     i, ok;
    char    expected[3 * 256 + 1], one_expected[4];
    u_char  all[256], out[3 * 256];
    u_char  one[3];
    size_t  n;

    for (i = 0; i < 256; i++) {
        all[i] = (u_char) i;
    }

    expected_encoding(expected, all, 256, "-_.~");

    n = ngx_vod_cos_urlencode(out, all, 256);
    ngx_vod_test_is(out, n, expected, "urlencode of the bytes 0..255");

    ngx_vod_test_ok(ngx_vod_cos_urlencode(NULL, all, 256) == n,
                    "urlencode length only, bytes 0..255: %zu", n);

    ngx_vod_test_ok(n == 66 + 190 * 3, "66 bytes kept, 190 escaped");

    ok = 1;

    for (i = 0; i < 256; i++) {
        n = ngx_vod_cos_urlencode(one, &all[i], 1);

        expected_encoding(one_expected, &all[i], 1, "-_.~");

        if (n == strlen(one_expected) && memcmp(one, one_expected, n) == 0
            && ngx_vod_cos_urlencode(NULL, &all[i], 1) == n)
        {
            continue;
        }

        ngx_vod_test_diag("byte %d encoded as '%.*s'", i, (int) n, one);
        ok = 0;
    }

    ngx_vod_test_ok(ok, "urlencode of each byte on its own");

    n = ngx_vod_cos_urlencode(out, (u_char *) "a b+c/d=e&f", 11);
    ngx_vod_test_is(out, n, "a%20b%2Bc%2Fd%3De%26f",
                    "urlencode: space is %20, + / = & escaped");

    n = ngx_vod_cos_urlencode(out, (u_char *) "\xe8\x85\xbe", 3);
    ngx_vod_test_is(out, n, "%E8%85%BE", "urlencode: upper-case hex");

    n = ngx_vod_cos_urlencode(out,
                              (u_char *) "1585130821cbb7df1d11846c073ad648e8f"
                              "33b087cec2381df437acdc833cf654b9ecc6361", 74);
    ngx_vod_test_is(out, n,
                    "1585130821cbb7df1d11846c073ad648e8f"
                    "33b087cec2381df437acdc833cf654b9ecc6361",
                    "urlencode: an uploadId is unchanged");

    n = ngx_vod_cos_urlencode(out, (u_char *) "", 0);
    ngx_vod_test_ok(n == 0, "urlencode of nothing");
}


static void
test_encode_key(void)
{
    char        expected[3 * 256 + 1];
    u_char      all[256], out[3 * 256];
    size_t      n;
    int         i;
    const char  *key;

    key = "/exampleobject(\xe8\x85\xbe\xe8\xae\xaf\xe4\xba\x91)";

    n = ngx_vod_cos_encode_key(out, (u_char *) key, strlen(key));
    ngx_vod_test_is(out, n, "/exampleobject(%E8%85%BE%E8%AE%AF%E4%BA%91)",
                    "object key of the doc for the request line");

    ngx_vod_test_ok(ngx_vod_cos_encode_key(NULL, (u_char *) key, strlen(key))
                    == n, "object key length only");

    for (i = 0; i < 256; i++) {
        all[i] = (u_char) i;
    }

    expected_encoding(expected, all, 256, "-_.~/!'()*");

    n = ngx_vod_cos_encode_key(out, all, 256);
    ngx_vod_test_is(out, n, expected, "object key encoding of 0..255");

    n = ngx_vod_cos_encode_key(out, (u_char *) "/a b/c?d#e%f+g;h", 16);
    ngx_vod_test_is(out, n, "/a%20b/c%3Fd%23e%25f%2Bg%3Bh",
                    "object key: / kept, space ? # % + ; escaped");
}


static void
test_key_time(void)
{
    size_t  n;
    u_char  buf[NGX_VOD_COS_KEY_TIME_MAX];

    n = ngx_vod_cos_key_time(buf, 1557989151, 1557996351);
    ngx_vod_test_is(buf, n, "1557989151;1557996351", "key time");

    if (sizeof(time_t) == 8) {
        n = ngx_vod_cos_key_time(buf, (time_t) LLONG_MIN,
                                 (time_t) LLONG_MIN);
        ngx_vod_test_is(buf, n,
                        "-9223372036854775808;-9223372036854775808",
                        "key time of the extreme time_t fits");
    }
}


/* names are encoded, lower-cased (hex too) and sorted encoded */

static void
test_names(void)
{
    int                 rc;
    u_char              auth[NGX_VOD_COS_AUTHORIZATION_MAX];
    size_t              len;
    ngx_vod_cos_sign_t  s;
    ngx_vod_cos_pair_t  h[4];

    h[0].name = ngx_vod_test_str("X-COS-Meta-\xe8\x85\xbe");
    h[0].value = ngx_vod_test_str("v");
    h[1].name = ngx_vod_test_str("Host");
    h[1].value = ngx_vod_test_str(HOST);
    h[2].name = ngx_vod_test_str("x-cos-meta-a b");
    h[2].value = ngx_vod_test_str("w");
    h[3].name = ngx_vod_test_str("Content-Type");
    h[3].value = ngx_vod_test_str("text/plain");

    simple_request(&s, h, 4);
    s.method = ngx_vod_test_str("pUt");

    rc = ngx_vod_cos_sign(&s, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "odd names: sign rc");
    ngx_vod_test_is(s.header_list.data, s.header_list.len,
                    "content-type;host;x-cos-meta-%e8%85%be;"
                    "x-cos-meta-a%20b",
                    "odd names: encoded, lower-cased, sorted");

    ngx_vod_test_ok(s.param_list.len == 0 && s.param_list.data != NULL,
                    "no query parameters: empty list");

    ngx_vod_test_ok(memmem(auth, len, "&q-url-param-list=&q-signature=", 31)
                    != NULL, "no query parameters: empty q-url-param-list");
}


static void
test_limits(void)
{
    int                 rc, i;
    char                names[NGX_VOD_COS_SIGN_ITEMS_MAX + 1][16];
    char                long_name[NGX_VOD_COS_SIGN_LIST_MAX + 1];
    u_char              auth[NGX_VOD_COS_AUTHORIZATION_MAX];
    size_t              len, need;
    ngx_vod_cos_sign_t  s;
    ngx_vod_cos_pair_t  h[NGX_VOD_COS_SIGN_ITEMS_MAX + 1];

    h[0].name = ngx_vod_test_str("Host");
    h[0].value = ngx_vod_test_str(HOST);

    for (i = 1; i <= NGX_VOD_COS_SIGN_ITEMS_MAX; i++) {
        snprintf(names[i], sizeof(names[i]), "x-cos-meta-%02d", i);
        h[i].name = ngx_vod_test_str(names[i]);
        h[i].value = ngx_vod_test_str("1");
    }

    simple_request(&s, h, NGX_VOD_COS_SIGN_ITEMS_MAX);
    rc = ngx_vod_cos_sign(&s, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_OK,
                    "NGX_VOD_COS_SIGN_ITEMS_MAX headers: ok");

    simple_request(&s, h, NGX_VOD_COS_SIGN_ITEMS_MAX + 1);
    rc = ngx_vod_cos_sign(&s, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR && s.error != NULL
                    && strstr(s.error, "too many headers") != NULL,
                    "one header too many: error (%s)",
                    s.error ? s.error : "none");

    simple_request(&s, h, 1);
    s.params = h;
    s.nparams = NGX_VOD_COS_SIGN_ITEMS_MAX + 1;
    rc = ngx_vod_cos_sign(&s, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR && s.error != NULL
                    && strstr(s.error, "too many query") != NULL,
                    "one query parameter too many: error (%s)",
                    s.error ? s.error : "none");

    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';

    h[1].name = ngx_vod_test_str(long_name);
    simple_request(&s, h, 2);
    rc = ngx_vod_cos_sign(&s, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR && s.error != NULL
                    && strstr(s.error, "too long") != NULL,
                    "header names too long: error (%s)",
                    s.error ? s.error : "none");

    /* "host" ";" and the name: exactly NGX_VOD_COS_SIGN_LIST_MAX */
    long_name[NGX_VOD_COS_SIGN_LIST_MAX - 5] = '\0';
    h[1].name = ngx_vod_test_str(long_name);
    simple_request(&s, h, 2);
    rc = ngx_vod_cos_sign(&s, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_OK
                    && s.header_list.len == NGX_VOD_COS_SIGN_LIST_MAX,
                    "header list of NGX_VOD_COS_SIGN_LIST_MAX bytes: ok");

    long_name[NGX_VOD_COS_SIGN_LIST_MAX - 6] = '%';
    rc = ngx_vod_cos_sign(&s, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR,
                    "one more byte once encoded: error (%s)",
                    s.error ? s.error : "none");

    h[1].name = ngx_vod_test_str("Content-Length");
    h[1].value = ngx_vod_test_str("13");
    simple_request(&s, &h[1], 1);
    rc = ngx_vod_cos_sign(&s, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR && s.error != NULL
                    && strstr(s.error, "Host") != NULL,
                    "Host not signed: error (%s)",
                    s.error ? s.error : "none");

    simple_request(&s, h, 2);
    rc = ngx_vod_cos_sign(&s, auth, sizeof(auth), &len);
    need = len;
    ngx_vod_test_ok(rc == NGX_VOD_OK, "reference request: ok");

    len = 12345;
    rc = ngx_vod_cos_sign(&s, auth, need - 1, &len);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR && s.error != NULL && len == 12345,
                    "output buffer one byte short: error (%s)",
                    s.error ? s.error : "none");

    rc = ngx_vod_cos_sign(&s, auth, need, &len);
    ngx_vod_test_ok(rc == NGX_VOD_OK && len == need,
                    "output buffer of the exact size: ok");

    simple_request(&s, h, 2);
    s.path = ngx_vod_test_str("exampleobject");
    rc = ngx_vod_cos_sign(&s, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR && s.error != NULL,
                    "path without \"/\": error (%s)",
                    s.error ? s.error : "none");

    simple_request(&s, h, 2);
    s.key_time = ngx_vod_test_str("1557989151;1557996351\r\n");
    rc = ngx_vod_cos_sign(&s, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR && s.error != NULL,
                    "CR LF in the key time: error (%s)",
                    s.error ? s.error : "none");

    simple_request(&s, h, 2);
    s.secret_key.len = 0;
    rc = ngx_vod_cos_sign(&s, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR && s.error != NULL,
                    "empty SecretKey: error (%s)",
                    s.error ? s.error : "none");
}


static void
simple_request(ngx_vod_cos_sign_t *s, ngx_vod_cos_pair_t *h, size_t nh)
{
    memset(s, 0, sizeof(ngx_vod_cos_sign_t));

    s->secret_id = ngx_vod_test_str("AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q");
    s->secret_key = ngx_vod_test_str("BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz");
    s->method = ngx_vod_test_str("PUT");
    s->path = ngx_vod_test_str("/exampleobject");
    s->key_time = ngx_vod_test_str("1557989151;1557996351");
    s->headers = h;
    s->nheaders = nh;
}


static size_t
pairs(cJSON *obj, ngx_vod_cos_pair_t *p, size_t max, int reverse)
{
    size_t               n, i;
    cJSON               *item;
    ngx_vod_cos_pair_t   t;

    n = 0;

    cJSON_ArrayForEach(item, obj) {
        if (n == max) {
            break;
        }

        p[n].name = ngx_vod_test_str(item->string);
        p[n].value = ngx_vod_test_str(item->valuestring);
        n++;
    }

    if (reverse) {
        for (i = 0; i < n / 2; i++) {
            t = p[i];
            p[i] = p[n - 1 - i];
            p[n - 1 - i] = t;
        }
    }

    return n;
}


/* the encoding spelled out differently: keep A-Z a-z 0-9 and "keep" */

static void
expected_encoding(char *dst, const u_char *src, size_t len, const char *keep)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if ((src[i] >= 'A' && src[i] <= 'Z')
            || (src[i] >= 'a' && src[i] <= 'z')
            || (src[i] >= '0' && src[i] <= '9')
            || (src[i] != 0 && strchr(keep, src[i]) != NULL))
        {
            *dst++ = (char) src[i];

        } else {
            dst += sprintf(dst, "%%%02X", src[i]);
        }
    }

    *dst = '\0';
}
