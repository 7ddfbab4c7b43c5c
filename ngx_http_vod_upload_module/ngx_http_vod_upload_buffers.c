
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * The worker's budget of part buffers: see ngx_http_vod_upload_buffers.h.
 */


/* nginx's headers first: they set what the system's headers provide */
#include "ngx_http_vod_upload_buffers.h"

#include <sys/mman.h>
#if (__GLIBC__)
#include <malloc.h>
#endif


static void ngx_http_vod_upload_buffers_grant(ngx_log_t *log);


/* at most so often, free pages inside malloc's heap go back (see trim) */
#define NGX_HTTP_VOD_BUFFERS_TRIM   1000        /* ms */


static size_t       ngx_http_vod_buffers_max = 512 * 1024 * 1024;
static size_t       ngx_http_vod_buffers_used;
static ngx_queue_t  ngx_http_vod_buffers_queue;
static ngx_msec_t   ngx_http_vod_buffers_trimmed;


void
ngx_http_vod_upload_buffers_init(size_t max)
{
    ngx_http_vod_buffers_max = max;
    ngx_http_vod_buffers_used = 0;
    ngx_queue_init(&ngx_http_vod_buffers_queue);
}


ngx_int_t
ngx_http_vod_upload_buffers_take(ngx_http_vod_upload_buffers_waiter_t *w,
    size_t size, ngx_uint_t wait)
{
    size_t  granted;

    if (w->waiting) {
        return NGX_AGAIN;
    }

    /* woken: what was set aside for it is its own, more or less */

    granted = w->granted;
    w->granted = 0;

    if (granted >= size) {
        ngx_http_vod_upload_buffers_release(w->log, granted - size);
        goto taken;
    }

    ngx_http_vod_buffers_used -= granted;

    if ((granted || ngx_queue_empty(&ngx_http_vod_buffers_queue))
        && ngx_http_vod_buffers_used + size <= ngx_http_vod_buffers_max)
    {
        ngx_http_vod_buffers_used += size;
        goto taken;
    }

    if (!wait) {
        if (granted) {
            ngx_http_vod_upload_buffers_grant(w->log);
        }

        return NGX_DECLINED;
    }

    /* one woken that needs more than it got keeps its turn */

    w->want = size;
    w->waiting = 1;

    if (granted) {
        ngx_queue_insert_head(&ngx_http_vod_buffers_queue, &w->queue);
        ngx_http_vod_upload_buffers_grant(w->log);

    } else {
        ngx_queue_insert_tail(&ngx_http_vod_buffers_queue, &w->queue);
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, w->log, 0,
                   "vod buffers: wait for %uz bytes, %uz of %uz taken",
                   size, ngx_http_vod_buffers_used,
                   ngx_http_vod_buffers_max);

    return NGX_AGAIN;

taken:

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, w->log, 0,
                   "vod buffers: took %uz bytes, %uz of %uz taken",
                   size, ngx_http_vod_buffers_used,
                   ngx_http_vod_buffers_max);

    return NGX_OK;
}


void
ngx_http_vod_upload_buffers_release(ngx_log_t *log, size_t size)
{
    if (size == 0) {
        return;
    }

    ngx_http_vod_buffers_used -= size;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, log, 0,
                   "vod buffers: gave back %uz bytes, %uz of %uz taken",
                   size, ngx_http_vod_buffers_used,
                   ngx_http_vod_buffers_max);

    ngx_http_vod_upload_buffers_grant(log);
    ngx_http_vod_upload_buffers_trim(log);
}


/*
 * Thousands of uploads at once make and free the calls' pools and
 * buffers all the time, interleaved: malloc's heap then holds many free
 * pages between the ones in use, which it never gives back by itself
 * (only its top).  malloc_trim() drops them; once a second at most, as
 * memory goes back.
 */

void
ngx_http_vod_upload_buffers_trim(ngx_log_t *log)
{
#if (__GLIBC__)

    if (ngx_current_msec - ngx_http_vod_buffers_trimmed
        < NGX_HTTP_VOD_BUFFERS_TRIM)
    {
        return;
    }

    ngx_http_vod_buffers_trimmed = ngx_current_msec;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, log, 0,
                   "vod buffers: free heap pages given back");

    (void) malloc_trim(0);

#endif
}


void
ngx_http_vod_upload_buffers_leave(ngx_http_vod_upload_buffers_waiter_t *w)
{
    size_t  granted;

    if (w->waiting) {
        ngx_queue_remove(&w->queue);
        w->waiting = 0;

        /* the next one may fit now */

        ngx_http_vod_upload_buffers_grant(w->log);
    }

    granted = w->granted;
    w->granted = 0;

    ngx_http_vod_upload_buffers_release(w->log, granted);
}


ngx_uint_t
ngx_http_vod_upload_buffers_contended(void)
{
    return !ngx_queue_empty(&ngx_http_vod_buffers_queue);
}


/* the first in the queue get what they wait for while it fits, in turn */

static void
ngx_http_vod_upload_buffers_grant(ngx_log_t *log)
{
    ngx_queue_t                           *q;
    ngx_http_vod_upload_buffers_waiter_t  *w;

    while (!ngx_queue_empty(&ngx_http_vod_buffers_queue)) {
        q = ngx_queue_head(&ngx_http_vod_buffers_queue);
        w = ngx_queue_data(q, ngx_http_vod_upload_buffers_waiter_t, queue);

        if (ngx_http_vod_buffers_used + w->want > ngx_http_vod_buffers_max) {
            return;
        }

        ngx_queue_remove(q);
        w->waiting = 0;
        w->granted = w->want;
        ngx_http_vod_buffers_used += w->want;

        ngx_log_debug3(NGX_LOG_DEBUG_HTTP, w->log, 0,
                       "vod buffers: %uz bytes for one that waited, %uz of "
                       "%uz taken", w->want, ngx_http_vod_buffers_used,
                       ngx_http_vod_buffers_max);

        ngx_post_event(w->wake, &ngx_posted_events);
    }
}


/*
 * A part buffer's address space; huge (size a multiple of 2 MiB): aligned
 * to 2 MiB and in transparent huge pages, which the kernel's copy of the
 * bytes received and the CRC-64 pass go through with far fewer TLB misses
 * (for parts committed whole: a huge page is 2 MiB of RSS at its first
 * byte)
 */

#define NGX_HTTP_VOD_HUGE  (2 * 1024 * 1024)

u_char *
ngx_http_vod_upload_buffers_map(size_t size, ngx_uint_t huge, ngx_log_t *log)
{
    u_char  *p, *aligned;
    size_t   len;

    huge = huge && size % NGX_HTTP_VOD_HUGE == 0;
    len = huge ? size + NGX_HTTP_VOD_HUGE : size;

    p = mmap(NULL, len, PROT_READ|PROT_WRITE,
             MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0);

    if (p == MAP_FAILED) {
        ngx_log_error(NGX_LOG_EMERG, log, ngx_errno,
                      "mmap(%uz) failed", len);
        return NULL;
    }

    if (!huge) {
        return p;
    }

    /* the 2 MiB boundary in it; what is before and after goes back */

    aligned = (u_char *) (((uintptr_t) p + NGX_HTTP_VOD_HUGE - 1)
                          & ~((uintptr_t) NGX_HTTP_VOD_HUGE - 1));

    if (aligned > p) {
        (void) munmap(p, aligned - p);
    }

    if (p + len > aligned + size) {
        (void) munmap(aligned + size, p + len - (aligned + size));
    }

#ifdef MADV_HUGEPAGE
    if (madvise(aligned, size, MADV_HUGEPAGE) == -1) {
        ngx_log_error(NGX_LOG_INFO, log, ngx_errno,
                      "madvise(%p, %uz, MADV_HUGEPAGE) failed", aligned,
                      size);
    }
#endif

    return aligned;
}


void
ngx_http_vod_upload_buffers_unmap(u_char *p, size_t size, ngx_log_t *log)
{
    if (munmap(p, size) == -1) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                      "munmap(%p, %uz) failed", p, size);
    }
}


void
ngx_http_vod_upload_buffers_drop(u_char *p, size_t size, ngx_log_t *log)
{
    size_t  page;

    page = ngx_pagesize;
    size = (size + page - 1) & ~(page - 1);

    if (size && madvise(p, size, MADV_DONTNEED) == -1) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                      "madvise(%p, %uz, MADV_DONTNEED) failed", p, size);
    }
}
