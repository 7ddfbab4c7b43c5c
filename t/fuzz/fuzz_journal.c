
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * libFuzzer target of the journal's records (ngx_vod_journal.c), read
 * back from files another worker (or another, killed, nginx) wrote: any
 * bytes must be parsed or refused, and a record that parses, written
 * again, must read the same.
 */

#include "fuzz.h"
#include "ngx_vod_journal.h"


int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    u_char                 *data, *out, *end;
    size_t                  n;
    const char             *error;
    ngx_vod_journal_rec_t   rec, again;

    data = fuzz_copy(in, size);

    memset(&rec, 0, sizeof(rec));

    if (ngx_vod_journal_parse(data, size, &rec, &error) == NGX_VOD_OK) {
        n = ngx_vod_journal_size(&rec);
        out = malloc(n ? n : 1);
        if (out == NULL) {
            abort();
        }

        end = ngx_vod_journal_write(out, &rec);
        if ((size_t) (end - out) > n) {
            abort();                    /* more than the room computed */
        }

        memset(&again, 0, sizeof(again));

        if (ngx_vod_journal_parse(out, end - out, &again, &error)
            != NGX_VOD_OK
            || again.expires != rec.expires
            || !fuzz_same(&again.host, &rec.host) || !fuzz_same(&again.key, &rec.key)
            || !fuzz_same(&again.upload_id, &rec.upload_id)
            || !fuzz_same(&again.secret_id, &rec.secret_id)
            || !fuzz_same(&again.secret_key, &rec.secret_key)
            || !fuzz_same(&again.token, &rec.token))
        {
            abort();                    /* written, it reads otherwise */
        }

        free(out);
    }

    free(data);

    return 0;
}
