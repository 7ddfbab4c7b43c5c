
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * Unit tests of ngx_vod_http.c: the answer headers the module keeps,
 * x-cos-hash-crc64ecma, the room an answer takes, event identifiers, log
 * escaping, and the masking of a signature.
 */

#include "ngx_vod_test.h"
#include "ngx_vod_http.h"


#define S(s)  (const u_char *) (s), sizeof(s) - 1


static void
test_headers(void)
{
    ngx_vod_test_ok(ngx_vod_header(S("etag")) == NGX_VOD_HEADER_ETAG,
                    "ETag, any case");
    ngx_vod_test_ok(ngx_vod_header(S("X-Cos-Hash-Crc64ecma"))
                    == NGX_VOD_HEADER_CRC64, "x-cos-hash-crc64ecma");
    ngx_vod_test_ok(ngx_vod_header(S("x-cos-request-id"))
                    == NGX_VOD_HEADER_REQUEST_ID, "x-cos-request-id");
    ngx_vod_test_ok(ngx_vod_header(S("CONTENT-LENGTH"))
                    == NGX_VOD_HEADER_CONTENT_LENGTH, "Content-Length");
    ngx_vod_test_ok(ngx_vod_header(S("Transfer-Encoding"))
                    == NGX_VOD_HEADER_TRANSFER_ENCODING, "Transfer-Encoding");
    ngx_vod_test_ok(ngx_vod_header(S("connection"))
                    == NGX_VOD_HEADER_CONNECTION, "Connection");
    ngx_vod_test_ok(ngx_vod_header(S("ETa")) == NGX_VOD_HEADER_OTHER
                    && ngx_vod_header(S("ETags")) == NGX_VOD_HEADER_OTHER
                    && ngx_vod_header(S("")) == NGX_VOD_HEADER_OTHER
                    && ngx_vod_header(NULL, 0) == NGX_VOD_HEADER_OTHER,
                    "a prefix, a longer name, none: another header");

    ngx_vod_test_ok(ngx_vod_header_has(S("gzip, Chunked"), "chunked"),
                    "chunked among codings, any case");
    ngx_vod_test_ok(!ngx_vod_header_has(S("chunke"), "chunked")
                    && !ngx_vod_header_has(NULL, 0, "close"),
                    "a shorter value, none: not there");
    ngx_vod_test_ok(ngx_vod_header_has(S("keep-alive, close"), "close"),
                    "close after keep-alive");
}


static void
test_crc64(void)
{
    uint64_t  crc;

    ngx_vod_test_ok(ngx_vod_crc64_header(S("18446744073709551615"), &crc)
                    == NGX_VOD_OK && crc == UINT64_MAX,
                    "x-cos-hash-crc64ecma: 2^64 - 1");
    ngx_vod_test_ok(ngx_vod_crc64_header(S("0"), &crc) == NGX_VOD_OK
                    && crc == 0, "0");
    ngx_vod_test_ok(ngx_vod_crc64_header(S("18446744073709551616"), &crc)
                    == NGX_VOD_ERROR, "2^64: refused");
    ngx_vod_test_ok(ngx_vod_crc64_header(S("99999999999999999999"), &crc)
                    == NGX_VOD_ERROR, "20 nines: refused");
    ngx_vod_test_ok(ngx_vod_crc64_header(S("000000000000000000001"), &crc)
                    == NGX_VOD_ERROR, "21 digits: refused");
    ngx_vod_test_ok(ngx_vod_crc64_header(S("-1"), &crc) == NGX_VOD_ERROR
                    && ngx_vod_crc64_header(S("1 "), &crc) == NGX_VOD_ERROR
                    && ngx_vod_crc64_header(NULL, 0, &crc) == NGX_VOD_ERROR,
                    "a sign, a space, nothing: refused");
}


/* the room, or 0 when refused */

static size_t
room(size_t have, size_t add, size_t size, off_t cl, size_t max)
{
    size_t  n;

    return ngx_vod_answer_room(have, add, size, cl, max, &n) == NGX_VOD_OK
           ? n : 0;
}


static void
test_room(void)
{
    size_t  n;

    ngx_vod_test_ok(room(0, 10, 0, -1, 1 << 20) == 4096,
                    "a first chunk of an answer of no length: 4096");
    ngx_vod_test_ok(room(0, 10, 0, 300, 1 << 20) == 300,
                    "of a Content-Length: that");
    ngx_vod_test_ok(room(100, 10, 4096, -1, 1 << 20) == 4096,
                    "what fits: the same buffer");
    ngx_vod_test_ok(room(4000, 200, 4096, -1, 1 << 20) == 8192,
                    "more: twice");
    ngx_vod_test_ok(room(0, 9000, 0, 300, 1 << 20) == 9600,
                    "more than the Content-Length said: doubled from it");
    ngx_vod_test_ok(room(0, 10, 0, (off_t) 1 << 40, 1 << 20) == 1 << 20,
                    "a Content-Length over the limit: the limit");
    ngx_vod_test_ok(ngx_vod_answer_room(1000, 25, 1024, -1, 1024, &n)
                    == NGX_VOD_ERROR, "over the limit: refused");
    ngx_vod_test_ok(room(1000, 24, 1000, -1, 1024) == 1024,
                    "up to the limit exactly: the limit");
    ngx_vod_test_ok(ngx_vod_answer_room(0, 0, 0, -1, 1024, &n) == NGX_VOD_OK
                    && n == 0, "nothing in no buffer: no buffer, not "
                    "refused (found by fuzzing)");
    ngx_vod_test_ok(ngx_vod_answer_room(10, SIZE_MAX, 16, -1, SIZE_MAX, &n)
                    == NGX_VOD_ERROR
                    && room(SIZE_MAX / 2 + 2, SIZE_MAX / 2 - 2,
                            SIZE_MAX / 2 + 2, -1, SIZE_MAX) == SIZE_MAX,
                    "sizes near SIZE_MAX: no overflow");
}


static void
test_ids(void)
{
    ngx_vod_test_ok(ngx_vod_id_valid(S("1256768367-Procedure-475b.t_1")),
                    "an identifier");
    ngx_vod_test_ok(ngx_vod_id_valid(NULL, 0), "none");
    ngx_vod_test_ok(!ngx_vod_id_valid(S("a b")) && !ngx_vod_id_valid(S("a\r"))
                    && !ngx_vod_id_valid(S("a:b")), "a space, a CR, a colon: "
                    "not one");
    ngx_vod_test_ok(ngx_vod_id_valid((const u_char *)
                                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 128)
                    && !ngx_vod_id_valid((const u_char *)
                                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                         129), "128 characters, not 129");
}


static void
test_escape(void)
{
    u_char  buf[64], *end;

    static const u_char  in[] = "a\"b\\c\r\n\x7f\x01\xe4";

    ngx_vod_test_ok(ngx_vod_log_escape_len(in, sizeof(in) - 1)
                    == sizeof(in) - 1 + 3 * 6, "the escaped length");

    end = ngx_vod_log_escape(buf, in, sizeof(in) - 1);
    ngx_vod_test_is(buf, end - buf,
                    "a\\x22b\\x5cc\\x0d\\x0a\\x7f\\x01\xe4",
                    "quotes, backslashes, controls, DEL as \\xHH; UTF-8 "
                    "bytes as they are");

    ngx_vod_test_ok(ngx_vod_log_escape_len(NULL, 0) == 0
                    && ngx_vod_log_escape(buf, NULL, 0) == buf, "nothing");
}


static void
test_mask(void)
{
    u_char  line[] = "POST /cb?t=1&Sign=abc123&x=SIGN=abc123&sign=abc12 "
                     "HTTP/1.1";

    ngx_vod_mask_sign(line, sizeof(line) - 1, S("abc123"));
    ngx_vod_test_is(line, sizeof(line) - 1,
                    "POST /cb?t=1&Sign=******&x=SIGN=******&sign=abc12 "
                    "HTTP/1.1",
                    "every sign=<the value>, any case; another value kept");

    {
        u_char  end[] = "a&sign=abc";

        ngx_vod_mask_sign(end, sizeof(end) - 1, S("abc123"));
        ngx_vod_test_is(end, sizeof(end) - 1, "a&sign=abc",
                        "a value cut off at the end: not read past it");
    }

    ngx_vod_mask_sign(NULL, 0, S("abc"));
    ngx_vod_test_ok(1, "no bytes: nothing done");
}


int
main(void)
{
    test_headers();
    test_crc64();
    test_room();
    test_ids();
    test_escape();
    test_mask();

    return ngx_vod_test_done();
}
