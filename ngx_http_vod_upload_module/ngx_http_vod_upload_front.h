
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 */


#ifndef _NGX_HTTP_VOD_UPLOAD_FRONT_H_INCLUDED_
#define _NGX_HTTP_VOD_UPLOAD_FRONT_H_INCLUDED_


#include "ngx_http_vod_upload_module.h"
#include "ngx_http_vod_upload_body.h"
#include "ngx_http_vod_upload_relay.h"


/*
 * What the ingest front-ends (PUT, tus) share
 * (ngx_http_vod_upload_front.c): the beginning of their module context,
 * a request refused before the upload began, the ApplyUpload parameters,
 * and the $vod_* variables of an upload.
 */

typedef struct {
    ngx_http_vod_upload_body_t      body;       /* first: see body.h */
    ngx_http_vod_upload_relay_t    *relay;
    ngx_http_vod_upload_loc_conf_t *conf;

    /* a request refused before the upload began */
    ngx_uint_t                      status;
    ngx_str_t                       code;
    ngx_str_t                       message;

    /* a body that ended early: why (kept, see front_end()) */
    ngx_int_t                       body_rc;

    unsigned                        resumable:1;    /* tus's context */
    unsigned                        form:1;         /* the form's */
    /* the client going away or stalling ends the bytes, not the upload */
    unsigned                        keep:1;
} ngx_http_vod_upload_front_t;


/*
 * The body reader's handlers (data, window, end) and the engine's
 * (resume, stop) of a front-end whose context begins with
 * ngx_http_vod_upload_front_t: the body into the engine (read straight
 * into its part buffers), paused and resumed with it.  At the end of
 * the body the engine is told; when the body ended early the upload
 * fails, unless front->keep: then the client going away or stalling
 * (front->body_rc) ends this request's bytes, which are kept.
 */
ngx_int_t ngx_http_vod_upload_front_data(ngx_http_request_t *r,
    ngx_buf_t *b);
ngx_int_t ngx_http_vod_upload_front_window(ngx_http_request_t *r,
    u_char **p, size_t *n, ngx_uint_t waiting);
/* the engine's done handler of PUT and forms: their JSON answer */
void ngx_http_vod_upload_front_done(ngx_http_request_t *r);
void ngx_http_vod_upload_front_end(ngx_http_request_t *r, ngx_int_t rc);
void ngx_http_vod_upload_front_resume(ngx_http_request_t *r);
void ngx_http_vod_upload_front_stop(ngx_http_request_t *r);

/*
 * A client mistake found before anything was sent: kept in front (for
 * $vod_upload_error and the answer) and logged at info.  NGX_DECLINED,
 * or NGX_ERROR when memory is short.
 */
ngx_int_t ngx_http_vod_upload_bad(ngx_http_request_t *r,
    ngx_http_vod_upload_front_t *front, ngx_uint_t status, const char *code,
    const char *fmt, ...);
ngx_int_t ngx_http_vod_upload_vbad(ngx_http_request_t *r,
    ngx_http_vod_upload_front_t *front, ngx_uint_t status, const char *code,
    const char *fmt, va_list args);

/*
 * A client mistake found once front->relay exists: kept and logged as
 * above, and the upload failed with it (cleaned up; the front-end's done
 * handler answers).  NGX_ERROR.
 */
ngx_int_t ngx_http_vod_upload_front_fail(ngx_http_request_t *r,
    ngx_http_vod_upload_front_t *front, ngx_uint_t status, const char *code,
    const char *fmt, ...);

/* the front-end's context of r's main request, NULL outside upload ones */
ngx_http_vod_upload_front_t *ngx_http_vod_upload_front_get(
    ngx_http_request_t *r);

/* sets a variable's value (found) or not_found: NGX_OK */
ngx_int_t ngx_http_vod_upload_variable_value(ngx_http_variable_value_t *v,
    u_char *data, size_t len, ngx_uint_t found);

/*
 * A media of size bytes ("a body", "an upload" in the message) is not
 * over client_max_body_size nor over what COS can take in 10000 parts:
 * NGX_OK, NGX_DECLINED (refused), NGX_ERROR.
 */
ngx_int_t ngx_http_vod_upload_size_check(ngx_http_request_t *r,
    ngx_http_vod_upload_front_t *front, const char *what, off_t size);

/*
 * The ApplyUpload parameters of the location's directives, evaluated now;
 * the media name and type from file ("name.ext") unless configured, the
 * type from type ("mp4") when the name has no extension.  Each value is
 * checked as the table of ngx_vod_params.c says.  NGX_OK, NGX_DECLINED
 * (refused, see ngx_http_vod_upload_bad()), or NGX_ERROR.
 */
ngx_int_t ngx_http_vod_upload_params(ngx_http_request_t *r,
    ngx_http_vod_upload_front_t *front, ngx_str_t *file, ngx_str_t *type,
    ngx_vod_api_apply_upload_req_t *req);


#endif /* _NGX_HTTP_VOD_UPLOAD_FRONT_H_INCLUDED_ */
