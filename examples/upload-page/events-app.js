#!/usr/bin/env node
// The application side of the upload page: the smallest backend that shows
// VOD's events to the browser that uploaded the media.
//
//   POST /vod-events      what nginx's vod_callback_pass hands on (the event's
//                         JSON, X-VOD-Event-Type, X-VOD-File-Id,
//                         X-VOD-Task-Id): kept in memory, answered 204.
//                         Only nginx may reach it (an internal location):
//                         never expose it to browsers, who could forge
//                         events
//   GET  /events?file_id=ID&after=N
//                         the events of that FileId after number N, as JSON
//                         {"events": [{"n", "type", "file_id", "task_id",
//                         "event"}]}; when there are none yet, the answer
//                         waits for one (at most 25 s), so the page polls
//                         without hammering
//
//   node events-app.js LISTEN     LISTEN: HOST:PORT, or unix:/path/to/socket
//
// Prints "events-app: ready on LISTEN" once listening.  A real application
// would keep the events in its database and check who may see which FileId;
// this one keeps the last 1000 and shows them to anyone who knows the FileId.

'use strict';

const http = require('http');
const fs = require('fs');

const KEEP = 1000;
const WAIT_MS = 25000;
const BODY_MAX = 1 << 20;

function createApp() {
  const events = [];
  // numbers go on growing across restarts, so a page that asks for what
  // came after the number it saw last still gets what comes next
  let last = Date.now();
  const waiting = new Set();

  function matching(fileId, after) {
    return events.filter((e) => e.n > after && e.file_id === fileId);
  }

  function answer(res, status, body) {
    const data = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'Content-Length': Buffer.byteLength(data),
    });
    res.end(data);
  }

  function receive(req, res) {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > BODY_MAX) {
        answer(res, 413, { error: 'event too large' });
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      let event;
      try {
        event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        event = null;
      }
      if (event === null || typeof event !== 'object' || Array.isArray(event)) {
        answer(res, 400, { error: 'an event is a JSON object' });
        return;
      }
      const e = {
        n: ++last,
        type: req.headers['x-vod-event-type'] || event.EventType || '',
        file_id: req.headers['x-vod-file-id'] || '',
        task_id: req.headers['x-vod-task-id'] || '',
        event,
      };
      events.push(e);
      if (events.length > KEEP) events.shift();

      for (const w of waiting) {
        if (w.fileId === e.file_id) w.wake();
      }
      res.writeHead(204);
      res.end();
    });
  }

  function list(req, res, url) {
    const fileId = url.searchParams.get('file_id') || '';
    const after = Number(url.searchParams.get('after') || 0);
    if (!/^[0-9A-Za-z._-]{1,64}$/.test(fileId) || !Number.isFinite(after)) {
      answer(res, 400, { error: 'file_id and after are needed' });
      return;
    }

    const found = matching(fileId, after);
    if (found.length) {
      answer(res, 200, { events: found });
      return;
    }

    const w = {
      fileId,
      wake() {
        clearTimeout(w.timer);
        waiting.delete(w);
        answer(res, 200, { events: matching(fileId, after) });
      },
    };
    w.timer = setTimeout(w.wake, WAIT_MS);
    waiting.add(w);
    req.on('close', () => {
      clearTimeout(w.timer);
      waiting.delete(w);
    });
  }

  return http.createServer((req, res) => {
    let url;
    try {
      url = new URL(req.url, 'http://app');
    } catch (err) {
      answer(res, 400, { error: 'not a URL' });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/vod-events') {
      receive(req, res);
    } else if (req.method === 'GET' && url.pathname === '/events') {
      list(req, res, url);
    } else {
      answer(res, 404, { error: 'not here' });
    }
  });
}

// listen on HOST:PORT or unix:PATH; resolves to the address listened on
function listen(server, where) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if (where.startsWith('unix:')) {
      const path = where.slice(5);
      try { fs.unlinkSync(path); } catch (err) { /* not there */ }
      server.listen(path, () => resolve(where));
    } else {
      const i = where.lastIndexOf(':');
      server.listen(Number(where.slice(i + 1)), where.slice(0, i), () =>
        resolve(`${where.slice(0, i)}:${server.address().port}`));
    }
  });
}

module.exports = { createApp, listen };

if (require.main === module) {
  const where = process.argv[2];
  if (!where) {
    console.error('usage: events-app.js HOST:PORT | unix:/path');
    process.exit(2);
  }
  const server = createApp();
  listen(server, where).then((at) => {
    console.log(`events-app: ready on ${at}`);
  }, (err) => {
    console.error(`events-app: ${where}: ${err.message}`);
    process.exit(1);
  });
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => process.exit(0));
  }
}
