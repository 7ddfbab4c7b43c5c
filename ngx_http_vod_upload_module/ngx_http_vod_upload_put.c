
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * The PUT front-end: PUT /location/<file name> with the media as the
 * body.  It checks the request, makes the ApplyUpload parameters (the
 * media type and name from the file name unless configured), reads the
 * body (ngx_http_vod_upload_body.c) into the relay engine
 * (ngx_http_vod_upload_relay.c) and answers with the engine's result.
 */


#include "ngx_http_vod_upload_front.h"
#include "ngx_http_vod_upload_reply.h"
#include "ngx_vod_parts.h"


/* the module's context of a PUT: the front-ends' part first */

typedef struct {
    ngx_http_vod_upload_front_t     front;
    ngx_vod_api_apply_upload_req_t  apply;
} ngx_http_vod_put_ctx_t;


static ngx_int_t ngx_http_vod_check(ngx_http_request_t *r,
    ngx_http_vod_put_ctx_t *ctx);
static ngx_int_t ngx_http_vod_params(ngx_http_request_t *r,
    ngx_http_vod_put_ctx_t *ctx);
static ngx_int_t ngx_http_vod_file_name(ngx_http_request_t *r,
    ngx_str_t *file);
static void ngx_http_vod_put_ready(ngx_http_request_t *r);


static ngx_http_vod_upload_relay_handler_t  ngx_http_vod_put_relay_handler = {
    ngx_http_vod_put_ready,
    ngx_http_vod_upload_front_resume,
    ngx_http_vod_upload_front_stop,
    ngx_http_vod_upload_front_done
};


ngx_int_t
ngx_http_vod_upload_put_handler(ngx_http_request_t *r)
{
    ngx_int_t                        rc;
    ngx_str_t                        error;
    ngx_http_vod_put_ctx_t          *ctx;
    ngx_http_vod_upload_loc_conf_t  *conf;

    conf = ngx_http_get_module_loc_conf(r, ngx_http_vod_upload_module);

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_vod_put_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->front.conf = conf;

    ngx_http_set_ctx(r, ctx, ngx_http_vod_upload_module);

    rc = ngx_http_vod_check(r, ctx);

    if (rc == NGX_DECLINED) {
        goto refused;
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->front.relay = ngx_http_vod_upload_relay_create(r, conf,
                                        &ngx_http_vod_put_relay_handler,
                                        r->headers_in.content_length_n);
    if (ctx->front.relay == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_vod_upload_relay_track(ctx->front.relay, NGX_VOD_METRICS_PUT);

    if (conf->cover_data.len) {
        ngx_http_vod_upload_relay_cover(ctx->front.relay, &conf->cover_type,
                                        &conf->cover_data);
    }

    rc = ngx_http_vod_upload_relay_start(ctx->front.relay, &ctx->apply, &error);

    if (rc == NGX_DECLINED) {
        ctx->front.relay = NULL;
        (void) ngx_http_vod_upload_bad(r, &ctx->front,
                                       NGX_HTTP_BAD_REQUEST,
                                       "InvalidParameter", "%V", &error);
        goto refused;
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->main->count++;

    return NGX_DONE;

refused:

    /* logged where found */

    ngx_http_vod_upload_body_unread(r);

    return ngx_http_vod_upload_send_error(r, ctx->front.status,
                                          (const char *) ctx->front.code.data,
                                          &ctx->front.message, NULL);
}


/* the request itself: method, body, then the ApplyUpload parameters */

static ngx_int_t
ngx_http_vod_check(ngx_http_request_t *r, ngx_http_vod_put_ctx_t *ctx)
{
    ngx_int_t  rc;

    if ((r->method & NGX_HTTP_POST) && ctx->front.conf->form) {
        /* not multipart/form-data, or the form's front-end had it */
        return ngx_http_vod_upload_bad(r, &ctx->front,
                                       NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                       "UnsupportedMediaType", "a POST "
                                       "uploads a form here: its "
                                       "Content-Type must be "
                                       "multipart/form-data");
    }

    if (!(r->method & NGX_HTTP_PUT)) {
        if (ngx_http_vod_upload_allow(r, ctx->front.conf->form ? "PUT, POST"
                                                               : "PUT")
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        return ngx_http_vod_upload_bad(r, &ctx->front, NGX_HTTP_NOT_ALLOWED,
                                       "MethodNotAllowed", "method \"%V\" "
                                       "is not allowed, only %s "
                                       "media here", &r->method_name,
                                       ctx->front.conf->form
                                       ? "PUT and a POST of a form upload"
                                       : "PUT uploads");
    }

    if (r->headers_in.content_length_n == 0
        || (r->headers_in.content_length_n < 0 && !r->headers_in.chunked))
    {
        return ngx_http_vod_upload_bad(r, &ctx->front, NGX_HTTP_BAD_REQUEST,
                                       "EmptyBody", "the request has no "
                                       "body: the media must be the body of "
                                       "the PUT");
    }

    if (r->headers_in.content_length_n > 0) {
        rc = ngx_http_vod_upload_size_check(r, &ctx->front, "a body",
                                            r->headers_in.content_length_n);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    return ngx_http_vod_params(r, ctx);
}


/* the file name: what follows the last "/" of the (decoded) path */

static ngx_int_t
ngx_http_vod_params(ngx_http_request_t *r, ngx_http_vod_put_ctx_t *ctx)
{
    u_char     *p, *last;
    ngx_str_t   file;

    last = r->uri.data + r->uri.len;

    for (p = last; p > r->uri.data && p[-1] != '/'; p--) { /* void */ }

    file.data = p;
    file.len = last - p;

    if (ngx_http_vod_file_name(r, &file) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_vod_upload_params(r, &ctx->front, &file, NULL,
                                      &ctx->apply);
}


/*
 * A "/" sent as %2F belongs to the file name ("a%2Fb.mp4" is "a/b.mp4"),
 * not to the path: the name is then the last segment of the path as
 * sent, decoded.
 */

static ngx_int_t
ngx_http_vod_file_name(ngx_http_request_t *r, ngx_str_t *file)
{
    u_char  *p, *last, *start, *dst;

    last = r->unparsed_uri.data + r->unparsed_uri.len;

    if (r->args_start && r->args_start > r->unparsed_uri.data
        && r->args_start <= last)
    {
        last = r->args_start - 1;
    }

    for (start = last; start > r->unparsed_uri.data && start[-1] != '/';
         start--)
    { /* void */ }

    if (ngx_strlcasestrn(start, last, (u_char *) "%2f", 3 - 1) == NULL) {
        return NGX_OK;
    }

    dst = ngx_pnalloc(r->pool, last - start);
    if (dst == NULL) {
        return NGX_ERROR;
    }

    file->data = dst;
    p = start;
    ngx_unescape_uri(&dst, &p, last - start, 0);
    file->len = dst - file->data;

    return NGX_OK;
}


/* ApplyUpload is done: the body is read into the engine */

static void
ngx_http_vod_put_ready(ngx_http_request_t *r)
{
    ngx_int_t                rc;
    ngx_http_vod_put_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    ctx->front.body.data = ngx_http_vod_upload_front_data;
    ctx->front.body.window = ngx_http_vod_upload_front_window;
    ctx->front.body.end = ngx_http_vod_upload_front_end;
    ctx->front.body.max = ctx->front.conf->max_body_size;

    rc = ngx_http_vod_upload_body_start(r, &ctx->front.body);

    if (rc != NGX_OK) {
        ngx_http_vod_upload_front_end(r, rc);
    }
}
