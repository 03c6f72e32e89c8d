/* grc report pages: sort a table by a column (a button in each header cell, keyboard included),
   filter long tables, download a table as CSV (built in the page: offline, no request); close
   the navigation menus with Escape. */
(function () {
  "use strict";
  var FILTER_MIN_ROWS = 12;

  function cellText(cell) {
    return (cell.textContent || "").replace(/\s+/g, " ").trim();
  }

  function sortKey(cell) {
    var raw = cell.getAttribute("data-sort");
    return raw !== null ? raw : cellText(cell);
  }

  function asNumber(text) {
    var t = text.replace(/[\s\u00a0\u202f]/g, "").replace("\u2212", "-")
      .replace(/(%|k?€|pts?|points?|ans?)$/, "").replace(",", ".");
    return /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t) ? parseFloat(t) : NaN;
  }

  function headerRow(table) {
    if (!table.tHead || !table.tBodies.length || table.querySelector("[rowspan], [colspan]")) {
      return null;
    }
    var row = table.tHead.rows[0];
    var first = table.tBodies[0].rows[0];
    return row && first && row.cells.length === first.cells.length ? row : null;
  }

  function sortBy(table, th, index) {
    var asc = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(th.parentNode.cells, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var keys = rows.map(function (row, i) {
      var text = row.cells[index] ? sortKey(row.cells[index]) : "";
      return { row: row, text: text, num: asNumber(text), i: i };
    });
    var numeric = keys.every(function (k) { return !isNaN(k.num) || k.text === "" || k.text === "\u2013"; });
    keys.sort(function (a, b) {
      var r;
      if (numeric) {
        var x = isNaN(a.num) ? -Infinity : a.num, y = isNaN(b.num) ? -Infinity : b.num;
        r = x === y ? 0 : (x < y ? -1 : 1);
      } else {
        r = a.text.localeCompare(b.text, "fr", { numeric: true, sensitivity: "base" });
      }
      return (asc ? r : -r) || a.i - b.i;
    });
    keys.forEach(function (k) { body.appendChild(k.row); });
  }

  function addSorting(table) {
    var row = headerRow(table);
    if (!row) { return; }
    Array.prototype.forEach.call(row.cells, function (th, index) {
      var label = cellText(th);
      if (!label || th.classList.contains("nosort")) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "grc-sort";
      button.title = "Trier selon « " + label + " »";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, th, index); });
    });
  }

  function csvField(text) {
    if (!isNaN(asNumber(text))) {  // "1 234,5" → "1234,5": a number for a French spreadsheet
      text = text.replace(/(\d)[\s\u00a0\u202f]+(?=\d)/g, "$1");
    } else if (/^[=+\-@\t\r]/.test(text)) {
      text = "'" + text;  // spreadsheet-safe: never read as a formula
    }
    return /[";\n\r]/.test(text) ? "\"" + text.replace(/"/g, "\"\"") + "\"" : text;
  }

  function tableCsv(table) {
    var lines = [];
    Array.prototype.forEach.call(table.rows, function (row) {
      if (row.classList.contains("grc-rows-hidden")) { return; }
      var fields = [];
      Array.prototype.forEach.call(row.cells, function (cell) {
        fields.push(csvField(cellText(cell)));
        for (var k = 1; k < (cell.colSpan || 1); k++) { fields.push(""); }
      });
      lines.push(fields.join(";"));
    });
    return "\ufeff" + lines.join("\r\n") + "\r\n";
  }

  function fileName(label) {
    var base = label.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60);
    return (base || "tableau") + ".csv";
  }

  function download(table, label) {
    var blob = new Blob([tableCsv(table)], { type: "text/csv;charset=utf-8" });
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = fileName(label);
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 0);
  }

  function addFilter(tools, table, label) {
    var body = table.tBodies[0];
    if (!body || body.rows.length < FILTER_MIN_ROWS || table.querySelector("tbody [rowspan]")) { return; }
    var field = document.createElement("label");
    var input = document.createElement("input");
    input.type = "search";
    input.setAttribute("aria-label", "Filtrer les lignes du tableau « " + label + " »");
    field.appendChild(document.createTextNode("Filtrer les lignes"));
    field.appendChild(input);
    tools.appendChild(field);
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      Array.prototype.forEach.call(body.rows, function (row) {
        var text = cellText(row).toLowerCase();
        var keep = words.every(function (w) { return text.indexOf(w) >= 0; });
        row.classList.toggle("grc-rows-hidden", !keep);
      });
    });
  }

  function setUp(box) {
    var table = box.querySelector("table");
    if (!table || !table.tBodies.length) { return; }
    var label = box.getAttribute("aria-label") || "tableau";
    addSorting(table);
    var tools = document.createElement("div");
    tools.className = "grc-table-tools";
    addFilter(tools, table, label);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "grc-btn";
    button.textContent = "Télécharger le tableau (CSV)";
    button.setAttribute("aria-label", "Télécharger le tableau « " + label + " » (CSV)");
    button.addEventListener("click", function () { download(table, label); });
    tools.appendChild(button);
    var hint = document.createElement("span");
    hint.className = "grc-scroll-hint";
    hint.textContent = "Tableau plus large que l'écran : faites-le défiler horizontalement.";
    tools.appendChild(hint);
    box.parentNode.insertBefore(tools, box.nextSibling);
    hints.push([box, hint]);
  }

  var hints = [];
  function showHints() {
    hints.forEach(function (h) { h[1].hidden = h[0].scrollWidth <= h[0].clientWidth + 1; });
  }
  Array.prototype.forEach.call(document.querySelectorAll(".grc-table-box"), setUp);
  showHints();
  window.addEventListener("resize", function () { window.requestAnimationFrame(showHints); });

  /* navigation menus (<details>, usable without this script): a click (or Enter) elsewhere
     closes the open one, and so does Escape */
  var menus = Array.prototype.slice.call(document.querySelectorAll("details.grc-menu"));
  document.addEventListener("click", function (e) {
    menus.forEach(function (m) { if (m.open && !m.contains(e.target)) { m.open = false; } });
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") { return; }
    menus.forEach(function (m) {
      if (!m.open) { return; }
      m.open = false;
      if (m.contains(document.activeElement)) { m.querySelector("summary").focus(); }
    });
  });
})();
