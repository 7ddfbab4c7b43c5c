
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * Unit test of ngx_vod_params.c: the checks made before anything is sent.
 */


#include "ngx_vod_params.h"
#include "ngx_vod_test.h"


#define S(s)  (const u_char *) s, sizeof(s) - 1


static void
test_media_types(void)
{
    ngx_vod_test_ok(ngx_vod_media_type_valid(S("mp4")), "mp4 is a media type");
    ngx_vod_test_ok(ngx_vod_media_type_valid(S("MP4")), "MP4 too (any case)");
    ngx_vod_test_ok(ngx_vod_media_type_valid(S("m3u8")), "m3u8");
    ngx_vod_test_ok(ngx_vod_media_type_valid(S("flac")), "flac (audio)");
    ngx_vod_test_ok(!ngx_vod_media_type_valid(S("exe")), "exe is not");
    ngx_vod_test_ok(!ngx_vod_media_type_valid(S("")), "empty is not");
    ngx_vod_test_ok(!ngx_vod_media_type_valid(S("mp")), "prefix mp is not");
    ngx_vod_test_ok(!ngx_vod_media_type_valid(S("mp44")), "mp44 is not");
    ngx_vod_test_ok(!ngx_vod_media_type_valid(S("mp4\0")), "mp4 NUL is not");
    ngx_vod_test_ok(!ngx_vod_media_type_valid(S("averyveryverylongtype")),
                    "an over-long type is not");
}


static void
test_iso8601(void)
{
    size_t       i;

    static const char  *good[] = {
        "2030-01-01T00:00:00Z", "2024-02-29T23:59:59Z",
        "2030-01-01T08:00:00+08:00", "2030-01-01T00:00:00.123Z",
        "2030-12-31T23:59:60-05:30", NULL
    };

    static const char  *bad[] = {
        "", "2030-01-01", "2030-01-01T00:00:00", "2030-01-01 00:00:00Z",
        "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2030-13-01T00:00:00Z",
        "2030-00-10T00:00:00Z", "2030-04-31T00:00:00Z", "2030-01-01T24:00:00Z",
        "2030-01-01T00:60:00Z", "2030-01-01T00:00:00ZZ",
        "2030-01-01T00:00:00.Z", "2030-01-01T00:00:00+0800",
        "2030-01-01T00:00:00+24:00", "2030-1-01T00:00:00Z",
        "2030-01-01T00:00:00z", "+030-01-01T00:00:00Z", NULL
    };

    for (i = 0; good[i]; i++) {
        ngx_vod_test_ok(ngx_vod_iso8601_valid((const u_char *) good[i],
                                              strlen(good[i])),
                        "ISO 8601 accepts \"%s\"", good[i]);
    }

    for (i = 0; bad[i]; i++) {
        ngx_vod_test_ok(!ngx_vod_iso8601_valid((const u_char *) bad[i],
                                               strlen(bad[i])),
                        "ISO 8601 rejects \"%s\"", bad[i]);
    }

    /* an unset variable's value: no bytes, no pointer (found by fuzzing) */
    ngx_vod_test_ok(!ngx_vod_iso8601_valid(NULL, 0),
                    "ISO 8601 rejects no bytes at NULL");
    ngx_vod_test_ok(!ngx_vod_class_id_valid(NULL, 0),
                    "a class id of no bytes at NULL: refused (found by "
                    "fuzzing)");
}


static void
test_names(void)
{
    size_t         n;
    u_char         host[NGX_VOD_COS_HOST_MAX];
    ngx_vod_str_t  bucket = ngx_vod_string("xadagzp111211-100922");
    ngx_vod_str_t  region = ngx_vod_string("ap-guangzhou-2");
    ngx_vod_str_t  evil = ngx_vod_string("evil.example.com:80/x#");
    ngx_vod_str_t  longest;

    ngx_vod_test_ok(ngx_vod_region_valid(S("ap-guangzhou")), "region");
    ngx_vod_test_ok(!ngx_vod_region_valid(S("ap_guangzhou")), "no _");
    ngx_vod_test_ok(!ngx_vod_region_valid(S("AP-guangzhou")), "no upper");
    ngx_vod_test_ok(!ngx_vod_region_valid(S("-ap")), "no leading -");
    ngx_vod_test_ok(!ngx_vod_region_valid(S("ap.x")), "no dot");
    ngx_vod_test_ok(!ngx_vod_bucket_valid(S("")), "no empty bucket");
    ngx_vod_test_ok(!ngx_vod_bucket_valid(S("a b")), "no space");
    ngx_vod_test_ok(!ngx_vod_bucket_valid(S("a@b")), "no userinfo");

    n = ngx_vod_cos_host(host, &bucket, &region);
    ngx_vod_test_is(host, n,
                    "xadagzp111211-100922.cos.ap-guangzhou-2.myqcloud.com",
                    "COS host of the spec's ApplyUpload example");

    ngx_vod_test_ok(ngx_vod_cos_host(host, &evil, &region) == 0,
                    "a bucket that would redirect the host is refused");
    ngx_vod_test_ok(ngx_vod_cos_host(host, &bucket, &evil) == 0,
                    "a region that would redirect the host is refused");

    longest.data = (u_char *)
                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    longest.len = NGX_VOD_BUCKET_MAX;
    region.len = NGX_VOD_REGION_MAX;
    region.data = longest.data;
    n = ngx_vod_cos_host(host, &longest, &region);
    ngx_vod_test_ok(n == NGX_VOD_COS_HOST_MAX, "longest names fit the buffer");

    longest.len++;
    ngx_vod_test_ok(ngx_vod_cos_host(host, &longest, &region) == 0,
                    "a bucket over %d characters is refused",
                    NGX_VOD_BUCKET_MAX);
}


static void
test_int64(void)
{
    int64_t  v;

    ngx_vod_test_ok(ngx_vod_int64_parse(S("0"), &v) && v == 0, "0");
    ngx_vod_test_ok(ngx_vod_int64_parse(S("1500000000"), &v)
                    && v == 1500000000, "1500000000");
    ngx_vod_test_ok(ngx_vod_int64_parse(S("9223372036854775807"), &v)
                    && v == INT64_MAX, "INT64_MAX");
    ngx_vod_test_ok(ngx_vod_int64_parse(S("-9223372036854775808"), &v)
                    && v == INT64_MIN, "INT64_MIN");
    ngx_vod_test_ok(!ngx_vod_int64_parse(S("9223372036854775808"), &v),
                    "INT64_MAX + 1 overflows");
    ngx_vod_test_ok(!ngx_vod_int64_parse(S("-9223372036854775809"), &v),
                    "INT64_MIN - 1 overflows");
    ngx_vod_test_ok(!ngx_vod_int64_parse(S(""), &v), "empty");
    ngx_vod_test_ok(!ngx_vod_int64_parse(S("-"), &v), "lone minus");
    ngx_vod_test_ok(!ngx_vod_int64_parse(S("12a"), &v), "trailing letter");
    ngx_vod_test_ok(!ngx_vod_int64_parse(S(" 1"), &v), "leading space");
    ngx_vod_test_ok(!ngx_vod_int64_parse(S("1.5"), &v), "a fraction");
}


static void
test_cover_types(void)
{
    ngx_vod_test_ok(ngx_vod_cover_type_valid(S("jpg")), "jpg is a cover type");
    ngx_vod_test_ok(ngx_vod_cover_type_valid(S("webp")), "webp too");
    ngx_vod_test_ok(!ngx_vod_cover_type_valid(S("JPG")),
                    "JPG is not (lower case only)");
    ngx_vod_test_ok(!ngx_vod_cover_type_valid(S("svg")), "svg is not");
    ngx_vod_test_ok(!ngx_vod_cover_type_valid(S("jp")), "a prefix is not");
    ngx_vod_test_ok(!ngx_vod_cover_type_valid(S("")), "empty is not");
}


/* the one table: each parameter's length limit and check */

static void
test_table(void)
{
    size_t                  i;
    const ngx_vod_param_t  *p;
    u_char                  big[1100];

    memset(big, 'a', sizeof(big));

    for (i = 0; i < NGX_VOD_PARAM_N; i++) {
        p = &ngx_vod_params[i];

        ngx_vod_test_ok(p->what && p->expected && p->too_long && p->invalid
                        && p->max_len > 0 && p->max_len < sizeof(big),
                        "parameter %zu (%s): every field set", i, p->what);

        ngx_vod_test_ok(ngx_vod_param_check(p, big, p->max_len + 1)
                        == NGX_VOD_PARAM_TOO_LONG,
                        "%s: one character over %zu is too long", p->what,
                        p->max_len);
    }

    p = ngx_vod_params;

    ngx_vod_test_ok(ngx_vod_param_check(&p[NGX_VOD_PARAM_CLASS_ID], S("7"))
                    == NGX_VOD_OK, "class id 7");
    ngx_vod_test_ok(ngx_vod_param_check(&p[NGX_VOD_PARAM_CLASS_ID], S("-1"))
                    == NGX_VOD_PARAM_INVALID, "class id -1 is not");
    ngx_vod_test_ok(ngx_vod_param_check(&p[NGX_VOD_PARAM_CLASS_ID], S("+1"))
                    == NGX_VOD_PARAM_INVALID, "class id +1 is not");
    ngx_vod_test_ok(ngx_vod_param_check(&p[NGX_VOD_PARAM_CLASS_ID],
                                        S("9223372036854775808"))
                    == NGX_VOD_PARAM_INVALID, "class id over int64 is not");
    ngx_vod_test_ok(ngx_vod_param_check(&p[NGX_VOD_PARAM_PROCEDURE],
                                        S("flow \xe6\xb5\x81"))
                    == NGX_VOD_OK, "a task-flow name with a space, UTF-8");
    ngx_vod_test_ok(ngx_vod_param_check(&p[NGX_VOD_PARAM_PROCEDURE],
                                        S("flow\n"))
                    == NGX_VOD_PARAM_INVALID,
                    "a task-flow name with a control character is not");
    ngx_vod_test_ok(ngx_vod_param_check(&p[NGX_VOD_PARAM_STORAGE_REGION],
                                        S("ap-chongqing"))
                    == NGX_VOD_OK, "a region");
    ngx_vod_test_ok(ngx_vod_param_check(&p[NGX_VOD_PARAM_STORAGE_REGION],
                                        S("evil.example.com"))
                    == NGX_VOD_PARAM_INVALID, "a host name is not a region");
    ngx_vod_test_ok(ngx_vod_param_check(&p[NGX_VOD_PARAM_MEDIA_TYPE],
                                        S("MP4"))
                    == NGX_VOD_OK, "a media type");
    ngx_vod_test_ok(ngx_vod_param_check(&p[NGX_VOD_PARAM_EXPIRE_TIME],
                                        S("tomorrow"))
                    == NGX_VOD_PARAM_INVALID, "not an ISO 8601 time");
    ngx_vod_test_ok(ngx_vod_param_check(&p[NGX_VOD_PARAM_SOURCE_CONTEXT],
                                        big, 250)
                    == NGX_VOD_OK, "a source context of 250 characters");
    ngx_vod_test_ok(strcmp(p[NGX_VOD_PARAM_SOURCE_CONTEXT].too_long,
                           "SourceContextTooLong") == 0,
                    "... SourceContextTooLong past that");
}


int
main(void)
{
    test_media_types();
    test_iso8601();
    test_names();
    test_int64();
    test_table();
    test_cover_types();

    return ngx_vod_test_done();
}
