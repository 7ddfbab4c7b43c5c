
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * The relay engine: one upload into VOD.  ApplyUpload -> the bytes a
 * front-end writes, into part buffers -> COS (one PUT Object, or Initiate
 * + UploadPart x N + Complete) -> CommitUpload; and, once it is over,
 * what must not stay in COS removed.  The API is in
 * ngx_http_vod_upload_relay.h; the engine never reads the client and
 * never answers it.
 *
 * The functions follow one upload from top to bottom.  Everything runs
 * on nginx's event loop: calls finish in ngx_http_vod_upload_call.c,
 * which runs their handlers and then ngx_http_vod_step(), the one place
 * that decides what happens next.  Call handlers and the API only record
 * what happened; only the step (and timers, through it) runs the
 * front-end's handlers, which may end the request.
 */


#include "ngx_http_vod_upload_relay.h"
#include "ngx_http_vod_upload_buffers.h"
#include "ngx_http_vod_upload_call.h"
#include "ngx_http_vod_upload_journal.h"
#include "ngx_http_vod_upload_sign.h"
#include "ngx_vod_cos_xml.h"
#include "ngx_vod_crc64.h"
#include "ngx_http_vod_upload_status.h"
#include "ngx_vod_http.h"
#include "ngx_vod_params.h"
#include "ngx_vod_parts.h"
#include "ngx_vod_tus.h"

#include <ngx_md5.h>


#define NGX_HTTP_VOD_API_TRIES      3

/* CommitUpload's answer to a session it does not know, or committed */
#define NGX_HTTP_VOD_SESSION_INVALID  "InvalidParameterValue.VodSessionKey"
#define NGX_HTTP_VOD_BACKOFF_BASE   100         /* ms, doubled each try */
#define NGX_HTTP_VOD_BACKOFF_MAX    5000        /* ms */
/*
 * a part that may end early ends once it has been filling this long: a
 * slow upload's parts hold about a second of its bytes (1 MiB at least)
 */
#define NGX_HTTP_VOD_PART_PACE      1000        /* ms */


typedef enum {
    NGX_HTTP_VOD_APPLYING = 0,
    NGX_HTTP_VOD_LISTING,                       /* resumed: what COS holds */
    NGX_HTTP_VOD_UPLOADING,
    NGX_HTTP_VOD_COMPLETING,
    NGX_HTTP_VOD_COVERING,
    NGX_HTTP_VOD_COMMITTING,
    NGX_HTTP_VOD_CLEANING,
    NGX_HTTP_VOD_FINISHED
} ngx_http_vod_state_e;


/* what an upload that is over removes from COS, in this order */

typedef enum {
    NGX_HTTP_VOD_CLEAN_ABORT = 0,               /* its multipart upload */
    NGX_HTTP_VOD_CLEAN_LIST,                    /* find lost Initiates' */
    NGX_HTTP_VOD_CLEAN_ABORT_LOST,              /* and abort them */
    NGX_HTTP_VOD_CLEAN_DELETE,                  /* the object, uncommitted */
    NGX_HTTP_VOD_CLEAN_DELETE_COVER             /* and the cover's */
} ngx_http_vod_clean_e;


typedef enum {
    NGX_HTTP_VOD_SLOT_FREE = 0,
    NGX_HTTP_VOD_SLOT_FILLING,                  /* the body goes here */
    NGX_HTTP_VOD_SLOT_READY,                    /* full, not yet sent */
    NGX_HTTP_VOD_SLOT_SENDING,                  /* a call is under way */
    NGX_HTTP_VOD_SLOT_WAITING                   /* to be tried again */
} ngx_http_vod_slot_state_e;


/*
 * A part's buffer: parts_in_flight + 1 of them, reused part after part.
 * Its memory is taken from the worker's budget as the part fills
 * (ngx_http_vod_upload_buffers.c), and given back when others wait.
 */

typedef struct {
    ngx_http_vod_upload_relay_t      *ctx;
    ngx_http_vod_slot_state_e       state;
    ngx_uint_t                      part;       /* its number, 1-based */
    u_char                         *buf;
    size_t                          size;       /* its address space */
    size_t                          committed;  /* its memory, counted */
    size_t                          want;       /* the size of the part */
    size_t                          len;        /* received */
    ngx_msec_t                      begun;
    unsigned                        huge:1;     /* in huge pages */
    /* it went out as it filled, and failed: it goes whole */
    unsigned                        no_stream:1;
    /* the call that sends it as it fills (ngx_http_vod_slot_streams) */
    ngx_http_vod_call_t            *stream;
    uint64_t                        crc;
    ngx_md5_t                       md5;
    ngx_uint_t                      tries;
    ngx_event_t                     retry;
    const char                     *bad;        /* answer refused: why */
} ngx_http_vod_slot_t;


struct ngx_http_vod_upload_relay_s {
    ngx_http_vod_calls_t            calls;
    ngx_http_request_t             *request;
    ngx_http_vod_upload_loc_conf_t *conf;
    ngx_http_vod_upload_relay_handler_t  *handler;
    ngx_http_vod_state_e            state;
    ngx_http_vod_upload_result_t    result;

    ngx_vod_api_apply_upload_req_t  apply;
    ngx_http_vod_cos_t              cos;
    ngx_str_t                       session_key;
    ngx_uint_t                      api_tries;
    ngx_event_t                     api_retry;

    /* the body */
    off_t                           length;     /* -1: not known */
    /* what bounds the length (-1: nothing), for parts that end early */
    off_t                           bound;
    uint64_t                        part_size;  /* when the length is */
    off_t                           received;
    ngx_http_vod_slot_t            *slots;
    ngx_uint_t                      nslots;
    ngx_http_vod_slot_t            *filling;
    ngx_http_vod_upload_buffers_waiter_t  buffers;

    /* the parts */
    ngx_uint_t                      parts;      /* numbered so far */
    ngx_uint_t                      sealed;
    ngx_uint_t                      parts_done;
    ngx_uint_t                      sending;    /* SENDING and WAITING */
    uint64_t                        crc;        /* of the sealed parts */
    ngx_array_t                     etags;      /* of ngx_vod_cos_part_t */
    ngx_str_t                       upload_id;
    ngx_uint_t                      cos_tries;  /* Initiate */

    /* cleaning up: the calls of ngx_http_vod_cleanup() */
    ngx_uint_t                      cleanup_tries;
    ngx_event_t                     cleanup_retry;
    ngx_array_t                     lost;       /* of ngx_str_t, upload ids */
    ngx_uint_t                      lost_done;
    ngx_str_t                       list_key_marker;
    ngx_str_t                       list_id_marker;

    /* the journal's record of the multipart upload, while there is one */
    ngx_str_t                       journal;

    /* the cover: put once the media is complete, before CommitUpload */
    ngx_str_t                       cover_type;
    ngx_str_t                       cover_data;
    uint64_t                        cover_crc;
    ngx_str_t                       cover_key;
    ngx_str_t                       cover_key_uri;
    ngx_uint_t                      cover_tries;
    ngx_event_t                     cover_retry;

    unsigned                        multipart:1;
    unsigned                        single:1;
    unsigned                        initiating:1;
    unsigned                        ready:1;    /* the front-end was told */
    unsigned                        reading:1;  /* the front-end writes */
    unsigned                        paused:1;   /* ... and waits */
    unsigned                        body_done:1;
    unsigned                        completed:1;    /* the object exists */
    unsigned                        committed:1;
    unsigned                        aborted:1;
    unsigned                        failed:1;
    /* an Initiate went out and its answer was lost */
    unsigned                        initiate_unsure:1;
    /* COS answered 404 to the abort of an upload never completed */
    unsigned                        abort_missing:1;
    unsigned                        listed:1;
    /* an object may be in COS: a PutObject or Complete without answer */
    unsigned                        object_written:1;
    unsigned                        deleted:1;
    /* an abort or a list that could not be done: the record stays */
    unsigned                        left_behind:1;
    /* a journal's record swept, not an upload */
    unsigned                        sweep:1;
    unsigned                        cover_done:1;
    /* the cover object may be in COS */
    unsigned                        cover_written:1;
    unsigned                        cover_deleted:1;
    /* a CommitUpload went out and its answer was lost */
    unsigned                        commit_unsure:1;
    /* ... and no later try told: the outcome is not known */
    unsigned                        unconfirmed:1;

    /* resumable (tus): the parts COS held when the request began */
    ngx_array_t                     held;       /* of ngx_vod_cos_part_t */
    uint32_t                        list_marker;
    ngx_uint_t                      list_tries;
    ngx_event_t                     list_retry;
    off_t                           offset;
    /*
     * parts up to this number may be followed by parts an earlier request
     * stored past a part that failed: each must keep the plan's size (or
     * end the upload), or those would seem to follow it
     */
    ngx_uint_t                      whole;
    unsigned                        keep:1;     /* the upload outlives r */
    unsigned                        resumed:1;  /* ... and began before */
    unsigned                        kept:1;     /* this request's part done */
    unsigned                        finished:1; /* completed before */
    unsigned                        heading:1;  /* HeadObject, not a list */
    unsigned                        terminate:1;
    /* the object's CRC-64 is not the one of the bytes sent */
    unsigned                        corrupt:1;

    /* the outcome */
    ngx_uint_t                      status;
    ngx_str_t                       code;
    ngx_str_t                       message;
    ngx_str_t                       request_id;     /* of the last answer */
    ngx_str_t                       file_id;
    ngx_str_t                       media_url;
    ngx_str_t                       cover_url;
    ngx_msec_t                      start;

    /*
     * a part filled up within the pace: the client is fast, its parts'
     * buffers are taken whole, in huge pages
     */
    unsigned                        fast:1;

    /* in the list of uploads in flight (vod_status), or NULL */
    ngx_vod_metrics_upload_t       *in_flight;
};


static ngx_int_t ngx_http_vod_apply_start(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx, ngx_str_t *error);
static void ngx_http_vod_apply_done(ngx_http_request_t *r,
    ngx_http_vod_call_t *call);
static ngx_int_t ngx_http_vod_cos_object(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx, ngx_vod_api_apply_upload_t *out);
static ngx_int_t ngx_http_vod_list_start(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx);
static void ngx_http_vod_list_done(ngx_http_request_t *r,
    ngx_http_vod_call_t *call);
static ngx_int_t ngx_http_vod_list_page(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx, ngx_http_vod_call_t *call);
static ngx_int_t ngx_http_vod_list_offset(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx);
static void ngx_http_vod_list_retry(ngx_event_t *ev);
static void ngx_http_vod_keep_end(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx);
static ngx_uint_t ngx_http_vod_plan_fits(ngx_http_vod_upload_relay_t *ctx,
    ngx_uint_t parts, off_t offset);
static ngx_http_vod_slot_t *ngx_http_vod_slot_get(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx);
static void ngx_http_vod_slot_seal(ngx_http_vod_upload_relay_t *ctx,
    ngx_http_vod_slot_t *slot);
static ngx_uint_t ngx_http_vod_slot_streams(
    ngx_http_vod_upload_relay_t *ctx, ngx_http_vod_slot_t *slot);
static void ngx_http_vod_slot_drop(ngx_http_vod_upload_relay_t *ctx,
    ngx_http_vod_slot_t *slot);
static void ngx_http_vod_slot_abandon(ngx_http_vod_slot_t *slot);
static ngx_int_t ngx_http_vod_slot_grow(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx, ngx_http_vod_slot_t *slot);
static ngx_uint_t ngx_http_vod_slot_may_end(ngx_http_vod_upload_relay_t *ctx,
    ngx_uint_t part, off_t received);
static void ngx_http_vod_slots_idle(ngx_http_vod_upload_relay_t *ctx,
    ngx_uint_t all);
static ngx_int_t ngx_http_vod_buffers(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx);
static void ngx_http_vod_step(ngx_http_vod_calls_t *calls);
static void ngx_http_vod_schedule(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx);
static ngx_int_t ngx_http_vod_media_done(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx);
static ngx_int_t ngx_http_vod_cover_start(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx);
static void ngx_http_vod_cover_done(ngx_http_request_t *r,
    ngx_http_vod_call_t *call);
static void ngx_http_vod_cover_retry(ngx_event_t *ev);
static ngx_int_t ngx_http_vod_initiate_start(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx);
static void ngx_http_vod_initiate_done(ngx_http_request_t *r,
    ngx_http_vod_call_t *call);
static ngx_int_t ngx_http_vod_part_start(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx, ngx_http_vod_slot_t *slot);
static void ngx_http_vod_part_done(ngx_http_request_t *r,
    ngx_http_vod_call_t *call);
static const char *ngx_http_vod_part_check(ngx_http_request_t *r,
    ngx_http_vod_slot_t *slot, ngx_http_vod_call_t *call);
static void ngx_http_vod_part_retry(ngx_event_t *ev);
static ngx_int_t ngx_http_vod_complete_start(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx);
static void ngx_http_vod_complete_done(ngx_http_request_t *r,
    ngx_http_vod_call_t *call);
static ngx_int_t ngx_http_vod_commit_start(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx);
static void ngx_http_vod_commit_done(ngx_http_request_t *r,
    ngx_http_vod_call_t *call);
static ngx_int_t ngx_http_vod_api_answer(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx, ngx_http_vod_call_t *call);
static ngx_int_t ngx_http_vod_api_result(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx, ngx_http_vod_call_t *call,
    ngx_vod_api_result_t *res, int rc);
static void ngx_http_vod_commit_unconfirmed(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx, ngx_http_vod_call_t *call,
    ngx_vod_api_result_t *res);
static void ngx_http_vod_api_retry(ngx_event_t *ev);
static ngx_int_t ngx_http_vod_cleanup(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx);
static ngx_int_t ngx_http_vod_cleanup_start(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx, ngx_http_vod_clean_e what);
static void ngx_http_vod_cleanup_done(ngx_http_request_t *r,
    ngx_http_vod_call_t *call);
static ngx_int_t ngx_http_vod_cleanup_list(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx, ngx_http_vod_call_t *call);
static void ngx_http_vod_cleanup_lost(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx, ngx_http_vod_clean_e what, u_char *why);
static void ngx_http_vod_cleanup_next(ngx_http_vod_upload_relay_t *ctx,
    ngx_http_vod_clean_e what);
static void ngx_http_vod_cleanup_retry(ngx_event_t *ev);
static void ngx_http_vod_cos_failed(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx, ngx_http_vod_call_t *call);
static void ngx_http_vod_api_failed(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx, ngx_http_vod_call_t *call,
    ngx_vod_api_result_t *res, int rc);
static void ngx_http_vod_failf(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx, ngx_uint_t level, ngx_uint_t status,
    const char *code, const char *fmt, ...);
static u_char *ngx_http_vod_part_name(ngx_http_vod_call_t *call);
static void ngx_http_vod_fail(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx, ngx_uint_t status, const char *code,
    ngx_str_t *message);
static void ngx_http_vod_finish(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx);
static ngx_uint_t ngx_http_vod_cos_retryable(ngx_http_vod_call_t *call);
static ngx_msec_t ngx_http_vod_backoff(ngx_uint_t tries);
static ngx_int_t ngx_http_vod_cos_doc(ngx_http_vod_call_t *call,
    ngx_vod_cos_xml_root_e root, ngx_vod_cos_xml_doc_t *doc);
static void ngx_http_vod_copy(ngx_pool_t *pool, ngx_str_t *dst, u_char *data,
    size_t len);
static void ngx_http_vod_relay_free(void *data);


static ngx_str_t  ngx_http_vod_empty = ngx_null_string;


/* the API: see ngx_http_vod_upload_relay.h */

ngx_http_vod_upload_relay_t *
ngx_http_vod_upload_relay_create(ngx_http_request_t *r,
    ngx_http_vod_upload_loc_conf_t *conf,
    ngx_http_vod_upload_relay_handler_t *handler, off_t length)
{
    ngx_http_cleanup_t           *cln;
    ngx_http_vod_upload_relay_t  *ctx;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_vod_upload_relay_t));
    if (ctx == NULL) {
        return NULL;
    }

    ctx->request = r;
    ctx->conf = conf;
    ctx->handler = handler;
    ctx->start = ngx_current_msec;
    ctx->length = length;

    /*
     * a body of unknown length is bounded by the request's
     * Content-Length (a form's), else by client_max_body_size; taken now,
     * as nginx's chunked filter counts the bytes into content_length_n
     */

    if (length >= 0) {
        ctx->bound = length;

    } else if (!r->headers_in.chunked && r->headers_in.content_length_n >= 0) {
        ctx->bound = r->headers_in.content_length_n;

    } else {
        ctx->bound = conf->max_body_size ? conf->max_body_size : -1;
    }

    if (length > 0) {
        ctx->part_size = ngx_vod_parts_size(length, conf->part_size,
                                            conf->part_size_max);
    }

    /* added first, run last: after the calls and their upstreams ended */

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_vod_relay_free;
    cln->data = ctx;

    if (ngx_http_vod_upload_calls_init(r, &ctx->calls, conf,
                                       ngx_http_vod_step, ctx)
        != NGX_OK)
    {
        return NULL;
    }

    ctx->buffers.wake = &ctx->calls.wake;
    ctx->buffers.log = r->connection->log;

    ctx->api_retry.handler = ngx_http_vod_api_retry;
    ctx->api_retry.data = ctx;
    ctx->api_retry.log = r->connection->log;

    ctx->cleanup_retry.handler = ngx_http_vod_cleanup_retry;
    ctx->cleanup_retry.data = ctx;
    ctx->cleanup_retry.log = r->connection->log;

    ctx->cover_retry.handler = ngx_http_vod_cover_retry;
    ctx->cover_retry.data = ctx;
    ctx->cover_retry.log = r->connection->log;

    if (ngx_array_init(&ctx->lost, r->pool, 1, sizeof(ngx_str_t))
        != NGX_OK)
    {
        return NULL;
    }

    return ctx;
}


void
ngx_http_vod_upload_relay_track(ngx_http_vod_upload_relay_t *ctx,
    ngx_uint_t protocol)
{
    ctx->in_flight = ngx_http_vod_upload_status_begin(ctx->request, protocol,
                                                   ctx->length);
}


/* a cover image for the media: its type ("jpg") and bytes, kept as given */

void
ngx_http_vod_upload_relay_cover(ngx_http_vod_upload_relay_t *ctx,
    ngx_str_t *type, ngx_str_t *data)
{
    ctx->cover_type = *type;
    ctx->cover_data = *data;
    ctx->cover_crc = ngx_vod_crc64(0, data->data, data->len);
}


ngx_int_t
ngx_http_vod_upload_relay_start(ngx_http_vod_upload_relay_t *ctx,
    ngx_vod_api_apply_upload_req_t *params, ngx_str_t *error)
{
    ctx->apply = *params;

    if (ctx->cover_data.len) {
        ctx->apply.cover_type.data = ctx->cover_type.data;
        ctx->apply.cover_type.len = ctx->cover_type.len;
    }

    return ngx_http_vod_apply_start(ctx->request, ctx, error);
}


/*
 * The bytes of the media, into the part being filled; a part that is
 * full is sealed and goes out from the step.  When every buffer is
 * taken: NGX_AGAIN, and the front-end waits for its resume handler.
 */

ngx_int_t
ngx_http_vod_upload_relay_write(ngx_http_vod_upload_relay_t *ctx,
    ngx_buf_t *b)
{
    size_t                n;
    ngx_uint_t            sealed;
    ngx_http_vod_slot_t  *slot;

    if (ctx->failed || !ctx->reading) {
        return NGX_ERROR;
    }

    sealed = ctx->sealed;

    while (b->pos < b->last) {

        slot = ngx_http_vod_slot_get(ctx->request, ctx);

        if (slot == NULL) {
            if (ctx->failed) {
                return NGX_ERROR;
            }

            ctx->paused = 1;
            break;
        }

        n = ngx_min((size_t) (b->last - b->pos),
                    ngx_min(slot->want, slot->committed) - slot->len);

        /* read into the slot (the window): already in place */

        if (b->pos != slot->buf + slot->len) {
            ngx_memmove(slot->buf + slot->len, b->pos, n);
        }

        slot->crc = ngx_vod_crc64(slot->crc, slot->buf + slot->len, n);

        if (ctx->conf->md5) {
            ngx_md5_update(&slot->md5, slot->buf + slot->len, n);
        }

        slot->len += n;
        b->pos += n;
        ctx->received += n;

        if (slot->stream) {
            ngx_http_vod_upload_call_more(slot->stream);
        }

        ngx_http_vod_upload_count(received_bytes, n);

        if (slot->len == slot->want) {

            /* a whole part of the plan within the pace: a fast client */

            if (!ctx->fast && slot->want == ctx->part_size
                && ngx_current_msec - slot->begun < NGX_HTTP_VOD_PART_PACE)
            {
                ctx->fast = 1;
            }

            ngx_http_vod_slot_seal(ctx, slot);
        }
    }

    if (ctx->sealed != sealed) {
        ngx_post_event(&ctx->calls.wake, &ngx_posted_events);
    }

    if (ctx->in_flight) {
        __atomic_store_n(&ctx->in_flight->received, (uint64_t) ctx->received,
                         __ATOMIC_RELAXED);
    }

    return ctx->paused ? NGX_AGAIN : NGX_OK;
}


/*
 * Where the next bytes go: the free end of the part being filled, or of
 * a part begun for bytes that wait.  NGX_AGAIN: every buffer is taken,
 * resume tells.
 */

ngx_int_t
ngx_http_vod_upload_relay_window(ngx_http_vod_upload_relay_t *ctx,
    u_char **p, size_t *n, ngx_uint_t waiting)
{
    ngx_http_vod_slot_t  *slot;

    if (ctx->failed || !ctx->reading
        || (ctx->filling == NULL
            && (!waiting
                || (ctx->length >= 0 && ctx->received >= ctx->length))))
    {
        return NGX_DECLINED;
    }

    slot = ngx_http_vod_slot_get(ctx->request, ctx);

    if (slot == NULL) {
        if (ctx->failed) {
            return NGX_DECLINED;
        }

        ctx->paused = 1;
        return NGX_AGAIN;
    }

    *p = slot->buf + slot->len;
    *n = ngx_min(slot->want, slot->committed) - slot->len;

    return NGX_OK;
}


void
ngx_http_vod_upload_relay_end(ngx_http_vod_upload_relay_t *ctx)
{
    ngx_str_t            msg;
    ngx_http_request_t  *r;

    r = ctx->request;

    if (ctx->failed || !ctx->reading) {
        return;
    }

    ctx->reading = 0;

    ngx_post_event(&ctx->calls.wake, &ngx_posted_events);

    if (ctx->keep) {
        ngx_http_vod_keep_end(r, ctx);
        return;
    }

    ngx_http_vod_upload_buffers_leave(&ctx->buffers);

    if (ctx->received == 0) {
        ngx_str_set(&msg, "the request's body is empty");
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod upload: %V", &msg);
        ngx_http_vod_fail(r, ctx, NGX_HTTP_BAD_REQUEST, "EmptyBody", &msg);
        return;
    }

    ctx->body_done = 1;

    /* a part begun for bytes that were not the media's: none */

    if (ctx->filling && ctx->filling->len == 0) {
        ngx_http_vod_slot_drop(ctx, ctx->filling);
    }

    if (ctx->filling) {
        ngx_http_vod_slot_seal(ctx, ctx->filling);
    }

    /* a body of unknown length that fit in one part: one PUT Object */

    if (!ctx->multipart) {
        ctx->single = 1;
    }

    ngx_http_vod_slots_idle(ctx, 1);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "vod upload: body of %O bytes read, %ui part(s), %s",
                   ctx->received, ctx->sealed,
                   ctx->single ? "one PUT" : "multipart");
}


/*
 * The end of a resumable upload's request: a tail that COS takes as a
 * part (1 MiB) is stored, a shorter one dropped (the client sends it
 * again); the upload is completed only when its bytes reach the length.
 */

static void
ngx_http_vod_keep_end(ngx_http_request_t *r, ngx_http_vod_upload_relay_t *ctx)
{
    ngx_http_vod_slot_t  *slot;

    ngx_http_vod_upload_buffers_leave(&ctx->buffers);

    slot = ctx->filling;

    if (slot) {
        if ((ctx->length >= 0 && ctx->received == ctx->length)
            || (slot->len >= NGX_VOD_PART_SIZE_MIN
                && slot->part > ctx->whole
                && ngx_http_vod_plan_fits(ctx, slot->part, ctx->received)))
        {
            ngx_http_vod_slot_seal(ctx, slot);

        } else {
            ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "vod upload: %uz bytes of part %ui dropped",
                           slot->len, slot->part);

            ngx_http_vod_slot_drop(ctx, slot);
        }
    }

    ctx->body_done = 1;

    if (ctx->length < 0 || ctx->received < ctx->length) {
        ctx->kept = 1;
    }

    ngx_http_vod_slots_idle(ctx, 1);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "vod upload: the request's bytes end at %O, %ui part(s), "
                   "%s", ctx->received, ctx->sealed,
                   ctx->kept ? "kept" : "complete");
}


/*
 * With parts numbered up to "parts" holding the bytes up to "offset",
 * the rest of a known length still fits in COS's 10000 parts of the
 * plan's size (a shorter part in the middle costs one)
 */

static ngx_uint_t
ngx_http_vod_plan_fits(ngx_http_vod_upload_relay_t *ctx, ngx_uint_t parts,
    off_t offset)
{
    off_t  rest;

    if (ctx->length < 0 || ctx->part_size == 0) {
        return 1;
    }

    rest = ctx->length - offset;

    return parts + (ngx_uint_t) ((rest + (off_t) ctx->part_size - 1)
                                 / (off_t) ctx->part_size)
           <= NGX_VOD_PARTS_MAX;
}


void
ngx_http_vod_upload_relay_fail(ngx_http_vod_upload_relay_t *ctx,
    ngx_uint_t status, const char *code, ngx_str_t *message)
{
    /* the front-end stopped writing: nothing to tell it */

    ctx->reading = 0;

    if (status == NGX_HTTP_CLIENT_CLOSED_REQUEST) {
        ctx->calls.client_gone = 1;
    }

    ngx_http_vod_fail(ctx->request, ctx, status, code, message);
}


ngx_http_vod_upload_result_t *
ngx_http_vod_upload_relay_result(ngx_http_vod_upload_relay_t *ctx)
{
    return &ctx->result;
}


void
ngx_http_vod_upload_relay_keep(ngx_http_vod_upload_relay_t *ctx)
{
    ctx->keep = 1;

    /* a length that was known: the plan is fixed at creation */

    if (ctx->length < 0) {
        ctx->part_size = 0;
    }
}


/* the upload's state from the client: ListParts tells where it is */

static void
ngx_http_vod_resumed(ngx_http_vod_upload_relay_t *ctx,
    ngx_http_vod_upload_kept_t *upload)
{
    ctx->cos = upload->cos;
    ctx->session_key = upload->session_key;
    ctx->upload_id = upload->upload_id;
    ctx->length = upload->length;
    ctx->part_size = upload->part_size;

    if (upload->sub_app_id) {
        ctx->apply.sub_app_id.value = upload->sub_app_id;
        ctx->apply.sub_app_id.set = 1;
    }

    ctx->apply.media_name.data = upload->media_name.data;
    ctx->apply.media_name.len = upload->media_name.len;
    ctx->apply.source_context.data = upload->source_context.data;
    ctx->apply.source_context.len = upload->source_context.len;

    ctx->keep = 1;
    ctx->resumed = 1;
    ctx->multipart = 1;
}


ngx_int_t
ngx_http_vod_upload_relay_resume(ngx_http_vod_upload_relay_t *ctx,
    ngx_http_vod_upload_kept_t *upload)
{
    ngx_http_vod_resumed(ctx, upload);

    if (ngx_array_init(&ctx->held, ctx->request->pool, 16,
                       sizeof(ngx_vod_cos_part_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->list_retry.handler = ngx_http_vod_list_retry;
    ctx->list_retry.data = ctx;
    ctx->list_retry.log = ctx->request->connection->log;

    ctx->state = NGX_HTTP_VOD_LISTING;

    return ngx_http_vod_list_start(ctx->request, ctx);
}


off_t
ngx_http_vod_upload_relay_offset(ngx_http_vod_upload_relay_t *ctx)
{
    return ctx->offset;
}


ngx_uint_t
ngx_http_vod_upload_relay_parts(ngx_http_vod_upload_relay_t *ctx)
{
    return ctx->parts;
}


ngx_uint_t
ngx_http_vod_upload_relay_whole(ngx_http_vod_upload_relay_t *ctx)
{
    return ctx->whole;
}


void
ngx_http_vod_upload_relay_length(ngx_http_vod_upload_relay_t *ctx,
    off_t length)
{
    ctx->length = length;
}


ngx_http_vod_upload_kept_t *
ngx_http_vod_upload_relay_kept(ngx_http_vod_upload_relay_t *ctx)
{
    ngx_http_vod_upload_kept_t  *upload;

    upload = ngx_pcalloc(ctx->request->pool,
                         sizeof(ngx_http_vod_upload_kept_t));
    if (upload == NULL) {
        return NULL;
    }

    upload->cos = ctx->cos;
    upload->session_key = ctx->session_key;
    upload->upload_id = ctx->upload_id;
    upload->length = ctx->length;
    upload->part_size = ctx->part_size;
    upload->sub_app_id = ctx->apply.sub_app_id.set
                         ? (ngx_int_t) ctx->apply.sub_app_id.value : 0;
    upload->media_name.data = ctx->apply.media_name.data;
    upload->media_name.len = ctx->apply.media_name.len;
    upload->source_context.data = ctx->apply.source_context.data;
    upload->source_context.len = ctx->apply.source_context.len;

    return upload;
}


ngx_int_t
ngx_http_vod_upload_relay_terminate(ngx_http_vod_upload_relay_t *ctx,
    ngx_http_vod_upload_kept_t *upload)
{
    ngx_http_vod_resumed(ctx, upload);

    ctx->resumed = 0;
    ctx->terminate = 1;
    ctx->ready = 1;
    ctx->failed = 1;
    ctx->status = NGX_HTTP_NO_CONTENT;
    ctx->state = NGX_HTTP_VOD_CLEANING;

    ngx_post_event(&ctx->calls.wake, &ngx_posted_events);

    return NGX_OK;
}


/*
 * A multipart upload that a stopped worker may have left open (a record
 * of the journal): aborted, and the key's other uploads found and
 * aborted, as after a failed upload; done tells when that is over.
 */

ngx_http_vod_upload_relay_t *
ngx_http_vod_upload_relay_sweep(ngx_http_request_t *r,
    ngx_http_vod_upload_loc_conf_t *conf,
    ngx_http_vod_upload_relay_handler_t *handler, ngx_http_vod_cos_t *cos,
    ngx_str_t *upload_id)
{
    ngx_http_vod_upload_relay_t  *ctx;

    ctx = ngx_http_vod_upload_relay_create(r, conf, handler, -1);
    if (ctx == NULL) {
        return NULL;
    }

    ctx->cos = *cos;
    ctx->upload_id = *upload_id;
    ctx->sweep = 1;
    ctx->ready = 1;
    ctx->failed = 1;
    ctx->initiate_unsure = 1;
    ctx->state = NGX_HTTP_VOD_CLEANING;

    ngx_post_event(&ctx->calls.wake, &ngx_posted_events);

    return ctx;
}


/*
 * ApplyUpload goes out before the body is read.  NGX_DECLINED: the
 * parameters cannot be sent (not UTF-8, ...), with the reason in *error.
 */

static ngx_int_t
ngx_http_vod_apply_start(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx, ngx_str_t *error)
{
    const char           *err;
    ngx_vod_alloc_t       a;
    ngx_http_vod_call_t  *call;

    call = ngx_http_vod_upload_call_create(&ctx->calls, "ApplyUpload", 0);
    if (call == NULL) {
        return NGX_ERROR;
    }

    a.alloc = ngx_http_vod_upload_palloc;
    a.data = call->pool;

    if (ngx_vod_api_apply_upload_body(&a, &ctx->apply,
                                      (ngx_vod_str_t *) &call->body, &err)
        != NGX_VOD_OK)
    {
        ngx_http_vod_upload_call_free(call);

        error->data = (u_char *) err;
        error->len = ngx_strlen(err);

        return NGX_DECLINED;
    }

    call->handler = ngx_http_vod_apply_done;

    if (ngx_http_vod_upload_api_prepare(call, "ApplyUpload") != NGX_OK
        || ngx_http_vod_upload_call_start(call) != NGX_OK)
    {
        ngx_http_vod_upload_call_free(call);
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_vod_apply_done(ngx_http_request_t *r, ngx_http_vod_call_t *call)
{
    int                           rc;
    ngx_str_t                     msg;
    ngx_vod_alloc_t               a;
    ngx_vod_api_result_t          res;
    ngx_http_vod_upload_relay_t  *ctx;
    ngx_vod_api_apply_upload_t    out;

    ctx = call->calls->data;

    if (ngx_http_vod_api_answer(r, ctx, call) != NGX_OK) {
        return;
    }

    a.alloc = ngx_http_vod_upload_palloc;
    a.data = r->pool;

    rc = ngx_vod_api_parse_apply_upload(&a, call->response.data,
                                        call->response.len, &out, &res);

    if (ngx_http_vod_api_result(r, ctx, call, &res, rc) != NGX_OK) {
        return;
    }

    if (ngx_http_vod_cos_object(r, ctx, &out) != NGX_OK) {
        call->failed = 1;
        ngx_str_set(&msg, "ApplyUpload answered a storage location that "
                          "is not a COS object");
        ngx_http_vod_fail(r, ctx, NGX_HTTP_BAD_GATEWAY,
                          "InvalidApplyUploadAnswer", &msg);
        return;
    }

    ctx->session_key.data = out.vod_session_key.data;
    ctx->session_key.len = out.vod_session_key.len;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "vod upload: applied, object %V%V, request id %V",
                   &ctx->cos.host, &ctx->cos.key, &ctx->request_id);

    ctx->state = NGX_HTTP_VOD_UPLOADING;

    if (ctx->keep) {
        ctx->multipart = 1;

    } else if (ctx->length >= 0) {
        ctx->multipart = ((uint64_t) ctx->length > ctx->part_size);
        ctx->single = !ctx->multipart;
    }

    /* the step tells the front-end that the bytes may come */
}


/*
 * The object ApplyUpload assigned: its host is built only from a bucket
 * and a region that are single DNS labels, so an answer cannot send the
 * body to another host; the path must be absolute.
 */

static ngx_int_t
ngx_http_vod_cos_object(ngx_http_request_t *r, ngx_http_vod_upload_relay_t *ctx,
    ngx_vod_api_apply_upload_t *out)
{
    size_t               len;
    u_char              *p;
    ngx_http_vod_cos_t  *cos;

    cos = &ctx->cos;

    p = ngx_pnalloc(r->pool, NGX_VOD_COS_HOST_MAX);
    if (p == NULL) {
        return NGX_ERROR;
    }

    len = ngx_vod_cos_host(p, &out->storage_bucket, &out->storage_region);

    if (len == 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod upload: ApplyUpload answered the bucket \"%s\" "
                      "in the region \"%s\": not a valid COS host name",
                      out->storage_bucket.data, out->storage_region.data);
        return NGX_ERROR;
    }

    cos->host.data = p;
    cos->host.len = len;

    if (out->media_storage_path.len < 2
        || out->media_storage_path.data[0] != '/')
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod upload: ApplyUpload answered the storage path "
                      "\"%s\": not an absolute object key",
                      out->media_storage_path.data);
        return NGX_ERROR;
    }

    cos->key.data = out->media_storage_path.data;
    cos->key.len = out->media_storage_path.len;

    if (ngx_http_vod_upload_cos_key_uri(r->pool, &cos->key, &cos->key_uri)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ctx->cover_data.len) {
        if (out->cover_storage_path.len < 2
            || out->cover_storage_path.data[0] != '/')
        {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "vod upload: ApplyUpload answered the cover "
                          "storage path \"%s\": not an absolute object key",
                          out->cover_storage_path.data
                          ? out->cover_storage_path.data : (u_char *) "");
            return NGX_ERROR;
        }

        ctx->cover_key.data = out->cover_storage_path.data;
        ctx->cover_key.len = out->cover_storage_path.len;

        if (ngx_http_vod_upload_cos_key_uri(r->pool, &ctx->cover_key,
                                            &ctx->cover_key_uri)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    cos->secret_id.data = out->secret_id.data;
    cos->secret_id.len = out->secret_id.len;
    cos->secret_key.data = out->secret_key.data;
    cos->secret_key.len = out->secret_key.len;
    cos->token.data = out->token.data;
    cos->token.len = out->token.len;
    cos->expires = (time_t) out->expired_time;

    return NGX_OK;
}


/*
 * A resumed upload: the parts COS holds, a page of ListParts at a time
 * (at most 1000, maybe fewer), then the offset.  Without the multipart
 * upload (404), HeadObject of the media tells an upload that was
 * completed from one that was terminated.
 */

static ngx_int_t
ngx_http_vod_list_start(ngx_http_request_t *r, ngx_http_vod_upload_relay_t *ctx)
{
    u_char               *p;
    ngx_int_t             rc;
    ngx_uint_t            n;
    ngx_vod_cos_pair_t    params[2];
    ngx_http_vod_call_t  *call;

    call = ngx_http_vod_upload_call_create(&ctx->calls, ctx->heading
                                           ? "HeadObject" : "ListParts", 1);
    if (call == NULL) {
        goto failed;
    }

    ngx_memzero(params, sizeof(params));
    n = 0;

    if (!ctx->heading) {

        /* sorted by name, as they are signed */

        if (ctx->list_marker) {
            p = ngx_pnalloc(call->pool, NGX_INT_T_LEN);
            if (p == NULL) {
                ngx_http_vod_upload_call_free(call);
                goto failed;
            }

            ngx_str_set(&params[n].name, "part-number-marker");
            params[n].value.data = p;
            params[n].value.len = ngx_sprintf(p, "%uD", ctx->list_marker) - p;
            n++;
        }

        ngx_str_set(&params[n].name, "uploadId");
        params[n].value.data = ctx->upload_id.data;
        params[n].value.len = ctx->upload_id.len;
        n++;
    }

    rc = ngx_http_vod_upload_cos_prepare(call, &ctx->cos,
                                         ctx->heading ? "HEAD" : "GET",
                                         params, n);
    if (rc != NGX_OK) {
        ngx_http_vod_upload_call_free(call);

        if (rc == NGX_DECLINED) {
            ngx_http_vod_fail(r, ctx, NGX_HTTP_VOD_GONE, "CredentialsExpired",
                              NULL);
            return NGX_ERROR;
        }

        goto failed;
    }

    call->handler = ngx_http_vod_list_done;

    if (ngx_http_vod_upload_call_start(call) != NGX_OK) {
        ngx_http_vod_upload_call_free(call);
        goto failed;
    }

    ctx->list_tries++;

    return NGX_OK;

failed:

    ngx_http_vod_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR, "InternalError",
                      NULL);
    return NGX_ERROR;
}


static void
ngx_http_vod_list_done(ngx_http_request_t *r, ngx_http_vod_call_t *call)
{
    ngx_msec_t                    delay;
    ngx_http_vod_upload_relay_t  *ctx;

    ctx = call->calls->data;

    if (ctx->failed) {
        return;
    }

    if (call->rc == NGX_OK && call->status == NGX_HTTP_OK) {

        if (ctx->heading) {

            /*
             * completed by an earlier request, and committed unless that
             * request failed or went away before: CommitUpload tells
             */

            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "vod upload: multipart upload \"%V\" completed "
                           "before", &ctx->upload_id);
            ctx->finished = 1;
            ctx->completed = 1;
            ctx->body_done = 1;
            ctx->offset = (ctx->length >= 0) ? ctx->length
                                             : ngx_max(call->content_length, 0);
            ctx->received = ctx->offset;

            (void) ngx_http_vod_commit_start(r, ctx);
            return;
        }

        if (ngx_http_vod_list_page(r, ctx, call) != NGX_OK) {
            call->failed = 1;
            ngx_http_vod_failf(r, ctx, NGX_LOG_ERR, NGX_HTTP_BAD_GATEWAY,
                               "InvalidCosAnswer", "ListParts: COS answered "
                               "a document that is not a list of parts");
        }

        return;
    }

    /* no multipart upload: completed (the media exists) or terminated */

    if (call->rc == NGX_OK && call->status == NGX_HTTP_NOT_FOUND) {

        call->expected = 1;

        if (!ctx->heading) {
            ctx->heading = 1;
            ctx->list_tries = 0;
            (void) ngx_http_vod_list_start(r, ctx);
            return;
        }

        ngx_http_vod_failf(r, ctx, NGX_LOG_INFO, NGX_HTTP_NOT_FOUND,
                           "NoSuchUpload", "the upload \"%V\" was "
                           "terminated or has expired", &ctx->upload_id);
        return;
    }

    if (ctx->list_tries < ctx->conf->part_tries
        && ngx_http_vod_cos_retryable(call))
    {
        delay = ngx_http_vod_backoff(ctx->list_tries);

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "vod upload: %s failed (%s%ui), trying again in %M ms "
                      "(try %ui of %ui)", call->name,
                      call->rc != NGX_OK ? "no answer, " : "status ",
                      call->rc != NGX_OK ? (ngx_uint_t) call->rc
                                         : call->status,
                      delay, ctx->list_tries + 1, ctx->conf->part_tries);

        call->retried = 1;
        ngx_add_timer(&ctx->list_retry, delay);
        return;
    }

    ngx_http_vod_cos_failed(r, ctx, call);
}


/* a page of ListParts taken in; the last one gives the offset */

static ngx_int_t
ngx_http_vod_list_page(ngx_http_request_t *r, ngx_http_vod_upload_relay_t *ctx,
    ngx_http_vod_call_t *call)
{
    size_t                     i;
    ngx_vod_cos_part_t        *part;
    ngx_vod_cos_xml_doc_t      doc;
    ngx_vod_cos_list_parts_t  *list;

    if (ngx_http_vod_cos_doc(call, NGX_VOD_COS_XML_LIST_PARTS, &doc)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    list = &doc.list_parts;

    for (i = 0; i < list->nparts; i++) {

        if (list->parts[i].part_number == 0
            || list->parts[i].part_number > NGX_VOD_PARTS_MAX)
        {
            return NGX_ERROR;
        }

        part = ngx_array_push(&ctx->held);
        if (part == NULL) {
            return NGX_ERROR;
        }

        *part = list->parts[i];

        ngx_http_vod_copy(r->pool, (ngx_str_t *) &part->etag,
                          list->parts[i].etag.data, list->parts[i].etag.len);
    }

    /* the next page, unless the marker does not move */

    if (list->is_truncated
        && list->next_part_number_marker > ctx->list_marker
        && list->next_part_number_marker < NGX_VOD_PARTS_MAX)
    {
        ctx->list_marker = (uint32_t) list->next_part_number_marker;
        ctx->list_tries = 0;
        /* a call that cannot start failed the upload */
        (void) ngx_http_vod_list_start(r, ctx);
        return NGX_OK;
    }

    return ngx_http_vod_list_offset(r, ctx);
}


/*
 * The offset: the parts held contiguously from 1.  When they hold the
 * whole length the upload was not completed (the request that stored
 * them failed or went away before): the last part is not counted, so
 * that the client sends it again and its request completes the upload.
 */

static ngx_int_t
ngx_http_vod_list_offset(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx)
{
    size_t               i, n;
    uint32_t             next;
    ngx_vod_cos_part_t  *listed, *etag;
    ngx_vod_tus_part_t  *parts;

    listed = ctx->held.elts;
    n = ctx->held.nelts;

    parts = ngx_palloc(r->pool, (n ? n : 1) * sizeof(ngx_vod_tus_part_t));
    if (parts == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        parts[i].number = listed[i].part_number;
        parts[i].size = listed[i].size;
    }

    ctx->offset = ngx_vod_tus_offset(parts, n, &next);

    if (ctx->length >= 0 && ctx->offset >= ctx->length && next > 1) {
        next--;

        for (i = 0; i < n; i++) {
            if (parts[i].number == next) {
                ctx->offset -= (off_t) parts[i].size;
                break;
            }
        }
    }

    if (ctx->length >= 0 && ctx->offset > ctx->length) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod upload: ListParts of \"%V\": the parts hold %O "
                      "bytes, the upload has %O", &ctx->upload_id,
                      ctx->offset, ctx->length);
        return NGX_ERROR;
    }

    /* the ETags of the parts counted, for Complete */

    if (ngx_array_init(&ctx->etags, r->pool, next, sizeof(ngx_vod_cos_part_t))
        != NGX_OK
        || (next > 1 && ngx_array_push_n(&ctx->etags, next - 1) == NULL))
    {
        return NGX_ERROR;
    }

    etag = ctx->etags.elts;

    for (i = 0; i < n; i++) {
        if (listed[i].part_number < next) {
            etag[listed[i].part_number - 1] = listed[i];
        }
    }

    ctx->parts = next - 1;

    /* parts past the next one's number: stored beyond a part that failed */

    for (i = 0; i < n; i++) {
        if (listed[i].part_number > next
            && listed[i].part_number > ctx->whole)
        {
            ctx->whole = listed[i].part_number;
        }
    }
    ctx->received = ctx->offset;
    ctx->state = NGX_HTTP_VOD_UPLOADING;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "vod upload: multipart upload \"%V\" holds %O bytes, "
                   "next part %uD", &ctx->upload_id, ctx->offset, next);

    return NGX_OK;
}


static void
ngx_http_vod_list_retry(ngx_event_t *ev)
{
    ngx_http_vod_upload_relay_t *ctx = ev->data;

    ngx_http_vod_upload_calls_enter(&ctx->calls);

    if (!ctx->failed) {
        (void) ngx_http_vod_list_start(ctx->request, ctx);
    }

    ngx_http_vod_upload_calls_leave(&ctx->calls);
}


/*
 * The buffer being filled, with room for more bytes, or a free one begun
 * for the next part.  NULL: every buffer is taken, or the worker's
 * budget has no memory for it now (the upload waits its turn, woken by
 * its step), or the upload failed.
 */

static ngx_http_vod_slot_t *
ngx_http_vod_slot_get(ngx_http_request_t *r, ngx_http_vod_upload_relay_t *ctx)
{
    off_t                 rest;
    size_t                commit;
    uint64_t              want;
    ngx_str_t             msg;
    ngx_uint_t            i;
    ngx_http_vod_slot_t  *slot;

    slot = ctx->filling;

    if (slot) {
        if (slot->len < ngx_min(slot->want, slot->committed)) {
            return slot;
        }

        /* its memory is used up before the part is */

        if (ngx_http_vod_slot_grow(r, ctx, slot) == NGX_OK) {
            return slot;
        }

        if (ctx->filling) {
            return NULL;
        }

        /* it ended early: on to the next part */
    }

    for (i = 0; i < ctx->nslots; i++) {
        if (ctx->slots[i].state == NGX_HTTP_VOD_SLOT_FREE) {
            break;
        }
    }

    if (i == ctx->nslots) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "vod upload: pause reading, %ui part(s) under way",
                       ctx->sending);
        return NULL;
    }

    slot = &ctx->slots[i];

    if (ctx->keep) {

        /* a resumable upload's parts: sized by their number */

        want = ctx->part_size ? ctx->part_size
                              : ngx_vod_parts_size_at(ctx->conf->part_size,
                                                      ctx->conf->part_size_max,
                                                      ctx->parts + 1);

        if (want == 0 || ctx->parts + 1 > NGX_VOD_PARTS_MAX) {
            ngx_str_set(&msg, "the upload needs more than the 10000 parts "
                              "of a COS multipart upload");
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "vod upload: %V", &msg);
            ngx_http_vod_fail(r, ctx, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                              "EntityTooLarge", &msg);
            return NULL;
        }

        if (ctx->length >= 0) {
            want = ngx_min(want, (uint64_t) (ctx->length - ctx->received));
        }

    } else if (ctx->length >= 0) {
        rest = ctx->length - ctx->received;
        want = ctx->single ? (uint64_t) ctx->length
                           : ngx_min((uint64_t) rest, ctx->part_size);

    } else {
        want = ngx_vod_parts_size_at(ctx->conf->part_size,
                                     ctx->conf->part_size_max,
                                     ctx->parts + 1);

        if (want == 0) {
            ngx_str_set(&msg, "the body needs more than the 10000 parts "
                              "of a COS multipart upload (see "
                              "vod_upload_max_part_size)");
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "vod upload: %V", &msg);
            ngx_http_vod_fail(r, ctx, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                              "EntityTooLarge", &msg);
            return NULL;
        }
    }

    /*
     * Its memory: all of the part, or 1 MiB to begin with when the part
     * may end early (it grows while the bytes come fast and memory is
     * there, see ngx_http_vod_slot_grow()).
     */

    commit = (size_t) want;

    if (want > NGX_VOD_PART_SIZE_MIN && !ctx->fast
        && ngx_http_vod_slot_may_end(ctx, ctx->parts + 1,
                                     ctx->received + NGX_VOD_PART_SIZE_MIN))
    {
        commit = NGX_VOD_PART_SIZE_MIN;
    }

    /* a fast client's buffer of small pages is made again in huge ones */

    if (slot->size < want || (slot->buf && ctx->fast && !slot->huge)) {
        if (slot->buf) {
            ngx_http_vod_upload_buffers_unmap(slot->buf, slot->size,
                                              r->connection->log);
            ngx_http_vod_upload_buffers_release(r->connection->log,
                                                slot->committed);
            slot->committed = 0;
        }

        slot->buf = ngx_http_vod_upload_buffers_map((size_t) want, ctx->fast,
                                                    r->connection->log);
        slot->huge = ctx->fast;

        if (slot->buf == NULL) {
            slot->size = 0;
            ngx_http_vod_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                              "InternalError", NULL);
            return NULL;
        }

        ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "vod upload: part %ui's buffer, %uz bytes%s",
                       ctx->parts + 1, (size_t) want,
                       slot->huge ? ", in huge pages" : "");

        slot->size = (size_t) want;
    }

    if (slot->committed < commit) {
        if (ngx_http_vod_upload_buffers_take(&ctx->buffers,
                                             commit - slot->committed, 1)
            != NGX_OK)
        {
            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "vod upload: part %ui waits for memory",
                           ctx->parts + 1);
            return NULL;
        }

        slot->committed = commit;
    }

    slot->ctx = ctx;
    slot->state = NGX_HTTP_VOD_SLOT_FILLING;
    slot->part = ++ctx->parts;
    slot->want = (size_t) want;
    slot->len = 0;
    slot->begun = ngx_current_msec;
    slot->crc = 0;
    slot->tries = 0;
    slot->no_stream = 0;

    if (ctx->conf->md5) {
        ngx_md5_init(&slot->md5);
    }

    ctx->filling = slot;

    /* others wait: the memory of buffers not in use goes to them */

    ngx_http_vod_slots_idle(ctx, 0);

    /* it may go out as it fills: from the next step */

    if (ngx_http_vod_slot_streams(ctx, slot)) {
        ngx_post_event(&ctx->calls.wake, &ngx_posted_events);
    }

    return slot;
}


/* a part is complete: it may go out; the object's CRC-64 takes it in */

static void
ngx_http_vod_slot_seal(ngx_http_vod_upload_relay_t *ctx,
    ngx_http_vod_slot_t *slot)
{
    /* a part that went out as it filled is under way already */

    slot->state = slot->stream ? NGX_HTTP_VOD_SLOT_SENDING
                               : NGX_HTTP_VOD_SLOT_READY;

    /* its Content-Length went out: it cannot end early (see streams) */

    if (slot->stream && slot->len != slot->want) {
        ngx_log_error(NGX_LOG_ALERT, ctx->request->connection->log, 0,
                      "vod upload: part %ui went out as it filled and ended "
                      "at %uz of %uz bytes", slot->part, slot->len,
                      slot->want);
        ngx_http_vod_upload_call_stop(slot->stream);
        ngx_http_vod_fail(ctx->request, ctx,
                          NGX_HTTP_INTERNAL_SERVER_ERROR, "InternalError",
                          NULL);
    }

    slot->want = slot->len;

    ctx->crc = ngx_vod_crc64_combine(ctx->crc, slot->crc, slot->len);
    ctx->sealed++;
    ctx->filling = NULL;

    /* a part filled up while more may follow: this is a multipart upload */

    if (!ctx->multipart && !ctx->single && !ctx->body_done) {
        ctx->multipart = 1;
    }
}


/*
 * The part's memory is used up before the part: it ends here when it may
 * (1 MiB or more, the plan still fits) and the bytes come slowly or the
 * budget has no more; otherwise more memory.  NGX_OK: more memory;
 * NGX_DONE: the part ended (sealed); NGX_AGAIN: the upload waits for
 * memory.
 */

static ngx_int_t
ngx_http_vod_slot_grow(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx, ngx_http_vod_slot_t *slot)
{
    size_t      step;
    ngx_int_t   rc;
    ngx_uint_t  may_end;

    may_end = slot->len >= NGX_VOD_PART_SIZE_MIN
              && ngx_http_vod_slot_may_end(ctx, slot->part, ctx->received);

    if (may_end && ngx_current_msec - slot->begun >= NGX_HTTP_VOD_PART_PACE) {
        rc = NGX_DECLINED;

    } else {
        step = ngx_max(slot->committed, NGX_VOD_PART_SIZE_MIN);
        step = ngx_min(step, slot->want - slot->committed);

        rc = ngx_http_vod_upload_buffers_take(&ctx->buffers, step, !may_end);

        if (rc == NGX_OK) {
            slot->committed += step;
            return NGX_OK;
        }

        if (!may_end) {
            return NGX_AGAIN;
        }
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "vod upload: part %ui ends at %uz bytes (%s)",
                   slot->part, slot->len,
                   rc == NGX_DECLINED ? "the bytes come slowly"
                                      : "no memory for more");

    /* one PUT Object planned: a multipart upload now */

    if (ctx->single) {
        ctx->single = 0;
        ctx->multipart = 1;
    }

    ngx_http_vod_slot_seal(ctx, slot);
    ngx_post_event(&ctx->calls.wake, &ngx_posted_events);

    return NGX_DONE;
}


/*
 * Part number part may end early (before the plan's size; it holds 1 MiB
 * at least then) when the body's bytes up to it are received: not a
 * resumable upload's (its parts follow the plan, any instance may go
 * on), and the rest still fits in the parts left, at the plan's size;
 * the rest of a body of unknown length is bounded by a form's
 * Content-Length or client_max_body_size, and without a bound no part
 * ends early.
 */

static ngx_uint_t
ngx_http_vod_slot_may_end(ngx_http_vod_upload_relay_t *ctx, ngx_uint_t part,
    off_t received)
{
    off_t     upper;
    uint64_t  size;

    if (ctx->keep || part >= NGX_VOD_PARTS_MAX) {
        return 0;
    }

    if (ctx->length >= 0) {
        upper = ctx->length;
        size = ctx->part_size ? ctx->part_size : ctx->conf->part_size;

    } else {
        upper = ctx->bound;

        if (upper < 0) {
            return 0;
        }

        size = ctx->conf->part_size;
    }

    return (uint64_t) ngx_max(upper - received, 0)
           <= (uint64_t) (NGX_VOD_PARTS_MAX - part) * size;
}


/*
 * Buffers not in use (their parts stored) give their memory back when
 * others wait for some, or when nothing more will be written (all).
 */

static void
ngx_http_vod_slots_idle(ngx_http_vod_upload_relay_t *ctx, ngx_uint_t all)
{
    ngx_uint_t            i;
    ngx_http_vod_slot_t  *slot;

    if (!all && !ngx_http_vod_upload_buffers_contended()) {
        return;
    }

    for (i = 0; i < ctx->nslots; i++) {
        slot = &ctx->slots[i];

        if (slot->state != NGX_HTTP_VOD_SLOT_FREE || slot->committed == 0) {
            continue;
        }

        ngx_http_vod_upload_buffers_drop(slot->buf, slot->committed,
                                         ctx->request->connection->log);
        ngx_http_vod_upload_buffers_release(ctx->request->connection->log,
                                            slot->committed);
        slot->committed = 0;
    }
}


/*
 * The part being filled may go out as it fills, its bytes sent while
 * they are still in the CPU's cache: its length must be known when the
 * call begins (Content-Length), so the body's length is, and a fast
 * client's parts are taken whole and never end early; a multipart
 * upload, begun; not a resumable one (a request's tail may be a part).
 */

static ngx_uint_t
ngx_http_vod_slot_streams(ngx_http_vod_upload_relay_t *ctx,
    ngx_http_vod_slot_t *slot)
{
    return ctx->fast && !ctx->keep && !ctx->single && !ctx->failed
           && ctx->multipart && ctx->upload_id.len && ctx->length >= 0
           && slot->state == NGX_HTTP_VOD_SLOT_FILLING
           && slot->stream == NULL && !slot->no_stream
           && slot->committed >= slot->want && slot->len < slot->want;
}


/* the part being filled is not one: its bytes (if any) are not kept */

static void
ngx_http_vod_slot_drop(ngx_http_vod_upload_relay_t *ctx,
    ngx_http_vod_slot_t *slot)
{
    ctx->received -= slot->len;
    ctx->parts--;
    ctx->filling = NULL;

    ngx_http_vod_slot_abandon(slot);
}


/*
 * The part being filled is no longer one: its slot is free, or held by
 * the call that sends it as it fills until that call, stopped, ends
 */

static void
ngx_http_vod_slot_abandon(ngx_http_vod_slot_t *slot)
{
    if (slot->stream) {
        ngx_http_vod_upload_call_stop(slot->stream);
        slot->state = NGX_HTTP_VOD_SLOT_SENDING;
        return;
    }

    slot->state = NGX_HTTP_VOD_SLOT_FREE;
}


/* the part buffers' slots (their memory comes when a part needs it) */

static ngx_int_t
ngx_http_vod_buffers(ngx_http_request_t *r, ngx_http_vod_upload_relay_t *ctx)
{
    ctx->nslots = ctx->conf->parts_in_flight + 1;

    ctx->slots = ngx_pcalloc(r->pool,
                             ctx->nslots * sizeof(ngx_http_vod_slot_t));
    if (ctx->slots == NULL) {
        return NGX_ERROR;
    }

    /* a resumed upload's holds the parts COS had */

    if (ctx->etags.elts) {
        return NGX_OK;
    }

    return ngx_array_init(&ctx->etags, r->pool, ctx->multipart ? 64 : 1,
                          sizeof(ngx_vod_cos_part_t));
}


/*
 * What happens next, after any event.  The front-end is told what it
 * must know: that the bytes may come, that it may write again, that it
 * must stop.  An upload that is over (failed, or committed) waits for the
 * calls under way, removes what it must not leave behind, then is done.
 */

static void
ngx_http_vod_step(ngx_http_vod_calls_t *calls)
{
    ngx_str_t                     msg;
    ngx_http_request_t           *r;
    ngx_http_vod_upload_relay_t  *ctx;

    ctx = calls->data;
    r = ctx->request;

    if (ctx->state == NGX_HTTP_VOD_FINISHED) {
        return;
    }

    /*
     * the client went away (a call's subrequest saw its connection
     * closed) before all of the media was written: it is not complete
     */

    if (!ctx->body_done && !ctx->failed
        && (ctx->calls.client_gone || r->connection->error))
    {
        r->connection->error = 0;
        ctx->calls.client_gone = 1;

        /* what a resumed upload's client sent is kept: it comes back */

        if (ctx->resumed && ctx->state == NGX_HTTP_VOD_UPLOADING) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "vod upload: the client closed the connection "
                          "after %O bytes of the upload", ctx->received);

            if (ctx->reading) {
                ctx->reading = 0;
                ctx->handler->stop(r);
            }

            ngx_http_vod_keep_end(r, ctx);
        }
    }

    if (!ctx->body_done && !ctx->failed && ctx->calls.client_gone) {

        ngx_str_set(&msg, "the client closed the connection during the "
                          "upload");
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod upload: %V after %O bytes", &msg, ctx->received);
        ngx_http_vod_fail(r, ctx, NGX_HTTP_CLIENT_CLOSED_REQUEST,
                          "ClientClosedRequest", &msg);
    }

    if (ctx->failed && ctx->reading) {
        ctx->reading = 0;
        ctx->handler->stop(r);
    }

    /* the reader stopped: the part it was filling is not one */

    if (ctx->failed && ctx->filling) {
        ngx_http_vod_slot_abandon(ctx->filling);
        ctx->filling = NULL;
        ngx_http_vod_slots_idle(ctx, 1);
    }

    if (ctx->failed || ctx->committed
        || (ctx->kept && ctx->parts_done == ctx->sealed && !ctx->sending))
    {

        if (ctx->calls.active || ctx->api_retry.timer_set
            || ctx->cleanup_retry.timer_set || ctx->cover_retry.timer_set
            || ctx->list_retry.timer_set
            || ngx_http_vod_cleanup(r, ctx) == NGX_AGAIN)
        {
            return;
        }

        ngx_http_vod_finish(r, ctx);
        return;
    }

    if (ctx->state == NGX_HTTP_VOD_UPLOADING && !ctx->ready
        && (!ctx->keep || ctx->upload_id.len))
    {
        ctx->ready = 1;

        if (ngx_http_vod_buffers(r, ctx) != NGX_OK) {
            ngx_http_vod_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                              "InternalError", NULL);
            ngx_http_vod_step(calls);
            return;
        }

        ctx->reading = 1;
        ctx->handler->ready(r);
    }

    if (ctx->state == NGX_HTTP_VOD_UPLOADING && !ctx->failed) {
        ngx_http_vod_schedule(r, ctx);
    }

    /*
     * starting a call may have failed; calls cannot fail synchronously,
     * so without calls under way the upload is over
     */

    if (ctx->failed && ctx->calls.active == 0 && !ctx->api_retry.timer_set) {
        ngx_http_vod_step(calls);
    }
}



/* the parts: Initiate, parts out in order, resume reading, Complete */

static void
ngx_http_vod_schedule(ngx_http_request_t *r, ngx_http_vod_upload_relay_t *ctx)
{
    ngx_uint_t            i;
    ngx_http_vod_slot_t  *slot, *next;

    if (ctx->multipart && ctx->upload_id.len == 0) {

        if (!ctx->initiating) {
            if (ngx_http_vod_initiate_start(r, ctx) != NGX_OK) {
                return;
            }
        }

    } else {

        while (ctx->sending < ctx->conf->parts_in_flight) {
            next = NULL;

            for (i = 0; i < ctx->nslots; i++) {
                slot = &ctx->slots[i];

                if (slot->state == NGX_HTTP_VOD_SLOT_READY
                    && (next == NULL || slot->part < next->part))
                {
                    next = slot;
                }
            }

            if (next == NULL) {
                break;
            }

            /* one PUT Object waits until the body is known to fit */

            if (ctx->single && !ctx->body_done) {
                break;
            }

            if (ngx_http_vod_part_start(r, ctx, next) != NGX_OK) {
                return;
            }
        }

        /* no part waits to go: the one being filled goes as it fills */

        if (ctx->sending < ctx->conf->parts_in_flight && ctx->filling
            && ngx_http_vod_slot_streams(ctx, ctx->filling))
        {
            if (ngx_http_vod_part_start(r, ctx, ctx->filling) != NGX_OK) {
                return;
            }
        }
    }

    if (ctx->paused && !ctx->failed) {

        for (i = 0; i < ctx->nslots; i++) {
            if (ctx->slots[i].state == NGX_HTTP_VOD_SLOT_FREE) {
                break;
            }
        }

        if (i < ctx->nslots) {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "vod upload: resume reading");

            /* what it writes now is sent from the next step */

            ctx->paused = 0;
            ctx->handler->resume(r);
            return;
        }
    }

    if (!ctx->body_done || ctx->parts_done < ctx->sealed || ctx->failed
        || ctx->kept)
    {
        return;
    }

    if (ctx->single) {
        ctx->completed = 1;
        (void) ngx_http_vod_media_done(r, ctx);

    } else if (ngx_http_vod_complete_start(r, ctx) != NGX_OK) {
        return;
    }
}


/* the media object is complete: its cover, if any, then CommitUpload */

static ngx_int_t
ngx_http_vod_media_done(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx)
{
    if (ctx->cover_data.len && !ctx->cover_done) {
        return ngx_http_vod_cover_start(r, ctx);
    }

    return ngx_http_vod_commit_start(r, ctx);
}


/* PUT Object of the cover to CoverStoragePath, tried again like a part */

static ngx_int_t
ngx_http_vod_cover_start(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx)
{
    ngx_int_t             rc;
    ngx_http_vod_cos_t    cover;
    ngx_http_vod_call_t  *call;

    call = ngx_http_vod_upload_call_create(&ctx->calls, "PutObject (cover)",
                                           1);
    if (call == NULL) {
        goto failed;
    }

    call->handler = ngx_http_vod_cover_done;
    call->body = ctx->cover_data;

    cover = ctx->cos;
    cover.key = ctx->cover_key;
    cover.key_uri = ctx->cover_key_uri;

    rc = ngx_http_vod_upload_cos_prepare(call, &cover, "PUT", NULL, 0);

    if (rc != NGX_OK) {
        ngx_http_vod_upload_call_free(call);

        if (rc == NGX_DECLINED) {
            ngx_http_vod_fail(r, ctx, NGX_HTTP_BAD_GATEWAY,
                              "CredentialsExpired", NULL);
            return NGX_ERROR;
        }

        goto failed;
    }

    if (ngx_http_vod_upload_call_start(call) != NGX_OK) {
        ngx_http_vod_upload_call_free(call);
        goto failed;
    }

    ctx->cover_tries++;
    ctx->state = NGX_HTTP_VOD_COVERING;

    return NGX_OK;

failed:

    ngx_http_vod_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR, "InternalError",
                      NULL);
    return NGX_ERROR;
}


static void
ngx_http_vod_cover_done(ngx_http_request_t *r, ngx_http_vod_call_t *call)
{
    uint64_t                      crc;
    ngx_msec_t                    delay;
    const char                   *bad;
    ngx_http_vod_upload_relay_t  *ctx;

    ctx = call->calls->data;

    if (call->sent && (call->rc != NGX_OK || call->status == NGX_HTTP_OK)) {
        ctx->cover_written = 1;
    }

    if (ctx->failed) {
        return;
    }

    bad = NULL;

    if (call->rc == NGX_OK && call->status == NGX_HTTP_OK) {

        if (ngx_vod_crc64_header(call->crc64.data, call->crc64.len, &crc)
            != NGX_VOD_OK
            || crc != ctx->cover_crc)
        {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "vod upload: PutObject (cover): COS stored CRC-64 "
                          "\"%V\", %uL was sent", &call->crc64,
                          ctx->cover_crc);
            bad = "CRC64Mismatch";
            call->failed = 1;

            if (ngx_vod_crc64_header(call->crc64.data, call->crc64.len,
                                     &crc)
                == NGX_VOD_OK)
            {
                ngx_http_vod_upload_count(crc_mismatch, 1);
            }

        } else {
            ctx->cover_done = 1;
            (void) ngx_http_vod_commit_start(r, ctx);
            return;
        }
    }

    if (ctx->cover_tries < ctx->conf->part_tries
        && (bad || ngx_http_vod_cos_retryable(call)))
    {
        delay = ngx_http_vod_backoff(ctx->cover_tries);

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "vod upload: PutObject (cover) failed (%s%ui), trying "
                      "again in %M ms (try %ui of %ui)",
                      call->rc != NGX_OK ? "no answer, " : "status ",
                      call->rc != NGX_OK ? (ngx_uint_t) call->rc
                                         : call->status,
                      delay, ctx->cover_tries + 1, ctx->conf->part_tries);

        call->retried = 1;
        ngx_add_timer(&ctx->cover_retry, delay);
        return;
    }

    if (bad) {
        ngx_http_vod_failf(r, ctx, NGX_LOG_ERR, NGX_HTTP_BAD_GATEWAY, bad,
                           "PutObject (cover): COS did not store what was "
                           "sent (%s) in %ui tries", bad, ctx->cover_tries);
        return;
    }

    ngx_http_vod_cos_failed(r, ctx, call);
}


static void
ngx_http_vod_cover_retry(ngx_event_t *ev)
{
    ngx_http_vod_upload_relay_t *ctx = ev->data;

    ngx_http_vod_upload_calls_enter(&ctx->calls);

    if (!ctx->failed) {
        (void) ngx_http_vod_cover_start(ctx->request, ctx);
    }

    ngx_http_vod_upload_calls_leave(&ctx->calls);
}


static ngx_int_t
ngx_http_vod_initiate_start(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx)
{
    ngx_int_t             rc;
    ngx_vod_cos_pair_t    param;
    ngx_http_vod_call_t  *call;

    call = ngx_http_vod_upload_call_create(&ctx->calls,
                                           "InitiateMultipartUpload", 1);
    if (call == NULL) {
        goto failed;
    }

    ngx_memzero(&param, sizeof(ngx_vod_cos_pair_t));
    param.name.data = (u_char *) "uploads";
    param.name.len = sizeof("uploads") - 1;

    rc = ngx_http_vod_upload_cos_prepare(call, &ctx->cos, "POST", &param, 1);

    if (rc != NGX_OK) {
        ngx_http_vod_upload_call_free(call);

        if (rc == NGX_DECLINED) {
            goto expired;
        }

        goto failed;
    }

    call->handler = ngx_http_vod_initiate_done;

    if (ngx_http_vod_upload_call_start(call) != NGX_OK) {
        ngx_http_vod_upload_call_free(call);
        goto failed;
    }

    ctx->initiating = 1;
    ctx->cos_tries++;

    /* from now on a stopped worker may leave an upload behind */

    if (ctx->journal.len == 0) {
        (void) ngx_http_vod_upload_journal_write(r, &ctx->journal, &ctx->cos,
                                                 &ctx->upload_id);
    }

    return NGX_OK;

expired:

    ngx_http_vod_fail(r, ctx, NGX_HTTP_BAD_GATEWAY, "CredentialsExpired",
                      NULL);
    return NGX_ERROR;

failed:

    ngx_http_vod_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR, "InternalError",
                      NULL);
    return NGX_ERROR;
}


static void
ngx_http_vod_initiate_done(ngx_http_request_t *r, ngx_http_vod_call_t *call)
{
    unsigned                      unsure;
    ngx_str_t                     msg;
    ngx_vod_cos_xml_doc_t         doc;
    ngx_http_vod_upload_relay_t  *ctx;

    ctx = call->calls->data;
    ctx->initiating = 0;

    /*
     * An Initiate that went out and leaves no upload id (no answer, a 5xx
     * that may be a gateway's, an answer that cannot be read) may have
     * made an upload whose id is not known: it is looked for once the
     * upload is over.  A 4xx is COS refusing it.
     */

    unsure = ctx->initiate_unsure;

    if (call->sent
        && !(call->rc == NGX_OK && call->status >= NGX_HTTP_BAD_REQUEST
             && call->status < NGX_HTTP_INTERNAL_SERVER_ERROR))
    {
        ctx->initiate_unsure = 1;
    }

    if (call->rc != NGX_OK || call->status != NGX_HTTP_OK) {

        if (!ctx->failed && ngx_http_vod_upload_call_retryable(call)
            && ctx->cos_tries < ctx->conf->part_tries)
        {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "vod upload: InitiateMultipartUpload failed "
                          "(%s %ui), trying again", call->rc != NGX_OK
                          ? "no answer" : "status", call->status);
            call->retried = 1;
            return;
        }

        if (!ctx->failed) {
            ngx_http_vod_cos_failed(r, ctx, call);
        }

        return;
    }

    if (ngx_http_vod_cos_doc(call, NGX_VOD_COS_XML_INITIATE, &doc) != NGX_OK) {
        call->failed = 1;
        ngx_http_vod_cos_failed(r, ctx, call);
        return;
    }

    /* kept even after a failure elsewhere: the upload must be aborted */

    ngx_http_vod_copy(r->pool, &ctx->upload_id, doc.initiate.upload_id.data,
                      doc.initiate.upload_id.len);

    if (ctx->upload_id.len == 0 && !ctx->failed) {
        call->failed = 1;
        ngx_str_set(&msg, "InitiateMultipartUpload answered no UploadId");
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod upload: %V", &msg);
        ngx_http_vod_fail(r, ctx, NGX_HTTP_BAD_GATEWAY, "InvalidCosAnswer",
                          &msg);
        return;
    }

    /* this one's id is known: only an earlier try may have left one */

    ctx->initiate_unsure = unsure;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "vod upload: multipart upload \"%V\" initiated",
                   &ctx->upload_id);

    if (ctx->journal.len) {
        (void) ngx_http_vod_upload_journal_write(r, &ctx->journal, &ctx->cos,
                                                 &ctx->upload_id);
    }
}


/* UploadPart, or the one PUT Object of a small body */

static ngx_int_t
ngx_http_vod_part_start(ngx_http_request_t *r, ngx_http_vod_upload_relay_t *ctx,
    ngx_http_vod_slot_t *slot)
{
    u_char               *p;
    ngx_int_t             rc;
    ngx_uint_t            nparams;
    ngx_vod_cos_pair_t   *params;
    ngx_http_vod_call_t  *call;

    call = ngx_http_vod_upload_call_create(&ctx->calls,
                                           ctx->single ? "PutObject"
                                                       : "UploadPart", 1);
    if (call == NULL) {
        goto failed;
    }

    call->part = slot->part;
    call->data = slot;
    call->handler = ngx_http_vod_part_done;
    call->body.data = slot->buf;
    call->body.len = slot->len;

    /* a part being filled: its length is known, its bytes go as they come */

    if (slot->state == NGX_HTTP_VOD_SLOT_FILLING) {
        call->body.len = slot->want;
        call->body_ready = &slot->len;
    }

    params = ngx_pcalloc(call->pool, 2 * sizeof(ngx_vod_cos_pair_t));
    p = ngx_pnalloc(call->pool, NGX_INT_T_LEN);

    if (params == NULL || p == NULL) {
        ngx_http_vod_upload_call_free(call);
        goto failed;
    }

    nparams = 0;

    if (!ctx->single) {
        params[0].name.data = (u_char *) "partNumber";
        params[0].name.len = sizeof("partNumber") - 1;
        params[0].value.data = p;
        params[0].value.len = ngx_sprintf(p, "%ui", slot->part) - p;
        params[1].name.data = (u_char *) "uploadId";
        params[1].name.len = sizeof("uploadId") - 1;
        params[1].value.data = ctx->upload_id.data;
        params[1].value.len = ctx->upload_id.len;
        nparams = 2;
    }

    rc = ngx_http_vod_upload_cos_prepare(call, &ctx->cos, "PUT", params,
                                         nparams);

    if (rc != NGX_OK) {
        ngx_http_vod_upload_call_free(call);

        if (rc == NGX_DECLINED) {
            ngx_http_vod_fail(r, ctx, NGX_HTTP_BAD_GATEWAY,
                              "CredentialsExpired", NULL);
            return NGX_ERROR;
        }

        goto failed;
    }

    if (ngx_http_vod_upload_call_start(call) != NGX_OK) {
        ngx_http_vod_upload_call_free(call);
        goto failed;
    }

    if (slot->state == NGX_HTTP_VOD_SLOT_READY
        || slot->state == NGX_HTTP_VOD_SLOT_FILLING)
    {
        ctx->sending++;
    }

    if (slot->state == NGX_HTTP_VOD_SLOT_FILLING) {
        slot->stream = call;

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "vod upload: part %ui goes out as it fills, %uz bytes",
                       slot->part, slot->want);

    } else {
        slot->state = NGX_HTTP_VOD_SLOT_SENDING;
    }

    slot->tries++;

    return NGX_OK;

failed:

    ngx_http_vod_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR, "InternalError",
                      NULL);
    return NGX_ERROR;
}


static void
ngx_http_vod_part_done(ngx_http_request_t *r, ngx_http_vod_call_t *call)
{
    ngx_msec_t                    delay;
    ngx_http_vod_slot_t          *slot;
    ngx_vod_cos_part_t           *part;
    ngx_http_vod_upload_relay_t  *ctx;

    slot = call->data;
    ctx = slot->ctx;

    /* it went out as it filled, and ended before the part was whole */

    if (slot->stream == call) {
        slot->stream = NULL;

        if (slot->state == NGX_HTTP_VOD_SLOT_FILLING || call->stop) {
            ctx->sending--;

            /* stopped: the part is no longer one (it held its buffer) */

            if (slot->state != NGX_HTTP_VOD_SLOT_FILLING) {
                slot->state = NGX_HTTP_VOD_SLOT_FREE;
                ngx_http_vod_slots_idle(ctx, 1);
                return;
            }

            if (ctx->failed) {
                return;
            }

            slot->no_stream = 1;
            call->retried = 1;
            ngx_http_vod_upload_count(parts_retried, 1);

            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "vod upload: %s %ui, sent as it filled, failed "
                          "(%s%ui) before the part was whole, it goes whole "
                          "once it is", call->name, slot->part,
                          call->rc != NGX_OK ? "no answer, " : "status ",
                          call->rc != NGX_OK ? (ngx_uint_t) call->rc
                                             : call->status);
            return;
        }
    }

    /* a PutObject answered, or without an answer: the object may exist */

    if (ctx->single && call->sent
        && (call->rc != NGX_OK || call->status == NGX_HTTP_OK))
    {
        ctx->object_written = 1;
    }

    if (ctx->failed) {
        slot->state = NGX_HTTP_VOD_SLOT_FREE;
        ctx->sending--;
        ngx_http_vod_slots_idle(ctx, 1);
        return;
    }

    slot->bad = NULL;

    if (call->rc == NGX_OK && call->status == NGX_HTTP_OK) {
        slot->bad = ngx_http_vod_part_check(r, slot, call);
        call->failed = (slot->bad != NULL);
    }

    if (call->rc == NGX_OK && call->status == NGX_HTTP_OK && !slot->bad) {
        if (ctx->etags.nelts < slot->part) {
            part = ngx_array_push_n(&ctx->etags,
                                    slot->part - ctx->etags.nelts);
            if (part == NULL) {
                ngx_http_vod_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                  "InternalError", NULL);
                return;
            }
        }

        part = (ngx_vod_cos_part_t *) ctx->etags.elts + slot->part - 1;
        part->part_number = (uint32_t) slot->part;
        part->size = slot->len;

        ngx_http_vod_copy(r->pool, (ngx_str_t *) &part->etag,
                          call->etag.data, call->etag.len);

        ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "vod upload: %s %ui of %uz bytes stored",
                       call->name, slot->part, slot->len);

        slot->state = NGX_HTTP_VOD_SLOT_FREE;
        ctx->sending--;
        ctx->parts_done++;

        if (ctx->in_flight) {
            __atomic_store_n(&ctx->in_flight->parts_done,
                             (uint64_t) ctx->parts_done, __ATOMIC_RELAXED);
        }

        ngx_http_vod_slots_idle(ctx, ctx->body_done);
        return;
    }

    /* a transport error, a 5xx, RequestTimeout or a wrong CRC: again */

    if (slot->tries < ctx->conf->part_tries
        && (ngx_http_vod_cos_retryable(call) || call->status == NGX_HTTP_OK))
    {
        delay = ngx_http_vod_backoff(slot->tries);

        if (slot->bad) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "vod upload: %s %ui failed (%s), trying again in "
                          "%M ms (try %ui of %ui)", call->name, slot->part,
                          slot->bad, delay, slot->tries + 1,
                          ctx->conf->part_tries);

        } else {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "vod upload: %s %ui failed (%s%ui), trying again "
                          "in %M ms (try %ui of %ui)", call->name, slot->part,
                          call->rc != NGX_OK ? "no answer, " : "status ",
                          call->rc != NGX_OK ? (ngx_uint_t) call->rc
                                             : call->status,
                          delay, slot->tries + 1, ctx->conf->part_tries);
        }

        call->retried = 1;
        ngx_http_vod_upload_count(parts_retried, 1);

        slot->state = NGX_HTTP_VOD_SLOT_WAITING;
        slot->retry.handler = ngx_http_vod_part_retry;
        slot->retry.data = slot;
        slot->retry.log = r->connection->log;

        ngx_add_timer(&slot->retry, delay);
        return;
    }

    slot->state = NGX_HTTP_VOD_SLOT_FREE;
    ctx->sending--;

    if (slot->bad) {
        ngx_http_vod_failf(r, ctx, NGX_LOG_ERR, NGX_HTTP_BAD_GATEWAY,
                           slot->bad, "%s %ui: COS did not store what was "
                           "sent (%s) in %ui tries", call->name, slot->part,
                           slot->bad, slot->tries);
        return;
    }

    ngx_http_vod_cos_failed(r, ctx, call);
}


/*
 * The part as COS stored it: its CRC-64 must be the one computed while
 * it streamed in (and its MD5 the ETag, with vod_upload_md5 on).  NULL,
 * or the code of what is wrong.
 */

static const char *
ngx_http_vod_part_check(ngx_http_request_t *r, ngx_http_vod_slot_t *slot,
    ngx_http_vod_call_t *call)
{
    uint64_t   crc;
    ngx_str_t  etag;
    ngx_md5_t  md5;
    u_char     digest[16], hex[32];

    if (ngx_vod_crc64_header(call->crc64.data, call->crc64.len, &crc)
        != NGX_VOD_OK)
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "vod upload: %s %ui: COS answered no valid "
                      "x-cos-hash-crc64ecma (\"%V\")", call->name,
                      slot->part, &call->crc64);
        return "InvalidCosAnswer";
    }

    if (crc != slot->crc) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "vod upload: %s %ui: COS stored CRC-64 %uL, "
                      "%uL was sent", call->name, slot->part, crc,
                      slot->crc);
        ngx_http_vod_upload_count(crc_mismatch, 1);
        return "CRC64Mismatch";
    }

    etag = call->etag;

    if (etag.len >= 2 && etag.data[0] == '"'
        && etag.data[etag.len - 1] == '"')
    {
        etag.data++;
        etag.len -= 2;
    }

    if (etag.len == 0) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "vod upload: %s %ui: COS answered no ETag",
                      call->name, slot->part);
        return "InvalidCosAnswer";
    }

    if (!slot->ctx->conf->md5) {
        return NULL;
    }

    md5 = slot->md5;
    ngx_md5_final(digest, &md5);
    ngx_hex_dump(hex, digest, 16);

    if (etag.len != 32 || ngx_strncasecmp(etag.data, hex, 32) != 0) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "vod upload: %s %ui: COS answered the ETag %V, "
                      "the MD5 sent is %*s", call->name, slot->part,
                      &call->etag, (size_t) 32, hex);
        return "ETagMismatch";
    }

    return NULL;
}


static void
ngx_http_vod_part_retry(ngx_event_t *ev)
{
    ngx_http_vod_slot_t *slot = ev->data;

    ngx_http_vod_upload_relay_t  *ctx;

    ctx = slot->ctx;

    ngx_http_vod_upload_calls_enter(&ctx->calls);

    /* a failure frees the waiting slots, this one with them */

    (void) ngx_http_vod_part_start(ctx->calls.request, ctx, slot);

    ngx_http_vod_upload_calls_leave(&ctx->calls);
}


static ngx_int_t
ngx_http_vod_complete_start(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx)
{
    ngx_str_t             type;
    const char           *err;
    ngx_vod_alloc_t       a;
    ngx_vod_cos_pair_t    param;
    ngx_http_vod_call_t  *call;

    call = ngx_http_vod_upload_call_create(&ctx->calls,
                                           "CompleteMultipartUpload", 1);
    if (call == NULL) {
        goto failed;
    }

    a.alloc = ngx_http_vod_upload_palloc;
    a.data = call->pool;

    if (ngx_vod_cos_xml_complete_body(&a, ctx->etags.elts, ctx->etags.nelts,
                                      (ngx_vod_str_t *) &call->body, &err)
        != NGX_VOD_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "vod upload: cannot build the Complete body: %s", err);
        ngx_http_vod_upload_call_free(call);
        goto failed;
    }

    ngx_memzero(&param, sizeof(ngx_vod_cos_pair_t));
    param.name.data = (u_char *) "uploadId";
    param.name.len = sizeof("uploadId") - 1;
    param.value.data = ctx->upload_id.data;
    param.value.len = ctx->upload_id.len;

    ngx_str_set(&type, "application/xml");

    if (ngx_http_vod_upload_cos_prepare(call, &ctx->cos, "POST", &param, 1)
        != NGX_OK
        || ngx_http_vod_upload_call_header(call, "Content-Type", &type)
           != NGX_OK)
    {
        ngx_http_vod_upload_call_free(call);
        goto failed;
    }

    call->handler = ngx_http_vod_complete_done;

    if (ngx_http_vod_upload_call_start(call) != NGX_OK) {
        ngx_http_vod_upload_call_free(call);
        goto failed;
    }

    ctx->state = NGX_HTTP_VOD_COMPLETING;

    return NGX_OK;

failed:

    ngx_http_vod_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR, "InternalError",
                      NULL);
    return NGX_ERROR;
}


/*
 * COS may answer 200 at once and send the result, or an <Error>, after
 * the merge: the document decides, not the status.  The object's CRC-64
 * must be the one of the bytes sent.
 */

static void
ngx_http_vod_complete_done(ngx_http_request_t *r, ngx_http_vod_call_t *call)
{
    uint64_t                      crc;
    ngx_vod_cos_xml_doc_t         doc;
    ngx_http_vod_upload_relay_t  *ctx;

    ctx = call->calls->data;

    /*
     * without an answer the parts may have been merged: the upload is
     * aborted and the object deleted, whichever exists
     */

    if (call->sent && call->rc != NGX_OK) {
        ctx->object_written = 1;
    }

    if (call->rc != NGX_OK || call->status != NGX_HTTP_OK) {
        ngx_http_vod_cos_failed(r, ctx, call);
        return;
    }

    if (ngx_http_vod_cos_doc(call, NGX_VOD_COS_XML_COMPLETE, &doc) != NGX_OK) {
        call->failed = 1;
        ngx_http_vod_cos_failed(r, ctx, call);
        return;
    }

    /*
     * a resumed upload's earlier parts were checked one by one when they
     * were stored: the whole is known only when this request sent all
     */

    if (ngx_vod_crc64_header(call->crc64.data, call->crc64.len, &crc)
        != NGX_VOD_OK
        || (crc != ctx->crc && ctx->offset == 0))
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod upload: CompleteMultipartUpload of \"%V\": COS "
                      "stored the object with CRC-64 \"%V\", %uL was sent: "
                      "deleting it", &ctx->upload_id, &call->crc64, ctx->crc);

        /* the parts were merged into an object: it is deleted, not aborted */
        ctx->completed = 1;
        ctx->corrupt = 1;
        call->failed = 1;

        /* a CRC-64 that differs, not one that is missing */

        if (ngx_vod_crc64_header(call->crc64.data, call->crc64.len, &crc)
            == NGX_VOD_OK)
        {
            ngx_http_vod_upload_count(crc_mismatch, 1);
        }
        ngx_http_vod_failf(r, ctx, 0, NGX_HTTP_BAD_GATEWAY, "CRC64Mismatch",
                           "COS stored the object with CRC-64 \"%V\", %uL "
                           "was sent", &call->crc64, ctx->crc);
        return;
    }

    ctx->completed = 1;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "vod upload: multipart upload \"%V\" completed, "
                   "%ui parts", &ctx->upload_id, ctx->etags.nelts);

    (void) ngx_http_vod_media_done(r, ctx);
}


static ngx_int_t
ngx_http_vod_commit_start(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx)
{
    const char                       *err;
    ngx_vod_alloc_t                   a;
    ngx_http_vod_call_t              *call;
    ngx_vod_api_commit_upload_req_t   req;

    call = ngx_http_vod_upload_call_create(&ctx->calls, "CommitUpload", 0);
    if (call == NULL) {
        goto failed;
    }

    ngx_memzero(&req, sizeof(ngx_vod_api_commit_upload_req_t));
    req.vod_session_key.data = ctx->session_key.data;
    req.vod_session_key.len = ctx->session_key.len;
    req.sub_app_id = ctx->apply.sub_app_id;

    a.alloc = ngx_http_vod_upload_palloc;
    a.data = call->pool;

    if (ngx_vod_api_commit_upload_body(&a, &req,
                                       (ngx_vod_str_t *) &call->body, &err)
        != NGX_VOD_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "vod upload: cannot build the CommitUpload body: %s",
                      err);
        ngx_http_vod_upload_call_free(call);
        goto failed;
    }

    call->handler = ngx_http_vod_commit_done;

    if (ngx_http_vod_upload_api_prepare(call, "CommitUpload") != NGX_OK
        || ngx_http_vod_upload_call_start(call) != NGX_OK)
    {
        ngx_http_vod_upload_call_free(call);
        goto failed;
    }

    if (ctx->state != NGX_HTTP_VOD_COMMITTING) {
        /* CommitUpload's tries are its own, not what ApplyUpload used */
        ctx->api_tries = 0;
        ctx->state = NGX_HTTP_VOD_COMMITTING;
    }

    return NGX_OK;

failed:

    ngx_http_vod_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR, "InternalError",
                      NULL);
    return NGX_ERROR;
}


static void
ngx_http_vod_commit_done(ngx_http_request_t *r, ngx_http_vod_call_t *call)
{
    int                           rc;
    ngx_vod_alloc_t               a;
    ngx_vod_api_result_t          res;
    ngx_http_vod_upload_relay_t  *ctx;
    ngx_vod_api_commit_upload_t   out;

    ctx = call->calls->data;

    if (ngx_http_vod_api_answer(r, ctx, call) != NGX_OK) {
        return;
    }

    a.alloc = ngx_http_vod_upload_palloc;
    a.data = r->pool;

    rc = ngx_vod_api_parse_commit_upload(&a, call->response.data,
                                         call->response.len, &out, &res);

    if (ngx_http_vod_api_result(r, ctx, call, &res, rc) != NGX_OK) {
        return;
    }

    ctx->file_id.data = out.file_id.data;
    ctx->file_id.len = out.file_id.len;
    ctx->media_url.data = out.media_url.data;
    ctx->media_url.len = out.media_url.len;
    ctx->cover_url.data = out.cover_url.data;
    ctx->cover_url.len = out.cover_url.len;

    /* the answer goes out in ngx_http_vod_step(), after the handlers */

    ctx->committed = 1;
}


/*
 * ApplyUpload and CommitUpload are tried again on a transport failure
 * (no answer, or not HTTP 200), never on an API error, as the official
 * SDKs do.  NGX_OK: there is an answer to read; otherwise another try is
 * scheduled or the upload failed.
 */

static ngx_int_t
ngx_http_vod_api_answer(ngx_http_request_t *r, ngx_http_vod_upload_relay_t *ctx,
    ngx_http_vod_call_t *call)
{
    ngx_msec_t  delay;

    if (ctx->failed) {
        return NGX_DECLINED;
    }

    if (call->rc == NGX_OK && call->status == NGX_HTTP_OK) {
        return NGX_OK;
    }

    /* a CommitUpload that went out may have been done */

    if (ctx->state == NGX_HTTP_VOD_COMMITTING && call->sent) {
        ctx->commit_unsure = 1;
    }

    if (++ctx->api_tries >= NGX_HTTP_VOD_API_TRIES) {

        if (ctx->commit_unsure) {
            ngx_http_vod_commit_unconfirmed(r, ctx, call, NULL);
            return NGX_ERROR;
        }

        ngx_http_vod_api_failed(r, ctx, call, NULL, NGX_VOD_ERROR);
        return NGX_ERROR;
    }

    delay = ngx_http_vod_backoff(ctx->api_tries);

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "vod upload: %s failed (%s%ui), trying again in %M ms",
                  call->name, call->rc != NGX_OK ? "no answer, " : "status ",
                  call->rc != NGX_OK ? (ngx_uint_t) call->rc : call->status,
                  delay);

    call->retried = 1;
    ngx_add_timer(&ctx->api_retry, delay);

    return NGX_AGAIN;
}


/*
 * The parsed answer: its request id kept; an API error fails the upload.
 * A CommitUpload answered with an error after a try that may have been
 * done (VOD then says the session key is used), with an error that does
 * not say it was refused (InternalError, ...), or with an answer that
 * cannot be read, leaves the outcome unknown: that is not a failure.
 */

static ngx_int_t
ngx_http_vod_api_result(ngx_http_request_t *r, ngx_http_vod_upload_relay_t *ctx,
    ngx_http_vod_call_t *call, ngx_vod_api_result_t *res, int rc)
{
    ngx_http_vod_copy(r->pool, &ctx->request_id, res->request_id.data,
                      res->request_id.len);

    if (rc == NGX_VOD_OK) {
        return NGX_OK;
    }

    call->failed = 1;

    /*
     * the CommitUpload of an upload completed by an earlier request: a
     * session VOD does not know (any more) was committed by that request
     * (whose answer was lost) or expired; either way the upload is over
     */

    if (ctx->finished && ctx->state == NGX_HTTP_VOD_COMMITTING
        && !ctx->commit_unsure && rc == NGX_VOD_API_ERROR
        && res->code.len >= sizeof(NGX_HTTP_VOD_SESSION_INVALID) - 1
        && ngx_strncmp(res->code.data, NGX_HTTP_VOD_SESSION_INVALID,
                       sizeof(NGX_HTTP_VOD_SESSION_INVALID) - 1) == 0)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod upload: the upload \"%V\" was completed before "
                      "and VOD takes no CommitUpload of its session (%V): "
                      "committed before", &ctx->upload_id, &res->code);
        ctx->kept = 1;
        return NGX_DECLINED;
    }

    /*
     * a resumed upload's session refused: another request of the upload
     * (a HEAD, another nginx) may have committed it meanwhile
     */

    if (ctx->state == NGX_HTTP_VOD_COMMITTING
        && (ctx->commit_unsure || rc != NGX_VOD_API_ERROR
            || !ngx_vod_api_error_refused(res->code.data, res->code.len)
            || (ctx->resumed
                && res->code.len >= sizeof(NGX_HTTP_VOD_SESSION_INVALID) - 1
                && ngx_strncmp(res->code.data, NGX_HTTP_VOD_SESSION_INVALID,
                               sizeof(NGX_HTTP_VOD_SESSION_INVALID) - 1)
                   == 0)))
    {
        ngx_http_vod_commit_unconfirmed(r, ctx, call, res);
        return NGX_ERROR;
    }

    ngx_http_vod_api_failed(r, ctx, call, res, rc);

    return NGX_ERROR;
}


/*
 * CommitUpload's outcome cannot be known: the media may be in VOD.  The
 * client must not be told that the upload failed (it would upload the
 * media again): 202 CommitUnconfirmed, with what the application needs
 * to recognise the media in the NewFileUpload event, logged once.
 */

static void
ngx_http_vod_commit_unconfirmed(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx, ngx_http_vod_call_t *call,
    ngx_vod_api_result_t *res)
{
    u_char  *p;
    u_char   why[128];

    if (res == NULL) {
        p = ngx_snprintf(why, sizeof(why) - 1, "no answer after %ui tries",
                         ctx->api_tries);

    } else if (res->code.len && ctx->commit_unsure) {
        p = ngx_snprintf(why, sizeof(why) - 1, "a try whose answer was lost, "
                         "then VOD answered %V", &res->code);

    } else if (res->code.len) {
        p = ngx_snprintf(why, sizeof(why) - 1, "VOD answered %V, which does "
                         "not say it was refused", &res->code);

    } else {
        p = ngx_snprintf(why, sizeof(why) - 1, "an answer that is not "
                         "valid: %s", res->error ? res->error : "unknown");
    }

    *p = '\0';

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "vod upload: CommitUpload: the outcome is not known (%s): "
                  "VOD may have committed the media of %O bytes stored at "
                  "%V%V (MediaName \"%V\", SourceContext \"%V\")", why,
                  ctx->received, &ctx->cos.host, &ctx->cos.key,
                  &ctx->apply.media_name, &ctx->apply.source_context);

    ctx->unconfirmed = 1;

    ngx_http_vod_failf(r, ctx, 0, NGX_HTTP_ACCEPTED, "CommitUnconfirmed",
                       "the media was uploaded and CommitUpload sent, but "
                       "whether VOD committed it is not known (%s): do not "
                       "upload it again; its NewFileUpload event tells",
                       why);
}


static void
ngx_http_vod_api_retry(ngx_event_t *ev)
{
    ngx_http_vod_upload_relay_t *ctx = ev->data;

    ngx_str_t            error;
    ngx_http_request_t  *r;

    r = ctx->request;

    ngx_http_vod_upload_calls_enter(&ctx->calls);

    if (!ctx->failed) {

        if (ctx->state == NGX_HTTP_VOD_APPLYING) {
            if (ngx_http_vod_apply_start(r, ctx, &error) != NGX_OK) {
                ngx_http_vod_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                  "InternalError", NULL);
            }

        } else {
            (void) ngx_http_vod_commit_start(r, ctx);
        }
    }

    ngx_http_vod_upload_calls_leave(&ctx->calls);
}


/*
 * Nothing is left behind.  Once an upload is over, what it must not leave
 * in COS is removed before the answer, one call at a time, each tried
 * again like a part: the multipart upload of a failed upload (aborted);
 * those of Initiates whose answer was lost (found with
 * ListMultipartUploads, the key as prefix, and aborted); the object of an
 * upload that failed for sure after the object was written (deleted).
 * NGX_AGAIN: a call is under way; NGX_OK: nothing (more) to do.
 */

static ngx_int_t
ngx_http_vod_cleanup(ngx_http_request_t *r, ngx_http_vod_upload_relay_t *ctx)
{
    ngx_http_vod_clean_e  what;

    for ( ;; ) {

        if (ctx->failed && ctx->upload_id.len && !ctx->completed
            && !ctx->aborted && !ctx->resumed)
        {
            what = NGX_HTTP_VOD_CLEAN_ABORT;

        } else if ((ctx->initiate_unsure || ctx->abort_missing)
                   && !ctx->listed)
        {
            what = NGX_HTTP_VOD_CLEAN_LIST;

        } else if (ctx->lost.nelts > ctx->lost_done) {
            what = NGX_HTTP_VOD_CLEAN_ABORT_LOST;

        } else if (ctx->failed && (ctx->completed || ctx->object_written)
                   && !ctx->unconfirmed && !ctx->deleted
                   && (!ctx->resumed || ctx->corrupt))
        {
            what = NGX_HTTP_VOD_CLEAN_DELETE;

        } else if (ctx->failed && ctx->cover_written && !ctx->unconfirmed
                   && !ctx->cover_deleted)
        {
            what = NGX_HTTP_VOD_CLEAN_DELETE_COVER;

        } else {
            return NGX_OK;
        }

        ctx->state = NGX_HTTP_VOD_CLEANING;

        if (ngx_http_vod_cleanup_start(r, ctx, what) == NGX_OK) {
            return NGX_AGAIN;
        }

        /* it could not be sent: logged, given up, the next one */
    }
}


static ngx_int_t
ngx_http_vod_cleanup_start(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx, ngx_http_vod_clean_e what)
{
    u_char               *p;
    ngx_int_t             rc;
    ngx_str_t            *id;
    ngx_uint_t            n;
    const char           *method;
    ngx_vod_cos_pair_t    params[4];
    ngx_http_vod_cos_t    bucket, *cos;
    ngx_http_vod_call_t  *call;

    static const char  *names[] = {
        "AbortMultipartUpload", "ListMultipartUploads",
        "AbortMultipartUpload", "DeleteObject", "DeleteObject"
    };

    ngx_memzero(params, sizeof(params));

    cos = &ctx->cos;
    method = "DELETE";
    id = NULL;
    n = 0;

    call = ngx_http_vod_upload_call_create(&ctx->calls, names[what], 1);
    if (call == NULL) {
        goto failed;
    }

    call->handler = ngx_http_vod_cleanup_done;
    call->data = (void *) (uintptr_t) what;

    switch (what) {

    case NGX_HTTP_VOD_CLEAN_ABORT:
        id = &ctx->upload_id;
        break;

    case NGX_HTTP_VOD_CLEAN_ABORT_LOST:
        id = (ngx_str_t *) ctx->lost.elts + ctx->lost_done;
        break;

    case NGX_HTTP_VOD_CLEAN_LIST:

        /* GET /?uploads&prefix=<key>: the bucket, not the object */

        bucket = ctx->cos;
        ngx_str_set(&bucket.key, "/");
        ngx_str_set(&bucket.key_uri, "/");
        cos = &bucket;
        method = "GET";

        ngx_str_set(&params[n].name, "uploads");
        n++;

        if (ctx->list_key_marker.len) {
            ngx_str_set(&params[n].name, "key-marker");
            params[n].value.data = ctx->list_key_marker.data;
            params[n].value.len = ctx->list_key_marker.len;
            n++;
        }

        ngx_str_set(&params[n].name, "prefix");
        params[n].value.data = ctx->cos.key.data + 1;
        params[n].value.len = ctx->cos.key.len - 1;
        n++;

        if (ctx->list_id_marker.len) {
            ngx_str_set(&params[n].name, "upload-id-marker");
            params[n].value.data = ctx->list_id_marker.data;
            params[n].value.len = ctx->list_id_marker.len;
            n++;
        }

        break;

    case NGX_HTTP_VOD_CLEAN_DELETE_COVER:
        bucket = ctx->cos;
        bucket.key = ctx->cover_key;
        bucket.key_uri = ctx->cover_key_uri;
        cos = &bucket;
        break;

    default: /* NGX_HTTP_VOD_CLEAN_DELETE */
        break;
    }

    if (id) {
        ngx_str_set(&params[0].name, "uploadId");
        params[0].value.data = id->data;
        params[0].value.len = id->len;
        n = 1;
    }

    rc = ngx_http_vod_upload_cos_prepare(call, cos, method, params, n);

    if (rc == NGX_DECLINED) {
        ngx_http_vod_upload_call_free(call);
        p = (u_char *) "the temporary credentials expired";
        goto given_up;
    }

    if (rc != NGX_OK || ngx_http_vod_upload_call_start(call) != NGX_OK) {
        ngx_http_vod_upload_call_free(call);
        goto failed;
    }

    ctx->cleanup_tries++;

    return NGX_OK;

failed:

    p = (u_char *) "out of memory";

given_up:

    ngx_http_vod_cleanup_lost(r, ctx, what, p);

    return NGX_ERROR;
}


static void
ngx_http_vod_cleanup_done(ngx_http_request_t *r, ngx_http_vod_call_t *call)
{
    u_char                       *p;
    ngx_msec_t                    delay;
    ngx_http_vod_clean_e          what;
    ngx_http_vod_upload_relay_t  *ctx;
    u_char                        why[64];

    ctx = call->calls->data;
    what = (ngx_http_vod_clean_e) (uintptr_t) call->data;

    if (call->rc == NGX_OK && what == NGX_HTTP_VOD_CLEAN_LIST
        && call->status == NGX_HTTP_OK)
    {
        if (ngx_http_vod_cleanup_list(r, ctx, call) == NGX_OK) {
            return;
        }

        call->failed = 1;
        ngx_http_vod_cleanup_lost(r, ctx, what,
                                  (u_char *) "an answer that is not a list");
        return;
    }

    /* 404: the upload or the object is not there (any more) */

    if (call->rc == NGX_OK && what != NGX_HTTP_VOD_CLEAN_LIST
        && (call->status == NGX_HTTP_NO_CONTENT
            || call->status == NGX_HTTP_OK
            || call->status == NGX_HTTP_NOT_FOUND))
    {
        /* not there (any more): what was wanted */
        call->expected = 1;

        if (what >= NGX_HTTP_VOD_CLEAN_DELETE) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "vod upload: deleted the uncommitted object %V%V "
                          "(status %ui)", &ctx->cos.host,
                          what == NGX_HTTP_VOD_CLEAN_DELETE
                          ? &ctx->cos.key : &ctx->cover_key,
                          call->status);

        } else if (call->status == NGX_HTTP_NOT_FOUND
                   && what == NGX_HTTP_VOD_CLEAN_ABORT && !ctx->sweep
                   && !ctx->terminate && !ctx->completed
                   && !ctx->object_written && ctx->cleanup_tries == 1
                   && ngx_time() < ctx->cos.expires)
        {
            /*
             * the upload's own multipart upload, never completed nor
             * aborted by an earlier try, is not there: not to be taken on
             * one answer; the journal's record stays, and the sweep
             * aborts it again later
             */

            ctx->left_behind = 1;
            ctx->abort_missing = 1;

            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "vod upload: COS answered 404 to the abort of the "
                          "multipart upload \"%V\" of %V%V, never "
                          "completed: its journal record stays for the "
                          "sweep", &ctx->upload_id, &ctx->cos.host,
                          &ctx->cos.key);

        } else if (call->status == NGX_HTTP_NOT_FOUND) {

            /* the sweep's: a list tells whether it is still there */

            if (what == NGX_HTTP_VOD_CLEAN_ABORT && ctx->sweep) {
                ctx->abort_missing = 1;
            }

            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "vod upload: no multipart upload \"%V\" of %V%V "
                          "to abort (completed or aborted before)",
                          what == NGX_HTTP_VOD_CLEAN_ABORT
                          ? &ctx->upload_id
                          : (ngx_str_t *) ctx->lost.elts + ctx->lost_done,
                          &ctx->cos.host, &ctx->cos.key);

        } else {
            ngx_http_vod_upload_count(multipart_aborted, 1);

            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "vod upload: aborted the multipart upload \"%V\" "
                          "of %V%V (status %ui)",
                          what == NGX_HTTP_VOD_CLEAN_ABORT
                          ? &ctx->upload_id
                          : (ngx_str_t *) ctx->lost.elts + ctx->lost_done,
                          &ctx->cos.host, &ctx->cos.key, call->status);
        }

        ngx_http_vod_cleanup_next(ctx, what);
        return;
    }

    if (call->rc != NGX_OK) {
        p = ngx_snprintf(why, sizeof(why), "no answer, %i", call->rc);

    } else {
        p = ngx_snprintf(why, sizeof(why), "status %ui", call->status);
    }

    *p = '\0';

    if (ctx->cleanup_tries < ctx->conf->part_tries
        && ngx_http_vod_cos_retryable(call))
    {
        delay = ngx_http_vod_backoff(ctx->cleanup_tries);

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "vod upload: %s failed (%s), trying again in %M ms "
                      "(try %ui of %ui)", call->name, why, delay,
                      ctx->cleanup_tries + 1, ctx->conf->part_tries);

        call->retried = 1;
        ngx_add_timer(&ctx->cleanup_retry, delay);
        return;
    }

    ngx_http_vod_cleanup_lost(r, ctx, what, why);
}


/*
 * A page of ListMultipartUploads: every other upload of this key is one
 * whose Initiate answer was lost.  NGX_OK: the page was taken in.
 */

static ngx_int_t
ngx_http_vod_cleanup_list(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx, ngx_http_vod_call_t *call)
{
    size_t                       i;
    ngx_str_t                   *id;
    ngx_uint_t                   own;
    ngx_vod_cos_upload_t        *u;
    ngx_vod_cos_xml_doc_t        doc;
    ngx_vod_cos_list_uploads_t  *list;

    if (ngx_http_vod_cos_doc(call, NGX_VOD_COS_XML_LIST_UPLOADS, &doc)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    list = &doc.list_uploads;

    for (i = 0; i < list->nuploads; i++) {
        u = &list->uploads[i];

        own = (u->upload_id.len == ctx->upload_id.len
               && ngx_strncmp(u->upload_id.data, ctx->upload_id.data,
                              u->upload_id.len) == 0);

        if (u->key.len != ctx->cos.key.len - 1
            || ngx_strncmp(u->key.data, ctx->cos.key.data + 1, u->key.len)
               != 0
            || (own && !ctx->abort_missing))
        {
            continue;
        }

        id = ngx_array_push(&ctx->lost);
        if (id == NULL) {
            return NGX_ERROR;
        }

        ngx_http_vod_copy(r->pool, id, u->upload_id.data, u->upload_id.len);

        if (own) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "vod upload: the multipart upload \"%V\" is still "
                          "listed after COS answered 404 to its abort: "
                          "aborting it again", id);

        } else {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "vod upload: found the multipart upload \"%V\" of "
                          "an Initiate whose answer was lost", id);
        }
    }

    /* the next page, from the markers; a page that does not move ends */

    if (list->is_truncated && list->next_key_marker.len
        && (list->next_key_marker.len != ctx->list_key_marker.len
            || ngx_strncmp(list->next_key_marker.data,
                           ctx->list_key_marker.data,
                           ctx->list_key_marker.len) != 0
            || list->next_upload_id_marker.len != ctx->list_id_marker.len
            || ngx_strncmp(list->next_upload_id_marker.data,
                           ctx->list_id_marker.data,
                           ctx->list_id_marker.len) != 0))
    {
        ngx_http_vod_copy(r->pool, &ctx->list_key_marker,
                          list->next_key_marker.data,
                          list->next_key_marker.len);
        ngx_http_vod_copy(r->pool, &ctx->list_id_marker,
                          list->next_upload_id_marker.data,
                          list->next_upload_id_marker.len);
        ctx->cleanup_tries = 0;
        return NGX_OK;
    }

    ngx_http_vod_cleanup_next(ctx, NGX_HTTP_VOD_CLEAN_LIST);

    return NGX_OK;
}


/* a cleanup that cannot be done: said once, with what stays behind */

static void
ngx_http_vod_cleanup_lost(ngx_http_request_t *r,
    ngx_http_vod_upload_relay_t *ctx, ngx_http_vod_clean_e what, u_char *why)
{
    /* the sweep tries again later, while the credentials last */

    if (what < NGX_HTTP_VOD_CLEAN_DELETE && ngx_time() < ctx->cos.expires) {
        ctx->left_behind = 1;
    }

    switch (what) {

    case NGX_HTTP_VOD_CLEAN_ABORT:
    case NGX_HTTP_VOD_CLEAN_ABORT_LOST:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod upload: AbortMultipartUpload of the upload id "
                      "\"%V\" of %V%V failed (%s): its parts are left behind",
                      what == NGX_HTTP_VOD_CLEAN_ABORT
                      ? &ctx->upload_id
                      : (ngx_str_t *) ctx->lost.elts + ctx->lost_done,
                      &ctx->cos.host, &ctx->cos.key, why);
        break;

    case NGX_HTTP_VOD_CLEAN_LIST:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod upload: ListMultipartUploads of %V%V failed (%s): "
                      "the upload of an Initiate whose answer was lost may "
                      "be left behind", &ctx->cos.host, &ctx->cos.key, why);
        break;

    default: /* NGX_HTTP_VOD_CLEAN_DELETE, _DELETE_COVER */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod upload: DeleteObject of %V%V failed (%s): the "
                      "uncommitted object is left behind", &ctx->cos.host,
                      what == NGX_HTTP_VOD_CLEAN_DELETE
                      ? &ctx->cos.key : &ctx->cover_key, why);
        break;
    }

    ngx_http_vod_cleanup_next(ctx, what);
}


static void
ngx_http_vod_cleanup_next(ngx_http_vod_upload_relay_t *ctx,
    ngx_http_vod_clean_e what)
{
    ctx->cleanup_tries = 0;

    switch (what) {

    case NGX_HTTP_VOD_CLEAN_ABORT:
        ctx->aborted = 1;
        break;

    case NGX_HTTP_VOD_CLEAN_LIST:
        ctx->listed = 1;
        break;

    case NGX_HTTP_VOD_CLEAN_ABORT_LOST:
        ctx->lost_done++;
        break;

    case NGX_HTTP_VOD_CLEAN_DELETE:
        ctx->deleted = 1;
        break;

    default: /* NGX_HTTP_VOD_CLEAN_DELETE_COVER */
        ctx->cover_deleted = 1;
        break;
    }
}


static void
ngx_http_vod_cleanup_retry(ngx_event_t *ev)
{
    ngx_http_vod_upload_relay_t *ctx = ev->data;

    /* the step starts the call again */

    ngx_http_vod_upload_calls_enter(&ctx->calls);
    ngx_http_vod_upload_calls_leave(&ctx->calls);
}


/* a COS call failed for good: 502 with COS's code, 504 on a timeout */

static void
ngx_http_vod_cos_failed(ngx_http_request_t *r, ngx_http_vod_upload_relay_t *ctx,
    ngx_http_vod_call_t *call)
{
    ngx_uint_t              status;
    const char             *code;
    ngx_vod_alloc_t         a;
    ngx_vod_cos_xml_doc_t   doc;

    if (call->rc != NGX_OK) {
        status = (call->rc == NGX_HTTP_GATEWAY_TIME_OUT)
                 ? NGX_HTTP_GATEWAY_TIME_OUT : NGX_HTTP_BAD_GATEWAY;
        code = (status == NGX_HTTP_GATEWAY_TIME_OUT) ? "CosTimeout"
                                                     : "CosUnavailable";

        ngx_http_vod_failf(r, ctx, NGX_LOG_ERR, status, code,
                           "%s%s: no answer from COS (%s)", call->name,
                           ngx_http_vod_part_name(call),
                           status == NGX_HTTP_GATEWAY_TIME_OUT
                           ? "timed out" : "connection failed");
        return;
    }

    a.alloc = ngx_http_vod_upload_palloc;
    a.data = call->pool;

    ngx_memzero(&doc, sizeof(ngx_vod_cos_xml_doc_t));

    if (call->response.len
        && ngx_vod_cos_xml_parse(&a, call->response.data, call->response.len,
                                 &doc) == NGX_VOD_OK
        && doc.root == NGX_VOD_COS_XML_ERROR
        && doc.error_doc.code.len)
    {
        ngx_http_vod_copy(r->pool, &ctx->code, doc.error_doc.code.data,
                          doc.error_doc.code.len);
        ngx_http_vod_copy(r->pool, &ctx->request_id,
                          doc.error_doc.request_id.data,
                          doc.error_doc.request_id.len);

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod upload: %s%s failed: COS answered %ui %V: "
                      "\"%s\" (request id \"%V\")", call->name,
                      ngx_http_vod_part_name(call), call->status, &ctx->code,
                      doc.error_doc.message.data, &ctx->request_id);

        ngx_http_vod_failf(r, ctx, 0, NGX_HTTP_BAD_GATEWAY,
                           (const char *) ctx->code.data, "%s%s: %s",
                           call->name, ngx_http_vod_part_name(call),
                           doc.error_doc.message.data);
        return;
    }

    if (call->request_id.len) {
        ngx_http_vod_copy(r->pool, &ctx->request_id, call->request_id.data,
                          call->request_id.len);
    }

    ngx_http_vod_failf(r, ctx, NGX_LOG_ERR, NGX_HTTP_BAD_GATEWAY,
                       "InvalidCosAnswer", "%s%s: COS answered status %ui "
                       "without an error document", call->name,
                       ngx_http_vod_part_name(call), call->status);
}


/* an API call failed for good: 502 with VOD's code, 504 on a timeout */

static void
ngx_http_vod_api_failed(ngx_http_request_t *r, ngx_http_vod_upload_relay_t *ctx,
    ngx_http_vod_call_t *call, ngx_vod_api_result_t *res, int rc)
{
    ngx_uint_t  status;

    if (res && rc == NGX_VOD_API_ERROR) {
        ngx_http_vod_copy(r->pool, &ctx->code, res->code.data,
                          res->code.len);

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod upload: %s failed: VOD answered %V: \"%s\" "
                      "(request id \"%V\")", call->name, &ctx->code,
                      res->message.data, &ctx->request_id);

        ngx_http_vod_failf(r, ctx, 0, NGX_HTTP_BAD_GATEWAY,
                           ctx->code.len ? (const char *) ctx->code.data
                                         : "InternalError",
                           "%s: %s", call->name, res->message.data);
        return;
    }

    if (res) {
        ngx_http_vod_failf(r, ctx, NGX_LOG_ERR, NGX_HTTP_BAD_GATEWAY,
                           "InvalidVodAnswer", "%s: the VOD API's answer is "
                           "not valid: %s", call->name, res->error);
        return;
    }

    if (call->rc != NGX_OK) {
        status = (call->rc == NGX_HTTP_GATEWAY_TIME_OUT)
                 ? NGX_HTTP_GATEWAY_TIME_OUT : NGX_HTTP_BAD_GATEWAY;

        ngx_http_vod_failf(r, ctx, NGX_LOG_ERR, status,
                           status == NGX_HTTP_GATEWAY_TIME_OUT
                           ? "VodApiTimeout" : "VodApiUnavailable",
                           "%s: no answer from the VOD API (%s) after %ui "
                           "tries", call->name,
                           status == NGX_HTTP_GATEWAY_TIME_OUT
                           ? "timed out" : "connection failed",
                           ctx->api_tries);
        return;
    }

    ngx_http_vod_failf(r, ctx, NGX_LOG_ERR, NGX_HTTP_BAD_GATEWAY,
                       "VodApiUnavailable", "%s: the VOD API answered HTTP "
                       "status %ui after %ui tries", call->name, call->status,
                       ctx->api_tries);
}


/*
 * A failure whose message is formatted here, and logged at "level" as
 * "vod upload: <message>" unless level is 0 (the caller logged it).  No
 * allocation failure keeps the upload from failing.
 */

static void
ngx_http_vod_failf(ngx_http_request_t *r, ngx_http_vod_upload_relay_t *ctx,
    ngx_uint_t level, ngx_uint_t status, const char *code,
    const char *fmt, ...)
{
    u_char     *p;
    va_list     args;
    ngx_str_t   msg;
    u_char      buf[NGX_MAX_ERROR_STR];

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);

    msg.len = p - buf;

    if (level) {
        ngx_log_error(level, r->connection->log, 0, "vod upload: %*s",
                      msg.len, buf);
    }

    msg.data = ngx_pnalloc(r->pool, msg.len);

    if (msg.data == NULL) {
        ngx_http_vod_fail(r, ctx, status, code, NULL);
        return;
    }

    ngx_memcpy(msg.data, buf, msg.len);

    ngx_http_vod_fail(r, ctx, status, code, &msg);
}


/* " 3" for a part's call, "" for the others: "UploadPart 3", "Complete..." */

static u_char *
ngx_http_vod_part_name(ngx_http_vod_call_t *call)
{
    static u_char  name[NGX_INT_T_LEN + 2];

    if (call->part == 0) {
        return (u_char *) "";
    }

    *ngx_sprintf(name, " %ui", call->part) = '\0';

    return name;
}


/* the first failure is the one answered; the caller logged it */

static void
ngx_http_vod_fail(ngx_http_request_t *r, ngx_http_vod_upload_relay_t *ctx,
    ngx_uint_t status, const char *code, ngx_str_t *message)
{
    ngx_uint_t            i;
    ngx_http_vod_slot_t  *slot;

    if (ctx->failed) {
        return;
    }

    ctx->failed = 1;
    ctx->status = status;

    if (code != (const char *) ctx->code.data) {
        ctx->code.data = (u_char *) code;
        ctx->code.len = ngx_strlen(code);
    }

    if (message) {
        ctx->message = *message;

    } else {
        ngx_str_set(&ctx->message, "the upload failed (see the error log)");
    }

    /* parts waiting to be tried again are not */

    for (i = 0; i < ctx->nslots; i++) {
        slot = &ctx->slots[i];

        if (slot->state == NGX_HTTP_VOD_SLOT_WAITING) {
            if (slot->retry.timer_set) {
                ngx_del_timer(&slot->retry);
            }

            slot->state = NGX_HTTP_VOD_SLOT_FREE;
            ctx->sending--;
        }
    }

    /* parts not sent yet never will be; nothing more is written */

    for (i = 0; i < ctx->nslots; i++) {
        if (ctx->slots[i].state == NGX_HTTP_VOD_SLOT_READY) {
            ctx->slots[i].state = NGX_HTTP_VOD_SLOT_FREE;
        }
    }

    ngx_http_vod_upload_buffers_leave(&ctx->buffers);
    ngx_http_vod_slots_idle(ctx, 1);

    if (ctx->api_retry.timer_set) {
        ngx_del_timer(&ctx->api_retry);
    }

    if (ctx->cover_retry.timer_set) {
        ngx_del_timer(&ctx->cover_retry);
    }

    if (ctx->list_retry.timer_set) {
        ngx_del_timer(&ctx->list_retry);
    }

    /* the step tells the front-end, cleans up, ends */

    ngx_post_event(&ctx->calls.wake, &ngx_posted_events);
}


/* over: the outcome for the front-end, which answers */

static void
ngx_http_vod_finish(ngx_http_request_t *r, ngx_http_vod_upload_relay_t *ctx)
{
    ngx_msec_t                     ms;
    ngx_http_vod_upload_result_t  *res;

    ctx->state = NGX_HTTP_VOD_FINISHED;

    res = &ctx->result;

    res->status = ctx->calls.client_gone ? NGX_HTTP_CLIENT_CLOSED_REQUEST
                  : ctx->failed ? ctx->status : NGX_HTTP_OK;
    res->code = ctx->failed ? ctx->code : ngx_http_vod_empty;
    res->message = ctx->message;
    res->request_id = ctx->request_id;
    res->file_id = ctx->file_id;
    res->media_url = ctx->media_url;
    res->cover_url = ctx->cover_url;
    res->size = ctx->received;
    res->parts = ctx->sealed;
    res->key = ctx->cos.key;
    res->media_name.data = ctx->apply.media_name.data;
    res->media_name.len = ctx->apply.media_name.len;
    res->source_context.data = ctx->apply.source_context.data;
    res->source_context.len = ctx->apply.source_context.len;

    /* the bucket is the first label of the COS host */

    res->bucket.data = ctx->cos.host.data;
    res->bucket.len = 0;

    while (res->bucket.len < ctx->cos.host.len
           && ctx->cos.host.data[res->bucket.len] != '.')
    {
        res->bucket.len++;
    }

    res->left_behind = ctx->left_behind;
    res->offset = ctx->received;
    res->kept = ctx->kept;
    res->finished = ctx->finished;

    if (ctx->terminate && ctx->left_behind) {
        res->status = NGX_HTTP_BAD_GATEWAY;
        ngx_str_set(&res->code, "CosUnavailable");
        ngx_str_set(&res->message, "the multipart upload could not be "
                                   "aborted (see the error log)");
    }

    if (ctx->left_behind) {
        ngx_http_vod_upload_journal_orphan(r->connection->log, &ctx->journal);

    } else {
        ngx_http_vod_upload_journal_delete(r->connection->log, &ctx->journal);
    }

    ms = ngx_current_msec - ctx->start;

    if (ctx->committed && ctx->offset == 0) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod upload: FileId \"%V\", %O bytes in %ui part%s, "
                      "%M.%03M s", &ctx->file_id, ctx->received, ctx->sealed,
                      ctx->sealed == 1 ? "" : "s", ms / 1000, ms % 1000);

    } else if (ctx->committed && ctx->finished) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod upload: FileId \"%V\", %O bytes completed by an "
                      "earlier request, committed now", &ctx->file_id,
                      ctx->received);

    } else if (ctx->committed) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod upload: FileId \"%V\", %O bytes, the last %O in "
                      "%ui part%s, %M.%03M s", &ctx->file_id, ctx->received,
                      ctx->received - ctx->offset, ctx->sealed,
                      ctx->sealed == 1 ? "" : "s", ms / 1000, ms % 1000);
    }

    ctx->handler->done(r);
}



/* a COS call worth another try: no answer, a 5xx, or RequestTimeout */

static ngx_uint_t
ngx_http_vod_cos_retryable(ngx_http_vod_call_t *call)
{
    return ngx_http_vod_upload_call_retryable(call)
           || ngx_strnstr(call->response.data, "RequestTimeout",
                          call->response.len)
              != NULL;
}


/* 100 ms, 200 ms, 400 ms, ... at most 5 s, each with up to 50% jitter */

static ngx_msec_t
ngx_http_vod_backoff(ngx_uint_t tries)
{
    ngx_uint_t  shift;
    ngx_msec_t  delay;

    shift = (tries > 1) ? tries - 1 : 0;

    if (shift > 6) {
        shift = 6;
    }

    delay = NGX_HTTP_VOD_BACKOFF_BASE << shift;

    if (delay > NGX_HTTP_VOD_BACKOFF_MAX) {
        delay = NGX_HTTP_VOD_BACKOFF_MAX;
    }

    return delay + (ngx_msec_t) ngx_random() % (delay / 2 + 1);
}


/* a COS answer that must be this document (not an <Error>, ...) */

static ngx_int_t
ngx_http_vod_cos_doc(ngx_http_vod_call_t *call, ngx_vod_cos_xml_root_e root,
    ngx_vod_cos_xml_doc_t *doc)
{
    ngx_vod_alloc_t  a;

    a.alloc = ngx_http_vod_upload_palloc;
    a.data = call->pool;

    return ngx_vod_cos_xml_parse_expect(&a, call->response.data,
                                        call->response.len, root, doc)
           == NGX_VOD_OK ? NGX_OK : NGX_ERROR;
}


static void
ngx_http_vod_copy(ngx_pool_t *pool, ngx_str_t *dst, u_char *data, size_t len)
{
    dst->data = ngx_pnalloc(pool, len + 1);

    if (dst->data == NULL) {
        dst->len = 0;
        return;
    }

    ngx_memcpy(dst->data, data, len);
    dst->data[len] = '\0';
    dst->len = len;
}


static void
ngx_http_vod_relay_free(void *data)
{
    ngx_http_vod_upload_relay_t *ctx = data;

    ngx_uint_t            i;
    ngx_http_vod_slot_t  *slot;

    /*
     * out of the queue first: memory given back below must not wake it
     * (the calls, whose wake event it is, are gone)
     */

    ngx_http_vod_upload_buffers_leave(&ctx->buffers);

    if (ctx->calls.wake.posted) {
        ngx_delete_posted_event(&ctx->calls.wake);
    }

    for (i = 0; i < ctx->nslots; i++) {
        slot = &ctx->slots[i];

        if (slot->retry.timer_set) {
            ngx_del_timer(&slot->retry);
        }

        if (slot->buf) {
            ngx_http_vod_upload_buffers_unmap(slot->buf, slot->size,
                                              ctx->request->connection->log);
            ngx_http_vod_upload_buffers_release(
                                              ctx->request->connection->log,
                                              slot->committed);
            slot->buf = NULL;
            slot->committed = 0;
        }
    }

    if (ctx->api_retry.timer_set) {
        ngx_del_timer(&ctx->api_retry);
    }

    if (ctx->cleanup_retry.timer_set) {
        ngx_del_timer(&ctx->cleanup_retry);
    }

    if (ctx->cover_retry.timer_set) {
        ngx_del_timer(&ctx->cover_retry);
    }

    if (ctx->list_retry.timer_set) {
        ngx_del_timer(&ctx->list_retry);
    }

    /* the request ends before the upload was cleaned up (terminated) */

    ngx_http_vod_upload_journal_orphan(ctx->request->connection->log,
                                       &ctx->journal);
}
