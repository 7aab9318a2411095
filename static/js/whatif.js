// The what-if: as the inputs change (debounced), ask the staffing API for both models and
// the page's curve endpoint for the service level by agents; show the answers, or the
// API's message beside the field it names. Nothing reloads the page.
(function () {
  var form = document.getElementById("whatif-form");
  if (!form) return;
  var MODELS = ["erlang_c", "erlang_a"];
  var COLOURS = {erlang_c: "#0072B2", erlang_a: "#E69F00"};
  var LABELS = {erlang_c: "Erlang C", erlang_a: "Erlang A"};
  var token = form.querySelector("[name=csrfmiddlewaretoken]").value;
  var state = document.getElementById("whatif-state");
  var timer = null;
  var asked = 0;

  // The request's body from the form: percentages become fractions (data-scale), an empty
  // optional field is left out, anything else is sent as typed so the API names it.
  function payload(model) {
    var body = {model: model};
    form.querySelectorAll("input[type=number]").forEach(function (input) {
      var raw = input.value.trim();
      if (raw === "") {
        if (input.dataset.optional) return;
        if (input.validity && input.validity.badInput) raw = "not a number";
      }
      var value = raw === "" ? null : Number(raw);
      if (raw !== "" && isNaN(value)) value = raw;
      if (typeof value === "number" && input.dataset.scale) value = value / Number(input.dataset.scale);
      body[input.name] = value;
    });
    if (model === "erlang_c") delete body.patience_seconds;
    return body;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token},
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return {ok: response.ok, status: response.status, data: data};
      });
    });
  }

  function clearErrors() {
    form.querySelectorAll("[data-error-for]").forEach(function (slot) { slot.textContent = ""; });
    form.querySelectorAll(".form-row.invalid").forEach(function (row) { row.classList.remove("invalid"); });
  }

  // A 400 names its fields ({"field": ["message"]} or {"field": "message"}): each message
  // goes beside its input; one about no input of the form goes under the form.
  function showErrors(data) {
    Object.keys(data).forEach(function (field) {
      var message = [].concat(data[field]).join(" ");
      var slot = form.querySelector('[data-error-for="' + field + '"]') ||
                 form.querySelector('[data-error-for="form"]');
      if (slot.textContent.indexOf(message) === -1) slot.textContent = (slot.textContent + " " + message).trim();
      var row = form.querySelector('[data-row="' + field + '"]');
      if (row) row.classList.add("invalid");
    });
  }

  var FORMAT = {
    agents: function (v) { return String(v); },
    scheduled: function (v) { return String(v); },
    service_level: percent,
    probability_of_waiting: percent,
    occupancy: percent,
    abandon_rate: percent,
    asa_seconds: function (v) { return v === null ? "unstable" : v.toFixed(1) + " s"; },
  };
  function percent(v) { return (100 * v).toFixed(1) + " %"; }

  function showResult(model, data) {
    document.querySelectorAll('#whatif-results td[data-model="' + model + '"]').forEach(function (cell) {
      var key = cell.parentElement.dataset.result;
      var value = data ? data[key] : undefined;
      cell.textContent = value === undefined ? "—" : FORMAT[key](value);
    });
  }

  function drawCurve(curve, answers) {
    var element = document.getElementById("whatif-curve");
    if (!window.Plotly || !element) return;
    var data = MODELS.map(function (model) {
      return {type: "scatter", mode: "lines+markers", name: LABELS[model], x: curve.agents,
              y: curve[model].map(function (v) { return 100 * v; }),
              line: {color: COLOURS[model], width: 2}, marker: {size: 4},
              hovertemplate: "%{x} agents: %{y:.1f} %<extra>" + LABELS[model] + "</extra>"};
    });
    data.push({type: "scatter", mode: "lines", name: "Target", x: [curve.agents[0], curve.agents[curve.agents.length - 1]],
               y: [100 * curve.target, 100 * curve.target], line: {color: "#D55E00", dash: "dash", width: 1.5},
               hoverinfo: "skip"});
    MODELS.forEach(function (model) {
      if (!answers[model]) return;
      data.push({type: "scatter", mode: "markers", name: LABELS[model] + ": agents needed", showlegend: false,
                 x: [answers[model].agents], y: [100 * answers[model].service_level],
                 marker: {color: COLOURS[model], size: 12, symbol: "diamond", line: {color: "#fff", width: 1}},
                 hovertemplate: "needed: %{x} agents, %{y:.1f} %<extra>" + LABELS[model] + "</extra>"});
    });
    var layout = {
      title: {text: "Service level by number of agents", font: {size: 15}, x: 0, xanchor: "left"},
      font: {family: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size: 12, color: "#1f2933"},
      margin: {l: 52, r: 16, t: 40, b: 44}, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      xaxis: {title: "agents", gridcolor: "#e4e9f0", zeroline: false, dtick: curve.agents.length > 40 ? null : 1},
      yaxis: {title: "service level (%)", gridcolor: "#e4e9f0", zeroline: false, range: [0, 101]},
      legend: {orientation: "h", y: -0.2}, hovermode: "closest",
    };
    Plotly.react(element, data, layout, {displayModeBar: false, responsive: true});
  }

  function update() {
    var mine = ++asked;
    state.textContent = "calculating…";
    var requests = MODELS.map(function (model) { return post(form.dataset.api, payload(model)); });
    requests.push(post(form.dataset.curve, payload("erlang_a")));
    Promise.all(requests).then(function (answers) {
      if (mine !== asked) return; // a newer keystroke's answers are on their way
      clearErrors();
      var results = {};
      var failed = false;
      answers.forEach(function (answer) {
        if (!answer.ok) {
          failed = true;
          if (answer.status === 400) showErrors(answer.data);
          else showErrors({form: "The calculation failed (" + answer.status + "): try again."});
        }
      });
      MODELS.forEach(function (model, n) {
        results[model] = answers[n].ok ? answers[n].data : null;
        showResult(model, results[model]);
      });
      if (answers[2].ok) drawCurve(answers[2].data, results);
      state.textContent = failed ? "check the inputs" : "";
      form.dataset.answered = String(mine);
    }).catch(function () {
      if (mine !== asked) return;
      state.textContent = "no answer from the server";
    });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 250);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); update(); });
  update();
})();
