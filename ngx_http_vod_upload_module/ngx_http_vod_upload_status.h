
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 */


#ifndef _NGX_HTTP_VOD_UPLOAD_STATUS_H_INCLUDED_
#define _NGX_HTTP_VOD_UPLOAD_STATUS_H_INCLUDED_


#include "ngx_http_vod_upload_module.h"
#include "ngx_vod_metrics.h"


/*
 * The module's counters (ngx_http_vod_upload_status.c): in a shared zone
 * every worker adds to, kept across reloads, answered by vod_status.
 * NULL in a worker whose configuration has no vod_status: then nothing
 * is counted.
 */

extern ngx_vod_metrics_t  *ngx_http_vod_upload_metrics;


#define ngx_http_vod_upload_count(field, n)                                  \
    do {                                                                     \
        if (ngx_http_vod_upload_metrics) {                                   \
            (void) __atomic_fetch_add(&ngx_http_vod_upload_metrics->field,   \
                                      (n), __ATOMIC_RELAXED);                \
        }                                                                    \
    } while (0)


/* the zone, created with the first vod_status location */
ngx_int_t ngx_http_vod_upload_status_zone(ngx_conf_t *cf);

/* a worker's counters: its configuration's zone, or none; and its end */
void ngx_http_vod_upload_status_init_process(ngx_cycle_t *cycle);
void ngx_http_vod_upload_status_exit_process(ngx_cycle_t *cycle);

/* the header filter and log phase handler that count what was answered */
ngx_int_t ngx_http_vod_upload_status_init(ngx_conf_t *cf);

/* the content handler of vod_status */
ngx_int_t ngx_http_vod_upload_status_handler(ngx_http_request_t *r);

/*
 * An upload request being relayed: in vod_uploads_in_flight and in the
 * list of ?uploads until its pool goes.  The entry (NULL when the list
 * is full or nothing is counted) is its owner's to update.
 */
ngx_vod_metrics_upload_t *ngx_http_vod_upload_status_begin(
    ngx_http_request_t *r, ngx_uint_t protocol, off_t length);

/* a finished call to COS or the API: its result and duration */
void ngx_http_vod_upload_status_call(const char *name, ngx_uint_t cos,
    ngx_uint_t result, ngx_msec_t duration, size_t sent);

/* an event's outcome (type as VOD named it, empty if none was read) */
void ngx_http_vod_upload_status_event(ngx_str_t *type, ngx_uint_t result);


#endif /* _NGX_HTTP_VOD_UPLOAD_STATUS_H_INCLUDED_ */
