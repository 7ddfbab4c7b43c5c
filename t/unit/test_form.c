
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * Unit test of ngx_vod_form.c: multipart/form-data as browsers send it,
 * split at every byte, and what is refused.
 */


#include "ngx_vod_form.h"
#include "ngx_vod_test.h"

#include <stdlib.h>
#include <string.h>


#define S(s)  (const u_char *) s, sizeof(s) - 1

#define TYPE  "multipart/form-data; boundary=----WebKitFormBoundaryX3b"
#define DELIM "------WebKitFormBoundaryX3b"

/* a browser's form: a text field, a cover, the media */
#define FORM                                                                  \
    "preamble, ignored\r\n"                                                   \
    DELIM "\r\n"                                                              \
    "Content-Disposition: form-data; name=\"title\"\r\n"                      \
    "\r\n"                                                                    \
    "My \"Holiday\"\r\n"                                                      \
    DELIM "\r\n"                                                              \
    "Content-Disposition: form-data; name=\"cover\"; filename=\"c.jpg\"\r\n"  \
    "Content-Type: image/jpeg\r\n"                                            \
    "\r\n"                                                                    \
    "JPEG\r\n--\r\n------WebKitFormBoundaryX3\r\r\n"                          \
    DELIM "\r\n"                                                              \
    "content-disposition: form-data; name=media; "                            \
    "filename=\"a\\\"b.mp4\"; filename*=UTF-8''%E4%BD%A0.mp4\r\n"             \
    "Content-Type: video/mp4\r\n"                                             \
    "\r\n"                                                                    \
    "\r\rmedia bytes\r\n"                                                     \
    DELIM "--\r\n"                                                            \
    "epilogue, ignored"

#define EVENTS                                                                \
    "[title||] My \"Holiday\" . "                                             \
    "[cover|c.jpg|image/jpeg] JPEG\r\n--\r\n------WebKitFormBoundaryX3\r . "  \
    "[media|\xe4\xbd\xa0.mp4|video/mp4] \r\rmedia bytes . done"


/*
 * The events of a form fed in pieces of at most step bytes (0: the
 * split point "cut" then the rest), written out: "[name|filename|type]"
 * for a part, its bytes, " . " at its end, "done", or "!<error>".
 */

static char *
run(const char *type, const u_char *in, size_t len, size_t step,
    size_t cut)
{
    int               rc;
    char             *out;
    size_t            n, o, dlen, piece;
    const char       *err;
    const u_char     *pos, *last, *data;
    ngx_vod_form_t   *f;

    out = calloc(1, 4 * len + 256);
    f = malloc(sizeof(ngx_vod_form_t));

    if (ngx_vod_form_init(f, (const u_char *) type, strlen(type), &err)
        != NGX_VOD_OK)
    {
        sprintf(out, "!%s", err);
        free(f);
        return out;
    }

    o = 0;
    n = 0;

    while (n <= len) {
        piece = step ? step : (n < cut ? cut : len - n);
        pos = in + n;
        last = in + (n + piece < len ? n + piece : len);

        for ( ;; ) {
            rc = ngx_vod_form_parse(f, &pos, last, &data, &dlen, &err);

            if (rc == NGX_VOD_FORM_AGAIN) {
                break;
            }

            switch (rc) {

            case NGX_VOD_FORM_PART:
                o += sprintf(out + o, "[%.*s|%.*s|%.*s] ",
                             (int) f->part.name.len, f->part.name.data,
                             (int) f->part.filename.len,
                             f->part.filename.data
                             ? (char *) f->part.filename.data : "",
                             (int) f->part.content_type.len,
                             f->part.content_type.data
                             ? (char *) f->part.content_type.data : "");
                break;

            case NGX_VOD_FORM_DATA:
                memcpy(out + o, data, dlen);
                o += dlen;
                break;

            case NGX_VOD_FORM_END:
                o += sprintf(out + o, " . ");
                break;

            case NGX_VOD_FORM_DONE:
                strcpy(out + o, "done");
                free(f);
                return out;

            default:
                sprintf(out + o, "!%s", err);
                free(f);
                return out;
            }
        }

        if (last == in + len) {
            break;
        }

        n = last - in;
    }

    strcpy(out + o, "(more)");
    free(f);
    return out;
}


static void
test_init(void)
{
    const char      *err;
    ngx_vod_form_t  *f;

    f = malloc(sizeof(ngx_vod_form_t));

    ngx_vod_test_ok(ngx_vod_form_init(f, S(TYPE), &err) == NGX_VOD_OK
                    && f->delimiter_len == 4 + 25,
                    "a browser's boundary");
    ngx_vod_test_ok(ngx_vod_form_init(f, S("Multipart/Form-Data; "
                                           "charset=utf-8; boundary=\"a b\""),
                                      &err) == NGX_VOD_OK
                    && memcmp(f->delimiter, "\r\n--a b", 7) == 0,
                    "quoted, after another parameter, any case");
    ngx_vod_test_ok(ngx_vod_form_init(f, S("multipart/mixed; boundary=x"),
                                      &err) == NGX_VOD_ERROR
                    && strstr(err, "not multipart/form-data"),
                    "multipart/mixed is not a form");
    ngx_vod_test_ok(ngx_vod_form_init(f, S("multipart/form-data"), &err)
                    == NGX_VOD_ERROR && strstr(err, "no boundary"),
                    "no boundary");
    ngx_vod_test_ok(ngx_vod_form_init(f, S("multipart/form-data; boundary="
                                           "012345678901234567890123456789"
                                           "012345678901234567890123456789"
                                           "0123456789A"), &err)
                    == NGX_VOD_ERROR && strstr(err, "70"),
                    "a boundary of 71 characters");
    ngx_vod_test_ok(ngx_vod_form_init(f, S("multipart/form-data; boundary="
                                           "012345678901234567890123456789"
                                           "012345678901234567890123456789"
                                           "0123456789"), &err)
                    == NGX_VOD_OK, "of 70");
    ngx_vod_test_ok(ngx_vod_form_init(f, S("multipart/form-data; "
                                           "boundary=\"a\rb\""), &err)
                    == NGX_VOD_ERROR && strstr(err, "RFC 2046"),
                    "a CR in the boundary");
    ngx_vod_test_ok(ngx_vod_form_init(f, S("multipart/form-data; "
                                           "boundary=\"ab \""), &err)
                    == NGX_VOD_ERROR, "a space at its end");
    ngx_vod_test_ok(ngx_vod_form_init(f, S("multipart/form-data; "
                                           "boundary=\"ab"), &err)
                    == NGX_VOD_ERROR, "a quote that does not end");

    {
        char  big[600];

        strcpy(big, "multipart/form-data; boundary=");
        memset(big + strlen(big), 'A', 400);
        big[30 + 400] = '\0';

        ngx_vod_test_ok(ngx_vod_form_init(f, (u_char *) big, strlen(big),
                                          &err)
                        == NGX_VOD_ERROR && strstr(err, "70"),
                        "a boundary of 400 characters: refused, not copied");

        strcpy(big, "multipart/form-data; boundary=\"");
        memset(big + strlen(big), 'A', 400);
        strcpy(big + 31 + 400, "\"");

        ngx_vod_test_ok(ngx_vod_form_init(f, (u_char *) big, strlen(big),
                                          &err)
                        == NGX_VOD_ERROR, "quoted: refused too");
    }

    ngx_vod_test_ok(ngx_vod_form_init(f, S("multipart/form-data; x=\"a\\"),
                                      &err) == NGX_VOD_ERROR,
                    "another parameter ending in a backslash");

    free(f);
}


static void
test_form(void)
{
    char    *got;
    size_t   cut, step, bad;

    got = run(TYPE, S(FORM), 0, sizeof(FORM) - 1);
    ngx_vod_test_is((u_char *) got, strlen(got), EVENTS,
                    "a form at once: fields, file names (quoted, RFC 5987 "
                    "preferred), CRs and boundary-like bytes in the data");
    free(got);

    /* split at every byte: the same events */

    bad = 0;

    for (cut = 1; cut < sizeof(FORM) - 1; cut++) {
        got = run(TYPE, S(FORM), 0, cut);

        if (strcmp(got, EVENTS) != 0) {
            if (bad++ == 0) {
                ngx_vod_test_diag("split at %zu: %s", cut, got);
            }
        }

        free(got);
    }

    ngx_vod_test_ok(bad == 0, "split in two at each of %zu places: the "
                    "same events (%zu differ)", sizeof(FORM) - 2, bad);

    for (step = 1; step <= 7; step++) {
        got = run(TYPE, S(FORM), step, 0);
        ngx_vod_test_ok(strcmp(got, EVENTS) == 0, "fed %zu byte(s) at a "
                        "time", step);
        free(got);
    }
}


static void
test_refused(void)
{
    char   *got, *big;
    size_t  i;

    static const struct {
        const char  *in;
        const char  *err;
        const char  *what;
    } cases[] = {
        { DELIM "\r\nContent-Type: text/plain\r\n\r\nx\r\n" DELIM "--",
          "no Content-Disposition", "a part without Content-Disposition" },
        { DELIM "\r\nContent-Disposition: form-data\r\n\r\nx\r\n" DELIM "--",
          "no name", "a part without a name" },
        { DELIM "\r\nContent-Disposition: attachment; name=a\r\n\r\n",
          "not form-data", "not form-data" },
        { DELIM "\r\nContent-Disposition: form-data; name=\"a\r\n\r\n",
          "does not end", "a quote that does not end" },
        { DELIM "\nContent-Disposition: form-data; name=a\n\n",
          "something else", "a delimiter and a bare LF" },
        { DELIM "\r\nContent-Disposition: form-data; name=a\n\r\n",
          "without CRLF", "a header line ending in a bare LF" },
        { DELIM "x\r\n", "something else", "a delimiter followed by \"x\"" },
        { DELIM "-x", "single", "a delimiter and one \"-\"" },
        { DELIM "\r\nContent-Disposition: form-data; name=a; "
          "filename*=latin1''x\r\n\r\n", "filename*", "filename* in latin1" },
        { DELIM "\r\nContent-Disposition: form-data; name=a; "
          "filename*=UTF-8''%zz\r\n\r\n", "filename*", "a bad escape" },
        { DELIM "\r\nNo colon\r\n\r\n", "Name: value", "a line without ':'" },
        { DELIM "\r\nContent-Disposition: form-data; name=a; "
          "filename*=UTF-8''a%0d%0aX\r\n\r\n", "control character",
          "a CR LF in filename*" },
        { DELIM "\r\nContent-Disposition: form-data; name=\"a\tb\"\r\n\r\n",
          "control character", "a tab in a name" },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        got = run(TYPE, (const u_char *) cases[i].in, strlen(cases[i].in), 0,
                  strlen(cases[i].in));
        ngx_vod_test_ok(got[0] != '\0' && strstr(got, "!")
                        && strstr(got, cases[i].err),
                        "refused: %s (%s)", cases[i].what, got);
        free(got);
    }

    /* a header block over 4096 bytes */

    big = malloc(8192);
    i = sprintf(big, DELIM "\r\nContent-Disposition: form-data; name=a\r\n"
                "X-Long: ");
    memset(big + i, 'x', 5000);
    strcpy(big + i + 5000, "\r\n\r\n");

    got = run(TYPE, (const u_char *) big, strlen(big), 0, strlen(big));
    ngx_vod_test_ok(strstr(got, "longer than 4096") != NULL,
                    "headers over 4096 bytes: refused");
    free(got);
    free(big);

    /* a form that stops before its closing delimiter: more is wanted */

    got = run(TYPE, S(DELIM "\r\nContent-Disposition: form-data; name=a\r\n"
                      "\r\nabc\r\n" DELIM), 0, 1000);
    ngx_vod_test_is((u_char *) got, strlen(got), "[a||] abc . (more)",
                    "cut before the end: the parser wants more");
    free(got);

    /* bytes never a delimiter, nothing else: no part at all */

    got = run(TYPE, S("just bytes\r\n\r\n--"), 0, 1000);
    ngx_vod_test_is((u_char *) got, strlen(got), "(more)",
                    "no delimiter: nothing");
    free(got);

    /* an empty file field: a file without a name */

    got = run(TYPE, S(DELIM "\r\nContent-Disposition: form-data; name=c; "
                      "filename=\"\"\r\n\r\n\r\n" DELIM "--"), 0, 1000);
    ngx_vod_test_is((u_char *) got, strlen(got), "[c||]  . done",
                    "an empty file field");
    free(got);
}


/*
 * Inputs made of the pieces forms are made of (delimiters, CRs, LFs,
 * dashes, headers, bytes), random: whatever they are, feeding them in
 * pieces gives what feeding them at once does, and nothing reads out of
 * bounds (valgrind and ASan runs of this program say so)
 */

static void
test_random(void)
{
    char          *one, *pieces;
    size_t         i, k, len, bad;
    u_char         in[2048];
    const char    *piece;

    static const char  *parts[] = {
        DELIM, "\r\n", "\r", "\n", "-", "--", "x", "0123456789",
        "Content-Disposition: form-data; name=\"f\"",
        "Content-Disposition: form-data; name=m; filename=\"a.mp4\"",
        "Content-Type: video/mp4", "\r\n\r\n", DELIM "--",
        "------WebKitFormBoundaryX3", " ", "\"", ";"
    };

    srand(1);
    bad = 0;

    for (i = 0; i < 3000; i++) {
        len = 0;

        while (len < sizeof(in) - 128) {
            piece = parts[rand() % (sizeof(parts) / sizeof(parts[0]))];
            memcpy(in + len, piece, strlen(piece));
            len += strlen(piece);

            if (rand() % 40 == 0) {
                break;
            }
        }

        one = run(TYPE, in, len, 0, len);
        k = 1 + rand() % 9;
        pieces = run(TYPE, in, len, k, 0);

        if (strcmp(one, pieces) != 0 && bad++ == 0) {
            ngx_vod_test_diag("input %zu, in pieces of %zu: %s / %s", i, k,
                              one, pieces);
        }

        free(one);
        free(pieces);
    }

    ngx_vod_test_ok(bad == 0, "3000 random inputs: in pieces as at once "
                    "(%zu differ)", bad);
}


int
main(void)
{
    test_init();
    test_form();
    test_refused();
    test_random();

    return ngx_vod_test_done();
}
