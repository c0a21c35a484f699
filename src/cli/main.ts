#!/usr/bin/env node
/**
 * The `mobilenetv3` command line. Every module in commands/ exports `register(program)` and an
 * `order` for the help listing; each loads its heavy modules lazily inside its action, so
 * `--help` and small commands start fast.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { reportAndExit } from './errors.js';

interface CommandModule { order: number; register(program: Command): void }

// The version is package.json's, read once (src/cli/ and dist/cli/ both sit two folders below it),
// so a release never prints a stale hard-coded number.
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('mobilenetv3')
  .description('MobileNetV3 (Large/Small) for Node.js: build, inspect, visualise, classify, export, train')
  .version(version)
  .exitOverride()
  // Commander's own errors in our one-line form: "mobilenetv3: unknown option '--x' (add --help for usage)",
  // its suggestion ("Did you mean summary?") folded into the same line.
  .configureOutput({
    outputError: (text, write) => write(`mobilenetv3: ${text.replace(/^error: /, '').split('\n').map((s) => s.trim()).filter(Boolean).join(' ')} (add --help for usage)\n`),
  });

const dir = new URL('./commands/', import.meta.url);
const files = readdirSync(dir).filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts'));
const modules = (await Promise.all(files.map((f) => import(new URL(f, dir).href)))) as CommandModule[];
for (const m of modules.sort((a, b) => a.order - b.order)) m.register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has already printed its own one-line message (or the help / version); its
    // errors are all about the command line, so they exit 2 like our own usage errors.
    process.exit(error.exitCode === 0 ? 0 : 2);
  }
  reportAndExit(error);
}
