
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 */


#ifndef _NGX_HTTP_VOD_UPLOAD_BODY_H_INCLUDED_
#define _NGX_HTTP_VOD_UPLOAD_BODY_H_INCLUDED_


#include "ngx_http_vod_upload_module.h"


/*
 * The one reader of a client's body (ngx_http_vod_upload_body.c): read
 * unbuffered, as it arrives, handed on buffer by buffer; paused while
 * the owner cannot take more (nginx then stops reading the socket, and
 * client_body_timeout does not run), resumed by the owner.  The same for
 * Content-Length, chunked and HTTP/2 bodies.
 *
 * The module's context of a main request that reads a body begins with
 * its ngx_http_vod_upload_body_t: that is how the read handler finds it.
 */

typedef struct ngx_http_vod_upload_body_s  ngx_http_vod_upload_body_t;

/*
 * Data: the owner takes what it can of b (moves b->pos); NGX_OK: go on
 * reading; NGX_AGAIN: stop until ngx_http_vod_upload_body_resume() (what
 * is left in b waits); NGX_ERROR: the owner failed and stops the reader.
 */
typedef ngx_int_t (*ngx_http_vod_upload_body_data_pt)(ngx_http_request_t *r,
    ngx_buf_t *b);

/*
 * The end: NGX_OK when the whole body was handed on, otherwise why not:
 * NGX_HTTP_REQUEST_TIME_OUT (client_body_timeout), _ENTITY_TOO_LARGE
 * (over max), _BAD_REQUEST (malformed chunked framing),
 * NGX_HTTP_CLIENT_CLOSED_REQUEST (the client went away; the connection
 * is kept usable for the owner's calls), _INTERNAL_SERVER_ERROR.
 * Called once, never for a reader stopped by its owner.
 */
typedef void (*ngx_http_vod_upload_body_end_pt)(ngx_http_request_t *r,
    ngx_int_t rc);

/*
 * Where the owner wants the next bytes (optional): NGX_OK, *p and *n are
 * free memory of the owner's (a part buffer) that nginx may read into,
 * so that the bytes handed on are already where they go (b->pos == *p);
 * NGX_DECLINED, nginx reads into its own buffer; NGX_AGAIN, the owner
 * cannot take more now (the reader pauses, as for data's NGX_AGAIN).
 * waiting: bytes are known to wait (an owner may take memory for them
 * only then).  The memory must stay the owner's while the reader is not
 * stopped.
 */
typedef ngx_int_t (*ngx_http_vod_upload_body_window_pt)(ngx_http_request_t *r,
    u_char **p, size_t *n, ngx_uint_t waiting);


struct ngx_http_vod_upload_body_s {
    ngx_http_vod_upload_body_data_pt  data;
    ngx_http_vod_upload_body_end_pt   end;
    ngx_http_vod_upload_body_window_pt  window;   /* NULL: nginx's buffer */
    off_t                             max;        /* 0: no limit */

    off_t                             received;
    ngx_chain_t                      *pending;    /* read, not handed on */

    /* nginx's own buffer, while its ngx_buf_t points into the owner's */
    u_char                           *own_start;
    u_char                           *own_end;
    off_t                             in_place;   /* bytes read so */
    unsigned                          reading:1;  /* started, not ended */
    unsigned                          paused:1;
    unsigned                          aimed:1;    /* at the owner's */
    unsigned                          shrunk:1;
};


/* starts reading: NGX_OK, or an HTTP status at once (413, 400, 500) */
ngx_int_t ngx_http_vod_upload_body_start(ngx_http_request_t *r,
    ngx_http_vod_upload_body_t *body);

/* the owner can take more: reads on (data may wait in the socket) */
void ngx_http_vod_upload_body_resume(ngx_http_request_t *r,
    ngx_http_vod_upload_body_t *body);

/* the owner failed: nothing more is read or handed on */
void ngx_http_vod_upload_body_stop(ngx_http_request_t *r,
    ngx_http_vod_upload_body_t *body);

/* the body is being read and not paused: client_body_timeout applies */
ngx_uint_t ngx_http_vod_upload_body_reading(ngx_http_request_t *r);

/* the code and the message of a reason ngx_http_vod_upload_body_end_pt got */
void ngx_http_vod_upload_body_error(ngx_int_t rc, const char **code,
    ngx_str_t *message);


#endif /* _NGX_HTTP_VOD_UPLOAD_BODY_H_INCLUDED_ */
