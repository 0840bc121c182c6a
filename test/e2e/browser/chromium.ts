// Launching the real browser the browser tests drive: Debian's Chromium (scripts/setup.sh
// --browser installs it; `npm test` runs that), through playwright-core, offline.

import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Set LUCID_OPTIM_CHROMIUM to use another Chromium or Chrome binary. */
export const CHROMIUM_PATH = process.env.LUCID_OPTIM_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH}: run \`bash scripts/setup.sh --browser\` (Debian) ` +
        'or point LUCID_OPTIM_CHROMIUM at a Chromium or Chrome binary',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
    ],
  });
}

/**
 * Uncaught exceptions and unhandled promise rejections in the page, as they happen: a test that
 * ends with this list empty knows no failure went unreported.
 */
export function uncaughtErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`${error.name}: ${error.message}`));
  return errors;
}
