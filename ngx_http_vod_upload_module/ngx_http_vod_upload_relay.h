
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 */


#ifndef _NGX_HTTP_VOD_UPLOAD_RELAY_H_INCLUDED_
#define _NGX_HTTP_VOD_UPLOAD_RELAY_H_INCLUDED_


#include "ngx_http_vod_upload_sign.h"
#include "ngx_vod_api_json.h"
#include "ngx_vod_metrics.h"


/*
 * The relay engine (ngx_http_vod_upload_relay.c): one upload into VOD.
 * ApplyUpload -> the bytes it is given, as COS parts -> Complete ->
 * CommitUpload, and whatever a failure must remove from COS.  It never
 * reads the client and never answers it: a front-end (PUT, ...) reads
 * the body, writes it here, and answers with the result.
 *
 *   relay = ngx_http_vod_upload_relay_create(r, conf, &handler, length);
 *   ngx_http_vod_upload_relay_cover(relay, &type, &bytes);   (optional)
 *   ngx_http_vod_upload_relay_start(relay, &params, &error);
 *       ...  handler.ready(r): the bytes may come
 *   ngx_http_vod_upload_relay_write(relay, b);     NGX_AGAIN: full, wait
 *       ...  handler.resume(r): write again
 *   ngx_http_vod_upload_relay_end(relay);          all of it was written
 *   ngx_http_vod_upload_relay_fail(relay, ...);    the front-end's failure
 *       ...  handler.stop(r): the upload failed, write no more
 *       ...  handler.done(r): over, ngx_http_vod_upload_relay_result()
 *
 * Handlers run from the engine's events, never from inside a call of
 * the API; done runs once, last; the front-end answers and finalizes
 * the request there.  Calls to VOD and COS are subrequests of r.
 *
 * A resumable upload (tus) outlives a request: its multipart upload is
 * kept between the requests that write it, and any of them may be the
 * last.
 *
 *   relay = ngx_http_vod_upload_relay_create(r, conf, &handler, length);
 *   ngx_http_vod_upload_relay_keep(relay);
 *   ngx_http_vod_upload_relay_start(relay, &params, &error);  (creation)
 *   ngx_http_vod_upload_relay_resume(relay, &upload);         (the others)
 *       ...  handler.ready(r): ngx_http_vod_upload_relay_offset(relay) is
 *            what COS holds; the bytes from there may come
 *   ngx_http_vod_upload_relay_end(relay);       the end of this request's
 *       ...  handler.done(r): the result's offset is what COS holds now;
 *            complete and committed when it reached the length
 *
 * A request that ends mid-part stores the tail as a shorter part if COS
 * takes it (1 MiB at least) and drops it otherwise; a client that goes
 * away ends the request's bytes the same way.  A failure of a resumed
 * upload leaves its multipart upload to the client's next request; only
 * ngx_http_vod_upload_relay_terminate() aborts it.
 */

typedef struct ngx_http_vod_upload_relay_s  ngx_http_vod_upload_relay_t;

typedef void (*ngx_http_vod_upload_relay_pt)(ngx_http_request_t *r);

typedef struct {
    ngx_http_vod_upload_relay_pt    ready;
    ngx_http_vod_upload_relay_pt    resume;
    ngx_http_vod_upload_relay_pt    stop;
    ngx_http_vod_upload_relay_pt    done;
} ngx_http_vod_upload_relay_handler_t;


/* the outcome, for the front-end's answer and the variables */

typedef struct {
    /*
     * 200; 202 for a CommitUpload whose outcome is not known; 499 when
     * the client went away; else the failure's status
     */
    ngx_uint_t                      status;
    ngx_str_t                       code;         /* of a failure */
    ngx_str_t                       message;
    ngx_str_t                       request_id;   /* VOD's or COS's, last */

    ngx_str_t                       file_id;
    ngx_str_t                       media_url;
    ngx_str_t                       cover_url;
    off_t                           size;
    ngx_uint_t                      parts;

    /* where the media is, to recognise it in NewFileUpload (202) */
    ngx_str_t                       bucket;
    ngx_str_t                       key;
    ngx_str_t                       media_name;
    ngx_str_t                       source_context;

    /* a multipart upload could not be aborted: a later sweep may */
    unsigned                        left_behind:1;

    /* resumable: the bytes COS holds, from the start, after the request */
    off_t                           offset;
    /* the multipart upload is kept for the next request */
    unsigned                        kept:1;
    /* the upload had been completed before the request */
    unsigned                        finished:1;
} ngx_http_vod_upload_result_t;


/* what a resumable upload's next request needs (the client keeps it) */

typedef struct {
    ngx_http_vod_cos_t              cos;          /* object, credential */
    ngx_str_t                       session_key;  /* VodSessionKey */
    ngx_str_t                       upload_id;
    off_t                           length;       /* -1: not known yet */
    uint64_t                        part_size;    /* 0: grows by number */
    ngx_int_t                       sub_app_id;

    /* to recognise the media in NewFileUpload (a 202's answer) */
    ngx_str_t                       media_name;
    ngx_str_t                       source_context;
} ngx_http_vod_upload_kept_t;


/*
 * length: of the body, -1 when not known; the parts are planned from it
 * (the front-end checked that a plan exists: ngx_vod_parts_size()).
 */
ngx_http_vod_upload_relay_t *ngx_http_vod_upload_relay_create(
    ngx_http_request_t *r, ngx_http_vod_upload_loc_conf_t *conf,
    ngx_http_vod_upload_relay_handler_t *handler, off_t length);

/*
 * Before start: a cover image for the media (ApplyUpload's CoverType),
 * put to its CoverStoragePath once the media is complete, before
 * CommitUpload (whose CoverUrl the result then has).  The bytes must
 * live as long as the request.
 */
void ngx_http_vod_upload_relay_cover(ngx_http_vod_upload_relay_t *relay,
    ngx_str_t *type, ngx_str_t *data);

/*
 * Sends ApplyUpload with these parameters.  NGX_DECLINED: they cannot be
 * sent (not UTF-8, ...), the reason in *error, nothing started.
 */
ngx_int_t ngx_http_vod_upload_relay_start(ngx_http_vod_upload_relay_t *relay,
    ngx_vod_api_apply_upload_req_t *params, ngx_str_t *error);

/*
 * Takes bytes from b (moves b->pos): NGX_OK, all of them; NGX_AGAIN, the
 * part buffers are full (resume tells when to write again); NGX_ERROR,
 * the upload failed.
 */
ngx_int_t ngx_http_vod_upload_relay_write(ngx_http_vod_upload_relay_t *relay,
    ngx_buf_t *b);

/*
 * Where the next bytes should be (the free end of the part being
 * filled): a front-end has its reader read them there, and writes them
 * from there (no copy).  A part's buffer is taken for it only when bytes
 * are known to be waiting.  NGX_OK; NGX_AGAIN, the part buffers are full
 * (resume tells); NGX_DECLINED, not now (the bytes go through nginx's
 * buffer).
 */
ngx_int_t ngx_http_vod_upload_relay_window(ngx_http_vod_upload_relay_t *relay,
    u_char **p, size_t *n, ngx_uint_t waiting);

/* the end of the media: what was written is all of it */
void ngx_http_vod_upload_relay_end(ngx_http_vod_upload_relay_t *relay);

/* the front-end's failure (logged by it): the upload is failed, cleaned */
void ngx_http_vod_upload_relay_fail(ngx_http_vod_upload_relay_t *relay,
    ngx_uint_t status, const char *code, ngx_str_t *message);

ngx_http_vod_upload_result_t *ngx_http_vod_upload_relay_result(
    ngx_http_vod_upload_relay_t *relay);

/* before start or resume: the upload is resumable (see above) */
void ngx_http_vod_upload_relay_keep(ngx_http_vod_upload_relay_t *relay);

/*
 * Instead of start: the upload goes on from what COS holds of it
 * (ListParts).  The strings must live as long as the request.  When the
 * multipart upload is not there any more, ready is not called: done
 * tells an upload completed before (result->finished) from one that
 * was terminated (404 NoSuchUpload).
 */
ngx_int_t ngx_http_vod_upload_relay_resume(ngx_http_vod_upload_relay_t *relay,
    ngx_http_vod_upload_kept_t *upload);

/*
 * Before start: the upload request in vod_status' list of uploads in
 * flight (and vod_uploads_in_flight) while it is relayed; protocol: an
 * ngx_vod_metrics_protocol_e
 */
void ngx_http_vod_upload_relay_track(ngx_http_vod_upload_relay_t *relay,
    ngx_uint_t protocol);

/* once ready: the offset the bytes written now begin at */
off_t ngx_http_vod_upload_relay_offset(ngx_http_vod_upload_relay_t *relay);

/* once ready: the parts that offset is made of */
ngx_uint_t ngx_http_vod_upload_relay_parts(
    ngx_http_vod_upload_relay_t *relay);

/*
 * once ready: parts up to this number must be of the plan's size (or end
 * the upload): an earlier request stored parts past one that failed
 */
ngx_uint_t ngx_http_vod_upload_relay_whole(
    ngx_http_vod_upload_relay_t *relay);

/* once ready, before writing: the length of an upload that had none */
void ngx_http_vod_upload_relay_length(ngx_http_vod_upload_relay_t *relay,
    off_t length);

/* once ready (a creation): what the client needs to go on */
ngx_http_vod_upload_kept_t *ngx_http_vod_upload_relay_kept(
    ngx_http_vod_upload_relay_t *relay);

/*
 * Instead of start: the multipart upload aborted; done with the result
 * 204, or 502 when COS could not be told.
 */
ngx_int_t ngx_http_vod_upload_relay_terminate(
    ngx_http_vod_upload_relay_t *relay, ngx_http_vod_upload_kept_t *upload);

/*
 * No upload: the multipart upload of a journal's record (and the key's
 * others) aborted; ready, resume and stop are not called, done is.
 */
ngx_http_vod_upload_relay_t *ngx_http_vod_upload_relay_sweep(
    ngx_http_request_t *r, ngx_http_vod_upload_loc_conf_t *conf,
    ngx_http_vod_upload_relay_handler_t *handler, ngx_http_vod_cos_t *cos,
    ngx_str_t *upload_id);


#endif /* _NGX_HTTP_VOD_UPLOAD_RELAY_H_INCLUDED_ */
