// The sidebar buttons. The theme binds its handlers to the FIRST .primary-toggle and
// .secondary-toggle of the page, which sit hidden in the top header; the buttons a reader
// sees (in the article's header) were left without one. Each visible button forwards its
// click to the bound one: on a phone it opens the chapter list (or the page's contents),
// on a desktop the menu button collapses and restores the sidebar.
document.addEventListener("DOMContentLoaded", () => {
  for (const kind of ["primary-toggle", "secondary-toggle"]) {
    const buttons = [...document.querySelectorAll(`button.${kind}`)];
    const bound = buttons[0];
    for (const button of buttons.slice(1)) {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopPropagation();
        bound.click();
      });
    }
  }
});

// Figures link to their full-size image: on a phone a multi-panel figure is shrunk to the
// window's width, and the reader opens the image itself to zoom in.
document.addEventListener("DOMContentLoaded", () => {
  for (const img of document.querySelectorAll("article .cell_output img, article figure img")) {
    const src = img.getAttribute("src") || "";
    if (img.closest("a[href], .animation") || src.startsWith("data:")) continue;
    const link = document.createElement("a");
    link.href = src;
    link.className = "rmtlib-full-size";
    link.title = "Open the full-size figure";
    img.replaceWith(link);
    link.appendChild(img);
  }
});

// Search results: the snippet under each result is the page's text, where math is raw TeX
// (\( \sigma \)) and code cells are source. Both are left out of the snippets ("…").
if (typeof Search !== "undefined" && Search.htmlToText) {
  const pageText = Search.htmlToText;
  Search.htmlToText = (htmlString, anchor) => {
    const page = new DOMParser().parseFromString(htmlString, "text/html");
    page.querySelectorAll(".math, div.cell_input, div.highlight").forEach((e) => e.replaceWith(" … "));
    return pageText(page.documentElement.outerHTML, anchor);
  };
}
