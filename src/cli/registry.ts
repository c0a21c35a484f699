/**
 * Every command of the CLI, in help order, with the names it registers, so main.ts can load just
 * the module of the command being run. Each module's `register(program)` declares its commands
 * (options, help) and imports only cheap modules; what a command runs (TF.js, h5wasm, sharp, ONNX
 * Runtime, Graphviz) is imported inside its action. test/startup.test.ts checks the names.
 */
import type { Command } from 'commander';

export interface CommandModule {
  register(program: Command): void;
}

export interface CommandEntry {
  /** Top-level command names the module registers. */
  names: readonly string[];
  load(): Promise<CommandModule>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { names: ['summary'], load: () => import('./commands/summary.js') },
  { names: ['table'], load: () => import('./commands/table.js') },
  { names: ['plot'], load: () => import('./commands/plot.js') },
  { names: ['activations', 'explain'], load: () => import('./commands/see.js') },
  { names: ['classify'], load: () => import('./commands/classify.js') },
  { names: ['weights'], load: () => import('./commands/weights.js') },
  { names: ['evaluate'], load: () => import('./commands/evaluate.js') },
  { names: ['export'], load: () => import('./commands/export.js') },
  { names: ['train'], load: () => import('./commands/train.js') },
  { names: ['serve'], load: () => import('./commands/serve.js') },
];

/**
 * The modules to register for this command line: only the named command's when the first
 * argument names one (its --help is the same), none for --version, else all of them (the listing
 * of --help, `help X`, and commander's suggestion for a mistyped name).
 */
export function commandsFor(argv: readonly string[]): readonly CommandEntry[] {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) return [];
  const named = COMMANDS.filter((c) => c.names.includes(argv[0]));
  return named.length > 0 ? named : COMMANDS;
}
