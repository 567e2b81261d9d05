/**
 * TensorFlow.js with its WebAssembly backend (XNNPACK, SIMD, one thread here). Linear attention in its
 * best form (masked, quadratic: Y = tril(φQ φKᵀ) V); the delta rule as a T-step loop of small ops,
 * which is how it is naturally written in a framework without a scan kernel.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { LAYER, randomData, type Implementation, type Runner } from '../workloads.js';

function phi(x: tf.Tensor): tf.Tensor {
  const features = tf.elu(x).add(1);
  return features.div(features.sum(-1, true));
}

function matmulRunners(size: number): { fwd: Runner; fwdbwd: Runner } {
  const a = tf.tensor2d(randomData(size * size, 1), [size, size]);
  const b = tf.tensor2d(randomData(size * size, 2), [size, size]);
  const R = tf.tensor2d(randomData(size * size, 3), [size, size]);
  const gradients = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y).mul(R).sum());
  return {
    fwd: () => tf.tidy(() => void tf.matMul(a, b).dataSync()),
    fwdbwd: () => tf.tidy(() => gradients([a, b]).forEach((g) => g.dataSync())),
  };
}

function layerRunner(rule: 'sum' | 'delta'): Runner {
  const { B, H, T, d } = LAYER;
  const q = tf.tensor4d(randomData(B * H * T * d, 11), [B, H, T, d]);
  const k = tf.tensor4d(randomData(B * H * T * d, 12), [B, H, T, d]);
  const v = tf.tensor4d(randomData(B * H * T * d, 13), [B, H, T, d]);
  const beta = tf.tensor3d(randomData(B * H * T, 14, 0, 1), [B, H, T]);
  const R = tf.tensor4d(randomData(B * H * T * d, 15), [B, H, T, d]);
  const mask = tf.linalg.bandPart(tf.ones([T, T]), -1, 0);
  const sumLoss = (qx: tf.Tensor, kx: tf.Tensor, vx: tf.Tensor) => {
    const scores = tf.matMul(phi(qx), phi(kx), false, true).mul(mask);
    return tf.matMul(scores, vx).mul(R).sum();
  };
  const deltaLoss = (qx: tf.Tensor, kx: tf.Tensor, vx: tf.Tensor, bx: tf.Tensor) => {
    const [pq, pk] = [phi(qx), phi(kx)];
    let W: tf.Tensor = tf.zeros([B, H, d, d]);
    const ys: tf.Tensor[] = [];
    for (let t = 0; t < T; t++) {
      const kt = pk.slice([0, 0, t, 0], [B, H, 1, d]); // [B, H, 1, d]
      const qt = pq.slice([0, 0, t, 0], [B, H, 1, d]);
      const vt = vx.slice([0, 0, t, 0], [B, H, 1, d]);
      const bt = bx.slice([0, 0, t], [B, H, 1]).reshape([B, H, 1, 1]);
      const vBar = tf.matMul(kt, W, false, true); // (W k)ᵀ, [B, H, 1, d]
      const u = vt.sub(vBar).mul(bt);
      W = W.add(tf.matMul(u, kt, true, false)); // u ⊗ k
      ys.push(tf.matMul(qt, W, false, true)); // (W q)ᵀ
    }
    return tf.concat(ys, 2).mul(R).sum();
  };
  const sumGrads = tf.grads(sumLoss as (...xs: tf.Tensor[]) => tf.Tensor);
  const deltaGrads = tf.grads(deltaLoss as (...xs: tf.Tensor[]) => tf.Tensor);
  return rule === 'sum'
    ? () => tf.tidy(() => sumGrads([q, k, v]).forEach((g) => g.dataSync()))
    : () => tf.tidy(() => deltaGrads([q, k, v, beta]).forEach((g) => g.dataSync()));
}

export async function tfjsWasm(): Promise<Implementation> {
  await tf.setBackend('wasm');
  await tf.ready();
  const m128 = matmulRunners(128), m512 = matmulRunners(512);
  return {
    name: `tfjs ${tf.getBackend()}`,
    runners: {
      'matmul-128-fwd': m128.fwd,
      'matmul-128-fwdbwd': m128.fwdbwd,
      'matmul-512-fwd': m512.fwd,
      'matmul-512-fwdbwd': m512.fwdbwd,
      'sum-layer-fwdbwd': layerRunner('sum'),
      'delta-layer-fwdbwd': layerRunner('delta'),
    },
  };
}
