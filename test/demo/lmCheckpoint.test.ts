/**
 * The demo page's checkpoint reader (demo/lmCheckpoint.ts) on a checkpoint that the trainer behind
 * `fastweights lm train` wrote: it gives the model loadLanguageModel gives (same greedy text), and
 * refuses missing, altered and foreign files by name.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, generate } from '../../src/index.js';
import { LM_CHECKPOINT_FORMAT, loadLanguageModel } from '../../src/tasks/lm/training.js';
import { LM_FORMAT, loadLmFromFiles } from '../../demo/lmCheckpoint.js';
import { TINY_PROMPT, makeTinyLmCheckpoint } from './tinyCheckpoint.js';

let dir: string;
let files: Map<string, Uint8Array<ArrayBuffer>>;

beforeAll(async () => {
  dir = await makeTinyLmCheckpoint();
  files = new Map(readdirSync(dir).map((name) => [name, new Uint8Array(readFileSync(join(dir, name)))]));
});

describe('demo checkpoint reader', () => {
  it('uses the format tag the trainer writes', () => {
    expect(LM_FORMAT).toBe(LM_CHECKPOINT_FORMAT);
  });

  it('loads the model loadLanguageModel loads: same weights, same greedy continuation', async () => {
    const inPage = await loadLmFromFiles(files);
    const inNode = loadLanguageModel(dir);
    expect(inPage.config).toEqual(inNode.config.model);
    const prompt = inNode.tokenizer.encode(TINY_PROMPT);
    const options = { tokens: 12, temperature: 0, rng: new Rng(1) };
    expect(generate(inPage.model, inPage.tokenizer.encode(TINY_PROMPT), options)).toEqual(generate(inNode.model, prompt, { ...options, rng: new Rng(1) }));
  });

  it('needs only the manifest, model, config and tokenizer files', async () => {
    const needed = new Map([...files].filter(([name]) => !name.startsWith('optimizer-') && !name.startsWith('state-')));
    await expect(loadLmFromFiles(needed)).resolves.toBeDefined();
  });

  it('names what is wrong: no manifest, a missing file, an altered or truncated file', async () => {
    const without = (prefix: string) => new Map([...files].filter(([name]) => !name.startsWith(prefix)));
    await expect(loadLmFromFiles(without('checkpoint.json'))).rejects.toThrow(/checkpoint\.json included/);
    await expect(loadLmFromFiles(without('model-'))).rejects.toThrow(/lists model-\d+\.safetensors \(the model\), which was not picked/);
    const altered = new Map(files);
    const [modelName, modelBytes] = [...files].find(([name]) => name.startsWith('model-'))!;
    const flipped = modelBytes.slice();
    flipped[flipped.length - 1]! ^= 1;
    altered.set(modelName, flipped);
    await expect(loadLmFromFiles(altered)).rejects.toThrow(`${modelName} is corrupt`);
    altered.set(modelName, modelBytes.slice(1));
    await expect(loadLmFromFiles(altered)).rejects.toThrow(/bytes, checkpoint\.json says/);
  });

  it('refuses a config edited after the save even when the manifest was rewritten to match (the weights record its hash)', async () => {
    const [configName, configBytes] = [...files].find(([name]) => name.startsWith('config-'))!;
    const edited = new Uint8Array(new TextEncoder().encode(new TextDecoder().decode(configBytes).replace('"attention": "delta"', '"attention": "dpfp-delta"')));
    expect(edited).not.toEqual(configBytes);
    const manifest = JSON.parse(new TextDecoder().decode(files.get('checkpoint.json')!));
    manifest.files.config = { ...manifest.files.config, bytes: edited.byteLength, sha256: createHash('sha256').update(edited).digest('hex') };
    const altered = new Map(files);
    altered.set(configName, edited);
    altered.set('checkpoint.json', new Uint8Array(new TextEncoder().encode(JSON.stringify(manifest))));
    await expect(loadLmFromFiles(altered)).rejects.toThrow(`${configName} is not the config the weights in`);
  });
});
