
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * The tus 1.0 front-end (tus.io resumable uploads), beside PUT in a
 * vod_upload location with vod_upload_tus on.  POST creates an upload
 * (ApplyUpload, InitiateMultipartUpload) and answers its URL: the POST's
 * path, "/", and a token, the upload's state sealed (ngx_vod_tus.h,
 * ngx_vod_seal.h).  HEAD, PATCH and DELETE of that URL go on from what
 * COS holds of the upload (the relay engine's resumable mode): nothing
 * is kept here, any nginx with the key resumes any upload.
 */


#include "ngx_http_vod_upload_front.h"
#include "ngx_http_vod_upload_process.h"
#include "ngx_http_vod_upload_reply.h"
#include "ngx_vod_parts.h"
#include "ngx_vod_seal.h"
#include "ngx_vod_tus.h"


#define NGX_HTTP_VOD_TUS_EXTENSIONS                                           \
    "creation,creation-with-upload,creation-defer-length,termination,"       \
    "expiration"
#define NGX_HTTP_VOD_TUS_METHODS   "PUT, POST, HEAD, PATCH, DELETE, OPTIONS"
#define NGX_HTTP_VOD_TUS_TYPE      "application/offset+octet-stream"
#define NGX_HTTP_VOD_TUS_AAD       "ngx_http_vod_upload tus 1"
#define NGX_HTTP_VOD_TUS_TOKEN_MAX 4096
#define NGX_HTTP_VOD_TUS_TOKEN_MIN 128     /* a sealed state is longer */
#define NGX_HTTP_VOD_TUS_LOCKED    423
#define NGX_HTTP_VOD_TUS_ZONE_SIZE (1024 * 1024)


/*
 * The PATCHes under way, in shared memory: one an upload in all of
 * nginx's workers.  A lock whose worker died (its pid is gone) is free.
 */

typedef struct {
    ngx_rbtree_node_t               node;       /* key: crc32 of the id */
    ngx_pid_t                       pid;
    u_short                         len;
    u_char                          id[1];
} ngx_http_vod_tus_lock_t;


typedef struct {
    ngx_rbtree_t                    rbtree;
    ngx_rbtree_node_t               sentinel;
} ngx_http_vod_tus_locks_t;


/* the module's context of a tus request: the front-ends' part first */

typedef struct {
    ngx_http_vod_upload_front_t     front;
    ngx_vod_api_apply_upload_req_t  apply;

    ngx_uint_t                      method;     /* X-HTTP-Method-Override */
    ngx_vod_tus_state_t             state;      /* of the upload URL */
    ngx_http_vod_upload_kept_t      upload;
    ngx_vod_tus_meta_t             *meta;       /* Upload-Metadata */
    size_t                          nmeta;
    ngx_str_t                       metadata;   /* ... as sent */
    off_t                           offset;     /* Upload-Offset sent */
    off_t                           length;     /* Upload-Length, or -1 */
    time_t                          expires;    /* Upload-Expires */

    /* this PATCH's lock, while it holds it */
    ngx_http_vod_tus_lock_t        *lock;
    ngx_http_vod_tus_locks_t       *locks;
    ngx_slab_pool_t                *shpool;

    unsigned                        has_body:1;
} ngx_http_vod_tus_ctx_t;


static ngx_int_t ngx_http_vod_tus_method(ngx_http_request_t *r,
    ngx_http_vod_tus_ctx_t *ctx);
static ngx_int_t ngx_http_vod_tus_options(ngx_http_request_t *r,
    ngx_http_vod_tus_ctx_t *ctx);
static ngx_int_t ngx_http_vod_tus_create(ngx_http_request_t *r,
    ngx_http_vod_tus_ctx_t *ctx);
static ngx_uint_t ngx_http_vod_tus_is_upload_url(ngx_http_request_t *r);
static ngx_int_t ngx_http_vod_tus_file(ngx_http_request_t *r,
    ngx_http_vod_tus_ctx_t *ctx, ngx_str_t *file, ngx_str_t *type);
static ngx_int_t ngx_http_vod_tus_open(ngx_http_request_t *r,
    ngx_http_vod_tus_ctx_t *ctx);
static time_t ngx_http_vod_tus_deadline(
    ngx_http_vod_upload_loc_conf_t *conf, ngx_vod_tus_state_t *st);
static void ngx_http_vod_tus_wipe(void *data);
static ngx_int_t ngx_http_vod_tus_patch_check(ngx_http_request_t *r,
    ngx_http_vod_tus_ctx_t *ctx);
static ngx_int_t ngx_http_vod_tus_lock(ngx_http_request_t *r,
    ngx_http_vod_tus_ctx_t *ctx);
static ngx_http_vod_tus_lock_t *ngx_http_vod_tus_lock_find(
    ngx_http_vod_tus_locks_t *locks, uint32_t hash, ngx_str_t *id);
static ngx_uint_t ngx_http_vod_tus_alive(ngx_pid_t pid);
static void ngx_http_vod_tus_unlock(void *data);
static void ngx_http_vod_tus_lock_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_int_t ngx_http_vod_tus_zone_init(ngx_shm_zone_t *zone,
    void *data);
static ngx_int_t ngx_http_vod_tus_start(ngx_http_request_t *r,
    ngx_http_vod_tus_ctx_t *ctx);
static void ngx_http_vod_tus_ready(ngx_http_request_t *r);
static ngx_int_t ngx_http_vod_tus_progress(ngx_http_request_t *r,
    ngx_http_vod_tus_ctx_t *ctx, off_t offset);
static void ngx_http_vod_tus_done(ngx_http_request_t *r);
static ngx_int_t ngx_http_vod_tus_answer(ngx_http_request_t *r,
    ngx_http_vod_tus_ctx_t *ctx, ngx_http_vod_upload_result_t *res);
static ngx_int_t ngx_http_vod_tus_location(ngx_http_request_t *r,
    ngx_http_vod_tus_ctx_t *ctx, ngx_http_vod_upload_result_t *res);
static ngx_int_t ngx_http_vod_tus_refuse(ngx_http_request_t *r,
    ngx_http_vod_tus_ctx_t *ctx);
static ngx_int_t ngx_http_vod_tus_bad(ngx_http_request_t *r,
    ngx_http_vod_tus_ctx_t *ctx, ngx_uint_t status, const char *code,
    const char *fmt, ...);
static ngx_int_t ngx_http_vod_tus_number_header(ngx_http_request_t *r,
    const char *name, off_t n);
static ngx_int_t ngx_http_vod_tus_expires(ngx_http_request_t *r,
    time_t expires);
static ngx_int_t ngx_http_vod_tus_meta_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_vod_upload_relay_handler_t  ngx_http_vod_tus_relay_handler = {
    ngx_http_vod_tus_ready,
    ngx_http_vod_upload_front_resume,
    ngx_http_vod_upload_front_stop,
    ngx_http_vod_tus_done
};


ngx_http_variable_t  ngx_http_vod_upload_tus_vars[] = {

    { ngx_string("vod_upload_meta_"), NULL, ngx_http_vod_tus_meta_variable,
      0, NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_PREFIX, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_vod_upload_tus_handler(ngx_http_request_t *r)
{
    ngx_int_t                        rc;
    ngx_str_t                        v;
    ngx_table_elt_t                 *h;
    ngx_http_vod_tus_ctx_t          *ctx;
    ngx_http_vod_upload_loc_conf_t  *conf;

    conf = ngx_http_get_module_loc_conf(r, ngx_http_vod_upload_module);

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_vod_tus_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->front.conf = conf;
    ctx->front.resumable = 1;
    ctx->length = -1;

    ngx_http_set_ctx(r, ctx, ngx_http_vod_upload_module);

    rc = ngx_http_vod_tus_method(r, ctx);

    if (rc != NGX_OK) {
        return (rc == NGX_DECLINED) ? ngx_http_vod_tus_refuse(r, ctx)
                                    : NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->method == NGX_HTTP_OPTIONS) {
        return ngx_http_vod_tus_options(r, ctx);
    }

    h = ngx_http_vod_upload_header_in(r, "Tus-Resumable");

    if (h == NULL || !ngx_vod_tus_version(h->value.data, h->value.len)) {
        ngx_str_set(&v, NGX_VOD_TUS_VERSION);

        if (ngx_http_vod_upload_header_out(r, "Tus-Version", &v) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_null(&v);

        rc = ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_PRECONDITION_FAILED,
                                  "UnsupportedVersion", "Tus-Resumable "
                                  "\"%V\" is not the protocol version "
                                  "served: " NGX_VOD_TUS_VERSION,
                                  h ? &h->value : &v);
        goto refused;
    }

    switch (ctx->method) {

    case NGX_HTTP_POST:

        if (ngx_http_vod_tus_is_upload_url(r)) {
            if (ngx_http_vod_upload_allow(r, "HEAD, PATCH, DELETE")
                != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            rc = ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_NOT_ALLOWED,
                                      "MethodNotAllowed", "a POST to an "
                                      "upload URL: PATCH sends its bytes "
                                      "(or POST with "
                                      "X-HTTP-Method-Override: PATCH)");
            break;
        }

        rc = ngx_http_vod_tus_create(r, ctx);

        if (rc == NGX_OK && !ctx->has_body) {
            ngx_http_vod_upload_body_unread(r);
        }

        break;

    case NGX_HTTP_HEAD:
    case NGX_HTTP_DELETE:
        rc = ngx_http_vod_tus_open(r, ctx);

        if (rc == NGX_OK) {
            ngx_http_vod_upload_body_unread(r);
        }

        break;

    default: /* NGX_HTTP_PATCH */
        rc = ngx_http_vod_tus_open(r, ctx);

        if (rc == NGX_OK) {
            rc = ngx_http_vod_tus_patch_check(r, ctx);
        }

        if (rc == NGX_OK) {
            rc = ngx_http_vod_tus_lock(r, ctx);
        }

        break;
    }

    if (rc == NGX_OK) {
        rc = ngx_http_vod_tus_start(r, ctx);
    }

    if (rc == NGX_OK) {
        r->main->count++;
        return NGX_DONE;
    }

refused:

    if (rc == NGX_DECLINED) {
        return ngx_http_vod_tus_refuse(r, ctx);
    }

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


/*
 * The method, or the one X-HTTP-Method-Override gives a POST (for
 * proxies that drop PATCH and DELETE)
 */

static ngx_int_t
ngx_http_vod_tus_method(ngx_http_request_t *r, ngx_http_vod_tus_ctx_t *ctx)
{
    ngx_uint_t        i;
    ngx_table_elt_t  *h;

    static struct {
        ngx_str_t     name;
        ngx_uint_t    method;
    } methods[] = {
        { ngx_string("PATCH"), NGX_HTTP_PATCH },
        { ngx_string("DELETE"), NGX_HTTP_DELETE },
        { ngx_string("HEAD"), NGX_HTTP_HEAD },
        { ngx_string("POST"), NGX_HTTP_POST }
    };

    ctx->method = r->method;

    h = ngx_http_vod_upload_header_in(r, "X-HTTP-Method-Override");

    if (h && r->method == NGX_HTTP_POST) {
        for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
            if (h->value.len == methods[i].name.len
                && ngx_strncasecmp(h->value.data, methods[i].name.data,
                                   h->value.len) == 0)
            {
                ctx->method = methods[i].method;
                return NGX_OK;
            }
        }

        return ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_BAD_REQUEST,
                                    "InvalidMethodOverride",
                                    "X-HTTP-Method-Override \"%V\" is not "
                                    "PATCH, DELETE, HEAD or POST", &h->value);
    }

    if (ctx->method & (NGX_HTTP_POST|NGX_HTTP_HEAD|NGX_HTTP_PATCH
                       |NGX_HTTP_DELETE|NGX_HTTP_OPTIONS))
    {
        return NGX_OK;
    }

    if (ngx_http_vod_upload_allow(r, NGX_HTTP_VOD_TUS_METHODS) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_NOT_ALLOWED,
                                "MethodNotAllowed", "method \"%V\" is not "
                                "allowed here: " NGX_HTTP_VOD_TUS_METHODS,
                                &r->method_name);
}


/* what the server speaks: the version, the extensions, the largest size */

static ngx_int_t
ngx_http_vod_tus_options(ngx_http_request_t *r, ngx_http_vod_tus_ctx_t *ctx)
{
    off_t      max;
    ngx_str_t  v;

    ngx_http_vod_upload_body_unread(r);

    ngx_str_set(&v, NGX_VOD_TUS_VERSION);

    if (ngx_http_vod_upload_header_out(r, "Tus-Version", &v) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&v, NGX_HTTP_VOD_TUS_EXTENSIONS);

    if (ngx_http_vod_upload_header_out(r, "Tus-Extension", &v) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    max = (off_t) NGX_VOD_OBJECT_SIZE_MAX;

    if (ctx->front.conf->max_body_size
        && ctx->front.conf->max_body_size < max)
    {
        max = ctx->front.conf->max_body_size;
    }

    if (ngx_http_vod_tus_number_header(r, "Tus-Max-Size", max) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_vod_upload_send_empty(r, NGX_HTTP_NO_CONTENT);
}


/*
 * POST: a new upload.  Upload-Length (or Upload-Defer-Length: 1), the
 * metadata, maybe the first bytes; the parameters of the location's
 * directives evaluated now, with the metadata as $vod_upload_meta_<key>.
 */

static ngx_int_t
ngx_http_vod_tus_create(ngx_http_request_t *r, ngx_http_vod_tus_ctx_t *ctx)
{
    int64_t           n;
    ngx_int_t         rc;
    ngx_str_t         file, type;
    ngx_uint_t        typed;
    const char       *err;
    ngx_vod_alloc_t   a;
    ngx_table_elt_t  *len, *defer, *meta, *h;

    len = ngx_http_vod_upload_header_in(r, "Upload-Length");
    defer = ngx_http_vod_upload_header_in(r, "Upload-Defer-Length");

    if ((len == NULL) == (defer == NULL)) {
        return ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_BAD_REQUEST,
                                    "InvalidUploadLength", "a new upload "
                                    "needs either Upload-Length or "
                                    "Upload-Defer-Length: 1");
    }

    if (defer && (defer->value.len != 1 || defer->value.data[0] != '1')) {
        return ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_BAD_REQUEST,
                                    "InvalidUploadLength",
                                    "Upload-Defer-Length \"%V\" is not 1",
                                    &defer->value);
    }

    if (len) {
        if (ngx_vod_tus_number(len->value.data, len->value.len, &n)
            != NGX_VOD_OK)
        {
            return ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_BAD_REQUEST,
                                        "InvalidUploadLength",
                                        "Upload-Length \"%V\" is not a "
                                        "number of bytes", &len->value);
        }

        if (n == 0) {
            return ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_BAD_REQUEST,
                                        "EmptyMedia", "Upload-Length is 0: "
                                        "VOD takes no empty media");
        }

        rc = ngx_http_vod_upload_size_check(r, &ctx->front, "an upload",
                                            (off_t) n);
        if (rc != NGX_OK) {
            return rc;
        }

        ctx->length = (off_t) n;
    }

    meta = ngx_http_vod_upload_header_in(r, "Upload-Metadata");

    if (meta && meta->value.len > NGX_VOD_TUS_METADATA_LEN) {
        return ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_BAD_REQUEST,
                                    "InvalidUploadMetadata", "Upload-Metadata "
                                    "of %uz bytes is over the %d an upload "
                                    "URL carries", meta->value.len,
                                    NGX_VOD_TUS_METADATA_LEN);
    }

    if (meta) {
        ctx->metadata = meta->value;

        a.alloc = ngx_http_vod_upload_palloc;
        a.data = r->pool;

        if (ngx_vod_tus_metadata(&a, meta->value.data, meta->value.len,
                                 &ctx->meta, &ctx->nmeta, &err)
            != NGX_VOD_OK)
        {
            return ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_BAD_REQUEST,
                                        "InvalidUploadMetadata", "%s", err);
        }
    }

    /* creation-with-upload: the first bytes */

    h = r->headers_in.content_type;

    typed = (h && h->value.len == sizeof(NGX_HTTP_VOD_TUS_TYPE) - 1
             && ngx_strncasecmp(h->value.data,
                                (u_char *) NGX_HTTP_VOD_TUS_TYPE,
                                h->value.len) == 0);

    /*
     * a body of unknown length without the type (an HTTP/2 POST ends its
     * stream with an empty DATA frame) is not the first bytes: not read
     */

    ctx->has_body = (r->headers_in.content_length_n > 0
                     || (r->headers_in.chunked && typed));

    if (ctx->has_body) {

        if (!typed) {
            return ngx_http_vod_tus_bad(r, ctx,
                                        NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                        "UnsupportedMediaType", "the bytes "
                                        "of an upload must be sent as "
                                        NGX_HTTP_VOD_TUS_TYPE);
        }

        if (ctx->length >= 0
            && r->headers_in.content_length_n > ctx->length)
        {
            return ngx_http_vod_tus_bad(r, ctx,
                                        NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                        "UploadLengthExceeded", "%O bytes "
                                        "sent for an upload of %O",
                                        r->headers_in.content_length_n,
                                        ctx->length);
        }
    }

    if (ngx_http_vod_tus_file(r, ctx, &file, &type) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_vod_upload_params(r, &ctx->front, &file, &type,
                                      &ctx->apply);
}


/*
 * The last segment of the path is a token (a sealed state is long, in
 * base64url): the URL of an upload, not one to create uploads at
 */

static ngx_uint_t
ngx_http_vod_tus_is_upload_url(ngx_http_request_t *r)
{
    u_char  *p, *last, *start;

    last = r->uri.data + r->uri.len;

    for (start = last; start > r->uri.data && start[-1] != '/'; start--) {
        /* void */
    }

    if (last - start < NGX_HTTP_VOD_TUS_TOKEN_MIN) {
        return 0;
    }

    for (p = start; p < last; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
        {
            return 0;
        }
    }

    return 1;
}


/*
 * The file name and type of Upload-Metadata: "filename" ("a.mp4"), and
 * "filetype" ("video/mp4") when the name has no extension
 */

static ngx_int_t
ngx_http_vod_tus_file(ngx_http_request_t *r, ngx_http_vod_tus_ctx_t *ctx,
    ngx_str_t *file, ngx_str_t *type)
{
    u_char              *p, *last;
    size_t               i;
    ngx_vod_tus_meta_t  *m;

    ngx_str_null(file);
    ngx_str_null(type);

    for (i = 0; i < ctx->nmeta; i++) {
        m = &ctx->meta[i];

        if (m->key.len == sizeof("filename") - 1
            && ngx_strncmp(m->key.data, "filename", m->key.len) == 0)
        {
            /* a path is not a name: what follows its last "/" or "\" */

            last = m->value.data + m->value.len;

            for (p = last; p > m->value.data; p--) {
                if (p[-1] == '/' || p[-1] == '\\') {
                    break;
                }
            }

            file->data = p;
            file->len = last - p;

        } else if (m->key.len == sizeof("filetype") - 1
                   && ngx_strncmp(m->key.data, "filetype", m->key.len) == 0)
        {
            last = m->value.data + m->value.len;
            p = ngx_strlchr(m->value.data, last, '/');

            if (p) {
                type->data = p + 1;
                type->len = last - p - 1;

                /* "video/quicktime" is what VOD calls "mov" */

                if (type->len == sizeof("quicktime") - 1
                    && ngx_strncasecmp(type->data, (u_char *) "quicktime",
                                       type->len) == 0)
                {
                    ngx_str_set(type, "mov");
                }
            }
        }
    }

    return NGX_OK;
}


/*
 * The upload URL: its last segment is the token.  One that cannot be
 * opened (forged, tampered with, sealed with a key no longer configured)
 * is an upload not known here: 404.  Past its expiry: 410.
 */

static ngx_int_t
ngx_http_vod_tus_open(ngx_http_request_t *r, ngx_http_vod_tus_ctx_t *ctx)
{
    u_char                          *p, *last, *raw;
    size_t                           len;
    ngx_str_t                        token, expired;
    ngx_pool_cleanup_t              *cln;
    const char                      *err;
    ngx_vod_tus_state_t             *st;
    ngx_http_vod_upload_kept_t      *up;
    ngx_http_vod_upload_loc_conf_t  *conf;

    conf = ctx->front.conf;
    st = &ctx->state;

    last = r->uri.data + r->uri.len;

    for (p = last; p > r->uri.data && p[-1] != '/'; p--) { /* void */ }

    token.data = p;
    token.len = last - p;

    if (token.len == 0 || token.len > NGX_HTTP_VOD_TUS_TOKEN_MAX) {
        return ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_NOT_FOUND,
                                    "NoSuchUpload", "\"%V\" is not an "
                                    "upload URL", &r->uri);
    }

    raw = ngx_pnalloc(r->pool, token.len);
    if (raw == NULL) {
        return NGX_ERROR;
    }

    if (ngx_vod_seal_open(conf->tus_keys->elts, conf->tus_keys->nelts,
                          (u_char *) NGX_HTTP_VOD_TUS_AAD,
                          sizeof(NGX_HTTP_VOD_TUS_AAD) - 1, token.data,
                          token.len, raw, &len)
        != NGX_VOD_OK)
    {
        return ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_NOT_FOUND,
                                    "NoSuchUpload", "the upload URL is not "
                                    "one this server sealed (forged, "
                                    "altered, or its key is gone)");
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_vod_tus_wipe;
    cln->data = ngx_palloc(r->pool, sizeof(ngx_str_t));
    if (cln->data == NULL) {
        return NGX_ERROR;
    }

    ((ngx_str_t *) cln->data)->data = raw;
    ((ngx_str_t *) cln->data)->len = len;

    if (ngx_vod_tus_state_parse(raw, len, st, &err) != NGX_VOD_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod upload: a sealed upload URL holds no valid "
                      "state: %s", err);
        return ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_NOT_FOUND,
                                    "NoSuchUpload", "the upload URL holds "
                                    "no upload");
    }

    /*
     * past Upload-Expires an upload takes no more bytes; it can still be
     * terminated while its credential lasts (past that nothing can be
     * signed)
     */

    ctx->expires = ngx_http_vod_tus_deadline(conf, st);

    if (ngx_time() >= (ctx->method == NGX_HTTP_DELETE
                       ? (time_t) st->expires : ctx->expires))
    {
        expired.data = ngx_pnalloc(r->pool, sizeof("Mon, 28 Sep 1970 "
                                                   "06:00:00 GMT"));
        if (expired.data == NULL) {
            return NGX_ERROR;
        }

        expired.len = ngx_http_time(expired.data,
                                    ctx->method == NGX_HTTP_DELETE
                                    ? (time_t) st->expires : ctx->expires)
                      - expired.data;

        return ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_VOD_GONE, "UploadExpired",
                                    "the upload expired at %V", &expired);
    }

    up = &ctx->upload;

    up->cos.host.data = st->host.data;
    up->cos.host.len = st->host.len;
    up->cos.key.data = st->key.data;
    up->cos.key.len = st->key.len;
    up->cos.secret_id.data = st->secret_id.data;
    up->cos.secret_id.len = st->secret_id.len;
    up->cos.secret_key.data = st->secret_key.data;
    up->cos.secret_key.len = st->secret_key.len;
    up->cos.token.data = st->token.data;
    up->cos.token.len = st->token.len;
    up->cos.expires = (time_t) st->expires;
    up->session_key.data = st->session_key.data;
    up->session_key.len = st->session_key.len;
    up->upload_id.data = st->upload_id.data;
    up->upload_id.len = st->upload_id.len;
    up->length = (off_t) st->length;
    up->part_size = (uint64_t) st->part_size;
    up->sub_app_id = (ngx_int_t) st->sub_app_id;
    up->media_name.data = st->media_name.data;
    up->media_name.len = st->media_name.len;
    up->source_context.data = st->source_context.data;
    up->source_context.len = st->source_context.len;

    ctx->length = up->length;

    if (up->cos.key.len < 2 || up->cos.key.data[0] != '/') {
        return ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_NOT_FOUND,
                                    "NoSuchUpload", "the upload URL holds "
                                    "no object key");
    }

    return ngx_http_vod_upload_cos_key_uri(r->pool, &up->cos.key,
                                           &up->cos.key_uri);
}


/*
 * Upload-Expires: the temporary credential's expiry, or sooner with
 * vod_upload_tus_expires (as configured now, from the creation)
 */

static time_t
ngx_http_vod_tus_deadline(ngx_http_vod_upload_loc_conf_t *conf,
    ngx_vod_tus_state_t *st)
{
    time_t  deadline;

    deadline = (time_t) st->expires;

    if (conf->tus_expires
        && (time_t) st->created + (time_t) (conf->tus_expires / 1000)
           < deadline)
    {
        deadline = (time_t) st->created + conf->tus_expires / 1000;
    }

    return deadline;
}


static void
ngx_http_vod_tus_wipe(void *data)
{
    ngx_str_t *s = data;

    ngx_explicit_memzero(s->data, s->len);
}


/*
 * PATCH: the bytes from Upload-Offset, as application/offset+octet-stream,
 * not past the length, and (unless the last) enough of them to store a
 * part: COS takes no part under 1 MiB but the last, a shorter tail is
 * dropped, and a client that always sends less would never get on.
 */

static ngx_int_t
ngx_http_vod_tus_patch_check(ngx_http_request_t *r,
    ngx_http_vod_tus_ctx_t *ctx)
{
    off_t             cl;
    int64_t           n;
    ngx_int_t         rc;
    ngx_table_elt_t  *h;

    h = r->headers_in.content_type;

    if (h == NULL
        || h->value.len != sizeof(NGX_HTTP_VOD_TUS_TYPE) - 1
        || ngx_strncasecmp(h->value.data, (u_char *) NGX_HTTP_VOD_TUS_TYPE,
                           h->value.len) != 0)
    {
        return ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                    "UnsupportedMediaType", "a PATCH must "
                                    "send its bytes as "
                                    NGX_HTTP_VOD_TUS_TYPE);
    }

    h = ngx_http_vod_upload_header_in(r, "Upload-Offset");

    if (h == NULL
        || ngx_vod_tus_number(h->value.data, h->value.len, &n) != NGX_VOD_OK)
    {
        return ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_BAD_REQUEST,
                                    "InvalidUploadOffset", "a PATCH needs "
                                    "Upload-Offset, a number of bytes");
    }

    ctx->offset = (off_t) n;

    /* the length of an upload created without one, given once */

    h = ngx_http_vod_upload_header_in(r, "Upload-Length");

    if (h) {
        if (ngx_vod_tus_number(h->value.data, h->value.len, &n)
            != NGX_VOD_OK || n == 0)
        {
            return ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_BAD_REQUEST,
                                        "InvalidUploadLength",
                                        "Upload-Length \"%V\" is not a "
                                        "number of bytes", &h->value);
        }

        if (ctx->length >= 0 && (off_t) n != ctx->length) {
            return ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_BAD_REQUEST,
                                        "InvalidUploadLength",
                                        "Upload-Length %L is not the "
                                        "upload's length %O", n,
                                        ctx->length);
        }

        /*
         * a length given later is not kept (the upload URL cannot
         * change): it comes with the bytes that end the upload
         */

        if (ctx->length < 0
            && ((off_t) n < ctx->offset
                || (r->headers_in.content_length_n >= 0
                    && ctx->offset + r->headers_in.content_length_n
                       != (off_t) n)))
        {
            return ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_BAD_REQUEST,
                                        "InvalidUploadLength",
                                        "Upload-Length %L must come with "
                                        "the bytes that end the upload "
                                        "(from offset %O)", n, ctx->offset);
        }

        rc = ngx_http_vod_upload_size_check(r, &ctx->front, "an upload",
                                            (off_t) n);
        if (rc != NGX_OK) {
            return rc;
        }

        ctx->length = (off_t) n;
    }

    cl = r->headers_in.content_length_n;

    if (ctx->length >= 0 && cl > 0 && ctx->offset + cl > ctx->length) {
        return ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                    "UploadLengthExceeded", "%O bytes from "
                                    "offset %O are past the upload's length "
                                    "%O", cl, ctx->offset, ctx->length);
    }

    ctx->has_body = (cl > 0 || r->headers_in.chunked);

    return NGX_OK;
}


/*
 * One PATCH of an upload at a time in this nginx (all its workers):
 * another gets 423
 */

static ngx_int_t
ngx_http_vod_tus_lock(ngx_http_request_t *r, ngx_http_vod_tus_ctx_t *ctx)
{
    uint32_t                          hash;
    ngx_str_t                        *id;
    ngx_slab_pool_t                  *shpool;
    ngx_pool_cleanup_t               *cln;
    ngx_http_vod_tus_lock_t          *lock;
    ngx_http_vod_tus_locks_t         *locks;
    ngx_http_vod_upload_main_conf_t  *vmcf;

    vmcf = ngx_http_get_module_main_conf(r, ngx_http_vod_upload_module);

    id = &ctx->upload.upload_id;

    if (id->len > 0xffff) {
        return ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_NOT_FOUND,
                                    "NoSuchUpload", "the upload URL holds "
                                    "no valid upload id");
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    shpool = (ngx_slab_pool_t *) vmcf->tus_zone->shm.addr;
    locks = vmcf->tus_zone->data;
    hash = ngx_crc32_short(id->data, id->len);

    ngx_shmtx_lock(&shpool->mutex);

    lock = ngx_http_vod_tus_lock_find(locks, hash, id);

    if (lock && (lock->pid == ngx_pid || ngx_http_vod_tus_alive(lock->pid)))
    {
        ngx_shmtx_unlock(&shpool->mutex);

        return ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_VOD_TUS_LOCKED,
                                    "UploadLocked", "another PATCH of "
                                    "this upload is under way");
    }

    if (lock) {
        /* its worker is gone: the lock is this one's */
        lock->pid = ngx_pid;

    } else {
        lock = ngx_slab_alloc_locked(shpool,
                                     offsetof(ngx_http_vod_tus_lock_t, id)
                                     + id->len);
        if (lock) {
            lock->node.key = hash;
            lock->pid = ngx_pid;
            lock->len = (u_short) id->len;
            ngx_memcpy(lock->id, id->data, id->len);

            ngx_rbtree_insert(&locks->rbtree, &lock->node);
        }
    }

    ngx_shmtx_unlock(&shpool->mutex);

    if (lock == NULL) {
        /* the zone is full: the PATCH goes on, unguarded */
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "vod upload: no room to lock the upload in the "
                      "shared zone of resumable uploads");
        return NGX_OK;
    }

    ctx->lock = lock;
    ctx->locks = locks;
    ctx->shpool = shpool;

    cln->handler = ngx_http_vod_tus_unlock;
    cln->data = ctx;

    return NGX_OK;
}


static ngx_http_vod_tus_lock_t *
ngx_http_vod_tus_lock_find(ngx_http_vod_tus_locks_t *locks, uint32_t hash,
    ngx_str_t *id)
{
    ngx_rbtree_node_t        *node, *sentinel;
    ngx_http_vod_tus_lock_t  *lock;

    node = locks->rbtree.root;
    sentinel = locks->rbtree.sentinel;

    while (node != sentinel) {

        if (hash != node->key) {
            node = (hash < node->key) ? node->left : node->right;
            continue;
        }

        lock = (ngx_http_vod_tus_lock_t *) node;

        if (lock->len == id->len
            && ngx_memcmp(lock->id, id->data, id->len) == 0)
        {
            return lock;
        }

        /* the same hash, another id: the tree goes on either side */

        node = (ngx_memn2cmp(id->data, lock->id, id->len, lock->len) < 0)
               ? node->left : node->right;
    }

    return NULL;
}


/* the process of a lock still runs */

static ngx_uint_t
ngx_http_vod_tus_alive(ngx_pid_t pid)
{
    uint64_t  start;

    return ngx_http_vod_upload_process_runs(pid, &start);
}


static void
ngx_http_vod_tus_unlock(void *data)
{
    ngx_http_vod_tus_ctx_t *ctx = data;

    if (ctx->lock == NULL) {
        return;
    }

    ngx_shmtx_lock(&ctx->shpool->mutex);

    /* taken over only if this worker had died, which it has not */

    if (ctx->lock->pid == ngx_pid) {
        ngx_rbtree_delete(&ctx->locks->rbtree, &ctx->lock->node);
        ngx_slab_free_locked(ctx->shpool, ctx->lock);
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    ctx->lock = NULL;
}


static void
ngx_http_vod_tus_lock_insert(ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t        **p;
    ngx_http_vod_tus_lock_t   *l, *t;

    for ( ;; ) {

        if (node->key != temp->key) {
            p = (node->key < temp->key) ? &temp->left : &temp->right;

        } else {
            l = (ngx_http_vod_tus_lock_t *) node;
            t = (ngx_http_vod_tus_lock_t *) temp;

            p = (ngx_memn2cmp(l->id, t->id, l->len, t->len) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/* the zone of the locks, created with the first vod_upload_tus */

ngx_int_t
ngx_http_vod_upload_tus_zone(ngx_conf_t *cf,
    ngx_http_vod_upload_main_conf_t *vmcf)
{
    ngx_str_t  name;

    if (vmcf->tus_zone) {
        return NGX_OK;
    }

    ngx_str_set(&name, "vod_upload_tus");

    vmcf->tus_zone = ngx_shared_memory_add(cf, &name,
                                           NGX_HTTP_VOD_TUS_ZONE_SIZE,
                                           &ngx_http_vod_upload_module);
    if (vmcf->tus_zone == NULL) {
        return NGX_ERROR;
    }

    vmcf->tus_zone->init = ngx_http_vod_tus_zone_init;

    return NGX_OK;
}


static ngx_int_t
ngx_http_vod_tus_zone_init(ngx_shm_zone_t *zone, void *data)
{
    ngx_slab_pool_t           *shpool;
    ngx_http_vod_tus_locks_t  *locks;

    /* a reload keeps the zone, and the locks of the old workers' PATCHes */

    if (data) {
        zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (zone->shm.exists) {
        zone->data = shpool->data;
        return NGX_OK;
    }

    locks = ngx_slab_alloc(shpool, sizeof(ngx_http_vod_tus_locks_t));
    if (locks == NULL) {
        return NGX_ERROR;
    }

    ngx_rbtree_init(&locks->rbtree, &locks->sentinel,
                    ngx_http_vod_tus_lock_insert);

    shpool->data = locks;
    zone->data = locks;

    return NGX_OK;
}


/* the engine: a new upload, or one resumed, or terminated */

static ngx_int_t
ngx_http_vod_tus_start(ngx_http_request_t *r, ngx_http_vod_tus_ctx_t *ctx)
{
    ngx_int_t                        rc;
    ngx_str_t                        error;
    ngx_http_vod_upload_relay_t     *relay;
    ngx_http_vod_upload_loc_conf_t  *conf;

    conf = ctx->front.conf;

    relay = ngx_http_vod_upload_relay_create(r, conf,
                                             &ngx_http_vod_tus_relay_handler,
                                             ctx->length);
    if (relay == NULL) {
        return NGX_ERROR;
    }

    ctx->front.relay = relay;

    ngx_http_vod_upload_relay_keep(relay);

    /* what carries media is in vod_status' list */

    if (ctx->method == NGX_HTTP_PATCH
        || (ctx->method == NGX_HTTP_POST
            && (r->headers_in.content_length_n > 0 || r->headers_in.chunked)))
    {
        ngx_http_vod_upload_relay_track(relay, NGX_VOD_METRICS_TUS);
    }

    switch (ctx->method) {

    case NGX_HTTP_POST:

        if (conf->cover_data.len) {
            ngx_http_vod_upload_relay_cover(relay, &conf->cover_type,
                                            &conf->cover_data);
        }

        rc = ngx_http_vod_upload_relay_start(relay, &ctx->apply, &error);

        if (rc == NGX_DECLINED) {
            ctx->front.relay = NULL;
            return ngx_http_vod_tus_bad(r, ctx, NGX_HTTP_BAD_REQUEST,
                                        "InvalidParameter", "%V", &error);
        }

        return rc;

    case NGX_HTTP_DELETE:
        return ngx_http_vod_upload_relay_terminate(relay, &ctx->upload);

    default: /* NGX_HTTP_HEAD, NGX_HTTP_PATCH */
        return ngx_http_vod_upload_relay_resume(relay, &ctx->upload);
    }
}


/*
 * The engine knows where the upload is: the bytes of a POST or PATCH
 * may come, from the offset COS holds
 */

static void
ngx_http_vod_tus_ready(ngx_http_request_t *r)
{
    off_t                    offset;
    ngx_int_t                rc;
    ngx_http_vod_tus_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    offset = ngx_http_vod_upload_relay_offset(ctx->front.relay);

    if (ctx->method == NGX_HTTP_PATCH && ctx->offset != offset) {
        (void) ngx_http_vod_upload_front_fail(r, &ctx->front,
                                              NGX_HTTP_CONFLICT,
                                              "OffsetMismatch",
                                              "Upload-Offset %O is not the "
                                              "upload's offset %O",
                                              ctx->offset, offset);
        return;
    }

    if (ctx->method == NGX_HTTP_PATCH) {
        ngx_http_vod_upload_relay_length(ctx->front.relay, ctx->length);

        if (ngx_http_vod_tus_progress(r, ctx, offset) != NGX_OK) {
            return;
        }
    }

    if (!ctx->has_body) {
        ngx_http_vod_upload_relay_end(ctx->front.relay);
        return;
    }

    ctx->front.body.data = ngx_http_vod_upload_front_data;
    ctx->front.body.window = ngx_http_vod_upload_front_window;
    ctx->front.body.end = ngx_http_vod_upload_front_end;

    /* a PATCH's bytes are kept when its client goes away; a POST's not */
    ctx->front.keep = (ctx->method == NGX_HTTP_PATCH);

    if (ctx->length >= 0) {
        ctx->front.body.max = ctx->length - offset;

    } else if (ctx->front.conf->max_body_size) {
        ctx->front.body.max = ctx->front.conf->max_body_size - offset;

        /* 0 would be no limit: an upload of unknown length at the limit */

        if (ctx->front.body.max <= 0) {
            ctx->front.body.max = 1;
        }
    }

    rc = ngx_http_vod_upload_body_start(r, &ctx->front.body);

    if (rc != NGX_OK) {
        ngx_http_vod_upload_front_end(r, rc);
    }
}


/*
 * A PATCH that does not end the upload must get it on: with at least
 * the 1 MiB COS takes as a part (a shorter tail is dropped), and without
 * so many shorter parts that the rest no longer fits in COS's 10000.
 * NGX_OK, or the upload failed with 400 ChunkTooSmall.
 */

static ngx_int_t
ngx_http_vod_tus_progress(ngx_http_request_t *r, ngx_http_vod_tus_ctx_t *ctx,
    off_t offset)
{
    off_t                         cl, kept, part;
    ngx_uint_t                    parts, next;
    ngx_http_vod_upload_relay_t  *relay;

    relay = ctx->front.relay;
    cl = r->headers_in.content_length_n;
    parts = ngx_http_vod_upload_relay_parts(relay);
    next = parts + 1;

    part = (off_t) ctx->upload.part_size;

    if (part == 0) {
        /* a length given late: the parts grow by their number */
        part = (off_t) ngx_vod_parts_size_at(ctx->front.conf->part_size,
                                             ctx->front.conf->part_size_max,
                                             next);
    }

    if (cl <= 0) {
        return NGX_OK;
    }

    /* the last bytes: as many parts as they need must be left */

    if (ctx->length >= 0 && offset + cl >= ctx->length) {

        if (part <= 0
            || parts + (ngx_uint_t) ((cl + part - 1) / part)
               <= NGX_VOD_PARTS_MAX)
        {
            return NGX_OK;
        }

        return ngx_http_vod_upload_front_fail(r, &ctx->front,
                                     NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                     "EntityTooLarge", "the upload's last %O "
                                     "bytes need more parts than the %ui COS "
                                     "has left of its 10000", cl,
                                     NGX_VOD_PARTS_MAX - parts);
    }

    if (cl < (off_t) NGX_VOD_PART_SIZE_MIN) {
        return ngx_http_vod_upload_front_fail(r, &ctx->front,
                                     NGX_HTTP_BAD_REQUEST, "ChunkTooSmall",
                                     "a PATCH of %O bytes that does not end "
                                     "the upload is under the 1 MiB COS "
                                     "takes as a part: send chunks of 1 MiB "
                                     "or more", cl);
    }

    /*
     * an earlier PATCH stored parts past one that failed: the next part
     * must be whole, or they would seem to follow it
     */

    if (part > 0 && cl < part
        && next <= ngx_http_vod_upload_relay_whole(relay))
    {
        return ngx_http_vod_upload_front_fail(r, &ctx->front,
                                     NGX_HTTP_BAD_REQUEST, "ChunkTooSmall",
                                     "an earlier PATCH left parts past "
                                     "offset %O: a PATCH from there must "
                                     "send a whole part of %O bytes or more",
                                     offset, part);
    }

    /* a length known from the start: parts of a fixed size */

    if (ctx->length < 0 || ctx->upload.part_size == 0) {
        return NGX_OK;
    }

    parts += (ngx_uint_t) (cl / part);
    kept = offset + cl / part * part;

    if (cl % part >= (off_t) NGX_VOD_PART_SIZE_MIN) {
        parts++;
        kept = offset + cl;
    }

    if (parts + (ngx_uint_t) ((ctx->length - kept + part - 1) / part)
        <= NGX_VOD_PARTS_MAX)
    {
        return NGX_OK;
    }

    return ngx_http_vod_upload_front_fail(r, &ctx->front,
                                          NGX_HTTP_BAD_REQUEST,
                                          "ChunkTooSmall", "with PATCHes of "
                                          "%O bytes the upload of %O bytes "
                                          "would need more than the 10000 "
                                          "parts of a COS upload: send "
                                          "chunks of %O bytes or more", cl,
                                          ctx->length, part);
}


/* the request's part of the upload is over: the tus answer */

static void
ngx_http_vod_tus_done(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_http_vod_tus_ctx_t        *ctx;
    ngx_http_vod_upload_result_t  *res;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    ngx_http_vod_tus_unlock(ctx);

    res = ngx_http_vod_upload_relay_result(ctx->front.relay);

    if (res->status == NGX_HTTP_CLIENT_CLOSED_REQUEST
        || ctx->front.body_rc == NGX_HTTP_CLIENT_CLOSED_REQUEST)
    {
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    rc = ngx_http_vod_tus_answer(r, ctx, res);

    ngx_http_finalize_request(r, rc);
}


static ngx_int_t
ngx_http_vod_tus_answer(ngx_http_request_t *r, ngx_http_vod_tus_ctx_t *ctx,
    ngx_http_vod_upload_result_t *res)
{
    ngx_int_t  rc;
    ngx_str_t  v;

    ngx_str_set(&v, NGX_VOD_TUS_VERSION);

    if (ngx_http_vod_upload_header_out(r, "Tus-Resumable", &v) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* a body never read is not the next request's */

    ngx_http_vod_upload_body_unread(r);

    if (res->status != NGX_HTTP_OK && res->status != NGX_HTTP_ACCEPTED
        && res->status != NGX_HTTP_NO_CONTENT)
    {
        return ngx_http_vod_upload_send_result(r, res);
    }

    if (ctx->front.body_rc) {
        ngx_str_set(&v, "the client sent no data for client_body_timeout");
        return ngx_http_vod_upload_send_error(r, NGX_HTTP_REQUEST_TIME_OUT,
                                              "RequestTimeout", &v, NULL);
    }

    /* an earlier PATCH completed the upload: this one must be its repeat */

    if (res->finished && ctx->method == NGX_HTTP_PATCH
        && ctx->offset != res->offset)
    {
        ngx_str_set(&v, "the upload is complete");
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod upload: a PATCH at offset %O of an upload "
                      "completed at %O", ctx->offset, res->offset);
        return ngx_http_vod_upload_send_error(r, NGX_HTTP_CONFLICT,
                                              "OffsetMismatch", &v, NULL);
    }

    /* bytes of unknown length that did not make a part: no progress */

    if (ctx->method == NGX_HTTP_PATCH && !res->finished
        && res->file_id.len == 0 && res->offset == ctx->offset
        && ctx->front.body.received > 0)
    {
        ngx_str_set(&v, "the PATCH's bytes did not make a part of the 1 MiB "
                        "COS takes (a shorter tail is dropped): send chunks "
                        "of 1 MiB or more");
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod upload: %V (%O bytes)", &v,
                      ctx->front.body.received);
        return ngx_http_vod_upload_send_error(r, NGX_HTTP_BAD_REQUEST,
                                              "ChunkTooSmall", &v, NULL);
    }

    if (ctx->method == NGX_HTTP_DELETE) {
        return ngx_http_vod_upload_send_empty(r, NGX_HTTP_NO_CONTENT);
    }

    if (ctx->method == NGX_HTTP_POST
        && ngx_http_vod_tus_location(r, ctx, res) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if ((ctx->method != NGX_HTTP_POST || ctx->has_body)
        && ngx_http_vod_tus_number_header(r, "Upload-Offset", res->offset)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_vod_tus_expires(r, ctx->expires) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (res->file_id.len
        && (ngx_http_vod_upload_header_out(r, "X-VOD-File-Id",
                                           &res->file_id)
            != NGX_OK
            || ngx_http_vod_upload_header_out(r, "X-VOD-Media-Url",
                                              &res->media_url)
               != NGX_OK))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (res->status == NGX_HTTP_ACCEPTED) {
        /* the commit's outcome is not known: the JSON says what to do */
        return ngx_http_vod_upload_send_result(r, res);
    }

    if (ctx->method == NGX_HTTP_HEAD) {

        if (ctx->length >= 0 || res->finished) {
            rc = ngx_http_vod_tus_number_header(r, "Upload-Length",
                                                ctx->length >= 0
                                                ? ctx->length : res->offset);

        } else {
            ngx_str_set(&v, "1");
            rc = ngx_http_vod_upload_header_out(r, "Upload-Defer-Length", &v);
        }

        if (rc == NGX_OK && ctx->state.metadata.len) {
            v.data = ctx->state.metadata.data;
            v.len = ctx->state.metadata.len;
            rc = ngx_http_vod_upload_header_out(r, "Upload-Metadata", &v);
        }

        ngx_str_set(&v, "no-store");

        if (rc != NGX_OK
            || ngx_http_vod_upload_header_out(r, "Cache-Control", &v) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_vod_upload_send_empty(r, NGX_HTTP_OK);
    }

    return ngx_http_vod_upload_send_empty(r, (ctx->method == NGX_HTTP_POST)
                                             ? NGX_HTTP_CREATED
                                             : NGX_HTTP_NO_CONTENT);
}


/*
 * The new upload's URL: the POST's path, "/", the sealed state.  It
 * expires with the temporary credential (or vod_upload_tus_expires).
 */

static ngx_int_t
ngx_http_vod_tus_location(ngx_http_request_t *r, ngx_http_vod_tus_ctx_t *ctx,
    ngx_http_vod_upload_result_t *res)
{
    u_char                          *raw, *p;
    size_t                           len, size;
    ngx_str_t                        path;
    ngx_table_elt_t                 *h;
    ngx_vod_tus_state_t             *st;
    ngx_http_vod_upload_kept_t      *up;
    ngx_http_vod_upload_loc_conf_t  *conf;

    conf = ctx->front.conf;

    up = ngx_http_vod_upload_relay_kept(ctx->front.relay);
    if (up == NULL) {
        return NGX_ERROR;
    }

    st = &ctx->state;

    st->created = ngx_time();
    st->expires = up->cos.expires;

    ctx->expires = ngx_http_vod_tus_deadline(conf, st);

    st->length = up->length;
    st->part_size = (int64_t) up->part_size;
    st->sub_app_id = up->sub_app_id;
    st->session_key.data = up->session_key.data;
    st->session_key.len = up->session_key.len;
    st->host.data = up->cos.host.data;
    st->host.len = up->cos.host.len;
    st->key.data = up->cos.key.data;
    st->key.len = up->cos.key.len;
    st->upload_id.data = up->upload_id.data;
    st->upload_id.len = up->upload_id.len;
    st->secret_id.data = up->cos.secret_id.data;
    st->secret_id.len = up->cos.secret_id.len;
    st->secret_key.data = up->cos.secret_key.data;
    st->secret_key.len = up->cos.secret_key.len;
    st->token.data = up->cos.token.data;
    st->token.len = up->cos.token.len;
    st->metadata.data = ctx->metadata.data;
    st->metadata.len = ctx->metadata.len;
    st->media_name.data = up->media_name.data;
    st->media_name.len = up->media_name.len;
    st->source_context.data = up->source_context.data;
    st->source_context.len = up->source_context.len;

    len = ngx_vod_tus_state_size(st);

    raw = ngx_pnalloc(r->pool, len);
    if (raw == NULL) {
        return NGX_ERROR;
    }

    len = ngx_vod_tus_state_write(raw, st) - raw;

    /* the path as the client sent it (encoded), not the decoded one */

    path.data = r->unparsed_uri.data;
    path.len = r->args_start ? (size_t) (r->args_start - 1 - path.data)
                             : r->unparsed_uri.len;

    if (path.len > r->unparsed_uri.len) {
        path.len = r->unparsed_uri.len;
    }

    size = path.len + 1 + ngx_vod_seal_size(len);

    h = ngx_list_push(&r->headers_out.headers);
    p = ngx_pnalloc(r->pool, size);

    if (h == NULL || p == NULL) {
        return NGX_ERROR;
    }

    h->value.data = p;

    p = ngx_cpymem(p, path.data, path.len);

    if (path.len == 0 || p[-1] != '/') {
        *p++ = '/';
    }

    if (ngx_vod_seal(conf->tus_keys->elts, (u_char *) NGX_HTTP_VOD_TUS_AAD,
                     sizeof(NGX_HTTP_VOD_TUS_AAD) - 1, raw, len, p, &size)
        != NGX_VOD_OK)
    {
        ngx_explicit_memzero(raw, len);
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "vod upload: cannot seal the upload URL");
        return NGX_ERROR;
    }

    ngx_explicit_memzero(raw, len);

    h->hash = 1;
    ngx_str_set(&h->key, "Location");
    h->value.len = p + size - h->value.data;

    /* the Location filter would make it absolute with the server's name */

    r->headers_out.location = NULL;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "vod upload: upload \"%V\" created, %O bytes stored",
                   &up->upload_id, res->offset);

    return NGX_OK;
}


/* a request refused before anything was sent, in the protocol's form */

static ngx_int_t
ngx_http_vod_tus_refuse(ngx_http_request_t *r, ngx_http_vod_tus_ctx_t *ctx)
{
    ngx_str_t  v;

    ngx_str_set(&v, NGX_VOD_TUS_VERSION);

    if (ngx_http_vod_upload_header_out(r, "Tus-Resumable", &v) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* logged where found */

    ngx_http_vod_upload_body_unread(r);

    if (ctx->front.status == NGX_HTTP_VOD_TUS_LOCKED) {
        ngx_str_set(&r->headers_out.status_line, "423 Locked");
    }

    return ngx_http_vod_upload_send_error(r, ctx->front.status,
                                          (const char *) ctx->front.code.data,
                                          &ctx->front.message, NULL);
}


static ngx_int_t
ngx_http_vod_tus_bad(ngx_http_request_t *r, ngx_http_vod_tus_ctx_t *ctx,
    ngx_uint_t status, const char *code, const char *fmt, ...)
{
    ngx_int_t  rc;
    va_list    args;

    va_start(args, fmt);
    rc = ngx_http_vod_upload_vbad(r, &ctx->front, status, code, fmt, args);
    va_end(args);

    return rc;
}


static ngx_int_t
ngx_http_vod_tus_number_header(ngx_http_request_t *r, const char *name,
    off_t n)
{
    ngx_str_t  v;

    v.data = ngx_pnalloc(r->pool, NGX_OFF_T_LEN);
    if (v.data == NULL) {
        return NGX_ERROR;
    }

    v.len = ngx_sprintf(v.data, "%O", n) - v.data;

    return ngx_http_vod_upload_header_out(r, name, &v);
}


/* Upload-Expires: an HTTP date */

static ngx_int_t
ngx_http_vod_tus_expires(ngx_http_request_t *r, time_t expires)
{
    ngx_str_t  v;

    if (expires <= 0) {
        return NGX_OK;
    }

    v.data = ngx_pnalloc(r->pool, sizeof("Mon, 28 Sep 1970 06:00:00 GMT"));
    if (v.data == NULL) {
        return NGX_ERROR;
    }

    v.len = ngx_http_time(v.data, expires) - v.data;

    return ngx_http_vod_upload_header_out(r, "Upload-Expires", &v);
}


/*
 * $vod_upload_meta_<key>: the value of a key of a new upload's
 * Upload-Metadata, for the parameter directives
 */

static ngx_int_t
ngx_http_vod_tus_meta_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t *name = (ngx_str_t *) data;

    size_t                   i, len;
    u_char                  *key;
    ngx_vod_tus_meta_t      *m;
    ngx_http_vod_tus_ctx_t  *ctx;

    ctx = (ngx_http_vod_tus_ctx_t *) ngx_http_vod_upload_front_get(r);

    len = sizeof("vod_upload_meta_") - 1;

    if (ctx == NULL || !ctx->front.resumable || name->len <= len) {
        return ngx_http_vod_upload_variable_value(v, NULL, 0, 0);
    }

    key = name->data + len;
    len = name->len - len;

    for (i = 0; i < ctx->nmeta; i++) {
        m = &ctx->meta[i];

        if (m->key.len == len && ngx_strncasecmp(m->key.data, key, len) == 0)
        {
            return ngx_http_vod_upload_variable_value(v, m->value.data,
                                                      m->value.len, 1);
        }
    }

    return ngx_http_vod_upload_variable_value(v, NULL, 0, 0);
}
