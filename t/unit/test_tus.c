
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * Unit test of ngx_vod_tus.c: the tus 1.0.0 headers as tus-js-client and
 * others send them (Upload-Metadata of "filename" and "filetype", ...),
 * and what is refused.
 */


#include "ngx_vod_tus.h"
#include "ngx_vod_test.h"

#include <stdlib.h>


#define S(s)  (const u_char *) s, sizeof(s) - 1


static ngx_vod_test_pool_t  pool = { NULL, 0, -1 };
static ngx_vod_alloc_t      a = { ngx_vod_test_alloc, &pool };


static void
test_version_and_numbers(void)
{
    int64_t  n;

    ngx_vod_test_ok(ngx_vod_tus_version(S("1.0.0")), "Tus-Resumable 1.0.0");
    ngx_vod_test_ok(!ngx_vod_tus_version(S("0.2.2")), "0.2.2 is not ours");
    ngx_vod_test_ok(!ngx_vod_tus_version(S("1.0.0 ")), "nor 1.0.0 and a space");
    ngx_vod_test_ok(!ngx_vod_tus_version(S("")), "nor nothing");

    ngx_vod_test_ok(ngx_vod_tus_number(S("0"), &n) == NGX_VOD_OK && n == 0,
                    "0");
    ngx_vod_test_ok(ngx_vod_tus_number(S("10485760"), &n) == NGX_VOD_OK
                    && n == 10485760, "10485760");
    ngx_vod_test_ok(ngx_vod_tus_number(S("9223372036854775807"), &n)
                    == NGX_VOD_OK && n == INT64_MAX, "2^63 - 1");
    ngx_vod_test_ok(ngx_vod_tus_number(S("9223372036854775808"), &n)
                    == NGX_VOD_ERROR, "2^63 is not");
    ngx_vod_test_ok(ngx_vod_tus_number(S("99999999999999999999"), &n)
                    == NGX_VOD_ERROR, "20 digits are not");
    ngx_vod_test_ok(ngx_vod_tus_number(S("-1"), &n) == NGX_VOD_ERROR,
                    "a negative length is not");
    ngx_vod_test_ok(ngx_vod_tus_number(S("+1"), &n) == NGX_VOD_ERROR,
                    "a sign is not");
    ngx_vod_test_ok(ngx_vod_tus_number(S(" 1"), &n) == NGX_VOD_ERROR,
                    "white space is not");
    ngx_vod_test_ok(ngx_vod_tus_number(S("1e3"), &n) == NGX_VOD_ERROR,
                    "1e3 is not");
    ngx_vod_test_ok(ngx_vod_tus_number(S(""), &n) == NGX_VOD_ERROR,
                    "empty is not");
}


static void
test_metadata(void)
{
    int                  rc;
    size_t               n;
    const char          *err;
    ngx_vod_tus_meta_t  *m;

    /* tus-js-client: {filename: "holiday.mp4", filetype: "video/mp4"} */

    rc = ngx_vod_tus_metadata(&a,
        S("filename aG9saWRheS5tcDQ=,filetype dmlkZW8vbXA0"), &m, &n, &err);
    ngx_vod_test_ok(rc == NGX_VOD_OK && n == 2, "two pairs");
    ngx_vod_test_is(m[0].key.data, m[0].key.len, "filename", "... filename");
    ngx_vod_test_is(m[0].value.data, m[0].value.len, "holiday.mp4",
                    "... decoded, with its padding");
    ngx_vod_test_is(m[1].value.data, m[1].value.len, "video/mp4",
                    "... filetype");

    rc = ngx_vod_tus_metadata(&a, S("is_confidential, name 5YGH5pyf "),
                              &m, &n, &err);
    ngx_vod_test_ok(rc == NGX_VOD_OK && n == 2 && m[0].value.len == 0
                    && m[0].key.len == sizeof("is_confidential") - 1,
                    "a key alone has an empty value; white space around "
                    "pairs");
    ngx_vod_test_is(m[1].value.data, m[1].value.len, "\xe5\x81\x87\xe6\x9c\x9f",
                    "... a UTF-8 value");

    rc = ngx_vod_tus_metadata(&a, S("a YQ==,b YWI=,c YWJj"), &m, &n, &err);
    ngx_vod_test_ok(rc == NGX_VOD_OK && n == 3
                    && m[0].value.len == 1 && m[1].value.len == 2
                    && m[2].value.len == 3, "padding of 2, 1 and none");
}


static void
test_metadata_refused(void)
{
    size_t               i, n;
    const char          *err;
    ngx_vod_tus_meta_t  *m;
    u_char               many[400], *p;

    static const struct {
        const char  *text;
        const char  *error;
    } bad[] = {
        { "", "Upload-Metadata has an empty pair" },
        { "a YQ==,", "Upload-Metadata has an empty pair" },
        { ",a YQ==", "Upload-Metadata has an empty pair" },
        { "a YQ==,,b YQ==", "Upload-Metadata has an empty pair" },
        { "a YQ==,a YQ==", "an Upload-Metadata key appears twice" },
        { "a YQ", "an Upload-Metadata value is not base64" },
        { "a YQ=", "an Upload-Metadata value is not base64" },
        { "a Y===", "an Upload-Metadata value is not base64" },
        { "a YR==", "an Upload-Metadata value is not base64" },
        { "a Y Q==", "an Upload-Metadata value is not base64" },
        { "a YQ==\x01", "an Upload-Metadata value is not base64" },
        { "a -_==", "an Upload-Metadata value is not base64" },
        { "a=b YQ==", NULL },
        { "k\xc3\xa9 YQ==", "an Upload-Metadata key is not printable ASCII" },
    };

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = NULL;

        if (bad[i].error == NULL) {
            ngx_vod_test_ok(ngx_vod_tus_metadata(&a, (u_char *) bad[i].text,
                                                 strlen(bad[i].text), &m, &n,
                                                 &err)
                            == NGX_VOD_OK, "accepted: \"%s\"", bad[i].text);
            continue;
        }

        ngx_vod_test_ok(ngx_vod_tus_metadata(&a, (u_char *) bad[i].text,
                                             strlen(bad[i].text), &m, &n,
                                             &err)
                        == NGX_VOD_ERROR && err
                        && strcmp(err, bad[i].error) == 0,
                        "refused: \"%s\" (%s)", bad[i].text,
                        err ? err : "accepted");
    }

    /* 65 pairs */

    p = many;

    for (i = 0; i < 65; i++) {
        p += sprintf((char *) p, "%sk%zu", i ? "," : "", i);
    }

    ngx_vod_test_ok(ngx_vod_tus_metadata(&a, many, p - many, &m, &n, &err)
                    == NGX_VOD_ERROR
                    && strcmp(err, "Upload-Metadata has too many pairs") == 0,
                    "65 pairs are too many");

    ngx_vod_test_ok(ngx_vod_tus_metadata(&a, many,
                                         (u_char *) strrchr((char *) many, ',')
                                         - many, &m, &n, &err)
                    == NGX_VOD_OK && n == 64, "64 are not");
}


#define V(s)  { sizeof(s) - 1, (u_char *) s }


static void
test_state(void)
{
    int                  rc;
    size_t               size;
    u_char              *buf, *end, save;
    const char          *err;
    ngx_vod_tus_state_t  st, got;

    static ngx_vod_tus_state_t  in = {
        1700000000, 1700003600, -1, 8388608, 1500000001,
        V("vodsessionkey-abc"),
        V("vodemuapguangzhou-1250000000.cos.ap-guangzhou.myqcloud.com"),
        V("/abc/clip.mp4"), V("1585130821cbb7df1d11846c"), V("AKIDtmp"),
        V("tmpsecret"), V(""), V("filename YS5tcDQ=,ref"), V("clip"),
        V("ref-1")
    };

    size = ngx_vod_tus_state_size(&in);
    buf = malloc(size);
    end = ngx_vod_tus_state_write(buf, &in);

    ngx_vod_test_ok((size_t) (end - buf) <= size, "a state is written in "
                    "its size (%zu of %zu bytes)", (size_t) (end - buf),
                    size);

    ngx_vod_test_ok(ngx_vod_tus_state_parse(buf, end - buf, &got, &err)
                    == NGX_VOD_OK
                    && got.created == in.created && got.expires == in.expires
                    && got.length == -1 && got.part_size == in.part_size
                    && got.sub_app_id == in.sub_app_id,
                    "... read back: numbers, a deferred length");
    ngx_vod_test_is(got.upload_id.data, got.upload_id.len,
                    "1585130821cbb7df1d11846c", "... strings");
    ngx_vod_test_ok(got.token.len == 0, "... an empty token");
    ngx_vod_test_is(got.metadata.data, got.metadata.len,
                    "filename YS5tcDQ=,ref", "... the metadata as sent");

    /* a part size of 0: the parts grow by their number */

    st = in;
    st.part_size = 0;
    end = ngx_vod_tus_state_write(buf, &st);
    ngx_vod_test_ok(ngx_vod_tus_state_parse(buf, end - buf, &got, &err)
                    == NGX_VOD_OK && got.part_size == 0,
                    "a part size of 0 (a deferred length's plan)");
    end = ngx_vod_tus_state_write(buf, &in);

    /* every byte cut off: refused or shorter, never read past the end */

    err = "accepted";
    rc = ngx_vod_tus_state_parse(buf, end - buf - 1, &got, &err);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "a byte short: refused (%s)", err);

    save = buf[0];
    buf[0] = 99;
    ngx_vod_test_ok(ngx_vod_tus_state_parse(buf, end - buf, &got, &err)
                    == NGX_VOD_ERROR && strcmp(err, "an unknown field") == 0,
                    "an unknown tag: refused");
    buf[0] = save;

    ngx_vod_test_ok(ngx_vod_tus_state_parse(buf, 0, &got, &err)
                    == NGX_VOD_ERROR
                    && strcmp(err, "a required field is missing") == 0,
                    "nothing: refused");

    st = in;
    st.key.data = (u_char *) "no-slash";
    st.key.len = 8;
    end = ngx_vod_tus_state_write(buf, &st);
    ngx_vod_test_ok(ngx_vod_tus_state_parse(buf, end - buf, &got, &err)
                    == NGX_VOD_ERROR
                    && strcmp(err, "a field out of its range") == 0,
                    "a key without \"/\": refused");

    free(buf);

    ngx_vod_test_ok(ngx_vod_tus_state_parse((u_char *) "\x06\x05" "ab", 4,
                                            &got, &err)
                    == NGX_VOD_ERROR
                    && strcmp(err, "a length past the end") == 0,
                    "a length past the end: refused");
    ngx_vod_test_ok(ngx_vod_tus_state_parse((u_char *) "\x01\x02" "ab", 4,
                                            &got, &err)
                    == NGX_VOD_ERROR
                    && strcmp(err, "a number that is not 8 bytes") == 0,
                    "a number of 2 bytes: refused");
    ngx_vod_test_ok(ngx_vod_tus_state_parse((u_char *) "\x06\x01" "a"
                                            "\x06\x01" "a", 6, &got, &err)
                    == NGX_VOD_ERROR && strcmp(err, "a field twice") == 0,
                    "a field twice: refused");
    ngx_vod_test_ok(ngx_vod_tus_state_parse((u_char *)
                                            "\x06\xff\xff\xff\xff\xff\x01",
                                            7, &got, &err)
                    == NGX_VOD_ERROR, "an endless varint: refused");
}


static void
test_offset(void)
{
    uint32_t            next;
    ngx_vod_tus_part_t  parts[] = {
        { 3, 1048576 }, { 1, 8388608 }, { 2, 2000000 }, { 5, 8388608 }
    };

    ngx_vod_test_ok(ngx_vod_tus_offset(parts, 4, &next)
                    == 8388608 + 2000000 + 1048576 && next == 4,
                    "parts 1-3 in any order, a shorter one among them; "
                    "part 5 past the gap does not count");

    ngx_vod_test_ok(ngx_vod_tus_offset(parts, 0, &next) == 0 && next == 1,
                    "no part: offset 0, part 1 next");

    parts[0].number = 2;
    parts[1].number = 3;
    ngx_vod_test_ok(ngx_vod_tus_offset(parts, 2, &next) == 0 && next == 1,
                    "no part 1: offset 0");
}


int
main(void)
{
    test_version_and_numbers();
    test_metadata();
    test_metadata_refused();
    test_state();
    test_offset();

    ngx_vod_test_pool_free(&pool);

    return ngx_vod_test_done();
}
