
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * CORS for the upload locations (vod_upload_cors): a web application on
 * another origin may upload.  A preflight OPTIONS of a listed origin is
 * answered 204 with the methods and headers allowed, in the access phase
 * before auth_request and the like (a preflight carries no credentials,
 * by the Fetch standard); every answer of the
 * location to such an origin, errors included, carries
 * Access-Control-Allow-Origin and exposes what clients read (Location,
 * Upload-Offset, ..., X-VOD-*).  An origin not listed gets no CORS
 * header: the browser keeps the answer from the page.
 */


#include "ngx_http_vod_upload_module.h"
#include "ngx_http_vod_upload_reply.h"


#define NGX_HTTP_VOD_CORS_METHODS  "PUT, POST, HEAD, PATCH, DELETE, OPTIONS"
#define NGX_HTTP_VOD_CORS_HEADERS                                             \
    "Content-Type, Tus-Resumable, Upload-Length, Upload-Defer-Length, "       \
    "Upload-Metadata, Upload-Offset, X-HTTP-Method-Override, "                \
    "X-Requested-With"
#define NGX_HTTP_VOD_CORS_EXPOSE                                              \
    "Location, Upload-Offset, Upload-Length, Upload-Defer-Length, "           \
    "Upload-Expires, Upload-Metadata, Tus-Resumable, Tus-Version, "           \
    "Tus-Extension, Tus-Max-Size, X-VOD-File-Id, X-VOD-Media-Url"
#define NGX_HTTP_VOD_CORS_MAX_AGE  "86400"


static ngx_int_t ngx_http_vod_cors_access(ngx_http_request_t *r);
static ngx_int_t ngx_http_vod_cors_preflight(ngx_http_request_t *r);
static ngx_table_elt_t *ngx_http_vod_cors_origin(ngx_http_request_t *r,
    ngx_http_vod_upload_loc_conf_t *conf);
static ngx_int_t ngx_http_vod_cors_filter(ngx_http_request_t *r);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


/*
 * The access phase's handler that answers preflights, and the header
 * filter that adds the CORS headers to the locations' answers.  Phase
 * handlers run in the reverse order of their registration: this one,
 * registered by a module loaded after nginx's own, runs before
 * auth_request's.
 */

ngx_int_t
ngx_http_vod_upload_cors_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_vod_cors_access;

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_vod_cors_filter;

    return NGX_OK;
}


/* a preflight is answered here, before any access check */

static ngx_int_t
ngx_http_vod_cors_access(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_vod_cors_preflight(r);

    if (rc == NGX_DECLINED) {
        return NGX_DECLINED;
    }

    /* answered: the phases end here */

    ngx_http_finalize_request(r, rc);

    return NGX_DONE;
}


/*
 * A preflight (OPTIONS with Origin and Access-Control-Request-Method) of
 * a listed origin: 204 with what may be sent.  NGX_DECLINED: not one.
 */

static ngx_int_t
ngx_http_vod_cors_preflight(ngx_http_request_t *r)
{
    u_char                          *p;
    ngx_str_t                        v;
    ngx_table_elt_t                 *h;
    ngx_http_vod_upload_loc_conf_t  *conf;

    conf = ngx_http_get_module_loc_conf(r, ngx_http_vod_upload_module);

    if (!(r->method & NGX_HTTP_OPTIONS)
        || ngx_http_vod_cors_origin(r, conf) == NULL
        || ngx_http_vod_upload_header_in(r, "Access-Control-Request-Method")
           == NULL)
    {
        return NGX_DECLINED;
    }

    ngx_http_vod_upload_body_unread(r);

    ngx_str_set(&v, NGX_HTTP_VOD_CORS_METHODS);

    if (ngx_http_vod_upload_header_out(r, "Access-Control-Allow-Methods", &v)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the headers the page asks for (its own too), or what tus sends */

    h = ngx_http_vod_upload_header_in(r, "Access-Control-Request-Headers");

    if (h) {
        for (p = h->value.data; p < h->value.data + h->value.len; p++) {
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
                  || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'
                  || *p == ',' || *p == ' '))
            {
                h = NULL;
                break;
            }
        }
    }

    if (h) {
        v = h->value;

    } else {
        ngx_str_set(&v, NGX_HTTP_VOD_CORS_HEADERS);
    }

    if (ngx_http_vod_upload_header_out(r, "Access-Control-Allow-Headers", &v)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&v, NGX_HTTP_VOD_CORS_MAX_AGE);

    if (ngx_http_vod_upload_header_out(r, "Access-Control-Max-Age", &v)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_vod_upload_send_empty(r, NGX_HTTP_NO_CONTENT);
}


/* the Origin of the request, if vod_upload_cors lists it */

static ngx_table_elt_t *
ngx_http_vod_cors_origin(ngx_http_request_t *r,
    ngx_http_vod_upload_loc_conf_t *conf)
{
    ngx_str_t        *o;
    ngx_uint_t        i;
    ngx_table_elt_t  *h;

    if (conf->cors == NULL || !conf->upload) {
        return NULL;
    }

    h = ngx_http_vod_upload_header_in(r, "Origin");
    if (h == NULL || h->value.len == 0) {
        return NULL;
    }

    o = conf->cors->elts;

    for (i = 0; i < conf->cors->nelts; i++) {
        if ((o[i].len == 1 && o[i].data[0] == '*')
            || (o[i].len == h->value.len
                && ngx_strncasecmp(o[i].data, h->value.data, o[i].len) == 0))
        {
            return h;
        }
    }

    return NULL;
}


static ngx_int_t
ngx_http_vod_cors_filter(ngx_http_request_t *r)
{
    ngx_str_t                        v;
    ngx_table_elt_t                 *origin;
    ngx_http_vod_upload_loc_conf_t  *conf;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    conf = ngx_http_get_module_loc_conf(r, ngx_http_vod_upload_module);

    if (conf->cors == NULL || !conf->upload) {
        return ngx_http_next_header_filter(r);
    }

    /* the answer depends on the Origin, listed or not: for caches */

    ngx_str_set(&v, "Origin");

    if (ngx_http_vod_upload_header_out(r, "Vary", &v) != NGX_OK) {
        return NGX_ERROR;
    }

    origin = ngx_http_vod_cors_origin(r, conf);

    if (origin == NULL) {
        return ngx_http_next_header_filter(r);
    }

    if (ngx_http_vod_upload_header_out(r, "Access-Control-Allow-Origin",
                                       &origin->value)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_str_set(&v, NGX_HTTP_VOD_CORS_EXPOSE);

    if (ngx_http_vod_upload_header_out(r, "Access-Control-Expose-Headers", &v)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_next_header_filter(r);
}
