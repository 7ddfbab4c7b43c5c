
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * The form front-end (vod_upload_form on): a POST of multipart/form-data
 * as an HTML form sends it.  The fields before the file field "media" are
 * kept (text fields as $vod_upload_form_<name>, an image in "cover" as
 * the media's cover); when "media" begins, ApplyUpload goes out with the
 * location's parameters, and the media streams into the relay engine as
 * a PUT's body does: never whole, never on disk.  The form is read with
 * the nginx-free parser of ngx_vod_form.c.
 */


#include "ngx_http_vod_upload_front.h"
#include "ngx_http_vod_upload_reply.h"
#include "ngx_vod_form.h"
#include "ngx_vod_params.h"


#define NGX_HTTP_VOD_FORM_FIELDS     32
#define NGX_HTTP_VOD_FORM_FIELD_MAX  4096


typedef enum {
    NGX_HTTP_VOD_FORM_FIELDS_STAGE = 0,     /* before the media */
    NGX_HTTP_VOD_FORM_APPLYING,             /* waiting for the engine */
    NGX_HTTP_VOD_FORM_MEDIA,
    NGX_HTTP_VOD_FORM_AFTER,                /* after the media */
    NGX_HTTP_VOD_FORM_OVER                  /* the closing delimiter */
} ngx_http_vod_form_stage_e;


typedef struct {
    ngx_str_t                       name;
    ngx_str_t                       value;
} ngx_http_vod_form_field_t;


/* the module's context of a form: the front-ends' part first */

typedef struct {
    ngx_http_vod_upload_front_t     front;
    ngx_vod_api_apply_upload_req_t  apply;

    ngx_vod_form_t                 *form;
    ngx_http_vod_form_stage_e       stage;
    ngx_array_t                     fields;     /* of ..._form_field_t */

    /* the field being read: text, or the cover */
    u_char                         *field;
    size_t                          field_len;
    size_t                          field_max;
    size_t                          field_size;     /* allocated */
    unsigned                        in_field:1;
    unsigned                        in_cover:1;

    ngx_str_t                       cover;
    ngx_str_t                       cover_type;

    off_t                           media_len;      /* of the media, seen */

    /*
     * bytes of the media the engine has not taken yet: in the body's
     * buffer (left unconsumed there, b->pos at them, until they are
     * taken; the parser goes on from resume), or the delimiter's own
     */
    const u_char                   *pending;
    size_t                          pending_len;
    u_char                         *resume;
} ngx_http_vod_form_ctx_t;


static ngx_int_t ngx_http_vod_form_data(ngx_http_request_t *r, ngx_buf_t *b);
static ngx_int_t ngx_http_vod_form_part(ngx_http_request_t *r,
    ngx_http_vod_form_ctx_t *ctx);
static ngx_int_t ngx_http_vod_form_grow(ngx_http_request_t *r,
    ngx_http_vod_form_ctx_t *ctx, size_t size);
static ngx_int_t ngx_http_vod_form_media(ngx_http_request_t *r,
    ngx_http_vod_form_ctx_t *ctx);
static ngx_int_t ngx_http_vod_form_window(ngx_http_request_t *r, u_char **p,
    size_t *n, ngx_uint_t waiting);
static ngx_int_t ngx_http_vod_form_write(ngx_http_request_t *r,
    ngx_http_vod_form_ctx_t *ctx, ngx_buf_t *in, const u_char *data,
    size_t len);
static ngx_int_t ngx_http_vod_form_fail(ngx_http_request_t *r,
    ngx_http_vod_form_ctx_t *ctx, ngx_uint_t status, const char *code,
    const char *fmt, ...);
static void ngx_http_vod_form_end(ngx_http_request_t *r, ngx_int_t rc);
static void ngx_http_vod_form_ready(ngx_http_request_t *r);
static ngx_int_t ngx_http_vod_form_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_vod_upload_relay_handler_t  ngx_http_vod_form_relay_handler = {
    ngx_http_vod_form_ready,
    ngx_http_vod_upload_front_resume,
    ngx_http_vod_upload_front_stop,
    ngx_http_vod_upload_front_done
};


ngx_http_variable_t  ngx_http_vod_upload_form_vars[] = {

    { ngx_string("vod_upload_form_"), NULL, ngx_http_vod_form_variable,
      0, NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_PREFIX, 0 },

      ngx_http_null_variable
};


/* a POST of multipart/form-data in a location with vod_upload_form on */

ngx_int_t
ngx_http_vod_upload_form_is(ngx_http_request_t *r)
{
    ngx_table_elt_t                 *h;
    ngx_http_vod_upload_loc_conf_t  *conf;

    conf = ngx_http_get_module_loc_conf(r, ngx_http_vod_upload_module);
    h = r->headers_in.content_type;

    return conf->form && (r->method & NGX_HTTP_POST) && h
           && h->value.len >= sizeof("multipart/form-data") - 1
           && ngx_strncasecmp(h->value.data, (u_char *) "multipart/form-data",
                              sizeof("multipart/form-data") - 1) == 0;
}


ngx_int_t
ngx_http_vod_upload_form_handler(ngx_http_request_t *r)
{
    ngx_int_t                        rc;
    ngx_str_t                        msg;
    const char                      *err;
    ngx_table_elt_t                 *h;
    ngx_http_vod_form_ctx_t         *ctx;
    ngx_http_vod_upload_loc_conf_t  *conf;

    conf = ngx_http_get_module_loc_conf(r, ngx_http_vod_upload_module);

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_vod_form_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->front.conf = conf;
    ctx->front.form = 1;
    ngx_http_set_ctx(r, ctx, ngx_http_vod_upload_module);

    ctx->form = ngx_palloc(r->pool, sizeof(ngx_vod_form_t));

    if (ctx->form == NULL
        || ngx_array_init(&ctx->fields, r->pool, 4,
                          sizeof(ngx_http_vod_form_field_t))
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h = r->headers_in.content_type;

    if (ngx_vod_form_init(ctx->form, h->value.data, h->value.len, &err)
        != NGX_VOD_OK)
    {
        msg.data = (u_char *) err;
        msg.len = ngx_strlen(err);
        return ngx_http_vod_upload_refuse(r, "vod upload",
                                          NGX_HTTP_BAD_REQUEST, "BadForm",
                                          &msg);
    }

    /* the engine exists from the start: a failure before the media too */

    ctx->front.relay = ngx_http_vod_upload_relay_create(r, conf,
                                            &ngx_http_vod_form_relay_handler,
                                            -1);
    if (ctx->front.relay == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_vod_upload_relay_track(ctx->front.relay, NGX_VOD_METRICS_FORM);

    ctx->front.body.data = ngx_http_vod_form_data;
    ctx->front.body.window = ngx_http_vod_form_window;
    ctx->front.body.end = ngx_http_vod_form_end;
    ctx->front.body.max = conf->max_body_size;

    rc = ngx_http_vod_upload_body_start(r, &ctx->front.body);

    if (rc != NGX_OK) {
        return rc;
    }

    r->main->count++;

    return NGX_DONE;
}


/* the form as it comes: fields kept, the media into the engine */

static ngx_int_t
ngx_http_vod_form_data(ngx_http_request_t *r, ngx_buf_t *b)
{
    int                       rc;
    size_t                    len;
    const char               *err;
    const u_char             *pos, *data;
    ngx_http_vod_form_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    if (ctx->stage == NGX_HTTP_VOD_FORM_APPLYING) {
        return NGX_AGAIN;
    }

    /* what the engine could not take before */

    if (ctx->pending_len) {
        data = ctx->pending;
        len = ctx->pending_len;
        ctx->pending_len = 0;

        rc = ngx_http_vod_form_write(r, ctx, b, data, len);

        if (rc != NGX_OK) {
            return rc;
        }
    }

    if (ctx->resume) {
        b->pos = ctx->resume;
        ctx->resume = NULL;
    }

    pos = b->pos;

    for ( ;; ) {
        rc = ngx_vod_form_parse(ctx->form, &pos, b->last, &data, &len, &err);

        b->pos = (u_char *) pos;

        switch (rc) {

        case NGX_VOD_FORM_AGAIN:
            return NGX_OK;

        case NGX_VOD_FORM_PART:
            if (ngx_http_vod_form_part(r, ctx) != NGX_OK) {
                return NGX_ERROR;
            }

            if (ctx->stage == NGX_HTTP_VOD_FORM_APPLYING) {
                return NGX_AGAIN;
            }

            break;

        case NGX_VOD_FORM_DATA:

            if (ctx->stage == NGX_HTTP_VOD_FORM_MEDIA) {
                ctx->media_len += len;
                rc = ngx_http_vod_form_write(r, ctx, b, data, len);

                if (rc != NGX_OK) {
                    return rc;
                }

                break;
            }

            if (ctx->in_field) {
                if (ctx->field_len + len > ctx->field_max) {
                    return ngx_http_vod_form_fail(r, ctx,
                               NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                               ctx->in_cover ? "CoverTooLarge"
                                             : "FieldTooLarge",
                               "the form's %s is over %uz bytes",
                               ctx->in_cover ? "cover" : "field",
                               ctx->field_max);
                }

                if (ctx->field_len + len > ctx->field_size
                    && ngx_http_vod_form_grow(r, ctx, ctx->field_len + len)
                       != NGX_OK)
                {
                    return ngx_http_vod_form_fail(r, ctx,
                               NGX_HTTP_INTERNAL_SERVER_ERROR,
                               "InternalError", "out of memory");
                }

                ngx_memcpy(ctx->field + ctx->field_len, data, len);
                ctx->field_len += len;
            }

            break;

        case NGX_VOD_FORM_END:

            if (ctx->stage == NGX_HTTP_VOD_FORM_MEDIA) {
                if (ctx->media_len == 0) {
                    return ngx_http_vod_form_fail(r, ctx,
                               NGX_HTTP_BAD_REQUEST, "EmptyMedia",
                               "the form's media is empty");
                }

                ctx->stage = NGX_HTTP_VOD_FORM_AFTER;
                break;
            }

            if (ctx->in_cover) {
                ctx->cover.data = ctx->field;
                ctx->cover.len = ctx->field_len;

                if (ctx->cover.len == 0) {
                    return ngx_http_vod_form_fail(r, ctx,
                               NGX_HTTP_BAD_REQUEST, "InvalidCover",
                               "the form's cover is empty");
                }

            } else if (ctx->in_field) {
                ((ngx_http_vod_form_field_t *) ctx->fields.elts
                 + ctx->fields.nelts - 1)->value.len = ctx->field_len;
            }

            ctx->in_field = 0;
            ctx->in_cover = 0;
            break;

        case NGX_VOD_FORM_DONE:

            if (ctx->stage != NGX_HTTP_VOD_FORM_AFTER) {
                return ngx_http_vod_form_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                                              "MissingMedia", "the form has "
                                              "no file field \"media\"");
            }

            ctx->stage = NGX_HTTP_VOD_FORM_OVER;
            b->pos = b->last;
            return NGX_OK;

        default: /* NGX_VOD_ERROR */
            return ngx_http_vod_form_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                                          "BadForm", "%s", err);
        }
    }
}


/* a part begins: a text field, the cover, or the media */

static ngx_int_t
ngx_http_vod_form_part(ngx_http_request_t *r, ngx_http_vod_form_ctx_t *ctx)
{
    u_char                     *p, *last, *dot;
    ngx_str_t                   name, type;
    ngx_vod_form_part_t        *part;
    ngx_http_vod_form_field_t  *field;

    part = &ctx->form->part;
    name.data = part->name.data;
    name.len = part->name.len;

    if (ctx->stage != NGX_HTTP_VOD_FORM_FIELDS_STAGE) {

        if (name.len == 5 && ngx_strncmp(name.data, "media", 5) == 0) {
            return ngx_http_vod_form_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                                          "BadForm", "the form has a second "
                                          "\"media\"");
        }

        if (name.len == 5 && ngx_strncmp(name.data, "cover", 5) == 0) {
            return ngx_http_vod_form_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                                          "BadForm", "the form's \"cover\" "
                                          "comes after the \"media\": it "
                                          "must come before");
        }

        /* what follows the media is not read */
        return NGX_OK;
    }

    if (name.len == 5 && ngx_strncmp(name.data, "media", 5) == 0) {
        if (part->filename.data == NULL) {
            return ngx_http_vod_form_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                                          "BadForm", "the form's \"media\" "
                                          "is not a file field");
        }

        return ngx_http_vod_form_media(r, ctx);
    }

    if (name.len == 5 && ngx_strncmp(name.data, "cover", 5) == 0) {

        if (ctx->cover.data) {
            return ngx_http_vod_form_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                                          "BadForm", "the form has a second "
                                          "\"cover\"");
        }

        /* its type from the file name's extension */

        last = part->filename.data + part->filename.len;
        dot = NULL;

        for (p = part->filename.data; p && p < last; p++) {
            if (*p == '.') {
                dot = p;
            }
        }

        type.len = dot ? (size_t) (last - dot - 1) : 0;
        type.data = ngx_pnalloc(r->pool, type.len + 1);
        if (type.data == NULL) {
            return ngx_http_vod_form_fail(r, ctx,
                                          NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          "InternalError", "out of memory");
        }

        if (dot) {
            ngx_strlow(type.data, dot + 1, type.len);
        }

        if (!ngx_vod_cover_type_valid(type.data, type.len)) {
            return ngx_http_vod_form_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                                          "InvalidCover", "the form's cover "
                                          "\"%V\" is not an image of a type "
                                          "VOD takes: jpg, jpeg, png, gif, "
                                          "bmp, tiff or webp",
                                          (ngx_str_t *) &part->filename);
        }

        ctx->cover_type = type;
        ctx->field_max = ctx->front.conf->cover_max_size;
        ctx->in_cover = 1;

    } else {
        if (ctx->fields.nelts == NGX_HTTP_VOD_FORM_FIELDS) {
            return ngx_http_vod_form_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                                          "BadForm", "the form has more than "
                                          "%d fields before the media",
                                          NGX_HTTP_VOD_FORM_FIELDS);
        }

        field = ngx_array_push(&ctx->fields);
        if (field == NULL) {
            return ngx_http_vod_form_fail(r, ctx,
                                          NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          "InternalError", "out of memory");
        }

        field->name.data = ngx_pnalloc(r->pool, name.len);
        if (field->name.data == NULL) {
            return ngx_http_vod_form_fail(r, ctx,
                                          NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          "InternalError", "out of memory");
        }

        ngx_memcpy(field->name.data, name.data, name.len);
        field->name.len = name.len;

        ctx->field_max = NGX_HTTP_VOD_FORM_FIELD_MAX;
    }

    ctx->field = ngx_pnalloc(r->pool, NGX_HTTP_VOD_FORM_FIELD_MAX);
    if (ctx->field == NULL) {
        return ngx_http_vod_form_fail(r, ctx,
                                      NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "InternalError", "out of memory");
    }

    ctx->field_size = NGX_HTTP_VOD_FORM_FIELD_MAX;

    if (!ctx->in_cover) {
        field = (ngx_http_vod_form_field_t *) ctx->fields.elts
                + ctx->fields.nelts - 1;
        field->value.data = ctx->field;
        field->value.len = 0;
    }

    ctx->field_len = 0;
    ctx->in_field = 1;

    return NGX_OK;
}


/*
 * room for a field of size bytes (a cover grows up to its maximum, by
 * doubling: the memory a cover takes is at most twice its size)
 */

static ngx_int_t
ngx_http_vod_form_grow(ngx_http_request_t *r, ngx_http_vod_form_ctx_t *ctx,
    size_t size)
{
    u_char  *p;
    size_t   n;

    n = ctx->field_size;

    while (n < size) {
        n *= 2;
    }

    n = ngx_min(n, ctx->field_max);

    p = ngx_pnalloc(r->pool, n);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, ctx->field, ctx->field_len);

    /* a large block goes back at once, a small one with the pool */
    (void) ngx_pfree(r->pool, ctx->field);

    ctx->field = p;
    ctx->field_size = n;

    return NGX_OK;
}


/* the media begins: ApplyUpload, with the parameters known by now */

static ngx_int_t
ngx_http_vod_form_media(ngx_http_request_t *r, ngx_http_vod_form_ctx_t *ctx)
{
    ngx_int_t    rc;
    ngx_str_t    file, error;

    /* the parser's buffers are the next part's: the name is copied */

    file.len = ctx->form->part.filename.len;
    file.data = ngx_pnalloc(r->pool, file.len);
    if (file.data == NULL) {
        return ngx_http_vod_form_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "InternalError", "out of memory");
    }

    ngx_memcpy(file.data, ctx->form->part.filename.data, file.len);

    rc = ngx_http_vod_upload_params(r, &ctx->front, &file, NULL,
                                    &ctx->apply);

    if (rc == NGX_DECLINED) {
        ngx_http_vod_upload_body_stop(r, &ctx->front.body);
        ngx_http_vod_upload_relay_fail(ctx->front.relay, ctx->front.status,
                                       (const char *) ctx->front.code.data,
                                       &ctx->front.message);
        return NGX_ERROR;
    }

    if (rc != NGX_OK) {
        return ngx_http_vod_form_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "InternalError", "out of memory");
    }

    if (ctx->cover.len) {
        ngx_http_vod_upload_relay_cover(ctx->front.relay, &ctx->cover_type,
                                        &ctx->cover);

    } else if (ctx->front.conf->cover_data.len) {
        ngx_http_vod_upload_relay_cover(ctx->front.relay,
                                        &ctx->front.conf->cover_type,
                                        &ctx->front.conf->cover_data);
    }

    rc = ngx_http_vod_upload_relay_start(ctx->front.relay, &ctx->apply,
                                         &error);

    if (rc == NGX_DECLINED) {
        return ngx_http_vod_form_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                                      "InvalidParameter", "%V", &error);
    }

    if (rc != NGX_OK) {
        return ngx_http_vod_form_fail(r, ctx, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "InternalError", "ApplyUpload could "
                                      "not be sent");
    }

    ctx->stage = NGX_HTTP_VOD_FORM_APPLYING;

    return NGX_OK;
}


/* ApplyUpload is done: the media's bytes may come */

static void
ngx_http_vod_form_ready(ngx_http_request_t *r)
{
    ngx_http_vod_form_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    ctx->stage = NGX_HTTP_VOD_FORM_MEDIA;

    ngx_http_vod_upload_body_resume(r, &ctx->front.body);
}


/*
 * While the media comes: the body is read into the engine's part buffer,
 * past the bytes the parser holds (a partial delimiter), which come
 * first if they turn out to be media.  Bytes of the form around the
 * media's land there too; the media's own are moved down over them
 * (ngx_http_vod_upload_relay_write()), no copy otherwise.
 */

static ngx_int_t
ngx_http_vod_form_window(ngx_http_request_t *r, u_char **p, size_t *n,
    ngx_uint_t waiting)
{
    size_t                    held;
    ngx_int_t                 rc;
    ngx_http_vod_form_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    if (ctx->stage != NGX_HTTP_VOD_FORM_MEDIA || ctx->pending_len
        || ctx->resume)
    {
        return NGX_DECLINED;
    }

    rc = ngx_http_vod_upload_relay_window(ctx->front.relay, p, n, waiting);

    if (rc != NGX_OK) {
        return rc;
    }

    held = ctx->form->match;

    if (*n <= held) {
        return NGX_DECLINED;
    }

    *p += held;
    *n -= held;

    return NGX_OK;
}


/*
 * Bytes of the media into the engine.  What it cannot take waits: bytes
 * of the body's buffer stay in it (in->pos back at them, so that nginx
 * keeps the buffer and reads no more until they are taken), the parser's
 * own bytes in it.  NGX_OK, NGX_AGAIN (the reader pauses), NGX_ERROR.
 */

static ngx_int_t
ngx_http_vod_form_write(ngx_http_request_t *r, ngx_http_vod_form_ctx_t *ctx,
    ngx_buf_t *in, const u_char *data, size_t len)
{
    ngx_int_t  rc;
    ngx_buf_t  b;

    ngx_memzero(&b, sizeof(ngx_buf_t));
    b.pos = (u_char *) data;
    b.last = (u_char *) data + len;

    rc = ngx_http_vod_upload_relay_write(ctx->front.relay, &b);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (b.pos == b.last) {
        return NGX_OK;
    }

    ctx->pending = b.pos;
    ctx->pending_len = b.last - b.pos;

    /* not the delimiter's own bytes: the body buffer's */

    if (b.pos < ctx->form->delimiter
        || b.pos >= ctx->form->delimiter + sizeof(ctx->form->delimiter))
    {
        if (ctx->resume == NULL) {
            ctx->resume = in->pos;
        }

        in->pos = b.pos;
    }

    return NGX_AGAIN;
}


/* a client mistake in the form: logged, the upload failed (cleaned up) */

static ngx_int_t
ngx_http_vod_form_fail(ngx_http_request_t *r, ngx_http_vod_form_ctx_t *ctx,
    ngx_uint_t status, const char *code, const char *fmt, ...)
{
    va_list  args;

    ngx_http_vod_upload_body_stop(r, &ctx->front.body);

    va_start(args, fmt);
    (void) ngx_http_vod_upload_vbad(r, &ctx->front, status, code, fmt, args);
    va_end(args);

    ngx_http_vod_upload_relay_fail(ctx->front.relay, status, code,
                                   ctx->front.message.data
                                   ? &ctx->front.message : NULL);

    return NGX_ERROR;
}


/* the body ended: the form must have been whole */

static void
ngx_http_vod_form_end(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_http_vod_form_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_vod_upload_module);

    if (rc == NGX_OK && ctx->stage != NGX_HTTP_VOD_FORM_OVER) {
        (void) ngx_http_vod_form_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                                      "BadForm", "the form ends before its "
                                      "closing delimiter");
        return;
    }

    ngx_http_vod_upload_front_end(r, rc);
}


/* $vod_upload_form_<name>: a text field that came before the media */

static ngx_int_t
ngx_http_vod_form_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t *name = (ngx_str_t *) data;

    size_t                      i, len;
    u_char                     *key;
    ngx_http_vod_form_ctx_t    *ctx;
    ngx_http_vod_form_field_t  *f;

    ctx = (ngx_http_vod_form_ctx_t *) ngx_http_vod_upload_front_get(r);

    len = sizeof("vod_upload_form_") - 1;

    if (ctx == NULL || !ctx->front.form || name->len <= len) {
        return ngx_http_vod_upload_variable_value(v, NULL, 0, 0);
    }

    key = name->data + len;
    len = name->len - len;
    f = ctx->fields.elts;

    for (i = 0; i < ctx->fields.nelts; i++) {
        if (f[i].name.len == len
            && ngx_strncasecmp(f[i].name.data, key, len) == 0)
        {
            return ngx_http_vod_upload_variable_value(v, f[i].value.data,
                                                      f[i].value.len, 1);
        }
    }

    return ngx_http_vod_upload_variable_value(v, NULL, 0, 0);
}
