/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * ngx_vod_tc3: every intermediate value of every "tc3" vector of
 * vectors.json, the signing-key cache across UTC midnight, the local
 * time zone trap, and the error paths.
 */


#define _GNU_SOURCE

#include <limits.h>
#include <stdlib.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "ngx_vod_tc3.h"
#include "ngx_vod_test.h"


#define MIDNIGHT_BEFORE  1551139199     /* 2019-02-25 23:59:59 UTC */
#define MIDNIGHT_AFTER   1551139200     /* 2019-02-26 00:00:00 UTC */
#define DOC_TIMESTAMP    1551113065     /* 2019-02-25 16:44:25 UTC */


static void test_vector(cJSON *v);
static void test_timestamp(void);
static void test_date_and_service(void);
static void test_cache(void);
static void test_time_zone(void);
static void test_errors(void);
static void doc_request(ngx_vod_tc3_sign_t *s);
static void hex(char *dst, const u_char *src, size_t len);
static void sha256_hex(char *dst, const u_char *p, size_t len);


int
main(void)
{
    cJSON  *root, *v;

    root = ngx_vod_test_vectors_load();

    ngx_vod_test_ok(cJSON_GetArraySize(cJSON_GetObjectItem(root, "tc3")) >= 4,
                    "vectors.json has the tc3 vectors");

    cJSON_ArrayForEach(v, cJSON_GetObjectItem(root, "tc3")) {
        test_vector(v);
    }

    test_timestamp();
    test_date_and_service();
    test_cache();
    test_time_zone();
    test_errors();

    cJSON_Delete(root);

    return ngx_vod_test_done();
}


static void
test_vector(cJSON *v)
{
    int                      rc, sign_action;
    char                     name[256], buf[512];
    char                     k_date_hex[65], k_signing_hex[65];
    u_char                   payload_hash[NGX_VOD_TC3_HEX_LEN];
    u_char                   canonical_hash[NGX_VOD_TC3_HEX_LEN];
    u_char                   signature[NGX_VOD_TC3_HEX_LEN];
    u_char                   date[NGX_VOD_TC3_DATE_LEN];
    u_char                   k_date[NGX_VOD_TC3_KEY_LEN];
    u_char                   k_signing[NGX_VOD_TC3_KEY_LEN];
    u_char                   canonical[1024];
    u_char                   sts[NGX_VOD_TC3_STRING_TO_SIGN_MAX];
    u_char                   auth[NGX_VOD_TC3_AUTHORIZATION_MAX];
    size_t                   len;
    time_t                   ts;
    const char              *vname, *e;
    ngx_vod_str_t            host, ct, action, service, secret_key;
    ngx_vod_tc3_sign_t       s;
    ngx_vod_tc3_key_cache_t  cache;

    vname = ngx_vod_test_json_get(v, "name");
    ts = (time_t) cJSON_GetObjectItem(v, "timestamp")->valuedouble;
    host = ngx_vod_test_str(ngx_vod_test_json_get(v, "host"));
    ct = ngx_vod_test_str(ngx_vod_test_json_get(v, "content_type"));
    action = ngx_vod_test_str(ngx_vod_test_json_get(v, "action"));
    secret_key = ngx_vod_test_str(ngx_vod_test_json_get(v, "secret_key"));

    sign_action = strcmp(ngx_vod_test_json_get(v, "signed_headers"),
                         NGX_VOD_TC3_SIGNED_HEADERS_ACTION) == 0;

    ngx_vod_test_diag("%s", vname);

    /* payload hash */

    e = ngx_vod_test_json_get(v, "payload");
    rc = ngx_vod_tc3_payload_hash((u_char *) e, strlen(e), payload_hash);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "%s: payload hash rc", vname);

    e = ngx_vod_test_json_get(v, "payload_sha256");
    if (e) {
        snprintf(name, sizeof(name), "%s: payload hash", vname);
        ngx_vod_test_is(payload_hash, sizeof(payload_hash), e, name);
    }

    /* canonical request, its text and its hash */

    rc = ngx_vod_tc3_canonical_hash(&host, &ct, sign_action ? &action : NULL,
                                    payload_hash, canonical_hash);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "%s: canonical hash rc", vname);

    snprintf(name, sizeof(name), "%s: canonical request hash", vname);
    ngx_vod_test_is(canonical_hash, sizeof(canonical_hash),
                    ngx_vod_test_json_get(v, "canonical_request_sha256"), name);

    rc = ngx_vod_tc3_canonical_request(canonical, sizeof(canonical), &len,
                                       &host, &ct,
                                       sign_action ? &action : NULL,
                                       payload_hash);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "%s: canonical request rc", vname);

    snprintf(buf, sizeof(buf),
             "POST\n/\n\ncontent-type:%s\nhost:%s\n%s%s%s\n%s\n%.64s",
             ngx_vod_test_json_get(v, "content_type"),
             ngx_vod_test_json_get(v, "host"),
             sign_action ? "x-tc-action:" : "",
             sign_action ? "describeinstances" : "",
             sign_action ? "\n" : "",
             ngx_vod_test_json_get(v, "signed_headers"), (char *) payload_hash);

    if (sign_action) {
        ngx_vod_test_ok(strcmp(ngx_vod_test_json_get(v, "action"),
                               "DescribeInstances") == 0,
                        "%s: the action is the one lower-cased above",
                        vname);
    }

    snprintf(name, sizeof(name), "%s: canonical request text", vname);
    ngx_vod_test_is(canonical, len, buf, name);

    sha256_hex(buf, canonical, len);
    snprintf(name, sizeof(name), "%s: SHA-256 of the canonical text", vname);
    ngx_vod_test_is(buf, strlen(buf),
                    ngx_vod_test_json_get(v, "canonical_request_sha256"), name);

    /* date, service, signing key */

    rc = ngx_vod_tc3_date(ts, date);
    snprintf(name, sizeof(name), "%s: UTC date", vname);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "%s: date rc", vname);
    ngx_vod_test_is(date, sizeof(date), ngx_vod_test_json_get(v, "date"), name);

    rc = ngx_vod_tc3_service(&host, &service);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "%s: service rc", vname);
    snprintf(name, sizeof(name), "%s: service", vname);
    ngx_vod_test_is(service.data, service.len,
                    ngx_vod_test_json_get(v, "service"), name);

    rc = ngx_vod_tc3_signing_key(&secret_key, date, &service, k_date,
                                 k_signing);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "%s: signing key rc", vname);

    hex(k_date_hex, k_date, sizeof(k_date));
    hex(k_signing_hex, k_signing, sizeof(k_signing));

    e = ngx_vod_test_json_get(v, "k_date_hex");
    if (e) {
        snprintf(name, sizeof(name), "%s: k_date", vname);
        ngx_vod_test_is(k_date_hex, 64, e, name);
    }

    e = ngx_vod_test_json_get(v, "k_signing_hex");
    if (e) {
        snprintf(name, sizeof(name), "%s: k_signing", vname);
        ngx_vod_test_is(k_signing_hex, 64, e, name);
    }

    /* string to sign, signature */

    len = ngx_vod_tc3_string_to_sign(sts, ts, date, &service,
                                     canonical_hash);

    snprintf(buf, sizeof(buf),
             "TC3-HMAC-SHA256\n%lld\n%s/%s/tc3_request\n%s",
             (long long) ts,
             ngx_vod_test_json_get(v, "date"),
             ngx_vod_test_json_get(v, "service"),
             ngx_vod_test_json_get(v, "canonical_request_sha256"));
    snprintf(name, sizeof(name), "%s: string to sign", vname);
    ngx_vod_test_is(sts, len, buf, name);

    rc = ngx_vod_tc3_signature(k_signing, sts, len, signature);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "%s: signature rc", vname);
    snprintf(name, sizeof(name), "%s: signature", vname);
    ngx_vod_test_is(signature, sizeof(signature),
                    ngx_vod_test_json_get(v, "signature"), name);

    /* the one call, with a cache and without */

    snprintf(buf, sizeof(buf),
             "TC3-HMAC-SHA256 Credential=%s/%s/%s/tc3_request, "
             "SignedHeaders=%s, Signature=%s",
             ngx_vod_test_json_get(v, "secret_id"),
             ngx_vod_test_json_get(v, "date"),
             ngx_vod_test_json_get(v, "service"),
             ngx_vod_test_json_get(v, "signed_headers"),
             ngx_vod_test_json_get(v, "signature"));

    e = ngx_vod_test_json_get(v, "authorization");
    if (e) {
        ngx_vod_test_ok(strcmp(e, buf) == 0,
                        "%s: vector Authorization has the documented form",
                        vname);
    }

    ngx_vod_tc3_key_cache_init(&cache);

    memset(&s, 0, sizeof(ngx_vod_tc3_sign_t));
    s.secret_id = ngx_vod_test_str(ngx_vod_test_json_get(v, "secret_id"));
    s.secret_key = secret_key;
    s.host = host;
    s.action = action;
    s.content_type = ct;
    s.payload = ngx_vod_test_str(ngx_vod_test_json_get(v, "payload"));
    s.timestamp = ts;
    s.sign_action = sign_action;

    rc = ngx_vod_tc3_sign(&s, &cache, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "%s: sign rc (%s)", vname,
                    s.error ? s.error : "no error");

    snprintf(name, sizeof(name), "%s: Authorization", vname);
    ngx_vod_test_is(auth, len, buf, name);

    ngx_vod_test_ok(len == ngx_vod_tc3_authorization_size(&s),
                    "%s: authorization size is exact", vname);

    snprintf(name, sizeof(name), "%s: sign: signature", vname);
    ngx_vod_test_is(s.signature, sizeof(s.signature),
                    ngx_vod_test_json_get(v, "signature"), name);

    snprintf(name, sizeof(name), "%s: sign: canonical hash", vname);
    ngx_vod_test_is(s.canonical_hash, sizeof(s.canonical_hash),
                    ngx_vod_test_json_get(v, "canonical_request_sha256"), name);

    snprintf(name, sizeof(name), "%s: sign: payload hash", vname);
    memcpy(buf, payload_hash, 64);
    buf[64] = '\0';
    ngx_vod_test_is(s.payload_hash, sizeof(s.payload_hash), buf, name);

    snprintf(name, sizeof(name), "%s: sign: date", vname);
    ngx_vod_test_is(s.date, sizeof(s.date), ngx_vod_test_json_get(v, "date"),
                    name);

    snprintf(name, sizeof(name), "%s: cached key is k_signing", vname);
    hex(buf, cache.key, sizeof(cache.key));
    ngx_vod_test_is(buf, 64, k_signing_hex, name);

    s.service.len = 0;
    rc = ngx_vod_tc3_sign(&s, NULL, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_OK
                    && memcmp(s.signature,
                              ngx_vod_test_json_get(v, "signature"), 64) == 0,
                    "%s: same signature without a cache", vname);

    ngx_vod_tc3_key_cache_wipe(&cache);
}


static void
test_timestamp(void)
{
    size_t  n;
    u_char  buf[NGX_VOD_TC3_TIMESTAMP_MAX];

    n = ngx_vod_tc3_timestamp(buf, DOC_TIMESTAMP);
    ngx_vod_test_is(buf, n, "1551113065", "X-TC-Timestamp");

    n = ngx_vod_tc3_timestamp(buf, 0);
    ngx_vod_test_is(buf, n, "0", "X-TC-Timestamp of 0");

    n = ngx_vod_tc3_timestamp(buf, -1);
    ngx_vod_test_is(buf, n, "-1", "X-TC-Timestamp of -1");

    if (sizeof(time_t) == 8) {
        n = ngx_vod_tc3_timestamp(buf, (time_t) LLONG_MIN);
        ngx_vod_test_is(buf, n, "-9223372036854775808",
                        "X-TC-Timestamp of the smallest time_t fits");

        n = ngx_vod_tc3_timestamp(buf, (time_t) LLONG_MAX);
        ngx_vod_test_is(buf, n, "9223372036854775807",
                        "X-TC-Timestamp of the largest time_t");
    }
}


static void
test_date_and_service(void)
{
    int            rc;
    u_char         date[NGX_VOD_TC3_DATE_LEN];
    ngx_vod_str_t  host, service;

    rc = ngx_vod_tc3_date(0, date);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "date of 0: rc");
    ngx_vod_test_is(date, sizeof(date), "1970-01-01", "date of 0");

    rc = ngx_vod_tc3_date(951868799, date);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "date of a leap day: rc");
    ngx_vod_test_is(date, sizeof(date), "2000-02-29", "date of a leap day");

    ngx_vod_tc3_date(MIDNIGHT_BEFORE, date);
    ngx_vod_test_is(date, sizeof(date), "2019-02-25", "date before midnight");

    ngx_vod_tc3_date(MIDNIGHT_AFTER, date);
    ngx_vod_test_is(date, sizeof(date), "2019-02-26", "date after midnight");

    if (sizeof(time_t) == 8) {
        rc = ngx_vod_tc3_date((time_t) 253402300800LL, date);
        ngx_vod_test_ok(rc == NGX_VOD_ERROR, "year 10000 is refused");
    }

    host = ngx_vod_test_str("vod.tencentcloudapi.com");
    rc = ngx_vod_tc3_service(&host, &service);
    ngx_vod_test_ok(rc == NGX_VOD_OK && service.data == host.data,
                    "service points into the host");
    ngx_vod_test_is(service.data, service.len, "vod", "service of vod host");

    host = ngx_vod_test_str("localhost:8080");
    rc = ngx_vod_tc3_service(&host, &service);
    ngx_vod_test_is(service.data, rc == NGX_VOD_OK ? service.len : 0,
                    "localhost", "service of host:port without a dot");

    host = ngx_vod_test_str("vod.tencentcloudapi.com:443");
    rc = ngx_vod_tc3_service(&host, &service);
    ngx_vod_test_is(service.data, rc == NGX_VOD_OK ? service.len : 0,
                    "vod", "service of host:port");

    host = ngx_vod_test_str(".tencentcloudapi.com");
    ngx_vod_test_ok(ngx_vod_tc3_service(&host, &service) == NGX_VOD_ERROR,
                    "empty first label is refused");

    host = ngx_vod_test_str("");
    ngx_vod_test_ok(ngx_vod_tc3_service(&host, &service) == NGX_VOD_ERROR,
                    "empty host is refused");

    host = ngx_vod_test_str("a123456789a123456789a123456789a123456789a123456789"
                            "a123456789abcd.example.com");
    ngx_vod_test_ok(ngx_vod_tc3_service(&host, &service) == NGX_VOD_ERROR,
                    "a first label of 64 bytes is refused");
}


static void
test_cache(void)
{
    int                      rc;
    u_char                   date[NGX_VOD_TC3_DATE_LEN];
    u_char                   key[NGX_VOD_TC3_KEY_LEN];
    u_char                   auth[NGX_VOD_TC3_AUTHORIZATION_MAX];
    u_char                   sig[NGX_VOD_TC3_HEX_LEN];
    size_t                   len;
    const u_char            *k;
    ngx_vod_str_t            service;
    ngx_vod_tc3_sign_t       s;
    ngx_vod_tc3_key_cache_t  cache;

    ngx_vod_tc3_key_cache_init(&cache);

    doc_request(&s);
    s.timestamp = MIDNIGHT_BEFORE - 3600;

    rc = ngx_vod_tc3_sign(&s, &cache, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_OK && cache.derivations == 1,
                    "cache: first request derives the key");

    s.timestamp = MIDNIGHT_BEFORE;
    rc = ngx_vod_tc3_sign(&s, &cache, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_OK && cache.derivations == 1,
                    "cache: 23:59:59 the same UTC day reuses it");

    ngx_vod_test_is(cache.date, sizeof(cache.date), "2019-02-25",
                    "cache: holds the 2019-02-25 key");

    memcpy(sig, s.signature, sizeof(sig));

    s.service.len = 0;
    rc = ngx_vod_tc3_sign(&s, NULL, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_OK && memcmp(sig, s.signature, 64) == 0,
                    "cache: cached and fresh signatures agree, 23:59:59");

    s.timestamp = MIDNIGHT_AFTER;
    s.service.len = 0;
    rc = ngx_vod_tc3_sign(&s, &cache, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_OK && cache.derivations == 2,
                    "cache: 00:00:00 next UTC day derives again");

    ngx_vod_test_is(cache.date, sizeof(cache.date), "2019-02-26",
                    "cache: holds the 2019-02-26 key");

    ngx_vod_test_ok(memcmp(auth + len - 64, s.signature, 64) == 0
                    && memmem(auth, len, "/2019-02-26/cvm/tc3_request", 27)
                       != NULL,
                    "cache: the credential scope has the new date");

    memcpy(sig, s.signature, sizeof(sig));

    s.service.len = 0;
    rc = ngx_vod_tc3_sign(&s, NULL, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_OK && memcmp(sig, s.signature, 64) == 0,
                    "cache: cached and fresh signatures agree, 00:00:00");

    ngx_vod_tc3_date(MIDNIGHT_AFTER, date);
    service = ngx_vod_test_str("cvm");
    ngx_vod_tc3_signing_key(&s.secret_key, date, &service, NULL, key);
    ngx_vod_test_ok(memcmp(key, cache.key, sizeof(key)) == 0,
                    "cache: the new key is the new day's k_signing");

    s.timestamp = MIDNIGHT_AFTER + 86399;
    s.service.len = 0;
    ngx_vod_tc3_sign(&s, &cache, auth, sizeof(auth), &len);
    ngx_vod_test_ok(cache.derivations == 2,
                    "cache: 23:59:59 of that day reuses it");

    service = ngx_vod_test_str("vod");
    k = ngx_vod_tc3_key_cache_get(&cache, &s.secret_key, date, &service);
    ngx_vod_test_ok(k != NULL && cache.derivations == 3,
                    "cache: another service derives again");

    k = ngx_vod_tc3_key_cache_get(&cache, &s.secret_key, date, &service);
    ngx_vod_test_ok(k != NULL && cache.derivations == 3,
                    "cache: and then reuses it");

    ngx_vod_tc3_key_cache_wipe(&cache);
    memset(key, 0, sizeof(key));
    ngx_vod_test_ok(!cache.valid && memcmp(cache.key, key, sizeof(key)) == 0,
                    "cache: wipe clears the key");

    k = ngx_vod_tc3_key_cache_get(&cache, &s.secret_key, date, &service);
    ngx_vod_test_ok(k != NULL && cache.derivations == 4,
                    "cache: after a wipe the key is derived again");

    ngx_vod_tc3_key_cache_wipe(&cache);
}


/* 1551113065 is 2019-02-26 00:44:25 in Shanghai, 2019-02-25 in UTC */

static void
test_time_zone(void)
{
    int                 rc, i;
    u_char              date[NGX_VOD_TC3_DATE_LEN];
    u_char              auth[NGX_VOD_TC3_AUTHORIZATION_MAX];
    size_t              len;
    time_t              ts;
    struct tm           tm;
    ngx_vod_tc3_sign_t  s;
    static const char  *zones[] = { "Asia/Shanghai", "CST-8" };

    for (i = 0; i < 2; i++) {
        setenv("TZ", zones[i], 1);
        tzset();

        ts = DOC_TIMESTAMP;
        localtime_r(&ts, &tm);

        ngx_vod_test_ok(tm.tm_mday == 26 && tm.tm_hour == 0,
                        "TZ=%s: local time is already 2019-02-26 00:44",
                        zones[i]);

        rc = ngx_vod_tc3_date(DOC_TIMESTAMP, date);
        ngx_vod_test_ok(rc == NGX_VOD_OK
                        && memcmp(date, "2019-02-25", 10) == 0,
                        "TZ=%s: the date is still the UTC 2019-02-25",
                        zones[i]);

        doc_request(&s);
        rc = ngx_vod_tc3_sign(&s, NULL, auth, sizeof(auth), &len);
        ngx_vod_test_ok(rc == NGX_VOD_OK
                        && memcmp(s.signature,
                                  "72e494ea809ad7a8c8f7a4507b9bddcb"
                                  "aa8e581f516e8da2f66e2c5a96525168", 64)
                           == 0,
                        "TZ=%s: the doc signature is unchanged", zones[i]);
    }

    unsetenv("TZ");
    tzset();
}


static void
test_errors(void)
{
    int                 rc;
    u_char              auth[NGX_VOD_TC3_AUTHORIZATION_MAX];
    u_char              canonical[64];
    u_char              long_key[NGX_VOD_TC3_SECRET_KEY_MAX + 1];
    size_t              len, need;
    ngx_vod_tc3_sign_t  s;
    ngx_vod_str_t       host, ct;

    doc_request(&s);
    need = ngx_vod_tc3_authorization_size(&s);

    ngx_vod_test_ok(need <= NGX_VOD_TC3_AUTHORIZATION_MAX,
                    "NGX_VOD_TC3_AUTHORIZATION_MAX is enough");

    len = 12345;
    rc = ngx_vod_tc3_sign(&s, NULL, auth, need - 1, &len);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR && s.error != NULL && len == 12345,
                    "output buffer one byte short: error (%s)",
                    s.error ? s.error : "none");

    rc = ngx_vod_tc3_sign(&s, NULL, auth, need, &len);
    ngx_vod_test_ok(rc == NGX_VOD_OK && len == need && s.error == NULL,
                    "output buffer of the exact size: ok");

    rc = ngx_vod_tc3_sign(&s, NULL, auth, 0, &len);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "output buffer of 0 bytes: error");

    doc_request(&s);
    s.sign_action = 1;
    s.action.len = 0;
    rc = ngx_vod_tc3_sign(&s, NULL, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR && s.error != NULL,
                    "x-tc-action signed without an action: error (%s)",
                    s.error ? s.error : "none");

    doc_request(&s);
    s.secret_key.len = 0;
    rc = ngx_vod_tc3_sign(&s, NULL, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR && s.error != NULL,
                    "empty SecretKey: error (%s)", s.error ? s.error : "none");

    doc_request(&s);
    memset(long_key, 'k', sizeof(long_key));
    s.secret_key.data = long_key;
    s.secret_key.len = sizeof(long_key);
    rc = ngx_vod_tc3_sign(&s, NULL, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR && s.error != NULL,
                    "SecretKey too long: error (%s)",
                    s.error ? s.error : "none");

    s.secret_key.len = NGX_VOD_TC3_SECRET_KEY_MAX;
    rc = ngx_vod_tc3_sign(&s, NULL, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_OK,
                    "SecretKey of NGX_VOD_TC3_SECRET_KEY_MAX bytes: ok");

    doc_request(&s);
    s.secret_id.len = 0;
    rc = ngx_vod_tc3_sign(&s, NULL, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR && s.error != NULL,
                    "empty SecretId: error (%s)", s.error ? s.error : "none");

    doc_request(&s);
    s.content_type = ngx_vod_test_str("application/json\r\nX-Evil: 1");
    rc = ngx_vod_tc3_sign(&s, NULL, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR && s.error != NULL,
                    "CR LF in the content type: error (%s)",
                    s.error ? s.error : "none");

    doc_request(&s);
    s.host = ngx_vod_test_str(".example.com");
    rc = ngx_vod_tc3_sign(&s, NULL, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR && s.error != NULL,
                    "host without a first label: error (%s)",
                    s.error ? s.error : "none");

    doc_request(&s);
    s.host = ngx_vod_test_str("127.0.0.1:8080");
    s.service = ngx_vod_test_str("cvm");
    rc = ngx_vod_tc3_sign(&s, NULL, auth, sizeof(auth), &len);
    ngx_vod_test_ok(rc == NGX_VOD_OK
                    && memmem(auth, len, "/2019-02-25/cvm/tc3_request", 27)
                       != NULL,
                    "an explicit service overrides the host's first label");

    doc_request(&s);
    s.payload = ngx_vod_test_str("");
    rc = ngx_vod_tc3_sign(&s, NULL, auth, sizeof(auth), &len);
    ngx_vod_test_is(s.payload_hash, rc == NGX_VOD_OK ? 64 : 0,
                    "e3b0c44298fc1c149afbf4c8996fb924"
                    "27ae41e4649b934ca495991b7852b855",
                    "empty payload: hash of nothing");

    host = ngx_vod_test_str("cvm.tencentcloudapi.com");
    ct = ngx_vod_test_str("application/json; charset=utf-8");
    rc = ngx_vod_tc3_canonical_request(canonical, sizeof(canonical), &len,
                                       &host, &ct, NULL, s.payload_hash);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR && len == 165,
                    "canonical request buffer too small: error, size "
                    "needed %zu", len);
}


static void
doc_request(ngx_vod_tc3_sign_t *s)
{
    memset(s, 0, sizeof(ngx_vod_tc3_sign_t));

    s->secret_id = ngx_vod_test_str("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE");
    s->secret_key = ngx_vod_test_str("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE");
    s->host = ngx_vod_test_str("cvm.tencentcloudapi.com");
    s->action = ngx_vod_test_str("DescribeInstances");
    s->content_type = ngx_vod_test_str("application/json; charset=utf-8");
    s->payload = ngx_vod_test_str("{\"Limit\": 1, \"Filters\": [{\"Values\": "
                                  "[\"\\u672a\\u547d\\u540d\"], "
                                  "\"Name\": \"instance-name\"}]}");
    s->timestamp = DOC_TIMESTAMP;
}


static void
hex(char *dst, const u_char *src, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        sprintf(dst + 2 * i, "%02x", src[i]);
    }
}


static void
sha256_hex(char *dst, const u_char *p, size_t len)
{
    unsigned int  n;
    u_char        md[EVP_MAX_MD_SIZE];

    EVP_Digest(p, len, md, &n, EVP_sha256(), NULL);

    hex(dst, md, n);
}
