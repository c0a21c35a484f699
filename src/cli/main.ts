#!/usr/bin/env node
/**
 * The `mobilenetv3` command line. The registry below is static and in help order: each module in
 * commands/ declares its command (options, help) with `register(program)` and imports only cheap
 * modules itself; what a command runs (TF.js, h5wasm, sharp, ONNX Runtime, Graphviz) is imported
 * inside its action, so `--help`, `--version` and a command's `--help` load none of it.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { reportAndExit } from './errors.js';
import * as summary from './commands/summary.js';
import * as table from './commands/table.js';
import * as plot from './commands/plot.js';
import * as see from './commands/see.js';
import * as classify from './commands/classify.js';
import * as weights from './commands/weights.js';
import * as evaluate from './commands/evaluate.js';
import * as exportCommand from './commands/export.js';
import * as train from './commands/train.js';
import * as serve from './commands/serve.js';

interface CommandModule { register(program: Command): void }

const COMMANDS: readonly CommandModule[] = [summary, table, plot, see, classify, weights, evaluate, exportCommand, train, serve];

// The version is package.json's, read once (src/cli/ and dist/cli/ both sit two folders below it),
// so a release never prints a stale hard-coded number.
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('mobilenetv3')
  .description('MobileNetV3 (Large/Small) for Node.js: build, inspect, visualise, classify, export, train')
  .version(version)
  .showHelpAfterError('(add --help for usage)')
  .exitOverride();

for (const command of COMMANDS) command.register(program);

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
