/* The class grid of index.html: sort by a column head, download the grid as CSV.
   Inlined into the page (no network); every number it reads is a cell's data-v. */
(function () {
  "use strict";
  var table = document.getElementById("grid");
  if (!table) { return; }
  var body = table.tBodies[0];
  var heads = table.tHead.querySelectorAll("th[data-col]");

  function value(row, col) { return row.cells[col].getAttribute("data-v"); }

  function sortBy(th) {
    var col = Number(th.getAttribute("data-col"));
    var text = th.getAttribute("data-type") === "text";
    var was = th.getAttribute("aria-sort");
    // numbers: highest first, then lowest; names: A to Z, then Z to A
    var dir = text ? (was === "ascending" ? -1 : 1) : (was === "descending" ? 1 : -1);
    var rows = Array.prototype.slice.call(body.rows);
    var keys = new Map(), names = new Map();  // read each cell once, not once per comparison
    rows.forEach(function (r) { keys.set(r, value(r, col)); names.set(r, value(r, 0)); });
    rows.sort(function (a, b) {
      var x = keys.get(a), y = keys.get(b), d;
      if (text) {
        d = x.localeCompare(y);
      } else if (x === "" || y === "") {  // not graded / not handed in: always last
        d = (x === "") - (y === "");
        return d || names.get(a).localeCompare(names.get(b));
      } else {
        d = Number(x) - Number(y);
      }
      return dir * d || names.get(a).localeCompare(names.get(b));
    });
    var frag = document.createDocumentFragment();
    rows.forEach(function (r) { frag.appendChild(r); });
    body.appendChild(frag);
    Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
  }

  Array.prototype.forEach.call(heads, function (th) {
    th.tabIndex = 0;
    th.addEventListener("click", function () { sortBy(th); });
    th.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); sortBy(th); }
    });
  });

  function csvCell(text) {
    text = String(text);
    if (/^[=+\-@\t\r]/.test(text)) { text = "'" + text; }  // never a spreadsheet formula
    return /[",\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function csv() {
    var lines = [Array.prototype.map.call(heads, function (h) {
      return csvCell(h.getAttribute("data-key"));
    }).join(",")];
    Array.prototype.forEach.call(body.rows, function (row) {
      lines.push(Array.prototype.map.call(heads, function (h) {
        return csvCell(value(row, Number(h.getAttribute("data-col"))));
      }).join(","));
    });
    return lines.join("\n") + "\n";
  }
  window.nngradeGridCsv = csv;  // for tests and for the console

  var button = document.getElementById("grid-csv");
  if (button) {
    button.addEventListener("click", function () {
      var link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([csv()], {type: "text/csv;charset=utf-8"}));
      link.download = "grid.csv";
      document.body.appendChild(link);
      link.click();
      document.body.removeChild(link);
    });
  }
}());
