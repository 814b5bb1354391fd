// SHA-256 (FIPS 180-4) fed in slices, for the upload page: a file of any
// size is hashed a few megabytes at a time, never held whole in memory
// (the browser's crypto.subtle hashes only a whole buffer). Held equal to
// Go's crypto/sha256 by web/upload_sha256_test.go.
"use strict";
(function (root) {
  var K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);

  function Hash() {
    this.h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    this.w = new Uint32Array(64);
    this.buf = new Uint8Array(64);
    this.used = 0; // bytes waiting in buf
    this.total = 0; // bytes hashed, all told
  }

  // blocks hashes the whole 64-byte blocks of p from offset o to end.
  Hash.prototype.blocks = function (p, o, end) {
    var w = this.w, h = this.h;
    var a, b, c, d, e, f, g, hh, i, t1, t2, x, y;
    for (; o + 64 <= end; o += 64) {
      for (i = 0; i < 16; i++) {
        var j = o + i * 4;
        w[i] = (p[j] << 24) | (p[j + 1] << 16) | (p[j + 2] << 8) | p[j + 3];
      }
      for (i = 16; i < 64; i++) {
        x = w[i - 15]; y = w[i - 2];
        w[i] = (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) +
          (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + w[i - 7] + w[i - 16];
      }
      a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4]; f = h[5]; g = h[6]; hh = h[7];
      for (i = 0; i < 64; i++) {
        t1 = (hh + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
        t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
    }
    return o;
  };

  // update hashes the bytes of p (a Uint8Array).
  Hash.prototype.update = function (p) {
    var o = 0, n = p.length;
    this.total += n;
    if (this.used > 0) {
      var take = Math.min(64 - this.used, n);
      this.buf.set(p.subarray(0, take), this.used);
      this.used += take;
      o = take;
      if (this.used < 64) return this;
      this.blocks(this.buf, 0, 64);
      this.used = 0;
    }
    o = this.blocks(p, o, n);
    if (o < n) {
      this.buf.set(p.subarray(o, n), 0);
      this.used = n - o;
    }
    return this;
  };

  // hex ends the hash: the digest in lowercase hexadecimal.
  Hash.prototype.hex = function () {
    var bits = this.total * 8;
    var pad = new Uint8Array((this.used < 56 ? 64 : 128) - this.used);
    pad[0] = 0x80;
    var hi = Math.floor(bits / 0x100000000), lo = bits >>> 0;
    var l = pad.length;
    pad[l - 8] = hi >>> 24; pad[l - 7] = hi >>> 16; pad[l - 6] = hi >>> 8; pad[l - 5] = hi;
    pad[l - 4] = lo >>> 24; pad[l - 3] = lo >>> 16; pad[l - 2] = lo >>> 8; pad[l - 1] = lo;
    this.update(pad);
    var s = "";
    for (var i = 0; i < 8; i++) s += (this.h[i] >>> 0).toString(16).padStart(8, "0");
    return s;
  };

  // file hashes a Blob (a File) slice by slice, reporting progress as a
  // percentage; it resolves to the hex digest.
  function file(blob, progress, slice) {
    slice = slice || (4 << 20);
    var hash = new Hash(), off = 0;
    function next() {
      if (progress) progress(blob.size ? Math.floor(off * 100 / blob.size) : 100);
      if (off >= blob.size) return Promise.resolve(hash.hex());
      var end = Math.min(off + slice, blob.size);
      return blob.slice(off, end).arrayBuffer().then(function (buf) {
        hash.update(new Uint8Array(buf));
        off = end;
        return next();
      });
    }
    return next();
  }

  var api = { Hash: Hash, file: file };
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.CustodiaSHA256 = api;
})(typeof window !== "undefined" ? window : this);
