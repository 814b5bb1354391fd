// The field app's service worker: it keeps the app's own files (the page,
// its script, style and icons) so that the app opens with no network.
// Nothing else goes through it: the team's data lives in IndexedDB, and
// requests to the server (/campo/datos, the API, uploads) go to the
// network as they are, so that with no network they fail and the page
// knows it. VERSION changes with any of the files; a new version replaces
// the old cache once it has everything.
"use strict";
var VERSION = "__VERSION__";
var CACHE = "custodia-campo-" + VERSION;
var FILES = ["/campo/", "/campo/canon.js?v=" + VERSION, "/campo/field.js?v=" + VERSION, "/campo/field.css?v=" + VERSION,
  "/campo/manifest.webmanifest?v=" + VERSION, "/campo/icon.svg?v=" + VERSION, "/campo/icon-192.png?v=" + VERSION, "/campo/icon-512.png?v=" + VERSION];

self.addEventListener("install", function (ev) {
  ev.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(FILES); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (ev) {
  ev.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("custodia-campo-") === 0 && k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (ev) {
  var req = ev.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  var path = url.pathname;
  var own = path === "/campo/" || path === "/campo" || (path.indexOf("/campo/") === 0 && path !== "/campo/datos" && path !== "/campo/sw.js");
  if (!own) return;
  // The page itself: the network first when there is one (a newer app),
  // the kept copy when there is not.
  if (req.mode === "navigate") {
    ev.respondWith(fetch(req).catch(function () { return caches.match("/campo/"); }));
    return;
  }
  ev.respondWith(caches.match(req).then(function (hit) { return hit || fetch(req); }));
});
