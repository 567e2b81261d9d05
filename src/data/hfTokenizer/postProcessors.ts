/**
 * Post-processors of a tokenizer.json: what `encode` adds around the ids when asked for special
 * tokens, e.g. Llama's TemplateProcessing "<s> $A". Only single sequences are encoded here, so
 * only the "single" template matters; ByteLevel only adjusts offsets, which are not computed here.
 *
 * Browser-safe: no Node imports.
 */
import { asArray, asNonNegativeInteger, asObject, asString, child, fail, field, parseComponent, sequenceParts, show, unsupportedType, type JsonPlace } from './json.js';

/** The ids of one encoded sequence, with the special tokens added when `addSpecialTokens`. */
export type PostProcessor = (ids: number[], addSpecialTokens: boolean) => number[];

const SUPPORTED = ['TemplateProcessing', 'ByteLevel', 'BertProcessing', 'RobertaProcessing', 'Sequence'] as const;

export function parsePostProcessor(place: JsonPlace, value: unknown): PostProcessor | null {
  return parseComponent(place, value, 'post-processor', (obj, type): PostProcessor => {
    switch (type) {
      case 'Sequence': {
        const steps = sequenceParts(place, obj, 'processors', parsePostProcessor);
        return (ids, add) => steps.reduce((acc, step) => step(acc, add), ids);
      }
      case 'ByteLevel':
        return (ids) => ids;
      case 'BertProcessing':
      case 'RobertaProcessing': {
        const cls = tokenAndId(child(place, 'cls'), field(place, obj, 'cls'));
        const sep = tokenAndId(child(place, 'sep'), field(place, obj, 'sep'));
        return (ids, add) => (add ? [cls, ...ids, sep] : ids);
      }
      case 'TemplateProcessing':
        return parseTemplate(place, obj);
      default:
        return unsupportedType(place, 'post-processor', type, SUPPORTED);
    }
  });
}

/** ["[CLS]", 101] → 101 */
function tokenAndId(place: JsonPlace, value: unknown): number {
  const pair = asArray(place, value);
  if (pair.length !== 2) fail(place, `expected [token, id], got ${show(value)}`);
  asString(child(place, 0), pair[0]);
  return asNonNegativeInteger(child(place, 1), pair[1]);
}

function parseTemplate(place: JsonPlace, obj: Record<string, unknown>): PostProcessor {
  const specialsPlace = child(place, 'special_tokens');
  const specials = asObject(specialsPlace, field(place, obj, 'special_tokens'));
  const singlePlace = child(place, 'single');
  // Each element is {"Sequence": {"id": "A", ...}} or {"SpecialToken": {"id": "<s>", ...}}.
  const pieces = asArray(singlePlace, field(place, obj, 'single')).map((item, i): number[] | 'A' => {
    const piecePlace = child(singlePlace, i);
    const piece = asObject(piecePlace, item);
    if ('Sequence' in piece) {
      const sequence = asObject(child(piecePlace, 'Sequence'), piece.Sequence);
      const id = sequence.id;
      if (id !== 'A') fail(child(child(piecePlace, 'Sequence'), 'id'), `the single-sequence template can only name sequence "A", got ${show(id)}`);
      return 'A';
    }
    if ('SpecialToken' in piece) {
      const tokenPlace = child(piecePlace, 'SpecialToken');
      const name = asString(child(tokenPlace, 'id'), field(tokenPlace, asObject(tokenPlace, piece.SpecialToken), 'id'));
      const entry = specials[name];
      if (entry === undefined) fail(tokenPlace, `special token ${show(name)} is not in special_tokens`);
      const entryPlace = child(specialsPlace, name);
      const ids = asArray(child(entryPlace, 'ids'), field(entryPlace, asObject(entryPlace, entry), 'ids'));
      return ids.map((id, j) => asNonNegativeInteger(child(child(entryPlace, 'ids'), j), id));
    }
    return fail(piecePlace, `expected {"Sequence": ...} or {"SpecialToken": ...}, got ${show(item)}`);
  });
  return (ids, add) => pieces.flatMap((piece) => (piece === 'A' ? ids : add ? piece : []));
}
