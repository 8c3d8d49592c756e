// The upload form, enhanced: a file can be dropped onto it, and while it is sent a progress
// bar shows the bytes sent (XMLHttpRequest reports upload progress); on success the server
// answers with the status page's URL and we go there. Without JavaScript the form posts
// normally and the server redirects.
(function () {
  "use strict";
  var form = document.querySelector("form.upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  var input = form.querySelector("input[type=file]");
  var zone = form.querySelector(".dropzone");
  var hint = form.querySelector(".dropzone__hint");
  var chosen = form.querySelector(".dropzone__chosen");
  var box = form.querySelector(".upload-progress");
  var bar = form.querySelector(".upload-progress progress");
  var text = form.querySelector(".upload-progress__text");
  var errorBox = form.querySelector(".upload-form__error");
  var button = form.querySelector("button[type=submit]");
  var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);
  var numbers = window.Intl && Intl.NumberFormat ? new Intl.NumberFormat("en-GB") : null;

  function grouped(value) {
    return numbers ? numbers.format(value) : String(value);
  }

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

  function showChosen() {
    var file = input.files && input.files[0];
    chosen.hidden = !file;
    chosen.textContent = file ? "Chosen: " + file.name + " (" + grouped(file.size) + " bytes)" : "";
  }

  // Drag and drop: the dropped file becomes the file input's file, so the form sends it
  // exactly as if it had been picked with the button.
  if (zone && input && window.DataTransfer) {
    hint.hidden = false;
    zone.classList.add("dropzone--active");
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dropzone--over");
      });
    });
    ["dragleave", "dragend"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("dropzone--over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("dropzone--over");
      var files = event.dataTransfer && event.dataTransfer.files;
      if (!files || !files.length) { return; }
      if (files.length > 1) {
        showError("Please drop one file: the raw data file your DNA service gave you.");
        return;
      }
      input.files = files;
      errorBox.hidden = true;
      showChosen();
    });
  }
  if (input) { input.addEventListener("change", showChosen); }

  form.addEventListener("submit", function (event) {
    var file = input && input.files && input.files[0];
    event.preventDefault();
    if (file && maxBytes && file.size > maxBytes) {
      showError("The file is larger than " + form.getAttribute("data-too-large") +
        " MB. Raw DNA files are much smaller, so please check you picked the right one.");
      return;
    }
    errorBox.hidden = true;
    button.disabled = true;
    box.hidden = false;
    bar.value = 0;
    text.textContent = "Starting…";
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        var percent = Math.round((e.loaded / e.total) * 100);
        bar.value = percent;
        text.textContent = grouped(e.loaded) + " of " + grouped(e.total) + " bytes sent (" +
          percent + "%)";
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
