
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * What the fuzz targets share: an allocator for the units (ngx_vod_alloc_t)
 * that fails at the n-th allocation when asked to (so that the units'
 * out-of-memory paths are fuzzed too) and frees everything after each run,
 * and a reader of the input's leading bytes.
 */

#ifndef _NGX_VOD_FUZZ_H_INCLUDED_
#define _NGX_VOD_FUZZ_H_INCLUDED_


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_vod_common.h"


int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size);


typedef struct {
    void      **blocks;
    size_t      n;
    size_t      size;
    size_t      fail_at;        /* 0: never; n: the n-th fails */
    size_t      calls;
} fuzz_pool_t;


static void *
fuzz_alloc(void *data, size_t size)
{
    void         *p;
    fuzz_pool_t  *pool = data;

    if (++pool->calls == pool->fail_at) {
        return NULL;
    }

    if (pool->n == pool->size) {
        pool->size = pool->size ? pool->size * 2 : 64;
        pool->blocks = realloc(pool->blocks, pool->size * sizeof(void *));
        if (pool->blocks == NULL) {
            abort();
        }
    }

    p = malloc(size ? size : 1);
    if (p == NULL) {
        abort();
    }

    pool->blocks[pool->n++] = p;

    return p;
}


static inline ngx_vod_alloc_t
fuzz_pool(fuzz_pool_t *pool, size_t fail_at)
{
    ngx_vod_alloc_t  a;

    memset(pool, 0, sizeof(fuzz_pool_t));
    pool->fail_at = fail_at;

    a.alloc = fuzz_alloc;
    a.data = pool;

    return a;
}


static inline void
fuzz_pool_free(fuzz_pool_t *pool)
{
    size_t  i;

    for (i = 0; i < pool->n; i++) {
        free(pool->blocks[i]);
    }

    free(pool->blocks);
}


/* the next byte of the input, 0 when there is none */

static inline unsigned
fuzz_byte(const uint8_t **in, size_t *size)
{
    unsigned  b;

    if (*size == 0) {
        return 0;
    }

    b = **in;
    (*in)++;
    (*size)--;

    return b;
}


/* the next 8 bytes of the input as a number, big-endian */

static inline uint64_t
fuzz_u64(const uint8_t **in, size_t *size)
{
    int       i;
    uint64_t  v;

    v = 0;

    for (i = 0; i < 8; i++) {
        v = v << 8 | fuzz_byte(in, size);
    }

    return v;
}


/* two counted strings have the same bytes */

static inline int
fuzz_same(const ngx_vod_str_t *a, const ngx_vod_str_t *b)
{
    return a->len == b->len
           && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}


/* the input's bytes copied, so that a read past them is caught by ASan */

static inline u_char *
fuzz_copy(const uint8_t *in, size_t size)
{
    u_char  *p;

    p = malloc(size ? size : 1);
    if (p == NULL) {
        abort();
    }

    memcpy(p, in, size);

    return p;
}


#endif /* _NGX_VOD_FUZZ_H_INCLUDED_ */
