/**
 * `mobilenetv3 serve`: the web page (architecture explorer + in-browser classification) and the
 * chosen weights on a local HTTP server. Loopback only unless --host says otherwise.
 */
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { addModelOptions, modelOptionsFrom, type ModelFlags } from '../model-options.js';
import { numberFlag } from '../number-flags.js';

interface ServeFlags extends ModelFlags {
  port: string;
  host: string;
  open?: boolean;
}

export function register(program: Command): void {
  addModelOptions(program.command('serve'))
    .description('serve the web page (architecture explorer, classification in the browser) and the weights locally')
    .option('--port <n>', 'port (0: any free port)', '8080')
    .option('--host <address>', 'address to bind (loopback unless told otherwise)', '127.0.0.1')
    .action(async (flags: ServeFlags) => {
      const port = numberFlag('port', flags.port, (n) => Number.isInteger(n) && n >= 0 && n <= 65535, 'a whole number in 0..65535');
      const [{ resolveOptions }, { serveStatic }, { weightsToServe }, { webRoot }, { imagenetWeightsPath }] = await Promise.all([
        import('../../architecture/options.js'),
        import('../../server/static.js'),
        import('../../server/weights.js'),
        import('../../server/web-root.js'),
        import('../../weights/download.js'), // not load.js: the page loads the weights, no TF.js here
      ]);
      const options = resolveOptions(modelOptionsFrom(flags));
      const root = await webRoot();
      // The page loads the weights itself; here they are only found (imagenet: downloaded once, cached) and checked.
      const source = flags.weights === 'imagenet' ? await imagenetWeightsPath(options) : flags.weights;
      const weights = source ? await weightsToServe(source) : undefined;
      const config = {
        model: options,
        weights: weights ? { format: weights.format, name: weights.name, url: weights.url, bytes: weights.bytes } : null,
      };
      let server: Awaited<ReturnType<typeof serveStatic>>;
      try {
        server = await serveStatic(
          {
            root,
            files: weights?.files ?? new Map(),
            documents: new Map([['/api/config.json', config]]),
          },
          port,
          flags.host,
        );
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE')
          throw new CliError(`port ${port} on ${flags.host} is in use: pick another with --port (0 for any free port)`);
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
          throw new CliError(`cannot bind to --host ${flags.host}: not an address of this machine`);
        if (code === 'EACCES') throw new CliError(`no permission to bind port ${port}: use a port above 1023`);
        throw error;
      }
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      const everywhere = flags.host === '0.0.0.0' || flags.host === '::';
      const shownHost = everywhere ? '127.0.0.1' : flags.host.includes(':') ? `[${flags.host}]` : flags.host;
      const what = weights ? `${options.name} with ${weights.name}` : `${options.name} (no weights: choose a file in the page)`;
      process.stdout.write(
        `mobilenetv3 page: http://${shownHost}:${bound}/  (${what}${everywhere ? '; listening on every network interface' : ''}; Ctrl-C to stop)\n`,
      );
      const stop = () => server.close(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
