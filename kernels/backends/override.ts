/**
 * A backend made from another: the base's kernels, with those this backend runs its own way put in
 * their place. What a backend lists is what it changes; everything else is its base's, unchanged.
 */
import type { KernelBackend, KernelOverrides } from '../types.js';

export function overriding(base: KernelBackend, name: KernelBackend['name'], own: KernelOverrides): KernelBackend {
  return { ...base, ...own, name };
}
