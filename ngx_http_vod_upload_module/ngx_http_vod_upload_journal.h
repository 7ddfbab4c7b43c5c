
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 */


#ifndef _NGX_HTTP_VOD_UPLOAD_JOURNAL_H_INCLUDED_
#define _NGX_HTTP_VOD_UPLOAD_JOURNAL_H_INCLUDED_


#include "ngx_http_vod_upload_sign.h"


/*
 * The journal (ngx_http_vod_upload_journal.c): a small file per
 * multipart upload under way, in the vod_upload_journal directory, with
 * what aborting it needs (ngx_vod_journal.h).  Each worker has a random
 * token and holds an exclusive lock (flock) on "<token>.lock" while it
 * lives; its records are "<token>-<connection>-<n>.rec", and
 * "orphan-..." once no live upload owns one.  A worker stopped before it
 * could abort (a fast shutdown, worker_shutdown_timeout) leaves them, its
 * lock goes with it (the kernel releases it), and the sweep
 * (ngx_http_vod_upload_sweep.c) aborts the uploads later.  Locks, not
 * pids, say who owns a record: several nginx, in other pid namespaces
 * too, may share the directory on one file system.
 */

#define NGX_HTTP_VOD_JOURNAL_ORPHAN  "orphan-"
#define NGX_HTTP_VOD_JOURNAL_TOKEN   16          /* hex digits */


/*
 * Writes (or rewrites) the record of this upload: name is empty the
 * first time and then names the record.  NGX_ERROR: logged; the upload
 * goes on without a record.
 */
ngx_int_t ngx_http_vod_upload_journal_write(ngx_http_request_t *r,
    ngx_str_t *name, ngx_http_vod_cos_t *cos, ngx_str_t *upload_id);

/* nothing is left behind: the record goes */
void ngx_http_vod_upload_journal_delete(ngx_log_t *log, ngx_str_t *name);

/* the upload may be left behind and no live upload owns it any more */
void ngx_http_vod_upload_journal_orphan(ngx_log_t *log, ngx_str_t *name);

/* this worker's token, "" without one */
u_char *ngx_http_vod_upload_journal_token(void);

/*
 * Whether the owner of a token is gone: its lock file is not there, or
 * nobody holds its lock.  dir: the journal's path, NUL-terminated.
 */
ngx_uint_t ngx_http_vod_upload_journal_gone(ngx_str_t *dir, u_char *token,
    size_t len);


#endif /* _NGX_HTTP_VOD_UPLOAD_JOURNAL_H_INCLUDED_ */
