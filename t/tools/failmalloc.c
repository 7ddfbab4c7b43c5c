
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * A test tool, loaded into nginx with LD_PRELOAD: malloc() of exactly
 * VOD_TEST_FAIL_MALLOC_SIZE bytes fails (ENOMEM), and so does an
 * anonymous mmap() of that length (the module's part buffers); every
 * other one is the next malloc() or mmap() in the search order: glibc's,
 * or, under make test-asan, the ASan runtime's, preloaded after this
 * library (memory from glibc's allocator freed by ASan's free() would be
 * a report of its own).  Tests
 * choose a size that only the allocation they want to fail asks for (a
 * part buffer of a size no other allocation has).
 */


#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/types.h>


extern void *__libc_malloc(size_t size);


static size_t  fail_size = (size_t) -1;
static void *(*next_malloc)(size_t size);
static void *(*next_mmap)(void *addr, size_t len, int prot, int flags,
    int fd, off_t off);
static int     looking_up;


static size_t
failing_size(void)
{
    const char  *v;

    if (fail_size == (size_t) -1) {
        v = getenv("VOD_TEST_FAIL_MALLOC_SIZE");
        fail_size = v ? (size_t) strtoul(v, NULL, 10) : 0;
    }

    return fail_size;
}


void *
malloc(size_t size)
{
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

    if (failing_size() && size == fail_size) {
        errno = ENOMEM;
        return NULL;
    }

    return next_malloc(size);
}


void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (next_mmap == NULL) {
        next_mmap = (void *(*)(void *, size_t, int, int, int, off_t))
                    dlsym(RTLD_NEXT, "mmap");
    }

    if ((flags & MAP_ANONYMOUS) && failing_size() && len == fail_size) {
        errno = ENOMEM;
        return MAP_FAILED;
    }

    return next_mmap(addr, len, prot, flags, fd, off);
}


/*
 * Built with _FILE_OFFSET_BITS=64 (as nginx builds), a call of mmap() is
 * one of mmap64(): the same function in glibc, a symbol of its own here
 */

void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return mmap(addr, len, prot, flags, fd, off);
}
