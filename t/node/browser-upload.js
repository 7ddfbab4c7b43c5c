// The upload page (examples/upload-page) in headless Chromium (Debian's
// chromium, driven by playwright-core): served from its own origin, it
// uploads to nginx's locations on another one, as a user would: files set
// on its inputs, a mode picked, the Upload button clicked.  Prints what the
// page showed, a line a fact:
//
//   <name> paused at N%, the button says Resume      (with pause_at)
//   <name> progress rising to 100% in N steps
//   <name> FileId ID
//   <name> MediaUrl URL (the bytes it serves are the file's | are NOT ...)
//   <name> CoverUrl URL | (none)
//   <name> events NewFileUpload ProcedureStateChanged
//   <name> transcodes N (results with an output URL)
//   <name> links to other FileIds N
//   <name> error CODE: MESSAGE
//   <name> screenshot PATH
//
// The argument: {"page": "http://127.0.0.1:PORT/", "app": "unix:/path"
// (where the page's application, events-app.js, listens), "shots": DIR,
// "uploads": [{"name", "mode": "form|tus|put", "media": PATH,
// "cover": PATH, "title": TEXT, "events": true, "drop": true (the media
// dropped on the drop zone, not picked), "pause_at": PERCENT (tus: Pause
// there, then Resume), "same_page": true (no reload before it)}]}

'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');
const { chromium } = require('playwright-core');
const eventsApp = require('../../examples/upload-page/events-app.js');

const arg = JSON.parse(process.argv[2]);

function md5(buf) {
  return crypto.createHash('md5').update(buf).digest('hex');
}

function get(url) {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks)));
    }).on('error', reject);
  });
}

async function upload(page, u) {
  const out = (line) => console.log(`${u.name} ${line}`);

  if (!u.same_page) await page.goto(arg.page);

  // every value the progress text takes, as the user sees it change
  await page.evaluate(() => {
    window.seenProgress = [];
    if (window.watchingProgress) return;
    window.watchingProgress = true;
    const text = document.getElementById('progress-text');
    new MutationObserver(() => window.seenProgress.push(text.textContent))
      .observe(text, { childList: true, characterData: true, subtree: true });
  });

  await page.check(`input[name=mode][value=${u.mode}]`);
  if (u.title) await page.fill('#title', u.title);
  if (u.cover) await page.setInputFiles('#cover', u.cover);
  if (u.drop) {
    await dropFile(page, u.media);
  } else {
    await page.setInputFiles('#media', u.media);
  }
  await page.click('#start:not([disabled])');

  if (u.pause_at) {
    // Pause once the page shows that much, then Resume: the rest is sent
    // from where nginx kept the upload (tus-js-client asks with a HEAD)
    await page.waitForFunction((at) => parseInt(
      document.getElementById('progress-text').textContent, 10) >= at,
    u.pause_at, { timeout: 20000 });
    await page.click('#pause');
    await page.waitForFunction(() =>
      document.getElementById('state').textContent === 'paused');
    out(`paused at ${await page.textContent('#progress-text')}, `
        + `the button says ${await page.textContent('#pause')}`);
    await page.click('#pause');
  }

  await page.waitForFunction(() =>
    (document.getElementById('file-id').textContent
     && !document.getElementById('result').hidden)
    || !document.getElementById('error').hidden, null, { timeout: 40000 });

  const seen = (await page.evaluate(() => window.seenProgress))
    .map((t) => parseInt(t, 10));
  const rising = seen.every((v, i) => i === 0 || v >= seen[i - 1]);
  out(`progress ${rising ? 'rising' : 'NOT rising'} to `
      + `${seen[seen.length - 1]}% in ${new Set(seen).size} steps`);

  if (!(await page.isHidden('#error'))) {
    out(`error ${await page.textContent('#error-code')}: `
        + `${await page.textContent('#error-message')}`);
    await shot(page, u, out);
    return;
  }

  out(`FileId ${await page.textContent('#file-id')}`);

  const mediaUrl = await page.textContent('#media-url');
  const same = md5(await get(mediaUrl)) === md5(fs.readFileSync(u.media));
  out(`MediaUrl ${mediaUrl} (the bytes it serves are ${same ? '' : 'NOT '}`
      + 'the file\'s)');
  out(`CoverUrl ${await page.textContent('#cover-url')}`);

  if (u.events) {
    await page.waitForSelector('#events li[data-type=ProcedureStateChanged]',
                               { timeout: 20000 });
    const types = await page.$$eval('#events > li', (lis) =>
      lis.map((li) => li.dataset.type));
    out(`events ${types.join(' ')}`);
    const n = await page.$$eval('#events li[data-result=Transcode] a',
                                (as) => as.length);
    out(`transcodes ${n}`);
    const id = await page.textContent('#file-id');
    const others = await page.$$eval('#events a', (as, id) =>
      as.filter((a) => !a.href.includes(`/vod/${id}/`)).length, id);
    out(`links to other FileIds ${others}`);
  }

  await shot(page, u, out);
}

// a file dropped on the page's drop zone, as a user drags it there
async function dropFile(page, file) {
  const data = fs.readFileSync(file).toString('base64');
  const dt = await page.evaluateHandle(({ data, name }) => {
    const bin = atob(data);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const t = new DataTransfer();
    t.items.add(new File([bytes], name, { type: 'video/mp4' }));
    return t;
  }, { data, name: path.basename(file) });
  await page.dispatchEvent('#drop', 'dragenter', { dataTransfer: dt });
  await page.dispatchEvent('#drop', 'drop', { dataTransfer: dt });
}

async function shot(page, u, out) {
  if (!arg.shots) return;
  fs.mkdirSync(arg.shots, { recursive: true });
  const file = path.join(arg.shots, `${u.name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  out(`screenshot ${file}`);
}

async function main() {
  const app = eventsApp.createApp();
  await eventsApp.listen(app, arg.app);

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    // root has no sandbox; the page is the project's own
    args: ['--no-sandbox'],
  });

  try {
    const page = await browser.newPage();
    // the page's own errors (an answer's status, refusals included, is
    // what the page shows, and the test reads it there)
    page.on('console', (m) => {
      if (m.type() === 'error'
          && !m.text().startsWith('Failed to load resource')) {
        console.error(`page console: ${m.text()}`);
      }
    });
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));

    for (const u of arg.uploads) {
      await upload(page, u);
    }
  } finally {
    await browser.close();
    app.close();
  }
}

main().then(() => process.exit(0), (err) => {
  console.log(`failed: ${err.message.split('\n')[0]}`);
  process.exit(1);
});
