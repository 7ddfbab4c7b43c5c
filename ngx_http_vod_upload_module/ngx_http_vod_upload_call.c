
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * Calls: HTTP/1.1 requests to the VOD API and to COS through nginx's
 * upstream machinery.  Each call is a background subrequest of the
 * client's request with an upstream whose callbacks are below, in the
 * order nginx calls them (as in ngx_http_memcached_module.c).  See
 * docs/architecture.md for why the subrequest lives in a pool of its
 * own and how finished calls get back to the client's request.
 */


#include "ngx_http_vod_upload_call.h"
#include "ngx_http_vod_upload_body.h"
#include "ngx_http_vod_upload_status.h"
#include "ngx_vod_http.h"


static void ngx_http_vod_call_run(ngx_http_request_t *sr);
static ngx_int_t ngx_http_vod_call_create_request(ngx_http_request_t *sr);
static ngx_int_t ngx_http_vod_call_stream(void *data, ngx_chain_t *in);
static ngx_int_t ngx_http_vod_call_reinit_request(ngx_http_request_t *sr);
static ngx_int_t ngx_http_vod_call_process_status_line(
    ngx_http_request_t *sr);
static ngx_int_t ngx_http_vod_call_process_header(ngx_http_request_t *sr);
static ngx_int_t ngx_http_vod_call_filter_init(void *data);
static ngx_int_t ngx_http_vod_call_filter(void *data, ssize_t bytes);
static ngx_int_t ngx_http_vod_call_keep(ngx_http_vod_call_t *call,
    u_char *p, size_t len);
static void ngx_http_vod_call_abort_request(ngx_http_request_t *sr);
static void ngx_http_vod_call_finalize_request(ngx_http_request_t *sr,
    ngx_int_t rc);
static ngx_int_t ngx_http_vod_call_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc);
static void ngx_http_vod_calls_wake(ngx_event_t *ev);
static void ngx_http_vod_call_count(ngx_http_vod_call_t *call);
static void ngx_http_vod_calls_cleanup(void *data);
static ngx_http_variable_value_t *ngx_http_vod_call_variables(
    ngx_http_vod_call_t *call, ngx_http_request_t *r);
static void ngx_http_vod_call_method(ngx_http_vod_call_t *call,
    ngx_http_request_t *sr);
static ngx_http_headers_in_t *ngx_http_vod_call_headers_in(
    ngx_http_vod_call_t *call);


/* a request of the module's own: its log context */

typedef struct {
    ngx_http_log_ctx_t          lctx;
    char                       *what;
} ngx_http_vod_fake_log_t;


static u_char *ngx_http_vod_fake_log_error(ngx_log_t *log, u_char *buf,
    size_t len);
static void ngx_http_vod_fake_free_connection(ngx_connection_t *c);


ngx_int_t
ngx_http_vod_upload_calls_init(ngx_http_request_t *r,
    ngx_http_vod_calls_t *calls, ngx_http_vod_upload_loc_conf_t *conf,
    ngx_http_vod_step_pt step, void *data)
{
    ngx_http_cleanup_t  *cln;

    /* the first cleanup added runs last: after the upstreams' own */

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_vod_calls_cleanup;
    cln->data = calls;

    calls->request = r;
    calls->conf = conf;
    calls->step = step;
    calls->data = data;
    calls->action = "uploading to VOD";
    calls->last_done = &calls->done;

    ngx_queue_init(&calls->live);

    calls->wake.handler = ngx_http_vod_calls_wake;
    calls->wake.data = calls;
    calls->wake.log = r->connection->log;

    return NGX_OK;
}


ngx_http_vod_call_t *
ngx_http_vod_upload_call_create(ngx_http_vod_calls_t *calls, const char *name,
    ngx_uint_t cos)
{
    ngx_pool_t           *pool;
    ngx_http_vod_call_t  *call;

    pool = ngx_create_pool(4096, calls->request->connection->log);
    if (pool == NULL) {
        return NULL;
    }

    call = ngx_pcalloc(pool, sizeof(ngx_http_vod_call_t));
    if (call == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    call->pool = pool;
    call->calls = calls;
    call->name = name;
    call->cos = cos;
    call->content_length = -1;
    call->response_max = 64 * 1024;

    ngx_queue_insert_tail(&calls->live, &call->queue);

    return call;
}


ngx_int_t
ngx_http_vod_upload_call_header(ngx_http_vod_call_t *call, const char *name,
    ngx_str_t *value)
{
    ngx_keyval_t  *h;

    if (call->nheaders == NGX_HTTP_VOD_CALL_HEADERS) {
        return NGX_ERROR;
    }

    h = &call->headers[call->nheaders++];

    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value = *value;

    return NGX_OK;
}


/*
 * Starts a call as a background subrequest.  The subrequest and what
 * ngx_http_subrequest() allocates for it go to the call's pool, so that
 * nothing of a finished call stays in the client request's pool.
 */

ngx_int_t
ngx_http_vod_upload_call_start(ngx_http_vod_call_t *call)
{
    ngx_int_t                    rc;
    ngx_pool_t                  *pool;
    ngx_http_request_t          *r, *sr;
    ngx_http_variable_value_t   *vars;
    ngx_http_post_subrequest_t  *ps;

    r = call->calls->request;

    /* all that may fail first: once made, a subrequest cannot be undone */

    ps = ngx_palloc(call->pool, sizeof(ngx_http_post_subrequest_t));
    vars = ngx_http_vod_call_variables(call, r);

    if (ps == NULL || vars == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_vod_call_done;
    ps->data = call;

    pool = r->pool;
    r->pool = call->pool;

    rc = ngx_http_subrequest(r, &r->uri, NULL, &sr, ps,
                             NGX_HTTP_SUBREQUEST_IN_MEMORY
                             |NGX_HTTP_SUBREQUEST_BACKGROUND
                             |NGX_HTTP_SUBREQUEST_CLONE);

    r->pool = pool;

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    sr->variables = vars;
    ngx_http_vod_call_method(call, sr);

    /* the call sends its own body; no phases run for it */

    sr->request_body = NULL;
    sr->write_event_handler = ngx_http_vod_call_run;

    ngx_http_set_ctx(sr, call, ngx_http_vod_upload_module);

    call->sr = sr;
    call->calls->active++;
    call->started = ngx_current_msec;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "vod call %s %ui start: %V", call->name, call->part,
                   &call->uri);

    return NGX_OK;
}


/*
 * A call to a location of this nginx (vod_callback_pass): a background
 * subrequest, in the call's pool as above, that runs the location's
 * phases and handlers (proxy_pass, typically) with call->body as its
 * request body and request headers of its own: Content-Type,
 * Content-Length and call->headers, nothing of the parent's.  Only the
 * status of the answer is kept (the body is not read).
 */

ngx_int_t
ngx_http_vod_upload_call_location(ngx_http_vod_call_t *call, ngx_str_t *uri)
{
    ngx_int_t                    rc;
    ngx_buf_t                   *b;
    ngx_pool_t                  *pool;
    ngx_chain_t                 *cl;
    ngx_http_request_t          *r, *sr;
    ngx_http_headers_in_t       *hin;
    ngx_http_request_body_t     *rb;
    ngx_http_variable_value_t   *vars;
    ngx_http_post_subrequest_t  *ps;

    r = call->calls->request;

    ngx_str_set(&call->method, "POST");

    /* all that may fail first: once made, a subrequest cannot be undone */

    ps = ngx_palloc(call->pool, sizeof(ngx_http_post_subrequest_t));
    rb = ngx_pcalloc(call->pool, sizeof(ngx_http_request_body_t));
    b = ngx_calloc_buf(call->pool);
    cl = ngx_alloc_chain_link(call->pool);
    vars = ngx_http_vod_call_variables(call, r);
    hin = ngx_http_vod_call_headers_in(call);

    if (ps == NULL || rb == NULL || b == NULL || cl == NULL || vars == NULL
        || hin == NULL)
    {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_vod_call_done;
    ps->data = call;

    b->memory = 1;
    b->start = call->body.data;
    b->pos = call->body.data;
    b->last = call->body.data + call->body.len;
    b->end = b->last;
    b->last_buf = 1;

    cl->buf = b;
    cl->next = NULL;

    rb->bufs = cl;

    pool = r->pool;
    r->pool = call->pool;

    rc = ngx_http_subrequest(r, uri, NULL, &sr, ps,
                             NGX_HTTP_SUBREQUEST_BACKGROUND);

    r->pool = pool;

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    sr->variables = vars;
    ngx_http_vod_call_method(call, sr);

    /* the status is what counts: the answer's body is not read */
    sr->header_only = 1;

    sr->request_body = rb;

    /* a list of one part: its "last" points into the struct itself */

    sr->headers_in = *hin;
    sr->headers_in.headers.last = &sr->headers_in.headers.part;

    call->sr = sr;
    call->location = 1;
    call->calls->active++;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "vod call %s start: location \"%V\"", call->name, uri);

    return NGX_OK;
}


/*
 * The request headers of a call to a location: Content-Type,
 * Content-Length and call->headers, in a list of one part.
 */

static ngx_http_headers_in_t *
ngx_http_vod_call_headers_in(ngx_http_vod_call_t *call)
{
    u_char                 *p;
    ngx_uint_t              i;
    ngx_keyval_t            std[2];
    ngx_table_elt_t        *h;
    ngx_http_headers_in_t  *hin;

    hin = ngx_pcalloc(call->pool, sizeof(ngx_http_headers_in_t));
    p = ngx_pnalloc(call->pool, NGX_SIZE_T_LEN);

    if (hin == NULL || p == NULL
        || ngx_list_init(&hin->headers, call->pool, call->nheaders + 2,
                         sizeof(ngx_table_elt_t))
           != NGX_OK)
    {
        return NULL;
    }

    ngx_str_set(&std[0].key, "Content-Type");
    ngx_str_set(&std[0].value, "application/json");
    ngx_str_set(&std[1].key, "Content-Length");
    std[1].value.data = p;
    std[1].value.len = ngx_sprintf(p, "%uz", call->body.len) - p;

    for (i = 0; i < call->nheaders + 2; i++) {
        h = ngx_list_push(&hin->headers);
        if (h == NULL) {
            return NULL;
        }

        if (i < 2) {
            h->key = std[i].key;
            h->value = std[i].value;

        } else {
            h->key = call->headers[i - 2].key;
            h->value = call->headers[i - 2].value;
        }

        h->lowcase_key = ngx_pnalloc(call->pool, h->key.len);
        if (h->lowcase_key == NULL) {
            return NULL;
        }

        h->hash = ngx_hash_strlow(h->lowcase_key, h->key.data, h->key.len);

        if (i == 0) {
            hin->content_type = h;

        } else if (i == 1) {
            hin->content_length = h;
        }
    }

    hin->content_length_n = call->body.len;
    hin->keep_alive_n = -1;

    return hin;
}


/*
 * What a subrequest must not share with its parent: the variables (their
 * values would be cached in the parent's array from the call's pool, and
 * read after the pool is gone) and the method, which is the call's own
 * (nginx does not send a POST to another server once it was sent).
 */

static ngx_http_variable_value_t *
ngx_http_vod_call_variables(ngx_http_vod_call_t *call, ngx_http_request_t *r)
{
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_core_module);

    return ngx_pcalloc(call->pool, cmcf->variables.nelts
                                   * sizeof(ngx_http_variable_value_t));
}


static void
ngx_http_vod_call_method(ngx_http_vod_call_t *call, ngx_http_request_t *sr)
{
    sr->method_name = call->method;

    switch (call->method.len) {

    case 3:
        sr->method = (call->method.data[0] == 'P') ? NGX_HTTP_PUT
                                                    : NGX_HTTP_GET;
        break;

    case 4:
        sr->method = (call->method.data[0] == 'P') ? NGX_HTTP_POST
                                                    : NGX_HTTP_HEAD;
        break;

    case 6:
        sr->method = NGX_HTTP_DELETE;
        break;

    default:
        sr->method = NGX_HTTP_UNKNOWN;
        break;
    }
}


void
ngx_http_vod_upload_call_free(ngx_http_vod_call_t *call)
{
    ngx_queue_remove(&call->queue);
    ngx_destroy_pool(call->pool);
}


/* a transport error, a timeout or a 5xx: worth another try */

ngx_int_t
ngx_http_vod_upload_call_retryable(ngx_http_vod_call_t *call)
{
    return call->rc != NGX_OK || call->status >= NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/* the subrequest's first and only run: set up its upstream and go */

static void
ngx_http_vod_call_run(ngx_http_request_t *sr)
{
    ngx_str_t                       *host;
    ngx_connection_t                *c;
    ngx_http_upstream_t             *u;
    ngx_http_vod_call_t             *call;
    ngx_http_vod_calls_t            *calls;
    ngx_http_vod_endpoint_t         *ep;
    ngx_http_core_loc_conf_t        *clcf;
    ngx_http_upstream_conf_t        *ucf;
    ngx_http_vod_upload_loc_conf_t  *conf;

    sr->write_event_handler = ngx_http_request_empty_handler;

    call = ngx_http_get_module_ctx(sr, ngx_http_vod_upload_module);
    calls = call->calls;
    conf = calls->conf;

    if (ngx_http_upstream_create(sr) != NGX_OK) {
        ngx_http_finalize_request(sr, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    u = sr->upstream;

    if (call->cos) {
        u->conf = &conf->cos_upstream;
        ep = conf->cos_endpoint;

    } else {
        u->conf = &conf->api_upstream;
        ep = conf->api_endpoint;
    }

    /* a call that waits longer than the others (a long poll) */

    /*
     * ... or a body sent as it comes: it waits for the client too, whose
     * pauses are client_body_timeout's to judge, not COS's
     */

    clcf = ngx_http_get_module_loc_conf(calls->request, ngx_http_core_module);

    if (call->read_timeout > u->conf->read_timeout || call->body_ready) {
        ucf = ngx_palloc(sr->pool, sizeof(ngx_http_upstream_conf_t));
        if (ucf == NULL) {
            ngx_http_finalize_request(sr, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        *ucf = *u->conf;
        ucf->read_timeout = ngx_max(call->read_timeout, ucf->read_timeout);

        if (call->body_ready) {
            ucf->send_timeout += clcf->client_body_timeout;
        }

        u->conf = ucf;
    }

    if (ep && ep->upstream) {
        u->upstream = ep->upstream;

    } else {
        /* the real host, resolved at run time */

        u->resolved = ngx_pcalloc(sr->pool,
                                  sizeof(ngx_http_upstream_resolved_t));
        if (u->resolved == NULL) {
            ngx_http_finalize_request(sr, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        /* nginx's resolver lower-cases the name in place: a copy */

        host = ep ? &ep->host : &call->host;

        u->resolved->host.data = ngx_pstrdup(sr->pool, host);
        if (u->resolved->host.data == NULL) {
            ngx_http_finalize_request(sr, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        u->resolved->host.len = host->len;
        u->resolved->port = ep ? ep->port : 443;
    }

#if (NGX_HTTP_SSL)
    u->ssl = (ep == NULL || ep->ssl);
#endif

    if (ep == NULL || ep->ssl) {
        ngx_str_set(&u->schema, "https://");

    } else {
        ngx_str_set(&u->schema, "http://");
    }

    u->output.tag = (ngx_buf_tag_t) &ngx_http_vod_upload_module;

    u->create_request = ngx_http_vod_call_create_request;
    u->reinit_request = ngx_http_vod_call_reinit_request;
    u->process_header = ngx_http_vod_call_process_status_line;
    u->abort_request = ngx_http_vod_call_abort_request;
    u->finalize_request = ngx_http_vod_call_finalize_request;

    u->input_filter_init = ngx_http_vod_call_filter_init;
    u->input_filter = ngx_http_vod_call_filter;
    u->input_filter_ctx = call;

    /* a body sent as it comes: the writer is fed by the call */

    if (call->body_ready) {
        u->output.output_filter = ngx_http_vod_call_stream;
        u->output.filter_ctx = call;
    }

    ngx_http_upstream_init(sr);

    /*
     * ngx_http_upstream_init() deletes the client connection's read timer
     * (HTTP/1.x): arm client_body_timeout again while the body is read
     */

    c = calls->request->connection;

    if (ngx_http_vod_upload_body_reading(calls->request)
        && !c->read->timer_set && !c->error
        && calls->request->stream == NULL)
    {
        ngx_add_timer(c->read, clcf->client_body_timeout);
    }
}


static ngx_int_t
ngx_http_vod_call_create_request(ngx_http_request_t *sr)
{
    size_t                len;
    ngx_buf_t            *b, *body;
    ngx_uint_t            i;
    ngx_chain_t          *cl;
    ngx_http_vod_call_t  *call;

    call = ngx_http_get_module_ctx(sr, ngx_http_vod_upload_module);

    len = call->method.len + 1 + call->uri.len + sizeof(" HTTP/1.1" CRLF) - 1
          + sizeof("Host: " CRLF) - 1 + call->host.len
          + sizeof("Content-Length: " CRLF) - 1 + NGX_OFF_T_LEN
          + sizeof(CRLF) - 1;

    for (i = 0; i < call->nheaders; i++) {
        len += call->headers[i].key.len + sizeof(": " CRLF) - 1
               + call->headers[i].value.len;
    }

    b = ngx_create_temp_buf(sr->pool, len);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->last = ngx_sprintf(b->last, "%V %V HTTP/1.1" CRLF "Host: %V" CRLF,
                          &call->method, &call->uri, &call->host);

    for (i = 0; i < call->nheaders; i++) {
        b->last = ngx_sprintf(b->last, "%V: %V" CRLF,
                              &call->headers[i].key, &call->headers[i].value);
    }

    if (call->body.len || call->method.data[0] == 'P') {
        b->last = ngx_sprintf(b->last, "Content-Length: %uz" CRLF,
                              call->body.len);
    }

    *b->last++ = CR; *b->last++ = LF;

    /* what is handed on goes out (TLS: not kept for a full record) */
    b->flush = 1;

    cl = ngx_alloc_chain_link(sr->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    sr->upstream->request_bufs = cl;

    if (call->body.len == 0 || call->body_ready) {
        return NGX_OK;
    }

    /* the body is sent from where it is, a part's buffer say */

    body = ngx_calloc_buf(sr->pool);
    if (body == NULL) {
        return NGX_ERROR;
    }

    body->memory = 1;
    body->flush = 1;
    body->start = call->body.data;
    body->pos = call->body.data;
    body->last = call->body.data + call->body.len;
    body->end = body->last;

    cl->next = ngx_alloc_chain_link(sr->pool);
    if (cl->next == NULL) {
        return NGX_ERROR;
    }

    cl->next->buf = body;
    cl->next->next = NULL;

    return NGX_OK;
}


/*
 * The writer of a streamed body (u->output's filter): the request's head,
 * then the body's bytes as they come.  NGX_AGAIN until all of them went
 * out: nginx's upstream then waits for the connection's write event,
 * which ngx_http_vod_upload_call_more() posts when more bytes are there.
 */

static ngx_int_t
ngx_http_vod_call_stream(void *data, ngx_chain_t *in)
{
    ngx_http_vod_call_t *call = data;

    size_t                ready;
    ngx_int_t             rc;
    ngx_buf_t            *b;
    ngx_chain_t          *out, *cl, *ln, **ll;
    ngx_http_request_t   *sr;

    sr = call->sr;

    /*
     * stopped (the upload failed): the call ends here, with no other
     * server tried and none marked failed
     */

    if (call->stop) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                       "vod call %s: the stream stops", call->name);
        return NGX_HTTP_CLIENT_CLOSED_REQUEST;
    }

    /* in is the head (request_bufs): its links stay as they are */

    out = NULL;
    ll = &out;

    for ( /* void */ ; in; in = in->next) {
        cl = ngx_alloc_chain_link(sr->pool);
        if (cl == NULL) {
            return NGX_ERROR;
        }

        cl->buf = in->buf;
        *ll = cl;
        ll = &cl->next;
    }

    /*
     * the bytes that came since: one buf, which grows while the writer
     * holds it and covers the new bytes once the writer let it go
     */

    ready = ngx_min(*call->body_ready, call->body.len);
    b = call->stream_buf;

    if (ready > call->body_queued) {

        if (b == NULL) {
            b = ngx_calloc_buf(sr->pool);
            if (b == NULL) {
                return NGX_ERROR;
            }

            b->memory = 1;
            b->flush = 1;
            call->stream_buf = b;
        }

        if (b->pos == b->last) {
            b->start = call->body.data + call->body_queued;
            b->pos = b->start;

            cl = ngx_alloc_chain_link(sr->pool);
            if (cl == NULL) {
                return NGX_ERROR;
            }

            cl->buf = b;
            *ll = cl;
            ll = &cl->next;
        }

        b->last = call->body.data + ready;
        b->end = b->last;

        call->body_queued = ready;
    }

    *ll = NULL;

    rc = ngx_chain_writer(&sr->upstream->writer, out);

    /* the writer has links of its own */

    for (cl = out; cl; /* void */) {
        ln = cl;
        cl = cl->next;
        ngx_free_chain(sr->pool, ln);
    }

    if (rc == NGX_OK && call->body_queued < call->body.len) {
        return NGX_AGAIN;
    }

    return rc;
}


void
ngx_http_vod_upload_call_more(ngx_http_vod_call_t *call)
{
    ngx_connection_t  *c;

    if (call->finished || call->sr == NULL || call->sr->upstream == NULL) {
        return;
    }

    c = call->sr->upstream->peer.connection;

    /* not connected yet, or not writable: its write event comes anyway */

    if (c && c->write->ready) {
        ngx_post_event(c->write, &ngx_posted_events);
    }
}


void
ngx_http_vod_upload_call_stop(ngx_http_vod_call_t *call)
{
    call->stop = 1;
    ngx_http_vod_upload_call_more(call);
}


/* another try with the next server of an upstream{} */

static ngx_int_t
ngx_http_vod_call_reinit_request(ngx_http_request_t *sr)
{
    ngx_http_vod_call_t  *call;

    call = ngx_http_get_module_ctx(sr, ngx_http_vod_upload_module);

    /* nginx tries the next server: the last try went out */
    if (sr->upstream->request_sent) {
        call->sent = 1;
    }

    sr->state = 0;

    /* a streamed body goes again from its first byte */

    call->body_queued = 0;

    if (call->stream_buf) {
        call->stream_buf->pos = call->stream_buf->last;
    }

    ngx_memzero(&call->status_line, sizeof(ngx_http_status_t));
    ngx_memzero(&call->chunked, sizeof(ngx_http_chunked_t));

    call->content_length = -1;
    call->chunked_body = 0;
    call->connection_close = 0;
    call->header_done = 0;
    call->body_done = 0;
    call->response.len = 0;
    ngx_str_null(&call->etag);
    ngx_str_null(&call->crc64);
    ngx_str_null(&call->request_id);

    sr->upstream->process_header = ngx_http_vod_call_process_status_line;

    return NGX_OK;
}


static ngx_int_t
ngx_http_vod_call_process_status_line(ngx_http_request_t *sr)
{
    ngx_int_t             rc;
    ngx_http_upstream_t  *u;
    ngx_http_vod_call_t  *call;

    call = ngx_http_get_module_ctx(sr, ngx_http_vod_upload_module);
    u = sr->upstream;

    rc = ngx_http_parse_status_line(sr, &u->buffer, &call->status_line);

    if (rc == NGX_AGAIN) {
        return rc;
    }

    if (rc == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                      "vod %s: the %s answer has no valid HTTP status line",
                      call->name, call->cos ? "COS" : "VOD API");
        return NGX_HTTP_UPSTREAM_INVALID_HEADER;
    }

    if (u->state && u->state->status == 0) {
        u->state->status = call->status_line.code;
    }

    u->headers_in.status_n = call->status_line.code;

    if (call->status_line.http_version < NGX_HTTP_VERSION_11) {
        call->connection_close = 1;
    }

    u->process_header = ngx_http_vod_call_process_header;

    return ngx_http_vod_call_process_header(sr);
}


/*
 * Only the headers the module uses are kept, in the call; none goes to
 * u->headers_in.headers, so nothing of the answer reaches the client.
 */

static ngx_int_t
ngx_http_vod_call_process_header(ngx_http_request_t *sr)
{
    size_t                n;
    ngx_int_t             rc;
    ngx_str_t             name, value, *keep;
    ngx_http_upstream_t  *u;
    ngx_http_vod_call_t  *call;

    call = ngx_http_get_module_ctx(sr, ngx_http_vod_upload_module);
    u = sr->upstream;

    for ( ;; ) {

        rc = ngx_http_parse_header_line(sr, &u->buffer, 1);

        if (rc == NGX_OK) {
            name.data = sr->header_name_start;
            name.len = sr->header_name_end - sr->header_name_start;
            value.data = sr->header_start;
            value.len = sr->header_end - sr->header_start;

            keep = NULL;

            switch (ngx_vod_header(name.data, name.len)) {

            case NGX_VOD_HEADER_ETAG:
                keep = &call->etag;
                break;

            case NGX_VOD_HEADER_CRC64:
                keep = &call->crc64;
                break;

            case NGX_VOD_HEADER_REQUEST_ID:
                keep = &call->request_id;
                break;

            case NGX_VOD_HEADER_CONTENT_LENGTH:
                call->content_length = ngx_atoof(value.data, value.len);

                if (call->content_length == NGX_ERROR) {
                    ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                                  "vod %s: invalid Content-Length \"%V\" "
                                  "in the answer", call->name, &value);
                    return NGX_HTTP_UPSTREAM_INVALID_HEADER;
                }

                break;

            case NGX_VOD_HEADER_TRANSFER_ENCODING:
                call->chunked_body = ngx_vod_header_has(value.data, value.len,
                                                        "chunked");
                break;

            case NGX_VOD_HEADER_CONNECTION:
                call->connection_close = ngx_vod_header_has(value.data,
                                                            value.len,
                                                            "close");
                break;

            default:
                break;
            }

            if (keep) {
                n = ngx_min(value.len, 256);

                keep->data = ngx_pnalloc(sr->pool, n);
                if (keep->data == NULL) {
                    return NGX_ERROR;
                }

                keep->len = n;
                ngx_memcpy(keep->data, value.data, n);
            }

            continue;
        }

        if (rc == NGX_HTTP_PARSE_HEADER_DONE) {
            call->header_done = 1;
            return NGX_OK;
        }

        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                      "vod %s: the %s answer has an invalid header",
                      call->name, call->cos ? "COS" : "VOD API");

        return NGX_HTTP_UPSTREAM_INVALID_HEADER;
    }
}


static ngx_int_t
ngx_http_vod_call_filter_init(void *data)
{
    ngx_http_vod_call_t *call = data;

    ngx_http_upstream_t  *u;

    u = call->sr->upstream;

    /* the answer to a HEAD has no body, whatever its length says */

    if (call->status_line.code == NGX_HTTP_NO_CONTENT
        || call->status_line.code == NGX_HTTP_NOT_MODIFIED
        || call->sr->method == NGX_HTTP_HEAD)
    {
        u->length = 0;
        call->body_done = 1;

    } else if (call->chunked_body) {
        u->length = 1;

    } else if (call->content_length >= 0) {

        if (call->content_length > (off_t) call->response_max) {
            ngx_log_error(NGX_LOG_ERR, call->sr->connection->log, 0,
                          "vod %s: the answer of %O bytes is over the "
                          "limit of %uz", call->name, call->content_length,
                          call->response_max);
            return NGX_ERROR;
        }

        u->length = call->content_length;
        call->body_done = (u->length == 0);

    } else {
        /* until the connection is closed */
        u->length = -1;
        call->connection_close = 1;
    }

    u->keepalive = call->body_done && !call->connection_close;

    return NGX_OK;
}


static ngx_int_t
ngx_http_vod_call_filter(void *data, ssize_t bytes)
{
    ngx_http_vod_call_t *call = data;

    size_t                n;
    ngx_buf_t            *b, buf;
    ngx_int_t             rc;
    ngx_http_upstream_t  *u;

    u = call->sr->upstream;
    b = &u->buffer;

    buf.pos = b->last;
    buf.last = b->last + bytes;
    b->last = buf.last;

    if (!call->chunked_body) {

        if (u->length >= 0 && bytes > u->length) {
            ngx_log_error(NGX_LOG_WARN, call->sr->connection->log, 0,
                          "vod %s: the answer has more data than its "
                          "Content-Length", call->name);
            bytes = (ssize_t) u->length;
        }

        if (ngx_http_vod_call_keep(call, buf.pos, bytes) != NGX_OK) {
            return NGX_ERROR;
        }

        if (u->length > 0) {
            u->length -= bytes;
        }

        if (u->length == 0) {
            call->body_done = 1;
            u->keepalive = !call->connection_close;
        }

        return NGX_OK;
    }

    for ( ;; ) {

        rc = ngx_http_parse_chunked(call->sr, &buf, &call->chunked);

        if (rc == NGX_OK) {
            n = ngx_min((off_t) (buf.last - buf.pos), call->chunked.size);

            if (ngx_http_vod_call_keep(call, buf.pos, n) != NGX_OK) {
                return NGX_ERROR;
            }

            buf.pos += n;
            call->chunked.size -= n;

            continue;
        }

        if (rc == NGX_DONE) {
            u->length = 0;
            call->body_done = 1;
            u->keepalive = !call->connection_close;
            return NGX_OK;
        }

        if (rc == NGX_AGAIN) {
            return NGX_OK;
        }

        ngx_log_error(NGX_LOG_ERR, call->sr->connection->log, 0,
                      "vod %s: the answer's chunked body is invalid",
                      call->name);

        return NGX_ERROR;
    }
}


/*
 * Keeps the answer's body in the call, up to response_max bytes; white
 * space before the first byte of a document is dropped (COS streams
 * spaces while it merges the parts of a Complete).
 */

static ngx_int_t
ngx_http_vod_call_keep(ngx_http_vod_call_t *call, u_char *p, size_t len)
{
    size_t   size;
    u_char  *data;

    if (call->response.len == 0) {
        while (len && (*p == ' ' || *p == CR || *p == LF || *p == '\t')) {
            p++;
            len--;
        }
    }

    if (len == 0) {
        return NGX_OK;
    }

    if (ngx_vod_answer_room(call->response.len, len, call->response_size,
                            call->content_length, call->response_max, &size)
        != NGX_VOD_OK)
    {
        ngx_log_error(NGX_LOG_ERR, call->sr->connection->log, 0,
                      "vod %s: the answer is over the limit of %uz bytes",
                      call->name, call->response_max);
        return NGX_ERROR;
    }

    if (size != call->response_size) {
        data = ngx_pnalloc(call->pool, size);
        if (data == NULL) {
            return NGX_ERROR;
        }

        if (call->response.len) {
            ngx_memcpy(data, call->response.data, call->response.len);
        }

        call->response.data = data;
        call->response_size = size;
    }

    ngx_memcpy(call->response.data + call->response.len, p, len);
    call->response.len += len;

    return NGX_OK;
}


static void
ngx_http_vod_call_abort_request(ngx_http_request_t *sr)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "vod call abort");
}


static void
ngx_http_vod_call_finalize_request(ngx_http_request_t *sr, ngx_int_t rc)
{
    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "vod call finalize: %i", rc);
}


/*
 * The subrequest finished: record the outcome and wake the client's
 * request.  NGX_OK is returned whatever happened, so that nginx sends no
 * error page for a call.  The call's pool must live on: nginx still uses
 * the subrequest after this returns.
 */

static ngx_int_t
ngx_http_vod_call_done(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_http_vod_call_t *call = data;

    ngx_http_vod_calls_t  *calls;

    calls = call->calls;

    /* a subrequest may be finalized more than once: one outcome counts */

    if (call->finished) {
        return NGX_OK;
    }

    call->finished = 1;
    call->duration = ngx_current_msec - call->started;

    /* a try on another server resets request_sent: any try counts */
    call->sent |= (sr->upstream && sr->upstream->request_sent);

    if (call->location) {
        /* an error page is an answer too: 502 from proxy_pass, say */

        call->status = (rc >= NGX_HTTP_OK && rc < 600) ? (ngx_uint_t) rc
                                                       : sr->headers_out.status;
        call->rc = call->status ? NGX_OK : NGX_HTTP_BAD_GATEWAY;

    } else {
        /* an answer of neither length nor chunks ends with its connection */

        if (rc == NGX_OK && call->header_done && !call->chunked_body
            && call->content_length == -1)
        {
            call->body_done = 1;
        }

        call->rc = (rc == NGX_OK && call->header_done && call->body_done)
                   ? NGX_OK
                   : (rc == NGX_OK || rc == NGX_ERROR) ? NGX_HTTP_BAD_GATEWAY
                                                       : rc;

        if (call->rc == NGX_OK) {
            call->status = call->status_line.code;
        }
    }

    ngx_log_debug5(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "vod call %s %ui done: rc:%i status:%ui body:%uz",
                   call->name, call->part, rc, call->status,
                   call->response.len);

    /*
     * a client that went away marks the connection; nginx would then end
     * the whole request here, before an abort of the upload could go out
     */

    if (sr->connection->error) {
        sr->connection->error = 0;
        calls->client_gone = 1;
    }

    calls->active--;

    call->next = NULL;
    *calls->last_done = call;
    calls->last_done = &call->next;

    ngx_post_event(&calls->wake, &ngx_posted_events);

    return NGX_OK;
}


/* runs the handlers of finished calls, then the owner's next step */

static void
ngx_http_vod_calls_wake(ngx_event_t *ev)
{
    ngx_http_vod_calls_t *calls = ev->data;

    ngx_http_request_t   *r;
    ngx_http_vod_call_t  *call;

    r = calls->request;

    ngx_http_vod_upload_calls_enter(calls);

    while (calls->done) {
        call = calls->done;
        calls->done = call->next;

        if (calls->done == NULL) {
            calls->last_done = &calls->done;
        }

        call->handler(r, call);
        ngx_http_vod_call_count(call);
        ngx_http_vod_upload_call_free(call);
    }

    ngx_http_vod_upload_calls_leave(calls);
}


/*
 * A handled call in the counters: retried when its handler sends it
 * again, a timeout, failed (no answer, an error status its handler did
 * not expect, or an answer its handler found bad), or ok; the bytes of a
 * body that went to COS.
 */

static void
ngx_http_vod_call_count(ngx_http_vod_call_t *call)
{
    ngx_uint_t  result;

    if (call->location) {
        return;
    }

    if (call->retried) {
        result = NGX_VOD_METRICS_RETRIED;

    } else if (call->rc == NGX_HTTP_GATEWAY_TIME_OUT) {
        result = NGX_VOD_METRICS_TIMEOUT;

    } else if (call->rc != NGX_OK || call->failed
               || ((call->status < NGX_HTTP_OK
                    || call->status >= NGX_HTTP_SPECIAL_RESPONSE)
                   && !call->expected))
    {
        result = NGX_VOD_METRICS_FAILED;

    } else {
        result = NGX_VOD_METRICS_OK;
    }

    ngx_http_vod_upload_status_call(call->name, call->cos, result,
                                    call->duration,
                                    call->sent ? call->body.len : 0);
}


/*
 * An event of the owner's own (a timer, the client's socket): the log
 * names its request and what it does again, whatever the last upstream
 * event left there.
 */

void
ngx_http_vod_upload_calls_enter(ngx_http_vod_calls_t *calls)
{
    ngx_connection_t  *c;

    c = calls->request->connection;

    ngx_http_set_log_request(c->log, calls->request);
    c->log->action = calls->action;
}


/*
 * After such an event: the owner's next step, then the subrequests the
 * calls it started posted.  The step may end the request: nothing of it
 * is used afterwards.
 */

void
ngx_http_vod_upload_calls_leave(ngx_http_vod_calls_t *calls)
{
    ngx_connection_t  *c;

    c = calls->request->connection;

    calls->step(calls);

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_vod_calls_cleanup(void *data)
{
    ngx_http_vod_calls_t *calls = data;

    ngx_queue_t          *q;
    ngx_http_vod_call_t  *call;

    if (calls->wake.posted) {
        ngx_delete_posted_event(&calls->wake);
    }

    while (!ngx_queue_empty(&calls->live)) {
        q = ngx_queue_head(&calls->live);
        call = ngx_queue_data(q, ngx_http_vod_call_t, queue);
        ngx_http_vod_upload_call_free(call);
    }
}


/*
 * A request of the module's own, where there is no client (pulled
 * events, the journal's sweep): no socket, the configuration of one of
 * the module's locations (cctx), enough of a request for subrequests and
 * upstreams (lua-nginx-module's timers run on the same kind).  "action"
 * and "what" are for the error log: " while <action>, <what>".
 */

ngx_http_request_t *
ngx_http_vod_upload_fake_request(ngx_http_conf_ctx_t *cctx, char *action,
    char *what)
{
    ngx_log_t                  *log;
    ngx_pool_t                 *pool;
    ngx_connection_t           *c, *saved;
    struct sockaddr_in         *sin;
    ngx_http_request_t         *r;
    ngx_http_log_ctx_t         *lctx;
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_core_main_conf_t  *cmcf;
    ngx_http_vod_fake_log_t    *flog;

    clcf = cctx->loc_conf[ngx_http_core_module.ctx_index];

    /* ngx_get_connection() wants a descriptor: 0, put back at once */

    saved = ngx_cycle->files ? ngx_cycle->files[0] : NULL;

    c = ngx_get_connection(0, clcf->error_log);

    if (ngx_cycle->files) {
        ngx_cycle->files[0] = saved;
    }

    if (c == NULL) {
        return NULL;
    }

    c->fd = (ngx_socket_t) -1;
    c->number = ngx_atomic_fetch_add(ngx_connection_counter, 1);

    pool = ngx_create_pool(4096, clcf->error_log);
    if (pool == NULL) {
        ngx_http_vod_fake_free_connection(c);
        return NULL;
    }

    c->pool = pool;

    log = ngx_palloc(pool, sizeof(ngx_log_t));
    flog = ngx_pcalloc(pool, sizeof(ngx_http_vod_fake_log_t));
    sin = ngx_pcalloc(pool, sizeof(struct sockaddr_in));
    r = ngx_pcalloc(pool, sizeof(ngx_http_request_t));

    if (log == NULL || flog == NULL || sin == NULL || r == NULL) {
        goto failed;
    }

    *log = *clcf->error_log;
    log->connection = c->number;
    lctx = &flog->lctx;
    flog->what = what;

    log->handler = ngx_http_vod_fake_log_error;
    log->data = flog;
    log->action = action;

    c->log = log;
    c->log_error = NGX_ERROR_INFO;
    c->read->log = log;
    c->write->log = log;
    c->read->handler = ngx_http_empty_handler;
    c->write->handler = ngx_http_empty_handler;

    /*
     * no socket: its events count as added already (ngx_handle_read_event()
     * and the upstreams' ngx_add_event() leave them alone), never ready to
     * read, always ready to write
     */
    c->read->active = 1;
    c->write->active = 1;
    c->write->ready = 1;

    /* and no socket options to set */
    c->tcp_nodelay = NGX_TCP_NODELAY_DISABLED;
    c->tcp_nopush = NGX_TCP_NOPUSH_DISABLED;

    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->sockaddr = (struct sockaddr *) sin;
    c->socklen = sizeof(struct sockaddr_in);
    c->local_sockaddr = (struct sockaddr *) sin;
    c->local_socklen = sizeof(struct sockaddr_in);
    ngx_str_set(&c->addr_text, "127.0.0.1");

    c->data = r;

    lctx->connection = c;
    lctx->request = r;
    lctx->current_request = r;

    r->signature = NGX_HTTP_MODULE;
    r->connection = c;
    r->pool = pool;
    r->main = r;
    r->count = 1;

    r->main_conf = cctx->main_conf;
    r->srv_conf = cctx->srv_conf;
    r->loc_conf = cctx->loc_conf;

    r->ctx = ngx_pcalloc(pool, sizeof(void *) * ngx_http_max_module);

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_core_module);

    r->variables = ngx_pcalloc(pool, cmcf->variables.nelts
                                     * sizeof(ngx_http_variable_value_t));

    if (r->ctx == NULL || r->variables == NULL
        || ngx_list_init(&r->headers_in.headers, pool, 2,
                         sizeof(ngx_table_elt_t)) != NGX_OK
        || ngx_list_init(&r->headers_out.headers, pool, 2,
                         sizeof(ngx_table_elt_t)) != NGX_OK
        || ngx_list_init(&r->headers_out.trailers, pool, 2,
                         sizeof(ngx_table_elt_t)) != NGX_OK)
    {
        goto failed;
    }

    r->headers_in.content_length_n = -1;
    r->headers_in.keep_alive_n = -1;
    r->headers_out.content_length_n = -1;
    r->headers_out.last_modified_time = -1;

    r->method = NGX_HTTP_POST;
    ngx_str_set(&r->method_name, "POST");
    r->http_version = NGX_HTTP_VERSION_11;
    ngx_str_set(&r->http_protocol, "HTTP/1.1");
    r->uri = clcf->name;
    r->unparsed_uri = r->uri;
    r->request_line.len = 0;

    r->uri_changes = NGX_HTTP_MAX_URI_CHANGES + 1;
    r->subrequests = NGX_HTTP_MAX_SUBREQUESTS + 1;
    r->http_state = NGX_HTTP_PROCESS_REQUEST_STATE;
    r->start_sec = ngx_time();
    r->start_msec = ngx_current_msec % 1000;

    /* not a client's: no access log line */
    r->logged = 1;

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_request_empty_handler;

    return r;

failed:

    ngx_destroy_pool(pool);
    ngx_http_vod_fake_free_connection(c);

    return NULL;
}


/* the error log's context: " while <action>, <what>" */

static u_char *
ngx_http_vod_fake_log_error(ngx_log_t *log, u_char *buf, size_t len)
{
    u_char                   *p;
    ngx_http_vod_fake_log_t  *flog;

    flog = log->data;

    p = buf;

    if (log->action) {
        p = ngx_snprintf(p, len, " while %s", log->action);
        len -= p - buf;
    }

    return ngx_snprintf(p, len, ", %s", flog->what);
}


/*
 * The request's cleanups end its calls (their upstreams first, then
 * their pools, the wake event and the retry timer).  The connection has
 * no descriptor; a subrequest may have left a timer or a posted event on
 * it (a delay), which must not outlive it.  "cut": the request is ended
 * before its calls, subrequests may still hold it.
 */

void
ngx_http_vod_upload_fake_close(ngx_http_request_t *r, ngx_uint_t cut)
{
    ngx_pool_t          *pool;
    ngx_event_t         *ev[2];
    ngx_uint_t           i;
    ngx_connection_t    *c;
    ngx_http_cleanup_t  *cln;

    c = r->connection;
    pool = c->pool;

    ev[0] = c->read;
    ev[1] = c->write;

    for (i = 0; i < 2; i++) {
        if (ev[i]->timer_set) {
            ngx_del_timer(ev[i]);
        }

        if (ev[i]->posted) {
            ngx_delete_posted_event(ev[i]);
        }
    }

    cln = r->cleanup;
    r->cleanup = NULL;

    while (cln) {
        if (cln->handler) {
            cln->handler(cln->data);
        }

        cln = cln->next;
    }

    if (r->count != 1 && !cut) {
        ngx_log_error(NGX_LOG_ALERT, c->log, 0,
                      "vod: a request of the module's own ends with the "
                      "count %ud",
                      (unsigned) r->count);
    }

    c->destroyed = 1;
    c->pool = NULL;

    ngx_destroy_pool(pool);

    ngx_http_vod_fake_free_connection(c);
}


/* ngx_free_connection() looks at files[fd]: 0, put back as it was */

static void
ngx_http_vod_fake_free_connection(ngx_connection_t *c)
{
    ngx_connection_t  *saved;

    saved = ngx_cycle->files ? ngx_cycle->files[0] : NULL;
    c->fd = 0;

    ngx_free_connection(c);

    c->fd = (ngx_socket_t) -1;

    if (ngx_cycle->files) {
        ngx_cycle->files[0] = saved;
    }
}
