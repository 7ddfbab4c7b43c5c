// Plain HTTP requests of the tus protocol, one after the other, against
// an upload that the first one creates: for the protocol's corners that
// tus-js-client never sends (a wrong offset, a wrong type, ...); for
// t/022-tus.t.
//
//   node tus-steps.js '<json>'
//
// json:
//   base     "http://127.0.0.1:PORT"
//   h2       every request over one HTTP/2 connection (prior knowledge)
//   file     the bytes requests send ("bytes": [from, to))
//   steps    requests, in order: { method, path ("/files/", or "{url}"
//            for the upload URL the first 201 gave), headers, bytes,
//            base (another server), show (headers to print),
//            wait_expiry (first wait until the Upload-Expires of the
//            creation: the behaviour under test is the clock's),
//            hold (declare this Content-Length, send the bytes, and
//            not the rest: the request stays under way while the next
//            steps run; cut at the end),
//            chunked (the bytes without a Content-Length),
//            until (a header and its value: the request is sent again
//            until the answer has it, at most 10 s: a condition to wait
//            for, such as a held PATCH's first part in COS),
//            kill_workers (instead of a request: SIGKILL to the worker
//            processes of the nginx master whose pid file this names) }
//
// Prints a line a request: "<METHOD> <status> [<error code>]
// [<Header>=<value> ...]" and exits 0.

'use strict';

const fs = require('fs');
const http = require('http');
const http2 = require('http2');

const o = JSON.parse(process.argv[2]);
const file = o.file ? fs.readFileSync(o.file) : Buffer.alloc(0);

let session = null;
let url = null;
let expires = null;
let last = {};              // the headers of the last answer
const held = [];

function send(step) {
  return new Promise((resolve) => {
    const path = step.path === '{url}' ? url : step.path;
    if (path === null) {
      resolve(step.method + ' (no upload URL)');
      return;
    }
    const body = step.bytes ? file.subarray(step.bytes[0], step.bytes[1])
                            : null;
    const headers = Object.assign({}, step.headers || {});
    if (body && !step.chunked) {
      headers['Content-Length'] = step.hold || body.length;
    }
    const onResponse = (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        last = res.headers;
        let code = '';
        try {
          code = JSON.parse(text).error.code;
        } catch (e) {
          code = '';
        }
        if (res.statusCode === 201) {
          url = res.headers.location;
          expires = Date.parse(res.headers['upload-expires']);
        }
        const shown = (step.show || []).map(
          (h) => h + '=' + res.headers[h.toLowerCase()]);
        resolve([step.method, res.statusCode, code].concat(shown)
          .filter((x) => x !== '').join(' '));
      });
    };
    let req;
    if (o.h2) {
      req = h2request(step.method, path, headers, body);
      req.on('response', (head) => {
        req.statusCode = head[':status'];
        req.headers = head;
        onResponse(req);
      });
    } else {
      req = http.request((step.base || o.base) + path, {
        method: step.method,
        headers,
        agent: false,       // a connection a request, none kept
      }, onResponse);
    }
    req.on('error', (e) => resolve(step.method + ' error ' + e.message));
    if (step.hold) {
      held.push(req);
      // under way once the server took the bytes (its HEAD says so)
      req.write(body, () => resolve(step.method + ' held'));
      return;
    }
    if (body || !o.h2) {
      req.end(body || undefined);
    }
  });
}

// a request as an HTTP/2 stream
function h2request(method, path, headers, body) {
  if (!session) {
    session = http2.connect(o.base);
  }
  const h = { ':method': method, ':path': path };
  for (const k of Object.keys(headers)) {
    h[k.toLowerCase()] = String(headers[k]);
  }
  return session.request(h, { endStream: !body });
}

// the children of the master whose pid file is given, killed
function killWorkers(pidFile) {
  const master = fs.readFileSync(pidFile, 'utf8').trim();
  let n = 0;
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) {
      continue;
    }
    let stat;
    try {
      stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    } catch (e) {
      continue;
    }
    // the parent pid is the second field after the command in ()
    const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
    if (ppid === master) {
      process.kill(Number(pid), 'SIGKILL');
      n++;
    }
  }
  return 'killed ' + (n > 0 ? 'the workers' : 'nothing');
}

async function main() {
  for (const step of o.steps) {
    if (step.kill_workers) {
      process.stdout.write(killWorkers(step.kill_workers) + '\n');
      continue;
    }
    if (step.wait_expiry && expires) {
      await new Promise((r) => setTimeout(r, expires - Date.now() + 1000));
    }
    let line = await send(step);
    if (step.until) {
      const want = Object.keys(step.until)[0];
      const deadline = Date.now() + 10000;
      while (last[want.toLowerCase()] !== step.until[want]
             && Date.now() < deadline) {
        line = await send(step);
      }
    }
    process.stdout.write(line + '\n');
  }
  held.forEach((req) => req.destroy());
  if (session) {
    session.close();
  }
}

main();
