// Date fields in the page's language.
//
// The browser draws a date field in its own locale (mm/dd/yyyy in an American browser), whatever
// language the page is in. The field keeps the browser's control, which phones turn into their own
// picker, and says beneath it the day it holds, written as every other day on the page is
// (negotiations.moments.format_day): "Wed 3 Apr 2024", "2024年4月3日 星期三", "ពុធ 3 មេសា 2024".
// The format and the names come from the server (the page's "day-words" data), not from the
// browser's own locale data, which may lack the page's language.
(() => {
  const words = JSON.parse(document.getElementById("day-words")?.textContent || "null");
  if (!words) return;

  const pad = (n) => String(n).padStart(2, "0");
  const parts = {
    d: (day) => pad(day.getUTCDate()),
    j: (day) => String(day.getUTCDate()),
    D: (day) => words.weekdaysShort[(day.getUTCDay() + 6) % 7],
    l: (day) => words.weekdays[(day.getUTCDay() + 6) % 7],
    m: (day) => pad(day.getUTCMonth() + 1),
    n: (day) => String(day.getUTCMonth() + 1),
    M: (day) => words.monthsShort[day.getUTCMonth()],
    F: (day) => words.months[day.getUTCMonth()],
    Y: (day) => String(day.getUTCFullYear()),
  };

  // Django's date format characters; a backslash makes the next one literal.
  function write(day) {
    let out = "";
    for (let i = 0; i < words.format.length; i++) {
      const c = words.format[i];
      if (c === "\\") out += words.format[++i] ?? "";
      else out += parts[c] ? parts[c](day) : c;
    }
    return out;
  }

  function spelled(input) {
    let out = input.nextElementSibling;
    if (!out || !out.classList.contains("date-spelled")) {
      out = document.createElement("output");
      out.className = "date-spelled";
      out.setAttribute("aria-live", "polite");
      if (input.id) out.htmlFor = input.id;
      input.after(out);
    }
    return out;
  }

  function show(input) {
    const out = spelled(input);
    const day = /^\d{4}-\d{2}-\d{2}$/.test(input.value) ? new Date(`${input.value}T00:00:00Z`) : null;
    out.textContent = day && !Number.isNaN(day.getTime()) ? write(day) : "";
  }

  function wire(root) {
    for (const input of root.querySelectorAll('input[type="date"]')) {
      if (input.dataset.spelled) continue;
      input.dataset.spelled = "1";
      input.lang = document.documentElement.lang;
      input.addEventListener("input", () => show(input));
      input.addEventListener("change", () => show(input));
      show(input);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => wire(document));
  } else {
    wire(document);
  }
  // Forms swapped in by htmx (the outcome screen, inline edits) get the same.
  document.addEventListener("htmx:load", (event) => wire(event.target));
})();
