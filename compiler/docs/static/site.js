// strata docs: behaviour every page shares. Pages work without it; this only adds conveniences.
(function () {
  "use strict";
  // The header's search box keeps the query it was opened with.
  var box = document.querySelector("header.top input[name=q]");
  var query = new URLSearchParams(location.search).get("q");
  if (box && query) box.value = query;
  // `/` focuses search, as on most documentation sites.
  document.addEventListener("keydown", function (event) {
    var tag = (event.target && event.target.tagName) || "";
    if (event.key === "/" && tag !== "INPUT" && tag !== "SELECT" && tag !== "TEXTAREA") {
      event.preventDefault();
      var target = document.getElementById("query") || document.getElementById("filter") || box;
      if (target) target.focus();
    }
  });
})();

// Rendered objects: written as YAML when their <details> opens, from the page's JSON (`#objects`).
// The same rules as strata's own YAML writer: block style, a string plain only where YAML 1.1 and
// 1.2 both read it back as that string, else double-quoted; multi-line strings as literal blocks.
var strataYaml = (function () {
  "use strict";
  var PLAIN = /^[A-Za-z0-9_.\/$-][A-Za-z0-9_.\/$@%+=:()^~ -]*$/;
  var NOT_A_STRING = [
    /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/,
    /^[-+]?[0-9][0-9_]*$/,                                      // integers, leading zeros (1.1 octal) too
    /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?$/,     // floats
    /^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$/,
    /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/,        // sexagesimal (1.1)
    /^0[xX][0-9a-fA-F_]+$/, /^0o[0-7_]+$/, /^0b[01_]+$/,
    /^[-+]?\.(?:inf|Inf|INF)$/, /^\.(?:nan|NaN|NAN)$/,
    /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/,                          // timestamps
    /^[=<]$/
  ];

  function plain(text) {
    if (!text || !PLAIN.test(text) || text !== text.trim()) return false;
    if (text.indexOf(": ") >= 0 || text.indexOf(" #") >= 0 || /:$/.test(text) || /^(?:- |\? |: |---)/.test(text) ||
        text === "-") return false;
    return !NOT_A_STRING.some(function (re) { return re.test(text); });
  }

  function scalar(value) {
    if (value === null || value === undefined) return "null";
    if (typeof value === "boolean") return value ? "true" : "false";
    if (typeof value === "number") return String(value);
    var text = String(value);
    return plain(text) ? text : JSON.stringify(text);
  }

  function block(text, indent) {
    if (/^[ \n]/.test(text) || text.indexOf("\r") >= 0 || /\n\n$/.test(text) ||
        text.split("\n").some(function (line) { return line !== line.replace(/[ \t]+$/, ""); }) ||
        /[\x00-\x08\x0b-\x1f]/.test(text)) return null;
    var pad = new Array(indent + 1).join(" ");
    var body = /\n$/.test(text) ? text.slice(0, -1) : text;
    return [/\n$/.test(text) ? "|" : "|-"].concat(body.split("\n").map(function (line) { return line ? pad + line : ""; }));
  }

  function isMap(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }
  function filled(v) { return Array.isArray(v) ? v.length > 0 : isMap(v) && Object.keys(v).length > 0; }

  function lines(value, indent, out) {
    var pad = new Array(indent + 1).join(" ");
    if (isMap(value)) {
      Object.keys(value).forEach(function (key) { entry(pad + scalar(key) + ":", value[key], indent, out); });
    } else {
      value.forEach(function (item) { listItem(item, indent, out); });
    }
  }

  function entry(prefix, child, indent, out) {
    if (isMap(child) && filled(child)) { out.push(prefix); lines(child, indent + 2, out); }
    else if (Array.isArray(child) && filled(child)) { out.push(prefix); lines(child, indent, out); }
    else inline(prefix, child, indent + 2, out);
  }

  function inline(prefix, child, indent, out) {
    if (isMap(child)) { out.push(prefix + " {}"); return; }
    if (Array.isArray(child)) { out.push(prefix + " []"); return; }
    var literal = typeof child === "string" && child.indexOf("\n") >= 0 ? block(child, indent) : null;
    if (literal) { out.push(prefix + " " + literal[0]); out.push.apply(out, literal.slice(1)); }
    else out.push(prefix + " " + scalar(child));
  }

  function listItem(item, indent, out) {
    var pad = new Array(indent + 1).join(" ");
    if (filled(item)) {
      var start = out.length;
      lines(item, indent + 2, out);
      out[start] = pad + "- " + out[start].slice(indent + 2);
    } else inline(pad + "-", item, indent + 2, out);
  }

  return function (value) {
    var out = [];
    if (filled(value)) { lines(value, 0, out); return out.join("\n") + "\n"; }
    inline("", value, 2, out);
    return out[0].replace(/^ +/, "") + "\n" + out.slice(1).join("\n") + (out.length > 1 ? "\n" : "");
  };
})();

(function () {
  "use strict";
  var store = document.getElementById("objects-data");
  if (!store) return;
  var objects = JSON.parse(store.textContent);
  Array.prototype.forEach.call(document.querySelectorAll("details[data-object]"), function (details) {
    details.addEventListener("toggle", function () {
      var pre = details.querySelector("pre");
      if (details.open && !pre.textContent) pre.textContent = strataYaml(objects[Number(details.getAttribute("data-object"))]);
    });
  });
})();
