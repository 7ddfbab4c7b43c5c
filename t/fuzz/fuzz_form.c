
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * libFuzzer target of the multipart/form-data parser (ngx_vod_form.c).
 * The input: a Content-Type line (up to the first '\n'), then the body.
 * The body is parsed twice: at once, and in pieces whose sizes come from
 * the input's own bytes; the events (parts' headers, data (in whatever
 * pieces it comes), ends, the closing delimiter or the error) must be the
 * same, every data pointer
 * must lie in the input or the parser's own buffers, and nothing may read
 * or write out of bounds (built with ASan and UBSan: make fuzz).
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_vod_form.h"


typedef struct {
    u_char  *p;
    size_t   len;
    size_t   size;
} out_t;


static void
put(out_t *o, const void *data, size_t len)
{
    if (o->len + len > o->size) {
        o->size = (o->len + len) * 2 + 64;
        o->p = realloc(o->p, o->size);
        if (o->p == NULL) {
            abort();
        }
    }

    memcpy(o->p + o->len, data, len);
    o->len += len;
}


static void
put_str(out_t *o, const ngx_vod_str_t *s)
{
    size_t  len;

    len = s->data ? s->len : 0;
    put(o, &len, sizeof(len));

    if (len) {
        put(o, s->data, len);
    }
}


/* the events of body fed in pieces: sizes[i] (0: the rest), in turn */

static void
run(const u_char *type, size_t type_len, const u_char *body, size_t len,
    const uint8_t *sizes, size_t nsizes, out_t *o)
{
    int                rc, prev;
    u_char             ev;
    size_t             n, piece, dlen, k;
    const char        *err;
    const u_char      *pos, *last, *data;
    ngx_vod_form_t    *f;

    f = malloc(sizeof(ngx_vod_form_t));
    if (f == NULL) {
        abort();
    }

    if (ngx_vod_form_init(f, type, type_len, &err) != NGX_VOD_OK) {
        put(o, "!", 1);
        put(o, err, strlen(err));
        free(f);
        return;
    }

    n = 0;
    k = 0;
    prev = 0;

    for ( ;; ) {
        piece = nsizes ? sizes[k++ % nsizes] : 0;
        piece = piece ? piece : len - n;

        pos = body + n;
        last = body + (n + piece < len ? n + piece : len);

        for ( ;; ) {
            rc = ngx_vod_form_parse(f, &pos, last, &data, &dlen, &err);

            if (pos < body + n || pos > last) {
                abort();                /* the position left its input */
            }

            if (rc == NGX_VOD_FORM_AGAIN) {
                break;
            }

            /* a part's data may come in any number of DATA events */
            if (rc != NGX_VOD_FORM_DATA || prev != NGX_VOD_FORM_DATA) {
                ev = (u_char) rc;
                put(o, &ev, 1);
            }

            prev = rc;

            switch (rc) {

            case NGX_VOD_FORM_PART:
                put_str(o, &f->part.name);
                put_str(o, &f->part.filename);
                put_str(o, &f->part.content_type);
                break;

            case NGX_VOD_FORM_DATA:
                if (!((data >= body && data + dlen <= body + len)
                      || (data >= (u_char *) f
                          && data + dlen <= (u_char *) (f + 1))))
                {
                    abort();            /* data out of the input and f */
                }

                put(o, data, dlen);
                break;

            case NGX_VOD_FORM_END:
                break;

            case NGX_VOD_FORM_DONE:
                free(f);
                return;

            default:
                put(o, err, strlen(err));
                free(f);
                return;
            }
        }

        if (last == body + len) {
            break;
        }

        n = last - body;
    }

    put(o, "(more)", 6);
    free(f);
}


int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    out_t           whole, pieces;
    size_t          type_len, nsizes;
    const uint8_t  *nl, *body, *sizes;

    nl = memchr(in, '\n', size < 256 ? size : 256);
    if (nl == NULL) {
        return 0;
    }

    type_len = nl - in;
    body = nl + 1;

    /* the pieces' sizes: the last bytes of the input, up to 8 */
    nsizes = (size - type_len - 1) < 8 ? (size - type_len - 1) : 8;
    sizes = in + size - nsizes;

    memset(&whole, 0, sizeof(out_t));
    memset(&pieces, 0, sizeof(out_t));

    run(in, type_len, body, size - type_len - 1, NULL, 0, &whole);
    run(in, type_len, body, size - type_len - 1, sizes, nsizes, &pieces);

    if (whole.len != pieces.len
        || (whole.len && memcmp(whole.p, pieces.p, whole.len) != 0))
    {
        fprintf(stderr, "fed in pieces, the form's events differ\n");
        abort();
    }

    free(whole.p);
    free(pieces.p);

    return 0;
}
