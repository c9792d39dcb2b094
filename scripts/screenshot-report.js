#!/usr/bin/env node
// A full-page PNG of a `datagen check --report` page, for docs/check.md:
//
//   node scripts/screenshot-report.js report.html docs/img/check-report.png [--width 1280] [--height PX]
//
// --height keeps the top PX pixels only (a dataset's report is many screens long).
// Drives the system Chromium (/usr/bin/chromium, or $DATAGEN_CHROMIUM) through puppeteer-core;
// no browser is downloaded. The page is opened from file:// with every other request refused,
// as a reader without network would see it, and the PNG is taken once every chart is drawn.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const fail = (message) => {
  process.stderr.write(`screenshot-report: ${message}\n`);
  process.exit(2);
};

const args = process.argv.slice(2);
/** Takes `--name N` out of args: a whole number of pixels >= 320, or the default. */
function pixels(name, fallback) {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [, text] = args.splice(i, 2);
  const value = Number(text);
  if (!Number.isInteger(value) || value < 320) fail(`${name} takes a whole number of pixels >= 320, not ${text ?? 'nothing'}`);
  return value;
}
const width = pixels('--width', 1280);
const height = pixels('--height', undefined);
const [input, output] = args;
if (!input || !output || args.length !== 2) fail('usage: node scripts/screenshot-report.js REPORT.html OUT.png [--width 1280] [--height PX]');
if (!existsSync(input)) fail(`no such report: ${input}`);
// $DATAGEN_CHROMIUM, when set, is the only browser tried (a path that does not exist: none).
const chromium = (process.env.DATAGEN_CHROMIUM ? [process.env.DATAGEN_CHROMIUM] : ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']).find((p) => existsSync(p));
if (!chromium) fail(`no Chromium at ${process.env.DATAGEN_CHROMIUM ?? '/usr/bin/chromium'} (apt-get install chromium, or set DATAGEN_CHROMIUM to a Chromium or Chrome binary)`);

const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--headless=new', '--disable-dev-shm-usage', '--disable-gpu', '--hide-scrollbars'] });
try {
  const page = await browser.newPage();
  await page.setViewport({ width, height: 900, deviceScaleFactor: 1 });
  await page.setRequestInterception(true);
  page.on('request', (req) => (/^(file|data):/.test(req.url()) ? req.continue() : req.abort()));
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(pathToFileURL(resolve(input)).href, { waitUntil: 'load', timeout: 90_000 });
  await page.waitForSelector('body[data-drawn]', { timeout: 60_000 });
  mkdirSync(dirname(resolve(output)), { recursive: true });
  if (height === undefined) await page.screenshot({ path: output, fullPage: true });
  else await page.screenshot({ path: output, clip: { x: 0, y: 0, width, height }, captureBeyondViewport: true });
  const drawn = await page.evaluate('document.body.getAttribute("data-drawn")');
  process.stderr.write(`screenshot-report: ${output} (${drawn} charts drawn${errors.length ? `; page errors: ${errors.join(' | ')}` : ''})\n`);
  if (errors.length) process.exitCode = 1;
} finally {
  await browser.close();
}
