/**
 * The `lm train` flags that choose between this project's model and the PyTorch replica's of
 * docs/experiments.md (Table 4): the input layer (--positions, --embedding), the feed-forward's
 * activation, how biases start, φ's ε and which parameters weight decay shrinks; and
 * `--preset replica`, which sets all of them (and --dropout) to the replica's. Command-line only
 * (not in the library's import graph).
 */
import { UsageError, choiceOption, numberOption } from '../../cli/args.js';
import { WEIGHT_DECAY_ON } from '../../train/checkpointedTraining.js';
import { BIAS_INITS, FEED_FORWARD_ACTIVATIONS, type LanguageModelConfig } from './model.js';

/**
 * Named recipes of `lm train --preset NAME`: flag values that the user's own flags override, as
 * mt train's presets. replica: PyTorch's nn.Embedding tables for the tokens and the positions,
 * nn.Linear's biases, a ReLU feed-forward, φ / Σφ, AdamW over every parameter, no dropout; so
 * `--preset replica --ff-activation gelu` is the replica with one choice switched back.
 */
export const LM_PRESETS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  replica: { positions: 'learned', embedding: 'unscaled', 'ff-activation': 'relu', 'bias-init': 'uniform', 'phi-eps': '0', 'weight-decay-on': 'all', dropout: '0' },
};

/** The flags read here, as parseCommand gives them. */
export interface ModelChoiceFlags {
  preset?: string | undefined;
  positions?: string | undefined;
  'no-pos'?: boolean | undefined;
  embedding?: string | undefined;
  'ff-activation'?: string | undefined;
  'bias-init'?: string | undefined;
  'phi-eps'?: string | undefined;
  'weight-decay-on'?: string | undefined;
  dropout?: string | undefined;
}

/** The flags of `--preset NAME` beneath the ones given (--no-pos counts as the user's --positions). */
export function withLmPreset<Values extends ModelChoiceFlags>(values: Values): Values {
  if (values.preset === undefined) return values;
  const preset = LM_PRESETS[values.preset];
  if (preset === undefined) throw new UsageError(`unknown --preset '${values.preset}' (valid: ${Object.keys(LM_PRESETS).join(', ')})`);
  const { positions, ...rest } = preset;
  return { ...rest, ...(values['no-pos'] ? {} : { positions }), ...values } as Values;
}

/**
 * The model-config fields and the training-config field the flags ask for (after withLmPreset). A
 * choice left at the default is left out of the configs, so that a run without these flags writes
 * the checkpoint it always did. A softmax model ignores phiEps (lm compare may train one beside
 * fast weight models; lm train refuses --phi-eps for it).
 */
export function modelChoices(values: ModelChoiceFlags) {
  const positions = choiceOption(values.positions, 'positions', ['sinusoidal', 'learned', 'none'] as const, values['no-pos'] ? 'none' : 'sinusoidal');
  if (values['no-pos'] && positions !== 'none') throw new UsageError(`--no-pos means --positions none; it contradicts --positions ${positions}`);
  const embedding = choiceOption(values.embedding, 'embedding', ['scaled', 'unscaled'] as const, 'scaled');
  const ffActivation = choiceOption(values['ff-activation'], 'ff-activation', FEED_FORWARD_ACTIVATIONS, 'gelu');
  const biasInit = choiceOption(values['bias-init'], 'bias-init', BIAS_INITS, 'zero');
  const weightDecayOn = choiceOption(values['weight-decay-on'], 'weight-decay-on', WEIGHT_DECAY_ON, 'matrices');
  const model = {
    dropout: numberOption(values.dropout, 'dropout', 0.1, [0, 0.99]),
    positions: positions !== 'none',
    ...(positions === 'learned' ? { learnedPositions: true } : {}),
    ...(embedding === 'unscaled' ? { scaledEmbedding: false, unitEmbedding: true } : {}),
    ...(ffActivation !== 'gelu' ? { ffActivation } : {}),
    ...(biasInit !== 'zero' ? { biasInit } : {}),
    ...(values['phi-eps'] !== undefined ? { phiEps: numberOption(values['phi-eps'], 'phi-eps', 1e-6, [0, 1]) } : {}),
  } satisfies Partial<LanguageModelConfig>;
  return { model, training: weightDecayOn !== 'matrices' ? { weightDecayOn } : {} };
}
