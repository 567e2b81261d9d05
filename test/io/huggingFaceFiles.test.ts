/**
 * Loading fla DeltaNet directories from bytes (src/io/huggingFaceFiles.ts, the fastweights/pretrained
 * entry a browser page uses): the committed fixtures give exactly the parameters that loading them
 * from disk gives, files picked in a page (name + arrayBuffer) load the same, a directory held only in
 * memory brings its tokenizer.json, and the faults are the disk loader's one-line errors, naming the
 * picked file.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadHfDeltaNet } from '../../src/io/huggingFace.js';
import { hfFilesFromBytes, hfFilesFromPicked, loadHfDeltaNetFiles, loadHfLanguageModelFiles } from '../../src/pretrained.js';
import { DeltaNetForCausalLM, deltaNetConfigToJson, parseDeltaNetConfig } from '../../src/nn/fla/index.js';
import { parseHfTokenizer } from '../../src/data/hfTokenizer/index.js';
import { encodeSafetensors, type SafetensorsTensor } from '../../src/io/safetensors.js';
import { inference } from '../../src/nn/module.js';

const FIXTURES = new URL('../fixtures/fla/', import.meta.url).pathname;
const CASES = ['default', 'gate', 'paper', 'tied', 'bf16', 'sharded'];
const LLAMA_TOKENIZER = new URL('../data/fixtures/tokenizers/llama-bytefallback.tokenizer.json', import.meta.url).pathname;

/** A fixture directory's files, read into memory by name. */
function filesOf(fixture: string, leaveOut: string[] = []): Map<string, Uint8Array> {
  const dir = join(FIXTURES, fixture);
  return new Map(readdirSync(dir).filter((name) => !leaveOut.includes(name)).map((name) => [name, new Uint8Array(readFileSync(join(dir, name)))]));
}

function expectSameParameters(got: DeltaNetForCausalLM, want: DeltaNetForCausalLM): void {
  const wantState = want.stateDict();
  expect([...got.stateDict().keys()].sort()).toEqual([...wantState.keys()].sort());
  for (const [name, p] of got.stateDict()) expect(p.data, name).toEqual(wantState.get(name)!.data);
}

describe('fla DeltaNet directories from bytes', () => {
  for (const fixture of CASES) {
    it(`${fixture}: the same parameters as loading the directory from disk`, () => {
      const fromBytes = loadHfDeltaNetFiles(hfFilesFromBytes(filesOf(fixture)));
      const fromDisk = loadHfDeltaNet(join(FIXTURES, fixture));
      expect(fromBytes.files).toEqual(fromDisk.files);
      expect([...fromBytes.storedDTypes]).toEqual([...fromDisk.storedDTypes]);
      expectSameParameters(fromBytes.model, fromDisk.model);
    });
  }

  it('files picked in a page (a name and an arrayBuffer) load the same, without a tokenizer', async () => {
    const picked = [...filesOf('sharded')].map(([name, bytes]) => ({ name, arrayBuffer: async () => bytes.slice().buffer }));
    const loaded = loadHfLanguageModelFiles(await hfFilesFromPicked(picked));
    expect(loaded.tokenizer).toBeNull();
    expectSameParameters(loaded.model, loadHfDeltaNet(join(FIXTURES, 'sharded')).model);
  });

  it('a directory held only in memory, with its tokenizer.json: the same tokenizer and the same logits as the model it was written from', () => {
    const tokenizerText = readFileSync(LLAMA_TOKENIZER, 'utf8');
    const tokenizer = parseHfTokenizer(tokenizerText, 'llama');
    const config = parseDeltaNetConfig({ model_type: 'delta_net', vocab_size: tokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 1, num_heads: 2, intermediate_size: 32, initializer_range: 0.5 });
    const original = new DeltaNetForCausalLM(config, { seed: 3 });
    const tensors = new Map<string, SafetensorsTensor>();
    for (const [name, p] of original.stateDict()) tensors.set(name, { dtype: 'F32', shape: [...p.shape], data: Float32Array.from(p.data) });
    const files = new Map<string, Uint8Array>([
      ['config.json', new TextEncoder().encode(JSON.stringify(deltaNetConfigToJson(config, 'float32')))],
      ['model.safetensors', encodeSafetensors(tensors)],
      ['tokenizer.json', new TextEncoder().encode(tokenizerText)],
    ]);
    const loaded = loadHfLanguageModelFiles(hfFilesFromBytes(files));
    const text = 'Héllo wörld, 42 🙂';
    expect(loaded.tokenizer!.encode(text)).toEqual(tokenizer.encode(text));
    const ids = tokenizer.encode(text);
    const logits = (model: DeltaNetForCausalLM) => inference(model, () => model.forward(ids, 1, ids.length).logits.data);
    expect(logits(loaded.model)).toEqual(logits(original));
  });

  it('a tokenizer.json with more tokens than the config\'s vocabulary is refused, naming both files', () => {
    const files = filesOf('default');
    files.set('tokenizer.json', readFileSync(LLAMA_TOKENIZER));
    expect(() => loadHfLanguageModelFiles(hfFilesFromBytes(files))).toThrow(/^tokenizer\.json: \d+ tokens, more than the 256 of config\.json$/);
  });

  it('faults name the picked file: no config, a missing shard, a truncated weight file, no weights at all', () => {
    const load = (files: Map<string, Uint8Array>) => () => loadHfDeltaNetFiles(hfFilesFromBytes(files));
    expect(load(filesOf('default', ['config.json']))).toThrow(/^config\.json: not found$/);
    expect(load(filesOf('sharded', ['model-00002-of-00002.safetensors']))).toThrow(
      /^model\.safetensors\.index\.json: shard 'model-00002-of-00002\.safetensors' is missing \(model-00002-of-00002\.safetensors\)$/,
    );
    const truncated = filesOf('default');
    truncated.set('model.safetensors', truncated.get('model.safetensors')!.subarray(0, 5000));
    expect(load(truncated)).toThrow(/^model\.safetensors: not a valid safetensors file: .*truncated/);
    expect(load(filesOf('default', ['model.safetensors']))).toThrow(/^the picked files: has neither model\.safetensors nor model\.safetensors\.index\.json$/);
  });
});
