
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * The one reader of a client's body: uploads and pushed events read
 * through it.  nginx reads the body unbuffered
 * (r->request_body_no_buffering) into its own buffers; the reader hands
 * them to its owner and marks them consumed, so that nginx reuses them.
 * When the owner cannot take more, the buffers stay unconsumed and nginx
 * stops reading the socket: that is the backpressure (TCP flow control,
 * the HTTP/2 window).
 *
 * An owner with a window (a part buffer being filled) has nginx read
 * straight into it: before each read, nginx's buffer (r->request_body->
 * buf) is pointed at the window, so that the bytes handed on are where
 * they go and nobody copies them (HTTP/1.1 reads the socket there; HTTP/2
 * copies a DATA frame's bytes there, as it would into its own buffer).
 * It is pointed back at nginx's own memory whenever the owner has no
 * window and when the reader stops, so that nginx never writes into
 * memory the owner may free.  HTTP/2 may write into the buffer at any
 * time within the window it granted, which is what is left of the window
 * it points at: it is pointed back only when nginx's own buffer holds
 * that much, and otherwise stays where it is (the owner's memory stays
 * mapped until the request is freed, and a part is never begun there
 * again once the owner has no window: see the engine).  So the window a
 * stream is granted is as large as the part has room for, not nginx's
 * own buffer (client_body_buffer_size, http2_body_preread_size).
 */


#include "ngx_http_vod_upload_body.h"


/* nginx's own buffer, once an owner's windows take the bytes (HTTP/1.1) */
#define NGX_HTTP_VOD_BODY_OWN       2048


static void ngx_http_vod_upload_body_handler(ngx_http_request_t *r);
static void ngx_http_vod_upload_body_read_handler(ngx_http_request_t *r);
static void ngx_http_vod_upload_body_pump(ngx_http_request_t *r,
    ngx_http_vod_upload_body_t *body);
static void ngx_http_vod_upload_body_pause(ngx_http_request_t *r,
    ngx_http_vod_upload_body_t *body);
static void ngx_http_vod_upload_body_end(ngx_http_request_t *r,
    ngx_http_vod_upload_body_t *body, ngx_int_t rc);
static ngx_int_t ngx_http_vod_upload_body_aim(ngx_http_request_t *r,
    ngx_http_vod_upload_body_t *body);
static ngx_uint_t ngx_http_vod_upload_body_waiting(ngx_http_request_t *r);
static void ngx_http_vod_upload_body_shrink(ngx_http_request_t *r,
    ngx_http_vod_upload_body_t *body);
static void ngx_http_vod_upload_body_cleanup(void *data);
static size_t ngx_http_vod_upload_body_granted(ngx_http_request_t *r);
static void ngx_http_vod_upload_body_own(ngx_http_request_t *r,
    ngx_http_vod_upload_body_t *body);


ngx_int_t
ngx_http_vod_upload_body_start(ngx_http_request_t *r,
    ngx_http_vod_upload_body_t *body)
{
    ngx_int_t            rc;
    ngx_http_cleanup_t  *cln;

    /*
     * run before the owner's cleanups (added before): nginx's buffer
     * points back at its own memory before the owner's is freed
     */

    if (body->window) {
        cln = ngx_http_cleanup_add(r, 0);
        if (cln == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        cln->handler = ngx_http_vod_upload_body_cleanup;
        cln->data = r;
    }

    body->reading = 1;

    /* an HTTP/2 stream reset meanwhile: what nginx has is not the body */

    if (r->connection->error) {
        ngx_http_vod_upload_body_end(r, body, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return NGX_OK;
    }

    r->request_body_no_buffering = 1;

    rc = ngx_http_read_client_request_body(r,
                                           ngx_http_vod_upload_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        body->reading = 0;
        return rc;
    }

    /* the reference ngx_http_read_client_request_body() took */

    ngx_http_finalize_request(r, NGX_DONE);

    return NGX_OK;
}


/* the first data of the body, or all of it */

static void
ngx_http_vod_upload_body_handler(ngx_http_request_t *r)
{
    ngx_http_vod_upload_body_t  *body;

    body = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    r->read_event_handler = ngx_http_vod_upload_body_read_handler;

    if (body->reading) {
        ngx_http_vod_upload_body_pump(r, body);
    }
}


/*
 * The client's socket.  A client gone (a connection closed, an HTTP/2
 * stream reset) is noticed here even while paused: nginx would take an
 * HTTP/2 reset for the end of a body of unknown length.
 */

static void
ngx_http_vod_upload_body_read_handler(ngx_http_request_t *r)
{
    ngx_http_vod_upload_body_t  *body;

    body = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    if (!body->reading) {
        return;
    }

    if (r->connection->error) {
        ngx_http_vod_upload_body_end(r, body, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    if (body->paused) {

        /*
         * HTTP/2 arms client_body_timeout on every DATA frame, read or
         * not: while the owner is full it must neither fire nor be
         * remembered, or the reading resumed would end with 408
         */

        r->connection->read->timedout = 0;

        if (r->connection->read->timer_set) {
            ngx_del_timer(r->connection->read);
        }

        return;
    }

    ngx_http_vod_upload_body_pump(r, body);
}


/*
 * Hands on what nginx has read, and reads on while the owner takes it.
 * Called from the read handler, or by the owner on resume.
 */

static void
ngx_http_vod_upload_body_pump(ngx_http_request_t *r,
    ngx_http_vod_upload_body_t *body)
{
    size_t        n;
    ngx_buf_t    *b;
    ngx_int_t     rc;
    ngx_chain_t  *cl;

    for ( ;; ) {

        /* what nginx has read: preread with the header, or just now */

        if (body->pending == NULL) {
            body->pending = r->request_body->bufs;
            r->request_body->bufs = NULL;
        }

        while (body->pending) {
            cl = body->pending;
            b = cl->buf;

            if (b->pos == b->last) {
                body->pending = cl->next;
                ngx_free_chain(r->pool, cl);
                continue;
            }

            n = b->last - b->pos;

            if (body->max && body->received + (off_t) n > body->max) {
                ngx_http_vod_upload_body_end(r, body,
                                             NGX_HTTP_REQUEST_ENTITY_TOO_LARGE);
                return;
            }

            if (body->aimed) {
                body->in_place += n;
            }

            rc = body->data(r, b);

            body->received += n - (b->last - b->pos);

            if (rc == NGX_ERROR || !body->reading) {
                return;
            }

            if (rc == NGX_AGAIN) {
                ngx_http_vod_upload_body_pause(r, body);
                return;
            }
        }

        if (!r->reading_body) {
            break;
        }

        if (ngx_http_vod_upload_body_aim(r, body) == NGX_AGAIN) {
            ngx_http_vod_upload_body_pause(r, body);
            return;
        }

        rc = ngx_http_read_unbuffered_request_body(r);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE || rc == NGX_ERROR) {
            ngx_http_vod_upload_body_end(r, body,
                                         rc == NGX_ERROR
                                         ? NGX_HTTP_CLIENT_CLOSED_REQUEST
                                         : rc);
            return;
        }

        if (r->request_body->bufs == NULL && rc == NGX_AGAIN) {
            return;
        }
    }

    ngx_http_vod_upload_body_end(r, body, NGX_OK);
}


/*
 * The owner is full: nginx stops reading the client until it resumes.
 * client_body_timeout must not fire meanwhile.
 */

static void
ngx_http_vod_upload_body_pause(ngx_http_request_t *r,
    ngx_http_vod_upload_body_t *body)
{
    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "vod body: pause reading after %O bytes", body->received);

    body->paused = 1;

    if (r->connection->read->timer_set) {
        ngx_del_timer(r->connection->read);
    }
}


void
ngx_http_vod_upload_body_resume(ngx_http_request_t *r,
    ngx_http_vod_upload_body_t *body)
{
    if (!body->reading || !body->paused) {
        return;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "vod body: resume reading");

    body->paused = 0;
    r->connection->read->timedout = 0;

    /* data may wait in the socket: an edge-triggered event won't say so */

    ngx_http_vod_upload_body_pump(r, body);
}


void
ngx_http_vod_upload_body_stop(ngx_http_request_t *r,
    ngx_http_vod_upload_body_t *body)
{
    body->reading = 0;
    body->paused = 0;

    ngx_http_vod_upload_body_own(r, body);

    r->read_event_handler = ngx_http_block_reading;

    /*
     * nobody reads now: client_body_timeout would mark the connection
     * timed out, and the lingering close after the answer would then
     * reset it instead of letting the client read the answer
     */

    if (r->connection->read->timer_set) {
        ngx_del_timer(r->connection->read);
    }
}


static void
ngx_http_vod_upload_body_end(ngx_http_request_t *r,
    ngx_http_vod_upload_body_t *body, ngx_int_t rc)
{
    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "vod body: %O bytes, %O of them read in place",
                   body->received, body->in_place);

    ngx_http_vod_upload_body_stop(r, body);

    if (rc == NGX_HTTP_CLIENT_CLOSED_REQUEST || r->connection->error) {
        /* the owner's calls and its cleanup need the request alive */
        r->connection->error = 0;
        rc = NGX_HTTP_CLIENT_CLOSED_REQUEST;
    }

    body->end(r, rc);
}


/*
 * Before a read: nginx's buffer at the owner's window, or at nginx's own
 * memory.  Only while nothing read waits in it (every byte handed on was
 * taken, nothing unfiltered): what nginx reads then goes at its start.
 * NGX_AGAIN: the owner cannot take more.
 */

static ngx_int_t
ngx_http_vod_upload_body_aim(ngx_http_request_t *r,
    ngx_http_vod_upload_body_t *body)
{
    size_t                    n;
    u_char                   *p;
    ngx_buf_t                *b;
    ngx_int_t                 rc;
    ngx_chain_t              *cl;
    ngx_http_request_body_t  *rb;

    rb = r->request_body;

    if (body->window == NULL || rb == NULL || rb->buf == NULL) {
        return NGX_OK;
    }

    b = rb->buf;

    if (b->pos != b->last) {
        return NGX_OK;
    }

    for (cl = rb->busy; cl; cl = cl->next) {
        if (cl->buf->pos != cl->buf->last) {
            return NGX_OK;
        }
    }

    if (body->own_start == NULL) {
        body->own_start = b->start;
        body->own_end = b->end;
    }

    rc = body->window(r, &p, &n, ngx_http_vod_upload_body_waiting(r));

    /*
     * no window, or (HTTP/2, where nginx grants the client as much window
     * as its buffer holds and copies DATA into it as frames come) one
     * that does not hold what was granted and not yet received
     */

    if (rc != NGX_OK || n == 0 || n < ngx_http_vod_upload_body_granted(r)) {
        ngx_http_vod_upload_body_own(r, body);
        return (rc == NGX_AGAIN) ? NGX_AGAIN : NGX_OK;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "vod body: read into %p, %uz bytes", p, n);

    if (!body->shrunk) {
        body->shrunk = 1;
        ngx_http_vod_upload_body_shrink(r, body);
    }

    b->start = p;
    b->pos = p;
    b->last = p;
    b->end = p + n;

    body->aimed = 1;

    return NGX_OK;
}


/*
 * Bytes of the body wait to be read: in the socket (HTTP/1.1, asked of
 * the kernel: the read event's ready flag stays set after a read that
 * filled what it was given), or may come unasked within the window
 * granted (HTTP/2).  When not known, no: the bytes then go through
 * nginx's buffer.
 */

static ngx_uint_t
ngx_http_vod_upload_body_waiting(ngx_http_request_t *r)
{
#if (NGX_HAVE_FIONREAD)
    int                 n;
#endif
    ngx_connection_t   *c;

#if (NGX_HTTP_V2)
    if (r->stream) {
        return !r->stream->in_closed;
    }
#endif

    c = r->connection;

    if (!c->read->ready) {
        return 0;
    }

#if (NGX_HAVE_FIONREAD)
    if (ngx_socket_nread(c->fd, &n) == -1) {
        return 0;
    }

    return n > 0;
#else
    return 1;
#endif
}


/*
 * Once the owner's windows take the bytes, nginx's own buffer
 * (client_body_buffer_size; HTTP/2: at least http2_body_preread_size)
 * only takes what the owner does not place (bytes nobody waited for
 * yet): a small one will do, and thousands of slow uploads do not each
 * hold client_body_buffer_size.  Not before the first window (a form's
 * fields and cover come in nginx's buffer), and only a buffer that is an
 * allocation of its own (not header_in's room).  HTTP/2 windows are the
 * owner's then; nginx's buffer is pointed back at only when it holds
 * what was granted (ngx_http_vod_upload_body_own()).
 */

static void
ngx_http_vod_upload_body_shrink(ngx_http_request_t *r,
    ngx_http_vod_upload_body_t *body)
{
    u_char            *p;
    ngx_pool_large_t  *l;

    if ((size_t) (body->own_end - body->own_start) <= NGX_HTTP_VOD_BODY_OWN) {
        return;
    }

    for (l = r->pool->large; l; l = l->next) {
        if (l->alloc == body->own_start) {
            break;
        }
    }

    if (l == NULL) {
        return;
    }

    p = ngx_palloc(r->pool, NGX_HTTP_VOD_BODY_OWN);
    if (p == NULL) {
        return;
    }

    (void) ngx_pfree(r->pool, body->own_start);

    body->own_start = p;
    body->own_end = p + NGX_HTTP_VOD_BODY_OWN;
}


static void
ngx_http_vod_upload_body_cleanup(void *data)
{
    ngx_http_request_t *r = data;

    ngx_http_vod_upload_body_t  *body;

    body = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    if (body) {
        ngx_http_vod_upload_body_own(r, body);
    }
}


/*
 * HTTP/2: the bytes the client may still send without a new window: what
 * nginx granted and has not received (the frame being read included).
 * HTTP/1.1: none arrive unless read.
 */

static size_t
ngx_http_vod_upload_body_granted(ngx_http_request_t *r)
{
#if (NGX_HTTP_V2)
    size_t                 granted;
    ngx_http_v2_stream_t  *stream;

    stream = r->stream;

    if (stream) {
        granted = stream->recv_window > 0 ? (size_t) stream->recv_window : 0;

        if (stream->connection->state.stream == stream) {
            granted += stream->connection->state.length;
        }

        return granted;
    }
#endif

    return 0;
}


/*
 * nginx's buffer back at its own memory (nothing in it is wanted), if it
 * holds what the client may still send; otherwise it stays at the
 * owner's (see the top of this file).
 */

static void
ngx_http_vod_upload_body_own(ngx_http_request_t *r,
    ngx_http_vod_upload_body_t *body)
{
    ngx_buf_t  *b;

    if (!body->aimed
        || ngx_http_vod_upload_body_granted(r)
           > (size_t) (body->own_end - body->own_start))
    {
        return;
    }

    body->aimed = 0;

    b = r->request_body->buf;

    b->start = body->own_start;
    b->pos = body->own_start;
    b->last = body->own_start;
    b->end = body->own_end;
}


ngx_uint_t
ngx_http_vod_upload_body_reading(ngx_http_request_t *r)
{
    ngx_http_vod_upload_body_t  *body;

    body = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    return body && body->reading && !body->paused;
}


void
ngx_http_vod_upload_body_error(ngx_int_t rc, const char **code,
    ngx_str_t *message)
{
    switch (rc) {

    case NGX_HTTP_CLIENT_CLOSED_REQUEST:
        *code = "ClientClosedRequest";
        ngx_str_set(message, "the client closed the connection");
        return;

    case NGX_HTTP_REQUEST_TIME_OUT:
        *code = "RequestTimeout";
        ngx_str_set(message, "the client sent no data for "
                             "client_body_timeout");
        return;

    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
        *code = "EntityTooLarge";
        ngx_str_set(message, "the body is larger than client_max_body_size");
        return;

    case NGX_HTTP_BAD_REQUEST:
        *code = "InvalidBody";
        ngx_str_set(message, "the body is malformed (invalid chunked "
                             "encoding)");
        return;

    default:
        *code = "InternalError";
        ngx_str_set(message, "the body could not be read");
        return;
    }
}
