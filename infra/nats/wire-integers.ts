/**
 * msgpackr writes a JS number that does not fit 32 bits as float64, so µs timestamps and most 1e-8 prices would
 * reach other languages as floats (a typed Go or Java decoder refuses them). A float64 and a 64-bit integer take
 * the same 9 bytes, so after packing every float64 holding a safe integer is rewritten in place as uint64
 * (0xcf) or int64 (0xd3): one linear pass over the bytes, no copy, no allocation.
 */

const TWO_32 = 0x1_0000_0000;

/** Rewrites, in place, each float64 that holds a safe integer as a msgpack integer; returns the same bytes. */
export function integersAsMsgpackInts(bytes: Uint8Array): Uint8Array {
  // No float64 marker anywhere: nothing to rewrite (a 0xcb inside a string only costs the walk).
  if (bytes.indexOf(0xcb) < 0) return bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let pending = 1;
  while (pending > 0) {
    pending--;
    const b = bytes[pos++]!;
    if (b < 0x80 || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) continue; // fixint, nil, booleans
    if (b < 0x90) pending += (b & 0x0f) * 2; // fixmap
    else if (b < 0xa0) pending += b & 0x0f; // fixarray
    else if (b < 0xc0) pos += b & 0x1f; // fixstr
    else {
      switch (b) {
        case 0xcb: {
          const value = view.getFloat64(pos);
          if (Number.isSafeInteger(value)) {
            bytes[pos - 1] = value < 0 ? 0xd3 : 0xcf;
            const high = Math.floor(value / TWO_32);
            view.setInt32(pos, high);
            view.setUint32(pos + 4, value - high * TWO_32);
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
        case 0xd3:
          pos += 8;
          break;
        case 0xc4:
        case 0xd9:
          pos += 1 + bytes[pos]!;
          break;
        case 0xc5:
        case 0xda:
          pos += 2 + view.getUint16(pos);
          break;
        case 0xc6:
        case 0xdb:
          pos += 4 + view.getUint32(pos);
          break;
        case 0xdc:
          pending += view.getUint16(pos);
          pos += 2;
          break;
        case 0xdd:
          pending += view.getUint32(pos);
          pos += 4;
          break;
        case 0xde:
          pending += view.getUint16(pos) * 2;
          pos += 2;
          break;
        case 0xdf:
          pending += view.getUint32(pos) * 2;
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
          pos += 3 + view.getUint16(pos);
          break;
        case 0xc9:
          pos += 5 + view.getUint32(pos);
          break;
        default:
          throw new Error(`msgpack byte 0x${b.toString(16)} at ${pos - 1} is not a msgpack format`);
      }
    }
  }
  return bytes;
}
