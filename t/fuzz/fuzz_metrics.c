
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * libFuzzer target of ngx_vod_metrics.c: what a request to vod_status
 * asks for (its query string and Accept header, both the client's), and
 * the rendering of any counters (the input's bytes laid over them, the
 * list of uploads in flight included) into buffers of every size: the
 * length told is the length written, nothing goes past the buffer, and
 * the JSON's length does not depend on the buffer.  The input: the
 * query, a NUL, the Accept header, a NUL, then the counters' bytes.
 */

#include "fuzz.h"
#include "ngx_vod_metrics.h"


static ngx_vod_metrics_t         m;
static ngx_vod_metrics_upload_t  u[4];
static u_char                    buf[256 * 1024];


static void
render(size_t size)
{
    size_t  len, n;

    memset(buf, 0xa5, sizeof(buf));

    len = ngx_vod_metrics_prometheus(&m, NULL, 0);
    n = ngx_vod_metrics_prometheus(&m, buf, size);

    if (n != len || (size < sizeof(buf) && buf[size] != 0xa5)) {
        abort();
    }

    if (n < size && (buf[n] != '\0' || memchr(buf, '\0', n) != NULL)) {
        abort();
    }

    memset(buf, 0xa5, sizeof(buf));

    len = ngx_vod_metrics_json(&m, u, 4, 1000, NULL, 0);
    n = ngx_vod_metrics_json(&m, u, 4, 1000, buf, size);

    if (n != len || (size < sizeof(buf) && buf[size] != 0xa5)) {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    size_t                  qlen, alen, k;
    const uint8_t          *q, *a, *rest, *nul;
    ngx_vod_metrics_ask_t   ask;

    q = in;
    nul = memchr(in, '\0', size);
    qlen = nul ? (size_t) (nul - in) : size;

    a = nul ? nul + 1 : in + size;
    nul = memchr(a, '\0', in + size - a);
    alen = nul ? (size_t) (nul - a) : (size_t) (in + size - a);

    rest = nul ? nul + 1 : in + size;

    (void) ngx_vod_metrics_ask(q, qlen, alen ? a : NULL, alen, &ask);

    /* the counters: zero, with the rest of the input laid over them */

    memset(&m, 0, sizeof(m));
    memset(u, 0, sizeof(u));

    k = (size_t) (in + size - rest);
    memcpy(&m, rest, k < sizeof(m) ? k : sizeof(m));

    if (k > sizeof(m)) {
        k -= sizeof(m);
        memcpy(u, rest + sizeof(m), k < sizeof(u) ? k : sizeof(u));
    }

    /* the ids as the glue gives them: at most their room */

    for (k = 0; k < 4; k++) {
        if (u[k].id_len > NGX_VOD_METRICS_ID_LEN) {
            u[k].id_len = NGX_VOD_METRICS_ID_LEN;
        }
    }

    render(0);
    render(1);
    render(qlen % 4096);
    render(sizeof(buf));

    return 0;
}
