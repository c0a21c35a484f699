#!/usr/bin/env node
/**
 * The `mobilenetv3` command line. Each command lives in commands/ and loads its heavy modules
 * lazily, so `--help` and small commands start fast.
 */
import { Command, CommanderError } from 'commander';
import { registerSummary } from './commands/summary.js';
import { reportAndExit } from './errors.js';

const program = new Command('mobilenetv3')
  .description('MobileNetV3 (Large/Small) for Node.js: build, inspect, visualise, classify, export, train')
  .version('0.1.0')
  .showHelpAfterError('(add --help for usage)')
  .exitOverride();

for (const register of [registerSummary]) register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has already printed its own one-line message (or the help / version).
    process.exit(error.exitCode);
  }
  reportAndExit(error);
}
