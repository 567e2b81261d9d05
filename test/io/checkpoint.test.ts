import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/tensor/rng.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointContents } from '../../src/io/checkpoint.js';
import { writeFileAtomic } from '../../src/io/atomic.js';
import { stringifyJson } from '../../src/io/json.js';
import { AdamW, type NamedParameters } from '../../src/train/optim.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fastweights-ckpt-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function contents(step: number): CheckpointContents {
  const rng = new Rng(step);
  rng.normal();
  return {
    weights: new Map([
      ['embed.weight', new Tensor(Float32Array.from([1, 2, 3, 4, 5, step]), [2, 3])],
      ['head.bias', new Tensor(Float64Array.from([0.1 * step]), [1])],
    ]),
    optimizer: { 'm.embed.weight': new Float32Array(6).fill(step), 'v.head.bias': Float64Array.from([step / 3]) },
    config: { model: 'delta', dModel: 16, layers: [1, 2] },
    tokenizer: { vocab: ['a', 'b', 'ü'], merges: [] },
    state: { step, lr: 1e-3, rng: rng.getState(), history: [{ step, loss: 2.5 }] },
  };
}

function expectLoadedEquals(loaded: ReturnType<typeof loadCheckpoint>, expected: CheckpointContents): void {
  const weights = expected.weights as Map<string, Tensor>;
  expect([...loaded.weights.keys()].sort()).toEqual([...weights.keys()].sort());
  for (const [name, t] of weights) {
    const got = loaded.weights.get(name)!;
    expect(got.dtype).toBe(t.dtype);
    expect(got.shape).toEqual(t.shape);
    expect(got.data).toEqual(t.data);
  }
  expect(loaded.optimizer).toEqual(expected.optimizer);
  expect(loaded.config).toEqual(expected.config);
  expect(loaded.tokenizer).toEqual(expected.tokenizer);
  expect(loaded.state).toEqual(expected.state);
}

const dataFiles = () => readdirSync(dir).filter((n) => n !== 'checkpoint.json').sort();

describe('checkpoint round trip', () => {
  it('loads back exactly what was saved, dtypes and RNG state included', () => {
    const saved = contents(7);
    saveCheckpoint(dir, saved);
    const loaded = loadCheckpoint(dir);
    expectLoadedEquals(loaded, saved);
    const rng = new Rng(0);
    rng.setState((loaded.state as { rng: ReturnType<Rng['getState']> }).rng);
    const reference = new Rng(7);
    reference.normal();
    expect(rng.normal()).toBe(reference.normal()); // the spare normal survived
  });

  it('accepts weights as a plain record', () => {
    const c = contents(1);
    saveCheckpoint(dir, { ...c, weights: Object.fromEntries(c.weights as Map<string, Tensor>) });
    expectLoadedEquals(loadCheckpoint(dir), c);
  });

  it('a second save replaces the first and deletes its files', () => {
    saveCheckpoint(dir, contents(1));
    const result = saveCheckpoint(dir, contents(2));
    expect(result.generation).toBe(2);
    expect(result.cleanupErrors).toEqual([]);
    expectLoadedEquals(loadCheckpoint(dir), contents(2));
    expect(dataFiles()).toEqual(Object.values(result.files).map((f) => f.path).sort());
  });

  it('leaves files it did not write alone', () => {
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    saveCheckpoint(dir, contents(1));
    saveCheckpoint(dir, contents(2));
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('refuses values JSON would silently change, before touching the disk', () => {
    expect(() => saveCheckpoint(dir, { ...contents(1), state: { best: Number.NaN } })).toThrow(/state\.best is NaN/);
    expect(() => saveCheckpoint(dir, { ...contents(1), config: { seen: new Set([1]) } })).toThrow(/config\.seen is a Set/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('crash safety', () => {
  const crashPoints = ['afterFile:model', 'afterFile:state', 'beforeManifest', 'beforeCleanup'] as const;
  for (const point of crashPoints) {
    it(`a crash at ${point} leaves a loadable checkpoint, and the next save recovers`, () => {
      saveCheckpoint(dir, contents(1));
      const crash = (where: string) => {
        if (where === point) throw new Error('simulated crash');
      };
      expect(() =>
        saveCheckpoint(dir, contents(2), {
          hooks: {
            afterFile: (name) => crash(`afterFile:${name.split('-')[0]}`),
            beforeManifest: () => crash('beforeManifest'),
            beforeCleanup: () => crash('beforeCleanup'),
          },
        }),
      ).toThrow('simulated crash');
      // Before the manifest is replaced the old checkpoint stands; after, the new one does.
      expectLoadedEquals(loadCheckpoint(dir), point === 'beforeCleanup' ? contents(2) : contents(1));

      const result = saveCheckpoint(dir, contents(3));
      expectLoadedEquals(loadCheckpoint(dir), contents(3));
      expect(dataFiles()).toEqual(Object.values(result.files).map((f) => f.path).sort());
    });
  }

  it('a leftover temporary file from a killed write is ignored and later removed', () => {
    saveCheckpoint(dir, contents(1));
    writeFileSync(join(dir, 'model-00000002.safetensors.tmp-999-abc123'), 'half a file');
    writeFileSync(join(dir, 'checkpoint.json.tmp-999-abc123'), '{"half');
    expectLoadedEquals(loadCheckpoint(dir), contents(1));
    saveCheckpoint(dir, contents(2));
    expect(readdirSync(dir).some((n) => n.includes('.tmp-'))).toBe(false);
  });
});

describe('damaged checkpoints are refused with the file named', () => {
  const manifest = () => JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));

  it('a truncated file', () => {
    saveCheckpoint(dir, contents(1));
    const model = join(dir, manifest().files.model.path);
    const bytes = readFileSync(model);
    writeFileSync(model, bytes.subarray(0, bytes.length - 5));
    expect(() => loadCheckpoint(dir)).toThrow(new RegExp(`${model.replace(/[.]/g, '\\.')} has \\d+ bytes, checkpoint\\.json says \\d+ \\(truncated`));
  });

  it('a corrupted byte', () => {
    saveCheckpoint(dir, contents(1));
    const optimizer = join(dir, manifest().files.optimizer.path);
    const bytes = readFileSync(optimizer);
    bytes[bytes.length - 1]! ^= 0x40;
    writeFileSync(optimizer, bytes);
    expect(() => loadCheckpoint(dir)).toThrow(/optimizer-00000001\.safetensors is corrupt \(its SHA-256 does not match/);
  });

  it('a missing data file', () => {
    saveCheckpoint(dir, contents(1));
    rmSync(join(dir, manifest().files.state.path));
    expect(() => loadCheckpoint(dir)).toThrow(/state-00000001\.json is listed in checkpoint\.json but missing/);
  });

  it('a missing directory, manifest, or a broken manifest', () => {
    expect(() => loadCheckpoint(join(dir, 'nope'))).toThrow(/checkpoint directory .*nope does not exist/);
    expect(() => loadCheckpoint(dir)).toThrow(/no checkpoint\.json in .* \(not a checkpoint/);
    writeFileSync(join(dir, 'checkpoint.json'), '{"format":"fastweights-checkpoint"');
    expect(() => loadCheckpoint(dir)).toThrow(/checkpoint\.json is not a valid checkpoint manifest: invalid JSON/);
    saveCheckpoint(dir, contents(1));
    const m = manifest();
    m.files.model.path = '../elsewhere.safetensors';
    writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify(m));
    expect(() => loadCheckpoint(dir)).toThrow(/the model file's path "\.\.\/elsewhere\.safetensors" is not a checkpoint file name/);
  });
});

describe('writeFileAtomic and stringifyJson', () => {
  it('replaces a file whole and leaves no temporary behind', () => {
    const path = join(dir, 'out.txt');
    writeFileAtomic(path, 'first');
    writeFileAtomic(path, new TextEncoder().encode('second'));
    expect(readFileSync(path, 'utf8')).toBe('second');
    expect(readdirSync(dir)).toEqual(['out.txt']);
  });

  it('fails with the path named when the directory is missing', () => {
    expect(() => writeFileAtomic(join(dir, 'missing', 'x.txt'), 'x')).toThrow(/could not write .*missing\/x\.txt/);
  });

  it('removes its temporary file when the final rename fails', () => {
    mkdirSync(join(dir, 'target'));
    expect(() => writeFileAtomic(join(dir, 'target'), 'x')).toThrow(/could not write .*target/);
    expect(readdirSync(dir)).toEqual(['target']);
  });

  it('names the path of a value JSON cannot hold', () => {
    expect(() => stringifyJson({ a: [{ b: Infinity }] }, 'state')).toThrow(/state\.a\[0\]\.b is Infinity/);
    expect(() => stringifyJson({ f: () => 1 }, 'config')).toThrow(/config\.f is a function/);
    expect(() => stringifyJson({ t: new Float32Array(1) }, 'state')).toThrow(/state\.t is a Float32Array/);
    expect(JSON.parse(stringifyJson({ a: 1, skip: undefined, n: null }, 'x'))).toEqual({ a: 1, n: null });
  });
});

describe('resuming training from a checkpoint', () => {
  it('an AdamW run saved, loaded and continued matches the uninterrupted run bit for bit', () => {
    const fresh = (): NamedParameters => [
      ['w', new Tensor(Float32Array.from([0.5, -1, 2, 0.25]), [2, 2])],
      ['b', new Tensor(Float32Array.from([0.1, -0.1]), [2])],
    ];
    const train = (params: NamedParameters, opt: AdamW, steps: number) => {
      for (let i = 0; i < steps; i++) {
        for (const [, p] of params) p.grad = new Tensor(p.data.map((x) => Math.sin(3 * x) + x), p.shape);
        opt.step();
      }
    };
    const paramsA = fresh();
    const optA = new AdamW(paramsA, { lr: 0.01, weightDecay: 0.1 });
    train(paramsA, optA, 4);
    const { step, lr, buffers } = optA.stateDict();
    saveCheckpoint(dir, { weights: new Map(paramsA), optimizer: buffers, config: {}, tokenizer: null, state: { optimizer: { step, lr } } });
    train(paramsA, optA, 4);

    const loaded = loadCheckpoint(dir);
    const paramsB: NamedParameters = fresh().map(([name]) => [name, loaded.weights.get(name)!] as const);
    const optB = new AdamW(paramsB, { lr: 0.5, weightDecay: 0.1 });
    optB.loadStateDict({ ...(loaded.state as { optimizer: { step: number; lr: number } }).optimizer, buffers: loaded.optimizer });
    expect(optB.lr).toBe(0.01);
    train(paramsB, optB, 4);
    paramsB.forEach(([, p], i) => {
      expect(p.dtype).toBe('float32');
      expect(p.data).toEqual(paramsA[i]![1].data);
    });
  });
});
