// Pages of work in progress (an import, reviews being generated): reload every few seconds
// while the page says the work is still going ([data-task-pending]); no inline script (CSP).
(function () {
  "use strict";
  var pending = document.querySelector("[data-task-pending]");
  if (pending) {
    var seconds = parseInt(pending.getAttribute("data-task-pending"), 10) || 2;
    window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
  }
})();
