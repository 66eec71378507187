// The pipeline board: drag a card to another column to move the deal; keep columns current.
// Moving by keyboard or on a phone needs none of this: each card has a "Move to…" form.
"use strict";

(() => {
  const board = document.getElementById("board");
  if (!board) return;
  const MOVE_HEADER = "X-Board-Move"; // marks the requests this file sends
  let dragged = null;

  const columnOf = (node) => (node instanceof Element ? node.closest(".column[data-stage]") : null);
  const say = (message) => {
    const status = document.getElementById("board-status");
    if (status && message) status.textContent = message;
  };

  // Read a column again (head and first page), with the filters it was rendered with. The
  // column is the request's source too: htmx queues requests per source element, and two
  // refreshes from one source (say, the body) would leave only the last.
  // Replacing a column can make a scroll-snapping board jump to another column: keep the
  // scroll position the reader had.
  const refresh = (stage) => {
    const column = board.querySelector(`.column[data-stage="${CSS.escape(stage)}"]`);
    if (!column || !column.dataset.refreshUrl) return;
    const scroller = column.closest(".board-scroll");
    const left = scroller ? scroller.scrollLeft : 0;
    htmx
      .ajax("GET", column.dataset.refreshUrl, { source: column, target: column, swap: "outerHTML" })
      .then(() => {
        if (scroller && scroller.isConnected) scroller.scrollLeft = left;
      });
  };
  const refreshAll = () => board.querySelectorAll(".column[data-stage]").forEach((c) => refresh(c.dataset.stage));

  board.addEventListener("dragstart", (event) => {
    const card = event.target instanceof Element ? event.target.closest(".card[data-deal-id]") : null;
    if (!card) return;
    dragged = card;
    card.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.dealId);
    if (event.target !== card) {
      // grabbed by the card's link (links drag themselves): still show the whole card
      const from = card.getBoundingClientRect();
      event.dataTransfer.setDragImage(card, event.clientX - from.left, event.clientY - from.top);
    }
  });

  board.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("is-dragging");
    dragged = null;
    board.querySelectorAll(".drop-target").forEach((column) => column.classList.remove("drop-target"));
  });

  board.addEventListener("dragover", (event) => {
    const column = dragged && columnOf(event.target);
    if (!column || column === columnOf(dragged)) return;
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = "move";
    column.classList.add("drop-target");
  });

  board.addEventListener("dragleave", (event) => {
    const column = columnOf(event.target);
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("drop-target");
  });

  board.addEventListener("drop", (event) => {
    const column = dragged && columnOf(event.target);
    if (!column) return;
    event.preventDefault();
    column.classList.remove("drop-target");
    const card = dragged;
    if (column === columnOf(card)) return;
    // The deal's own move URL (the card's "Move to…" form): success answers 204 and the
    // deal-moved event; a gate that refuses answers 422 with the form asking what is missing.
    htmx.ajax("POST", card.querySelector("form.card-move").getAttribute("action"), {
      target: "#dialog",
      swap: "innerHTML",
      values: { to: column.dataset.stage, version: card.dataset.version },
      headers: { [MOVE_HEADER]: "1" },
    });
  });

  const ours = (detail) => Boolean(detail.requestConfig && detail.requestConfig.headers[MOVE_HEADER]);

  document.addEventListener("htmx:beforeSwap", (event) => {
    const detail = event.detail;
    if (!ours(detail)) return;
    if (detail.xhr.status === 422) {
      // the gate's form: show it in the dialog (app.js opens it); app.js configures the
      // same, this keeps the board independent of that setting
      detail.shouldSwap = true;
      detail.isError = false;
    } else if (detail.xhr.status === 409) {
      say(board.dataset.msgConflict);
      refreshAll();
    } else if (detail.xhr.status >= 400) {
      say(board.dataset.msgFailed);
    }
  });

  // Sent by the server after every successful move (HX-Trigger), from the board or the dialog.
  document.addEventListener("deal-moved", (event) => {
    const { from, to } = event.detail || {};
    say(board.dataset.msgMoved);
    [from, to].forEach((stage) => stage && refresh(stage));
  });
})();
