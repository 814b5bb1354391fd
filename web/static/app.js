// Custodia's only script: forms sent with fetch (errors shown next to their
// field), the live board over Server-Sent Events, deadline clocks, printing.
// Every page works without it.
"use strict";
(function () {
  var body = document.body;
  var skew = 0;
  var serverNow = Date.parse(body.getAttribute("data-now") || "");
  if (!isNaN(serverNow)) skew = serverNow - Date.now();

  function csrfOf(form) {
    var f = form.querySelector("input[name=csrf_token]");
    return f ? f.value : "";
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-error-for], .form-error").forEach(function (el) { el.hidden = true; el.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }

  function showError(form, err) {
    var box = err.field ? form.querySelector('[data-error-for="' + CSS.escape(err.field) + '"]') : null;
    var input = err.field ? form.querySelector('[name="' + CSS.escape(err.field) + '"]') : null;
    if (!box) box = form.querySelector(".form-error");
    if (!box) { alert(err.message); return; }
    box.textContent = err.message;
    box.hidden = false;
    if (input) {
      input.setAttribute("aria-invalid", "true");
      if (box.id === "") box.id = "err-" + form.id + "-" + err.field;
      input.setAttribute("aria-describedby", box.id);
      input.focus();
    } else {
      box.setAttribute("tabindex", "-1");
      box.focus();
    }
  }

  // base64url, as WebAuthn and the server write binary values.
  function enc(buf) {
    var s = "";
    new Uint8Array(buf).forEach(function (b) { s += String.fromCharCode(b); });
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function dec(s) {
    s = String(s).replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  var hasPasskeys = !!(window.PublicKeyCredential && navigator.credentials);

  // assert asks a passkey to sign challenge; creds limits which (none:
  // any passkey of this site, for sign-in).
  function assert(challenge, rpId, creds, verify) {
    var pk = { challenge: dec(challenge), rpId: rpId, userVerification: verify || "preferred", timeout: 120000 };
    if (creds) pk.allowCredentials = creds.map(function (c) { return { type: "public-key", id: dec(c.id) }; });
    return navigator.credentials.get({ publicKey: pk });
  }
  function assertionJSON(a) {
    return { credential: enc(a.rawId), authenticator_data: enc(a.response.authenticatorData),
      client_data_json: enc(a.response.clientDataJSON), signature: enc(a.response.signature) };
  }

  function post(url, form, body, isJSON) {
    var headers = { "X-Requested-With": "fetch", "Accept": "application/json" };
    if (form) headers["X-CSRF-Token"] = csrfOf(form);
    if (isJSON) headers["Content-Type"] = "application/json";
    return fetch(url, { method: "POST", body: body, headers: headers, credentials: "same-origin" }).then(function (resp) {
      return resp.json().catch(function () { return { error: { message: resp.status + " " + resp.statusText } }; });
    });
  }

  // sign: the server says what each act of the form is and who signs it
  // (a "_prepare" request writes nothing); each person's passkey on this
  // device signs the act's digest, and the signatures go with the form.
  // The receiver of an offered handover signs later, on their own device.
  function sign(form, data) {
    var prep = new FormData(form);
    prep.set("_prepare", "1");
    var multipart = form.enctype === "multipart/form-data";
    return post(form.action, form, multipart ? prep : new URLSearchParams(prep)).then(function (res) {
      if (!res.sign) return res;
      var offered = !!form.querySelector("[data-offer]:checked");
      var steps = Promise.resolve();
      res.sign.acts.forEach(function (act, i) {
        if (i === 0 && act.at) {
          // The act's time as prepared and signed (a form may leave it to
          // the server's clock, which moves on before the real request).
          ["_at", "_seized_at", "_arrested_at"].forEach(function (n) { data.set(n, act.at); });
        }
        act.signers.forEach(function (s) {
          if (s.role === "to" && offered) return;
          if (!s.creds || s.creds.length === 0) return; // the server says if a signature was needed
          steps = steps.then(function () {
            return assert(act.challenge, res.sign.rp_id, s.creds).then(function (a) {
              var id = enc(a.rawId), key = "";
              s.creds.forEach(function (c) { if (c.id === id) key = c.key; });
              var j = assertionJSON(a);
              data.set("sig_" + i + "_" + s.role, JSON.stringify({ authenticator_data: j.authenticator_data, client_data_json: j.client_data_json, key: key, role: s.role, sig: j.signature }));
            });
          });
        });
      });
      return steps.then(function () { return null; }, function () {
        return { error: { message: body.getAttribute("data-t-sign-cancelled") } };
      });
    });
  }

  document.querySelectorAll("form[data-enhance]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      clearErrors(form);
      if (!form.checkValidity()) { form.reportValidity(); return; }
      var data = new FormData(form);
      var multipart = form.enctype === "multipart/form-data";
      var btn = form.querySelector("button[type=submit]");
      if (btn) btn.disabled = true;
      var first = form.hasAttribute("data-sign") && hasPasskeys ? sign(form, data) : Promise.resolve(null);
      first.then(function (early) {
        if (early) return early;
        return post(form.action, form, multipart ? data : new URLSearchParams(data));
      }).then(function (res) {
        if (btn) btn.disabled = false;
        if (res.redirect) { location.assign(res.redirect); return; }
        if (res.html !== undefined && res.target) {
          var t = document.getElementById(res.target);
          t.innerHTML = res.html;
          t.focus();
          return;
        }
        if (res.error) showError(form, res.error);
      }).catch(function (e) {
        if (btn) btn.disabled = false;
        showError(form, { message: String(e) });
      });
    });
  });

  // Passkey enrolment: the authenticator makes the key (checked by the
  // server), then signs the proof that it holds it; an administrator
  // approves it before it signs anything.
  document.querySelectorAll("form[data-passkey-enrol]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      clearErrors(form);
      if (!hasPasskeys) { showError(form, { message: body.getAttribute("data-t-unsupported") }); return; }
      var btn = form.querySelector("button[type=submit]");
      btn.disabled = true;
      var fail = function (e) { btn.disabled = false; showError(form, e && e.message ? e : { message: body.getAttribute("data-t-sign-cancelled") }); };
      post("/cuenta/llaves/opciones", form).then(function (opt) {
        if (opt.error) throw opt.error;
        var pk = opt.publicKey;
        pk.challenge = dec(pk.challenge);
        pk.user.id = dec(pk.user.id);
        (pk.excludeCredentials || []).forEach(function (c) { c.id = dec(c.id); });
        return navigator.credentials.create({ publicKey: pk });
      }).then(function (cred) {
        var r = cred.response;
        return post("/cuenta/llaves/registrar", form, JSON.stringify({
          id: cred.id, rawId: enc(cred.rawId), type: cred.type,
          response: { attestationObject: enc(r.attestationObject), clientDataJSON: enc(r.clientDataJSON), transports: r.getTransports ? r.getTransports() : [] },
          clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}
        }), true);
      }).then(function (res) {
        if (res.error) throw res.error;
        return assert(res.challenge, res.rp_id, [{ id: res.credential }]);
      }).then(function (a) {
        var j = assertionJSON(a);
        j.label = form.querySelector("[name=label]").value;
        return post("/cuenta/llaves/prueba", form, JSON.stringify(j), true);
      }).then(function (res) {
        if (res.error) throw res.error;
        location.assign(res.redirect || "/cuenta/llaves");
      }).catch(fail);
    });
  });

  // Sign-in with a passkey: no account to type, the passkey says who.
  var pkLogin = document.getElementById("passkey-login");
  if (pkLogin && hasPasskeys) {
    document.getElementById("passkey-login-box").hidden = false;
    pkLogin.addEventListener("click", function () {
      var errBox = document.getElementById("passkey-login-error");
      errBox.hidden = true;
      post("/entrar/llave/reto", null).then(function (c) {
        return assert(c.challenge, c.rp_id, null, "required").then(function (a) {
          var j = assertionJSON(a);
          j.token = c.token;
          return post("/entrar/llave", null, JSON.stringify(j), true);
        });
      }).then(function (res) {
        if (res.error) throw res.error;
        var next = pkLogin.getAttribute("data-next");
        location.assign(next && next.charAt(0) === "/" ? next : (res.redirect || "/casos"));
      }).catch(function (e) {
        errBox.textContent = e && e.message ? e.message : body.getAttribute("data-t-sign-cancelled");
        errBox.hidden = false;
      });
    });
  }

  // Deadline clocks: "3 h 12 min left", red once overdue.
  function fmt(ms) {
    var m = Math.floor(Math.abs(ms) / 60000), h = Math.floor(m / 60);
    return (h ? h + " h " : "") + (m % 60) + " min";
  }
  function tick() {
    var now = Date.now() + skew;
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var d = Date.parse(el.getAttribute("data-deadline")) - now;
      if (d >= 0) {
        el.textContent = body.getAttribute("data-t-left") + " " + fmt(d);
      } else {
        el.textContent = body.getAttribute("data-t-over") + " " + fmt(d);
        el.classList.add("late");
      }
    });
  }
  tick();
  setInterval(tick, 15000);

  // On a phone, long lists start folded: a site list per province and the
  // detention and person tables are one tap away instead of metres of
  // scrolling; wider screens show them open. The user's own taps win
  // until the width class changes.
  var narrow = window.matchMedia("(max-width: 700px)");
  function fold(root) {
    (root || document).querySelectorAll("details.fold").forEach(function (d) { d.open = !narrow.matches; });
  }
  fold();
  if (narrow.addEventListener) { narrow.addEventListener("change", function () { fold(); }); }

  // Live boards: on each "board" event, fetch the re-rendered board.
  document.querySelectorAll("[data-stream]").forEach(function (board) {
    var live = document.getElementById(board.getAttribute("data-live"));
    var pending = false;
    function refresh() {
      if (pending) return;
      pending = true;
      fetch(board.getAttribute("data-src"), { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var shut = {};
          board.querySelectorAll("details.fold[data-fold]").forEach(function (d) { shut[d.getAttribute("data-fold")] = !d.open; });
          board.innerHTML = html;
          board.querySelectorAll("details.fold[data-fold]").forEach(function (d) { if (d.getAttribute("data-fold") in shut) { d.open = !shut[d.getAttribute("data-fold")]; } });
          tick();
          board.setAttribute("data-updated", String(Date.now()));
        })
        .catch(function () {})
        .then(function () { pending = false; });
    }
    var es = new EventSource(board.getAttribute("data-stream"));
    es.addEventListener("open", function () {
      if (live) { live.textContent = live.getAttribute("data-t-live"); live.classList.remove("off"); }
      board.setAttribute("data-connected", "1");
    });
    es.addEventListener("error", function () {
      if (live) { live.textContent = live.getAttribute("data-t-offline"); live.classList.add("off"); }
    });
    es.addEventListener("board", refresh);
  });

  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
})();
