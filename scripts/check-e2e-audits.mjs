#!/usr/bin/env node
// Every browser test that opens a page of the portal runs the accessibility audit
// (expectAccessible, or screenshot, which audits first): a test that opens a page and never
// audits is named here with its file and line, and the check fails. A test is the text from
// one `test(` to the next; a page is opened by openAsGuest, signInAsGuest or page.goto.
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2] ?? path.resolve(import.meta.dirname, '../e2e');
const OPENS = /\b(openAsGuest|signInAsGuest)\(|\.goto\(/;
const AUDITS = /\b(expectAccessible|screenshot)\(/;
const missing = [];
let tests = 0;
for (const file of fs
  .readdirSync(dir)
  .filter(f => f.endsWith('.test.ts'))
  .sort()) {
  const text = fs.readFileSync(path.join(dir, file), 'utf8');
  const starts = [...text.matchAll(/^[ \t]*test\(/gm)].map(m => m.index);
  starts.forEach((start, i) => {
    const body = text.slice(start, starts[i + 1] ?? text.length);
    if (!OPENS.test(body)) return;
    tests++;
    if (!AUDITS.test(body)) {
      const line = text.slice(0, start).split('\n').length;
      const name = /test\(\s*(['"`])(.*?)\1/s.exec(body)?.[2] ?? '?';
      missing.push(
        `e2e/${file}:${line}: '${name}' opens a page and runs no accessibility audit (expectAccessible or screenshot)`,
      );
    }
  });
}
for (const m of missing) console.error(m);
console.log(
  `${tests} browser tests open a page; ${missing.length} without an audit`,
);
process.exit(missing.length ? 1 : 0);
