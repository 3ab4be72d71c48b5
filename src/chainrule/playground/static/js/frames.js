// Reading the server's binary frames (docs/playground-protocol.md, "Binary frames"):
// uint32 LE header length H, H bytes of UTF-8 JSON, zero padding to a multiple of 4, float32 LE.

const decoder = new TextDecoder();

/** {header, buffers: {name: Float32Array}} from one binary WebSocket message (an ArrayBuffer). */
export function decodeFrame(buffer) {
  if (buffer.byteLength < 4) throw new Error(`frame of ${buffer.byteLength} bytes has no header length`);
  const headerLength = new DataView(buffer).getUint32(0, true);
  if (4 + headerLength > buffer.byteLength) {
    throw new Error(`frame header of ${headerLength} bytes overruns a ${buffer.byteLength}-byte frame`);
  }
  const header = JSON.parse(decoder.decode(new Uint8Array(buffer, 4, headerLength)));
  const start = Math.ceil((4 + headerLength) / 4) * 4;
  const count = (buffer.byteLength - start) / 4;
  // Float32Array reads the platform's byte order; every browser platform is little-endian, as the
  // format is. The view shares the message's memory: no copy per frame.
  const values = new Float32Array(buffer, start, Math.floor(count));
  const buffers = {};
  for (const { name, offset, length } of header.buffers || []) {
    if (offset < 0 || offset + length > values.length) {
      throw new Error(`frame buffer ${name} (${offset}+${length}) overruns ${values.length} values`);
    }
    buffers[name] = values.subarray(offset, offset + length);
  }
  return { header, buffers };
}

/** The inverse, for tests and the benchmark: a frame as the server packs it. */
export function encodeFrame(header, named) {
  let offset = 0;
  const list = [];
  for (const [name, array] of Object.entries(named)) {
    list.push({ name, offset, length: array.length });
    offset += array.length;
  }
  const json = new TextEncoder().encode(JSON.stringify({ ...header, buffers: list }));
  const start = Math.ceil((4 + json.length) / 4) * 4;
  const out = new ArrayBuffer(start + offset * 4);
  new DataView(out).setUint32(0, json.length, true);
  new Uint8Array(out, 4, json.length).set(json);
  const values = new Float32Array(out, start, offset);
  for (const { name, offset: at } of list) values.set(named[name], at);
  return out;
}
