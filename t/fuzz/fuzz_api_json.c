
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * libFuzzer target of the VOD API's JSON (ngx_vod_api_json.c): answers of
 * ApplyUpload, CommitUpload, ProcessMedia, ConfirmEvents and PullEvents,
 * and events (pushed, or a pulled item's text).  The input: a byte that
 * picks the parser, a byte that makes the n-th allocation fail (0: none),
 * then the body.  A pulled answer's items are parsed as events too, as the
 * module does.  Every string a parse hands out must lie in its pool.
 */

#include "fuzz.h"
#include "ngx_vod_api_json.h"


static void
check_str(const ngx_vod_str_t *s)
{
    /* counted and NUL-terminated, as the unit promises */
    if (s->data && s->data[s->len] != '\0') {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    size_t                       i;
    u_char                      *data;
    unsigned                     which, fail_at;
    const char                  *error;
    fuzz_pool_t                  pool;
    ngx_vod_alloc_t              a;
    ngx_vod_api_event_t          ev;
    ngx_vod_api_result_t         res;
    ngx_vod_api_commit_upload_t  commit;
    ngx_vod_api_pull_events_t    pull;
    ngx_vod_api_apply_upload_t   apply;
    ngx_vod_api_process_media_t  process;

    which = fuzz_byte(&in, &size);
    fail_at = fuzz_byte(&in, &size) % 16;

    data = fuzz_copy(in, size);
    a = fuzz_pool(&pool, fail_at);

    memset(&res, 0, sizeof(res));

    switch (which % 7) {

    case 0:
        memset(&apply, 0, sizeof(apply));
        (void) ngx_vod_api_parse_apply_upload(&a, data, size, &apply, &res);
        break;

    case 1:
        memset(&commit, 0, sizeof(commit));
        (void) ngx_vod_api_parse_commit_upload(&a, data, size, &commit, &res);
        break;

    case 2:
        memset(&process, 0, sizeof(process));
        (void) ngx_vod_api_parse_process_media(&a, data, size, &process,
                                               &res);
        break;

    case 3:
        (void) ngx_vod_api_parse_result(&a, data, size, &res);
        break;

    case 4:
        memset(&pull, 0, sizeof(pull));
        if (ngx_vod_api_parse_pull_events(&a, data, size, &pull, &res)
            == NGX_VOD_OK)
        {
            for (i = 0; i < pull.nitems; i++) {
                check_str(&pull.items[i].event_handle);
                check_str(&pull.items[i].event_type);
                memset(&ev, 0, sizeof(ev));
                (void) ngx_vod_api_parse_event(&a, pull.items[i].json.data,
                                               pull.items[i].json.len, 0,
                                               &ev, &error);
            }
        }
        break;

    case 5:
        memset(&ev, 0, sizeof(ev));
        (void) ngx_vod_api_parse_event(&a, data, size, which >> 3, &ev,
                                       &error);
        break;

    default:
        (void) ngx_vod_api_error_refused(data, size);
        break;
    }

    check_str(&res.code);
    check_str(&res.message);

    fuzz_pool_free(&pool);
    free(data);

    return 0;
}
