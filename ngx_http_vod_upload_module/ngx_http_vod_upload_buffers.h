
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 */


#ifndef _NGX_HTTP_VOD_UPLOAD_BUFFERS_H_INCLUDED_
#define _NGX_HTTP_VOD_UPLOAD_BUFFERS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>


/*
 * The worker's part buffers (ngx_http_vod_upload_buffers.c): what they
 * hold is counted against vod_upload_buffers_max, and never goes over
 * it.  Memory is taken in steps as parts need it; when there is not
 * enough, an upload waits its turn (first come, first served: a newcomer
 * never goes before one that waits), and the memory given back goes to
 * the first in the queue, which is woken.
 *
 * A part buffer is an anonymous mapping: address space is reserved for
 * the largest part, memory is what was touched of it, and a buffer
 * given back drops its pages, so that the worker's RSS follows what is
 * counted.
 */

typedef struct {
    ngx_queue_t                     queue;
    size_t                          want;       /* asked for, waiting */
    size_t                          granted;    /* taken for it, woken */
    ngx_event_t                    *wake;       /* posted when granted */
    ngx_log_t                      *log;
    unsigned                        waiting:1;
} ngx_http_vod_upload_buffers_waiter_t;


/* the budget of this worker: vod_upload_buffers_max */
void ngx_http_vod_upload_buffers_init(size_t max);

/*
 * size bytes for w: NGX_OK, counted; NGX_AGAIN (wait), w is queued and
 * its wake event posted once they are counted for it; NGX_DECLINED
 * (!wait), not now (others wait, or there is not enough).
 */
ngx_int_t ngx_http_vod_upload_buffers_take(
    ngx_http_vod_upload_buffers_waiter_t *w, size_t size, ngx_uint_t wait);

/* size bytes are no longer held: they go to whoever waits */
void ngx_http_vod_upload_buffers_release(ngx_log_t *log, size_t size);

/* free pages of malloc's heap given back, once a second at most */
void ngx_http_vod_upload_buffers_trim(ngx_log_t *log);

/* w wants nothing more: out of the queue, what it was granted given back */
void ngx_http_vod_upload_buffers_leave(
    ngx_http_vod_upload_buffers_waiter_t *w);

/* somebody waits: memory not in use should be given back */
ngx_uint_t ngx_http_vod_upload_buffers_contended(void);

/* address space for a part buffer of size bytes (no memory yet) */
u_char *ngx_http_vod_upload_buffers_map(size_t size, ngx_uint_t huge,
    ngx_log_t *log);
void ngx_http_vod_upload_buffers_unmap(u_char *p, size_t size,
    ngx_log_t *log);

/* the memory of the first size bytes of a buffer dropped (not its space) */
void ngx_http_vod_upload_buffers_drop(u_char *p, size_t size,
    ngx_log_t *log);


#endif /* _NGX_HTTP_VOD_UPLOAD_BUFFERS_H_INCLUDED_ */
