// Roster console: small enhancements of pages that work without script.
// No inline script anywhere (the Content-Security-Policy forbids it).
(function () {
  "use strict";
  var doc = document.documentElement;
  doc.classList.add("js");

  // Dates: shown in the browser's time zone, in the page's language.
  var fmt;
  try {
    fmt = new Intl.DateTimeFormat(doc.lang || "en", { dateStyle: "medium", timeStyle: "short" });
  } catch (e) { fmt = null; }
  function localTimes(root) {
    if (!fmt) return;
    root.querySelectorAll("time[datetime]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (!isNaN(d)) { t.title = t.textContent; t.textContent = fmt.format(d); }
    });
  }

  // Selects and toggles that apply at once. A select stepped through with
  // the keyboard (arrow keys change its value at each step) applies on
  // Enter or when focus leaves it, so that a keyboard user can reach any
  // option; a choice made with the pointer applies at once.
  function apply(el) {
    delete el.dataset.pending;
    el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
  }
  var keyed = null;
  document.addEventListener("keydown", function (e) {
    var el = e.target;
    if (!(el.tagName === "SELECT" && el.hasAttribute("data-autosubmit") && el.form)) return;
    if (e.key === "Enter" && el.dataset.pending) { e.preventDefault(); apply(el); return; }
    if (e.key !== "Tab" && e.key !== "Shift") keyed = el;
  }, true);
  document.addEventListener("pointerdown", function () { keyed = null; }, true);
  document.addEventListener("focusout", function (e) {
    var el = e.target;
    if (el.dataset && el.dataset.pending && el.form) apply(el);
  });
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) {
      if (el.tagName === "SELECT" && keyed === el) { el.dataset.pending = "1"; } else { apply(el); }
    }
    if (el.name === "user_id" || el.hasAttribute("data-select-all")) { updateSelection(el); }
  });

  // Multi-select: "select all" and the count of selected users.
  function updateSelection(el) {
    var form = document.getElementById("users-form");
    if (!form) return;
    var boxes = document.querySelectorAll("input[name=user_id]");
    if (el && el.hasAttribute("data-select-all")) {
      form.querySelectorAll("#users input[name=user_id]").forEach(function (b) { b.checked = el.checked; });
    }
    var n = 0;
    boxes.forEach(function (b) {
      if (b.checked) n++;
      var row = b.closest("tr");
      if (row) row.classList.toggle("selected", b.checked);
    });
    var out = document.getElementById("selected-count");
    if (out) out.textContent = n ? (out.getAttribute("data-text") || "%d").replace("%d", n) : "";
  }

  // Row menus: <details class="menu"> opened by the "⋯" button, by a
  // right-click on the row, or by the context-menu key.
  function menus() { return document.querySelectorAll("details.menu"); }
  function closeMenus(except) {
    menus().forEach(function (m) {
      if (m !== except && m.open) { m.open = false; }
    });
  }
  function items(menu) { return Array.prototype.slice.call(menu.querySelectorAll("[role=menuitem]")); }
  function openMenu(menu, x, y) {
    closeMenus(menu);
    menu.open = true;
    var box = menu.querySelector(".menu-items");
    if (x !== undefined) {
      box.style.position = "fixed";
      box.style.left = Math.min(x, window.innerWidth - box.offsetWidth - 8) + "px";
      box.style.top = Math.min(y, window.innerHeight - box.offsetHeight - 8) + "px";
      box.style.right = "auto";
    } else {
      box.style.position = box.style.left = box.style.top = box.style.right = "";
    }
    var first = items(menu)[0];
    if (first) first.focus();
  }
  document.addEventListener("contextmenu", function (e) {
    var row = e.target.closest && e.target.closest("tr[data-menu]");
    if (!row || e.target.closest("a,input,button,select,summary")) return;
    var menu = row.querySelector("details.menu");
    if (!menu) return;
    e.preventDefault();
    openMenu(menu, e.clientX, e.clientY);
  });
  document.addEventListener("toggle", function (e) {
    if (e.target.matches && e.target.matches("details.menu") && e.target.open) { closeMenus(e.target); }
  }, true);
  document.addEventListener("click", function (e) {
    var s = e.target.closest && e.target.closest("details.menu > summary");
    if (s) {
      e.preventDefault();
      var m = s.parentElement;
      if (m.open) { m.open = false; } else { openMenu(m); }
      return;
    }
    if (!e.target.closest || !e.target.closest("details.menu")) closeMenus();
    var c = e.target.closest && e.target.closest("[data-confirm]");
    if (c && !window.confirm(c.getAttribute("data-confirm"))) { e.preventDefault(); }
  });
  document.addEventListener("keydown", function (e) {
    var menu = e.target.closest && e.target.closest("details.menu");
    if (menu && menu.open) {
      var list = items(menu), i = list.indexOf(document.activeElement);
      if (e.key === "Escape") { menu.open = false; menu.querySelector("summary").focus(); e.preventDefault(); }
      if (e.key === "ArrowDown" && list.length) { list[(i + 1) % list.length].focus(); e.preventDefault(); }
      if (e.key === "ArrowUp" && list.length) { list[(i - 1 + list.length) % list.length].focus(); e.preventDefault(); }
      return;
    }
    var row = e.target.closest && e.target.closest("tr[data-menu]");
    if (row && (e.key === "ContextMenu" || (e.shiftKey && e.key === "F10"))) {
      var m = row.querySelector("details.menu");
      if (m) { e.preventDefault(); openMenu(m); }
    }
  });

  // The create / edit dialog: modal, and Escape goes back to the list.
  function modal(d) {
    if (!d || !d.showModal) return;
    if (d.open) d.close();
    d.showModal();
    var bad = d.querySelector("[aria-invalid=true]") || d.querySelector("input:not([disabled]):not([type=hidden]), select:not([disabled])");
    if (bad) bad.focus();
    d.addEventListener("cancel", function (e) {
      e.preventDefault();
      var close = d.querySelector("[data-dialog-close]");
      if (close) window.location.href = close.href;
    });
  }

  function init() {
    localTimes(document);
    modal(document.querySelector("dialog[data-modal]"));
    updateSelection();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
