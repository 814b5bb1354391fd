// The analysis page's graph: the entities and links the server put in
// #graph's data-graph, drawn with the vendored cytoscape.js. A tap on an
// entity shows its neighbours (the page again, centred on it); a tap on a
// link lists its messages, each with its message page and its evidence
// item's chain-of-custody page. Every one of them is in the page's
// tables too, without this script.
(function () {
  "use strict";
  var box = document.getElementById("graph");
  if (!box || typeof cytoscape !== "function") return;
  var data = JSON.parse(box.getAttribute("data-graph") || "{}");
  var panel = document.getElementById("link-panel");
  var elements = [];
  (data.nodes || []).forEach(function (n) {
    elements.push({ group: "nodes", data: { id: n.id, label: n.label, href: n.href, schema: n.schema,
      center: n.center ? 1 : 0, path: n.path ? 1 : 0, broker: n.broker || 0 } });
  });
  (data.edges || []).forEach(function (e) {
    elements.push({ group: "edges", data: { id: e.id, source: e.source, target: e.target, count: e.count,
      path: e.path ? 1 : 0, title: e.title, links: e.links } });
  });
  var cy = cytoscape({
    container: box,
    elements: elements,
    wheelSensitivity: 0.3,
    minZoom: 0.2,
    maxZoom: 3,
    style: [
      { selector: "node", style: { "label": "data(label)", "font-size": 11, "color": "#111827", "text-valign": "bottom",
        "text-margin-y": 4, "text-wrap": "ellipsis", "text-max-width": 110, "background-color": "#4b5563", "width": 18, "height": 18,
        "text-background-color": "#ffffff", "text-background-opacity": 0.85, "text-background-padding": 1 } },
      { selector: "node[center = 1]", style: { "background-color": "#1d4ed8", "width": 28, "height": 28, "font-weight": "bold" } },
      { selector: "node[broker > 0]", style: { "shape": "diamond", "background-color": "#92400e" } },
      { selector: "node[path = 1]", style: { "border-width": 4, "border-color": "#991b1b" } },
      { selector: "edge", style: { "width": "mapData(count, 1, 50, 1.5, 7)", "line-color": "#9ca3af", "curve-style": "bezier" } },
      { selector: "edge[path = 1]", style: { "line-color": "#991b1b", "width": 5 } },
      { selector: ":selected", style: { "overlay-color": "#1d4ed8", "overlay-opacity": 0.25 } }
    ],
    layout: { name: "concentric", concentric: function (n) { return n.data("center") * 3 + n.data("path") * 2 + 1; },
      levelWidth: function () { return 1; }, minNodeSpacing: 24, animate: false, padding: 16 }
  });
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function show(edge) {
    panel.textContent = "";
    var h = el("h2", box.getAttribute("data-t-links") + " " + edge.data("title"));
    panel.appendChild(h);
    var ul = el("ul", "", "links");
    (edge.data("links") || []).forEach(function (l) {
      var li = el("li");
      li.appendChild(el("span", l.kind + " · " + l.at + " · "));
      var m = el("a", box.getAttribute("data-t-message"), "msg-link");
      m.href = l.message;
      li.appendChild(m);
      li.appendChild(document.createTextNode(" · "));
      var it = el("a", box.getAttribute("data-t-item") + " " + l.item, "item-link");
      it.href = l.item_url;
      li.appendChild(it);
      li.appendChild(el("span", " " + l.where, "meta"));
      ul.appendChild(li);
    });
    panel.appendChild(ul);
    var close = el("button", box.getAttribute("data-t-close"));
    close.type = "button";
    close.addEventListener("click", function () { panel.hidden = true; cy.elements().unselect(); });
    panel.appendChild(close);
    panel.hidden = false;
    panel.setAttribute("data-edge", edge.id());
  }
  cy.on("tap", "edge", function (ev) { show(ev.target); });
  cy.on("tap", "node", function (ev) {
    var href = ev.target.data("href");
    if (href && !ev.target.data("center")) window.location.href = href;
  });
  window.custodiaGraph = cy;
  box.setAttribute("data-ready", "1");
})();
