// Wide tables on a phone: each scrolls sideways in its own box, and says so while it is wider
// than the screen (a hint above it; shadows at the edges where more is hidden, from the CSS).
// Tables the page did not put in a box (the console's) get one here.
document.addEventListener("DOMContentLoaded", () => {
  const boxes = [];
  for (const table of document.querySelectorAll("main table")) {
    let box = table.closest(".scroll");
    if (!box) {
      box = document.createElement("div");
      box.className = "scroll";
      table.replaceWith(box);
      box.append(table);
    }
    if (!box.parentElement.classList.contains("table-scroll")) {
      const frame = document.createElement("div");
      frame.className = "table-scroll";
      box.replaceWith(frame);
      frame.append(box);
    }
    const frame = box.parentElement;
    if (!frame.querySelector(".scroll-hint")) {
      const hint = document.createElement("p");
      hint.className = "scroll-hint";
      hint.textContent = "表格较宽，请左右滑动查看 ⇆";
      frame.prepend(hint);
    }
    box.tabIndex = 0;  // a keyboard scrolls it too
    box.setAttribute("role", "region");
    if (!box.hasAttribute("aria-label")) box.setAttribute("aria-label", "表格（可左右滑动）");
    boxes.push(box);
  }
  const mark = () => {
    for (const box of boxes) {
      box.parentElement.classList.toggle("overflowing", box.scrollWidth > box.clientWidth + 1);
    }
  };
  mark();
  window.addEventListener("resize", mark);
});
