
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * A journal record: what is needed to abort a multipart upload that a
 * worker may leave open (it was stopped before it could abort it), kept
 * in a small file of its own while the upload runs:
 *
 *   vod-upload-journal 1
 *   host <bucket>.cos.<region>.myqcloud.com
 *   key /<object key>
 *   upload_id <UploadId, or nothing while Initiate is under way>
 *   secret_id <TempCertificate.SecretId>
 *   secret_key <TempCertificate.SecretKey>
 *   token <TempCertificate.Token>
 *   expires <TempCertificate.ExpiredTime, unix seconds>
 *
 * One "name value" a line, LF-terminated; values hold no LF, CR or NUL.
 */


#ifndef _NGX_VOD_JOURNAL_H_INCLUDED_
#define _NGX_VOD_JOURNAL_H_INCLUDED_


#include "ngx_vod_common.h"


#define NGX_VOD_JOURNAL_MAX          16384


typedef struct {
    ngx_vod_str_t           host;           /* required */
    ngx_vod_str_t           key;            /* required, starts with "/" */
    ngx_vod_str_t           upload_id;
    ngx_vod_str_t           secret_id;      /* required */
    ngx_vod_str_t           secret_key;     /* required */
    ngx_vod_str_t           token;
    int64_t                 expires;        /* required */
} ngx_vod_journal_rec_t;


/*
 * The record's text: its size, or 0 when it cannot be written (a value
 * with LF, CR or NUL, a required one empty, over NGX_VOD_JOURNAL_MAX);
 * ngx_vod_journal_write() writes that many bytes and returns the end.
 */
size_t ngx_vod_journal_size(const ngx_vod_journal_rec_t *rec);
u_char *ngx_vod_journal_write(u_char *p, const ngx_vod_journal_rec_t *rec);

/*
 * Reads a record; its strings point into data.  NGX_VOD_OK, or
 * NGX_VOD_ERROR with *error set: not a journal record, an unknown or
 * repeated name, a required one missing or empty, a line without LF.
 */
int ngx_vod_journal_parse(const u_char *data, size_t len,
    ngx_vod_journal_rec_t *rec, const char **error);


#endif /* _NGX_VOD_JOURNAL_H_INCLUDED_ */
