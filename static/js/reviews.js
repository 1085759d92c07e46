// Reviews list: while a review is being generated, reload the page every few seconds.
(function () {
  "use strict";
  if (document.querySelector("[data-reviews-pending]")) {
    window.setTimeout(function () { window.location.reload(); }, 3000);
  }
})();
