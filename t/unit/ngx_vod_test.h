
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * A minimal TAP producer for the unit test programs: prove runs them
 * like any .t file and reads their plan and "ok"/"not ok" lines; and
 * what several of them share: a pool allocator that can be told to
 * fail, and the known-answer vectors of vectors.json.
 */


#ifndef _NGX_VOD_TEST_H_INCLUDED_
#define _NGX_VOD_TEST_H_INCLUDED_


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ngx_vod_common.h"


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


/* the parsed vectors; exits if they cannot be read */

static inline cJSON *
ngx_vod_test_vectors_load(void)
{
    char   *text;
    cJSON  *root;

    text = ngx_vod_test_read_file(ngx_vod_test_vectors_path(), NULL);

    root = cJSON_Parse(text);
    free(text);

    if (root == NULL) {
        fprintf(stderr, "cannot parse %s\n", ngx_vod_test_vectors_path());
        exit(2);
    }

    return root;
}


/* a string member of a vector, NULL if there is none */

static inline const char *
ngx_vod_test_json_get(const cJSON *v, const char *name)
{
    cJSON  *item;

    item = cJSON_GetObjectItemCaseSensitive(v, name);

    return cJSON_IsString(item) ? item->valuestring : NULL;
}


/* a C string (or NULL) as a counted string, not copied */

static inline ngx_vod_str_t
ngx_vod_test_str(const char *s)
{
    ngx_vod_str_t  v;

    v.len = s ? strlen(s) : 0;
    v.data = (u_char *) s;

    return v;
}


/*
 * A malloc()-backed pool for ngx_vod_alloc_t:
 *
 *     static ngx_vod_test_pool_t  pool = { NULL, 0, -1 };
 *     static ngx_vod_alloc_t      a = { ngx_vod_test_alloc, &pool };
 *
 * everything is freed by ngx_vod_test_pool_free(); allocations after
 * fail_after of them (unless it is -1) fail.
 */

typedef union ngx_vod_test_block_u  ngx_vod_test_block_t;

union ngx_vod_test_block_u {
    ngx_vod_test_block_t  *next;
    long double            align1;
    long long              align2;
    void                  *align3;
};


typedef struct {
    ngx_vod_test_block_t  *blocks;
    long                   allocs;
    long                   fail_after;     /* -1: never fail */
} ngx_vod_test_pool_t;


static inline void *
ngx_vod_test_alloc(void *data, size_t size)
{
    ngx_vod_test_pool_t   *p = data;
    ngx_vod_test_block_t  *b;

    if (p->fail_after >= 0 && p->allocs >= p->fail_after) {
        return NULL;
    }

    b = malloc(sizeof(ngx_vod_test_block_t) + size);
    if (b == NULL) {
        return NULL;
    }

    p->allocs++;
    b->next = p->blocks;
    p->blocks = b;

    return b + 1;
}


/* frees every block and resets the pool, fail_after to -1 */

static inline void
ngx_vod_test_pool_free(ngx_vod_test_pool_t *p)
{
    ngx_vod_test_block_t  *b, *next;

    for (b = p->blocks; b; b = next) {
        next = b->next;
        free(b);
    }

    p->blocks = NULL;
    p->allocs = 0;
    p->fail_after = -1;
}


#endif /* _NGX_VOD_TEST_H_INCLUDED_ */
