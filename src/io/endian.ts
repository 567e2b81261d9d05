/**
 * Copying numeric typed arrays to and from little-endian bytes, whatever the host's byte order.
 *
 * File formats here (safetensors) are little-endian. On little-endian hosts (all common ones) the
 * bytes of a typed array already are the file bytes, so they are copied in one go; elsewhere each
 * element goes through a DataView. `hostLittleEndian` is a parameter so tests can run both paths.
 */

export type NumericArray = Float32Array | Float64Array | Int32Array | BigInt64Array;

export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Writes `data` as little-endian bytes into `out` starting at byte `offset`. */
export function writeLittleEndian(data: NumericArray, out: Uint8Array, offset: number, hostLittleEndian = HOST_IS_LITTLE_ENDIAN): void {
  if (offset + data.byteLength > out.byteLength) {
    throw new Error(`writeLittleEndian: ${data.byteLength} bytes at offset ${offset} do not fit in ${out.byteLength} bytes`);
  }
  if (hostLittleEndian) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + offset, data.byteLength);
  const width = data.BYTES_PER_ELEMENT;
  if (data instanceof Float32Array) for (let i = 0; i < data.length; i++) view.setFloat32(i * width, data[i]!, true);
  else if (data instanceof Float64Array) for (let i = 0; i < data.length; i++) view.setFloat64(i * width, data[i]!, true);
  else if (data instanceof Int32Array) for (let i = 0; i < data.length; i++) view.setInt32(i * width, data[i]!, true);
  else for (let i = 0; i < data.length; i++) view.setBigInt64(i * width, data[i]!, true);
}

/**
 * Reads `length` elements of little-endian bytes into a fresh array made by `make` (always a copy,
 * so the result is aligned and never aliases the file buffer).
 */
export function readLittleEndian<T extends NumericArray>(
  bytes: Uint8Array,
  offset: number,
  length: number,
  make: (n: number) => T,
  hostLittleEndian = HOST_IS_LITTLE_ENDIAN,
): T {
  const out = make(length);
  if (offset + out.byteLength > bytes.byteLength) {
    throw new Error(`readLittleEndian: ${out.byteLength} bytes at offset ${offset} run past the end of ${bytes.byteLength} bytes`);
  }
  if (hostLittleEndian) {
    new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes.subarray(offset, offset + out.byteLength));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, out.byteLength);
  const width = out.BYTES_PER_ELEMENT;
  if (out instanceof Float32Array) for (let i = 0; i < length; i++) out[i] = view.getFloat32(i * width, true);
  else if (out instanceof Float64Array) for (let i = 0; i < length; i++) out[i] = view.getFloat64(i * width, true);
  else if (out instanceof Int32Array) for (let i = 0; i < length; i++) out[i] = view.getInt32(i * width, true);
  else for (let i = 0; i < length; i++) (out as BigInt64Array)[i] = view.getBigInt64(i * width, true);
  return out;
}
