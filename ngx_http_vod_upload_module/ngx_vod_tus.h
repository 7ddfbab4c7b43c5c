
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * The tus 1.0.0 request headers (tus.io resumable upload protocol): their
 * values as a client sends them, read or refused before anything is done
 * with them.
 */


#ifndef _NGX_VOD_TUS_H_INCLUDED_
#define _NGX_VOD_TUS_H_INCLUDED_


#include "ngx_vod_common.h"


#define NGX_VOD_TUS_VERSION        "1.0.0"
#define NGX_VOD_TUS_METADATA_MAX   64       /* pairs */
#define NGX_VOD_TUS_METADATA_LEN   1024     /* bytes kept in an upload URL */


/* Tus-Resumable: exactly "1.0.0" */
int ngx_vod_tus_version(const u_char *p, size_t len);

/*
 * Upload-Offset, Upload-Length: decimal digits only, no sign, no white
 * space, at most 2^63 - 1.  NGX_VOD_OK with *n, or NGX_VOD_ERROR.
 */
int ngx_vod_tus_number(const u_char *p, size_t len, int64_t *n);


/* an Upload-Metadata pair: its value decoded (base64), may be empty */

typedef struct {
    ngx_vod_str_t           key;
    ngx_vod_str_t           value;
} ngx_vod_tus_meta_t;


/*
 * Upload-Metadata: "key base64,key base64,key" (a key alone has an empty
 * value; white space around a pair is allowed).  Keys are unique, not
 * empty, without spaces or commas; values are standard base64 with its
 * padding.  The pairs and the decoded values are allocated through a.
 * NGX_VOD_OK with *pairs and *n, or NGX_VOD_ERROR with *error set.
 */
int ngx_vod_tus_metadata(ngx_vod_alloc_t *a, const u_char *p, size_t len,
    ngx_vod_tus_meta_t **pairs, size_t *n, const char **error);


/*
 * What an upload URL carries, sealed (ngx_vod_seal.h): all a server needs
 * to go on with the upload, so that none keeps state and any resumes it.
 * The bytes are tag (1), length (varint), value, for each field once;
 * numbers are 8 bytes, big-endian.
 */

typedef struct {
    int64_t                 created;        /* unix seconds */
    int64_t                 expires;        /* the credential's */
    int64_t                 length;         /* -1: deferred */
    int64_t                 part_size;      /* 0: grows by number */
    int64_t                 sub_app_id;
    ngx_vod_str_t           session_key;    /* VodSessionKey */
    ngx_vod_str_t           host;           /* <bucket>.cos.<region>... */
    ngx_vod_str_t           key;            /* the object's, with "/" */
    ngx_vod_str_t           upload_id;
    ngx_vod_str_t           secret_id;
    ngx_vod_str_t           secret_key;
    ngx_vod_str_t           token;
    ngx_vod_str_t           metadata;       /* Upload-Metadata, as sent */
    ngx_vod_str_t           media_name;     /* ApplyUpload's */
    ngx_vod_str_t           source_context;
} ngx_vod_tus_state_t;


/* the state's bytes: their size, then written (returns the end) */
size_t ngx_vod_tus_state_size(const ngx_vod_tus_state_t *st);
u_char *ngx_vod_tus_state_write(u_char *p, const ngx_vod_tus_state_t *st);

/*
 * Reads a state; its strings point into data.  NGX_VOD_OK, or
 * NGX_VOD_ERROR with *error set (an unknown tag, a field twice, a length
 * past the end, a number not 8 bytes, a required field missing).
 */
int ngx_vod_tus_state_parse(const u_char *data, size_t len,
    ngx_vod_tus_state_t *st, const char **error);


/*
 * The offset of an upload: the bytes of the parts COS holds contiguously
 * from part 1 (a PATCH that ends mid-part leaves a shorter part; a part
 * past a gap does not count), and the number of the next part.  parts:
 * numbers and sizes in any order, as ListParts pages give them (sorted
 * here).
 */

typedef struct {
    uint32_t                number;
    uint64_t                size;
} ngx_vod_tus_part_t;

int64_t ngx_vod_tus_offset(ngx_vod_tus_part_t *parts, size_t n,
    uint32_t *next);


#endif /* _NGX_VOD_TUS_H_INCLUDED_ */
