// igpub dashboard: the few things the server cannot do. Every page works without this file;
// it adds the browser's time zone, carousel ordering by drag and drop (with buttons as the
// keyboard way), live previews and showing only the fields that fit the chosen kind.
(function () {
  "use strict";

  var ZONE_COOKIE = "igpub_tz";
  var ZONE_NAME = /^[A-Za-z0-9_+\-\/]{1,64}$/;

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      return "";
    }
  }

  // The server shows times in the zone this cookie names (it is not a secret).
  function rememberZone() {
    var zone = browserZone();
    if (!ZONE_NAME.test(zone)) return;
    var secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = ZONE_COOKIE + "=" + zone + "; Path=/; Max-Age=31536000; SameSite=Lax" + secure;
  }

  // A zone picker marked data-browser-default starts on the browser's zone.
  function defaultZonePickers(root) {
    var zone = browserZone();
    if (!zone) return;
    root.querySelectorAll("select[data-browser-default]").forEach(function (select) {
      if (select.dataset.browserDefault !== "true") return;
      var option = Array.prototype.find.call(select.options, function (o) { return o.value === zone; });
      if (option) select.value = zone;
      select.dataset.browserDefault = "done";
    });
  }

  function announce(text) {
    var region = document.getElementById("live-announcer");
    if (region) region.textContent = text;
  }

  // ---------------------------------------------------------------- media list

  function mediaChanged(list) {
    var items = list.querySelectorAll(".media-item");
    items.forEach(function (item, index) {
      var number = index + 1;
      item.querySelectorAll("[data-item-number]").forEach(function (el) { el.textContent = number; });
      var up = item.querySelector("[data-move='up']");
      var down = item.querySelector("[data-move='down']");
      if (up) up.disabled = index === 0;
      if (down) down.disabled = index === items.length - 1;
    });
    list.dispatchEvent(new CustomEvent("media-changed", { bubbles: true }));
  }

  function move(item, direction) {
    var list = item.parentElement;
    if (direction === "up" && item.previousElementSibling) {
      list.insertBefore(item, item.previousElementSibling);
    } else if (direction === "down" && item.nextElementSibling) {
      list.insertBefore(item.nextElementSibling, item);
    } else {
      return;
    }
    mediaChanged(list);
    var position = Array.prototype.indexOf.call(list.children, item) + 1;
    var button = item.querySelector("[data-move='" + direction + "']");
    if (button && !button.disabled) button.focus();
    else { var other = item.querySelector("[data-move]:not([disabled])"); if (other) other.focus(); }
    announce("Moved to position " + position + ".");
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-move], [data-remove-item]");
    if (!button) return;
    var item = button.closest(".media-item, .media-error");
    if (!item) return;
    event.preventDefault();
    if (button.hasAttribute("data-remove-item")) {
      var list = item.parentElement;
      item.remove();
      mediaChanged(list);
      announce("Media item removed.");
    } else {
      move(item, button.getAttribute("data-move"));
    }
  });

  // Drag only from the handle, so text in the fields stays selectable with the mouse.
  var dragged = null;
  document.addEventListener("pointerdown", function (event) {
    var handle = event.target.closest(".media-item__handle");
    if (handle) handle.closest(".media-item").setAttribute("draggable", "true");
  });
  document.addEventListener("dragstart", function (event) {
    var item = event.target.closest && event.target.closest(".media-item");
    if (!item || item.getAttribute("draggable") !== "true") return;
    dragged = item;
    item.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", "");
  });
  document.addEventListener("dragover", function (event) {
    if (!dragged) return;
    var target = event.target.closest && event.target.closest(".media-item");
    if (!target || target === dragged || target.parentElement !== dragged.parentElement) return;
    event.preventDefault();
    document.querySelectorAll(".is-drop-target").forEach(function (el) { el.classList.remove("is-drop-target"); });
    target.classList.add("is-drop-target");
  });
  document.addEventListener("drop", function (event) {
    if (!dragged) return;
    var target = event.target.closest && event.target.closest(".media-item");
    if (!target || target === dragged || target.parentElement !== dragged.parentElement) return;
    event.preventDefault();
    var list = target.parentElement;
    var items = Array.prototype.slice.call(list.children);
    if (items.indexOf(dragged) < items.indexOf(target)) list.insertBefore(dragged, target.nextElementSibling);
    else list.insertBefore(dragged, target);
    mediaChanged(list);
  });
  document.addEventListener("dragend", function () {
    if (!dragged) return;
    dragged.classList.remove("is-dragging");
    dragged.removeAttribute("draggable");
    document.querySelectorAll(".is-drop-target").forEach(function (el) { el.classList.remove("is-drop-target"); });
    dragged = null;
  });

  // The preview follows the URL field.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-preview-source]")) return;
    var item = input.closest(".media-item");
    var img = item && item.querySelector("img.media-item__preview");
    if (img && /^https?:\/\//i.test(input.value)) {
      img.hidden = false;
      img.src = input.value;
    }
  });

  // A preview or an avatar that does not load gives way to its placeholder.
  document.addEventListener("error", function (event) {
    var img = event.target;
    if (!img.matches) return;
    if (img.matches("img.avatar--photo")) img.classList.add("avatar--broken");
    if (img.matches("img.media-item__preview")) img.hidden = true;
  }, true);

  // ---------------------------------------------------------------- composer kind

  function applyKind(form) {
    var checked = form.querySelector("input[name='kind']:checked");
    var kind = checked ? checked.value : "";
    form.querySelectorAll("[data-kinds]").forEach(function (el) {
      var kinds = el.getAttribute("data-kinds").split(" ");
      el.hidden = kind !== "" && kinds.indexOf(kind) === -1;
    });
    var when = form.querySelector("input[name='when']:checked");
    form.querySelectorAll("[data-when]").forEach(function (el) {
      var enabled = when && when.value === el.getAttribute("data-when");
      el.querySelectorAll("input, select").forEach(function (control) { control.disabled = !enabled; });
    });
  }

  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && form.matches("[data-composer]") && (event.target.name === "kind" || event.target.name === "when")) {
      applyKind(form);
    }
  });

  function setUp(root) {
    defaultZonePickers(root);
    document.querySelectorAll("form[data-composer]").forEach(applyKind);
    document.querySelectorAll(".media-list").forEach(function (list) {
      list.querySelectorAll(".media-item").forEach(function (item, index, all) {
        var up = item.querySelector("[data-move='up']");
        var down = item.querySelector("[data-move='down']");
        if (up) up.disabled = index === 0;
        if (down) down.disabled = index === all.length - 1;
        item.querySelectorAll("[data-item-number]").forEach(function (el) { el.textContent = index + 1; });
      });
    });
  }

  // New media rows arrive through htmx: number them and tell the pre-flight to look again.
  document.addEventListener("htmx:afterSwap", function (event) {
    setUp(event.target);
    var list = event.target.closest ? event.target.closest(".media-list") : null;
    if (!list && event.target.classList && event.target.classList.contains("media-list")) list = event.target;
    if (list) mediaChanged(list);
  });

  // The same files can be picked again after an upload.
  document.addEventListener("htmx:afterRequest", function (event) {
    var source = event.detail && event.detail.elt;
    if (source && source.id === "upload-file") source.value = "";
  });

  rememberZone();
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  } else {
    setUp(document);
  }
})();
