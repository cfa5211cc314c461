// nngrade similarity report: optional conveniences (the page reads the same without them).
// Sort the pair tables, link the two halves of a matching region, open the pair a link names.
(function () {
  "use strict";
  function cellValue(row, index, kind) {
    var cell = row.cells[index];
    var raw = cell.getAttribute("data-v");
    if (kind === "num") { return parseFloat(raw === null ? cell.textContent : raw) || 0; }
    return cell.textContent.trim();
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, index) {
      var kind = th.getAttribute("data-sort");
      if (!kind) { return; }
      th.addEventListener("click", function () {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var descending = !th.classList.contains("sorted-desc");
        Array.prototype.forEach.call(heads, function (h) { h.classList.remove("sorted-asc", "sorted-desc"); });
        th.classList.add(descending ? "sorted-desc" : "sorted-asc");
        rows.sort(function (x, y) {
          var a = cellValue(x, index, kind), b = cellValue(y, index, kind);
          var order = a < b ? -1 : a > b ? 1 : 0;
          return descending ? -order : order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
  function marks(pair, region) {
    return pair.querySelectorAll('mark.m[data-r="' + region + '"]');
  }
  function activate(pair, region, on) {
    marks(pair, region).forEach(function (m) { m.classList.toggle("active", on); });
  }
  function reveal(pair, region, side) {
    var target = pair.querySelector(".side-" + side + ' mark.m[data-r="' + region + '"]');
    if (target) { target.scrollIntoView({block: "center", behavior: "smooth"}); }
  }
  document.querySelectorAll("details.pair").forEach(function (pair) {
    pair.addEventListener("mouseover", function (e) {
      var m = e.target.closest("mark.m"); if (m) { activate(pair, m.getAttribute("data-r"), true); }
    });
    pair.addEventListener("mouseout", function (e) {
      var m = e.target.closest("mark.m"); if (m) { activate(pair, m.getAttribute("data-r"), false); }
    });
    pair.addEventListener("click", function (e) {
      var link = e.target.closest("a.region-link");
      if (link) {
        e.preventDefault();
        reveal(pair, link.getAttribute("data-r"), "a");
        reveal(pair, link.getAttribute("data-r"), "b");
        return;
      }
      var m = e.target.closest("mark.m");
      if (m) {
        var other = m.closest(".side-a") ? "b" : "a";
        reveal(pair, m.getAttribute("data-r"), other);
      }
    });
  });
  function openFromHash() {
    if (!location.hash) { return; }
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target && target.tagName === "DETAILS") { target.open = true; target.scrollIntoView(); }
  }
  window.addEventListener("hashchange", openFromHash);
  openFromHash();
}());
