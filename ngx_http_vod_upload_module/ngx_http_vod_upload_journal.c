
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * The journal's records: written when a multipart upload may exist (an
 * Initiate goes out), rewritten with its upload id, deleted once nothing
 * of it is left behind.  A record is written whole to "<name>.tmp" and
 * renamed, so that a reader never sees half of one.  It holds the
 * temporary credentials of the upload: mode 0600.
 */


#include "ngx_http_vod_upload_journal.h"
#include "ngx_vod_journal.h"


static ngx_uint_t  ngx_http_vod_journal_seq;


ngx_int_t
ngx_http_vod_upload_journal_write(ngx_http_request_t *r, ngx_str_t *name,
    ngx_http_vod_cos_t *cos, ngx_str_t *upload_id)
{
    size_t                            size;
    u_char                           *p, *buf, *tmp;
    ngx_fd_t                          fd;
    ngx_err_t                         err;
    ngx_vod_journal_rec_t             rec;
    ngx_http_vod_upload_main_conf_t  *vmcf;

    vmcf = ngx_http_get_module_main_conf(r, ngx_http_vod_upload_module);

    if (vmcf->journal == NULL) {
        return NGX_OK;
    }

    rec.host.data = cos->host.data;
    rec.host.len = cos->host.len;
    rec.key.data = cos->key.data;
    rec.key.len = cos->key.len;
    rec.upload_id.data = upload_id->data;
    rec.upload_id.len = upload_id->len;
    rec.secret_id.data = cos->secret_id.data;
    rec.secret_id.len = cos->secret_id.len;
    rec.secret_key.data = cos->secret_key.data;
    rec.secret_key.len = cos->secret_key.len;
    rec.token.data = cos->token.data;
    rec.token.len = cos->token.len;
    rec.expires = cos->expires;

    size = ngx_vod_journal_size(&rec);

    if (size == 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod upload: the multipart upload of %V%V cannot be "
                      "journaled (a value holds a line break): a worker "
                      "stopped now would leave it behind", &cos->host,
                      &cos->key);
        return NGX_ERROR;
    }

    if (name->len == 0) {
        p = ngx_pnalloc(r->pool, vmcf->journal->name.len
                                 + sizeof("/--.rec") - 1
                                 + 3 * NGX_INT64_LEN + 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        name->data = p;
        name->len = ngx_sprintf(p, "%V/%P-%uA-%ui.rec%Z",
                                &vmcf->journal->name, ngx_pid,
                                r->connection->number,
                                ngx_http_vod_journal_seq++)
                    - p - 1;
    }

    buf = ngx_pnalloc(r->pool, size + name->len + sizeof(".tmp"));
    if (buf == NULL) {
        return NGX_ERROR;
    }

    p = ngx_vod_journal_write(buf, &rec);
    size = p - buf;

    tmp = p;
    (void) ngx_sprintf(tmp, "%V.tmp%Z", name);

    fd = ngx_open_file(tmp, NGX_FILE_WRONLY, NGX_FILE_TRUNCATE, 0600);

    if (fd == NGX_INVALID_FILE) {
        err = ngx_errno;
        goto failed;
    }

    if (write(fd, buf, size) != (ssize_t) size) {
        err = ngx_errno;
        (void) ngx_close_file(fd);
        (void) ngx_delete_file(tmp);
        goto failed;
    }

    if (ngx_close_file(fd) == NGX_FILE_ERROR
        || ngx_rename_file(tmp, name->data) == NGX_FILE_ERROR)
    {
        err = ngx_errno;
        (void) ngx_delete_file(tmp);
        goto failed;
    }

    ngx_explicit_memzero(buf, size);

    return NGX_OK;

failed:

    ngx_explicit_memzero(buf, size);

    ngx_log_error(NGX_LOG_ERR, r->connection->log, err,
                  "vod upload: cannot write the journal record \"%s\" of "
                  "the multipart upload of %V%V: a worker stopped now would "
                  "leave it behind", tmp, &cos->host, &cos->key);

    return NGX_ERROR;
}


void
ngx_http_vod_upload_journal_delete(ngx_log_t *log, ngx_str_t *name)
{
    if (name->len == 0) {
        return;
    }

    if (ngx_delete_file(name->data) == NGX_FILE_ERROR
        && ngx_errno != NGX_ENOENT)
    {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      "vod upload: cannot delete the journal record \"%V\"",
                      name);
    }

    name->len = 0;
}


void
ngx_http_vod_upload_journal_orphan(ngx_log_t *log, ngx_str_t *name)
{
    u_char  *base, *to;
    size_t   dir;
    u_char   buf[NGX_MAX_PATH];

    if (name->len == 0) {
        return;
    }

    for (base = name->data + name->len; base > name->data; base--) {
        if (base[-1] == '/') {
            break;
        }
    }

    dir = base - name->data;

    if (ngx_strncmp(base, NGX_HTTP_VOD_JOURNAL_ORPHAN,
                    sizeof(NGX_HTTP_VOD_JOURNAL_ORPHAN) - 1) == 0
        || name->len + sizeof(NGX_HTTP_VOD_JOURNAL_ORPHAN) > NGX_MAX_PATH)
    {
        name->len = 0;
        return;
    }

    to = ngx_cpymem(buf, name->data, dir);
    to = ngx_cpymem(to, NGX_HTTP_VOD_JOURNAL_ORPHAN,
                    sizeof(NGX_HTTP_VOD_JOURNAL_ORPHAN) - 1);
    to = ngx_cpymem(to, base, name->len - dir);
    *to = '\0';

    if (ngx_rename_file(name->data, buf) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      "vod upload: cannot rename the journal record \"%V\"",
                      name);
    }

    name->len = 0;
}
