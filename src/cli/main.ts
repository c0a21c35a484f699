#!/usr/bin/env node
/**
 * The `mobilenetv3` command line: the registry (registry.ts) says which command modules to load
 * for these arguments; `--help` and `--version` load commander and the declarations alone.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { reportAndExit } from './errors.js';
import { commandsFor } from './registry.js';

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
    outputError: (text, write) =>
      write(
        `mobilenetv3: ${text
          .replace(/^error: /, '')
          .split('\n')
          .map((s) => s.trim())
          .filter(Boolean)
          .join(' ')} (add --help for usage)\n`,
      ),
  });

for (const command of await Promise.all(commandsFor(process.argv.slice(2)).map((c) => c.load()))) command.register(program);

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
