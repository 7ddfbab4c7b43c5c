
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * A test tool, loaded into nginx with LD_PRELOAD: malloc() of exactly
 * VOD_TEST_FAIL_MALLOC_SIZE bytes fails (ENOMEM), every other one is
 * glibc's.  Tests choose a size that only the allocation they want to
 * fail asks for (a part buffer of a size no other allocation has).
 */


#include <errno.h>
#include <stdlib.h>


extern void *__libc_malloc(size_t size);


static size_t  fail_size = (size_t) -1;


void *
malloc(size_t size)
{
    const char  *v;

    if (fail_size == (size_t) -1) {
        v = getenv("VOD_TEST_FAIL_MALLOC_SIZE");
        fail_size = v ? (size_t) strtoul(v, NULL, 10) : 0;
    }

    if (fail_size && size == fail_size) {
        errno = ENOMEM;
        return NULL;
    }

    return __libc_malloc(size);
}
