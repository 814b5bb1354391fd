// The field app (issue 18): a raid team's phone records seizures (with
// photos), detentions and the site's status with no network. Each entry is
// signed on the phone the moment it is made, by the officer's passkey over
// the act's digest (canon.js), numbered in the device's own sequence and
// kept in IndexedDB, where it survives closing the page and restarting the
// phone. When the network comes back the queue goes to the server in order
// (POST /api/v1/field/sync, idempotent by device and number); photos follow
// through the resumable uploads once their entries are in. A refused entry
// stays on the phone with the server's reason.
"use strict";
(function () {
  var C = window.CampoCanon;
  var body = document.body;
  var pack = JSON.parse(document.getElementById("campo-texts").textContent);
  var lang = "es";
  try { lang = localStorage.getItem("campo-lang") === "en" ? "en" : "es"; } catch (e) { /* private mode */ }

  function T(key) {
    var m = pack.texts[key];
    return m ? m[lang] : "⟦" + key + "⟧";
  }
  function Tf(key) {
    var args = arguments, i = 1;
    return T(key).replace(/%[sd]/g, function () { return String(args[i++]); });
  }
  function W(kind, code) {
    var k = pack.words[kind], m = k && k[code];
    return m ? m[lang] : code;
  }
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "class") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (c) { if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function $(id) { return document.getElementById(id); }

  // Times as the pages show them: "2023-12-14 01:00 -05:00", in the
  // deployment's zone (the server's data names it) with its offset, not in
  // whatever zone the phone is set to.
  function showTime(s) {
    if (!s) return "";
    var d = new Date(s);
    if (isNaN(d)) return s;
    var parts = {};
    try {
      new Intl.DateTimeFormat("en-CA", { timeZone: (S.data && S.data.zone) || undefined, year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "longOffset" })
        .formatToParts(d).forEach(function (p) { parts[p.type] = p.value; });
    } catch (e) {
      return d.toISOString();
    }
    var off = (parts.timeZoneName || "").replace("GMT", "") || "+00:00";
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute + " " + off;
  }
  function dur(minutes) {
    minutes = Math.abs(Math.round(minutes));
    return minutes < 60 ? minutes + " min" : Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
  }

  // ---- IndexedDB: meta (device, next number, the server's data), entries
  // (by the device's number), photos (by SHA-256).
  var dbp = new Promise(function (res, rej) {
    var r = indexedDB.open("custodia-campo", 1);
    r.onupgradeneeded = function () {
      var db = r.result;
      db.createObjectStore("meta");
      db.createObjectStore("entries", { keyPath: "seq" });
      db.createObjectStore("photos", { keyPath: "sha256" });
    };
    r.onsuccess = function () { res(r.result); };
    r.onerror = function () { rej(r.error); };
  });
  function tx(stores, mode, fn) {
    return dbp.then(function (db) {
      return new Promise(function (res, rej) {
        var t = db.transaction(stores, mode), out = {};
        fn(t, out);
        t.oncomplete = function () { res(out.value); };
        t.onerror = function () { rej(t.error); };
        t.onabort = function () { rej(t.error || new Error("aborted")); };
      });
    });
  }
  function getMeta(key) {
    return tx(["meta"], "readonly", function (t, out) { var q = t.objectStore("meta").get(key); q.onsuccess = function () { out.value = q.result; }; });
  }
  function setMeta(key, v) { return tx(["meta"], "readwrite", function (t) { t.objectStore("meta").put(v, key); }); }
  function all(store) {
    return tx([store], "readonly", function (t, out) { var q = t.objectStore(store).getAll(); q.onsuccess = function () { out.value = q.result; }; });
  }
  function put(store, v) { return tx([store], "readwrite", function (t) { t.objectStore(store).put(v); }); }

  // saveEntries gives the entries the device's next numbers and keeps them,
  // with their photos, in one transaction: all of an act or none.
  function saveEntries(list, photos) {
    return tx(["meta", "entries", "photos"], "readwrite", function (t, out) {
      var meta = t.objectStore("meta");
      var q = meta.get("next");
      q.onsuccess = function () {
        var next = q.result || 1;
        list.forEach(function (e) { e.seq = next++; t.objectStore("entries").put(e); });
        (photos || []).forEach(function (p) { t.objectStore("photos").put(p); });
        meta.put(next, "next");
        out.value = list;
      };
    });
  }

  // ---- State
  var S = { device: "", data: null, entries: [], photos: [], site: "", tab: "site", lastSync: null, syncing: false, signedOut: false };

  function deviceID() {
    return getMeta("device").then(function (d) {
      if (d) return d;
      var b = new Uint8Array(6), a = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789", s = "";
      crypto.getRandomValues(b);
      for (var i = 0; i < b.length; i++) s += a[b[i] % a.length];
      d = "PWA-" + s;
      return setMeta("device", d).then(function () { return d; });
    });
  }

  function load() {
    return Promise.all([getMeta("data"), all("entries"), all("photos"), getMeta("site"), getMeta("lastSync")]).then(function (r) {
      S.data = r[0] || null;
      S.entries = r[1].sort(function (a, b) { return a.seq - b.seq; });
      S.photos = r[2];
      S.site = r[3] || "";
      S.lastSync = r[4] || null;
    });
  }

  // ---- Server data: the officer, their passkeys, their team's sites and
  // briefing, the case's persons. Kept for the times without network.
  function refreshData() {
    if (!navigator.onLine) return Promise.resolve();
    return fetch("/campo/datos", { credentials: "same-origin", headers: { "Accept": "application/json", "X-Requested-With": "fetch" } }).then(function (r) {
      if (r.status === 401) { S.signedOut = true; return null; }
      if (!r.ok) return null;
      return r.json().then(function (d) {
        S.signedOut = false;
        d.fetched = C.rfc3339(new Date());
        S.data = d;
        return setMeta("data", d);
      });
    }).catch(function () { /* no network after all */ });
  }

  // ---- The site: the one the officer works at (of their team's).
  function sites() { return (S.data && S.data.sites) || []; }
  function currentSite() {
    var ss = sites();
    for (var i = 0; i < ss.length; i++) if (ss[i].id === S.site) return ss[i];
    return ss[0] || null;
  }
  // The site's status as this phone knows it: the server's, then the
  // phone's own status entries not yet refused.
  function localStatus(site) {
    var st = site.status, pending = false;
    S.entries.forEach(function (e) {
      if (e.op === "site.status" && e.record.site === site.id && e.status !== "refused" && e.status !== "discarded") {
        st = e.record.status;
        pending = pending || e.status === "queued";
      }
    });
    return { status: st, pending: pending };
  }
  var rank = { planned: 0, en_route: 1, entered: 2, secured: 3, completed: 4 };

  // ---- Signing: the officer's passkey signs the act's digest, which the
  // phone computed; nothing is asked of the server.
  function sign(op, rec) {
    var canon = C.canonical(rec);
    return C.actDigest(op, canon).then(function (digest) {
      var creds = (S.data && S.data.creds) || [];
      if (!creds.length) throw new Error(T("campo.no_passkey"));
      if (!window.PublicKeyCredential || !navigator.credentials) throw new Error(T("campo.no_webauthn"));
      return navigator.credentials.get({ publicKey: { challenge: digest, rpId: S.data.rp_id, userVerification: "preferred", timeout: 120000,
        allowCredentials: creds.map(function (c) { return { type: "public-key", id: C.unb64url(c.id) }; }) } }).then(function (a) {
        var id = C.b64url(a.rawId), key = "";
        creds.forEach(function (c) { if (c.id === id) key = c.key; });
        return { op: op, record: rec, canonical: canon, digest: C.hex(digest), device_clock: C.rfc3339(new Date()),
          sigs: [{ authenticator_data: C.b64url(a.response.authenticatorData), client_data_json: C.b64url(a.response.clientDataJSON), key: key, role: "by", sig: C.b64url(a.response.signature) }] };
      }, function () { throw new Error(T("campo.sign_cancelled")); });
    });
  }

  function entryOf(signed, ref, actAt) {
    signed.device = S.device;
    signed.status = "queued";
    signed.ref = ref;
    signed.act_at = actAt;
    signed.created = C.rfc3339(new Date());
    return signed;
  }

  // ---- Forms
  function formError(form, msg) {
    var box = form.querySelector(".form-error");
    box.textContent = msg || "";
    box.hidden = !msg;
  }
  function busy(form, on) { form.querySelector("button[type=submit]").disabled = on; }

  function nextID(prefix, op) {
    var n = 1, short = S.device.slice(-4);
    S.entries.forEach(function (e) { if (e.op === op) n++; });
    var site = currentSite();
    var suffix = site ? site.id.replace(/^S-/, "") + "-" : "";
    return prefix + suffix + short + "-" + n;
  }

  function onSeize(ev) {
    ev.preventDefault();
    var form = ev.target;
    formError(form, "");
    if (!form.checkValidity()) { form.reportValidity(); return; }
    var site = currentSite();
    if (!site) { formError(form, T("campo.no_sites")); return; }
    var at = C.fromLocalInput($("sz-at").value);
    if (!at) { formError(form, T("campo.bad_time")); return; }
    var me = S.data.officer, when = C.rfc3339(at);
    var sz = C.record("evidence.seize", { id: $("sz-id").value.trim(), "case": site["case"], type: $("sz-type").value, description: $("sz-desc").value.trim(),
      seized_at: when, seized_by: me, site: site.id, place: $("sz-place").value.trim(), seal: $("sz-seal").value.trim() });
    var files = Array.prototype.slice.call($("sz-photos").files || []);
    busy(form, true);
    // Photos are hashed here, before anything leaves the phone: the hash
    // goes into the signed record of each photo.
    Promise.all(files.map(function (f) {
      return f.arrayBuffer().then(function (buf) {
        return C.sha256Hex(buf).then(function (h) { return { sha256: h, size: buf.byteLength, type: f.type, name: f.name || "foto.jpg", bytes: buf }; });
      });
    })).then(function (photos) {
      var signed = [];
      var chain = sign("evidence.seize", sz).then(function (s) { signed.push(entryOf(s, sz.id, when)); });
      photos.forEach(function (p) {
        chain = chain.then(function () {
          var now = C.rfc3339(new Date());
          var att = C.record("evidence.attach", { item: sz.id, name: p.name, sha256: p.sha256, size: p.size, at: now, by: me, media_type: p.type });
          return sign("evidence.attach", att).then(function (s) {
            var e = entryOf(s, sz.id, now);
            e.photo = p.sha256;
            signed.push(e);
          });
        });
      });
      return chain.then(function () {
        photos.forEach(function (p) { p.item = sz.id; p.uploaded = false; });
        return saveEntries(signed, photos);
      });
    }).then(function () {
      form.reset();
      return afterSave("seize");
    }).catch(function (e) { formError(form, e.message || String(e)); }).then(function () { busy(form, false); });
  }

  function onDetain(ev) {
    ev.preventDefault();
    var form = ev.target;
    formError(form, "");
    if (!form.checkValidity()) { form.reportValidity(); return; }
    var site = currentSite();
    if (!site) { formError(form, T("campo.no_sites")); return; }
    var at = C.fromLocalInput($("dt-at").value);
    var rightsAt = $("dt-rights").checked ? C.fromLocalInput($("dt-rights-at").value) : null;
    if (!at || ($("dt-rights").checked && !rightsAt)) { formError(form, T("campo.bad_time")); return; }
    var when = C.rfc3339(at);
    var d = C.record("detention.record", { id: $("dt-id").value.trim(), "case": site["case"], person: $("dt-person").value, basis: $("dt-basis").value,
      arrested_at: when, arrested_by: S.data.officer, site: site.id, place: $("dt-place").value.trim(), charge: $("dt-charge").value.trim(),
      rights_notified_at: rightsAt ? C.rfc3339(rightsAt) : "" });
    busy(form, true);
    sign("detention.record", d).then(function (s) {
      return saveEntries([entryOf(s, d.id, when)]);
    }).then(function () {
      form.reset();
      return afterSave("detain");
    }).catch(function (e) { formError(form, e.message || String(e)); }).then(function () { busy(form, false); });
  }

  function onStatus(status) {
    var site = currentSite(), box = $("status-error");
    box.hidden = true;
    var now = C.rfc3339(new Date());
    var rec = C.record("site.status", { site: site.id, status: status, at: now, by: S.data.officer });
    Array.prototype.forEach.call(document.querySelectorAll("#status-buttons button"), function (b) { b.disabled = true; });
    sign("site.status", rec).then(function (s) {
      return saveEntries([entryOf(s, site.id, now)]);
    }).then(function () { return afterSave("site"); }).catch(function (e) {
      box.textContent = e.message || String(e);
      box.hidden = false;
      render();
    });
  }

  function afterSave(tab) {
    return load().then(function () {
      render();
      fillDefaults(tab);
      if (navigator.onLine) sync();
    });
  }

  // ---- Sync: the queue in the device's order; the answer says, entry by
  // entry, recorded (now or by an earlier sync) or refused, and why.
  function sync() {
    if (S.syncing || !navigator.onLine) return Promise.resolve();
    var queued = S.entries.filter(function (e) { return e.status === "queued"; }).slice(0, 100);
    S.syncing = true;
    render();
    var step = queued.length ? send(queued) : Promise.resolve();
    return step.then(uploadPhotos).catch(function (e) {
      S.lastSync = { at: C.rfc3339(new Date()), failed: String(e && e.message || e) };
      return setMeta("lastSync", S.lastSync);
    }).then(function () {
      S.syncing = false;
      return load();
    }).then(render);
  }

  function send(queued, retried) {
    var payload = { sent_at: C.rfc3339(new Date()), entries: queued.map(function (e) {
      return { device: e.device, seq: e.seq, device_clock: e.device_clock, op: e.op, record: e.record, sigs: e.sigs };
    }) };
    return fetch("/api/v1/field/sync", { method: "POST", credentials: "same-origin", body: JSON.stringify(payload),
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-Requested-With": "fetch", "X-CSRF-Token": (S.data && S.data.csrf) || "" } }).then(function (r) {
      if (r.status === 401) { S.signedOut = true; throw new Error(T("campo.signin")); }
      return r.json().then(function (ans) {
        if (r.status === 403 && !retried && ans.error && ans.error.field === "csrf_token") {
          // A new session since the data was kept: take its token, once.
          return refreshData().then(function () { return send(queued, true); });
        }
        if (!r.ok) throw new Error((ans.error && ans.error.message) || r.status + " " + r.statusText);
        return applyAnswer(ans);
      });
    });
  }

  function applyAnswer(ans) {
    var bySeq = {}, counts = { recorded: 0, refused: 0 };
    S.entries.forEach(function (e) { bySeq[e.seq] = e; });
    var changed = [];
    (ans.results || []).forEach(function (r) {
      var e = bySeq[r.seq];
      if (!e || r.device !== e.device) return;
      if (r.status === "refused") {
        e.status = "refused";
        e.error = r.error ? { es: r.error.message, en: r.error.message_en, code: r.error.code, field: r.error.field } : { es: "", en: "" };
        counts.refused++;
      } else {
        e.status = "recorded";
        e.event = r.event;
        e.received_at = r.received_at;
        e.late = !!r.late;
        e.clock = r.clock || "";
        counts.recorded++;
      }
      changed.push(e);
    });
    S.lastSync = { at: C.rfc3339(new Date()), recorded: counts.recorded, refused: counts.refused, clock: ans.clock || "", skew: ans.skew_seconds || 0 };
    return tx(["entries", "meta"], "readwrite", function (t) {
      changed.forEach(function (e) { t.objectStore("entries").put(e); });
      t.objectStore("meta").put(S.lastSync, "lastSync");
    }).then(function () { if (counts.recorded) return refreshData(); });
  }

  // Photos whose entries are in go up by tus, naming their attachment's
  // event: the server keeps the bytes if they hash to the signed hash.
  function uploadPhotos() {
    var entryOfPhoto = {};
    S.entries.forEach(function (e) { if (e.photo && e.event) entryOfPhoto[e.photo] = e; });
    var todo = S.photos.filter(function (p) { return !p.uploaded && entryOfPhoto[p.sha256]; });
    var chain = Promise.resolve();
    todo.forEach(function (p) {
      chain = chain.then(function () { return uploadOne(p, entryOfPhoto[p.sha256]); });
    });
    return chain;
  }

  // uploadOne sends a photo's bytes in parts of 256 KiB; the upload's
  // address is kept with the photo, so that a cut (or the app closed)
  // resumes at the offset the server holds instead of starting again.
  var PART = 256 << 10;
  function uploadOne(p, e) {
    var csrf = (S.data && S.data.csrf) || "";
    var tus = { "Tus-Resumable": "1.0.0", "X-CSRF-Token": csrf };
    function hdr(extra) { var h = {}; [tus, extra || {}].forEach(function (o) { Object.keys(o).forEach(function (k) { h[k] = o[k]; }); }); return h; }
    function create() {
      var meta = "op " + btoa("evidence.attach") + ",seq " + btoa(String(e.event));
      return fetch("/api/v1/items/" + encodeURIComponent(p.item) + "/uploads", { method: "POST", credentials: "same-origin",
        headers: hdr({ "Upload-Length": String(p.size), "Upload-Metadata": meta }) }).then(function (r) {
        if (r.status !== 201) throw new Error(T("campo.upload_failed") + " (" + r.status + ")");
        p.url = r.headers.get("Location");
        return put("photos", p).then(function () { return 0; });
      });
    }
    // where: the offset the server holds for p.url, or a new upload.
    function where() {
      if (!p.url) return create();
      return fetch(p.url, { method: "HEAD", credentials: "same-origin", cache: "no-store", headers: hdr() }).then(function (r) {
        if (r.status === 404 || r.status === 410) { p.url = ""; return create(); }
        if (!r.ok) throw new Error(T("campo.upload_failed") + " (" + r.status + ")");
        if (r.headers.get("Custodia-Seq")) return -1; // all in already
        return Number(r.headers.get("Upload-Offset"));
      });
    }
    function send(off) {
      if (off < 0) return Promise.resolve();
      var bytes = new Uint8Array(p.bytes), end = Math.min(off + PART, bytes.length);
      return fetch(p.url, { method: "PATCH", credentials: "same-origin", body: bytes.slice(off, end),
        headers: hdr({ "Upload-Offset": String(off), "Content-Type": "application/offset+octet-stream" }) }).then(function (r) {
        if (r.status === 409) return where().then(send);
        if (r.status !== 204) throw new Error(T("campo.upload_failed") + " (" + r.status + ")");
        if (r.headers.get("Custodia-Seq")) return;
        return send(Number(r.headers.get("Upload-Offset")));
      });
    }
    return where().then(send).then(function () {
      // The server holds the bytes now: the phone keeps the hash only.
      p.uploaded = true;
      p.bytes = null;
      p.url = "";
      return put("photos", p);
    });
  }

  function discard(seq) {
    var e = S.entries.filter(function (x) { return x.seq === seq; })[0];
    if (!e || e.status !== "refused") return;
    e.status = "discarded";
    put("entries", e).then(load).then(render);
  }

  // ---- Rendering
  function applyTexts() {
    document.documentElement.lang = lang;
    Array.prototype.forEach.call(document.querySelectorAll("[data-t]"), function (n) { n.textContent = T(n.getAttribute("data-t")); });
    $("lang").textContent = lang === "es" ? "English" : "Español";
    $("lang").setAttribute("lang", lang === "es" ? "en" : "es");
  }

  function options(sel, list, keep) {
    var cur = sel.value;
    sel.textContent = "";
    list.forEach(function (o) { sel.appendChild(el("option", { value: o.value, text: o.text })); });
    if (keep && cur) sel.value = cur;
  }

  function render() {
    applyTexts();
    var online = navigator.onLine;
    var net = $("net");
    net.className = "net " + (online ? "on" : "off");
    net.textContent = online ? T("campo.online") : T("campo.offline");
    var d = S.data;
    $("who").textContent = d ? Tf("campo.who", d.officer_name || d.officer, d.officer, S.device) : Tf("campo.device", S.device);
    $("signin").hidden = !(S.signedOut || (!d && online));
    $("nokey").hidden = !(d && (!d.creds || !d.creds.length));
    renderSite();
    renderForms();
    renderQueue();
    var pending = S.entries.filter(function (e) { return e.status === "queued"; }).length;
    $("queue-count").hidden = pending === 0;
    $("queue-count").textContent = String(pending);
    body.setAttribute("data-pending", String(pending));
  }

  function renderSite() {
    var ss = sites(), pick = $("site-pick");
    $("no-sites").hidden = ss.length > 0;
    $("site-pick-box").hidden = ss.length < 2;
    options(pick, ss.map(function (s) { return { value: s.id, text: s.id + " — " + s.city }; }), false);
    var site = currentSite();
    if (site) pick.value = site.id;
    var card = $("site-card");
    card.textContent = "";
    var buttons = $("status-buttons");
    buttons.textContent = "";
    if (!site) return;
    var ls = localStatus(site);
    var dl = el("dl", {}, [
      el("dt", { text: T("campo.site") }), el("dd", { text: site.id + " · " + site.city + " (" + site.province + ")" }),
      el("dt", { text: T("campo.operation") }), el("dd", { text: site.operation_name + " · " + Tf("campo.h_hour", showTime(site.h_hour)) }),
      el("dt", { text: T("campo.status") }), el("dd", {}, [el("span", { "class": "st", id: "site-status", "data-status": ls.status, text: W("status", ls.status) }),
        ls.pending ? el("span", { "class": "pending-note", text: " · " + T("campo.status_pending") }) : null]),
      el("dt", { text: T("campo.team") }), el("dd", { text: [site.lead].concat(site.team || []).join(", ") })
    ]);
    card.appendChild(el("div", { "class": "card", id: "briefing" }, [el("h3", { text: T("campo.briefing") }), dl, briefing(site)]));
    var next = [];
    if (ls.status !== "completed" && ls.status !== "aborted") {
      ["en_route", "entered", "secured", "completed"].forEach(function (s) { if (rank[s] > rank[ls.status]) next.push(s); });
      next.push("aborted");
    }
    next.forEach(function (s) {
      var b = el("button", { type: "button", id: "status-" + s, "class": s === "aborted" ? "abort" : "", text: W("status", s) });
      b.addEventListener("click", function () { onStatus(s); });
      buttons.appendChild(b);
    });
    $("h-status").hidden = next.length === 0;
  }

  // The briefing: the target is what the server released to the team at
  // the operation's release time; before it, the phone has nothing to show.
  function briefing(site) {
    if (site.address || site.warrant) {
      return el("dl", { id: "target" }, [
        el("dt", { text: T("campo.address") }), el("dd", { text: site.address || "—" }),
        el("dt", { text: T("campo.warrant") }), el("dd", { text: site.warrant || "—" }),
        el("dt", { text: T("campo.released") }), el("dd", { text: site.release_at ? showTime(site.release_at) : "—" })
      ]);
    }
    return el("p", { "class": "help", id: "target-pending", text: site.release_at ? Tf("campo.release_at", showTime(site.release_at)) : T("campo.release_none") });
  }

  function renderForms() {
    var d = S.data;
    var types = (d && d.item_types) || [];
    options($("sz-type"), [{ value: "", text: T("campo.choose") }].concat(types.map(function (t) { return { value: t, text: W("itype", t) }; })), true);
    options($("dt-basis"), [{ value: "", text: T("campo.choose") }].concat(((d && d.bases) || []).map(function (b) { return { value: b, text: W("basis", b) }; })), true);
    var site = currentSite();
    var persons = ((d && d.persons) || []).filter(function (p) { return !site || p["case"] === site["case"]; });
    options($("dt-person"), [{ value: "", text: T("campo.choose") }].concat(persons.map(function (p) { return { value: p.id, text: p.id + (p.name ? " — " + p.name : "") }; })), true);
    $("sz-submit").disabled = !site;
    $("dt-submit").disabled = !site;
  }

  // suggest fills an id field with the next suggestion, unless the officer
  // typed one (a label's number): a suggestion made before the data came
  // (no site yet) or before another entry is replaced.
  function suggest(input, v) {
    if (!input.value || input.value === input.getAttribute("data-auto")) {
      input.value = v;
      input.setAttribute("data-auto", v);
    }
  }

  function fillDefaults(tab) {
    var now = C.localInput(new Date());
    if (!tab || tab === "seize") {
      suggest($("sz-id"), nextID("E-", "evidence.seize"));
      if (!$("sz-at").value) $("sz-at").value = now;
    }
    if (!tab || tab === "detain") {
      suggest($("dt-id"), nextID("D-", "detention.record"));
      if (!$("dt-at").value) $("dt-at").value = now;
      if (!$("dt-rights-at").value) $("dt-rights-at").value = now;
    }
  }

  function opWord(e) { return W("op", e.op); }

  function renderQueue() {
    var list = $("queue");
    list.textContent = "";
    var shown = S.entries.filter(function (e) { return e.status !== "discarded"; });
    shown.slice().reverse().forEach(function (e) {
      var what = opWord(e) + " " + e.ref;
      if (e.op === "site.status") what = opWord(e) + " " + e.ref + ": " + W("status", e.record.status);
      if (e.photo) what = opWord(e) + " " + e.ref + " · " + e.record.name;
      var badge, lines = [];
      lines.push(el("p", { "class": "meta", text: Tf("campo.made", showTime(e.act_at), showTime(e.device_clock), e.seq) }));
      if (e.status === "queued") {
        badge = el("span", { "class": "badge queued", text: T("campo.st_queued") });
      } else if (e.status === "recorded") {
        badge = el("span", { "class": "badge recorded", text: T("campo.st_recorded") });
        lines.push(el("p", { "class": "meta", text: Tf("campo.arrived", e.event, showTime(e.received_at)) }));
        if (e.late) {
          var gap = (new Date(e.received_at) - new Date(e.act_at)) / 60000;
          lines.push(el("p", { "class": "meta" }, [el("span", { "class": "badge late", text: T("campo.late") }), " " + Tf("campo.late_by", dur(gap))]));
        }
        if (e.clock) lines.push(el("p", { "class": "clock-flag", text: T(e.clock === "ahead" ? "campo.clock_ahead" : "campo.clock_behind") }));
      } else {
        badge = el("span", { "class": "badge refused", text: T("campo.st_refused") });
        var msg = e.error ? (lang === "en" ? e.error.en : e.error.es) || e.error.es : "";
        lines.push(el("p", { "class": "reason", role: "alert", text: msg }));
        lines.push(el("p", { "class": "help", text: T("campo.refused_help") }));
        var b = el("button", { type: "button", "class": "discard", text: T("campo.discard") });
        b.addEventListener("click", function () { discard(e.seq); });
        lines.push(b);
      }
      if (e.photo) {
        var p = S.photos.filter(function (x) { return x.sha256 === e.photo; })[0];
        lines.push(el("p", { "class": "meta", "data-photo": p && p.uploaded ? "uploaded" : "waiting",
          text: Tf("campo.photo", e.photo.slice(0, 16), p && p.uploaded ? T("campo.photo_up") : T("campo.photo_wait")) }));
      }
      list.appendChild(el("li", { "data-seq": String(e.seq), "data-status": e.status, "data-op": e.op }, [el("p", { "class": "what" }, [badge, " " + what])].concat(lines)));
    });
    if (!shown.length) list.appendChild(el("li", { text: T("campo.queue_empty") }));
    var st = $("sync-status"), ls = S.lastSync;
    if (S.syncing) st.textContent = T("campo.syncing");
    else if (!ls) st.textContent = "";
    else if (ls.failed) st.textContent = Tf("campo.sync_failed", showTime(ls.at), ls.failed);
    else st.textContent = Tf("campo.synced", showTime(ls.at), ls.recorded, ls.refused) + (ls.clock ? " " + T(ls.clock === "ahead" ? "campo.clock_ahead" : "campo.clock_behind") : "");
    $("sync-now").disabled = S.syncing || !navigator.onLine;
  }

  function showTab(name) {
    S.tab = name;
    ["site", "seize", "detain", "queue"].forEach(function (t) {
      $("tab-" + t).hidden = t !== name;
      if (t === name) $("tb-" + t).setAttribute("aria-current", "page");
      else $("tb-" + t).removeAttribute("aria-current");
    });
    fillDefaults(name);
    window.scrollTo(0, 0);
  }

  // ---- Start
  Array.prototype.forEach.call(document.querySelectorAll("#tabs button"), function (b) {
    b.addEventListener("click", function () { showTab(b.getAttribute("data-tab")); });
  });
  $("form-seize").addEventListener("submit", onSeize);
  $("form-detain").addEventListener("submit", onDetain);
  $("sync-now").addEventListener("click", function () { refreshData().then(sync); });
  $("site-pick").addEventListener("change", function () {
    S.site = $("site-pick").value;
    setMeta("site", S.site).then(function () { render(); fillDefaults(); });
  });
  $("lang").addEventListener("click", function () {
    lang = lang === "es" ? "en" : "es";
    try { localStorage.setItem("campo-lang", lang); } catch (e) { /* private mode */ }
    render();
  });
  window.addEventListener("online", function () { refreshData().then(sync); });
  window.addEventListener("offline", render);

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/campo/sw.js", { scope: "/campo/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function () {
      body.setAttribute("data-sw", navigator.serviceWorker.controller ? "ready" : "installed");
      navigator.serviceWorker.addEventListener("controllerchange", function () { body.setAttribute("data-sw", "ready"); });
    }).catch(function () { body.setAttribute("data-sw", "none"); });
  }

  // The queue must outlive the browser and the phone's restarts: ask that
  // this site's storage be kept under storage pressure, not evicted.
  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persist().then(function (p) { body.setAttribute("data-persisted", p ? "1" : "0"); }, function () {});
  }
  deviceID().then(function (d) { S.device = d; return load(); }).then(function () {
    render();
    fillDefaults();
    body.setAttribute("data-loaded", "1");
    return refreshData().then(function () { render(); fillDefaults(); return sync(); });
  }).catch(function (e) {
    $("net").textContent = String(e && e.message || e);
  });
  setInterval(function () { if (navigator.onLine && !S.syncing && S.entries.some(function (e) { return e.status === "queued"; })) sync(); }, 20000);
})();
