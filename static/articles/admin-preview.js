// Markdown preview for article sections in the admin. Renders through the same server-side
// renderer and sanitiser as the site, so what the editor sees is what readers get.
(function () {
  "use strict";

  function previewUrl() {
    var marker = "/articles/article/";
    var path = window.location.pathname;
    var at = path.indexOf(marker);
    return at === -1 ? null : path.slice(0, at + marker.length) + "markdown-preview/";
  }

  function referenceNumbers() {
    var numbers = [];
    document.querySelectorAll('input[name^="references-"][name$="-number"]').forEach(function (input) {
      if (input.value) { numbers.push(input.value); }
    });
    return numbers.join(",");
  }

  function addButton(textarea) {
    if (textarea.dataset.previewReady) { return; }
    textarea.dataset.previewReady = "1";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button markdown-preview-button";
    button.textContent = "Preview Markdown";
    var output = document.createElement("div");
    output.className = "markdown-preview";
    output.setAttribute("aria-live", "polite");
    var tools = document.createElement("div");
    tools.className = "markdown-preview-tools";
    tools.appendChild(button);
    tools.appendChild(output);
    textarea.insertAdjacentElement("afterend", tools);
    button.addEventListener("click", function () {
      var url = previewUrl();
      var token = document.querySelector("input[name=csrfmiddlewaretoken]");
      if (!url || !token) { return; }
      var data = new FormData();
      data.append("body", textarea.value);
      data.append("references", referenceNumbers());
      var kind = document.querySelector('select[name="' + textarea.name.replace(/body$/, "kind") + '"]');
      if (kind) { data.append("kind", kind.value); }
      fetch(url, { method: "POST", body: data, headers: { "X-CSRFToken": token.value }, credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (payload) {
          output.innerHTML = payload.html;  // sanitised server-side by nh3
          if (payload.problems && payload.problems.length) {
            var warning = document.createElement("ul");
            warning.className = "markdown-preview__warning";
            payload.problems.forEach(function (problem) {
              var item = document.createElement("li");
              item.textContent = problem;  // blocks publishing
              warning.appendChild(item);
            });
            output.prepend(warning);
          }
        })
        .catch(function () { output.textContent = "Preview failed; try again."; });
    });
  }

  function scan() {
    document.querySelectorAll("textarea.markdown-source").forEach(function (textarea) {
      if (!textarea.name || textarea.name.indexOf("__prefix__") === -1) { addButton(textarea); }
    });
  }

  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("formset:added", scan);
})();
