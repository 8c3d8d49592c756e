// Polls the membership status after checkout and swaps "Activating…" for "Welcome" once the
// Stripe webhook has been processed. Without JavaScript the page offers a "Check again" link.
(function () {
  "use strict";
  var root = document.getElementById("join-status");
  var activating = document.getElementById("join-activating");
  var welcome = document.getElementById("join-welcome");
  if (!root || !activating || !welcome || activating.hidden) return;
  var url = root.getAttribute("data-status-url");
  var started = Date.now();
  var delay = 1000;

  function showWelcome() {
    activating.remove(); // one <h1> on the page, and screen readers hear only the welcome
    welcome.hidden = false;
    var heading = welcome.querySelector("h2");
    if (heading) {
      var h1 = document.createElement("h1");
      h1.textContent = heading.textContent;
      heading.replaceWith(h1);
    }
    document.title = document.title.replace("Activating your membership", "Welcome");
    var join = document.querySelector(".site-header__join"); // drawn before the payment landed
    if (join) join.remove();
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { member: false }; })
      .catch(function () { return { member: false }; })
      .then(function (data) {
        if (data.member) return showWelcome();
        if (Date.now() - started < 5 * 60 * 1000) {
          delay = Math.min(delay * 1.3, 5000);
          window.setTimeout(poll, delay);
        }
      });
  }
  window.setTimeout(poll, delay);
})();
