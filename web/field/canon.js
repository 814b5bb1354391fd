// The field app's record code, with no page in it: the canonical JSON of a
// record (RFC 8785, as custody/canonical.go writes it), the act digest a
// passkey signs (custody.ActDigest), the records of the acts a team makes
// (their fields exactly as the server's structs write them back), and
// times with the device's offset. The field app and the Go tests (through
// node) load this same file; web/field_canon_test.go holds it equal to the
// server byte for byte.
"use strict";
(function (root) {
  // canonical writes v as RFC 8785 canonical JSON: object members sorted
  // by their UTF-16 code units (JavaScript's own string order), no
  // whitespace, strings escaped as JSON.stringify escapes them (only '"',
  // '\' and control characters, with the short forms where they exist),
  // integers within ±(2^53 − 1). A record never holds anything else; a
  // string that is not well-formed UTF-16 (a lone surrogate) is refused,
  // since it has no UTF-8 form.
  function canonical(v) {
    if (v === null) return "null";
    switch (typeof v) {
      case "boolean":
        return v ? "true" : "false";
      case "number":
        if (!Number.isSafeInteger(v)) throw new Error("canonical: " + v + " is not an integer within ±(2^53 − 1)");
        return String(v === 0 ? 0 : v);
      case "string":
        if (!wellFormed(v)) throw new Error("canonical: a string holds a lone surrogate");
        return JSON.stringify(v);
      case "object":
        if (Array.isArray(v)) return "[" + v.map(canonical).join(",") + "]";
        var keys = Object.keys(v).sort();
        var out = [];
        for (var i = 0; i < keys.length; i++) {
          if (v[keys[i]] === undefined) continue;
          if (!wellFormed(keys[i])) throw new Error("canonical: a key holds a lone surrogate");
          out.push(JSON.stringify(keys[i]) + ":" + canonical(v[keys[i]]));
        }
        return "{" + out.join(",") + "}";
    }
    throw new Error("canonical: unsupported value of type " + typeof v);
  }

  function wellFormed(s) {
    if (typeof s.isWellFormed === "function") return s.isWellFormed();
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff) {
        var d = s.charCodeAt(i + 1);
        if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
        i++;
      } else if (c >= 0xdc00 && c <= 0xdfff) {
        return false;
      }
    }
    return true;
  }

  function subtle() {
    var c = root.crypto || (typeof globalThis !== "undefined" && globalThis.crypto);
    if (!c || !c.subtle) throw new Error("this browser has no WebCrypto (crypto.subtle): open the app over https or on localhost");
    return c.subtle;
  }

  function hex(buf) {
    var b = new Uint8Array(buf), s = "";
    for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
    return s;
  }

  // actDigest is custody.ActDigest: SHA-256 of "custodia-act-v1\n", the
  // op, "\n" and the record's canonical bytes (UTF-8). It resolves to the
  // 32 bytes (an ArrayBuffer), the WebAuthn challenge.
  function actDigest(op, canonicalRecord) {
    var bytes = new TextEncoder().encode("custodia-act-v1\n" + op + "\n" + canonicalRecord);
    return subtle().digest("SHA-256", bytes);
  }

  // sha256Hex hashes bytes (a photo) to lowercase hex.
  function sha256Hex(bytes) {
    return subtle().digest("SHA-256", bytes).then(hex);
  }

  // rfc3339 writes a time with the device's own offset, to the second:
  // "2023-12-14T01:40:00-05:00". The offset is the device's at that
  // instant (a zone with summer time has two).
  function rfc3339(d) {
    function p(n) { return (n < 10 ? "0" : "") + n; }
    var off = -d.getTimezoneOffset(), sign = off < 0 ? "-" : "+";
    off = Math.abs(off);
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + "T" + p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds()) +
      (off === 0 ? "Z" : sign + p(Math.floor(off / 60)) + ":" + p(off % 60));
  }

  // localInput is d for an <input type=datetime-local>; fromLocalInput
  // reads one back as a device time.
  function localInput(d) {
    return rfc3339(d).slice(0, 16);
  }
  function fromLocalInput(s) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(s || "");
    if (!m) return null;
    return new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
  }

  // The records of the acts a device makes. Each field the server's
  // struct always writes is always here (as the server writes it back);
  // each "omitempty" field only when it has a value. Otherwise the device
  // would sign bytes other than those the server logs and checks.
  var fieldsOf = {
    "evidence.seize": { always: ["id", "case", "type", "description", "seized_at", "seized_by"], optional: ["site", "place", "quantity", "seal", "digital"] },
    "evidence.attach": { always: ["item", "name", "sha256", "size", "at", "by"], optional: ["media_type"] },
    "custody.seal": { always: ["item", "seal", "at", "by"], optional: [] },
    "custody.transfer": { always: ["item", "from", "to", "at", "purpose", "seal_condition"], optional: ["seal", "location"] },
    "site.status": { always: ["site", "status", "at", "by"], optional: ["note"] },
    "detention.record": {
      always: ["id", "case", "person", "basis", "arrested_at", "arrested_by"],
      optional: ["operation", "site", "place", "charge", "rights_notified_at", "hearing_at", "released_at", "note"]
    },
    "detention.update": { always: ["detention", "at", "by"], optional: ["rights_notified_at", "hearing_at", "released_at"] }
  };

  // record builds the record of op from fields (strings; integers for
  // quantity and size; a boolean for digital), with the rule above.
  function record(op, fields) {
    var f = fieldsOf[op];
    fields = fields || {};
    if (!f) throw new Error("a device does not record " + op);
    var out = {};
    f.always.forEach(function (k) {
      var v = fields[k];
      out[k] = v === undefined || v === null ? (k === "size" ? 0 : "") : v;
    });
    f.optional.forEach(function (k) {
      var v = fields[k];
      if (v !== undefined && v !== null && v !== "") out[k] = v;
    });
    return out;
  }

  // b64url writes bytes as unpadded base64url, as WebAuthn and the server do.
  function b64url(buf) {
    var s = "", b = new Uint8Array(buf);
    for (var i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function unb64url(s) {
    s = String(s).replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  var api = { canonical: canonical, actDigest: actDigest, sha256Hex: sha256Hex, hex: hex, rfc3339: rfc3339, localInput: localInput,
    fromLocalInput: fromLocalInput, record: record, fieldsOf: fieldsOf, b64url: b64url, unb64url: unb64url };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.CampoCanon = api;
})(typeof self !== "undefined" ? self : this);
