// An HTTP/2 PUT whose last DATA frames arrive while nginx has stopped
// reading (every part buffer taken): 2 MiB + 1000 bytes at once, 1.5 s
// later 19000 bytes, 200 ms later the rest and the end of the stream.
// Writes "<status> <body>" (or "error <message>") to the file named.
//
//   node h2-paused-put.js PORT OUTPUT_FILE

'use strict';

const http2 = require('http2');
const fs = require('fs');

const [port, out] = process.argv.slice(2);
const total = 2 * 1048576 + 40000;
const body = Buffer.alloc(total, 7);
const first = 2 * 1048576 + 1000;

const c = http2.connect('http://127.0.0.1:' + port);
const req = c.request({ ':method': 'PUT', ':path': '/upload/h2.mp4',
                        'content-length': String(total) });
let status = 0;
let data = '';

function done(text) {
    fs.writeFileSync(out + '.tmp', text);
    fs.renameSync(out + '.tmp', out);
    c.close();
}

req.on('response', (h) => { status = h[':status']; });
req.on('data', (d) => { data += d; });
req.on('end', () => done(status + ' ' + data));
req.on('error', (e) => done('error ' + e));
c.on('error', (e) => done('error ' + e));

req.write(body.subarray(0, first));

setTimeout(() => {
    req.write(body.subarray(first, first + 19000));
    setTimeout(() => req.end(body.subarray(first + 19000)), 200);
}, 1500);
