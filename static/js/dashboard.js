// Draw every chart whose figure the page carries, and make data tables sortable.
(function () {
  var config = {displayModeBar: false, responsive: true};
  function draw(elementId, figureId) {
    var element = document.getElementById(elementId);
    var source = document.getElementById(figureId);
    if (!element || !source || !window.Plotly) return;
    var figure = JSON.parse(source.textContent);
    Plotly.newPlot(element, figure.data, figure.layout, config).then(function () {
      // A point leads to the contacts behind it: the same filters, that day.
      var drill = element.closest("[data-drill]");
      if (!drill) return;
      element.on("plotly_click", function (event) {
        var day = String(event.points[0].x).slice(0, 10);
        window.location = drill.dataset.drill + "&start=" + day + "&end=" + day;
      });
    });
  }
  document.querySelectorAll("[id^=trend-]").forEach(function (element) {
    draw(element.id, element.id.replace("trend-", ""));
  });
  draw("heatmap", "heatmap-figure");
  draw("intraday", "intraday-figure");

  // A cell's sort key: its data-value when it carries one, else its text read as a number
  // (1,234 · 95.0 % · 4:05 · 1:02:03 · "4 h 53 m") or, failing that, as a name.
  // Null for an empty cell ("", "–", "—"), which sorts last in either direction.
  function sortKey(cell) {
    var raw = cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent;
    var text = raw.trim();
    if (text === "" || text === "–" || text === "—") return null;
    var plain = text.replace(/,/g, "");
    if (/^-?\d+(\.\d+)?(e-?\d+)?\s*%?$/i.test(plain)) return parseFloat(plain);
    if (/^\d+(:\d{1,2}){1,2}$/.test(plain)) {
      return plain.split(":").reduce(function (total, part) { return total * 60 + Number(part); }, 0);
    }
    var units = {d: 86400, h: 3600, m: 60, s: 1};
    var parts = plain.match(/^(\d+(\.\d+)?\s*[dhms]\s*)+$/) && plain.match(/\d+(\.\d+)?\s*[dhms]/g);
    if (parts) {
      return parts.reduce(function (total, part) {
        return total + parseFloat(part) * units[part.trim().slice(-1)];
      }, 0);
    }
    return text.toLowerCase();
  }

  // Each table sorts on its own: a header sorts by its own column (its cellIndex), so the
  // second and third tables of a page sort as the first does.
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (header) {
      header.addEventListener("click", function () {
        var column = header.cellIndex;
        var body = table.tBodies[0];
        var ascending = header.dataset.sorted !== "asc";
        Array.prototype.forEach.call(headers, function (th) { delete th.dataset.sorted; });
        header.dataset.sorted = ascending ? "asc" : "desc";
        var rows = Array.prototype.slice.call(body.rows).filter(function (row) {
          return row.cells[column] !== undefined;
        });
        rows.sort(function (a, b) {
          var x = sortKey(a.cells[column]), y = sortKey(b.cells[column]);
          if (x === null || y === null) return (x === null) - (y === null);
          var result;
          if (typeof x === "number" && typeof y === "number") result = x - y;
          else result = String(x).localeCompare(String(y), undefined, {numeric: true});
          return ascending ? result : -result;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
})();
