// Uploads one file with tus-js-client (the tus project's own client, as
// browsers and Node use it) through nginx's vod_upload location with
// vod_upload_tus on; for t/022-tus-client.t.
//
//   node tus-client.js '<json>'
//
// json:
//   endpoint     the creation URL ("http://127.0.0.1:PORT/files/")
//   file         the bytes to upload
//   metadata     Upload-Metadata (an object), default {filename: "a.mp4"}
//   chunk_size   bytes per PATCH (default: all in one)
//   deferred     the length is not known at creation (a stream source)
//   stop_at      send this many bytes, then nothing (the source stalls);
//                once HEAD answers at least cut_when (parts stored while
//                the PATCH is under way), cut the connection, as when a
//                network breaks; then resume with a new Upload of the
//                same URL, once HEAD answers at least expect_offset (what
//                the server kept of the broken request)
//   cut_when, expect_offset   see stop_at (default 0)
//   resume_base  resume at another server: "http://127.0.0.1:PORT"
//   terminate    after stop_at: DELETE the upload instead of resuming it
//   upload_url   no creation: resume this URL
//   stale_url    start with this URL as tus-js-client's uploadUrl (one it
//                stored, say): if the server does not know it, the client
//                creates a new upload at the endpoint
//
// Prints what happened, one line each:
//   created <path of the upload URL without the token>
//   stopped
//   resumed from <offset>            (the offset the server answered)
//   success <Upload-Offset> <X-VOD-File-Id> <X-VOD-Media-Url>
//   terminated
//   error <status> <body>
// and exits 0 (the test compares the lines).

'use strict';

const fs = require('fs');
const http = require('http');
const stream = require('stream');
const tus = require('tus-js-client');

const o = JSON.parse(process.argv[2]);
const size = fs.statSync(o.file).size;
const metadata = o.metadata || { filename: 'a.mp4' };

function print(line) {
  process.stdout.write(line + '\n');
}

function source() {
  if (!o.deferred) {
    return fs.createReadStream(o.file);
  }
  // a stream of unknown length (not a file's: tus-js-client would take
  // the file's size); tus-js-client needs a chunk size
  const s = new stream.PassThrough();
  fs.createReadStream(o.file).pipe(s);
  return s;
}

// the file's bytes up to stop_at, then a stream that never ends; once
// they were sent, the cut (see stop_at)
let upload;
let stopped = false;

const stalling = {
  openFile: () => Promise.resolve({
    size,
    slice: (start, end) => {
      const last = Math.min(end, o.stop_at);
      const s = new stream.PassThrough();
      const file = fs.createReadStream(o.file, { start, end: last - 1 });
      file.on('end', () => poll(upload.url, o.cut_when || 0, cut));
      file.pipe(s, { end: false });
      s.size = end - start;
      return Promise.resolve({ value: s, done: end >= size });
    },
    close: () => {},
  }),
};

function cut() {
  if (stopped) {
    return;
  }
  stopped = true;
  // abort(): the request is cut, as when a connection breaks
  upload.abort().then(() => {
    print('stopped');
    if (o.terminate) {
      terminate(upload.url);
    } else {
      resume(upload.url);
    }
  });
}

function options(extra) {
  const opt = {
    endpoint: o.endpoint,
    metadata,
    retryDelays: null,
    removeFingerprintOnSuccess: true,
    storeFingerprintForResuming: false,
    onError: (err) => {
      const res = err.originalResponse;
      if (res) {
        print('error ' + res.getStatus() + ' ' + res.getBody());
      } else {
        print('error ' + err.message);
      }
      process.exit(0);
    },
  };
  if (o.chunk_size) {
    opt.chunkSize = o.chunk_size;
  }
  if (o.deferred) {
    opt.uploadLengthDeferred = true;
    opt.chunkSize = opt.chunkSize || size;
  } else {
    opt.uploadSize = size;
  }
  return Object.assign(opt, extra);
}

function finished(lastResponse) {
  print('success ' + lastResponse.getHeader('Upload-Offset') + ' '
        + lastResponse.getHeader('X-VOD-File-Id') + ' '
        + lastResponse.getHeader('X-VOD-Media-Url'));
}

function head(url, done) {
  const req = http.request(url, {
    method: 'HEAD',
    headers: { 'Tus-Resumable': '1.0.0' },
  }, (res) => {
    res.resume();
    res.on('end', () => done(res.statusCode, res.headers));
  });
  req.on('error', (e) => { print('error ' + e.message); process.exit(0); });
  req.end();
}

// HEAD until the server holds at least offset bytes, at most 10 s (a
// condition, not a time: the parts reach COS when they do)
function poll(url, offset, done) {
  const deadline = Date.now() + 10000;
  const again = () => head(url, (status, headers) => {
    if (status === 200 && Number(headers['upload-offset']) < offset
        && Date.now() < deadline) {
      setImmediate(again);
      return;
    }
    done(status, headers);
  });
  again();
}

function resume(url) {
  if (o.resume_base) {
    url = o.resume_base + new URL(url).pathname;
  }

  // the broken request's last part may still be on its way to COS
  poll(url, o.expect_offset || 0, (status, headers) => {
    if (status !== 200) {
      print('error ' + status + ' HEAD');
      process.exit(0);
    }
    print('resumed from ' + headers['upload-offset']);

    const upload = new tus.Upload(source(), options({
      uploadUrl: url,
      // a PATCH of the broken request may still be under way: 423
      retryDelays: [100, 300, 1000, 3000],
      onSuccess: (payload) => finished(payload.lastResponse),
    }));
    upload.start();
  });
}

function terminate(url) {
  tus.Upload.terminate(url, { retryDelays: null }).then(() => {
    print('terminated');
    head(url, (status) => {
      print('after termination HEAD ' + status);
    });
  }, (err) => {
    print('error ' + err.message);
  });
}

if (o.upload_url) {
  resume(o.upload_url);
} else if (o.stale_url) {
  upload = new tus.Upload(source(), options({
    uploadUrl: o.stale_url,
    onUploadUrlAvailable: () => {
      const path = new URL(upload.url).pathname;
      print('created ' + path.slice(0, path.lastIndexOf('/') + 1));
    },
    onSuccess: (payload) => finished(payload.lastResponse),
  }));
  upload.start();
} else {
  const extra = o.stop_at ? { fileReader: stalling } : {};
  upload = new tus.Upload(source(), options(Object.assign(extra, {
    onUploadUrlAvailable: () => {
      const path = new URL(upload.url).pathname;
      print('created ' + path.slice(0, path.lastIndexOf('/') + 1));
    },
    onSuccess: (payload) => finished(payload.lastResponse),
  })));
  upload.start();
}
