// Keeps the upload status page current by polling its JSON endpoint until the job finishes.
(function () {
  "use strict";
  var box = document.querySelector(".upload-status");
  if (!box || box.getAttribute("data-finished") === "true" || !window.fetch) { return; }
  var url = box.getAttribute("data-status-url");
  var label = box.querySelector(".upload-status__label");
  var percent = box.querySelector(".upload-status__percent");
  var bar = box.querySelector(".upload-status__bar");
  var delay = 1000;
  var numbers = window.Intl && Intl.NumberFormat ? new Intl.NumberFormat("en-GB") : null;

  function grouped(value) {
    return numbers ? numbers.format(value) : String(value);
  }

  function show(selector, visible) {
    var element = box.querySelector(selector);
    if (element) { element.hidden = !visible; }
  }

  function render(data) {
    label.textContent = data.status_display;
    percent.textContent = data.status === "parsing" ? data.progress + "%" : "";
    bar.value = data.progress;
    bar.hidden = !!data.finished; // a finished upload says what happened, not 0 % or 100 %
    box.className = box.className.replace(/upload-status--\w+/, "upload-status--" + data.status);
    show(".upload-status__queued", data.status === "queued");
    show(".upload-status__done", data.status === "done");
    show(".upload-status__failed", data.status === "failed");
    if (data.status === "done") {
      box.querySelector(".upload-status__count").textContent = grouped(data.snp_count);
      box.querySelector(".upload-status__format").textContent = data.format;
      box.querySelector(".upload-status__build").textContent = data.build || "unknown";
    }
    if (data.status === "failed") {
      box.querySelector(".upload-status__reason").textContent =
        data.reason || "We could not read this file.";
    }
    document.title = data.status_display + " · " + document.title.split(" · ").pop();
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { delay = Math.min(delay * 2, 15000); }
        else {
          render(data);
          if (data.finished) { box.setAttribute("data-finished", "true"); return; }
        }
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 15000);
        window.setTimeout(poll, delay);
      });
  }
  window.setTimeout(poll, delay);
})();
