
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 */


#ifndef _NGX_HTTP_VOD_UPLOAD_JOURNAL_H_INCLUDED_
#define _NGX_HTTP_VOD_UPLOAD_JOURNAL_H_INCLUDED_


#include "ngx_http_vod_upload_sign.h"


/*
 * The journal (ngx_http_vod_upload_journal.c): a small file per
 * multipart upload under way, in the vod_upload_journal directory, with
 * what aborting it needs (ngx_vod_journal.h).  Named
 * "<pid>-<connection>-<n>.rec" while its worker runs the upload;
 * "orphan-..." once no live upload owns it.  A worker stopped before it
 * could abort (a fast shutdown, worker_shutdown_timeout) leaves it, and
 * the sweep (ngx_http_vod_upload_sweep.c) aborts the upload later.
 */

#define NGX_HTTP_VOD_JOURNAL_ORPHAN  "orphan-"


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


#endif /* _NGX_HTTP_VOD_UPLOAD_JOURNAL_H_INCLUDED_ */
