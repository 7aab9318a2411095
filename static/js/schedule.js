// The week grid: add and edit shifts in a dialog without leaving the page. Without
// JavaScript every link and form still works as a plain page.
(function () {
  function open(dialog) { if (dialog && !dialog.open) dialog.showModal(); }
  function wireClose(root) {
    root.querySelectorAll("[data-close]").forEach(function (button) {
      button.addEventListener("click", function () { button.closest("dialog").close(); });
    });
  }
  var newDialog = document.getElementById("new-dialog");
  var editDialog = document.getElementById("edit-dialog");

  document.querySelectorAll(".add-shift").forEach(function (button) {
    button.addEventListener("click", function () {
      var form = newDialog.querySelector("form");
      form.querySelector("[name=agent]").value = button.dataset.agent;
      form.querySelector("[name=day]").value = button.dataset.day;
      var start = form.querySelector("[name=start]");
      if (!start.value) { start.value = "08:00"; form.querySelector("[name=end]").value = "16:30"; }
      open(newDialog);
      start.focus();
    });
  });

  document.querySelectorAll("a.shift").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (!editDialog) return;
      event.preventDefault();
      fetch(link.href + "?partial=1", {credentials: "same-origin"})
        .then(function (response) { return response.text(); })
        .then(function (html) {
          var body = editDialog.querySelector(".dialog-body");
          body.innerHTML = html;
          wireClose(body);
          open(editDialog);
        });
    });
  });

  document.querySelectorAll("[data-open]").forEach(function (button) {
    button.addEventListener("click", function () { open(document.getElementById(button.dataset.open)); });
  });
  document.querySelectorAll("dialog[data-open-on-load]").forEach(open);
  wireClose(document);
})();
