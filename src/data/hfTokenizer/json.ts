/**
 * Reading the fields of a `tokenizer.json` with one-line errors that name the file and the field,
 * e.g. `models/tokenizer.json: model.merges[3]: token "xy" is not in the vocabulary`.
 *
 * Browser-safe: no Node imports.
 */

/** A tokenizer.json that is malformed, or that asks for something this reader does not implement. */
export class HfTokenizerError extends Error {
  override name = 'HfTokenizerError';
}

export type JsonObject = Record<string, unknown>;

/** Where we are in the file: its name (for errors) and the field path, e.g. `pre_tokenizer.pretokenizers[1]`. */
export interface JsonPlace {
  readonly source: string;
  readonly path: string;
}

export function fail(place: JsonPlace, why: string): never {
  throw new HfTokenizerError(`${place.source}: ${place.path === '' ? '' : `${place.path}: `}${why}`);
}

export function child(place: JsonPlace, key: string | number): JsonPlace {
  const path = typeof key === 'number' ? `${place.path}[${key}]` : place.path === '' ? key : `${place.path}.${key}`;
  return { source: place.source, path };
}

/** JSON.stringify, shortened so that an error message stays one readable line. */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function asObject(place: JsonPlace, value: unknown): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(place, `expected an object, got ${show(value)}`);
  return value as JsonObject;
}

export function asArray(place: JsonPlace, value: unknown): unknown[] {
  if (!Array.isArray(value)) fail(place, `expected an array, got ${show(value)}`);
  return value;
}

export function asString(place: JsonPlace, value: unknown): string {
  if (typeof value !== 'string') fail(place, `expected a string, got ${show(value)}`);
  return value;
}

export function asBoolean(place: JsonPlace, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(place, `expected true or false, got ${show(value)}`);
  return value;
}

export function asNonNegativeInteger(place: JsonPlace, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(place, `expected a non-negative integer, got ${show(value)}`);
  return value;
}

/** A field that must be present. */
export function field(place: JsonPlace, obj: JsonObject, key: string): unknown {
  if (!(key in obj)) fail(place, `missing field "${key}"`);
  return obj[key];
}

/** A boolean field that may be absent or null (then `fallback`). */
export function optionalBoolean(place: JsonPlace, obj: JsonObject, key: string, fallback: boolean): boolean {
  const value = obj[key];
  return value === undefined || value === null ? fallback : asBoolean(child(place, key), value);
}

/** A string field that may be absent or null (then undefined). */
export function optionalString(place: JsonPlace, obj: JsonObject, key: string): string | undefined {
  const value = obj[key];
  return value === undefined || value === null ? undefined : asString(child(place, key), value);
}

/** A string that must be exactly one Unicode character (Rust's `char`). */
export function asChar(place: JsonPlace, value: unknown): string {
  const text = asString(place, value);
  if ([...text].length !== 1) fail(place, `expected a single character, got ${show(text)}`);
  return text;
}

/** The "type" of a component; `kind` names the component in the error, e.g. "pre-tokenizer". */
export function typeName(place: JsonPlace, obj: JsonObject, kind: string): string {
  const type = obj.type;
  if (typeof type !== 'string') fail(place, `${kind} without a string "type" field`);
  return type;
}

/** A pipeline component ({"type": ..., ...}), or null for null or absent; `read` builds it by type. */
export function parseComponent<T>(place: JsonPlace, value: unknown, kind: string, read: (obj: JsonObject, type: string) => T): T | null {
  if (value === null || value === undefined) return null;
  const obj = asObject(place, value);
  return read(obj, typeName(place, obj, kind));
}

/** The parts of a "Sequence" component, listed under `key`; null parts are left out. */
export function sequenceParts<T>(place: JsonPlace, obj: JsonObject, key: string, parse: (place: JsonPlace, value: unknown) => T | null): T[] {
  const listPlace = child(place, key);
  return asArray(listPlace, field(place, obj, key)).flatMap((item, i) => parse(child(listPlace, i), item) ?? []);
}

export function unsupportedType(place: JsonPlace, kind: string, type: string, supported: readonly string[]): never {
  fail(place, `unsupported ${kind} type "${type}" (this reader implements ${supported.join(', ')})`);
}
