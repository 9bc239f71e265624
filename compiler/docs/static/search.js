// Search over the index strata built at generate time (window.STRATA_SEARCH, from search/index-*.js).
// Every word of the query must match somewhere; a match in the name counts most, then images and
// models, then field paths, then the description.
(function () {
  "use strict";
  var entries = window.STRATA_SEARCH || [];
  var input = document.getElementById("query");
  var list = document.getElementById("results");
  var count = document.getElementById("result-count");
  var LIMIT = 200;
  var timer = null;

  entries.forEach(function (e) {
    e._name = (e.n + " " + e.k + " " + e.p).toLowerCase();
    e._images = e.i.join(" ").toLowerCase();
    e._models = e.m.join(" ").toLowerCase();
    e._fields = e.f.join(" ").toLowerCase();
    e._text = e.d.toLowerCase();
  });

  function escape(text) {
    return String(text).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; });
  }

  function highlight(text, words) {
    var html = escape(text);
    words.forEach(function (w) {
      var at = html.toLowerCase().indexOf(escape(w));
      if (at >= 0) html = html.slice(0, at) + "<mark>" + html.slice(at, at + escape(w).length) + "</mark>" + html.slice(at + escape(w).length);
    });
    return html;
  }

  function score(e, words) {
    var total = 0;
    for (var i = 0; i < words.length; i++) {
      var w = words[i], best = 0;
      if (e.n.toLowerCase() === w) best = 100;
      else if (e.n.toLowerCase().indexOf(w) === 0) best = 60;
      else if (e._name.indexOf(w) >= 0) best = 40;
      else if (e._images.indexOf(w) >= 0 || e._models.indexOf(w) >= 0) best = 25;
      else if (e._fields.indexOf(w) >= 0) best = 12;
      else if (e._text.indexOf(w) >= 0) best = 6;
      if (!best) return 0;
      total += best;
    }
    return total;
  }

  function matches(e, words) {
    var found = [];
    function add(label, values) {
      values.forEach(function (v) {
        if (found.length < 4 && words.some(function (w) { return v.toLowerCase().indexOf(w) >= 0; })) {
          found.push(label + " " + highlight(v, words));
        }
      });
    }
    add("image", e.i);
    add("model", e.m);
    add("field", e.f);
    if (found.length < 4 && words.some(function (w) { return e._text.indexOf(w) >= 0; })) {
      found.push(highlight(e.d.length > 180 ? e.d.slice(0, 180) + "…" : e.d, words));
    }
    return found;
  }

  function run() {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var params = new URLSearchParams(location.search);
    if (params.get("q") !== input.value) {
      history.replaceState(null, "", input.value ? "?q=" + encodeURIComponent(input.value) : location.pathname);
    }
    if (!words.length) { list.innerHTML = ""; count.textContent = entries.length + " resources indexed"; return; }
    var scored = [];
    entries.forEach(function (e) { var s = score(e, words); if (s) scored.push([s, e]); });
    scored.sort(function (a, b) { return b[0] - a[0] || (a[1].p + a[1].n < b[1].p + b[1].n ? -1 : 1); });
    count.textContent = scored.length + (scored.length === 1 ? " result" : " results") +
      (scored.length > LIMIT ? ", the first " + LIMIT + " shown" : "");
    list.innerHTML = scored.slice(0, LIMIT).map(function (pair) {
      var e = pair[1];
      var envs = e.e.map(function (env) { return '<a href="' + escape(env[1]) + '">' + escape(env[0]) + "</a>"; }).join("");
      var first = e.e.length ? e.e[0][1] : "#";
      return '<li data-kind="' + escape(e.k) + '" data-name="' + escape(e.n) + '"><span class="badge kind-' + escape(e.s) + '">' +
        escape(e.k) + '</span> <a class="title" href="' + escape(first) + '">' + highlight(e.n, words) + "</a>" +
        '<span class="project">' + escape(e.p) + "</span>" +
        matches(e, words).map(function (m) { return '<div class="match">' + m + "</div>"; }).join("") +
        '<div class="envs">' + envs + "</div></li>";
    }).join("");
  }

  input.value = new URLSearchParams(location.search).get("q") || "";
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 90); });
  run();
  document.body.setAttribute("data-search-ready", String(Math.round(performance.now())));
})();
