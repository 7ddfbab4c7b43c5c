// The upload page: a video (dropped or picked) goes to nginx's vod_upload
// locations on another origin, by tus (tus-js-client, resumable), as a form
// POST with an optional cover, or as a plain PUT; the page shows the
// progress, FileId, MediaUrl, CoverUrl, then VOD's events for that FileId as
// the application (events-app.js, behind this page's origin) receives them.
//
// config.json, next to this page, says where the locations are:
//   {"tus": "https://upload.example.com/files/",
//    "form": "https://upload.example.com/upload/",
//    "put": "https://upload.example.com/upload/",
//    "events": "/app/events",
//    "tus_chunk_size": 52428800}
// tus_chunk_size is optional (none: one PATCH for the rest of the file).

'use strict';

(function () {
  const $ = (id) => document.getElementById(id);

  const form = $('upload-form');
  const drop = $('drop');
  const media = $('media');
  const cover = $('cover');
  const title = $('title');
  const start = $('start');
  const pause = $('pause');

  let config = null;
  let running = null;     // { abort(), resume(), paused } of the upload
  let watch = null;       // the AbortController of the events' long poll

  // an upload under way (a paused one lets another start)
  const busy = () => running !== null && !running.paused;

  // --- what the user sees

  function show(id, on) {
    $(id).hidden = !on;
  }

  function progress(fraction) {
    const pct = Math.floor(fraction * 100);
    $('progress').value = pct;
    $('progress-text').textContent = pct + '%';
  }

  function state(text) {
    $('state').textContent = text;
  }

  function failed(code, message) {
    $('error-code').textContent = code;
    $('error-message').textContent = message;
    show('error', true);
    state('failed');
    done();
  }

  // a link only to http(s): what an answer or an event says is not trusted
  function safeUrl(url) {
    return typeof url === 'string' && /^https?:\/\//i.test(url) ? url : null;
  }

  function link(id, url) {
    const a = $(id);
    a.textContent = url || '(none)';
    if (safeUrl(url)) {
      a.href = url;
    } else {
      a.removeAttribute('href');
    }
  }

  function uploaded(fileId, mediaUrl, coverUrl) {
    $('file-id').textContent = fileId;
    link('media-url', mediaUrl);
    link('cover-url', coverUrl);
    show('result', true);
    progress(1);
    state('in VOD');
    done();
    watchEvents(fileId);
  }

  function done() {
    running = null;
    pause.hidden = true;
    start.disabled = !media.files.length;
  }

  // an answer's JSON error ({"error": {"code", "message"}}), or its status
  function answerError(status, text) {
    try {
      const e = JSON.parse(text).error;
      if (e && e.code) return [e.code, e.message || ''];
    } catch (err) { /* not JSON */ }
    return ['HTTP ' + status, text ? text.slice(0, 200) : 'no answer'];
  }

  // --- choosing the file

  function chosen() {
    const f = media.files[0];
    $('drop-text').firstChild.textContent = f
      ? f.name + ' (' + (f.size / 1048576).toFixed(1) + ' MiB) '
      : 'Drop a video here, or ';
    start.disabled = !f || !config || busy();
  }

  media.addEventListener('change', chosen);

  ['dragenter', 'dragover'].forEach((type) => drop.addEventListener(type,
    (e) => { e.preventDefault(); drop.classList.add('over'); }));
  ['dragleave', 'drop'].forEach((type) => drop.addEventListener(type,
    () => drop.classList.remove('over')));
  // a file dropped anywhere else must not replace the page (and an
  // upload under way with it)
  ['dragover', 'drop'].forEach((type) => document.addEventListener(type,
    (e) => e.preventDefault()));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    if (e.dataTransfer.files.length) {
      media.files = e.dataTransfer.files;
      chosen();
    }
  });

  function mode() {
    return form.querySelector('input[name=mode]:checked').value;
  }

  // a cover goes with a form only
  form.querySelectorAll('input[name=mode]').forEach((r) =>
    r.addEventListener('change', () => show('cover-row', mode() === 'form')));
  show('cover-row', mode() === 'form');

  // --- the three ways up

  // form POST and PUT: XMLHttpRequest, for its upload progress events
  function xhrUpload(method, url, body) {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) progress(e.loaded / e.total);
    };
    xhr.upload.onload = () => state('finishing in VOD');
    xhr.onload = () => {
      if (xhr.status === 200) {
        const r = JSON.parse(xhr.responseText);
        uploaded(r.FileId, r.MediaUrl, r.CoverUrl);
      } else {
        failed(...answerError(xhr.status, xhr.responseText));
      }
    };
    xhr.onerror = () => failed('NetworkError', 'the connection to '
                               + new URL(url).origin + ' failed');
    xhr.send(body);
    running = { abort: () => xhr.abort() };
  }

  function formUpload(file) {
    // the order matters: what comes before "media" is known when the
    // upload is applied for
    const data = new FormData();
    if (title.value) data.append('title', title.value);
    if (cover.files.length) data.append('cover', cover.files[0]);
    data.append('media', file);
    xhrUpload('POST', config.form, data);
  }

  function putUpload(file) {
    // the media's name is the URL's file name: the title, if any, with
    // the file's extension (its media type)
    const ext = (file.name.match(/\.[A-Za-z0-9]+$/) || [''])[0];
    const name = title.value ? title.value + ext : file.name;
    xhrUpload('PUT', config.put + encodeURIComponent(name), file);
  }

  // media committed by an earlier request of this upload: in VOD, but
  // this answer cannot name it (VOD's NewFileUpload event will)
  function committedEarlier() {
    uploaded('(committed earlier: see VOD\'s NewFileUpload event)', null,
             null);
  }

  function tusUpload(file) {
    let fileId = null;
    let mediaUrl = null;

    // the URL of an upload of this file whose commit VOD has not
    // confirmed: asked again (a HEAD commits it) rather than sent again
    const key = 'vod-upload-unconfirmed:' + [config.tus, file.name, file.size,
                                              file.lastModified].join('|');

    const upload = new tus.Upload(file, {
      endpoint: config.tus,
      uploadUrl: localStorage.getItem(key) || undefined,
      chunkSize: config.tus_chunk_size || Infinity,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      metadata: { filename: file.name, filetype: file.type || '',
                  title: title.value },
      removeFingerprintOnSuccess: true,
      onProgress: (sent, total) => {
        progress(sent / total);
        if (sent === total) {
          // all sent: a pause now would only cut off VOD's answer
          pause.hidden = true;
          state('finishing in VOD');
        } else if (!running.paused) {
          state('uploading');
        }
      },
      // the answer that completes the upload names the media in VOD
      onAfterResponse: (req, res) => {
        const id = res.getHeader('X-VOD-File-Id');
        if (id) {
          fileId = id;
          mediaUrl = res.getHeader('X-VOD-Media-Url');
        }
      },
      onSuccess: ({ lastResponse }) => {
        if (fileId) {
          localStorage.removeItem(key);
          uploaded(fileId, mediaUrl, null);
        } else if (lastResponse.getStatus() === 202) {
          localStorage.setItem(key, upload.url);
          settle(upload.url, key);
        } else {
          localStorage.removeItem(key);
          committedEarlier();
        }
      },
      onError: (err) => {
        const res = err.originalResponse;
        if (res) {
          failed(...answerError(res.getStatus(), res.getBody()));
        } else {
          failed('NetworkError', err.message);
        }
      },
    });

    running = {
      abort: () => upload.abort(),
      resume: () => upload.start(),
      paused: false,
    };
    pause.hidden = false;
    pause.textContent = 'Pause';

    // a file this browser began to upload before resumes where it stopped
    upload.findPreviousUploads().then((previous) => {
      if (previous.length && !localStorage.getItem(key)) {
        state('resuming');
        upload.resumeFromPreviousUpload(previous[0]);
      }
      upload.start();
    });
  }

  // 202 CommitUnconfirmed: VOD may or may not have the media; a HEAD of
  // the upload URL commits it now, or says an earlier try had
  async function settle(url, key) {
    state('asking VOD');
    let res = null;
    try {
      res = await fetch(url, { method: 'HEAD',
                               headers: { 'Tus-Resumable': '1.0.0' } });
    } catch (err) { /* below */ }

    if (res && res.status === 200) {
      localStorage.removeItem(key);
      const id = res.headers.get('X-VOD-File-Id');
      if (id) {
        uploaded(id, res.headers.get('X-VOD-Media-Url'), null);
      } else {
        committedEarlier();
      }
    } else {
      failed('CommitUnconfirmed', 'every byte is in, but VOD has not '
             + 'confirmed the upload yet: upload the same file again to ask '
             + '(nothing is sent again)');
    }
  }

  pause.addEventListener('click', () => {
    if (!running || !running.resume) return;
    if (!running.paused) {
      running.paused = true;
      running.abort();
      pause.textContent = 'Resume';
      state('paused');
    } else {
      running.paused = false;
      running.resume();
      pause.textContent = 'Pause';
      state('uploading');
    }
    chosen();
  });

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const file = media.files[0];
    if (!file || busy()) return;

    // a paused upload stays where it is (uploading its file again resumes
    // it); the events of an earlier upload are no longer this page's
    if (running) running.abort();
    running = null;
    if (watch) watch.abort();
    watch = null;
    $('file-id').textContent = '';

    show('error', false);
    show('result', false);
    show('events-box', false);
    $('events').textContent = '';
    show('progress-box', true);
    progress(0);
    state('uploading');
    start.disabled = true;

    ({ tus: tusUpload, form: formUpload, put: putUpload })[mode()](file);
  });

  // --- VOD's events, as the application received them

  function describe(ev) {
    const li = document.createElement('li');
    li.dataset.type = ev.type;
    const e = (ev.event && typeof ev.event === 'object') ? ev.event : {};
    const head = document.createElement('strong');
    head.textContent = ev.type;
    li.append(head);

    const info = (e.FileUploadEvent || {}).MediaBasicInfo;
    const p = e.ProcedureStateChangeEvent;

    if (ev.type === 'NewFileUpload' && info) {
      li.append(': uploaded, ' + info.Type);
    } else if (ev.type === 'ProcedureStateChanged' && p) {
      li.append(': ' + p.Status);
      const ul = document.createElement('ul');
      for (const r of Array.isArray(p.MediaProcessResultSet)
                      ? p.MediaProcessResultSet : []) {
        const t = (r && r[r.Type + 'Task']) || {};
        const item = document.createElement('li');
        item.dataset.result = r.Type;
        item.append(r.Type + ' ' + ((t.Input || {}).Definition || '') + ' '
                    + (t.Status || '') + ' ');
        const url = safeUrl((t.Output || {}).Url);
        if (url) {
          const a = document.createElement('a');
          a.href = url;
          a.textContent = url;
          item.append(a);
        }
        ul.append(item);
      }
      li.append(ul);
    } else if (ev.task_id) {
      li.append(': task ' + ev.task_id);
    }
    $('events').append(li);
    return ev.type === 'ProcedureStateChanged' && p && p.Status === 'FINISH';
  }

  // long polls of the application until the transcoding is over; ends
  // when another upload starts (watch aborted)
  async function watchEvents(fileId) {
    if (!config.events || !/^[0-9A-Za-z._-]+$/.test(fileId)) return;
    show('events-box', true);
    const mine = new AbortController();
    watch = mine;
    let after = 0;
    const until = Date.now() + 30 * 60 * 1000;

    while (Date.now() < until && !mine.signal.aborted) {
      let got = [];
      try {
        const res = await fetch(config.events + '?file_id='
                                + encodeURIComponent(fileId)
                                + '&after=' + after,
                                { signal: mine.signal });
        if (res.ok) got = (await res.json()).events || [];
      } catch (err) { /* aborted, or the application is away */ }

      if (mine.signal.aborted) return;

      if (!got.length) {
        await new Promise((r) => setTimeout(r, 2000));
        continue;
      }
      for (const ev of got) {
        after = Math.max(after, ev.n);
        if (ev.file_id === fileId && describe(ev)) {
          watch = null;
          return;
        }
      }
    }
  }

  // --- where the locations are

  fetch('config.json').then((res) => res.json()).then((c) => {
    config = c;
    chosen();
  }, (err) => failed('NoConfig', 'config.json: ' + err.message));
})();
