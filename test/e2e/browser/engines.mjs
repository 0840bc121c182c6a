// The three browser engines the real-browser tests run in, each Debian's own build (scripts/setup.sh
// --browser installs them; `npm test` runs that), offline, behind one small page interface:
//   Chromium  /usr/bin/chromium       through playwright-core (Chrome DevTools Protocol)
//   Firefox   /usr/bin/firefox-esr    through puppeteer-core (WebDriver BiDi)
//   WebKit    WebKitGTK's MiniBrowser through WebKitWebDriver (W3C WebDriver), on a private Xvfb
// Playwright's own Firefox and WebKit are patched builds it downloads, which this network cannot;
// Debian's are the engines users run. A missing browser is an error naming the setup command, never
// a skip.
//
// Everything a test does goes through `EnginePage`: script evaluated in the page (its DOM is how a
// test reads and sets controls, as Playwright's own selectOption and fill do), real clicks, file
// inputs, downloads and screenshots. Uncaught errors are recorded by the page itself (every page
// under test starts with UNCAUGHT_ERRORS_SCRIPT), because WebDriver has no event for them.
// Plain JavaScript, so that bench/browsers.mjs runs it in Node as it is; its types, with the
// interface's documentation, are in engines.d.mts.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';

export const ENGINES = ['Chromium', 'Firefox', 'WebKit'];

/** Set LUCID_OPTIM_CHROMIUM / LUCID_OPTIM_FIREFOX / LUCID_OPTIM_WEBKIT to use other binaries. */
export const BINARIES = {
  Chromium: process.env.LUCID_OPTIM_CHROMIUM ?? '/usr/bin/chromium',
  Firefox: process.env.LUCID_OPTIM_FIREFOX ?? '/usr/bin/firefox-esr',
  WebKit: process.env.LUCID_OPTIM_WEBKIT ?? `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/webkit2gtk-4.1/MiniBrowser`,
};

/**
 * The first script of every page the tests open: it keeps the page's uncaught errors and unhandled
 * rejections in `window.uncaughtErrors`, which `EnginePage.errors()` reads.
 */
export const UNCAUGHT_ERRORS_SCRIPT = "<script>window.uncaughtErrors = []; addEventListener('error', (e) => uncaughtErrors.push(String(e.error ?? e.message))); " +
  "addEventListener('unhandledrejection', (e) => uncaughtErrors.push(String(e.reason)));</script>";

const TIMEOUT_MS = 90_000;

export async function launch(name) {
  if (!existsSync(BINARIES[name])) {
    throw new Error(`no ${name} at ${BINARIES[name]}: run \`bash scripts/setup.sh --browser\` (Debian), ` +
      `or point LUCID_OPTIM_${name.toUpperCase()} at another ${name} build`);
  }
  if (name === 'Chromium') return launchChromium();
  if (name === 'Firefox') return launchFirefox();
  return launchWebKit();
}

// --- in-page pieces shared by the engines whose protocol lacks them -------------------------------

async function pageErrors(page) {
  const errors = await page.evaluate(() => window.uncaughtErrors ?? null);
  if (errors === null) throw new Error('this page does not record its uncaught errors: start it with UNCAUGHT_ERRORS_SCRIPT');
  return errors;
}

async function waitInPage(page, fn, arg) {
  const deadline = Date.now() + TIMEOUT_MS;
  while (!(await page.evaluate(fn, arg))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${TIMEOUT_MS / 1000} s waiting for ${fn.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A File from base64 bytes, put into the input through a DataTransfer: the input's files, then `input` and `change`. */
function setFileInPage({ selector, name, mimeType, base64 }) {
  const input = document.querySelector(selector);
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, { type: mimeType }));
  input.files = transfer.files;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  input.dispatchEvent(new Event('change', { bubbles: true }));
}

/** `EnginePage.setInputFile` through the page's DOM (setFileInPage), for engines without a file chooser command. */
function setFileViaPage(page, selector, file) {
  return page.evaluate(setFileInPage, { selector, name: file.name, mimeType: file.mimeType, base64: Buffer.from(file.bytes).toString('base64') });
}

/** Catches the next `<a download>` click's blob instead of saving it (`window.caughtDownload`, base64). */
function catchDownloadInPage() {
  const click = HTMLAnchorElement.prototype.click;
  window.caughtDownload = new Promise((resolve) => {
    HTMLAnchorElement.prototype.click = function () {
      if (!this.download) return click.call(this);
      HTMLAnchorElement.prototype.click = click;
      const name = this.download;
      void fetch(this.href)
        .then((response) => response.arrayBuffer())
        .then((buffer) => {
          let binary = '';
          for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
          resolve({ name, base64: btoa(binary) });
        });
    };
  });
}

async function downloadInPage(page, selector) {
  await page.evaluate(catchDownloadInPage);
  await page.click(selector);
  const caught = await page.evaluate(() => window.caughtDownload);
  return { name: caught.name, bytes: Buffer.from(caught.base64, 'base64') };
}

// --- Chromium: playwright-core ----------------------------------------------------------------------

async function launchChromium() {
  const browser = await chromium.launch({
    executablePath: BINARIES.Chromium,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
    ],
  });
  return {
    name: 'Chromium',
    version: `Chromium ${browser.version()}`,
    close: () => browser.close(),
    async newPage(viewport) {
      const page = await browser.newPage(viewport ? { viewport } : {});
      page.setDefaultTimeout(TIMEOUT_MS);
      const self = {
        goto: async (url) => void (await page.goto(url)),
        evaluate: (fn, arg) => page.evaluate(fn, arg),
        waitFor: async (fn, arg) => void (await page.waitForFunction(fn, arg)),
        click: (selector) => page.click(selector),
        setInputFile: (selector, file) => page.setInputFiles(selector, { ...file, buffer: Buffer.from(file.bytes) }),
        async download(selector) {
          // A real download, as the browser saves it.
          const [download] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
          return { name: download.suggestedFilename(), bytes: readFileSync((await download.path())) };
        },
        screenshot: async (path) => void (await page.screenshot({ path })),
        errors: () => pageErrors(self),
        close: () => page.close(),
      };
      return self;
    },
  };
}

// --- Firefox: puppeteer-core over WebDriver BiDi ------------------------------------------------------

async function launchFirefox() {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: BINARIES.Firefox,
    headless: true,
    protocol: 'webDriverBiDi',
    // No updates, telemetry or first-run pages: the test's requests are the only ones.
    extraPrefsFirefox: { 'app.update.enabled': false, 'datareporting.policy.dataSubmissionEnabled': false, 'browser.shell.checkDefaultBrowser': false },
  });
  const version = (await browser.version()).replace('firefox/', 'Firefox ');
  return {
    name: 'Firefox',
    version,
    close: () => browser.close(),
    async newPage(viewport) {
      const page = await browser.newPage();
      page.setDefaultTimeout(TIMEOUT_MS);
      if (viewport)
        await page.setViewport(viewport);
      const self = {
        goto: async (url) => void (await page.goto(url)),
        evaluate: (fn, arg) => page.evaluate(fn, arg),
        waitFor: (fn, arg) => waitInPage(self, fn, arg),
        click: (selector) => page.click(selector),
        setInputFile: (selector, file) => setFileViaPage(self, selector, file),
        download: (selector) => downloadInPage(self, selector),
        screenshot: async (path) => void (await page.screenshot({ path })),
        errors: () => pageErrors(self),
        close: () => page.close(),
      };
      return self;
    },
  };
}

// --- WebKit: WebKitGTK's MiniBrowser through WebKitWebDriver, on its own Xvfb display ------------------

/** A TCP port the system picks; WebKitWebDriver takes a number, not a listening socket. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Xvfb on the first free display, which it reports on fd 3 (-displayfd): no display number is chosen here. */
async function startXvfb() {
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1600x1200x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  let stderr = '';
  xvfb.stderr.on('data', (chunk) => (stderr += chunk));
  const display = await new Promise((resolve, reject) => {
    let out = '';
    xvfb.stdio[3].on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n'))
        resolve(`:${out.trim()}`);
    });
    xvfb.once('error', (error) => reject(new Error(`cannot start Xvfb (scripts/setup.sh --browser installs it): ${error.message}`)));
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited with ${code}: ${stderr}`)));
  });
  return { display, process: xvfb };
}

/**
 * WebKitWebDriver on a port the system picked a moment before. Another process may take that port
 * in between (the driver takes a number, not a socket): then the driver exits, and this tries
 * again with another port.
 */
async function startDriver(display) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    // WebKitGTK takes navigator.language from the locale; a bare CI's C/POSIX locale makes it "c",
    // which Intl refuses (uPlot's `new Intl.NumberFormat(navigator.language)` throws). A user's
    // browser has a real one.
    const driver = spawn('WebKitWebDriver', [`--port=${port}`], { env: { ...process.env, DISPLAY: display, LANG: 'en_US.UTF-8', LANGUAGE: 'en_US' }, stdio: 'ignore' });
    let exited = false;
    driver.once('exit', () => (exited = true));
    const started = Date.now();
    while (!exited && Date.now() - started < 10_000) {
      const ready = await fetch(`http://127.0.0.1:${port}/status`).then((r) => r.ok, () => false);
      if (ready) return { driver, port };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    driver.kill();
    if (attempt === 5) throw new Error(`WebKitWebDriver did not start (5 attempts; the last on port ${port}${exited ? ', which it left at once' : ''})`);
  }
}

async function launchWebKit() {
  const xvfb = await startXvfb();
  let driver, port;
  try {
    ({ driver, port } = await startDriver(xvfb.display));
  } catch (error) {
    xvfb.process.kill();
    throw error;
  }
  const stop = () => {
    driver.kill();
    xvfb.process.kill();
  };
  const base = `http://127.0.0.1:${port}`;
  /** One WebDriver command (the driver answers: startDriver waited for it). */
  async function command(method, path, body) {
    const response = await fetch(base + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const { value } = await response.json();
    if (!response.ok) throw new Error(`WebDriver ${method} ${path}: ${value.error}: ${value.message}`);
    return value;
  }
  let session;
  try {
    session = await command('POST', '/session', {
      capabilities: { alwaysMatch: { browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary: BINARIES.WebKit, args: ['--automation'] } } },
    });
    await command('POST', `/session/${session.sessionId}/timeouts`, { script: TIMEOUT_MS, pageLoad: TIMEOUT_MS });
  } catch (error) {
    stop();
    throw error;
  }
  const s = `/session/${session.sessionId}`;
  // Each page is a window of the one session; commands go to the current window, so each page
  // switches to its own before it acts (a test awaits each action: they never interleave).
  // The session's first window is never closed (closing a session's last window ends it): a page
  // that closes it leaves it blank for the next page.
  const firstWindow = await command('GET', `${s}/window`);
  let current = firstWindow;
  let firstWindowFree = true;
  return {
    name: 'WebKit',
    version: `WebKitGTK ${session.capabilities.browserVersion}`,
    async close() {
      await command('DELETE', s).catch(() => undefined);
      stop();
    },
    async newPage(viewport) {
      if (!firstWindowFree && current !== firstWindow) {
        // New windows are opened from a current one, which a closed page's window no longer is.
        await command('POST', `${s}/window`, { handle: firstWindow });
        current = firstWindow;
      }
      const handle = firstWindowFree ? firstWindow : (await command('POST', `${s}/window/new`, { type: 'window' })).handle;
      if (handle === firstWindow)
        firstWindowFree = false;
      const use = async () => {
        if (current !== handle)
          await command('POST', `${s}/window`, { handle });
        current = handle;
      };
      const on = async (method, path, body) => {
        await use();
        return command(method, `${s}${path}`, body);
      };
      if (viewport)
        await on('POST', '/window/rect', viewport);
      const element = async (selector) => Object.values(await on('POST', '/element', { using: 'css selector', value: selector }))[0];
      const self = {
        goto: async (url) => void (await on('POST', '/url', { url })),
        async evaluate(fn, arg) {
          const script = 'const [arg, done] = arguments; Promise.resolve().then(() => (' + fn.toString() + ')(arg))' +
            '.then((value) => done({ value: value === undefined ? null : value }), (error) => done({ error: String(error && error.stack || error) }));';
          const result = await on('POST', '/execute/async', { script, args: [arg ?? null] });
          if (result.error !== undefined) throw new Error(`in the page: ${result.error}`);
          return result.value;
        },
        waitFor: (fn, arg) => waitInPage(self, fn, arg),
        click: async (selector) => void (await on('POST', `/element/${await element(selector)}/click`, {})),
        setInputFile: (selector, file) => setFileViaPage(self, selector, file),
        download: (selector) => downloadInPage(self, selector),
        screenshot: async (path) => writeFileSync(path, Buffer.from(await on('GET', '/screenshot'), 'base64')),
        errors: () => pageErrors(self),
        async close() {
          if (handle === firstWindow) {
            await on('POST', '/url', { url: 'about:blank' });
            firstWindowFree = true;
          } else {
            await on('DELETE', '/window');
            current = undefined;
          }
        },
      };
      return self;
    },
  };
}
