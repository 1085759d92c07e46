// Pages of work in progress (an import, reviews being generated): reload every few seconds
// while the page says the work is still going ([data-task-pending]), or go to the address it
// names ([data-task-next]: a file being prepared, served there when ready); no inline script (CSP).
(function () {
  "use strict";
  var pending = document.querySelector("[data-task-pending]");
  if (pending) {
    var seconds = parseInt(pending.getAttribute("data-task-pending"), 10) || 2;
    var next = pending.getAttribute("data-task-next");
    window.setTimeout(function () {
      if (next) { window.location.replace(next); } else { window.location.reload(); }
    }, seconds * 1000);
  }
})();
