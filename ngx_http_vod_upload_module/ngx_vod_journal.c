
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 */


#include "ngx_vod_journal.h"


#define NGX_VOD_JOURNAL_HEAD   "vod-upload-journal 1\n"
#define NGX_VOD_JOURNAL_N      7
#define NGX_VOD_JOURNAL_NUM    20      /* digits of a non-negative int64 */


typedef struct {
    const char             *name;
    size_t                  offset;
    unsigned                required:1;
    unsigned                number:1;
} ngx_vod_journal_field_t;


static const ngx_vod_journal_field_t  ngx_vod_journal_fields[] = {
    { "host", offsetof(ngx_vod_journal_rec_t, host), 1, 0 },
    { "key", offsetof(ngx_vod_journal_rec_t, key), 1, 0 },
    { "upload_id", offsetof(ngx_vod_journal_rec_t, upload_id), 0, 0 },
    { "secret_id", offsetof(ngx_vod_journal_rec_t, secret_id), 1, 0 },
    { "secret_key", offsetof(ngx_vod_journal_rec_t, secret_key), 1, 0 },
    { "token", offsetof(ngx_vod_journal_rec_t, token), 0, 0 },
    { "expires", offsetof(ngx_vod_journal_rec_t, expires), 1, 1 },
};


static int ngx_vod_journal_value_ok(const ngx_vod_str_t *v);
static size_t ngx_vod_journal_number(u_char *p, int64_t n);
static int ngx_vod_journal_parse_number(const u_char *p, size_t len,
    int64_t *n);


size_t
ngx_vod_journal_size(const ngx_vod_journal_rec_t *rec)
{
    size_t                          size, i;
    const ngx_vod_str_t            *v;
    const ngx_vod_journal_field_t  *f;

    if (rec->key.len == 0 || rec->key.data[0] != '/' || rec->expires < 0) {
        return 0;
    }

    size = sizeof(NGX_VOD_JOURNAL_HEAD) - 1;

    for (i = 0; i < NGX_VOD_JOURNAL_N; i++) {
        f = &ngx_vod_journal_fields[i];

        size += strlen(f->name) + 2;

        if (f->number) {
            size += NGX_VOD_JOURNAL_NUM;
            continue;
        }

        v = (const ngx_vod_str_t *) ((const u_char *) rec + f->offset);

        if ((f->required && v->len == 0) || !ngx_vod_journal_value_ok(v)) {
            return 0;
        }

        size += v->len;
    }

    return (size <= NGX_VOD_JOURNAL_MAX) ? size : 0;
}


u_char *
ngx_vod_journal_write(u_char *p, const ngx_vod_journal_rec_t *rec)
{
    size_t                          i, n;
    const ngx_vod_str_t            *v;
    const ngx_vod_journal_field_t  *f;

    memcpy(p, NGX_VOD_JOURNAL_HEAD, sizeof(NGX_VOD_JOURNAL_HEAD) - 1);
    p += sizeof(NGX_VOD_JOURNAL_HEAD) - 1;

    for (i = 0; i < NGX_VOD_JOURNAL_N; i++) {
        f = &ngx_vod_journal_fields[i];

        n = strlen(f->name);
        memcpy(p, f->name, n);
        p += n;
        *p++ = ' ';

        if (f->number) {
            p += ngx_vod_journal_number(p, rec->expires);

        } else {
            v = (const ngx_vod_str_t *) ((const u_char *) rec + f->offset);

            if (v->len) {
                memcpy(p, v->data, v->len);
                p += v->len;
            }
        }

        *p++ = '\n';
    }

    return p;
}


int
ngx_vod_journal_parse(const u_char *data, size_t len,
    ngx_vod_journal_rec_t *rec, const char **error)
{
    size_t                          i, n;
    unsigned                        seen;
    const u_char                   *p, *end, *eol, *sp;
    ngx_vod_str_t                  *v;
    const ngx_vod_journal_field_t  *f;

    memset(rec, 0, sizeof(ngx_vod_journal_rec_t));

    n = sizeof(NGX_VOD_JOURNAL_HEAD) - 1;

    if (len > NGX_VOD_JOURNAL_MAX || len < n
        || memcmp(data, NGX_VOD_JOURNAL_HEAD, n) != 0)
    {
        *error = "not a journal record";
        return NGX_VOD_ERROR;
    }

    p = data + n;
    end = data + len;
    seen = 0;

    while (p < end) {
        eol = memchr(p, '\n', end - p);
        sp = memchr(p, ' ', (eol ? eol : end) - p);

        if (eol == NULL || sp == NULL) {
            *error = "a line without a name, a value and LF";
            return NGX_VOD_ERROR;
        }

        for (i = 0; i < NGX_VOD_JOURNAL_N; i++) {
            f = &ngx_vod_journal_fields[i];

            if (strlen(f->name) == (size_t) (sp - p)
                && memcmp(f->name, p, sp - p) == 0)
            {
                break;
            }
        }

        if (i == NGX_VOD_JOURNAL_N) {
            *error = "an unknown name";
            return NGX_VOD_ERROR;
        }

        if (seen & (1u << i)) {
            *error = "a name twice";
            return NGX_VOD_ERROR;
        }

        seen |= 1u << i;
        sp++;

        if (f->number) {
            if (!ngx_vod_journal_parse_number(sp, eol - sp, &rec->expires)) {
                *error = "expires is not a number";
                return NGX_VOD_ERROR;
            }

        } else {
            v = (ngx_vod_str_t *) ((u_char *) rec + f->offset);
            v->data = (u_char *) sp;
            v->len = eol - sp;

            if (!ngx_vod_journal_value_ok(v)) {
                *error = "a value with CR or NUL";
                return NGX_VOD_ERROR;
            }
        }

        p = eol + 1;
    }

    for (i = 0; i < NGX_VOD_JOURNAL_N; i++) {
        f = &ngx_vod_journal_fields[i];
        v = (ngx_vod_str_t *) ((u_char *) rec + f->offset);

        if (f->required
            && (!(seen & (1u << i)) || (!f->number && v->len == 0)))
        {
            *error = "a required name is missing or empty";
            return NGX_VOD_ERROR;
        }
    }

    if (rec->key.data[0] != '/') {
        *error = "the key does not start with \"/\"";
        return NGX_VOD_ERROR;
    }

    return NGX_VOD_OK;
}


static int
ngx_vod_journal_value_ok(const ngx_vod_str_t *v)
{
    size_t  i;

    for (i = 0; i < v->len; i++) {
        if (v->data[i] == '\n' || v->data[i] == '\r' || v->data[i] == '\0') {
            return 0;
        }
    }

    return 1;
}


/* a non-negative number in decimal: its length */

static size_t
ngx_vod_journal_number(u_char *p, int64_t n)
{
    size_t  len, i;
    u_char  digits[NGX_VOD_JOURNAL_NUM];

    len = 0;

    do {
        digits[len++] = (u_char) ('0' + n % 10);
        n /= 10;
    } while (n);

    for (i = 0; i < len; i++) {
        p[i] = digits[len - 1 - i];
    }

    return len;
}


static int
ngx_vod_journal_parse_number(const u_char *p, size_t len, int64_t *n)
{
    size_t  i;

    if (len == 0 || len > 18) {
        return 0;
    }

    *n = 0;

    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return 0;
        }

        *n = *n * 10 + (p[i] - '0');
    }

    return 1;
}
