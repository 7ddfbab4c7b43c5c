// One tus upload with tus-js-client, for t/soak/soak.pl.
//
//   node tus-js.js '<json>'
//
// json:
//   endpoint     the creation URL ("http://127.0.0.1:PORT/files/")
//   file, start, length   the bytes: a slice of this file
//   metadata     Upload-Metadata (an object)
//   chunk_size   bytes per PATCH (default: all in one)
//   deferred     the length is not known at creation (a stream source)
//
// Retries as tus-js-client does by default (HEAD, then PATCH from the
// offset the server holds). Prints one line:
//   success <status> <Upload-Offset> <X-VOD-File-Id> <ms of the last request>
//   error <status or message> <upload URL or ->
// and, after an error, terminates the upload (DELETE, tried again until
// it is gone):
//   terminated <status>
// tus-js-client makes a new upload when a HEAD of its upload fails (a
// 502, say) and leaves the old one open: every upload it made but the
// one that succeeded is terminated too, and counted:
//   abandoned <n> <statuses of their DELETEs>
// Exits 0.

'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const stream = require('stream');
const tus = require(require.resolve('tus-js-client',
  { paths: [path.join(__dirname, '..', 'node')] }));

const o = JSON.parse(process.argv[2]);
const fd = fs.openSync(o.file, 'r');
const bytes = Buffer.alloc(o.length);
fs.readSync(fd, bytes, 0, o.length, o.start);
fs.closeSync(fd);

function print(line) {
  process.stdout.write(line + '\n');
}

// DELETE url until it is gone (at most tries times); done(status)
function del(url, tries, done) {
  const again = (what) => {
    if (tries <= 1) {
      done(what);
    } else {
      setTimeout(() => del(url, tries - 1, done), 500);
    }
  };
  const req = http.request(url, {
    method: 'DELETE', headers: { 'Tus-Resumable': '1.0.0' },
  }, (res) => {
    res.resume();
    res.on('end', () => {
      if (res.statusCode === 204 || res.statusCode === 404) {
        done(res.statusCode);
      } else {
        again(res.statusCode);
      }
    });
  });
  req.on('error', (e) => again(e.message.replace(/\s+/g, '_')));
  req.end();
}

// DELETE each of urls, one after the other; then done(statuses)
function delAll(urls, done, got = []) {
  if (!urls.length) {
    done(got);
    return;
  }
  del(urls[0], 20, (st) => delAll(urls.slice(1), done, got.concat([st])));
}

const urls = [];
function abandoned(keep, then) {
  const rest = urls.filter((u) => u !== keep);
  if (!rest.length) {
    then();
    return;
  }
  delAll(rest, (st) => {
    print('abandoned ' + rest.length + ' ' + st.join(','));
    then();
  });
}

let source = bytes;
if (o.deferred) {
  const s = new stream.PassThrough();
  s.end(bytes);
  source = s;
}

let last = Date.now();
const opt = {
  endpoint: o.endpoint,
  metadata: o.metadata,
  retryDelays: [200, 500, 1000, 2000, 3000, 5000],
  removeFingerprintOnSuccess: true,
  storeFingerprintForResuming: false,
  onBeforeRequest: () => { last = Date.now(); },
  onError: (err) => {
    const res = err.originalResponse;
    const what = res ? String(res.getStatus())
                     : String(err.message).replace(/\s+/g, '_').slice(0, 80);
    print('error ' + what + ' ' + (upload.url || '-'));
    abandoned(upload.url, () => {
      if (upload.url) {
        del(upload.url, 20, (st) => {
          print('terminated ' + st);
          process.exit(0);
        });
      } else {
        process.exit(0);
      }
    });
  },
  onUploadUrlAvailable: () => { urls.push(upload.url); },
  onSuccess: ({ lastResponse }) => {
    print('success ' + lastResponse.getStatus() + ' '
          + lastResponse.getHeader('Upload-Offset') + ' '
          + (lastResponse.getHeader('X-VOD-File-Id') || '-') + ' '
          + (Date.now() - last));
    abandoned(upload.url, () => process.exit(0));
  },
};
if (o.chunk_size) {
  opt.chunkSize = o.chunk_size;
}
if (o.deferred) {
  opt.uploadLengthDeferred = true;
  opt.chunkSize = opt.chunkSize || o.length;
} else {
  opt.uploadSize = o.length;
}
const upload = new tus.Upload(source, opt);
upload.start();
