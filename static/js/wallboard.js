// Refresh the wallboard from /api/v1/live/ every few seconds, without a reload.
(function () {
  var board = document.getElementById("wallboard");
  if (!board) return;
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    seconds = Math.round(seconds);
    if (seconds >= 3600) return Math.floor(seconds / 3600) + " h " + String(Math.floor(seconds % 3600 / 60)).padStart(2, "0") + " m";
    return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }
  function percent(value) { return value === null ? "–" : value.toFixed(1) + " %"; }
  function colour(tile, good) {
    if (!tile || good === null) return;
    tile.classList.toggle("status-green", good);
    tile.classList.toggle("status-red", !good);
  }
  function render(data) {
    document.getElementById("as-of").textContent = new Date(data.as_of).toLocaleTimeString();
    var today = data.today;
    board.querySelector('[data-live="offered"]').textContent = today.offered;
    board.querySelector('[data-live="answered"]').textContent = today.answered;
    board.querySelector('[data-live="abandoned"]').textContent = today.abandoned;
    board.querySelector('[data-live="service_level"]').textContent = percent(today.service_level);
    board.querySelector('[data-live="asa"]').textContent = duration(today.asa);
    var sl = parseFloat(board.dataset.slTarget), asa = parseFloat(board.dataset.asaTarget);
    if (!isNaN(sl) && today.service_level !== null) colour(board.querySelector('[data-target-of="service_level"]'), today.service_level >= sl);
    if (!isNaN(asa) && today.asa !== null) colour(board.querySelector('[data-target-of="asa"]'), today.asa <= asa);
    var team = document.getElementById("team-today");
    if (team && data.team_today) {
      team.querySelector('[data-team="answered"]').textContent = data.team_today.answered;
      team.querySelector('[data-team="handled"]').textContent = data.team_today.handled;
      team.querySelector('[data-team="asa"]').textContent = duration(data.team_today.asa);
      team.querySelector('[data-team="aht"]').textContent = duration(data.team_today.aht);
    }
    data.queues.forEach(function (queue) {
      var row = board.querySelector('tr[data-queue="' + CSS.escape(queue.queue) + '"]');
      if (!row) return;
      row.querySelector('[data-field="waiting"]').textContent = queue.waiting;
      row.querySelector('[data-field="longest"]').textContent = duration(queue.longest_wait_seconds);
    });
    var stale = document.getElementById("stale");
    stale.hidden = !data.stale_contacts;
    stale.querySelector('[data-live="stale"]').textContent = data.stale_contacts;
    var agents = document.getElementById("agents");
    agents.replaceChildren();
    Object.keys(data.agents).forEach(function (state) {
      var members = data.agents[state];
      if (!members.length) return;
      var column = document.createElement("div");
      column.className = "state-column state-" + state;
      var heading = document.createElement("h3");
      heading.textContent = state.replace(/_/g, "") + " ";
      heading.textContent = heading.textContent.charAt(0).toUpperCase() + heading.textContent.slice(1);
      var count = document.createElement("span");
      count.textContent = members.length;
      heading.appendChild(count);
      var list = document.createElement("ul");
      members.forEach(function (member) {
        var item = document.createElement("li");
        item.textContent = member.name + " ";
        var time = document.createElement("span");
        time.className = "muted";
        time.textContent = duration(member.seconds_in_state);
        item.appendChild(time);
        list.appendChild(item);
      });
      column.appendChild(heading);
      column.appendChild(list);
      agents.appendChild(column);
    });
  }
  function poll() {
    fetch(board.dataset.liveUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(render)
      .catch(function () {})
      .finally(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 3000);
})();
