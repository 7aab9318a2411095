// A background job's page (contact or schedule import): polls its status URL until the job
// is finished (done or failed: the server marks a job whose worker stopped failed), then
// reloads once to show the summary or the reason. While it runs it fills the bar, the
// percent, the state, every [data-summary=key] from the summary and every [data-count=key]
// from the status itself. A status URL that keeps failing stops with a message.
(function () {
  var panel = document.getElementById("import-progress");
  if (!panel || panel.dataset.finished === "true") return;
  var failures = 0;
  function number(value) { return (value || 0).toLocaleString("en-US"); }
  function stop(message) {
    var error = document.getElementById("import-error");
    error.textContent = message;
    error.hidden = false;
  }
  function poll() {
    fetch(panel.dataset.statusUrl, {headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        if (data.finished) {
          panel.dataset.finished = "true";
          if (data.error) stop(data.error);
          window.location.reload();
          return;
        }
        panel.querySelector(".progress-bar").style.width = data.percent + "%";
        panel.querySelector(".progress").setAttribute("aria-valuenow", data.percent);
        document.getElementById("import-percent").textContent = data.percent + " %";
        document.getElementById("import-state").textContent = data.status.charAt(0).toUpperCase() + data.status.slice(1);
        panel.querySelectorAll("[data-summary]").forEach(function (element) {
          element.textContent = number((data.summary || {})[element.dataset.summary]);
        });
        panel.querySelectorAll("[data-count]").forEach(function (element) {
          element.textContent = number(data[element.dataset.count]);
        });
        setTimeout(poll, 1000);
      })
      .catch(function () {
        failures += 1;
        if (failures >= 20) { stop("The progress could not be read: reload the page to try again."); return; }
        setTimeout(poll, 3000);
      });
  }
  setTimeout(poll, 500);
})();
