/**
 * Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core
 * (no browser download; playwright gives each launch a fresh profile). Flags: as root in a sandbox-less container, with the background
 * networking that a closed network would refuse turned off.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

/** `extraArgs`, e.g. a fake camera: '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'. */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!hasChromium()) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}
