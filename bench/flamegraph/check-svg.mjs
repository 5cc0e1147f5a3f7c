// Opens a flame graph SVG made by bench/flamegraph.sh in Debian's Chromium and
// checks that it is one a reader can use: it renders on its own (no request
// leaves the file), it has frames, its heading is shown, the frames named in
// EXPECT are there, and most frames carry a symbol rather than "[unknown]".
//
//   node check-svg.mjs <file.svg> [png]    (env EXPECT="name|name", TITLE="text")
//
// With a second argument it also writes a PNG screenshot of the whole graph.
import {chromium} from 'playwright-core';
import path from 'node:path';
import {pathToFileURL} from 'node:url';

const [svgPath, pngPath] = process.argv.slice(2);
if (!svgPath) {
  console.error('usage: node check-svg.mjs <file.svg> [screenshot.png]');
  process.exit(2);
}
const expected = (process.env.EXPECT || '').split('|').filter(Boolean);
const title = process.env.TITLE || '';

const failures = [];
function check(condition, what) {
  console.log(`${condition ? 'ok  ' : 'FAIL'} ${what}`);
  if (!condition) failures.push(what);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  const url = pathToFileURL(path.resolve(svgPath)).href;
  const foreign = [];
  page.on('request', (request) => {
    if (request.url() !== url) foreign.push(request.url());
  });
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.goto(url, {waitUntil: 'load'});

  const seen = await page.evaluate(() => {
    const svg = document.documentElement;
    const frames = [...document.querySelectorAll('g.func_g')];
    const names = frames.map((g) => g.getAttribute('data-funcname') || '');
    const heading = [...document.querySelectorAll('text')].map((t) => t.textContent.trim());
    return {
      root: svg.localName,
      width: svg.getBoundingClientRect().width,
      height: svg.getBoundingClientRect().height,
      frames: frames.length,
      rects: document.querySelectorAll('rect').length,
      unknown: names.filter((n) => n === '[unknown]').length,
      names,
      heading,
    };
  });
  const unknownShare = seen.frames ? seen.unknown / seen.frames : 1;
  console.log(`${seen.frames} frames (<g>), ${seen.rects} <rect>, ${seen.unknown} "[unknown]", ` +
    `${Math.round(seen.width)}x${Math.round(seen.height)} px`);
  check(seen.root === 'svg' && seen.width > 0 && seen.height > 0, 'Chromium renders it as an SVG');
  check(seen.frames >= 20 && seen.rects > seen.frames, 'it has frames');
  check(unknownShare < 0.5, `most frames are named (${(unknownShare * 100).toFixed(0)} % "[unknown]")`);
  if (title) check(seen.heading.includes(title), `the heading "${title}" is shown`);
  for (const name of expected) {
    check(seen.names.some((n) => n.includes(name)), `a frame names ${name}`);
  }
  check(errors.length === 0, `no script error${errors.length ? `: ${errors.join('; ')}` : ''}`);
  check(foreign.length === 0, `no request leaves the file${foreign.length ? `: ${foreign.join(' ')}` : ''}`);

  if (pngPath) {
    await page.setViewportSize({width: Math.ceil(seen.width), height: Math.ceil(seen.height)});
    await page.screenshot({path: pngPath, timeout: 120000});
    console.log(`screenshot: ${pngPath}`);
  }
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(`${failures.length} check(s) failed`);
  process.exit(1);
}
