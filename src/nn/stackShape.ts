/**
 * The shape of a Transformer stack and its defaults, in one place: the head size (d_model split
 * evenly over the heads unless given), the feed-forward width (4·d_model) and the seed of FAVOR+'s
 * fixed evaluation features. The models, the resource estimate and the commands all read them here.
 */

/** Seed of FAVOR+'s fixed evaluation features when a config names none (layer i of a stack adds i). */
export const DEFAULT_FEATURE_SEED = 1234;

/** The feed-forward width when a config names none: 4·d_model, as in the Transformer. */
export function defaultFeedForward(dModel: number): number {
  return 4 * dModel;
}

export interface StackShape {
  dModel: number;
  heads: number;
  /** Key/value size per head (default dModel / heads). */
  dHead?: number;
  ffHidden?: number;
  /** Seed of the fixed FAVOR+ features used in eval mode. */
  featureSeed?: number;
}

export interface ResolvedStackShape {
  readonly dModel: number;
  readonly heads: number;
  readonly dHead: number;
  readonly ffHidden: number;
  readonly featureSeed: number;
}

/**
 * The size of one head: `dHead` if given, else dModel / heads, which must divide. `names` are how
 * the caller's reader knows the two sizes (`--dim`, `--heads` on the command line).
 */
export function headSize(dModel: number, heads: number, dHead?: number, names: { dModel: string; heads: string } = { dModel: 'dModel', heads: 'heads' }): number {
  if (dHead !== undefined) return dHead;
  if (dModel % heads !== 0) throw new Error(`${names.dModel} ${dModel} is not divisible by ${names.heads} ${heads}${names.dModel === 'dModel' ? ' (or set dHead)' : ''}`);
  return dModel / heads;
}

/** Every default of a stack's shape filled in; throws when d_model does not split over the heads. */
export function resolveStackShape(shape: StackShape): ResolvedStackShape {
  return {
    dModel: shape.dModel,
    heads: shape.heads,
    dHead: headSize(shape.dModel, shape.heads, shape.dHead),
    ffHidden: shape.ffHidden ?? defaultFeedForward(shape.dModel),
    featureSeed: shape.featureSeed ?? DEFAULT_FEATURE_SEED,
  };
}

/** A stack's shape with the settings every block of it shares, as a model config gives them. */
export interface StackConfig extends StackShape {
  dropout?: number;
  attentionNormalise?: boolean;
  scaleOutput?: boolean;
}

/** A StackConfig with every default filled in. */
export interface ResolvedStack extends ResolvedStackShape {
  readonly dropout: number;
  readonly attentionNormalise?: boolean;
  readonly scaleOutput?: boolean;
}

/**
 * Checks a model config's stack: the integer sizes named in `positive` (at least 1), the heads
 * against d_model, the dropout in [0, 1); every error starts with `what` ('language model config').
 */
export function resolveStack<Config extends StackConfig>(config: Config, what: string, positive: readonly (keyof Config & string)[]): ResolvedStack {
  for (const key of positive) {
    const v = config[key];
    if (!Number.isInteger(v) || (v as number) < 1) throw new Error(`${what}: ${key} must be a positive integer, got ${String(v)}`);
  }
  let shape: ResolvedStackShape;
  try {
    shape = resolveStackShape(config);
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}`);
  }
  if (config.dropout !== undefined && !(config.dropout >= 0 && config.dropout < 1)) throw new Error(`${what}: dropout must be in [0, 1), got ${config.dropout}`);
  return {
    ...shape,
    dropout: config.dropout ?? 0,
    ...(config.attentionNormalise !== undefined ? { attentionNormalise: config.attentionNormalise } : {}),
    ...(config.scaleOutput !== undefined ? { scaleOutput: config.scaleOutput } : {}),
  };
}
