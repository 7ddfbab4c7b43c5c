
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * Unit test of ngx_vod_metrics.c: the counters of vod_status as JSON
 * (parsed back with cJSON) and as Prometheus' text format (the lines a
 * scrape reads, cumulative histogram buckets), the labels of calls and
 * events, and a buffer too small: the length needed, nothing written
 * past its end.
 */


#include "ngx_vod_metrics.h"
#include "ngx_vod_test.h"


static ngx_vod_metrics_t  m;


static int
has_line(const char *text, const char *line)
{
    const char  *p;
    size_t       len;

    len = strlen(line);

    for (p = text; (p = strstr(p, line)) != NULL; p++) {
        if ((p == text || p[-1] == '\n') && p[len] == '\n') {
            return 1;
        }
    }

    return 0;
}


static void
test_labels(void)
{
    ngx_vod_test_ok(ngx_vod_metrics_cos_index("UploadPart")
                    == NGX_VOD_METRICS_COS_UPLOAD_PART, "UploadPart");
    ngx_vod_test_ok(ngx_vod_metrics_cos_index("PutObject (cover)")
                    == NGX_VOD_METRICS_COS_PUT_OBJECT,
                    "the cover's PutObject is a PutObject");
    ngx_vod_test_ok(ngx_vod_metrics_cos_index("PutObjectX") == -1,
                    "a name that only begins like one is none");
    ngx_vod_test_ok(ngx_vod_metrics_cos_index("vod_callback_pass") == -1,
                    "the pass location is no COS operation");
    ngx_vod_test_ok(ngx_vod_metrics_api_index("ProcessMediaByProcedure")
                    == NGX_VOD_METRICS_API_PROCESS_MEDIA_BY_PROCEDURE,
                    "ProcessMediaByProcedure");
    ngx_vod_test_ok(ngx_vod_metrics_api_index("UploadPart") == -1,
                    "UploadPart is no API action");
    ngx_vod_test_ok(ngx_vod_metrics_event_index((u_char *) "FileDeleted", 11)
                    == NGX_VOD_METRICS_EVENT_FILE_DELETED, "FileDeleted");
    ngx_vod_test_ok(ngx_vod_metrics_event_index((u_char *) "FileDelete", 10)
                    == NGX_VOD_METRICS_EVENT_OTHER,
                    "a type VOD may add later is \"other\"");
    ngx_vod_test_ok(ngx_vod_metrics_event_index(NULL, 0)
                    == NGX_VOD_METRICS_EVENT_UNKNOWN,
                    "no type is \"unknown\"");
    ngx_vod_test_ok(ngx_vod_metrics_bucket(0) == 0
                    && ngx_vod_metrics_bucket(5) == 0
                    && ngx_vod_metrics_bucket(6) == 1
                    && ngx_vod_metrics_bucket(120000) == 13
                    && ngx_vod_metrics_bucket(120001) == 14,
                    "a duration falls in the first bucket that holds it");
}


static void
fill(void)
{
    memset(&m, 0, sizeof(m));

    m.magic = NGX_VOD_METRICS_MAGIC;
    m.uploads[NGX_VOD_METRICS_PUT][200 - 100] = 7;
    m.uploads[NGX_VOD_METRICS_TUS][204 - 100] = 3;
    m.uploads[NGX_VOD_METRICS_FORM][413 - 100] = 1;
    m.uploads_in_flight = 2;
    m.received_bytes = 123456789012ULL;
    m.cos_sent_bytes = 123456789013ULL;
    m.cos[NGX_VOD_METRICS_COS_UPLOAD_PART][NGX_VOD_METRICS_OK] = 40;
    m.cos[NGX_VOD_METRICS_COS_UPLOAD_PART][NGX_VOD_METRICS_RETRIED] = 2;
    m.cos_duration[NGX_VOD_METRICS_COS_UPLOAD_PART].count[0] = 1;
    m.cos_duration[NGX_VOD_METRICS_COS_UPLOAD_PART].count[7] = 40;
    m.cos_duration[NGX_VOD_METRICS_COS_UPLOAD_PART].count[14] = 1;
    m.cos_duration[NGX_VOD_METRICS_COS_UPLOAD_PART].sum_ms = 161234;
    m.api[NGX_VOD_METRICS_API_APPLY_UPLOAD][NGX_VOD_METRICS_TIMEOUT] = 1;
    m.parts_retried = 2;
    m.multipart_aborted = 1;
    m.crc_mismatch = 5;
    m.events[NGX_VOD_METRICS_EVENT_NEW_FILE_UPLOAD]
            [NGX_VOD_METRICS_EVENT_HANDED_ON] = 9;
    m.events[NGX_VOD_METRICS_EVENT_OTHER][NGX_VOD_METRICS_EVENT_REFUSED] = 1;
    m.events_pulled = 4;
    m.events_confirmed = 3;
    m.process_media[NGX_VOD_METRICS_FAILED] = 6;
}


static void
test_prometheus(void)
{
    size_t  len, n;
    char   *text;

    fill();

    len = ngx_vod_metrics_prometheus(&m, NULL, 0);
    text = malloc(len + 1);

    n = ngx_vod_metrics_prometheus(&m, (u_char *) text, len + 1);

    ngx_vod_test_ok(n == len && strlen(text) == len,
                    "the length told first is the length written");

    ngx_vod_test_ok(has_line(text, "# TYPE vod_uploads_total counter"),
                    "vod_uploads_total is a counter");
    ngx_vod_test_ok(has_line(text,
                    "vod_uploads_total{protocol=\"put\",status=\"200\"} 7")
                    && has_line(text, "vod_uploads_total{protocol=\"tus\","
                                "status=\"204\"} 3")
                    && has_line(text, "vod_uploads_total{protocol=\"form\","
                                "status=\"413\"} 1"),
                    "uploads by protocol and status");
    ngx_vod_test_ok(strstr(text, "status=\"500\"") == NULL,
                    "statuses never answered are not listed");
    ngx_vod_test_ok(has_line(text, "vod_uploads_in_flight 2"), "in flight");
    ngx_vod_test_ok(has_line(text,
                             "vod_upload_received_bytes_total 123456789012")
                    && has_line(text,
                                "vod_cos_sent_bytes_total 123456789013"),
                    "bytes, past 2^32");
    ngx_vod_test_ok(has_line(text, "vod_cos_requests_total{operation="
                             "\"UploadPart\",result=\"retried\"} 2")
                    && has_line(text, "vod_cos_requests_total{operation="
                                "\"DeleteObject\",result=\"timeout\"} 0"),
                    "every operation and result, zeros included");
    ngx_vod_test_ok(has_line(text, "# TYPE vod_cos_request_duration_seconds "
                             "histogram"), "durations are a histogram");
    ngx_vod_test_ok(has_line(text, "vod_cos_request_duration_seconds_bucket{"
                             "operation=\"UploadPart\",le=\"0.005\"} 1")
                    && has_line(text, "vod_cos_request_duration_seconds_bucket"
                                "{operation=\"UploadPart\",le=\"0.5\"} 1")
                    && has_line(text, "vod_cos_request_duration_seconds_bucket"
                                "{operation=\"UploadPart\",le=\"1\"} 41")
                    && has_line(text, "vod_cos_request_duration_seconds_bucket"
                                "{operation=\"UploadPart\",le=\"120\"} 41")
                    && has_line(text, "vod_cos_request_duration_seconds_bucket"
                                "{operation=\"UploadPart\",le=\"+Inf\"} 42"),
                    "the buckets are cumulative, +Inf the count");
    ngx_vod_test_ok(has_line(text, "vod_cos_request_duration_seconds_sum{"
                             "operation=\"UploadPart\"} 161.234")
                    && has_line(text, "vod_cos_request_duration_seconds_count"
                                "{operation=\"UploadPart\"} 42"),
                    "the sum in seconds, the count");
    ngx_vod_test_ok(has_line(text, "vod_api_requests_total{action="
                             "\"ApplyUpload\",result=\"timeout\"} 1"),
                    "API requests by action and result");
    ngx_vod_test_ok(has_line(text, "vod_events_total{type=\"NewFileUpload\","
                             "result=\"handed_on\"} 9")
                    && has_line(text, "vod_events_total{type=\"other\","
                                "result=\"refused\"} 1")
                    && strstr(text, "type=\"FileDeleted\"") == NULL,
                    "events by type and result, the ones that happened");
    ngx_vod_test_ok(has_line(text, "vod_process_media_total{result="
                             "\"failed\"} 6")
                    && has_line(text, "vod_events_pulled_total 4")
                    && has_line(text, "vod_events_confirmed_total 3")
                    && has_line(text, "vod_crc_mismatch_total 5")
                    && has_line(text, "vod_parts_retried_total 2")
                    && has_line(text, "vod_multipart_aborted_total 1"),
                    "the plain counters");
    ngx_vod_test_ok(text[len - 1] == '\n', "the text ends with a newline");

    free(text);
}


static void
test_json(void)
{
    size_t                     len;
    char                      *text;
    cJSON                     *j, *o;
    ngx_vod_metrics_upload_t   u[2];

    fill();

    memset(u, 0, sizeof(u));
    u[0].pid = 1234;
    u[0].started_ms = 1000000;
    u[0].length = -1;
    u[0].received = 5000;
    u[0].protocol = NGX_VOD_METRICS_TUS;
    u[0].id_len = 32;
    memcpy(u[0].id, "0123456789abcdef0123456789abcdef", 32);
    u[1] = u[0];
    u[1].length = 8000000;
    u[1].parts_done = 1;
    u[1].protocol = NGX_VOD_METRICS_FORM;

    len = ngx_vod_metrics_json(&m, u, 2, 1002500, NULL, 0);
    text = malloc(len + 1);
    ngx_vod_metrics_json(&m, u, 2, 1002500, (u_char *) text, len + 1);

    j = cJSON_Parse(text);
    ngx_vod_test_ok(j != NULL, "the JSON parses");

    if (j == NULL) {
        ngx_vod_test_diag("%s", text);
        free(text);
        return;
    }

    o = cJSON_GetObjectItem(j, "uploads");
    ngx_vod_test_ok(cJSON_GetObjectItem(o, "in_flight")->valueint == 2,
                    "uploads.in_flight");
    ngx_vod_test_ok(cJSON_GetObjectItem(o, "received_bytes")->valuedouble
                    == 123456789012.0, "uploads.received_bytes");
    o = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "total"), "put");
    ngx_vod_test_ok(cJSON_GetObjectItem(o, "200")->valueint == 7,
                    "uploads.total.put.200");

    o = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "cos"), "requests");
    o = cJSON_GetObjectItem(o, "UploadPart");
    ngx_vod_test_ok(cJSON_GetObjectItem(o, "retried")->valueint == 2,
                    "cos.requests.UploadPart.retried");
    o = cJSON_GetObjectItem(o, "duration");
    ngx_vod_test_ok(cJSON_GetObjectItem(o, "count")->valueint == 42
                    && cJSON_GetObjectItem(o, "sum")->valuedouble == 161.234
                    && cJSON_GetObjectItem(cJSON_GetObjectItem(o, "buckets"),
                                           "1")->valueint == 41,
                    "cos.requests.UploadPart.duration");

    o = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "events"), "total");
    ngx_vod_test_ok(cJSON_GetArraySize(o) == 2
                    && cJSON_GetObjectItem(cJSON_GetObjectItem(o,
                                               "NewFileUpload"),
                                           "handed_on")->valueint == 9,
                    "events.total: the types that happened");

    o = cJSON_GetObjectItem(j, "uploads_in_flight");
    ngx_vod_test_ok(cJSON_GetArraySize(o) == 2, "two uploads listed");
    o = cJSON_GetArrayItem(o, 1);
    ngx_vod_test_ok(strcmp(cJSON_GetObjectItem(o, "protocol")->valuestring,
                           "form") == 0
                    && strcmp(cJSON_GetObjectItem(o, "id")->valuestring,
                              "0123456789abcdef0123456789abcdef") == 0
                    && cJSON_GetObjectItem(o, "worker")->valueint == 1234
                    && cJSON_GetObjectItem(o, "length")->valueint == 8000000
                    && cJSON_GetObjectItem(o, "parts_done")->valueint == 1
                    && cJSON_GetObjectItem(o, "age")->valuedouble == 2.5,
                    "an upload in flight: id, protocol, worker, length, "
                    "parts, age");
    ngx_vod_test_ok(cJSON_IsNull(cJSON_GetObjectItem(
                        cJSON_GetArrayItem(cJSON_GetObjectItem(j,
                            "uploads_in_flight"), 0), "length")),
                    "a length not known is null");

    cJSON_Delete(j);
    free(text);

    len = ngx_vod_metrics_json(&m, NULL, 0, 0, NULL, 0);
    text = malloc(len + 1);
    ngx_vod_metrics_json(&m, NULL, 0, 0, (u_char *) text, len + 1);
    ngx_vod_test_ok(strstr(text, "uploads_in_flight") == NULL,
                    "without the list, no uploads_in_flight");
    free(text);
}


static int
ask(const char *args, const char *accept, int *prometheus, int *uploads)
{
    int                    rc;
    ngx_vod_metrics_ask_t  a;

    rc = ngx_vod_metrics_ask((const u_char *) args, strlen(args),
                             (const u_char *) accept,
                             accept ? strlen(accept) : 0, &a);
    *prometheus = a.prometheus;
    *uploads = a.uploads;

    return rc;
}


static void
test_ask(void)
{
    int  p, u;

    ngx_vod_test_ok(ask("", NULL, &p, &u) == NGX_VOD_OK && !p && !u,
                    "no query, no Accept: JSON");
    ngx_vod_test_ok(ask("format=prometheus", NULL, &p, &u) == NGX_VOD_OK
                    && p && !u, "format=prometheus");
    ngx_vod_test_ok(ask("uploads&format=json", "text/plain", &p, &u)
                    == NGX_VOD_OK && !p && u,
                    "format=json wins over Accept; uploads without a value");
    ngx_vod_test_ok(ask("uploads=1", NULL, &p, &u) == NGX_VOD_OK && u,
                    "uploads with a value");
    ngx_vod_test_ok(ask("a=b&&uploadsX&format_=xml", NULL, &p, &u)
                    == NGX_VOD_OK && !p && !u,
                    "other names and empty pairs are left alone");
    ngx_vod_test_ok(ask("format=xml", NULL, &p, &u) == NGX_VOD_ERROR,
                    "format=xml is refused");
    ngx_vod_test_ok(ask("format=", NULL, &p, &u) == NGX_VOD_ERROR
                    && ask("format", NULL, &p, &u) == NGX_VOD_ERROR,
                    "an empty format is refused");
    ngx_vod_test_ok(ask("format=PROMETHEUS", NULL, &p, &u) == NGX_VOD_ERROR,
                    "formats are lower case");
    ngx_vod_test_ok(ask("", "application/openmetrics-text;version=1.0.0;"
                        "q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
                        &p, &u) == NGX_VOD_OK && p,
                    "Prometheus' Accept gets its format");
    ngx_vod_test_ok(ask("", "Text/Plain", &p, &u) == NGX_VOD_OK && p,
                    "Accept without regard to case");
    ngx_vod_test_ok(ask("", "application/json, text/plain;q=0", &p, &u)
                    == NGX_VOD_OK && !p
                    && ask("", "text/plain; q=0.000 ,*/*", &p, &u)
                       == NGX_VOD_OK && !p,
                    "text/plain with q=0 is not acceptable");
    ngx_vod_test_ok(ask("", "text/plain;q=0.1", &p, &u) == NGX_VOD_OK && p
                    && ask("", "text/plain ; charset=utf-8; q=1", &p, &u)
                       == NGX_VOD_OK && p
                    && ask("", "text/plain;version=0.0.4", &p, &u)
                       == NGX_VOD_OK && p,
                    "text/plain with parameters and a q above 0");
    ngx_vod_test_ok(ask("", "text/plainx, text/plain-y", &p, &u)
                    == NGX_VOD_OK && !p,
                    "a type that only begins like text/plain is another");
    ngx_vod_test_ok(ask("", "*/*", &p, &u) == NGX_VOD_OK && !p
                    && ask("", "text/html,application/json", &p, &u)
                       == NGX_VOD_OK && !p
                    && ask("", "text/plai", &p, &u) == NGX_VOD_OK && !p,
                    "curl's and a browser's Accept get JSON");
}


static void
test_small_buffer(void)
{
    char    buf[64];
    size_t  len, n;

    fill();

    len = ngx_vod_metrics_prometheus(&m, NULL, 0);

    memset(buf, 'x', sizeof(buf));
    n = ngx_vod_metrics_prometheus(&m, (u_char *) buf, 32);

    ngx_vod_test_ok(n == len, "a small buffer: the whole length is told");
    ngx_vod_test_ok(buf[32] == 'x' && buf[63] == 'x',
                    "nothing is written past the buffer");

    memset(buf, 'x', sizeof(buf));
    n = ngx_vod_metrics_json(&m, NULL, 0, 0, (u_char *) buf, 1);
    ngx_vod_test_ok(n > 1 && buf[1] == 'x', "JSON too: a byte of room");
}


int
main(void)
{
    test_labels();
    test_prometheus();
    test_json();
    test_ask();
    test_small_buffer();

    return ngx_vod_test_done();
}
