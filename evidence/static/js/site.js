/* Small progressive enhancements; every page works without this file.
   - selects marked data-autosubmit submit their form on change (the button is hidden)
   - blocks marked data-copyable get a "Copy" button */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var copyLabel = document.documentElement.lang === "en" ? "Copy" : "Kopiér";
  var copiedLabel = document.documentElement.lang === "en" ? "Copied" : "Kopieret";

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  document.querySelectorAll("[data-copyable]").forEach(function (block) {
    if (!navigator.clipboard) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy secondary";
    button.textContent = copyLabel;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(block.textContent).then(function () {
        button.textContent = copiedLabel;
        setTimeout(function () { button.textContent = copyLabel; }, 1600);
      });
    });
    block.insertAdjacentElement("afterend", button);
  });
})();
