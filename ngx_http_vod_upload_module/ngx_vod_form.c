
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * multipart/form-data, streamed: see ngx_vod_form.h.
 */


#include "ngx_vod_form.h"

#include <string.h>


enum {
    NGX_VOD_FORM_PREAMBLE = 0,      /* before the first delimiter */
    NGX_VOD_FORM_AFTER,             /* after one: "--", or padding CRLF */
    NGX_VOD_FORM_HEADERS,
    NGX_VOD_FORM_BODY,
    NGX_VOD_FORM_CLOSED
};


static int ngx_vod_form_delimiter(ngx_vod_form_t *f, const u_char **pos,
    const u_char *last, const u_char **data, size_t *len, int keep);
static int ngx_vod_form_after(ngx_vod_form_t *f, const u_char **pos,
    const u_char *last, const char **error);
static int ngx_vod_form_headers(ngx_vod_form_t *f, const char **error);
static int ngx_vod_form_disposition(ngx_vod_form_t *f, const u_char *p,
    const u_char *last, const char **error);
static const u_char *ngx_vod_form_value(const u_char *p, const u_char *last,
    ngx_vod_str_t *v, u_char *buf, size_t size);
static int ngx_vod_form_ext_value(ngx_vod_str_t *v, u_char *buf);
static int ngx_vod_form_bchar(u_char c);


int
ngx_vod_form_init(ngx_vod_form_t *f, const u_char *content_type,
    size_t len, const char **error)
{
    size_t         n;
    ngx_vod_str_t  b;
    const u_char  *p, *last;
    u_char         buf[NGX_VOD_FORM_BOUNDARY_MAX + 1];

    memset(f, 0, sizeof(ngx_vod_form_t));

    p = content_type;
    last = content_type + len;

    if (!ngx_vod_casestarts(p, last, "multipart/form-data")) {
        *error = "the Content-Type is not multipart/form-data";
        return NGX_VOD_ERROR;
    }

    p += sizeof("multipart/form-data") - 1;

    /* the parameters: ; name=value, boundary among them */

    b.data = NULL;
    b.len = 0;

    while (p < last) {
        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == last) {
            break;
        }

        if (*p != ';') {
            *error = "the Content-Type's parameters are not valid";
            return NGX_VOD_ERROR;
        }

        p++;

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (ngx_vod_casestarts(p, last, "boundary=")) {
            p = ngx_vod_form_value(p + sizeof("boundary=") - 1, last, &b,
                                   buf, sizeof(buf));
            if (p == NULL || b.len > NGX_VOD_FORM_BOUNDARY_MAX) {
                *error = "the form's boundary is longer than 70 characters "
                         "or not valid";
                return NGX_VOD_ERROR;
            }

            continue;
        }

        /* another parameter: skipped */

        while (p < last && *p != ';') {
            if (*p == '"') {
                for (p++; p < last && *p != '"'; p++) {
                    if (*p == '\\' && p + 1 < last) {
                        p++;
                    }
                }
            }

            if (p < last) {
                p++;
            }
        }
    }

    if (b.len == 0) {
        *error = "the Content-Type has no boundary";
        return NGX_VOD_ERROR;
    }

    for (n = 0; n < b.len; n++) {
        if (!ngx_vod_form_bchar(b.data[n])
            || (b.data[n] == ' ' && n == b.len - 1))
        {
            *error = "the form's boundary has a character RFC 2046 does "
                     "not allow";
            return NGX_VOD_ERROR;
        }
    }

    memcpy(f->delimiter, "\r\n--", 4);
    memcpy(f->delimiter + 4, b.data, b.len);
    f->delimiter_len = 4 + b.len;

    /* the first delimiter may open the body: as if after a CRLF */

    f->match = 2;
    f->state = NGX_VOD_FORM_PREAMBLE;

    return NGX_VOD_OK;
}


int
ngx_vod_form_parse(ngx_vod_form_t *f, const u_char **pos, const u_char *last,
    const u_char **data, size_t *len, const char **error)
{
    int            rc;
    const u_char  *p;

    for ( ;; ) {

        switch (f->state) {

        case NGX_VOD_FORM_PREAMBLE:
            rc = ngx_vod_form_delimiter(f, pos, last, data, len, 0);

            if (rc != NGX_VOD_FORM_END) {
                return rc;
            }

            f->state = NGX_VOD_FORM_AFTER;
            f->after = 0;
            break;

        case NGX_VOD_FORM_AFTER:
            rc = ngx_vod_form_after(f, pos, last, error);

            if (rc != NGX_VOD_OK) {
                return rc;
            }

            break;

        case NGX_VOD_FORM_HEADERS:

            for (p = *pos; p < last; p++) {
                if (f->headers_len == NGX_VOD_FORM_HEADERS_MAX) {
                    *error = "a part's headers are longer than 4096 bytes";
                    return NGX_VOD_ERROR;
                }

                f->headers[f->headers_len++] = *p;

                if (*p == '\n'
                    && (f->headers_len < 2
                        || f->headers[f->headers_len - 2] != '\r'))
                {
                    *error = "a part's header line ends without CRLF";
                    return NGX_VOD_ERROR;
                }

                if (*p == '\n'
                    && (f->headers_len == 2
                        || (f->headers_len >= 4
                            && memcmp(f->headers + f->headers_len - 4,
                                      "\r\n\r\n", 4) == 0)))
                {
                    break;
                }
            }

            if (p == last) {
                *pos = last;
                return NGX_VOD_FORM_AGAIN;
            }

            *pos = p + 1;

            if (ngx_vod_form_headers(f, error) != NGX_VOD_OK) {
                return NGX_VOD_ERROR;
            }

            f->state = NGX_VOD_FORM_BODY;
            f->match = 0;

            return NGX_VOD_FORM_PART;

        case NGX_VOD_FORM_BODY:
            rc = ngx_vod_form_delimiter(f, pos, last, data, len, 1);

            if (rc == NGX_VOD_FORM_END) {
                f->state = NGX_VOD_FORM_AFTER;
                f->after = 0;
            }

            return rc;

        default: /* NGX_VOD_FORM_CLOSED: the epilogue, ignored */
            *pos = last;
            return NGX_VOD_FORM_DONE;
        }
    }
}


/*
 * Bytes up to the next delimiter ("\r\n--boundary"): given as DATA when
 * keep (a part's body), skipped otherwise (the preamble); NGX_VOD_FORM_END
 * at the delimiter.  The bytes of a partial match are held (they are the
 * delimiter's own first bytes): when the match fails they are given from
 * f->delimiter.
 */

static int
ngx_vod_form_delimiter(ngx_vod_form_t *f, const u_char **pos,
    const u_char *last, const u_char **data, size_t *len, int keep)
{
    size_t         held;
    const u_char  *p, *q;

    p = *pos;

    for ( ;; ) {

        if (f->match == 0) {

            if (p == last) {
                *pos = p;
                return NGX_VOD_FORM_AGAIN;
            }

            q = memchr(p, '\r', last - p);

            if (q == NULL) {
                q = last;
            }

            if (q > p) {
                *pos = q;

                if (keep) {
                    *data = p;
                    *len = q - p;
                    return NGX_VOD_FORM_DATA;
                }

                p = q;
                continue;
            }
        }

        while (p < last && f->match < f->delimiter_len
               && *p == f->delimiter[f->match])
        {
            f->match++;
            p++;
        }

        if (f->match == f->delimiter_len) {
            f->match = 0;
            *pos = p;
            return NGX_VOD_FORM_END;
        }

        if (p == last) {
            *pos = p;
            return NGX_VOD_FORM_AGAIN;
        }

        /* not a delimiter: what was held is data, *p is looked at again */

        held = f->match;
        f->match = 0;

        if (keep && held) {
            *pos = p;
            *data = f->delimiter;
            *len = held;
            return NGX_VOD_FORM_DATA;
        }

        if (held == 0) {
            /* a CR that does not begin a delimiter: one byte of data */

            if (keep) {
                *pos = p + 1;
                *data = p;
                *len = 1;
                return NGX_VOD_FORM_DATA;
            }

            p++;
        }
    }
}


/* after a delimiter: "--" closes the form; padding and CRLF open a part */

static int
ngx_vod_form_after(ngx_vod_form_t *f, const u_char **pos, const u_char *last,
    const char **error)
{
    const u_char  *p;

    for (p = *pos; p < last; p++) {

        switch (f->after) {

        case 0:
            if (*p == '-') {
                f->after = 1;

            } else if (*p == '\r') {
                f->after = 2;

            } else if (*p != ' ' && *p != '\t') {
                *error = "a delimiter is followed by something else than a "
                         "line end";
                return NGX_VOD_ERROR;
            }

            break;

        case 1:
            if (*p != '-') {
                *error = "a delimiter is followed by a single \"-\"";
                return NGX_VOD_ERROR;
            }

            *pos = p + 1;
            f->state = NGX_VOD_FORM_CLOSED;
            return NGX_VOD_OK;

        default: /* 2: after a CR */
            if (*p != '\n') {
                *error = "a line ends without CRLF";
                return NGX_VOD_ERROR;
            }

            *pos = p + 1;
            f->state = NGX_VOD_FORM_HEADERS;
            f->headers_len = 0;
            return NGX_VOD_OK;
        }
    }

    *pos = last;
    return NGX_VOD_FORM_AGAIN;
}


/* a part's header block, whole: Content-Disposition and Content-Type */

static int
ngx_vod_form_headers(ngx_vod_form_t *f, const char **error)
{
    int            disposition;
    const u_char  *p, *last, *eol, *colon, *v, *vlast;

    memset(&f->part, 0, sizeof(ngx_vod_form_part_t));

    disposition = 0;
    p = f->headers;
    last = f->headers + f->headers_len;

    while (p < last) {
        eol = memchr(p, '\n', last - p);

        if (eol == NULL || eol == p || eol[-1] != '\r') {
            *error = "a part's header line ends without CRLF";
            return NGX_VOD_ERROR;
        }

        if (eol - 1 == p) {
            break;                          /* the empty line */
        }

        colon = memchr(p, ':', eol - 1 - p);

        if (colon == NULL || colon == p) {
            *error = "a part's header line is not \"Name: value\"";
            return NGX_VOD_ERROR;
        }

        for (v = colon + 1; v < eol - 1 && (*v == ' ' || *v == '\t'); v++) {
            /* void */
        }

        for (vlast = eol - 1; vlast > v && (vlast[-1] == ' '
                                             || vlast[-1] == '\t');
             vlast--)
        {
            /* void */
        }

        if (colon - p == sizeof("Content-Disposition") - 1
            && ngx_vod_casestarts(p, colon, "Content-Disposition"))
        {
            if (disposition) {
                *error = "a part has two Content-Disposition headers";
                return NGX_VOD_ERROR;
            }

            disposition = 1;

            if (ngx_vod_form_disposition(f, v, vlast, error)
                != NGX_VOD_OK)
            {
                return NGX_VOD_ERROR;
            }

        } else if (colon - p == sizeof("Content-Type") - 1
                   && ngx_vod_casestarts(p, colon, "Content-Type"))
        {
            f->part.content_type.data = (u_char *) v;
            f->part.content_type.len = vlast - v;
        }

        p = eol + 1;
    }

    if (!disposition) {
        *error = "a part has no Content-Disposition";
        return NGX_VOD_ERROR;
    }

    return NGX_VOD_OK;
}


/*
 * form-data; name="..."; filename="..."; filename*=UTF-8''... (RFC 5987,
 * preferred to filename)
 */

static int
ngx_vod_form_disposition(ngx_vod_form_t *f, const u_char *p,
    const u_char *last, const char **error)
{
    int            ext, kind;
    ngx_vod_str_t  v, name, filename, ext_name;
    const u_char  *n;

    if (!ngx_vod_casestarts(p, last, "form-data")) {
        *error = "a part's Content-Disposition is not form-data";
        return NGX_VOD_ERROR;
    }

    p += sizeof("form-data") - 1;

    name.data = NULL;
    filename.data = NULL;
    ext_name.data = NULL;
    name.len = filename.len = ext_name.len = 0;
    ext = 0;

    while (p < last) {
        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == last) {
            break;
        }

        if (*p++ != ';') {
            *error = "a part's Content-Disposition is not valid";
            return NGX_VOD_ERROR;
        }

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        n = p;

        while (p < last && *p != '=' && *p != ';') {
            p++;
        }

        if (p == last || *p != '=') {
            *error = "a part's Content-Disposition has a parameter without "
                     "a value";
            return NGX_VOD_ERROR;
        }

        kind = ngx_vod_casestarts(n, last, "name=") ? 1
               : ngx_vod_casestarts(n, last, "filename*=") ? 2
               : ngx_vod_casestarts(n, last, "filename=") ? 3 : 0;

        /* the values are decoded in place: they only get shorter */

        p = ngx_vod_form_value(p + 1, last, &v, (u_char *) n, last - n);

        if (p == NULL) {
            *error = "a part's Content-Disposition has a quoted value that "
                     "does not end";
            return NGX_VOD_ERROR;
        }

        switch (kind) {

        case 1:
            name = v;
            break;

        case 2:
            ext_name = v;
            ext = 1;
            break;

        case 3:
            filename = v;
            break;

        default:
            break;
        }
    }

    if (name.data == NULL || name.len == 0) {
        *error = "a part's Content-Disposition has no name";
        return NGX_VOD_ERROR;
    }

    f->part.name = name;

    /* names that would end up in logs and answers: no control bytes */

    for (p = name.data; p < name.data + name.len; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            *error = "a part's name has a control character";
            return NGX_VOD_ERROR;
        }
    }

    if (ext) {
        if (ngx_vod_form_ext_value(&ext_name, f->filename) != NGX_VOD_OK) {
            *error = "a part's filename* is not UTF-8''percent-encoded";
            return NGX_VOD_ERROR;
        }

        f->part.filename = ext_name;

    } else if (filename.data) {
        f->part.filename = filename;

        if (filename.len == 0) {
            /* a file field left empty: a file, without a name */
            f->part.filename.data = (u_char *) "";
        }
    }

    for (p = f->part.filename.data;
         p && p < f->part.filename.data + f->part.filename.len;
         p++)
    {
        if (*p < 0x20 || *p == 0x7f) {
            *error = "a part's file name has a control character";
            return NGX_VOD_ERROR;
        }
    }

    return NGX_VOD_OK;
}


/*
 * A parameter's value, a token or a quoted string (\" and \\ escape the
 * next character), written unquoted to buf (which may be where it is
 * read from: it only gets shorter), at most size bytes.  Returns what
 * follows, or NULL (a quote that does not end, a value over size).
 */

static const u_char *
ngx_vod_form_value(const u_char *p, const u_char *last, ngx_vod_str_t *v,
    u_char *buf, size_t size)
{
    u_char  *d, *end;

    d = buf;
    end = buf + size;
    v->data = buf;

    if (p < last && *p == '"') {
        for (p++; p < last && *p != '"'; p++) {
            if (*p == '\\' && p + 1 < last) {
                p++;
            }

            if (d == end) {
                return NULL;
            }

            *d++ = *p;
        }

        if (p == last) {
            return NULL;
        }

        p++;

    } else {
        while (p < last && *p != ';' && *p != ' ' && *p != '\t') {
            if (d == end) {
                return NULL;
            }

            *d++ = *p++;
        }
    }

    v->len = d - buf;

    return p;
}


/* RFC 5987: charset'language'percent-encoded, UTF-8 only */

static int
ngx_vod_form_ext_value(ngx_vod_str_t *v, u_char *buf)
{
    u_char        *d, c, h;
    size_t         i;
    const u_char  *p, *last, *q;

    p = v->data;
    last = v->data + v->len;

    if (!ngx_vod_casestarts(p, last, "UTF-8'")) {
        return NGX_VOD_ERROR;
    }

    p += sizeof("UTF-8'") - 1;

    q = memchr(p, '\'', last - p);
    if (q == NULL) {
        return NGX_VOD_ERROR;
    }

    d = buf;

    for (p = q + 1; p < last; p++) {
        if (*p != '%') {
            *d++ = *p;
            continue;
        }

        if (last - p < 3) {
            return NGX_VOD_ERROR;
        }

        c = 0;

        for (i = 1; i <= 2; i++) {
            h = p[i];

            if (h >= '0' && h <= '9') {
                h -= '0';

            } else if ((h | 0x20) >= 'a' && (h | 0x20) <= 'f') {
                h = (h | 0x20) - 'a' + 10;

            } else {
                return NGX_VOD_ERROR;
            }

            c = (u_char) (c * 16 + h);
        }

        *d++ = c;
        p += 2;
    }

    v->data = buf;
    v->len = d - buf;

    return NGX_VOD_OK;
}


/* RFC 2046 bchars: DIGIT / ALPHA / "'()+_,-./:=?" and space (not last) */

static int
ngx_vod_form_bchar(u_char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
           || (c >= 'A' && c <= 'Z')
           || (c != '\0' && strchr("'()+_,-./:=? ", c) != NULL);
}
