/**
 * The bad-input corpus: every command, fed what a new user (or a broken disk, network or script)
 * feeds it. Each case is one CLI process; each must end with the right exit code (2: a command line
 * that cannot work, 1: bad input or a failure), exactly one stderr line of our own and no stack
 * trace, and leave nothing in the output folder, the cache, $TMPDIR or $HOME; unusual but valid
 * inputs (grayscale, CMYK, 16-bit, alpha, 1x1, EXIF orientation, ...) must give the right result.
 * The machinery (mirror, runner, checks) is in bad-input-harness.ts; the cases are in
 * bad-input-cases.ts.
 */
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { CASES, makeFixtures } from './bad-input-cases.js';
import { checkCase, makeRoot, newCtx, permissionCasesSkipped, runCase, startMirror, warmUp } from './bad-input-harness.js';

let root: string;
let fix: string;
let mirror: Awaited<ReturnType<typeof startMirror>>;

before(async () => {
  root = await makeRoot();
  mirror = await startMirror();
  fix = await makeFixtures(root);
  await warmUp(root);
});
after(async () => {
  await mirror?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

const permissionSkip = permissionCasesSkipped();

describe('bad input: one line, the right exit code, nothing left behind', { concurrency: 2 }, () => {
  CASES.forEach((k, i) => {
    it(k.name, { todo: k.todo, skip: k.asUser ? permissionSkip : false }, async () => {
      const c = await newCtx(root, i, mirror.url, fix);
      const r = await runCase(k, c);
      await checkCase(k, c, r);
      await rm(c.dir, { recursive: true, force: true });
    });
  });
});
