
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * Unit test of ngx_vod_journal.c: the record of a multipart upload that a
 * stopped worker may leave open, written and read back, and what a
 * record read from disk may not be.
 */


#include "ngx_vod_journal.h"
#include "ngx_vod_test.h"

#include <stdlib.h>


#define V(s)  { sizeof(s) - 1, (u_char *) s }


static ngx_vod_journal_rec_t  rec = {
    V("vodemuapguangzhou-1250000000.cos.ap-guangzhou.myqcloud.com"),
    V("/abc/My Clip.mp4"),
    V("1585130821cbb7df1d11846c073ad648e8f33b087cec2381df437acdc8"),
    V("AKIDtmp"), V("secret"), V("token+/=="), 1700000000
};


static int
same(const ngx_vod_str_t *a, const ngx_vod_str_t *b)
{
    return a->len == b->len && (a->len == 0
                                || memcmp(a->data, b->data, a->len) == 0);
}


static void
test_round_trip(void)
{
    size_t                  size;
    u_char                 *buf, *end;
    const char             *err;
    ngx_vod_journal_rec_t   r, copy;

    size = ngx_vod_journal_size(&rec);
    ngx_vod_test_ok(size > 0, "a record has a size");

    buf = malloc(size);
    end = ngx_vod_journal_write(buf, &rec);
    ngx_vod_test_ok((size_t) (end - buf) <= size, "... written within it");

    ngx_vod_test_ok(ngx_vod_journal_parse(buf, end - buf, &r, &err)
                    == NGX_VOD_OK, "... and read back");
    ngx_vod_test_ok(same(&r.host, &rec.host) && same(&r.key, &rec.key)
                    && same(&r.upload_id, &rec.upload_id)
                    && same(&r.secret_id, &rec.secret_id)
                    && same(&r.secret_key, &rec.secret_key)
                    && same(&r.token, &rec.token)
                    && r.expires == rec.expires,
                    "... every field as it was");
    free(buf);

    /* while Initiate is under way: no upload id */

    copy = rec;
    copy.upload_id.len = 0;
    copy.token.len = 0;
    buf = malloc(ngx_vod_journal_size(&copy));
    end = ngx_vod_journal_write(buf, &copy);
    ngx_vod_test_ok(ngx_vod_journal_parse(buf, end - buf, &r, &err)
                    == NGX_VOD_OK && r.upload_id.len == 0
                    && r.token.len == 0,
                    "a record without an upload id or a token");
    free(buf);
}


static void
test_refused_to_write(void)
{
    ngx_vod_journal_rec_t  copy;

    copy = rec;
    copy.key.data = (u_char *) "/a\nb";
    copy.key.len = 4;
    ngx_vod_test_ok(ngx_vod_journal_size(&copy) == 0, "a key with LF");

    copy = rec;
    copy.token.data = (u_char *) "t\rx";
    copy.token.len = 3;
    ngx_vod_test_ok(ngx_vod_journal_size(&copy) == 0, "a token with CR");

    copy = rec;
    copy.secret_key.len = 0;
    ngx_vod_test_ok(ngx_vod_journal_size(&copy) == 0, "no secret key");

    copy = rec;
    copy.key.data = (u_char *) "a";
    copy.key.len = 1;
    ngx_vod_test_ok(ngx_vod_journal_size(&copy) == 0,
                    "a key without its \"/\"");

    copy = rec;
    copy.expires = -1;
    ngx_vod_test_ok(ngx_vod_journal_size(&copy) == 0, "a negative expiry");
}


static void
test_hostile(void)
{
    size_t                 i;
    const char            *err;
    ngx_vod_journal_rec_t  r;

    static const struct {
        const char  *text;
        const char  *error;
    } bad[] = {
        { "", "not a journal record" },
        { "vod-upload-journal 2\n", "not a journal record" },
        { "vod-upload-journal 1\nhost h\n",
          "a required name is missing or empty" },
        { "vod-upload-journal 1\nhost h\nkey /k\nsecret_id i\n"
          "secret_key s\nexpires 1",
          "a line without a name, a value and LF" },
        { "vod-upload-journal 1\nhost h\nhost g\n", "a name twice" },
        { "vod-upload-journal 1\nport 80\n", "an unknown name" },
        { "vod-upload-journal 1\nhost\n",
          "a line without a name, a value and LF" },
        { "vod-upload-journal 1\nhost h\nkey /k\nsecret_id i\n"
          "secret_key s\nexpires -5\n", "expires is not a number" },
        { "vod-upload-journal 1\nhost h\nkey /k\nsecret_id i\n"
          "secret_key s\nexpires 99999999999999999999\n",
          "expires is not a number" },
        { "vod-upload-journal 1\nhost h\nkey k\nsecret_id i\n"
          "secret_key s\nexpires 5\n",
          "the key does not start with \"/\"" },
        { "vod-upload-journal 1\nhost h\nkey /k\nsecret_id \n"
          "secret_key s\nexpires 5\n",
          "a required name is missing or empty" },
        { "vod-upload-journal 1\nhost h\r\nkey /k\nsecret_id i\n"
          "secret_key s\nexpires 5\n", "a value with CR or NUL" },
    };

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = NULL;
        ngx_vod_test_ok(ngx_vod_journal_parse((u_char *) bad[i].text,
                                              strlen(bad[i].text), &r, &err)
                        == NGX_VOD_ERROR
                        && err && strcmp(err, bad[i].error) == 0,
                        "refused: %s (%s)", bad[i].error,
                        err ? err : "accepted");
    }

    ngx_vod_test_ok(ngx_vod_journal_parse((u_char *) "vod-upload-journal 1\n"
                                          "host h\nkey /k\nsecret_id i\n"
                                          "secret_key s\nexpires 0\n",
                                          sizeof("vod-upload-journal 1\n"
                                                 "host h\nkey /k\n"
                                                 "secret_id i\nsecret_key s\n"
                                                 "expires 0\n") - 1,
                                          &r, &err)
                    == NGX_VOD_OK && r.upload_id.len == 0,
                    "the smallest record");
}


int
main(void)
{
    test_round_trip();
    test_refused_to_write();
    test_hostile();

    return ngx_vod_test_done();
}
