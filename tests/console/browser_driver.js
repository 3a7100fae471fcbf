// Drives Debian's chromium for tests/console/console_test.py: one headless
// browser and page, steered by JSON lines on stdin, each answered by one
// JSON line on stdout ({"ok": true, "value": ...} or {"ok": false, "error"}).
// The test keeps the logic (Python, beside tutti_harness); this only does
// what a person at the browser would, and reports what the page did.
//
//   {"op": "open", "url": ..., "viewport": {...}}   a fresh page at url
//   {"op": "viewport", "viewport": {...}}           width, height, isMobile, hasTouch
//   {"op": "wait", "js": "<expression>", "timeout": ms}  until it is truthy; its value
//   {"op": "eval", "js": "<expression>"}            its value (JSON)
//   {"op": "type", "selector": ..., "text": ...}    keys into an input
//   {"op": "click", "selector": ...}                a real click (mouse or tap)
//   {"op": "screenshot", "path": ..., "fullPage": true}
//   {"op": "block", "prefix": "/v1/rooms"}  GETs of paths under it fail from now on
//   {"op": "unblock"}
//   {"op": "url"}        where the page is
//   {"op": "requests"}   every request: url, method, authorization present
//   {"op": "errors"}     the page's uncaught errors, console errors, CSP reports
//   {"op": "close"}
'use strict';

const readline = require('readline');
const puppeteer = require('puppeteer-core');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

let browser = null;
let page = null;
const requests = [];
const errors = [];
let blocked = null;  // a path prefix whose GETs are failed (the page must live on events)

async function newPage(viewport) {
  if (page) await page.close();
  page = await browser.newPage();
  if (viewport) await page.setViewport(viewport);
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const headers = request.headers();
    const path = new URL(request.url()).pathname;
    const blocking = blocked !== null && request.method() === 'GET' && path.startsWith(blocked);
    requests.push({
      url: request.url(),
      method: request.method(),
      authorization: Boolean(headers.authorization),
      blocked: blocking,
    });
    if (blocking) request.abort('failed');
    else request.continue();
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console error: ${message.text()}`);
  });
}

async function run(command) {
  switch (command.op) {
    case 'open':
      if (!browser) {
        browser = await puppeteer.launch({
          executablePath: CHROMIUM,
          headless: true,
          // As root in a container: no sandbox; /dev/shm may be small.
          args: ['--no-sandbox', '--headless=new', '--disable-dev-shm-usage',
                 '--disable-gpu', '--no-first-run', '--no-default-browser-check'],
        });
      }
      await newPage(command.viewport);
      await page.goto(command.url, {waitUntil: 'load'});
      return page.url();
    case 'viewport':
      await page.setViewport(command.viewport);
      return null;
    case 'wait': {
      const handle = await page.waitForFunction(command.js, {
        timeout: command.timeout || 10000, polling: 50,
      });
      return await handle.jsonValue();
    }
    case 'eval':
      return await page.evaluate(command.js);
    case 'type':
      await page.type(command.selector, command.text);
      return null;
    case 'click':
      await page.click(command.selector);
      return null;
    case 'screenshot':
      await page.screenshot({path: command.path, fullPage: Boolean(command.fullPage)});
      return command.path;
    case 'block':
      blocked = command.prefix;
      return null;
    case 'unblock':
      blocked = null;
      return null;
    case 'requests':
      return requests;
    case 'errors':
      return errors;
    case 'url':
      return page.url();
    case 'close':
      if (browser) await browser.close();
      browser = null;
      return null;
    default:
      throw new Error(`unknown op ${command.op}`);
  }
}

const lines = readline.createInterface({input: process.stdin});
let queue = Promise.resolve();
lines.on('line', (line) => {
  queue = queue.then(async () => {
    let answer;
    try {
      const command = JSON.parse(line);
      answer = {ok: true, value: await run(command)};
    } catch (error) {
      answer = {ok: false, error: String(error && error.stack || error)};
    }
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  });
});
lines.on('close', () => {
  queue.then(async () => {
    if (browser) await browser.close();
    process.exit(0);
  });
});
