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

  document.querySelectorAll("table.sortable th").forEach(function (header, column) {
    header.addEventListener("click", function () {
      var table = header.closest("table");
      var body = table.tBodies[0];
      var ascending = header.dataset.sorted !== "asc";
      table.querySelectorAll("th").forEach(function (th) { delete th.dataset.sorted; });
      header.dataset.sorted = ascending ? "asc" : "desc";
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[column].dataset.value, y = b.cells[column].dataset.value;
        if (x === undefined) { x = a.cells[column].textContent; y = b.cells[column].textContent; }
        var nx = parseFloat(x), ny = parseFloat(y);
        var result = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y));
        return ascending ? result : -result;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
})();
