// The matrix's filters: rows by text, by drift from the promotion source, by the plan's changes.
(function () {
  "use strict";
  var table = document.getElementById("matrix");
  if (!table) return;
  var filter = document.getElementById("filter");
  var onlyDrift = document.getElementById("only-drift");
  var onlyChanged = document.getElementById("only-changed");
  var count = document.getElementById("row-count");
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var timer = null;

  function apply() {
    var words = (filter.value || "").toLowerCase().split(/\s+/).filter(Boolean);
    var drift = onlyDrift && onlyDrift.checked;
    var changed = onlyChanged && onlyChanged.checked;
    var shown = 0, total = 0, group = null, groupShown = false;
    function closeGroup() { if (group) group.hidden = !groupShown; }
    rows.forEach(function (row) {
      if (row.classList.contains("group")) { closeGroup(); group = row; groupShown = false; return; }
      total++;
      var text = row.getAttribute("data-search") || "";
      var visible = words.every(function (w) { return text.indexOf(w) >= 0; }) &&
        (!drift || row.classList.contains("has-drift")) && (!changed || row.classList.contains("has-change"));
      row.hidden = !visible;
      if (visible) { shown++; groupShown = true; }
    });
    closeGroup();
    count.textContent = shown === total ? total + " resources" : shown + " of " + total + " resources";
  }
  function later() { clearTimeout(timer); timer = setTimeout(apply, 80); }
  filter.addEventListener("input", later);
  if (onlyDrift) onlyDrift.addEventListener("change", apply);
  if (onlyChanged) onlyChanged.addEventListener("change", apply);
  apply();
})();
