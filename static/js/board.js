// Progressive enhancement for the code forms and the live board.
// - The guess (or duel secret) is built in a row of holes: a palette click
//   fills the first empty hole, a click on a filled hole clears it, a colour
//   dragged onto a hole sets it; digits pick, Backspace removes the last peg,
//   Enter submits. The hidden <select> per peg keeps the values the form
//   posts; without this script the selects are the form.
// - New rows (yours, a rival's, the shared board's) and the finish are read
//   out through one polite live region outside the swapped board.
(function () {
  "use strict";

  function codeForm() {
    return document.querySelector("form.code-form");
  }

  function selects(form) {
    return Array.from(form.querySelectorAll("select[name^='peg_']"));
  }

  function holeFor(form, select) {
    return form.querySelector("[data-hole='" + select.name.slice(4) + "']");
  }

  function selectFor(form, hole) {
    return form.querySelector("select[name='peg_" + hole.dataset.hole + "']");
  }

  // A hole shows its select: the palette's peg (colour, symbol, number), or an empty hole.
  function paint(form, select) {
    var option = select.selectedOptions[0];
    select.style.setProperty("--peg", option && option.dataset.hex ? option.dataset.hex : "");
    select.classList.toggle("filled", Boolean(select.value));
    var hole = holeFor(form, select);
    if (!hole) return;
    var number = Number(select.name.slice(4)) + 1;
    var peg = select.value && form.querySelector(".palette button[data-colour='" + select.value + "']");
    if (peg) {
      hole.className = "hole " + peg.className + " filled";
      hole.innerHTML = peg.innerHTML;
      hole.setAttribute("aria-label", "Peg " + number + ": " + peg.getAttribute("aria-label") + ", press to clear");
    } else {
      hole.className = "hole";
      hole.textContent = "";
      hole.setAttribute("aria-label", "Peg " + number + ": empty");
    }
  }

  function paintAll(form) {
    var all = selects(form);
    all.forEach(function (s) { paint(form, s); });
    // The hole the next colour goes to.
    var next = all.find(function (s) { return !s.value; });
    form.querySelectorAll("[data-hole]").forEach(function (hole) {
      hole.classList.toggle("next", Boolean(next) && hole === holeFor(form, next));
    });
  }

  function setPeg(form, select, colour) {
    if (!select || !select.querySelector("option[value='" + colour + "']")) return;
    select.value = String(colour);
    paintAll(form);
  }

  function pick(form, colour) {
    setPeg(form, selects(form).find(function (s) { return !s.value; }), colour);
  }

  function clearPeg(form, select) {
    select.value = "";
    paintAll(form);
  }

  function removeLast(form) {
    var filled = selects(form).filter(function (s) { return s.value; });
    if (filled.length) clearPeg(form, filled[filled.length - 1]);
  }

  function complete(form) {
    return selects(form).every(function (s) { return s.value; });
  }

  function submit(form) {
    if (complete(form)) form.requestSubmit();
  }

  function enhanceForm(form) {
    var holes = form.querySelector(".code-holes");
    var palette = form.querySelector(".palette");
    if (!holes || !palette) return;
    // The selects stay in the form (they post peg_0…), out of sight: the holes show them.
    form.querySelector(".slots").hidden = true;
    holes.hidden = false;
    palette.hidden = false;
    // The selects are hidden, so the browser could not point at an empty one: the submit handler checks.
    form.noValidate = true;
    palette.querySelectorAll("button[data-colour]").forEach(function (b) { b.draggable = true; });
    paintAll(form);
  }

  // --- announcements -------------------------------------------------------------

  var seen = null; // "username|number" of every row already on the page
  var over = null; // the room had finished when last looked at

  function announcer() {
    return document.getElementById("announcer");
  }

  function announce(text) {
    var region = announcer();
    if (region && text) region.textContent = text;
  }

  function roomOver() {
    var status = document.getElementById("room-status");
    return Boolean(status) && /^(finished|abandoned)$/.test(status.textContent.trim());
  }

  function rowKey(row) {
    return row.dataset.username + "|" + row.dataset.number;
  }

  function sentence(row, me) {
    var feedback = row.dataset.exact + " exact, " + row.dataset.misplaced + " misplaced";
    if (row.dataset.username === me) return "Guess " + row.dataset.number + ": " + feedback + ".";
    var made = row.dataset.username + " made guess " + row.dataset.number;
    // A race's rival: their colours are hidden, and so is the detail of their progress here.
    return row.querySelector(".hidden-pegs") ? made + "." : made + ": " + feedback + ".";
  }

  function finishText() {
    return ["#room-header .finish", "#room-header .result"]
      .map(function (selector) {
        var el = document.querySelector(selector);
        return el ? el.textContent.replace(/\s+/g, " ").trim() : "";
      })
      .filter(Boolean)
      .map(function (text) { return /[.!?]$/.test(text) ? text : text + "."; })
      .join(" ");
  }

  function watchBoard() {
    if (!announcer()) return;
    var rows = Array.from(document.querySelectorAll("#boards .row[data-number]"));
    if (seen === null) {
      // What the page showed when it loaded is not news.
      seen = new Set(rows.map(rowKey));
      over = roomOver();
      return;
    }
    var me = announcer().dataset.me;
    var news = [];
    rows.forEach(function (row) {
      var key = rowKey(row);
      if (seen.has(key)) return;
      seen.add(key);
      news.push(sentence(row, me));
    });
    if (!over && roomOver()) {
      over = true;
      news.push(finishText());
    }
    if (news.length) announce(news.join(" "));
  }

  // One look per burst: a socket frame swaps the header, players, boards and
  // form one after another, and the finish must follow its winning row.
  var looking = false;
  function enhance() {
    document.querySelectorAll("form.code-form").forEach(enhanceForm);
    if (seen === null) { watchBoard(); return; }
    if (looking) return;
    looking = true;
    setTimeout(function () { looking = false; watchBoard(); }, 0);
  }

  // --- events ----------------------------------------------------------------------

  document.addEventListener("click", function (event) {
    var form = event.target.closest("form.code-form");
    if (!form) return;
    var button = event.target.closest("button[data-colour]");
    if (button) { pick(form, button.dataset.colour); return; }
    var hole = event.target.closest("button[data-hole]");
    if (hole) {
      var select = selectFor(form, hole);
      if (select && select.value) clearPeg(form, select);
      return;
    }
    if (event.target.closest("button[data-clear]")) removeLast(form);
  });

  // Before htmx sees it (capture): an incomplete code is not sent; the first empty hole says why.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form.code-form") || !form.noValidate || complete(form)) return;
    event.preventDefault();
    event.stopPropagation();
    var empty = selects(form).find(function (s) { return !s.value; });
    var hole = holeFor(form, empty);
    if (hole) hole.focus();
    announce("Pick a colour for every peg.");
  }, true);

  document.addEventListener("change", function (event) {
    var form = event.target.closest("form.code-form");
    if (form && event.target.matches("select")) paintAll(form);
  });

  // Dragging a palette colour onto a hole sets that hole (pointer only; clicks do the same).
  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var button = event.target.closest && event.target.closest("form.code-form button[data-colour]");
    if (!button) return;
    dragged = button.dataset.colour;
    event.dataTransfer.setData("text/plain", dragged);
    event.dataTransfer.effectAllowed = "copy";
  });
  document.addEventListener("dragend", function () { dragged = null; });
  document.addEventListener("dragover", function (event) {
    if (dragged !== null && event.target.closest && event.target.closest("form.code-form button[data-hole]")) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    }
  });
  document.addEventListener("drop", function (event) {
    var hole = event.target.closest && event.target.closest("form.code-form button[data-hole]");
    if (!hole || dragged === null) return;
    event.preventDefault();
    var form = hole.closest("form.code-form");
    setPeg(form, selectFor(form, hole), dragged);
    dragged = null;
  });

  // A finished board's replay: ← and → follow its Previous and Next links.
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    if (event.target.matches("input, textarea, select") || event.target.isContentEditable) return;
    var link = document.querySelector(event.key === "ArrowLeft" ? "[data-replay-previous]" : "[data-replay-next]");
    if (!link || link.getAttribute("aria-disabled") === "true") return;
    event.preventDefault();
    link.click();
  });

  document.addEventListener("keydown", function (event) {
    var form = codeForm();
    if (!form || event.altKey || event.ctrlKey || event.metaKey) return;
    var target = event.target;
    // Typing in chat or another text field is not play.
    if (target.matches("input, textarea") || target.isContentEditable) return;
    if (/^[0-9]$/.test(event.key)) {
      var colour = event.key === "0" ? 9 : Number(event.key) - 1;
      pick(form, colour);
      event.preventDefault();
    } else if (event.key === "Backspace") {
      removeLast(form);
      event.preventDefault();
    } else if (event.key === "Enter" && !target.matches("button, a")) {
      submit(form);
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", enhance);
  document.addEventListener("htmx:afterSettle", enhance);
  document.addEventListener("htmx:oobAfterSwap", enhance);
})();
