
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 */


#ifndef _NGX_HTTP_VOD_UPLOAD_CALL_H_INCLUDED_
#define _NGX_HTTP_VOD_UPLOAD_CALL_H_INCLUDED_


#include "ngx_http_vod_upload_module.h"


/*
 * A call: one HTTP request to the VOD API or to COS, made by a
 * background subrequest of the client's request with an upstream of
 * the module's own (ngx_http_vod_upload_call.c).  Everything about a call,
 * the subrequest included, lives in the call's own pool, which is
 * destroyed once the call's handler ran.
 */

typedef struct ngx_http_vod_call_s   ngx_http_vod_call_t;
typedef struct ngx_http_vod_calls_s  ngx_http_vod_calls_t;

typedef void (*ngx_http_vod_call_handler_pt)(ngx_http_request_t *r,
    ngx_http_vod_call_t *call);
typedef void (*ngx_http_vod_step_pt)(ngx_http_vod_calls_t *calls);


struct ngx_http_vod_call_s {
    /* the request, set by the caller */
    const char                     *name;         /* "UploadPart", logs */
    ngx_uint_t                      part;         /* part number or 0 */
    ngx_str_t                       method;
    ngx_str_t                       uri;          /* path?query, encoded */
    ngx_str_t                       host;         /* the Host header */
    ngx_keyval_t                    headers[NGX_HTTP_VOD_CALL_HEADERS];
    ngx_uint_t                      nheaders;
    ngx_str_t                       body;         /* may be a part's memory */
    /*
     * streamed: so much of the body is there yet (it grows, see
     * ngx_http_vod_upload_call_more()); NULL: all of it
     */
    size_t                         *body_ready;
    size_t                          response_max;
    ngx_msec_t                      read_timeout; /* if over the conf's */
    unsigned                        cos:1;        /* COS, not the API */
    unsigned                        location:1;   /* a location of nginx's */
    ngx_http_vod_call_handler_pt    handler;
    void                           *data;

    /* the outcome */
    ngx_int_t                       rc;           /* NGX_OK or a 5xx */
    ngx_uint_t                      status;       /* 0: no whole answer */
    ngx_str_t                       etag;
    ngx_str_t                       crc64;
    ngx_str_t                       request_id;   /* x-cos-request-id */
    ngx_str_t                       response;     /* the body */

    /* internal */
    ngx_pool_t                     *pool;
    ngx_http_vod_calls_t           *calls;
    ngx_http_request_t             *sr;
    ngx_http_vod_call_t            *next;
    ngx_queue_t                     queue;
    ngx_http_status_t               status_line;
    ngx_http_chunked_t              chunked;
    off_t                           content_length;
    size_t                          response_size;
    unsigned                        chunked_body:1;
    unsigned                        connection_close:1;
    unsigned                        header_done:1;
    unsigned                        body_done:1;
    unsigned                        finished:1;
    /* streamed: what of the body went to the writer, and stop */
    size_t                          body_queued;
    ngx_buf_t                      *stream_buf;
    unsigned                        stop:1;
    /* the request went out, at least in part: it may have been done */
    unsigned                        sent:1;

    /* for the counters (vod_status), set by the handler */
    unsigned                        retried:1;    /* it goes out again */
    unsigned                        failed:1;     /* the answer was bad */
    unsigned                        expected:1;   /* a 404 that tells */
    ngx_msec_t                      started;
    ngx_msec_t                      duration;
};


/* the calls of one client request */

struct ngx_http_vod_calls_s {
    ngx_http_request_t             *request;
    ngx_http_vod_upload_loc_conf_t *conf;
    ngx_http_vod_step_pt            step;         /* after calls finish */
    void                           *data;         /* the owner's */
    char                           *action;       /* for the error log */

    ngx_queue_t                     live;         /* every call's pool */
    ngx_http_vod_call_t            *done;         /* finished, not handled */
    ngx_http_vod_call_t           **last_done;
    ngx_uint_t                      active;       /* started, not finished */
    ngx_event_t                     wake;

    /* the client went away while calls were under way */
    unsigned                        client_gone:1;
};


ngx_int_t ngx_http_vod_upload_calls_init(ngx_http_request_t *r,
    ngx_http_vod_calls_t *calls, ngx_http_vod_upload_loc_conf_t *conf,
    ngx_http_vod_step_pt step, void *data);
ngx_http_vod_call_t *ngx_http_vod_upload_call_create(
    ngx_http_vod_calls_t *calls, const char *name, ngx_uint_t cos);
ngx_int_t ngx_http_vod_upload_call_header(ngx_http_vod_call_t *call,
    const char *name, ngx_str_t *value);
void ngx_http_vod_upload_calls_enter(ngx_http_vod_calls_t *calls);
void ngx_http_vod_upload_calls_leave(ngx_http_vod_calls_t *calls);
ngx_int_t ngx_http_vod_upload_call_start(ngx_http_vod_call_t *call);
ngx_int_t ngx_http_vod_upload_call_location(ngx_http_vod_call_t *call,
    ngx_str_t *uri);
void ngx_http_vod_upload_call_free(ngx_http_vod_call_t *call);
/* a streamed body: more of it is there; or it will not be (stop) */
void ngx_http_vod_upload_call_more(ngx_http_vod_call_t *call);
void ngx_http_vod_upload_call_stop(ngx_http_vod_call_t *call);
ngx_int_t ngx_http_vod_upload_call_retryable(ngx_http_vod_call_t *call);

/* a request of the module's own, without a client, and its end */
ngx_http_request_t *ngx_http_vod_upload_fake_request(
    ngx_http_conf_ctx_t *cctx, char *action, char *what);
void ngx_http_vod_upload_fake_close(ngx_http_request_t *r, ngx_uint_t cut);


#endif /* _NGX_HTTP_VOD_UPLOAD_CALL_H_INCLUDED_ */
