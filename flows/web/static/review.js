// osintdesk review desk: keyboard shortcuts, bulk selection, help overlay.
// No inline script anywhere: loaded from /static.
(function () {
  "use strict";
  var page = document.body.getAttribute("data-page");
  var index = -1;
  var anchor = -1; // the last checkbox clicked, for shift-click ranges

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#queue tr.row")); }
  function picks() { return Array.prototype.slice.call(document.querySelectorAll("#queue input.pick")); }

  function select(i) {
    var all = rows();
    if (!all.length) { return; }
    index = Math.max(0, Math.min(i, all.length - 1));
    all.forEach(function (row, n) { row.classList.toggle("selected", n === index); });
    all[index].scrollIntoView({ block: "nearest" });
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

  function firstEditable() {
    return document.querySelector("#edit input:not([type=hidden]), #edit select");
  }

  // -- help overlay -------------------------------------------------------------------
  var help = document.getElementById("help");
  function toggleHelp(show) {
    if (!help) { return; }
    help.hidden = !show;
    if (show) { document.getElementById("help-close").focus(); }
  }
  var closeButton = document.getElementById("help-close");
  if (closeButton) { closeButton.addEventListener("click", function () { toggleHelp(false); }); }

  // -- bulk selection -------------------------------------------------------------------
  function updateBulk() {
    var boxes = picks();
    var chosen = boxes.filter(function (b) { return b.checked; });
    var count = document.getElementById("picked-count");
    if (count) { count.textContent = String(chosen.length); }
    var all = document.getElementById("pick-all");
    if (all) { all.checked = boxes.length > 0 && chosen.length === boxes.length; }
    // after the bulk decision, highlight the first undecided row below the selection
    var focus = document.getElementById("bulk-focus");
    if (focus) {
      var list = rows();
      var last = -1;
      boxes.forEach(function (b, n) { if (b.checked) { last = n; } });
      var target = "";
      for (var n = last + 1; n < list.length; n++) {
        if (!boxes[n].checked && /status-(pending|changed)/.test(list[n].className)) {
          target = list[n].getAttribute("data-id");
          break;
        }
      }
      focus.value = target;
    }
  }

  function pickRange(from, to, checked) {
    var boxes = picks();
    var lo = Math.min(from, to), hi = Math.max(from, to);
    for (var n = lo; n <= hi; n++) { boxes[n].checked = checked; }
  }

  picks().forEach(function (box, n) {
    box.addEventListener("click", function (event) {
      if (event.shiftKey && anchor >= 0) { pickRange(anchor, n, box.checked); }
      anchor = n;
      updateBulk();
    });
  });
  var pickAll = document.getElementById("pick-all");
  if (pickAll) {
    pickAll.addEventListener("change", function () {
      picks().forEach(function (b) { b.checked = pickAll.checked; });
      updateBulk();
    });
  }

  // -- keys -------------------------------------------------------------------------------
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var key = event.key;
    if (help && !help.hidden) {
      if (key === "Escape" || key === "?") { toggleHelp(false); event.preventDefault(); }
      return;
    }
    if (typing(event.target)) { return; }
    if (key === "?") { toggleHelp(true); event.preventDefault(); return; }
    if (page === "queue") {
      if (key === "j") { select(index + 1); }
      else if (key === "k") { select(index - 1); }
      else if (key === "a" && current()) { submit(current().querySelector("form.accept")); }
      else if (key === "r" && current()) { submit(current().querySelector("form.reject")); }
      else if (key === "x" && current() && current().querySelector("input.pick")) {
        var box = current().querySelector("input.pick");
        box.checked = !box.checked;
        anchor = index;
        updateBulk();
      } else if (key === "/") { document.getElementById("q").focus(); }
      else if ((key === "e" || key === "Enter") && current()) {
        window.location.assign(current().getAttribute("data-href") + (key === "e" ? "#edit" : ""));
      } else { return; }
      event.preventDefault();
    } else if (page === "record") {
      if (key === "a") { submit(document.getElementById("accept-form")); }
      else if (key === "r") { submit(document.getElementById("reject-form")); }
      else if (key === "e") {
        var field = firstEditable();
        if (field) { field.focus(); }
      } else { return; }
      event.preventDefault();
    }
  });

  if (page === "queue") {
    // after a decision the page comes back with ?focus=<the next undecided record>
    var wanted = new URLSearchParams(window.location.search).get("focus");
    if (wanted) {
      var at = rows().findIndex(function (row) { return row.getAttribute("data-id") === wanted; });
      select(at >= 0 ? at : 0);
    }
    updateBulk();
  }
  // link fields: search people or systems in any script, pick one, its id is appended
  Array.prototype.slice.call(document.querySelectorAll("input.suggest")).forEach(function (box) {
    var list = document.getElementById(box.getAttribute("list"));
    var target = document.getElementById(box.getAttribute("data-target"));
    var type = box.getAttribute("data-type");
    var timer = null;
    box.addEventListener("input", function () {
      var value = box.value.trim();
      if (value.indexOf(type + ":") === 0) {  // picked from the list: add it
        var ids = target.value.split(";").map(function (x) { return x.trim(); }).filter(Boolean);
        if (ids.indexOf(value) < 0) { ids.push(value); }
        target.value = ids.join("; ");
        box.value = "";
        return;
      }
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (!value) { return; }
        fetch("/suggest?type=" + encodeURIComponent(type) + "&q=" + encodeURIComponent(value))
          .then(function (r) { return r.json(); })
          .then(function (found) {
            list.textContent = "";
            found.forEach(function (item) {
              var option = document.createElement("option");
              option.value = item.id;
              option.textContent = item.name;  // text, never markup
              list.appendChild(option);
            });
          });
      }, 150);
    });
  });

  if (page === "record" && window.location.hash === "#edit") {
    var first = firstEditable();
    if (first) {
      first.focus();
      // the fragment scroll can run after this script; focus once more when it has
      window.addEventListener("load", function () { first.focus(); });
    }
  }
})();
