/**
 * The system Chromium, driven by playwright-core (which downloads no browser of its own).
 * Found through CHROMIUM_PATH or the usual Debian/Ubuntu names; the flags give WebGL2 through
 * ANGLE on SwiftShader (software rendering), so gpu.js's GPU path runs on a machine with no GPU.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Printed wherever the browser suite cannot run. */
export const CHROMIUM_INSTALL_HINT = 'apt-get install -y chromium (Debian/Ubuntu), or set CHROMIUM_PATH to a Chromium or Chrome executable';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** The Chromium executable, or null when there is none. A CHROMIUM_PATH that does not exist is an error. */
export function findChromium(): string | null {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  return CANDIDATES.find((path) => existsSync(path)) ?? null;
}

/**
 * ANGLE over SwiftShader gives a WebGL2 context without a GPU (Chromium otherwise refuses WebGL in a
 * headless run on such a machine, and gpu.js would fall back to its CPU mode). --no-sandbox because
 * CI runs as root, where Chromium's sandbox will not start.
 */
const FLAGS = ['--no-sandbox', '--use-angle=swiftshader', '--use-gl=angle', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist', '--enable-unsafe-webgpu'];

export async function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true, args: FLAGS });
}
