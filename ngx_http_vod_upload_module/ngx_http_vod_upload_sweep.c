
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * The journal's sweep: worker 0 looks at the vod_upload_journal
 * directory at start and then every vod_upload_journal_sweep, and aborts
 * the multipart uploads of the records that no live upload owns: those
 * of a worker that is gone (stopped fast, killed, or cut off by
 * worker_shutdown_timeout: nobody holds its lock any more) and those
 * marked "orphan-".  Each record is swept by the relay engine on a
 * request of the module's own, with the configuration of the first
 * vod_upload location, one at a time.  The lock files of workers that
 * are gone go once their records have.
 */


#include "ngx_http_vod_upload_journal.h"
#include "ngx_http_vod_upload_relay.h"
#include "ngx_vod_journal.h"


typedef struct {
    ngx_pool_t                     *pool;       /* the process's */
    ngx_event_t                     timer;      /* the next round */
    ngx_event_t                     next;       /* the next record */
    ngx_event_t                     watch;      /* is the worker going */
    ngx_http_vod_upload_loc_conf_t *conf;
    ngx_path_t                     *dir;
    ngx_msec_t                      interval;

    /* the round under way */
    ngx_pool_t                     *round;
    ngx_array_t                    *names;      /* of ngx_str_t, paths */
    ngx_uint_t                      index;
    ngx_http_request_t             *request;    /* a record being swept */
    ngx_http_vod_upload_relay_t    *relay;
    ngx_str_t                       name;
    ngx_str_t                       record;     /* its bytes, secrets */
} ngx_http_vod_sweeper_t;


static void ngx_http_vod_sweep_round(ngx_event_t *ev);
static ngx_uint_t ngx_http_vod_sweep_unowned(ngx_http_vod_sweeper_t *s,
    ngx_str_t *file);
static void ngx_http_vod_sweep_locks(ngx_http_vod_sweeper_t *s);
static void ngx_http_vod_sweep_close(ngx_http_vod_sweeper_t *s,
    ngx_uint_t cut);
static void ngx_http_vod_sweep_watch(ngx_event_t *ev);
static void ngx_http_vod_sweep_next(ngx_event_t *ev);
static ngx_int_t ngx_http_vod_sweep_record(ngx_http_vod_sweeper_t *s,
    ngx_str_t *name);
static void ngx_http_vod_sweep_done(ngx_http_request_t *r);
static ngx_uint_t ngx_http_vod_sweep_stopping(void);


static ngx_http_vod_sweeper_t  *ngx_http_vod_sweeper;


static ngx_http_vod_upload_relay_handler_t  ngx_http_vod_sweep_handler = {
    NULL, NULL, NULL, ngx_http_vod_sweep_done
};


ngx_int_t
ngx_http_vod_upload_sweep_init_process(ngx_cycle_t *cycle)
{
    ngx_pool_t                       *pool;
    ngx_http_vod_sweeper_t           *s;
    ngx_http_vod_upload_main_conf_t  *vmcf;

    if ((ngx_process != NGX_PROCESS_WORKER
         && ngx_process != NGX_PROCESS_SINGLE)
        || ngx_worker != 0)
    {
        return NGX_OK;
    }

    vmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_vod_upload_module);

    if (vmcf == NULL || vmcf->journal == NULL || vmcf->sweep == NULL) {
        return NGX_OK;
    }

    /* a failure to sweep must not keep nginx from serving */

    pool = ngx_create_pool(1024, cycle->log);
    if (pool == NULL) {
        return NGX_OK;
    }

    s = ngx_pcalloc(pool, sizeof(ngx_http_vod_sweeper_t));
    if (s == NULL) {
        ngx_destroy_pool(pool);
        return NGX_OK;
    }

    s->pool = pool;
    s->conf = vmcf->sweep;
    s->dir = vmcf->journal;
    s->interval = vmcf->journal_sweep;

    s->timer.handler = ngx_http_vod_sweep_round;
    s->timer.data = s;
    s->timer.log = cycle->log;
    s->timer.cancelable = 1;

    s->next.handler = ngx_http_vod_sweep_next;
    s->next.data = s;
    s->next.log = cycle->log;

    s->watch.handler = ngx_http_vod_sweep_watch;
    s->watch.data = s;
    s->watch.log = cycle->log;
    s->watch.cancelable = 1;

    ngx_http_vod_sweeper = s;

    ngx_add_timer(&s->timer, 1);

    return NGX_OK;
}


void
ngx_http_vod_upload_sweep_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_vod_sweeper_t  *s;

    s = ngx_http_vod_sweeper;

    if (s == NULL) {
        return;
    }

    ngx_http_vod_sweeper = NULL;

    if (s->timer.timer_set) {
        ngx_del_timer(&s->timer);
    }

    if (s->next.posted) {
        ngx_delete_posted_event(&s->next);
    }

    if (s->request) {
        ngx_http_vod_sweep_close(s, 1);
    }

    if (s->round) {
        ngx_destroy_pool(s->round);
    }

    ngx_destroy_pool(s->pool);
}


/* a round: the records no live upload owns, then one after the other */

static void
ngx_http_vod_sweep_round(ngx_event_t *ev)
{
    ngx_http_vod_sweeper_t *s = ev->data;

    size_t      len;
    u_char     *p;
    ngx_dir_t   dir;
    ngx_str_t   path, file, *name;

    if (ngx_http_vod_sweep_stopping()) {
        return;
    }

    s->round = ngx_create_pool(4096, ev->log);
    if (s->round == NULL) {
        goto again;
    }

    s->names = ngx_array_create(s->round, 4, sizeof(ngx_str_t));
    if (s->names == NULL) {
        goto again;
    }

    s->index = 0;

    path.len = s->dir->name.len;
    path.data = ngx_pnalloc(s->round, path.len + 1);
    if (path.data == NULL) {
        goto again;
    }

    (void) ngx_cpystrn(path.data, s->dir->name.data, path.len + 1);

    if (ngx_open_dir(&path, &dir) == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, ev->log, ngx_errno,
                      "vod upload: cannot open the journal \"%V\"", &path);
        goto again;
    }

    for ( ;; ) {
        ngx_set_errno(0);

        if (ngx_read_dir(&dir) == NGX_ERROR) {
            break;
        }

        file.data = ngx_de_name(&dir);
        file.len = ngx_de_namelen(&dir);

        if (!ngx_http_vod_sweep_unowned(s, &file)) {
            continue;
        }

        len = path.len + 1 + file.len;

        p = ngx_pnalloc(s->round, len + 1);
        name = ngx_array_push(s->names);

        if (p == NULL || name == NULL) {
            break;
        }

        name->data = p;
        name->len = len;
        p = ngx_cpymem(p, path.data, path.len);
        *p++ = '/';
        p = ngx_cpymem(p, file.data, file.len);
        *p = '\0';

        /* a record half written by a worker that is gone */

        if (file.len > 4
            && ngx_strncmp(file.data + file.len - 4, ".tmp", 4) == 0)
        {
            (void) ngx_delete_file(name->data);
            s->names->nelts--;
        }
    }

    (void) ngx_close_dir(&dir);

    ngx_http_vod_sweep_next(&s->next);

    return;

again:

    if (s->round) {
        ngx_destroy_pool(s->round);
        s->round = NULL;
    }

    ngx_add_timer(&s->timer, s->interval);
}


/*
 * "orphan-...": unowned; "<token>-...": unowned once nobody holds the
 * lock of that token (its worker is gone); this worker's own: owned
 */

static ngx_uint_t
ngx_http_vod_sweep_unowned(ngx_http_vod_sweeper_t *s, ngx_str_t *file)
{
    size_t   i;
    u_char  *own;

    if (file->len > sizeof(NGX_HTTP_VOD_JOURNAL_ORPHAN) - 1
        && ngx_strncmp(file->data, NGX_HTTP_VOD_JOURNAL_ORPHAN,
                       sizeof(NGX_HTTP_VOD_JOURNAL_ORPHAN) - 1) == 0)
    {
        return 1;
    }

    if (file->len <= NGX_HTTP_VOD_JOURNAL_TOKEN
        || file->data[NGX_HTTP_VOD_JOURNAL_TOKEN] != '-')
    {
        return 0;
    }

    for (i = 0; i < NGX_HTTP_VOD_JOURNAL_TOKEN; i++) {
        if (!((file->data[i] >= '0' && file->data[i] <= '9')
              || (file->data[i] >= 'a' && file->data[i] <= 'f')))
        {
            return 0;
        }
    }

    own = ngx_http_vod_upload_journal_token();

    if (ngx_strncmp(file->data, own, NGX_HTTP_VOD_JOURNAL_TOKEN) == 0) {
        return 0;
    }

    return ngx_http_vod_upload_journal_gone(&s->dir->name, file->data,
                                            NGX_HTTP_VOD_JOURNAL_TOKEN);
}


/*
 * After a round: the lock files nobody holds and no record names any
 * more (their workers are gone and swept)
 */

static void
ngx_http_vod_sweep_locks(ngx_http_vod_sweeper_t *s)
{
    u_char     *own;
    ngx_dir_t   dir;
    ngx_str_t   path, file;
    ngx_uint_t  i, n;
    u_char      name[NGX_MAX_PATH];

    static const size_t  lock_len = NGX_HTTP_VOD_JOURNAL_TOKEN
                                    + sizeof(".lock") - 1;

    u_char  tokens[16][NGX_HTTP_VOD_JOURNAL_TOKEN];

    if (s->dir->name.len + lock_len + 2 > NGX_MAX_PATH) {
        return;
    }

    path.data = name;
    path.len = ngx_sprintf(name, "%V%Z", &s->dir->name) - name - 1;

    if (ngx_open_dir(&path, &dir) == NGX_ERROR) {
        return;
    }

    own = ngx_http_vod_upload_journal_token();
    n = 0;

    /* the first pass: lock files of gone workers (a few a round) */

    while (n < 16) {
        if (ngx_read_dir(&dir) == NGX_ERROR) {
            break;
        }

        file.data = ngx_de_name(&dir);
        file.len = ngx_de_namelen(&dir);

        if (file.len != lock_len
            || ngx_strncmp(file.data + NGX_HTTP_VOD_JOURNAL_TOKEN, ".lock",
                           5) != 0
            || ngx_strncmp(file.data, own, NGX_HTTP_VOD_JOURNAL_TOKEN) == 0
            || !ngx_http_vod_upload_journal_gone(&s->dir->name, file.data,
                                                 NGX_HTTP_VOD_JOURNAL_TOKEN))
        {
            continue;
        }

        ngx_memcpy(tokens[n++], file.data, NGX_HTTP_VOD_JOURNAL_TOKEN);
    }

    (void) ngx_close_dir(&dir);

    if (n == 0 || ngx_open_dir(&path, &dir) == NGX_ERROR) {
        return;
    }

    /* the second: a record still there keeps its lock file */

    for ( ;; ) {
        if (ngx_read_dir(&dir) == NGX_ERROR) {
            break;
        }

        file.data = ngx_de_name(&dir);
        file.len = ngx_de_namelen(&dir);

        if (file.len <= NGX_HTTP_VOD_JOURNAL_TOKEN
            || file.data[NGX_HTTP_VOD_JOURNAL_TOKEN] != '-')
        {
            continue;
        }

        for (i = 0; i < n; i++) {
            if (ngx_strncmp(file.data, tokens[i],
                            NGX_HTTP_VOD_JOURNAL_TOKEN) == 0)
            {
                tokens[i][0] = '\0';
            }
        }
    }

    (void) ngx_close_dir(&dir);

    for (i = 0; i < n; i++) {
        if (tokens[i][0] == '\0') {
            continue;
        }

        (void) ngx_sprintf(name, "%V/%*s.lock%Z", &s->dir->name,
                           (size_t) NGX_HTTP_VOD_JOURNAL_TOKEN, tokens[i]);
        (void) ngx_delete_file(name);
    }
}


/* the round's next record, or the next round */

static void
ngx_http_vod_sweep_next(ngx_event_t *ev)
{
    ngx_http_vod_sweeper_t *s = ev->data;

    ngx_str_t  *name;

    while (!ngx_http_vod_sweep_stopping() && s->index < s->names->nelts) {
        name = (ngx_str_t *) s->names->elts + s->index++;

        if (ngx_http_vod_sweep_record(s, name) == NGX_OK) {
            return;
        }
    }

    ngx_destroy_pool(s->round);
    s->round = NULL;

    if (!ngx_http_vod_sweep_stopping()) {
        ngx_http_vod_sweep_locks(s);
        ngx_add_timer(&s->timer, s->interval);
    }
}


/*
 * A record: its upload aborted by the engine (NGX_OK, done says when),
 * or nothing to do with it (a record that is not one, credentials that
 * expired: said once, the record deleted).
 */

static ngx_int_t
ngx_http_vod_sweep_record(ngx_http_vod_sweeper_t *s, ngx_str_t *name)
{
    size_t                  len;
    u_char                 *buf;
    ssize_t                 n;
    ngx_fd_t                fd;
    ngx_str_t               upload_id;
    const char             *err;
    ngx_file_info_t         fi;
    ngx_http_request_t     *r;
    ngx_http_vod_cos_t      cos;
    ngx_vod_journal_rec_t   rec;

    fd = ngx_open_file(name->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        return NGX_DECLINED;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
        || ngx_file_size(&fi) > NGX_VOD_JOURNAL_MAX)
    {
        (void) ngx_close_file(fd);
        err = "not a journal record";
        goto bad;
    }

    len = (size_t) ngx_file_size(&fi);

    r = ngx_http_vod_upload_fake_request(s->conf->upload_ctx,
                                         "sweeping the upload journal",
                                         "vod_upload_journal");
    if (r == NULL) {
        (void) ngx_close_file(fd);
        return NGX_DECLINED;
    }

    buf = ngx_pnalloc(r->pool, len + 1);

    n = buf ? read(fd, buf, len) : -1;

    (void) ngx_close_file(fd);

    s->request = r;
    s->record.data = buf;
    s->record.len = (n > 0) ? (size_t) n : 0;

    if (n != (ssize_t) len
        || ngx_vod_journal_parse(buf, len, &rec, &err) != NGX_VOD_OK)
    {
        ngx_http_vod_sweep_close(s, 0);

        if (n != (ssize_t) len) {
            return NGX_DECLINED;
        }

        goto bad;
    }

    ngx_memzero(&cos, sizeof(ngx_http_vod_cos_t));

    cos.host.data = rec.host.data;
    cos.host.len = rec.host.len;
    cos.key.data = rec.key.data;
    cos.key.len = rec.key.len;
    cos.secret_id.data = rec.secret_id.data;
    cos.secret_id.len = rec.secret_id.len;
    cos.secret_key.data = rec.secret_key.data;
    cos.secret_key.len = rec.secret_key.len;
    cos.token.data = rec.token.data;
    cos.token.len = rec.token.len;
    cos.expires = (time_t) rec.expires;

    upload_id.data = rec.upload_id.data;
    upload_id.len = rec.upload_id.len;

    if (ngx_time() >= cos.expires) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod upload: the multipart upload \"%V\" of %V%V "
                      "(journal record \"%V\") is left behind: its "
                      "temporary credentials expired", &upload_id,
                      &cos.host, &cos.key, name);

        ngx_http_vod_sweep_close(s, 0);
        (void) ngx_delete_file(name->data);

        return NGX_DECLINED;
    }

    if (ngx_http_vod_upload_cos_key_uri(r->pool, &cos.key, &cos.key_uri)
        != NGX_OK)
    {
        ngx_http_vod_sweep_close(s, 0);
        return NGX_DECLINED;
    }

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "vod upload: a worker that is gone left the multipart "
                  "upload \"%V\" of %V%V (journal record \"%V\"): aborting "
                  "it", &upload_id, &cos.host, &cos.key, name);

    s->relay = ngx_http_vod_upload_relay_sweep(r, s->conf,
                                               &ngx_http_vod_sweep_handler,
                                               &cos, &upload_id);
    if (s->relay == NULL) {
        ngx_http_vod_sweep_close(s, 0);
        return NGX_DECLINED;
    }

    s->name = *name;

    ngx_add_timer(&s->watch, 250);

    return NGX_OK;

bad:

    ngx_log_error(NGX_LOG_ERR, s->timer.log, 0,
                  "vod upload: the journal record \"%V\" is %s: deleted",
                  name, err);

    (void) ngx_delete_file(name->data);

    return NGX_DECLINED;
}


/*
 * The record's upload is aborted, or could not be: the record goes, or
 * stays (as an orphan) for the next round.  The request is ended here,
 * the next record is taken from an event of its own.
 */

static void
ngx_http_vod_sweep_done(ngx_http_request_t *r)
{
    ngx_http_vod_sweeper_t        *s;
    ngx_http_vod_upload_result_t  *res;

    s = ngx_http_vod_sweeper;

    res = ngx_http_vod_upload_relay_result(s->relay);

    if (res->left_behind) {
        ngx_http_vod_upload_journal_orphan(r->connection->log, &s->name);

    } else {
        ngx_http_vod_upload_journal_delete(r->connection->log, &s->name);
    }

    ngx_http_vod_sweep_close(s, 0);

    ngx_post_event(&s->next, &ngx_posted_events);
}


/* the record's request ends; its bytes (the credentials) are wiped */

static void
ngx_http_vod_sweep_close(ngx_http_vod_sweeper_t *s, ngx_uint_t cut)
{
    if (s->record.len) {
        ngx_explicit_memzero(s->record.data, s->record.len);
        s->record.len = 0;
    }

    if (s->watch.timer_set) {
        ngx_del_timer(&s->watch);
    }

    ngx_http_vod_upload_fake_close(s->request, cut);

    s->request = NULL;
    s->relay = NULL;
}


/*
 * A worker going away does not wait for a sweep: its calls are cut (nginx
 * does not see them, worker_shutdown_timeout neither), the record stays
 * for the next worker 0
 */

static void
ngx_http_vod_sweep_watch(ngx_event_t *ev)
{
    ngx_http_vod_sweeper_t *s = ev->data;

    if (s->request == NULL) {
        return;
    }

    if (!ngx_http_vod_sweep_stopping()) {
        ngx_add_timer(&s->watch, 250);
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, ev->log, 0,
                  "vod upload: the worker is going away: the journal "
                  "record \"%V\" is left for the next sweep", &s->name);

    ngx_http_vod_sweep_close(s, 1);
}


static ngx_uint_t
ngx_http_vod_sweep_stopping(void)
{
    return ngx_exiting || ngx_quit || ngx_terminate;
}
