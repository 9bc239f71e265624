// The interactive lineage: Cytoscape.js drawing positions computed by strata (the `preset` layout).
// `#node=<kind>.<name>&depth=<n|all>` focuses a node's neighbourhood; no node: the whole project.
// Without JavaScript (or without Cytoscape) the inline SVG of the whole project stays on the page.
(function () {
  "use strict";
  var source = document.getElementById("lineage-data");
  var box = document.getElementById("cy");
  if (!source || !box || typeof cytoscape !== "function") return;
  var data = JSON.parse(source.textContent);
  var svgBox = document.getElementById("lineage-svg");
  var focusSelect = document.getElementById("focus");
  var depthSelect = document.getElementById("depth");
  var panel = document.getElementById("node-panel");
  var count = document.getElementById("graph-count");
  var width = data.size[0], height = data.size[1];

  box.hidden = false;
  svgBox.hidden = true;

  var style = [
    { selector: "node", style: {
      "shape": "round-rectangle", "width": width, "height": height, "label": "data(label)",
      "text-wrap": "wrap", "text-max-width": width - 24, "text-valign": "center", "text-halign": "center",
      "font-size": 12.5, "font-family": "system-ui, -apple-system, Segoe UI, DejaVu Sans, Arial, sans-serif",
      "color": "#1a202c", "border-width": 1.5, "border-color": "data(colour)",
      "background-fill": "linear-gradient", "background-gradient-direction": "to-right",
      "background-gradient-stop-positions": "0 4 4 100",
      "background-gradient-stop-colors": "data(fill)" } },
    { selector: "node.current", style: { "border-width": 3, "underlay-color": "#2b6cb0", "underlay-opacity": 0.14,
      "underlay-padding": 7, "underlay-shape": "round-rectangle" } },
    { selector: "node.plan-change, node.plan-add", style: { "underlay-color": "#f2c200", "underlay-opacity": 0.55,
      "underlay-padding": 5, "underlay-shape": "round-rectangle" } },
    { selector: "node.plan-destroy", style: { "underlay-color": "#e53e3e", "underlay-opacity": 0.4,
      "underlay-padding": 5, "underlay-shape": "round-rectangle" } },
    { selector: "node:selected", style: { "border-width": 3, "border-color": "#1a365d" } },
    { selector: "edge", style: { "curve-style": "taxi", "taxi-direction": "rightward", "taxi-turn": "50%",
      "width": 1.5, "line-color": "#9aa5b4", "target-arrow-color": "#9aa5b4", "target-arrow-shape": "triangle",
      "arrow-scale": 1.1 } }
  ];
  var cy = cytoscape({ container: box, style: style, elements: [], layout: { name: "preset" },
                       minZoom: 0.15, maxZoom: 2.5, boxSelectionEnabled: false });

  function current() {
    var params = new URLSearchParams(location.hash.slice(1));
    var node = params.get("node") || "";
    if (!Object.prototype.hasOwnProperty.call(data.nodes, node)) node = "";
    var depth = params.get("depth") || "1";
    if (depth !== "all" && !(parseInt(depth, 10) >= 1)) depth = "1";
    return { node: node, depth: depth };
  }

  function reachable(start, steps, forward) {
    var seen = {}, frontier = [start];
    seen[start] = true;
    for (var step = 0; step < steps && frontier.length; step++) {
      var next = [];
      data.edges.forEach(function (edge) {
        var from = forward ? edge[0] : edge[1], to = forward ? edge[1] : edge[0];
        if (frontier.indexOf(from) >= 0 && !seen[to]) { seen[to] = true; next.push(to); }
      });
      frontier = next;
    }
    return Object.keys(seen);
  }

  // The layout to draw: {at: id → [x, y], via: "a>b" → points an edge passes through}.
  function chosen(state) {
    if (!state.node) return data.whole;
    var focus = data.focus[state.node];
    var reach = Math.max(1, focus.reach);
    var depth = state.depth === "all" ? reach : Math.min(parseInt(state.depth, 10), reach);
    if (focus.layouts[String(depth)]) return focus.layouts[String(depth)];
    // Beyond the layouts strata computed for this page: the neighbourhood where the whole project has it.
    var at = {};
    reachable(state.node, depth, true).concat(reachable(state.node, depth, false)).forEach(function (id) {
      at[id] = data.whole.at[id];
    });
    return { at: at, via: data.whole.via };
  }

  // An edge crossing columns goes straight through the room the layout kept for it, turning halfway
  // between columns like the `taxi` edges: Cytoscape's `segments`, each corner as a weight along and a
  // distance across the line between the two centres.
  function bend(edge, via) {
    var s = edge.source().position(), t = edge.target().position(), half = width / 2;
    var corners = [], x = s.x + half, y = s.y;
    function turn(toX, toY) {
      if (toY !== y) { corners.push([(x + toX) / 2, y], [(x + toX) / 2, toY]); }
    }
    via.forEach(function (p) {
      turn(p[0] - half, p[1]);
      corners.push([p[0] - half, p[1]], [p[0] + half, p[1]]);
      x = p[0] + half; y = p[1];
    });
    turn(t.x - half, t.y);
    var dx = t.x - s.x, dy = t.y - s.y, length2 = dx * dx + dy * dy, length = Math.sqrt(length2);
    edge.style({ "curve-style": "segments", "edge-distances": "node-position",
                 "segment-weights": corners.map(function (c) { return ((c[0] - s.x) * dx + (c[1] - s.y) * dy) / length2; }),
                 "segment-distances": corners.map(function (c) { return ((c[1] - s.y) * dx - (c[0] - s.x) * dy) / length; }) });
  }

  function elements(state, layout) {
    var found = [], placed = layout.at;
    Object.keys(placed).sort().forEach(function (id) {
      var node = data.nodes[id];
      var classes = [node.change ? "plan-" + node.change : "", id === state.node ? "current" : ""].join(" ").trim();
      found.push({ group: "nodes", classes: classes, position: { x: placed[id][0], y: placed[id][1] },
                   data: { id: id, label: node.kind + "\n" + node.name, colour: node.colour,
                           fill: node.colour + " " + node.colour + " #ffffff #ffffff" } });
    });
    data.edges.forEach(function (edge) {
      if (placed[edge[0]] && placed[edge[1]]) {
        found.push({ group: "edges", data: { id: edge[0] + ">" + edge[1], source: edge[0], target: edge[1] } });
      }
    });
    return found;
  }

  function fit() {
    cy.fit(undefined, 28);
    if (cy.zoom() > 1.15) { cy.zoom(1.15); cy.center(); }
  }

  function link(id) {
    var node = data.nodes[id];
    return '<a href="#node=' + encodeURIComponent(id) + '&depth=1">' + escape(node.kind + " " + node.name) + "</a>";
  }

  function escape(text) {
    return String(text).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; });
  }

  function showPanel(id) {
    if (!id) { panel.hidden = true; return; }
    var node = data.nodes[id];
    var inputs = data.edges.filter(function (e) { return e[1] === id; }).map(function (e) { return link(e[0]); });
    var outputs = data.edges.filter(function (e) { return e[0] === id; }).map(function (e) { return link(e[1]); });
    panel.innerHTML = "<h3>" + escape(node.kind + " " + node.name) + "</h3>" +
      (node.change ? "<p>Changed by the plan (" + escape(node.change) + ")</p>" : "") +
      '<p><a class="button" href="' + escape(node.href) + '">Open its page →</a></p>' +
      "<p><b>Fed by</b><br>" + (inputs.join("<br>") || '<span class="none">nothing</span>') + "</p>" +
      "<p><b>Feeds</b><br>" + (outputs.join("<br>") || '<span class="none">nothing</span>') + "</p>";
    panel.hidden = false;
  }

  function draw() {
    var state = current();
    var layout = chosen(state);
    cy.batch(function () {
      cy.elements().remove();
      cy.add(elements(state, layout));
      cy.edges().forEach(function (edge) {
        var points = layout.via[edge.source().id() + ">" + edge.target().id()];
        if (points) bend(edge, points);
      });
    });
    fit();
    focusSelect.value = state.node;
    depthSelect.value = state.depth === "all" || parseInt(state.depth, 10) > 3 ? "all" : state.depth;
    depthSelect.disabled = !state.node;
    showPanel(state.node);
    var nodes = cy.nodes().length, edges = cy.edges().length;
    count.textContent = nodes + " resources, " + edges + " edges";
    box.setAttribute("data-nodes", nodes);
    box.setAttribute("data-edges", edges);
    box.setAttribute("data-focus", state.node);
    box.setAttribute("data-ready", "1");
    box.setAttribute("data-ready-ms", String(Math.round(performance.now())));
  }

  function go(node, depth) {
    location.hash = node ? "node=" + encodeURIComponent(node) + "&depth=" + depth : "";
  }

  cy.on("tap", "node", function (event) { go(event.target.id(), current().depth); });
  focusSelect.addEventListener("change", function () { go(focusSelect.value, current().depth); });
  depthSelect.addEventListener("change", function () { go(current().node, depthSelect.value); });
  document.getElementById("fit").addEventListener("click", fit);
  document.getElementById("png").addEventListener("click", function () {
    var anchor = document.createElement("a");
    anchor.href = cy.png({ full: true, scale: 2, bg: "#ffffff" });
    anchor.download = (document.title.split(" · ")[0] || "lineage").replace(/[^a-z0-9-]+/gi, "-") + ".png";
    anchor.click();
  });
  window.addEventListener("hashchange", draw);
  window.strataLineage = cy;   // for the console and for tests, as dbt docs exposes `window.graph`
  draw();
})();
