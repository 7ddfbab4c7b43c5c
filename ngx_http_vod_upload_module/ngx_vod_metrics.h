
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * The module's counters (vod_status) as they lie in shared memory, what
 * their labels are, and their rendering as JSON and in Prometheus' text
 * exposition format 0.0.4.  nginx-free: the glue
 * (ngx_http_vod_upload_status.c) owns the zone and adds to the counters
 * with atomic operations; these functions only read a copy.
 */


#ifndef _NGX_VOD_METRICS_H_INCLUDED_
#define _NGX_VOD_METRICS_H_INCLUDED_


#include "ngx_vod_common.h"


/* the zone's layout: its version changes with any change below */
#define NGX_VOD_METRICS_MAGIC       0x766f646d65747233ULL   /* "vodmetr3" */


/* vod_uploads_total{protocol} */
typedef enum {
    NGX_VOD_METRICS_PUT = 0,
    NGX_VOD_METRICS_TUS,
    NGX_VOD_METRICS_FORM,
    NGX_VOD_METRICS_PROTOCOLS
} ngx_vod_metrics_protocol_e;

/* statuses 100 to 599 */
#define NGX_VOD_METRICS_STATUS_MIN  100
#define NGX_VOD_METRICS_STATUSES    500


/* vod_cos_requests_total{operation} */
typedef enum {
    NGX_VOD_METRICS_COS_INITIATE = 0,
    NGX_VOD_METRICS_COS_UPLOAD_PART,
    NGX_VOD_METRICS_COS_PUT_OBJECT,
    NGX_VOD_METRICS_COS_COMPLETE,
    NGX_VOD_METRICS_COS_ABORT,
    NGX_VOD_METRICS_COS_LIST_PARTS,
    NGX_VOD_METRICS_COS_LIST_UPLOADS,
    NGX_VOD_METRICS_COS_HEAD_OBJECT,
    NGX_VOD_METRICS_COS_DELETE_OBJECT,
    NGX_VOD_METRICS_COS_OPERATIONS
} ngx_vod_metrics_cos_e;

/* vod_api_requests_total{action} */
typedef enum {
    NGX_VOD_METRICS_API_APPLY_UPLOAD = 0,
    NGX_VOD_METRICS_API_COMMIT_UPLOAD,
    NGX_VOD_METRICS_API_PROCESS_MEDIA,
    NGX_VOD_METRICS_API_PROCESS_MEDIA_BY_PROCEDURE,
    NGX_VOD_METRICS_API_PULL_EVENTS,
    NGX_VOD_METRICS_API_CONFIRM_EVENTS,
    NGX_VOD_METRICS_API_ACTIONS
} ngx_vod_metrics_api_e;

/* {result} of a request to COS or to the API, and of ProcessMedia */
typedef enum {
    NGX_VOD_METRICS_OK = 0,         /* answered, and the answer was good */
    NGX_VOD_METRICS_RETRIED,        /* did not succeed, and is sent again */
    NGX_VOD_METRICS_FAILED,         /* did not succeed, for good */
    NGX_VOD_METRICS_TIMEOUT,        /* no answer in time, for good */
    NGX_VOD_METRICS_RESULTS
} ngx_vod_metrics_result_e;


/* vod_events_total{type}: VOD's event types; any other is "other" */
typedef enum {
    NGX_VOD_METRICS_EVENT_NEW_FILE_UPLOAD = 0,
    NGX_VOD_METRICS_EVENT_PROCEDURE_STATE_CHANGED,
    NGX_VOD_METRICS_EVENT_FILE_DELETED,
    NGX_VOD_METRICS_EVENT_PULL_COMPLETE,
    NGX_VOD_METRICS_EVENT_EDIT_MEDIA_COMPLETE,
    NGX_VOD_METRICS_EVENT_OTHER,
    NGX_VOD_METRICS_EVENT_UNKNOWN,  /* no type could be read */
    NGX_VOD_METRICS_EVENT_TYPES
} ngx_vod_metrics_event_e;

/* vod_events_total{result} */
typedef enum {
    NGX_VOD_METRICS_EVENT_ACCEPTED = 0, /* handled; no vod_callback_pass */
    NGX_VOD_METRICS_EVENT_HANDED_ON,    /* handled and handed on */
    NGX_VOD_METRICS_EVENT_REFUSED,      /* its signature did not check */
    NGX_VOD_METRICS_EVENT_INVALID,      /* not an event */
    NGX_VOD_METRICS_EVENT_FAILED,       /* not handled: VOD sends it again */
    NGX_VOD_METRICS_EVENT_RESULTS
} ngx_vod_metrics_event_result_e;


/* latency histograms: the buckets' upper bounds, in milliseconds */
#define NGX_VOD_METRICS_BUCKETS     14

extern const uint64_t  ngx_vod_metrics_bucket_ms[NGX_VOD_METRICS_BUCKETS];

typedef struct {
    /* by bucket, not cumulative; the last one: over the last bound */
    uint64_t                    count[NGX_VOD_METRICS_BUCKETS + 1];
    uint64_t                    sum_ms;
} ngx_vod_metrics_histogram_t;


typedef struct {
    uint64_t                    magic;

    uint64_t                    uploads[NGX_VOD_METRICS_PROTOCOLS]
                                       [NGX_VOD_METRICS_STATUSES];
    /* not kept here: the glue sums its workers' into the copy it renders */
    int64_t                     uploads_in_flight;
    uint64_t                    received_bytes;
    uint64_t                    cos_sent_bytes;

    uint64_t                    cos[NGX_VOD_METRICS_COS_OPERATIONS]
                                   [NGX_VOD_METRICS_RESULTS];
    ngx_vod_metrics_histogram_t cos_duration[NGX_VOD_METRICS_COS_OPERATIONS];
    uint64_t                    api[NGX_VOD_METRICS_API_ACTIONS]
                                   [NGX_VOD_METRICS_RESULTS];
    ngx_vod_metrics_histogram_t api_duration[NGX_VOD_METRICS_API_ACTIONS];

    uint64_t                    parts_retried;
    uint64_t                    multipart_aborted;
    uint64_t                    crc_mismatch;

    uint64_t                    events[NGX_VOD_METRICS_EVENT_TYPES]
                                      [NGX_VOD_METRICS_EVENT_RESULTS];
    uint64_t                    events_pulled;
    uint64_t                    events_confirmed;
    uint64_t                    process_media[NGX_VOD_METRICS_RESULTS];
} ngx_vod_metrics_t;


/* an upload in flight, for ?uploads (pid 0: a free entry) */

#define NGX_VOD_METRICS_ID_LEN      32

typedef struct {
    int64_t                     pid;        /* the worker's */
    uint64_t                    started_ms; /* since the epoch */
    int64_t                     length;     /* -1: not known */
    uint64_t                    received;   /* bytes of this request */
    uint64_t                    parts_done;
    uint32_t                    protocol;   /* ngx_vod_metrics_protocol_e */
    uint32_t                    id_len;
    u_char                      id[NGX_VOD_METRICS_ID_LEN];
} ngx_vod_metrics_upload_t;


/* a name of the labels above, or NULL */
const char *ngx_vod_metrics_protocol_name(unsigned protocol);

/* a call's name ("UploadPart", "PutObject (cover)") as an index, or -1 */
int ngx_vod_metrics_cos_index(const char *name);
int ngx_vod_metrics_api_index(const char *name);
unsigned ngx_vod_metrics_event_index(const u_char *type, size_t len);

/* the histogram's bucket of a duration */
unsigned ngx_vod_metrics_bucket(uint64_t ms);


/* what a request to vod_status asks for (its query and Accept header) */
typedef struct {
    unsigned                    prometheus:1;
    unsigned                    uploads:1;
} ngx_vod_metrics_ask_t;

/*
 * The query string (without "?"): format=json|prometheus, uploads; any
 * other name is left alone.  Without a format, an Accept header (NULL:
 * none) that names text/plain asks for Prometheus' format.  NGX_VOD_OK,
 * or NGX_VOD_ERROR for a format of another name.
 */
int ngx_vod_metrics_ask(const u_char *args, size_t len, const u_char *accept,
    size_t accept_len, ngx_vod_metrics_ask_t *ask);


/*
 * The counters (and, with uploads != NULL, the nuploads uploads in
 * flight, now_ms the time) rendered into [buf, buf + size): the length
 * of the whole text, which did not fit when over size (nothing is
 * written past buf + size).
 */
size_t ngx_vod_metrics_json(const ngx_vod_metrics_t *m,
    const ngx_vod_metrics_upload_t *uploads, size_t nuploads,
    uint64_t now_ms, u_char *buf, size_t size);
size_t ngx_vod_metrics_prometheus(const ngx_vod_metrics_t *m, u_char *buf,
    size_t size);


#endif /* _NGX_VOD_METRICS_H_INCLUDED_ */
