/**
 * msgpackr writes a JS number that does not fit 32 bits as float64, so µs timestamps and most 1e-8 prices would
 * reach other languages as floats (a typed Go or Java decoder refuses them). A float64 and a 64-bit integer take
 * the same 9 bytes, so after packing every float64 holding a safe integer is rewritten in place as uint64
 * (0xcf) or int64 (0xd3): one linear pass over the bytes, no copy, no allocation.
 *
 * On the way in, the same pass tells whether any 64-bit integer lies beyond ±(2^53 − 1): only then does the
 * decoder need exact (bigint) reading, which costs an allocation per integer.
 */

const TWO_32 = 0x1_0000_0000;
/** High 32 bits of 2^53: an int64 whose high word is inside ±this is a safe integer (bar −2^53 itself). */
const SAFE_HIGH = 0x20_0000;

/** Rewrites, in place, each float64 that holds a safe integer as a msgpack integer; returns the same bytes. */
export function integersAsMsgpackInts(bytes: Uint8Array): Uint8Array {
  // No float64 marker anywhere: nothing to rewrite (a 0xcb inside a string only costs the walk).
  if (bytes.indexOf(0xcb) >= 0) walk(bytes, true);
  return bytes;
}

/** Whether the msgpack value holds a 64-bit integer a JS number cannot hold exactly. */
export function hasWideIntegers(bytes: Uint8Array): boolean {
  if (bytes.indexOf(0xcf) < 0 && bytes.indexOf(0xd3) < 0) return false;
  return walk(bytes, false);
}

// One 8-byte scratch to read a big-endian float64 without a DataView per message.
const scratch = new Uint8Array(8);
const scratchFloat = new Float64Array(scratch.buffer);
const hostLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const u16 = (b: Uint8Array, p: number): number => (b[p]! << 8) | b[p + 1]!;
const u32 = (b: Uint8Array, p: number): number => ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;

function float64At(b: Uint8Array, p: number): number {
  for (let i = 0; i < 8; i++) scratch[hostLittleEndian ? 7 - i : i] = b[p + i]!;
  return scratchFloat[0]!;
}

/** Writes a safe integer as 8 big-endian two's-complement bytes. */
function writeInt64(b: Uint8Array, p: number, value: number): void {
  const high = Math.floor(value / TWO_32);
  const low = value - high * TWO_32;
  b[p] = high >>> 24;
  b[p + 1] = high >>> 16;
  b[p + 2] = high >>> 8;
  b[p + 3] = high;
  b[p + 4] = low >>> 24;
  b[p + 5] = low >>> 16;
  b[p + 6] = low >>> 8;
  b[p + 7] = low;
}

function walk(bytes: Uint8Array, rewrite: boolean): boolean {
  let wide = false;
  let pos = 0;
  let pending = 1;
  while (pending > 0) {
    pending--;
    const b = bytes[pos++]!;
    if (b < 0x80 || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) continue; // fixint, nil, booleans
    if (b < 0x90)
      pending += (b & 0x0f) * 2; // fixmap
    else if (b < 0xa0)
      pending += b & 0x0f; // fixarray
    else if (b < 0xc0)
      pos += b & 0x1f; // fixstr
    else {
      switch (b) {
        case 0xcb: {
          const value = rewrite ? float64At(bytes, pos) : 0.5;
          if (Number.isSafeInteger(value)) {
            bytes[pos - 1] = value < 0 ? 0xd3 : 0xcf;
            writeInt64(bytes, pos, value);
          }
          pos += 8;
          break;
        }
        case 0xcc:
        case 0xd0:
          pos += 1;
          break;
        case 0xcd:
        case 0xd1:
          pos += 2;
          break;
        case 0xca:
        case 0xce:
        case 0xd2:
          pos += 4;
          break;
        case 0xcf:
          if (u32(bytes, pos) >= SAFE_HIGH) wide = true;
          pos += 8;
          break;
        case 0xd3: {
          const high = u32(bytes, pos) | 0;
          if (high >= SAFE_HIGH || high < -SAFE_HIGH) wide = true;
          pos += 8;
          break;
        }
        case 0xc4:
        case 0xd9:
          pos += 1 + bytes[pos]!;
          break;
        case 0xc5:
        case 0xda:
          pos += 2 + u16(bytes, pos);
          break;
        case 0xc6:
        case 0xdb:
          pos += 4 + u32(bytes, pos);
          break;
        case 0xdc:
          pending += u16(bytes, pos);
          pos += 2;
          break;
        case 0xdd:
          pending += u32(bytes, pos);
          pos += 4;
          break;
        case 0xde:
          pending += u16(bytes, pos) * 2;
          pos += 2;
          break;
        case 0xdf:
          pending += u32(bytes, pos) * 2;
          pos += 4;
          break;
        // extensions: fixext 1/2/4/8/16 and ext 8/16/32 (type byte + data)
        case 0xd4:
          pos += 2;
          break;
        case 0xd5:
          pos += 3;
          break;
        case 0xd6:
          pos += 5;
          break;
        case 0xd7:
          pos += 9;
          break;
        case 0xd8:
          pos += 17;
          break;
        case 0xc7:
          pos += 2 + bytes[pos]!;
          break;
        case 0xc8:
          pos += 3 + u16(bytes, pos);
          break;
        case 0xc9:
          pos += 5 + u32(bytes, pos);
          break;
        default:
          throw new Error(`msgpack byte 0x${b.toString(16)} at ${pos - 1} is not a msgpack format`);
      }
    }
  }
  return wide;
}
