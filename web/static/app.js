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

  document.querySelectorAll("form[data-enhance]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      clearErrors(form);
      if (!form.checkValidity()) { form.reportValidity(); return; }
      var data = new FormData(form);
      var multipart = form.enctype === "multipart/form-data";
      var btn = form.querySelector("button[type=submit]");
      if (btn) btn.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: multipart ? data : new URLSearchParams(data),
        headers: { "X-Requested-With": "fetch", "X-CSRF-Token": csrfOf(form), "Accept": "application/json" },
        credentials: "same-origin"
      }).then(function (resp) {
        return resp.json().catch(function () { return { error: { message: resp.status + " " + resp.statusText } }; });
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
