// MD5 (RFC 1321) for Content-MD5: WebCrypto has HMAC-SHA256 and AES-CBC but
// no MD5. md5(bytes) takes a Uint8Array and returns the 16-byte digest.
'use strict';

const md5 = (() => {
  // Per-round shift amounts and the sine-derived constants of RFC 1321.
  const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
  const K = new Uint32Array(64);
  for (let i = 0; i < 64; i++) {
    K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32);
  }

  // pad appends 0x80, zeros and the bit length (little-endian, 64 bits).
  function pad(bytes) {
    const n = ((bytes.length + 8) >>> 6) + 1; // 64-byte blocks
    const out = new Uint8Array(n * 64);
    out.set(bytes);
    out[bytes.length] = 0x80;
    const view = new DataView(out.buffer);
    const bits = bytes.length * 8;
    view.setUint32(out.length - 8, bits >>> 0, true);
    view.setUint32(out.length - 4, Math.floor(bits / 2 ** 32), true);
    return view;
  }

  return function md5(bytes) {
    const view = pad(bytes);
    const h = new Uint32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]);
    const w = new Uint32Array(16);
    for (let off = 0; off < view.byteLength; off += 64) {
      for (let j = 0; j < 16; j++) {
        w[j] = view.getUint32(off + 4 * j, true);
      }
      let [a, b, c, d] = h;
      for (let i = 0; i < 64; i++) {
        let f, g;
        const round = i >>> 4;
        if (round === 0) {
          f = (b & c) | (~b & d);
          g = i;
        } else if (round === 1) {
          f = (d & b) | (~d & c);
          g = (5 * i + 1) & 15;
        } else if (round === 2) {
          f = b ^ c ^ d;
          g = (3 * i + 5) & 15;
        } else {
          f = c ^ (b | ~d);
          g = (7 * i) & 15;
        }
        const s = S[round * 4 + (i & 3)];
        const x = (a + f + K[i] + w[g]) >>> 0;
        a = d;
        d = c;
        c = b;
        b = (b + ((x << s) | (x >>> (32 - s)))) >>> 0;
      }
      h[0] += a;
      h[1] += b;
      h[2] += c;
      h[3] += d;
    }
    const out = new Uint8Array(16);
    const outView = new DataView(out.buffer);
    h.forEach((v, i) => outView.setUint32(4 * i, v, true));
    return out;
  };
})();
