
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

#include <sys/file.h>
#include <openssl/rand.h>


static ngx_uint_t  ngx_http_vod_journal_seq;
static u_char      ngx_http_vod_journal_token[NGX_HTTP_VOD_JOURNAL_TOKEN + 1];
static ngx_fd_t    ngx_http_vod_journal_lock = NGX_INVALID_FILE;
static u_char      ngx_http_vod_journal_lock_name[NGX_MAX_PATH];


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

    if (ngx_http_vod_journal_token[0] == '\0') {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod upload: the multipart upload of %V%V is not "
                      "journaled (this worker has no journal lock): a "
                      "worker stopped now would leave it behind", &cos->host,
                      &cos->key);
        return NGX_ERROR;
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
                                 + NGX_HTTP_VOD_JOURNAL_TOKEN
                                 + 2 * NGX_INT64_LEN + 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        name->data = p;
        name->len = ngx_sprintf(p, "%V/%s-%uA-%ui.rec%Z",
                                &vmcf->journal->name,
                                ngx_http_vod_journal_token,
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


/*
 * Every worker's token and lock: "<token>.lock.tmp" made and locked, then
 * renamed, so that no sweep ever sees the lock file unlocked.
 */

ngx_int_t
ngx_http_vod_upload_journal_init_process(ngx_cycle_t *cycle)
{
    u_char                            raw[NGX_HTTP_VOD_JOURNAL_TOKEN / 2];
    u_char                            tmp[NGX_MAX_PATH];
    ngx_fd_t                          fd;
    ngx_http_vod_upload_main_conf_t  *vmcf;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    vmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_vod_upload_module);

    if (vmcf == NULL || vmcf->journal == NULL
        || vmcf->journal->name.len + 64 > NGX_MAX_PATH)
    {
        return NGX_OK;
    }

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "vod upload: no random token for the journal: "
                      "uploads are not journaled");
        return NGX_OK;
    }

    *ngx_hex_dump(ngx_http_vod_journal_token, raw, sizeof(raw)) = '\0';

    (void) ngx_sprintf(ngx_http_vod_journal_lock_name, "%V/%s.lock%Z",
                       &vmcf->journal->name, ngx_http_vod_journal_token);
    (void) ngx_sprintf(tmp, "%s.tmp%Z", ngx_http_vod_journal_lock_name);

    fd = ngx_open_file(tmp, NGX_FILE_RDWR, NGX_FILE_TRUNCATE, 0600);

    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                      "vod upload: cannot make the journal lock \"%s\": "
                      "uploads are not journaled", tmp);
        goto failed;
    }

    if (flock(fd, LOCK_EX | LOCK_NB) == -1
        || ngx_rename_file(tmp, ngx_http_vod_journal_lock_name)
           == NGX_FILE_ERROR)
    {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                      "vod upload: cannot take the journal lock \"%s\": "
                      "uploads are not journaled", tmp);
        (void) ngx_close_file(fd);
        (void) ngx_delete_file(tmp);
        goto failed;
    }

    ngx_http_vod_journal_lock = fd;

    return NGX_OK;

failed:

    ngx_http_vod_journal_token[0] = '\0';

    return NGX_OK;
}


void
ngx_http_vod_upload_journal_exit_process(ngx_cycle_t *cycle)
{
    if (ngx_http_vod_journal_lock == NGX_INVALID_FILE) {
        return;
    }

    /* a worker that exits has cleaned up or orphaned its records */

    (void) ngx_delete_file(ngx_http_vod_journal_lock_name);
    (void) ngx_close_file(ngx_http_vod_journal_lock);

    ngx_http_vod_journal_lock = NGX_INVALID_FILE;
}


u_char *
ngx_http_vod_upload_journal_token(void)
{
    return ngx_http_vod_journal_token;
}


ngx_uint_t
ngx_http_vod_upload_journal_gone(ngx_str_t *dir, u_char *token, size_t len)
{
    ngx_fd_t    fd;
    ngx_uint_t  gone;
    u_char      path[NGX_MAX_PATH];

    if (dir->len + len + sizeof("/.lock") > NGX_MAX_PATH) {
        return 0;
    }

    (void) ngx_sprintf(path, "%V/%*s.lock%Z", dir, len, token);

    fd = ngx_open_file(path, NGX_FILE_RDWR, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        return ngx_errno == NGX_ENOENT;
    }

    /* taken: its owner is gone (the kernel let its lock go) */

    gone = (flock(fd, LOCK_EX | LOCK_NB) == 0);

    (void) ngx_close_file(fd);

    return gone;
}
