// osintdesk review desk keyboard shortcuts. No inline script anywhere: loaded from /static.
(function () {
  "use strict";
  var page = document.body.getAttribute("data-page");
  var index = -1;

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#queue tr.row")); }

  function select(i) {
    var all = rows();
    if (!all.length) { return; }
    index = Math.max(0, Math.min(i, all.length - 1));
    all.forEach(function (row, n) { row.classList.toggle("selected", n === index); });
    all[index].scrollIntoView({ block: "nearest" });
    try { sessionStorage.setItem("osintdesk-row", String(index)); } catch (e) { /* storage off */ }
  }

  function submit(form) {
    if (!form) { return; }
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  function current() { return rows()[index]; }

  function typing(target) {
    var tag = (target && target.tagName) || "";
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var key = event.key;
    if (page === "queue") {
      if (key === "j") { select(index + 1); }
      else if (key === "k") { select(index - 1); }
      else if (key === "a" && current()) { submit(current().querySelector("form.accept")); }
      else if (key === "r" && current()) { submit(current().querySelector("form.reject")); }
      else if ((key === "e" || key === "Enter") && current()) {
        window.location.assign(current().getAttribute("data-href") + (key === "e" ? "#edit" : ""));
      } else { return; }
      event.preventDefault();
    } else if (page === "record") {
      if (key === "a") { submit(document.getElementById("accept-form")); }
      else if (key === "r") { submit(document.getElementById("reject-form")); }
      else if (key === "e") {
        var field = document.querySelector("#edit input:not([type=hidden]), #edit select");
        if (field) { field.focus(); }
      } else { return; }
      event.preventDefault();
    }
  });

  if (page === "queue") {
    var saved = -1;
    try { saved = parseInt(sessionStorage.getItem("osintdesk-row") || "-1", 10); } catch (e) { saved = -1; }
    if (saved >= 0) { select(saved); }
  }
  if (page === "record" && window.location.hash === "#edit") {
    var first = document.querySelector("#edit input:not([type=hidden]), #edit select");
    if (first) { first.focus(); }
  }
})();
