/**
 * JSON text that reads back as what was written. `JSON.stringify` quietly turns NaN and Infinity
 * into null, Maps and typed arrays into {}, and drops functions; a checkpoint written that way
 * resumes a different run. Here those are errors naming the path of the bad value
 * (e.g. `state.history[3].loss`). Object properties that are undefined are left out, as JSON does.
 */

export function stringifyJson(value: unknown, what: string): string {
  checkJsonValue(value, what);
  return JSON.stringify(value, null, 2) + '\n';
}

function checkJsonValue(value: unknown, path: string): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${path} is ${value}, which JSON cannot hold (use null or a string)`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      if (item === undefined) throw new Error(`${path}[${i}] is undefined, which JSON cannot hold`);
      checkJsonValue(item, `${path}[${i}]`);
    });
    return;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new Error(`${path} is a ${(value as object).constructor?.name ?? 'non-plain object'}; only plain objects and arrays can be saved as JSON`);
    }
    for (const [key, item] of Object.entries(value)) if (item !== undefined) checkJsonValue(item, `${path}.${key}`);
    return;
  }
  throw new Error(`${path} is a ${typeof value}, which JSON cannot hold`);
}
