/**
 * The read-only shared data (real weights, ImageNet sample photos) lives in `../shared` beside the
 * checkout, as in CI. Git worktrees sit one level deeper (`/work/wt/issue-N`), so the parent's
 * sibling is tried too; MOBILENETV3_SHARED overrides both.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export const SHARED =
  process.env.MOBILENETV3_SHARED ??
  [join(ROOT, '../shared'), join(ROOT, '../../shared')].find((p) => existsSync(join(p, 'weights'))) ??
  join(ROOT, '../shared');

export const sharedPath = (...parts: string[]): string => join(SHARED, ...parts);
