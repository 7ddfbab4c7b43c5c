// The upload page (examples/upload-page) in headless Chromium (Debian's
// chromium, driven by playwright-core): served from its own origin, it
// uploads to nginx's locations on another one, as a user would: files set
// on its inputs, a mode picked, the Upload button clicked.  Prints what the
// page showed, a line a fact:
//
//   <name> progress rising to 100% in N steps
//   <name> FileId ID
//   <name> MediaUrl URL (the bytes it serves are the file's | are NOT ...)
//   <name> CoverUrl URL | (none)
//   <name> events NewFileUpload ProcedureStateChanged
//   <name> transcodes N (results with an output URL)
//   <name> error CODE: MESSAGE
//   <name> screenshot PATH
//
// The argument: {"page": "http://127.0.0.1:PORT/", "app": "unix:/path"
// (where the page's application, events-app.js, listens), "shots": DIR,
// "uploads": [{"name", "mode": "form|tus|put", "media": PATH,
// "cover": PATH, "title": TEXT, "events": true}]}

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

  await page.goto(arg.page);

  // every value the progress text takes, as the user sees it change
  await page.evaluate(() => {
    window.seenProgress = [];
    const text = document.getElementById('progress-text');
    new MutationObserver(() => window.seenProgress.push(text.textContent))
      .observe(text, { childList: true, characterData: true, subtree: true });
  });

  await page.check(`input[name=mode][value=${u.mode}]`);
  if (u.title) await page.fill('#title', u.title);
  if (u.cover) await page.setInputFiles('#cover', u.cover);
  await page.setInputFiles('#media', u.media);
  await page.click('#start:not([disabled])');

  await page.waitForFunction(() =>
    document.getElementById('file-id').textContent
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
  }

  await shot(page, u, out);
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
    page.on('console', (m) => {
      if (m.type() === 'error') console.error(`page console: ${m.text()}`);
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
