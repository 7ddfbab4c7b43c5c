
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * A test tool, loaded into nginx with LD_PRELOAD: malloc() of exactly
 * VOD_TEST_FAIL_MALLOC_SIZE bytes fails (ENOMEM), every other one is the
 * next malloc() in the search order: glibc's, or, under make test-asan,
 * the ASan runtime's, preloaded after this library (memory from glibc's
 * allocator freed by ASan's free() would be a report of its own).  Tests
 * choose a size that only the allocation they want to fail asks for (a
 * part buffer of a size no other allocation has).
 */


#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>


extern void *__libc_malloc(size_t size);


static size_t  fail_size = (size_t) -1;
static void *(*next_malloc)(size_t size);
static int     looking_up;


void *
malloc(size_t size)
{
    const char  *v;

    if (next_malloc == NULL) {
        if (looking_up) {
            /* dlsym() asked for memory while it looked malloc up */
            return __libc_malloc(size);
        }

        looking_up = 1;
        next_malloc = (void *(*)(size_t)) dlsym(RTLD_NEXT, "malloc");
        looking_up = 0;

        if (next_malloc == NULL) {
            next_malloc = __libc_malloc;
        }
    }

    if (fail_size == (size_t) -1) {
        v = getenv("VOD_TEST_FAIL_MALLOC_SIZE");
        fail_size = v ? (size_t) strtoul(v, NULL, 10) : 0;
    }

    if (fail_size && size == fail_size) {
        errno = ENOMEM;
        return NULL;
    }

    return next_malloc(size);
}
