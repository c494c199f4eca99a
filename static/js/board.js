// Progressive enhancement for the code forms: a clickable palette and
// keyboard play (digits pick colours, Backspace removes, Enter submits).
// Without this script the <select> per peg does the same job.
(function () {
  "use strict";

  function codeForm() {
    return document.querySelector("form.code-form");
  }

  function selects(form) {
    return Array.from(form.querySelectorAll("select[name^='peg_']"));
  }

  function paint(select) {
    var option = select.selectedOptions[0];
    select.style.setProperty("--peg", option && option.dataset.hex ? option.dataset.hex : "");
    select.classList.toggle("filled", Boolean(select.value));
  }

  function pick(form, colour) {
    var empty = selects(form).find(function (s) { return !s.value; });
    if (!empty || !empty.querySelector("option[value='" + colour + "']")) return;
    empty.value = String(colour);
    paint(empty);
  }

  function removeLast(form) {
    var filled = selects(form).filter(function (s) { return s.value; });
    var last = filled[filled.length - 1];
    if (last) { last.value = ""; paint(last); }
  }

  function submit(form) {
    if (selects(form).every(function (s) { return s.value; })) form.requestSubmit();
  }

  function enhance() {
    var form = codeForm();
    if (!form) return;
    var palette = form.querySelector(".palette");
    if (palette) palette.hidden = false;
    selects(form).forEach(paint);
  }

  document.addEventListener("click", function (event) {
    var form = event.target.closest("form.code-form");
    if (!form) return;
    var button = event.target.closest("button[data-colour]");
    if (button) { pick(form, button.dataset.colour); return; }
    if (event.target.closest("button[data-clear]")) removeLast(form);
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("form.code-form select")) paint(event.target);
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
