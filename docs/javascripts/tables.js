// Narrow screens. Each cell of a table of three or more columns is labelled with its
// column's header, so docs/stylesheets/extra.css can stack every row as a card below
// 600 px instead of scrolling sideways; and identifiers in table cells get break
// opportunities (<wbr>, never copied) after _ - . / so they wrap between words, not
// inside them.
(function () {
  function addBreaks(code) {
    if (code.dataset.wbr) return;
    code.dataset.wbr = "1";
    const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    const texts = [];
    while (walker.nextNode()) texts.push(walker.currentNode);
    for (const text of texts) {
      const parts = text.data.split(/(?<=[_\-./])(?=.)/);
      if (parts.length < 2) continue;
      const frag = document.createDocumentFragment();
      parts.forEach((part, i) => {
        if (i) frag.appendChild(document.createElement("wbr"));
        frag.appendChild(document.createTextNode(part));
      });
      text.replaceWith(frag);
    }
  }

  function label() {
    for (const table of document.querySelectorAll(".md-typeset table:not([class])")) {
      for (const code of table.querySelectorAll("td code, th code")) addBreaks(code);
      const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
      if (heads.length < 3 || table.dataset.stack !== undefined) continue;
      table.dataset.stack = "";
      for (const row of table.querySelectorAll("tbody tr")) {
        [...row.children].forEach((cell, i) => {
          if (heads[i]) cell.dataset.label = heads[i];
        });
      }
    }
  }

  if (typeof document$ !== "undefined") document$.subscribe(label);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", label);
  else label();
})();
