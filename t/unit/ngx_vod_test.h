
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * A minimal TAP producer for the unit test programs: prove runs them
 * like any .t file and reads their plan and "ok"/"not ok" lines.
 */


#ifndef _NGX_VOD_TEST_H_INCLUDED_
#define _NGX_VOD_TEST_H_INCLUDED_


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static int  ngx_vod_test_count;
static int  ngx_vod_test_failures;


static inline int
ngx_vod_test_ok(int pass, const char *fmt, ...)
{
    va_list  args;

    ngx_vod_test_count++;

    if (!pass) {
        ngx_vod_test_failures++;
    }

    printf("%s %d - ", pass ? "ok" : "not ok", ngx_vod_test_count);

    va_start(args, fmt);
    vprintf(fmt, args);
    va_end(args);

    printf("\n");
    fflush(stdout);

    return pass;
}


static inline void
ngx_vod_test_diag(const char *fmt, ...)
{
    va_list  args;

    printf("# ");

    va_start(args, fmt);
    vprintf(fmt, args);
    va_end(args);

    printf("\n");
}


/* compares a counted string with a C string, prints both on mismatch */

static inline int
ngx_vod_test_is(const void *got, size_t len, const char *expected,
    const char *name)
{
    int  pass;

    pass = (got != NULL && len == strlen(expected)
            && memcmp(got, expected, len) == 0);

    ngx_vod_test_ok(pass, "%s", name);

    if (!pass) {
        ngx_vod_test_diag("     got: '%.*s'", got ? (int) len : 6,
                          got ? (const char *) got : "(null)");
        ngx_vod_test_diag("expected: '%s'", expected);
    }

    return pass;
}


static inline int
ngx_vod_test_done(void)
{
    printf("1..%d\n", ngx_vod_test_count);

    return ngx_vod_test_failures ? 1 : 0;
}


/* reads a whole file into a NUL-terminated malloc()ed buffer */

static inline char *
ngx_vod_test_read_file(const char *path, size_t *lenp)
{
    long   n;
    char  *buf;
    FILE  *f;

    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open \"%s\"\n", path);
        exit(2);
    }

    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);

    buf = malloc(n + 1);
    if (buf == NULL || fread(buf, 1, n, f) != (size_t) n) {
        fprintf(stderr, "cannot read \"%s\"\n", path);
        exit(2);
    }

    buf[n] = '\0';
    fclose(f);

    if (lenp) {
        *lenp = n;
    }

    return buf;
}


/* the known-answer vectors: t/unit/vectors.json, or $NGX_VOD_VECTORS */

static inline const char *
ngx_vod_test_vectors_path(void)
{
    const char  *p;

    p = getenv("NGX_VOD_VECTORS");

    return p ? p : "t/unit/vectors.json";
}


#endif /* _NGX_VOD_TEST_H_INCLUDED_ */
