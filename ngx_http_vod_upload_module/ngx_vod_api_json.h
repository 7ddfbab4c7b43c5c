/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * The JSON of the VOD API 3.0 (Version 2018-07-17), spec sections 2
 * and 6: request bodies of ApplyUpload, CommitUpload, ProcessMedia,
 * PullEvents and ConfirmEvents, their answers, and the event bodies VOD
 * pushes to a callback URL.
 *
 * Everything returned is allocated through the caller's allocator and
 * outlives the parse; strings are counted and also NUL-terminated (the
 * NUL is not counted).  A string that is absent or null in the answer
 * is { 0, NULL }, an empty one { 0, "" }; a required string must be
 * present and not empty.  Errors are a return code plus a static
 * message in "error" that names the field, such as
 *
 *     Response.TempCertificate.Token is missing or not a string
 *
 * cJSON is used with its default (malloc) hooks, never changed here;
 * its memory, and a malloc()ed copy of the input, are freed before
 * returning.
 */


#ifndef _NGX_VOD_API_JSON_H_INCLUDED_
#define _NGX_VOD_API_JSON_H_INCLUDED_


#include "ngx_vod_common.h"


/* the answer was a well-formed error envelope: Response.Error */
#define NGX_VOD_API_ERROR            -2

/* answers longer than this are refused before parsing */
#define NGX_VOD_API_RESPONSE_MAX     (1024 * 1024)

/* ngx_vod_api_parse_event()'s limit when its "max" argument is 0 */
#define NGX_VOD_API_EVENT_MAX        (1024 * 1024)

/* JSON nested deeper than this is refused before cJSON sees it */
#define NGX_VOD_API_DEPTH_MAX        64

/* any one string put into a request body (bytes, before escaping) */
#define NGX_VOD_API_FIELD_MAX        65536

/* ConfirmEvents takes at most this many handles, PullEvents gives 16 */
#define NGX_VOD_API_EVENT_HANDLES_MAX  16

/* ProcessMedia: at most this many transcode definitions */
#define NGX_VOD_API_DEFINITIONS_MAX  64

/* integers read from answers must be exact in a double: |n| < 2^53 */
#define NGX_VOD_API_INT_MAX          9007199254740991LL

/* ExpiredTime and T: unix seconds up to 9999-12-31T23:59:59Z */
#define NGX_VOD_API_TIME_MAX         253402300799LL


/* an optional integer parameter: written only when "set" */

typedef struct {
    int64_t                 value;
    unsigned                set:1;
} ngx_vod_api_int_t;


/*
 * Request parameters.  A string is written when its len is not 0; it
 * may hold any bytes that are valid UTF-8 (including NUL and characters
 * that need JSON escapes), at most NGX_VOD_API_FIELD_MAX bytes.
 */

typedef struct {
    ngx_vod_str_t           media_type;         /* required */
    ngx_vod_str_t           media_name;
    ngx_vod_str_t           cover_type;
    ngx_vod_str_t           procedure;
    ngx_vod_str_t           expire_time;
    ngx_vod_str_t           storage_region;
    ngx_vod_api_int_t       class_id;
    ngx_vod_str_t           source_context;
    ngx_vod_str_t           session_context;
    ngx_vod_str_t           ext_info;
    ngx_vod_api_int_t       sub_app_id;
    ngx_vod_str_t           media_storage_path;
} ngx_vod_api_apply_upload_req_t;


typedef struct {
    ngx_vod_str_t           vod_session_key;    /* required */
    ngx_vod_api_int_t       sub_app_id;
} ngx_vod_api_commit_upload_req_t;


typedef struct {
    ngx_vod_str_t           file_id;            /* required */
    ngx_vod_api_int_t       sub_app_id;

    /* MediaProcessTask.TranscodeTaskSet: 1..64 template ids, required */
    const int64_t          *definitions;
    size_t                  ndefinitions;

    /* ProcessMediaByProcedure only, instead: the task-flow template */
    ngx_vod_str_t           procedure;

    ngx_vod_api_int_t       tasks_priority;     /* -10..10 */
    ngx_vod_str_t           tasks_notify_mode;  /* Finish, Change, None */
    ngx_vod_str_t           session_context;
    ngx_vod_str_t           session_id;
} ngx_vod_api_process_media_req_t;


typedef struct {
    /* 1..NGX_VOD_API_EVENT_HANDLES_MAX non-empty handles, required */
    const ngx_vod_str_t    *handles;
    size_t                  nhandles;
    ngx_vod_api_int_t       sub_app_id;
} ngx_vod_api_confirm_events_req_t;


/*
 * The request bodies: compact JSON, keys in the order of the API
 * reference, only the parameters that are set.  The body is allocated
 * through "a" (NUL-terminated, the NUL not counted).  Return NGX_VOD_OK, or
 * NGX_VOD_ERROR with *error set to a static message (a required field
 * missing, a string that is not valid UTF-8 or too long, out of memory).
 */

int ngx_vod_api_apply_upload_body(ngx_vod_alloc_t *a,
    const ngx_vod_api_apply_upload_req_t *req, ngx_vod_str_t *body,
    const char **error);
int ngx_vod_api_commit_upload_body(ngx_vod_alloc_t *a,
    const ngx_vod_api_commit_upload_req_t *req, ngx_vod_str_t *body,
    const char **error);
int ngx_vod_api_process_media_body(ngx_vod_alloc_t *a,
    const ngx_vod_api_process_media_req_t *req, ngx_vod_str_t *body,
    const char **error);

/*
 * ProcessMediaByProcedure: FileId, SubAppId, ProcedureName (req->procedure,
 * required), TasksPriority, TasksNotifyMode, SessionContext, SessionId;
 * its answer is ProcessMedia's (a TaskId).
 */
int ngx_vod_api_process_media_by_procedure_body(ngx_vod_alloc_t *a,
    const ngx_vod_api_process_media_req_t *req, ngx_vod_str_t *body,
    const char **error);

/* {"SubAppId":N} or {} */
int ngx_vod_api_pull_events_body(ngx_vod_alloc_t *a,
    const ngx_vod_api_int_t *sub_app_id, ngx_vod_str_t *body,
    const char **error);
int ngx_vod_api_confirm_events_body(ngx_vod_alloc_t *a,
    const ngx_vod_api_confirm_events_req_t *req, ngx_vod_str_t *body,
    const char **error);


/*
 * What every answer carries.  request_id is filled whenever the answer
 * has one, also on NGX_VOD_API_ERROR; code and message only on
 * NGX_VOD_API_ERROR (message may be empty); error on NGX_VOD_ERROR.
 */

typedef struct {
    ngx_vod_str_t           request_id;
    ngx_vod_str_t           code;               /* Response.Error.Code */
    ngx_vod_str_t           message;            /* Response.Error.Message */
    const char             *error;
} ngx_vod_api_result_t;


typedef struct {
    ngx_vod_str_t           storage_bucket;
    ngx_vod_str_t           storage_region;
    ngx_vod_str_t           vod_session_key;
    ngx_vod_str_t           media_storage_path;
    ngx_vod_str_t           cover_storage_path; /* { 0, NULL } if null */

    /* TempCertificate */
    ngx_vod_str_t           secret_id;
    ngx_vod_str_t           secret_key;
    ngx_vod_str_t           token;
    int64_t                 expired_time;       /* 1..NGX_VOD_API_TIME_MAX */
} ngx_vod_api_apply_upload_t;


typedef struct {
    ngx_vod_str_t           file_id;
    ngx_vod_str_t           media_url;
    ngx_vod_str_t           cover_url;          /* may be empty */
} ngx_vod_api_commit_upload_t;


typedef struct {
    ngx_vod_str_t           task_id;
} ngx_vod_api_process_media_t;


/*
 * One PullEvents item: its handle and type, and the item's text exactly
 * as it is in the answer (spaces, numbers and escapes as VOD wrote
 * them), for ngx_vod_api_parse_event() and the application alike.
 */

typedef struct {
    ngx_vod_str_t           event_handle;
    ngx_vod_str_t           event_type;
    ngx_vod_str_t           json;
} ngx_vod_api_event_item_t;


typedef struct {
    ngx_vod_api_event_item_t  *items;           /* NULL if none */
    size_t                     nitems;
} ngx_vod_api_pull_events_t;


/* a Transcode entry of ProcedureStateChangeEvent.MediaProcessResultSet */

typedef struct {
    int64_t                 definition;         /* Input.Definition */
    ngx_vod_str_t           status;             /* SUCCESS, FAIL, ... */
    int64_t                 err_code;           /* 0 if absent */
    ngx_vod_str_t           message;
    ngx_vod_str_t           url;                /* Output.Url, if any */
} ngx_vod_api_transcode_t;


/*
 * An event, pushed or pulled.  Only event_type is required; the rest is
 * filled when present.  Members of other event types are not read, the
 * caller keeps the body for them.
 */

typedef struct {
    ngx_vod_str_t           event_type;
    ngx_vod_str_t           event_handle;       /* pulled events only */

    /* both NewFileUpload and ProcedureStateChanged */
    ngx_vod_str_t           file_id;

    /* NewFileUpload: FileUploadEvent (FileId required) */
    ngx_vod_str_t           media_url;          /* MediaBasicInfo. */
    ngx_vod_str_t           source_type;        /* ...SourceInfo. */
    ngx_vod_str_t           source_context;     /* ...SourceInfo. */
    ngx_vod_str_t           procedure_task_id;

    /* ProcedureStateChanged: ProcedureStateChangeEvent (TaskId, Status) */
    ngx_vod_str_t           task_id;
    ngx_vod_str_t           status;             /* PROCESSING, FINISH */
    int64_t                 err_code;           /* 0 if absent */
    ngx_vod_str_t           message;
    ngx_vod_str_t           session_context;
    ngx_vod_api_transcode_t  *transcodes;       /* NULL if none */
    size_t                  ntranscodes;

    /*
     * Callback signature, top-level "Sign" and "T" (spec section 6).  T
     * may be a JSON number or a string of digits; "t" is its decimal
     * text, as signed, and t_value its value (0..NGX_VOD_API_TIME_MAX).
     */
    ngx_vod_str_t           sign;
    ngx_vod_str_t           t;
    int64_t                 t_value;
} ngx_vod_api_event_t;


/*
 * The answers, data/len as received (need not be NUL-terminated, at
 * most NGX_VOD_API_RESPONSE_MAX bytes).  Return NGX_VOD_OK with "out"
 * filled; NGX_VOD_API_ERROR with res->code, res->message filled; or
 * NGX_VOD_ERROR with res->error set (not JSON, too long, too deep, NUL
 * bytes, a required field missing or of the wrong type, an integer not
 * in range, out of memory).
 */

int ngx_vod_api_parse_apply_upload(ngx_vod_alloc_t *a, const u_char *data,
    size_t len, ngx_vod_api_apply_upload_t *out, ngx_vod_api_result_t *res);
int ngx_vod_api_parse_commit_upload(ngx_vod_alloc_t *a, const u_char *data,
    size_t len, ngx_vod_api_commit_upload_t *out, ngx_vod_api_result_t *res);
int ngx_vod_api_parse_process_media(ngx_vod_alloc_t *a, const u_char *data,
    size_t len, ngx_vod_api_process_media_t *out, ngx_vod_api_result_t *res);

/* an answer of the envelope only (ConfirmEvents): RequestId or Error */
int ngx_vod_api_parse_result(ngx_vod_alloc_t *a, const u_char *data,
    size_t len, ngx_vod_api_result_t *res);

/* Response.EventSet: each item needs a string EventHandle and EventType */
int ngx_vod_api_parse_pull_events(ngx_vod_alloc_t *a, const u_char *data,
    size_t len, ngx_vod_api_pull_events_t *out, ngx_vod_api_result_t *res);

/*
 * An event body (no envelope): a pushed callback or a pulled item's
 * "json".  Bodies over max bytes are refused (0: NGX_VOD_API_EVENT_MAX),
 * and so are bodies with an object, at any depth, that has a key twice:
 * the module reads the first, an application handed the same body may
 * read the last.  (Answers are not checked for this: nothing but the
 * module reads them; a pulled event is checked when parsed as an event.)
 * Returns NGX_VOD_OK or NGX_VOD_ERROR with *error set.
 */
int ngx_vod_api_parse_event(ngx_vod_alloc_t *a, const u_char *data,
    size_t len, size_t max, ngx_vod_api_event_t *ev, const char **error);

/*
 * An API error code that says the request was refused before it had any
 * effect (its signature, a parameter, a rate limit, a permission): 1.
 * Any other code (InternalError, FailedOperation, ResourceUnavailable,
 * one not known) does not say what happened: 0.
 */
int ngx_vod_api_error_refused(const u_char *code, size_t len);


#endif /* _NGX_VOD_API_JSON_H_INCLUDED_ */
