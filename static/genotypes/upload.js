// Upload with a progress bar: XMLHttpRequest reports upload progress; on success the server
// answers with the status page's URL and we go there. Without JavaScript the form posts
// normally and the server redirects.
(function () {
  "use strict";
  var form = document.querySelector("form.upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  var box = form.querySelector(".upload-progress");
  var bar = form.querySelector(".upload-progress progress");
  var text = form.querySelector(".upload-progress__text");
  var errorBox = form.querySelector(".upload-form__error");
  var button = form.querySelector("button[type=submit]");
  var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    box.hidden = true;
    button.disabled = false;
  }

  function firstError(errors) {
    var fields = Object.keys(errors || {});
    for (var i = 0; i < fields.length; i++) {
      var problems = errors[fields[i]];
      if (problems && problems.length) {
        return typeof problems[0] === "string" ? problems[0] : problems[0].message;
      }
    }
    return "The upload did not work. Please try again.";
  }

  form.addEventListener("submit", function (event) {
    var input = form.querySelector("input[type=file]");
    var file = input && input.files && input.files[0];
    if (file && maxBytes && file.size > maxBytes) {
      event.preventDefault();
      showError("The file is larger than " + form.getAttribute("data-too-large") +
        " MB. Raw DNA files are much smaller, so please check you picked the right one.");
      return;
    }
    event.preventDefault();
    errorBox.hidden = true;
    button.disabled = true;
    box.hidden = false;
    bar.value = 0;
    text.textContent = "0%";
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        var percent = Math.round((e.loaded / e.total) * 100);
        bar.value = percent;
        text.textContent = percent + "%";
      }
    });
    xhr.addEventListener("load", function () {
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      if (xhr.status === 201 && data && data.status_url) {
        bar.value = 100;
        text.textContent = "Uploaded. Opening the status page…";
        window.location.assign(data.status_url);
      } else {
        showError(firstError(data && data.errors));
      }
    });
    xhr.addEventListener("error", function () {
      showError("The connection was interrupted. Please try again.");
    });
    xhr.send(new FormData(form));
  });
})();
