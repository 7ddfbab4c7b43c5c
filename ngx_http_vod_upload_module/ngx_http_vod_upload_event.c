
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * The event receiver: VOD's event notifications pushed to a vod_callback
 * location, and, with vod_callback_pull, the events of VOD's reliable
 * queue pulled by worker 0.  An event is checked (JSON, EventType, and
 * for pushed ones Sign/T), logged, may start ProcessMedia
 * (vod_callback_transcode) or ProcessMediaByProcedure
 * (vod_callback_procedure) on a new file, and is handed on to
 * vod_callback_pass.  It is answered 200 (pushed) or confirmed (pulled)
 * only once all of that succeeded; otherwise VOD sends it again.
 *
 * Both kinds run on a request: the pushed event's, or a request of the
 * module's own for the pulled ones, since calls to VOD and to the pass
 * location are subrequests (ngx_http_vod_upload_call.c).
 */


#include "ngx_http_vod_upload_body.h"
#include "ngx_http_vod_upload_call.h"
#include "ngx_http_vod_upload_reply.h"
#include "ngx_http_vod_upload_sign.h"
#include "ngx_http_vod_upload_status.h"
#include "ngx_vod_api_json.h"
#include "ngx_vod_http.h"

#include <ngx_md5.h>
#include <openssl/crypto.h>


#define NGX_HTTP_VOD_EVENT_API_TRIES   3
#define NGX_HTTP_VOD_PULL_BACKOFF_MIN  1000        /* ms */
#define NGX_HTTP_VOD_PULL_BACKOFF_MAX  30000       /* ms */
#define NGX_HTTP_VOD_PULL_EMPTY_MIN    1000        /* ms between empty pulls */
#define NGX_HTTP_VOD_PULL_WATCH        250         /* ms: is the worker going */
#define NGX_HTTP_VOD_PULL_GRACE        3000        /* ms to finish on a quit */
#define NGX_HTTP_VOD_ROUND_MAX         120000      /* ms: a round is stuck */
#define NGX_HTTP_VOD_PULL_READ_TIMEOUT 15000       /* ms, at least */
#define NGX_HTTP_VOD_PULL_CONFIRM_BY   20000       /* ms after the pull */


typedef struct ngx_http_vod_puller_s  ngx_http_vod_puller_t;


/* the module's context of an event's request: the body reader first */

typedef struct {
    ngx_http_vod_upload_body_t      body;
    ngx_http_vod_calls_t            calls;
    ngx_http_vod_upload_loc_conf_t *conf;

    /* the event */
    ngx_pool_t                     *pool;       /* what the event needs */
    ngx_str_t                       json;
    size_t                          json_size;  /* allocated */
    ngx_vod_api_event_t             event;
    ngx_str_t                       task_id;    /* of what it started */
    ngx_str_t                       query_sign; /* ?Sign=, copied */
    ngx_str_t                       query_t;    /* ?T= */
    ngx_uint_t                      api_tries;
    ngx_event_t                     retry;

    unsigned                        reading:1;
    unsigned                        begun:1;
    unsigned                        processing:1;
    unsigned                        passing:1;
    unsigned                        passed:1;
    unsigned                        failed:1;
    unsigned                        answered:1;

    ngx_uint_t                      status;
    ngx_str_t                       code;
    ngx_str_t                       message;

    ngx_http_vod_puller_t          *puller;     /* NULL: a pushed event */
} ngx_http_vod_event_ctx_t;


typedef enum {
    NGX_HTTP_VOD_PULL_IDLE = 0,
    NGX_HTTP_VOD_PULL_PULLING,
    NGX_HTTP_VOD_PULL_HANDLING,
    NGX_HTTP_VOD_PULL_CONFIRMING,
    NGX_HTTP_VOD_PULL_DONE
} ngx_http_vod_pull_state_e;


/* the pulling of worker 0 */

struct ngx_http_vod_puller_s {
    ngx_pool_t                     *pool;
    ngx_http_vod_upload_loc_conf_t *conf;
    ngx_event_t                     timer;      /* the next round */
    ngx_event_t                     watch;      /* a quit, a stuck round */
    ngx_msec_t                      backoff;
    ngx_msec_t                      delay;      /* to the next round */

    /* the round under way, all of it in its request's pool */
    ngx_http_request_t             *request;
    ngx_http_vod_event_ctx_t       *ctx;
    ngx_http_vod_pull_state_e       state;
    ngx_msec_t                      started;    /* PullEvents sent */
    ngx_msec_t                      stopping;   /* when a quit was seen */
    ngx_msec_t                      pulled;     /* and answered */
    ngx_vod_api_event_item_t       *items;
    ngx_uint_t                      nitems;
    ngx_uint_t                      next;
    ngx_array_t                    *confirm;    /* of ngx_vod_str_t */
};


static ngx_int_t ngx_http_vod_event_data(ngx_http_request_t *r,
    ngx_buf_t *b);
static void ngx_http_vod_event_end(ngx_http_request_t *r, ngx_int_t rc);
static off_t ngx_http_vod_event_max(ngx_http_vod_upload_loc_conf_t *conf);
static void ngx_http_vod_callback_step(ngx_http_vod_calls_t *calls);
static ngx_int_t ngx_http_vod_event_begin(ngx_http_request_t *r,
    ngx_http_vod_event_ctx_t *ctx);
static u_char *ngx_http_vod_event_text(ngx_http_vod_event_ctx_t *ctx,
    ngx_vod_str_t *s);
static ngx_int_t ngx_http_vod_event_query(ngx_http_request_t *r,
    ngx_str_t *sign, ngx_str_t *t);
static ngx_int_t ngx_http_vod_event_verify(ngx_http_request_t *r,
    ngx_http_vod_event_ctx_t *ctx);
static void ngx_http_vod_event_log(ngx_http_request_t *r,
    ngx_http_vod_event_ctx_t *ctx);
static ngx_int_t ngx_http_vod_event_progress(ngx_http_request_t *r,
    ngx_http_vod_event_ctx_t *ctx);
static ngx_int_t ngx_http_vod_process_start(ngx_http_request_t *r,
    ngx_http_vod_event_ctx_t *ctx);
static void ngx_http_vod_process_done(ngx_http_request_t *r,
    ngx_http_vod_call_t *call);
static void ngx_http_vod_process_retry(ngx_event_t *ev);
static ngx_int_t ngx_http_vod_pass_start(ngx_http_request_t *r,
    ngx_http_vod_event_ctx_t *ctx);
static void ngx_http_vod_pass_done(ngx_http_request_t *r,
    ngx_http_vod_call_t *call);
static void ngx_http_vod_event_count(ngx_http_vod_event_ctx_t *ctx,
    ngx_int_t rc);
static void ngx_http_vod_event_fail(ngx_http_request_t *r,
    ngx_http_vod_event_ctx_t *ctx, ngx_uint_t status, const char *code,
    const char *fmt, ...);
static ngx_int_t ngx_http_vod_event_answer(ngx_http_request_t *r,
    ngx_http_vod_event_ctx_t *ctx);
static void ngx_http_vod_event_reset(ngx_http_vod_event_ctx_t *ctx);
static ngx_http_vod_event_ctx_t *ngx_http_vod_event_ctx_create(
    ngx_http_request_t *r, ngx_http_vod_upload_loc_conf_t *conf,
    ngx_http_vod_puller_t *puller);
static ngx_int_t ngx_http_vod_event_refuse(ngx_http_request_t *r,
    ngx_uint_t status, const char *code, const char *message);
static void ngx_http_vod_event_cleanup(void *data);

static void ngx_http_vod_pull_round(ngx_event_t *ev);
static void ngx_http_vod_pull_watch(ngx_event_t *ev);
static void ngx_http_vod_pull_done(ngx_http_request_t *r,
    ngx_http_vod_call_t *call);
static void ngx_http_vod_pull_next(ngx_http_vod_puller_t *p);
static void ngx_http_vod_pull_step(ngx_http_vod_calls_t *calls);
static void ngx_http_vod_confirm_start(ngx_http_vod_puller_t *p);
static void ngx_http_vod_confirm_done(ngx_http_request_t *r,
    ngx_http_vod_call_t *call);
static ngx_msec_t ngx_http_vod_pull_backoff(ngx_http_vod_puller_t *p);
static ngx_uint_t ngx_http_vod_pull_stopping(void);
static ngx_int_t ngx_http_vod_event_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_vod_puller_t  *ngx_http_vod_puller;


ngx_http_variable_t  ngx_http_vod_upload_event_vars[] = {

    { ngx_string("vod_event_type"), NULL, ngx_http_vod_event_variable,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("vod_event_file_id"), NULL, ngx_http_vod_event_variable,
      1, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("vod_event_task_id"), NULL, ngx_http_vod_event_variable,
      2, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


/* a pushed event: POST, then its body is read into memory */

ngx_int_t
ngx_http_vod_upload_event_handler(ngx_http_request_t *r)
{
    off_t                            max;
    ngx_int_t                        rc;
    ngx_str_t                        sign, t;
    ngx_http_vod_event_ctx_t        *ctx;
    ngx_http_vod_upload_loc_conf_t  *conf;
    u_char                           buf[64];

    if (r != r->main) {
        return NGX_DECLINED;
    }

    conf = ngx_http_get_module_loc_conf(r, ngx_http_vod_upload_module);

    /* a Sign in the query is masked first: no answer logs it */

    if (ngx_http_vod_event_query(r, &sign, &t) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!(r->method & NGX_HTTP_POST)) {
        if (ngx_http_vod_upload_allow(r, "POST") != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_vod_event_refuse(r, NGX_HTTP_NOT_ALLOWED,
                                         "MethodNotAllowed",
                                         "only POST delivers events here");
    }

    if (r->headers_in.content_length_n == 0
        || (r->headers_in.content_length_n < 0 && !r->headers_in.chunked))
    {
        return ngx_http_vod_event_refuse(r, NGX_HTTP_BAD_REQUEST,
                                         "InvalidEvent",
                                         "the request has no body");
    }

    max = ngx_http_vod_event_max(conf);

    if (r->headers_in.content_length_n > max) {
        ngx_snprintf(buf, sizeof(buf), "the event is over %O bytes%Z", max);

        return ngx_http_vod_event_refuse(r, NGX_HTTP_BAD_REQUEST,
                                         "EventTooLarge", (char *) buf);
    }

    ctx = ngx_http_vod_event_ctx_create(r, conf, NULL);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->query_sign = sign;
    ctx->query_t = t;

    ctx->reading = 1;

    ctx->body.data = ngx_http_vod_event_data;
    ctx->body.end = ngx_http_vod_event_end;
    ctx->body.max = max;

    /* the log says what the request does from now on */

    ngx_http_vod_upload_calls_enter(&ctx->calls);

    rc = ngx_http_vod_upload_body_start(r, &ctx->body);

    if (rc != NGX_OK) {
        ngx_http_vod_event_end(r, rc);
    }

    r->main->count++;

    return NGX_DONE;
}


/*
 * The context of an event's request: a pushed event's, or a pulling
 * round's (puller set), with its calls and its cleanup.
 */

static ngx_http_vod_event_ctx_t *
ngx_http_vod_event_ctx_create(ngx_http_request_t *r,
    ngx_http_vod_upload_loc_conf_t *conf, ngx_http_vod_puller_t *puller)
{
    ngx_http_cleanup_t        *cln;
    ngx_http_vod_event_ctx_t  *ctx;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_vod_event_ctx_t));
    cln = ngx_http_cleanup_add(r, 0);

    if (ctx == NULL || cln == NULL) {
        return NULL;
    }

    ctx->conf = conf;
    ctx->pool = r->pool;
    ctx->puller = puller;

    ngx_http_set_ctx(r, ctx, ngx_http_vod_upload_module);

    /* added before the calls' cleanup: runs after it */

    cln->handler = ngx_http_vod_event_cleanup;
    cln->data = ctx;

    if (ngx_http_vod_upload_calls_init(r, &ctx->calls, conf,
                                       puller ? ngx_http_vod_pull_step
                                              : ngx_http_vod_callback_step,
                                       ctx)
        != NGX_OK)
    {
        return NULL;
    }

    ctx->calls.action = puller ? "handling a pulled VOD event"
                               : "handling a VOD event";

    ctx->retry.handler = ngx_http_vod_process_retry;
    ctx->retry.data = r;
    ctx->retry.log = r->connection->log;

    return ctx;
}


static ngx_int_t
ngx_http_vod_event_refuse(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *message)
{
    ngx_str_t  msg, none;

    ngx_str_null(&none);

    msg.data = (u_char *) message;
    msg.len = ngx_strlen(message);

    if (status != NGX_HTTP_NOT_ALLOWED) {
        ngx_http_vod_upload_status_event(&none,
                                         NGX_VOD_METRICS_EVENT_INVALID);
    }

    return ngx_http_vod_upload_refuse(r, "vod event", status, code, &msg);
}


/* the event's body, into memory: the reader keeps it under max */

static ngx_int_t
ngx_http_vod_event_data(ngx_http_request_t *r, ngx_buf_t *b)
{
    size_t                     n, size;
    u_char                    *p;
    ngx_http_vod_event_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    n = b->last - b->pos;

    if (ctx->json.len + n > ctx->json_size) {

        /* the declared length, else twice as much, within max */

        size = (r->headers_in.content_length_n > 0)
               ? (size_t) r->headers_in.content_length_n
               : ngx_max(2 * ctx->json_size, 4096);

        size = ngx_min(ngx_max(size, ctx->json.len + n),
                       (size_t) ctx->body.max);

        p = ngx_pnalloc(r->pool, size);
        if (p == NULL) {
            ngx_http_vod_upload_body_stop(r, &ctx->body);
            ngx_http_vod_event_end(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return NGX_ERROR;
        }

        if (ctx->json.len) {
            ngx_memcpy(p, ctx->json.data, ctx->json.len);
        }

        ctx->json.data = p;
        ctx->json_size = size;
    }

    ngx_memcpy(ctx->json.data + ctx->json.len, b->pos, n);
    ctx->json.len += n;
    b->pos = b->last;

    return NGX_OK;
}


/* the whole event is in, or why not: the step goes on */

static void
ngx_http_vod_event_end(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_str_t                  msg;
    const char                *code;
    ngx_http_vod_event_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    ctx->reading = 0;

    ngx_post_event(&ctx->calls.wake, &ngx_posted_events);

    switch (rc) {

    case NGX_OK:
        return;

    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
        ngx_http_vod_event_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                                "EventTooLarge", "the event is over %O bytes",
                                ctx->body.max);
        return;

    case NGX_HTTP_REQUEST_TIME_OUT:
    case NGX_HTTP_INTERNAL_SERVER_ERROR:
        ngx_http_vod_upload_body_error(rc, &code, &msg);
        ngx_http_vod_event_fail(r, ctx, rc, code, "%V", &msg);
        return;

    case NGX_HTTP_CLIENT_CLOSED_REQUEST:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod event: the client closed the connection");
        ctx->calls.client_gone = 1;

        /* fall through */

    default:
        ngx_http_vod_event_fail(r, ctx, rc, "InvalidEvent",
                                "the event's body could not be read");
        return;
    }
}


/* at most 1 MiB, less with a client_max_body_size below that */

static off_t
ngx_http_vod_event_max(ngx_http_vod_upload_loc_conf_t *conf)
{
    if (conf->max_body_size && conf->max_body_size < NGX_VOD_API_EVENT_MAX) {
        return conf->max_body_size;
    }

    return NGX_VOD_API_EVENT_MAX;
}


/* a pushed event: begins once read, is answered once handled */

static void
ngx_http_vod_callback_step(ngx_http_vod_calls_t *calls)
{
    ngx_int_t                  rc;
    ngx_http_request_t        *r;
    ngx_http_vod_event_ctx_t  *ctx;

    ctx = calls->data;
    r = calls->request;

    if (ctx->answered || ctx->reading) {
        return;
    }

    if (!ctx->begun && !ctx->failed) {
        ctx->begun = 1;

        if (ngx_http_vod_event_begin(r, ctx) != NGX_OK) {
            ctx->failed = 1;
        }
    }

    rc = ngx_http_vod_event_progress(r, ctx);

    if (rc == NGX_AGAIN) {
        return;
    }

    ctx->answered = 1;

    ngx_http_vod_event_count(ctx, rc);

    if (ctx->calls.client_gone) {
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    if (rc == NGX_ERROR) {
        ngx_http_finalize_request(r,
                                  ngx_http_vod_upload_send_error(r,
                                      ctx->status,
                                      (const char *) ctx->code.data,
                                      &ctx->message, NULL));
        return;
    }

    ngx_http_finalize_request(r, ngx_http_vod_event_answer(r, ctx));
}


/*
 * The event read: parsed, for a pushed one its signature checked, logged,
 * and what it starts started.
 */

static ngx_int_t
ngx_http_vod_event_begin(ngx_http_request_t *r, ngx_http_vod_event_ctx_t *ctx)
{
    const char           *err;
    ngx_vod_alloc_t       a;
    ngx_vod_api_event_t  *ev;

    a.alloc = ngx_http_vod_upload_palloc;
    a.data = ctx->pool;

    if (ngx_vod_api_parse_event(&a, ctx->json.data, ctx->json.len,
                                NGX_VOD_API_EVENT_MAX, &ctx->event, &err)
        != NGX_VOD_OK)
    {
        ngx_http_vod_event_fail(r, ctx, NGX_HTTP_BAD_REQUEST, "InvalidEvent",
                                "%s", err);
        return NGX_ERROR;
    }

    /* they go into request headers and log lines as they are */

    ev = &ctx->event;

    err = !ngx_vod_id_valid(ev->event_type.data, ev->event_type.len)
          ? "EventType"
          : !ngx_vod_id_valid(ev->file_id.data, ev->file_id.len) ? "FileId"
          : !ngx_vod_id_valid(ev->task_id.data, ev->task_id.len) ? "TaskId"
          : NULL;

    if (err) {
        ngx_str_null(&ctx->event.event_type);
        ngx_http_vod_event_fail(r, ctx, NGX_HTTP_BAD_REQUEST, "InvalidEvent",
                                "the event's %s is not an identifier "
                                "(letters, digits, \".\", \"_\", \"-\")", err);
        return NGX_ERROR;
    }

    /* a pushed event's handle means nothing: only a pulled one has one */

    if (ctx->puller == NULL) {
        ngx_str_null(&ctx->event.event_handle);
    }

    if (ctx->puller == NULL && ngx_http_vod_event_verify(r, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_vod_event_log(r, ctx);

    if (ctx->event.event_type.len == sizeof("NewFileUpload") - 1
        && ngx_strncmp(ctx->event.event_type.data, "NewFileUpload",
                       ctx->event.event_type.len) == 0
        && (ctx->conf->callback_transcode
            || ctx->conf->callback_procedure.len))
    {
        return ngx_http_vod_process_start(r, ctx);
    }

    return NGX_OK;
}


/*
 * Sign and T as query parameters: kept, and the Sign masked in the
 * request line and the arguments ($request, $request_uri, $args, the
 * error log's "request:"), so that no log shows a signature.
 */

static ngx_int_t
ngx_http_vod_event_query(ngx_http_request_t *r, ngx_str_t *sign,
    ngx_str_t *t)
{
    ngx_str_t  v;

    ngx_str_null(sign);
    ngx_str_null(t);

    if (r->args.len == 0) {
        return NGX_OK;
    }

    if (ngx_http_arg(r, (u_char *) "T", 1, &v) == NGX_OK) {
        t->data = ngx_pstrdup(r->pool, &v);
        t->len = v.len;

        if (t->data == NULL) {
            return NGX_ERROR;
        }
    }

    if (ngx_http_arg(r, (u_char *) "Sign", 4, &v) != NGX_OK || v.len == 0) {
        return NGX_OK;
    }

    sign->data = ngx_pstrdup(r->pool, &v);
    sign->len = v.len;

    if (sign->data == NULL) {
        return NGX_ERROR;
    }

    /* HTTP/1 has them in one buffer; HTTP/2 makes a request line apart */

    ngx_vod_mask_sign(r->args.data, r->args.len, sign->data, sign->len);
    ngx_vod_mask_sign(r->request_line.data, r->request_line.len, sign->data,
                      sign->len);

    return NGX_OK;
}


/*
 * Sign = md5_hex(SignKey . T), T the time it expires: as JSON members of
 * the event or as query parameters (where VOD puts them is not
 * documented).
 */

static ngx_int_t
ngx_http_vod_event_verify(ngx_http_request_t *r, ngx_http_vod_event_ctx_t *ctx)
{
    time_t                           t;
    ngx_str_t                        sign, ts, key;
    ngx_md5_t                        md5;
    ngx_http_vod_upload_loc_conf_t  *conf;
    u_char                           digest[16], hex[32], lower[32];

    conf = ctx->conf;
    key = conf->callback_sign_key;

    if (key.len == 0) {
        return NGX_OK;
    }

    sign.data = ctx->event.sign.data;
    sign.len = ctx->event.sign.len;
    ts.data = ctx->event.t.data;
    ts.len = ctx->event.t.len;

    if (sign.len == 0) {
        sign = ctx->query_sign;
    }

    if (ts.len == 0) {
        ts = ctx->query_t;
    }

    if (sign.len == 0 || ts.len == 0) {
        ngx_http_vod_event_fail(r, ctx, NGX_HTTP_FORBIDDEN, "MissingSignature",
                                "the event has no Sign and T");
        return NGX_ERROR;
    }

    t = ngx_atotm(ts.data, ts.len);

    if (t == NGX_ERROR) {
        ngx_http_vod_event_fail(r, ctx, NGX_HTTP_FORBIDDEN, "InvalidSignature",
                                "the event's T is not a time");
        return NGX_ERROR;
    }

    ngx_md5_init(&md5);
    ngx_md5_update(&md5, key.data, key.len);
    ngx_md5_update(&md5, ts.data, ts.len);
    ngx_md5_final(digest, &md5);
    ngx_hex_dump(hex, digest, 16);

    /* lower case, compared in constant time: T is the sender's choice */

    if (sign.len == 32) {
        ngx_strlow(lower, sign.data, 32);
    }

    if (sign.len != 32 || CRYPTO_memcmp(lower, hex, 32) != 0) {
        ngx_http_vod_event_fail(r, ctx, NGX_HTTP_FORBIDDEN, "InvalidSignature",
                                "the event's Sign is not the one of its T");
        return NGX_ERROR;
    }

    if (t < ngx_time()) {
        ngx_http_vod_event_fail(r, ctx, NGX_HTTP_FORBIDDEN, "SignatureExpired",
                                "the event's signature expired %T s ago",
                                ngx_time() - t);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_vod_event_log(ngx_http_request_t *r, ngx_http_vod_event_ctx_t *ctx)
{
    ngx_uint_t                level, i;
    ngx_vod_api_event_t      *ev;
    ngx_vod_api_transcode_t  *t;

    ev = &ctx->event;

    /* EventType, FileId and TaskId are identifiers; the rest is escaped */

    if (ev->event_type.len == sizeof("NewFileUpload") - 1
        && ngx_strncmp(ev->event_type.data, "NewFileUpload",
                       ev->event_type.len) == 0)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod event: NewFileUpload FileId \"%s\", MediaUrl "
                      "\"%s\", SourceContext \"%s\"", ev->file_id.data,
                      ngx_http_vod_event_text(ctx, &ev->media_url),
                      ngx_http_vod_event_text(ctx, &ev->source_context));
        return;
    }

    if (ev->event_type.len == sizeof("ProcedureStateChanged") - 1
        && ngx_strncmp(ev->event_type.data, "ProcedureStateChanged",
                       ev->event_type.len) == 0)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod event: ProcedureStateChanged TaskId \"%s\", "
                      "FileId \"%s\", Status %s, ErrCode %L",
                      ev->task_id.data,
                      ev->file_id.data ? ev->file_id.data : (u_char *) "",
                      ngx_http_vod_event_text(ctx, &ev->status),
                      ev->err_code);

        if (ev->status.len != 6
            || ngx_strncmp(ev->status.data, "FINISH", 6) != 0)
        {
            return;
        }

        for (i = 0; i < ev->ntranscodes; i++) {
            t = &ev->transcodes[i];

            level = (t->err_code == 0
                     && t->status.len == 7
                     && ngx_strncmp(t->status.data, "SUCCESS", 7) == 0)
                    ? NGX_LOG_INFO : NGX_LOG_WARN;

            ngx_log_error(level, r->connection->log, 0,
                          "vod event: Transcode Definition %L %s, ErrCode "
                          "%L, Output.Url \"%s\"%s%s", t->definition,
                          ngx_http_vod_event_text(ctx, &t->status),
                          t->err_code,
                          ngx_http_vod_event_text(ctx, &t->url),
                          level == NGX_LOG_WARN && t->message.len
                          ? ", Message: " : "",
                          level == NGX_LOG_WARN && t->message.len
                          ? ngx_http_vod_event_text(ctx, &t->message)
                          : (u_char *) "");
        }

        return;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "vod event: %s", ev->event_type.data);
}


/*
 * A string of the event for a log line: as it is, or, if it holds
 * control characters, quotes or backslashes, a copy with those as \xNN,
 * so that an event cannot write lines of its own into the log.
 */

static u_char *
ngx_http_vod_event_text(ngx_http_vod_event_ctx_t *ctx, ngx_vod_str_t *s)
{
    u_char  *copy;
    size_t   n;

    if (s->data == NULL) {
        return (u_char *) "";
    }

    n = ngx_vod_log_escape_len(s->data, s->len);

    if (n == s->len) {
        return s->data;
    }

    copy = ngx_pnalloc(ctx->pool, n + 1);
    if (copy == NULL) {
        return (u_char *) "(out of memory)";
    }

    *ngx_vod_log_escape(copy, s->data, s->len) = '\0';

    return copy;
}


/* NGX_AGAIN while calls are under way; NGX_OK: handled; NGX_ERROR */

static ngx_int_t
ngx_http_vod_event_progress(ngx_http_request_t *r,
    ngx_http_vod_event_ctx_t *ctx)
{
    if (ctx->failed) {
        return (ctx->calls.active || ctx->retry.timer_set) ? NGX_AGAIN
                                                           : NGX_ERROR;
    }

    if (ctx->processing) {
        return NGX_AGAIN;
    }

    if (ctx->conf->callback_pass.len && !ctx->passed) {

        if (!ctx->passing && ngx_http_vod_pass_start(r, ctx) != NGX_OK) {
            ngx_http_vod_event_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                    "InternalError",
                                    "the event could not be handed on");
            return ctx->calls.active ? NGX_AGAIN : NGX_ERROR;
        }

        return NGX_AGAIN;
    }

    return ctx->calls.active ? NGX_AGAIN : NGX_OK;
}


/*
 * ProcessMedia (or ProcessMediaByProcedure) on the new file.  Its
 * SessionId is made of the FileId and what is asked, so that VOD refuses
 * a second start when the event is delivered again; the event's
 * SourceContext goes on as SessionContext, to come back in
 * ProcedureStateChanged.
 */

static ngx_int_t
ngx_http_vod_process_start(ngx_http_request_t *r,
    ngx_http_vod_event_ctx_t *ctx)
{
    u_char                           *p;
    uint32_t                          crc;
    ngx_uint_t                        i;
    const char                       *action, *err;
    ngx_vod_alloc_t                   a;
    ngx_http_vod_call_t              *call;
    ngx_vod_api_process_media_req_t   req;
    ngx_http_vod_upload_loc_conf_t   *conf;

    conf = ctx->conf;

    ngx_memzero(&req, sizeof(ngx_vod_api_process_media_req_t));

    req.file_id = ctx->event.file_id;
    req.session_context = ctx->event.source_context;

    if (conf->sub_app_id) {
        req.sub_app_id.value = conf->sub_app_id;
        req.sub_app_id.set = 1;
    }

    ngx_crc32_init(crc);

    if (conf->callback_transcode) {
        action = "ProcessMedia";
        req.definitions = conf->callback_transcode->elts;
        req.ndefinitions = conf->callback_transcode->nelts;

        for (i = 0; i < req.ndefinitions; i++) {
            ngx_crc32_update(&crc, (u_char *) &req.definitions[i],
                             sizeof(int64_t));
        }

    } else {
        action = "ProcessMediaByProcedure";
        req.procedure.data = conf->callback_procedure.data;
        req.procedure.len = conf->callback_procedure.len;

        ngx_crc32_update(&crc, req.procedure.data, req.procedure.len);
    }

    ngx_crc32_final(crc);

    /* "ngx-<FileId>-<crc32>", at most 50 characters */

    p = ngx_pnalloc(ctx->pool, 50);
    if (p == NULL) {
        return NGX_ERROR;
    }

    req.session_id.data = p;
    req.session_id.len = ngx_snprintf(p, 50, "ngx-%*s-%08xD",
                                      ngx_min(req.file_id.len, 32),
                                      req.file_id.data, crc)
                         - p;

    call = ngx_http_vod_upload_call_create(&ctx->calls, action, 0);
    if (call == NULL) {
        return NGX_ERROR;
    }

    a.alloc = ngx_http_vod_upload_palloc;
    a.data = call->pool;

    if ((conf->callback_transcode
         ? ngx_vod_api_process_media_body(&a, &req,
                                          (ngx_vod_str_t *) &call->body, &err)
         : ngx_vod_api_process_media_by_procedure_body(&a, &req,
                                          (ngx_vod_str_t *) &call->body, &err))
        != NGX_VOD_OK)
    {
        ngx_http_vod_upload_call_free(call);
        ngx_http_vod_event_fail(r, ctx, NGX_HTTP_BAD_REQUEST, "InvalidEvent",
                                "%s: %s", action, err);
        return NGX_ERROR;
    }

    call->handler = ngx_http_vod_process_done;

    if (ngx_http_vod_upload_api_prepare(call, action) != NGX_OK
        || ngx_http_vod_upload_call_start(call) != NGX_OK)
    {
        ngx_http_vod_upload_call_free(call);
        ngx_http_vod_event_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                "InternalError", "%s could not be sent",
                                action);
        return NGX_ERROR;
    }

    ctx->processing = 1;

    return NGX_OK;
}


static void
ngx_http_vod_process_done(ngx_http_request_t *r, ngx_http_vod_call_t *call)
{
    int                           rc;
    ngx_msec_t                    delay;
    ngx_vod_alloc_t               a;
    ngx_vod_api_result_t          res;
    ngx_http_vod_event_ctx_t     *ctx;
    ngx_vod_api_process_media_t   out;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    /* like ApplyUpload: tried again on a transport failure only */

    if (call->rc != NGX_OK || call->status != NGX_HTTP_OK) {

        if (++ctx->api_tries < NGX_HTTP_VOD_EVENT_API_TRIES) {
            delay = 100 << ctx->api_tries;

            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "vod event: %s failed (%s%ui), trying again in "
                          "%M ms", call->name,
                          call->rc != NGX_OK ? "no answer, " : "status ",
                          call->rc != NGX_OK ? (ngx_uint_t) call->rc
                                             : call->status, delay);

            call->retried = 1;
            ngx_http_vod_upload_count(
                                   process_media[NGX_VOD_METRICS_RETRIED], 1);
            ngx_add_timer(&ctx->retry, delay);
            return;
        }

        ctx->processing = 0;

        ngx_http_vod_upload_count(process_media[
                                      call->rc == NGX_HTTP_GATEWAY_TIME_OUT
                                      ? NGX_VOD_METRICS_TIMEOUT
                                      : NGX_VOD_METRICS_FAILED], 1);

        ngx_http_vod_event_fail(r, ctx,
                                call->rc == NGX_HTTP_GATEWAY_TIME_OUT
                                ? NGX_HTTP_GATEWAY_TIME_OUT
                                : NGX_HTTP_BAD_GATEWAY,
                                call->rc == NGX_HTTP_GATEWAY_TIME_OUT
                                ? "VodApiTimeout" : "VodApiUnavailable",
                                "%s: no answer from the VOD API after %ui "
                                "tries", call->name, ctx->api_tries);
        return;
    }

    ctx->processing = 0;

    a.alloc = ngx_http_vod_upload_palloc;
    a.data = ctx->pool;

    rc = ngx_vod_api_parse_process_media(&a, call->response.data,
                                         call->response.len, &out, &res);

    if (rc == NGX_VOD_API_ERROR
        && res.code.len == sizeof("InvalidParameterValue.SessionId") - 1
        && ngx_strncmp(res.code.data, "InvalidParameterValue.SessionId",
                       res.code.len) == 0)
    {
        /* the event came again: its task was started the first time */

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod event: %s for FileId \"%s\" was already started "
                      "(a second delivery)", call->name,
                      ctx->event.file_id.data);
        ngx_http_vod_upload_count(process_media[NGX_VOD_METRICS_OK], 1);
        return;
    }

    if (rc != NGX_VOD_OK) {
        call->failed = 1;
        ngx_http_vod_upload_count(process_media[NGX_VOD_METRICS_FAILED], 1);
    }

    if (rc == NGX_VOD_API_ERROR) {
        ngx_http_vod_event_fail(r, ctx, NGX_HTTP_BAD_GATEWAY,
                                (const char *) res.code.data,
                                "%s: %s (request id %s)", call->name,
                                res.message.data, res.request_id.data
                                ? res.request_id.data : (u_char *) "");
        return;
    }

    if (rc != NGX_VOD_OK) {
        ngx_http_vod_event_fail(r, ctx, NGX_HTTP_BAD_GATEWAY,
                                "InvalidVodAnswer", "%s: %s", call->name,
                                res.error);
        return;
    }

    ctx->task_id.data = out.task_id.data;
    ctx->task_id.len = out.task_id.len;

    ngx_http_vod_upload_count(process_media[NGX_VOD_METRICS_OK], 1);

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "vod event: %s for FileId \"%s\" started, TaskId \"%V\"",
                  call->name, ctx->event.file_id.data, &ctx->task_id);
}


static void
ngx_http_vod_process_retry(ngx_event_t *ev)
{
    ngx_http_request_t *r = ev->data;

    ngx_http_vod_event_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    ngx_http_vod_upload_calls_enter(&ctx->calls);

    ctx->processing = 0;

    if (ngx_http_vod_process_start(r, ctx) != NGX_OK) {
        ctx->failed = 1;
    }

    ngx_http_vod_upload_calls_leave(&ctx->calls);
}


/*
 * vod_callback_pass: the event's JSON as it came, to a location of this
 * nginx, with its type, file and task in headers.
 */

static ngx_int_t
ngx_http_vod_pass_start(ngx_http_request_t *r, ngx_http_vod_event_ctx_t *ctx)
{
    ngx_str_t             task;
    ngx_http_vod_call_t  *call;

    call = ngx_http_vod_upload_call_create(&ctx->calls, "vod_callback_pass", 0);
    if (call == NULL) {
        return NGX_ERROR;
    }

    call->body = ctx->json;
    call->handler = ngx_http_vod_pass_done;

    task.data = ctx->task_id.len ? ctx->task_id.data
                                 : ctx->event.task_id.data;
    task.len = ctx->task_id.len ? ctx->task_id.len : ctx->event.task_id.len;

    if (ngx_http_vod_upload_call_header(call, "X-VOD-Event-Type",
                                        (ngx_str_t *) &ctx->event.event_type)
        != NGX_OK
        || (ctx->event.file_id.len
            && ngx_http_vod_upload_call_header(call, "X-VOD-File-Id",
                                     (ngx_str_t *) &ctx->event.file_id)
               != NGX_OK)
        || (task.len
            && ngx_http_vod_upload_call_header(call, "X-VOD-Task-Id", &task)
               != NGX_OK)
        || (ctx->event.event_handle.len
            && ngx_http_vod_upload_call_header(call, "X-VOD-Event-Handle",
                                     (ngx_str_t *) &ctx->event.event_handle)
               != NGX_OK)
        || ngx_http_vod_upload_call_location(call, &ctx->conf->callback_pass)
           != NGX_OK)
    {
        ngx_http_vod_upload_call_free(call);
        return NGX_ERROR;
    }

    ctx->passing = 1;

    return NGX_OK;
}


static void
ngx_http_vod_pass_done(ngx_http_request_t *r, ngx_http_vod_call_t *call)
{
    ngx_http_vod_event_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);
    ctx->passing = 0;

    if (call->rc == NGX_OK && call->status >= NGX_HTTP_OK
        && call->status < NGX_HTTP_SPECIAL_RESPONSE)
    {
        ctx->passed = 1;

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "vod event: handed on to \"%V\", status %ui",
                       &ctx->conf->callback_pass, call->status);
        return;
    }

    ngx_http_vod_event_fail(r, ctx, NGX_HTTP_BAD_GATEWAY, "EventNotHandedOn",
                            "\"%V\" answered the %s event with status %ui",
                            &ctx->conf->callback_pass,
                            ctx->event.event_type.data, call->status);
}


/* an event's outcome in the counters: by the code of its failure */

static void
ngx_http_vod_event_count(ngx_http_vod_event_ctx_t *ctx, ngx_int_t rc)
{
    ngx_uint_t  result;

    if (rc == NGX_OK) {
        result = ctx->conf->callback_pass.len
                 ? NGX_VOD_METRICS_EVENT_HANDED_ON
                 : NGX_VOD_METRICS_EVENT_ACCEPTED;

    } else if (ctx->code.len
               && (ngx_strstrn(ctx->code.data, "Signature", 9 - 1) != NULL))
    {
        result = NGX_VOD_METRICS_EVENT_REFUSED;

    } else if (ctx->code.len
               && (ngx_strcmp(ctx->code.data, "InvalidEvent") == 0
                   || ngx_strcmp(ctx->code.data, "EventTooLarge") == 0))
    {
        result = NGX_VOD_METRICS_EVENT_INVALID;

    } else {
        result = NGX_VOD_METRICS_EVENT_FAILED;
    }

    ngx_http_vod_upload_status_event((ngx_str_t *) &ctx->event.event_type,
                                     result);
}


/* the first failure is the one answered; it is logged here */

static void
ngx_http_vod_event_fail(ngx_http_request_t *r, ngx_http_vod_event_ctx_t *ctx,
    ngx_uint_t status, const char *code, const char *fmt, ...)
{
    u_char      *p;
    va_list      args;
    ngx_uint_t   level;
    u_char       buf[NGX_MAX_ERROR_STR];

    if (ctx->failed) {
        return;
    }

    ctx->failed = 1;
    ctx->status = status;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);

    ctx->message.len = p - buf;
    ctx->message.data = ngx_pnalloc(ctx->pool, ctx->message.len);
    ctx->code.len = ngx_strlen(code);
    ctx->code.data = ngx_pnalloc(ctx->pool, ctx->code.len + 1);

    if (ctx->message.data == NULL || ctx->code.data == NULL) {
        ngx_str_set(&ctx->message, "out of memory");
        ngx_str_set(&ctx->code, "InternalError");

    } else {
        ngx_memcpy(ctx->message.data, buf, ctx->message.len);
        ngx_memcpy(ctx->code.data, code, ctx->code.len + 1);
    }

    level = (status < NGX_HTTP_INTERNAL_SERVER_ERROR) ? NGX_LOG_INFO
                                                       : NGX_LOG_ERR;

    ngx_log_error(level, r->connection->log, 0, "vod event: %V%s%s",
                  &ctx->message,
                  ctx->event.event_type.len ? ", event " : "",
                  ctx->event.event_type.len
                  ? (char *) ctx->event.event_type.data : "");
}


static ngx_int_t
ngx_http_vod_event_answer(ngx_http_request_t *r, ngx_http_vod_event_ctx_t *ctx)
{
    size_t      len;
    u_char     *p;
    ngx_str_t   json, *s[3];
    ngx_uint_t  i;

    static const char  *names[] = { "EventType", "FileId", "TaskId" };

    s[0] = (ngx_str_t *) &ctx->event.event_type;
    s[1] = (ngx_str_t *) &ctx->event.file_id;
    s[2] = ctx->task_id.len ? &ctx->task_id
                            : (ngx_str_t *) &ctx->event.task_id;

    len = sizeof("{}\n") - 1;

    for (i = 0; i < 3; i++) {
        len += sizeof(",\"\":\"\"") - 1 + ngx_strlen(names[i]) + s[i]->len
               + ngx_escape_json(NULL, s[i]->data, s[i]->len);
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    json.data = p;
    *p++ = '{';

    for (i = 0; i < 3; i++) {
        if (s[i]->len == 0) {
            continue;
        }

        if (p > json.data + 1) {
            *p++ = ',';
        }

        p = ngx_sprintf(p, "\"%s\":\"", names[i]);
        p = (u_char *) ngx_escape_json(p, s[i]->data, s[i]->len);
        *p++ = '"';
    }

    *p++ = '}';
    *p++ = LF;

    json.len = p - json.data;

    return ngx_http_vod_upload_send_json(r, NGX_HTTP_OK, &json);
}


static void
ngx_http_vod_event_reset(ngx_http_vod_event_ctx_t *ctx)
{
    ngx_str_null(&ctx->json);
    ctx->json_size = 0;
    ngx_memzero(&ctx->event, sizeof(ngx_vod_api_event_t));
    ngx_str_null(&ctx->task_id);
    ngx_str_null(&ctx->code);
    ngx_str_null(&ctx->message);
    ctx->api_tries = 0;
    ctx->status = 0;
    ctx->reading = 0;
    ctx->begun = 0;
    ctx->processing = 0;
    ctx->passing = 0;
    ctx->passed = 0;
    ctx->failed = 0;
    ctx->answered = 0;
}


static void
ngx_http_vod_event_cleanup(void *data)
{
    ngx_http_vod_event_ctx_t *ctx = data;

    if (ctx->retry.timer_set) {
        ngx_del_timer(&ctx->retry);
    }
}


/*
 * ---- pulled events: worker 0 ----
 *
 * A round: PullEvents, each event handled in turn, ConfirmEvents for those
 * handled.  Each round runs on a request of its own, made for it and
 * freed after it, so that what a round allocates (nginx puts some of a
 * subrequest's memory in the main request's pool) goes with it.
 */

ngx_int_t
ngx_http_vod_upload_pull_init_process(ngx_cycle_t *cycle)
{
    ngx_pool_t                       *pool;
    ngx_http_vod_puller_t            *p;
    ngx_http_vod_upload_main_conf_t  *vmcf;

    if ((ngx_process != NGX_PROCESS_WORKER
         && ngx_process != NGX_PROCESS_SINGLE)
        || ngx_worker != 0)
    {
        return NGX_OK;
    }

    vmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_vod_upload_module);
    if (vmcf == NULL || vmcf->pull == NULL) {
        return NGX_OK;
    }

    /* a failure to pull must not keep nginx from serving */

    pool = ngx_create_pool(1024, cycle->log);
    if (pool == NULL) {
        return NGX_OK;
    }

    p = ngx_pcalloc(pool, sizeof(ngx_http_vod_puller_t));
    if (p == NULL) {
        ngx_destroy_pool(pool);
        return NGX_OK;
    }

    p->pool = pool;
    p->conf = vmcf->pull;

    p->timer.handler = ngx_http_vod_pull_round;
    p->timer.data = p;
    p->timer.log = cycle->log;
    p->timer.cancelable = 1;

    p->watch.handler = ngx_http_vod_pull_watch;
    p->watch.data = p;
    p->watch.log = cycle->log;
    p->watch.cancelable = 1;

    ngx_http_vod_puller = p;

    ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                  "vod events: pulling events from VOD for the vod_callback "
                  "location in %V:%ui", &p->conf->callback_file,
                  p->conf->callback_line);

    ngx_add_timer(&p->timer, 1);

    return NGX_OK;
}


void
ngx_http_vod_upload_pull_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_vod_puller_t  *p;

    p = ngx_http_vod_puller;

    if (p == NULL) {
        return;
    }

    ngx_http_vod_puller = NULL;

    if (p->timer.timer_set) {
        ngx_del_timer(&p->timer);
    }

    if (p->watch.timer_set) {
        ngx_del_timer(&p->watch);
    }

    if (p->request) {
        ngx_http_vod_upload_fake_close(p->request, 1);
        p->request = NULL;
    }

    ngx_destroy_pool(p->pool);
}


/* a round begins: its request, then PullEvents */

static void
ngx_http_vod_pull_round(ngx_event_t *ev)
{
    ngx_http_vod_puller_t *p = ev->data;

    const char                *err;
    ngx_vod_alloc_t            a;
    ngx_vod_api_int_t          sub;
    ngx_http_request_t        *r;
    ngx_http_vod_call_t       *call;
    ngx_http_vod_event_ctx_t  *ctx;

    if (ngx_http_vod_pull_stopping()) {
        return;
    }

    r = ngx_http_vod_upload_fake_request(p->conf->callback_ctx,
                                         "pulling VOD events",
                                         "events pulled from VOD");
    if (r == NULL) {
        goto failed;
    }

    p->request = r;

    p->ctx = ngx_http_vod_event_ctx_create(r, p->conf, p);
    if (p->ctx == NULL) {
        goto failed;
    }

    ctx = p->ctx;

    p->confirm = ngx_array_create(r->pool, NGX_VOD_API_EVENT_HANDLES_MAX,
                                  sizeof(ngx_vod_str_t));
    if (p->confirm == NULL) {
        goto failed;
    }

    p->items = NULL;
    p->nitems = 0;
    p->next = 0;

    call = ngx_http_vod_upload_call_create(&ctx->calls, "PullEvents", 0);
    if (call == NULL) {
        goto failed;
    }

    sub.value = p->conf->sub_app_id;
    sub.set = (p->conf->sub_app_id != 0);

    a.alloc = ngx_http_vod_upload_palloc;
    a.data = call->pool;

    call->handler = ngx_http_vod_pull_done;

    /* VOD holds the answer up to 5 s: vod_read_timeout may be shorter */
    call->read_timeout = NGX_HTTP_VOD_PULL_READ_TIMEOUT;

    if (ngx_vod_api_pull_events_body(&a, &sub, (ngx_vod_str_t *) &call->body,
                                     &err) != NGX_VOD_OK
        || ngx_http_vod_upload_api_prepare(call, "PullEvents") != NGX_OK
        || ngx_http_vod_upload_call_start(call) != NGX_OK)
    {
        ngx_http_vod_upload_call_free(call);
        goto failed;
    }

    p->state = NGX_HTTP_VOD_PULL_PULLING;
    p->started = ngx_current_msec;
    p->stopping = 0;

    ngx_add_timer(&p->watch, NGX_HTTP_VOD_PULL_WATCH);

    ngx_http_run_posted_requests(r->connection);

    return;

failed:

    ngx_log_error(NGX_LOG_ALERT, ev->log, 0,
                  "vod events: cannot pull events, trying again in %M ms",
                  ngx_http_vod_pull_backoff(p));

    if (p->request) {
        ngx_http_vod_upload_fake_close(p->request, 1);
        p->request = NULL;
    }

    ngx_add_timer(&p->timer, p->backoff);
}


/*
 * While a round runs.  A worker going away ends it at once while
 * PullEvents waits (VOD holds it up to 5 s, and its upstream's timers
 * would hold the worker), otherwise after a grace time for the event under
 * way; the upstreams of a round are not seen by worker_shutdown_timeout.
 * A round that lasts too long is stuck (a vod_callback_pass location that
 * delays its request, say: nothing resumes a delayed background
 * subrequest) and is ended; its events come again.
 */

static void
ngx_http_vod_pull_watch(ngx_event_t *ev)
{
    ngx_http_vod_puller_t *p = ev->data;

    ngx_msec_t  now;

    if (p->request == NULL) {
        return;
    }

    now = ngx_current_msec;

    if (ngx_http_vod_pull_stopping()) {

        if (p->state == NGX_HTTP_VOD_PULL_PULLING) {
            ngx_log_error(NGX_LOG_INFO, ev->log, 0,
                          "vod events: the worker is going away, pulling "
                          "stops");
            goto close;
        }

        if (p->stopping == 0) {
            p->stopping = now;

        } else if (now - p->stopping >= NGX_HTTP_VOD_PULL_GRACE) {
            ngx_log_error(NGX_LOG_WARN, ev->log, 0,
                          "vod events: the worker is going away, the "
                          "events under way are left for VOD to deliver "
                          "again");
            goto close;
        }

    } else if (now - p->started >= NGX_HTTP_VOD_ROUND_MAX) {
        ngx_log_error(NGX_LOG_ALERT, ev->log, 0,
                      "vod events: a round of pulled events has run for "
                      "%M s and is ended, its events come again; does "
                      "the vod_callback_pass location delay requests "
                      "(limit_req without nodelay)?",
                      (now - p->started) / 1000);

        ngx_http_vod_upload_fake_close(p->request, 1);
        p->request = NULL;
        p->state = NGX_HTTP_VOD_PULL_IDLE;

        ngx_add_timer(&p->timer, ngx_http_vod_pull_backoff(p));
        return;
    }

    ngx_add_timer(&p->watch, NGX_HTTP_VOD_PULL_WATCH);
    return;

close:

    ngx_http_vod_upload_fake_close(p->request, 1);
    p->request = NULL;
    p->state = NGX_HTTP_VOD_PULL_IDLE;
}


static void
ngx_http_vod_pull_done(ngx_http_request_t *r, ngx_http_vod_call_t *call)
{
    int                         rc;
    ngx_msec_t                  took;
    ngx_vod_alloc_t             a;
    ngx_vod_api_result_t        res;
    ngx_http_vod_puller_t      *p;
    ngx_http_vod_event_ctx_t   *ctx;
    ngx_vod_api_pull_events_t   out;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);
    p = ctx->puller;

    p->state = NGX_HTTP_VOD_PULL_DONE;

    if (call->rc != NGX_OK || call->status != NGX_HTTP_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod events: PullEvents failed (%s%ui), trying again "
                      "in %M ms", call->rc != NGX_OK ? "no answer, "
                                                     : "status ",
                      call->rc != NGX_OK ? (ngx_uint_t) call->rc
                                         : call->status,
                      ngx_http_vod_pull_backoff(p));
        p->delay = p->backoff;
        return;
    }

    a.alloc = ngx_http_vod_upload_palloc;
    a.data = r->pool;

    rc = ngx_vod_api_parse_pull_events(&a, call->response.data,
                                       call->response.len, &out, &res);

    if (rc != NGX_VOD_OK) {
        call->failed = 1;

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod events: PullEvents failed: %s%s%s, trying again "
                      "in %M ms",
                      rc == NGX_VOD_API_ERROR ? (char *) res.code.data
                                              : res.error,
                      rc == NGX_VOD_API_ERROR ? ": " : "",
                      rc == NGX_VOD_API_ERROR ? (char *) res.message.data
                                              : "",
                      ngx_http_vod_pull_backoff(p));
        p->delay = p->backoff;
        return;
    }

    p->backoff = 0;

    if (out.nitems == 0) {

        /* VOD holds an empty answer for a while; a quick one is spaced */

        took = ngx_current_msec - p->started;
        p->delay = (took < NGX_HTTP_VOD_PULL_EMPTY_MIN)
                   ? NGX_HTTP_VOD_PULL_EMPTY_MIN - took : 1;
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "vod events: %uz event(s) pulled", out.nitems);

    ngx_http_vod_upload_count(events_pulled, out.nitems);

    p->items = out.items;
    p->nitems = out.nitems;
    p->next = 0;
    p->pulled = ngx_current_msec;
    p->delay = 1;

    ngx_http_vod_pull_next(p);
}


/* the next event of the batch, handled exactly like a pushed one */

static void
ngx_http_vod_pull_next(ngx_http_vod_puller_t *p)
{
    ngx_http_request_t        *r;
    ngx_vod_api_event_item_t  *item;
    ngx_http_vod_event_ctx_t  *ctx;

    r = p->request;
    ctx = p->ctx;
    item = &p->items[p->next];

    p->state = NGX_HTTP_VOD_PULL_HANDLING;

    ngx_http_vod_event_reset(ctx);

    ctx->json.data = item->json.data;
    ctx->json.len = item->json.len;
    ctx->begun = 1;

    if (ngx_http_vod_event_begin(r, ctx) != NGX_OK) {
        ctx->failed = 1;
    }

    ctx->event.event_handle = item->event_handle;
}


/*
 * After the calls of a round: the event under way, then the next one,
 * then ConfirmEvents; the round ends once no call is left.
 */

static void
ngx_http_vod_pull_step(ngx_http_vod_calls_t *calls)
{
    ngx_int_t                  rc;
    ngx_vod_str_t             *h;
    ngx_http_request_t        *r;
    ngx_http_vod_puller_t     *p;
    ngx_http_vod_event_ctx_t  *ctx;

    ctx = calls->data;
    r = calls->request;
    p = ctx->puller;

    while (p->state == NGX_HTTP_VOD_PULL_HANDLING) {

        rc = ngx_http_vod_event_progress(r, ctx);

        if (rc == NGX_AGAIN) {
            return;
        }

        ngx_http_vod_event_count(ctx, rc);

        if (rc == NGX_OK) {
            h = ngx_array_push(p->confirm);
            if (h) {
                *h = p->items[p->next].event_handle;
            }

        } else {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "vod events: the %V event is not confirmed, VOD "
                          "will deliver it again",
                          &p->items[p->next].event_type);
        }

        p->next++;

        /* the handles expire 30 s after the pull: confirm in time */

        if (p->next == p->nitems || ngx_http_vod_pull_stopping()
            || (p->confirm->nelts
                && ngx_current_msec - p->pulled
                   >= NGX_HTTP_VOD_PULL_CONFIRM_BY))
        {
            ngx_http_vod_confirm_start(p);

            if (p->state != NGX_HTTP_VOD_PULL_DONE
                || p->next == p->nitems || ngx_http_vod_pull_stopping())
            {
                break;
            }
        }

        ngx_http_vod_pull_next(p);
    }

    if (p->state != NGX_HTTP_VOD_PULL_DONE || ctx->calls.active
        || ctx->retry.timer_set)
    {
        return;
    }

    /* the round is over; nothing of its request is used afterwards */

    ngx_http_vod_upload_fake_close(r, 0);
    p->request = NULL;
    p->state = NGX_HTTP_VOD_PULL_IDLE;

    if (p->watch.timer_set) {
        ngx_del_timer(&p->watch);
    }

    if (!ngx_http_vod_pull_stopping()) {
        ngx_add_timer(&p->timer, p->delay);
    }
}


/* ConfirmEvents: the events handled since the last one */

static void
ngx_http_vod_confirm_start(ngx_http_vod_puller_t *p)
{
    const char                        *err;
    ngx_vod_alloc_t                    a;
    ngx_http_vod_call_t               *call;
    ngx_vod_api_confirm_events_req_t   req;

    p->state = NGX_HTTP_VOD_PULL_DONE;

    if (p->confirm->nelts == 0) {
        return;
    }

    call = ngx_http_vod_upload_call_create(&p->ctx->calls, "ConfirmEvents", 0);
    if (call == NULL) {
        goto failed;
    }

    ngx_memzero(&req, sizeof(ngx_vod_api_confirm_events_req_t));
    req.handles = p->confirm->elts;
    req.nhandles = p->confirm->nelts;
    req.sub_app_id.value = p->conf->sub_app_id;
    req.sub_app_id.set = (p->conf->sub_app_id != 0);

    a.alloc = ngx_http_vod_upload_palloc;
    a.data = call->pool;

    call->handler = ngx_http_vod_confirm_done;

    if (ngx_vod_api_confirm_events_body(&a, &req,
                                        (ngx_vod_str_t *) &call->body, &err)
        != NGX_VOD_OK
        || ngx_http_vod_upload_api_prepare(call, "ConfirmEvents") != NGX_OK
        || ngx_http_vod_upload_call_start(call) != NGX_OK)
    {
        ngx_http_vod_upload_call_free(call);
        goto failed;
    }

    p->state = NGX_HTTP_VOD_PULL_CONFIRMING;

    return;

failed:

    ngx_log_error(NGX_LOG_ERR, p->request->connection->log, 0,
                  "vod events: ConfirmEvents of %ui event(s) could not be "
                  "sent, VOD will deliver them again", p->confirm->nelts);

    p->confirm->nelts = 0;
}


static void
ngx_http_vod_confirm_done(ngx_http_request_t *r, ngx_http_vod_call_t *call)
{
    int                        rc;
    ngx_vod_alloc_t            a;
    ngx_vod_api_result_t       res;
    ngx_http_vod_puller_t     *p;
    ngx_http_vod_event_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);
    p = ctx->puller;

    rc = NGX_VOD_ERROR;
    res.error = "no answer";

    if (call->rc == NGX_OK && call->status == NGX_HTTP_OK) {
        a.alloc = ngx_http_vod_upload_palloc;
        a.data = call->pool;

        rc = ngx_vod_api_parse_result(&a, call->response.data,
                                      call->response.len, &res);

    } else if (call->rc == NGX_OK) {
        res.error = "an error status";
    }

    if (rc != NGX_VOD_OK) {
        call->failed = 1;

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod events: ConfirmEvents of %ui event(s) failed "
                      "(%s), VOD will deliver them again", p->confirm->nelts,
                      rc == NGX_VOD_API_ERROR ? (char *) res.code.data
                                              : res.error);

    } else {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod events: %ui event(s) confirmed",
                      p->confirm->nelts);

        ngx_http_vod_upload_count(events_confirmed, p->confirm->nelts);
    }

    p->confirm->nelts = 0;
    p->state = NGX_HTTP_VOD_PULL_DONE;

    /* confirmed early: the rest of the batch */

    if (p->next < p->nitems && !ngx_http_vod_pull_stopping()) {
        ngx_http_vod_pull_next(p);
    }
}


/* after a failure: 1 s, 2 s, 4 s, ... at most 30 s */

static ngx_msec_t
ngx_http_vod_pull_backoff(ngx_http_vod_puller_t *p)
{
    p->backoff = p->backoff ? ngx_min(2 * p->backoff,
                                      NGX_HTTP_VOD_PULL_BACKOFF_MAX)
                            : NGX_HTTP_VOD_PULL_BACKOFF_MIN;

    return p->backoff;
}


/* the worker is going away (quit, reload) */

static ngx_uint_t
ngx_http_vod_pull_stopping(void)
{
    return ngx_exiting || ngx_quit || ngx_terminate;
}


static ngx_int_t
ngx_http_vod_event_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                 *s;
    ngx_http_vod_event_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_vod_upload_module);

    /* the module's context of an upload is of another kind */

    if (ctx == NULL
        || (r->main->content_handler != ngx_http_vod_upload_event_handler
            && (ngx_http_vod_puller == NULL
                || r->main != ngx_http_vod_puller->request)))
    {
        v->not_found = 1;
        return NGX_OK;
    }

    switch (data) {

    case 0:
        s = (ngx_str_t *) &ctx->event.event_type;
        break;

    case 1:
        s = (ngx_str_t *) &ctx->event.file_id;
        break;

    default:
        s = ctx->task_id.len ? &ctx->task_id
                             : (ngx_str_t *) &ctx->event.task_id;
        break;
    }

    if (s->len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = s->data;
    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}
