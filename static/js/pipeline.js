// Pipeline board: drag a card onto another column to move it. Progressive enhancement only:
// a drop fills in the card's own stage form and submits it, exactly as its Move button does.
(function () {
  "use strict";
  var board = document.querySelector("[data-testid=pipeline-board]");
  if (!board) return;
  var dragged = null;

  board.addEventListener("dragstart", function (e) {
    var card = e.target.closest && e.target.closest(".pipeline-card[draggable=true]");
    if (!card) return;
    dragged = card;
    card.classList.add("pipeline-dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", card.dataset.opportunity);
  });

  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("pipeline-dragging");
    dragged = null;
    board.querySelectorAll(".pipeline-drop").forEach(function (c) { c.classList.remove("pipeline-drop"); });
  });

  board.addEventListener("dragover", function (e) {
    var column = e.target.closest && e.target.closest(".pipeline-column");
    if (!dragged || !column) return;
    e.preventDefault();
    column.classList.add("pipeline-drop");
  });

  board.addEventListener("dragleave", function (e) {
    var column = e.target.closest && e.target.closest(".pipeline-column");
    if (column && !column.contains(e.relatedTarget)) column.classList.remove("pipeline-drop");
  });

  board.addEventListener("drop", function (e) {
    var column = e.target.closest && e.target.closest(".pipeline-column");
    if (!dragged || !column) return;
    e.preventDefault();
    var form = dragged.querySelector("form.stage-form");
    var stage = column.dataset.stage;
    if (!form || form.elements.stage.value === stage) return;
    form.elements.stage.value = stage;
    if (stage === "lost" && !form.elements.lost_reason.value) {
      // A loss needs its reason: let the person pick it, then press Move.
      form.elements.lost_reason.focus();
      return;
    }
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });
})();
