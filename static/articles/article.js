// Article page enhancements; the page works without them.
// 1. Contents: open beside the text on wide screens, and mark the section being read.
// 2. Citations: a preview of the reference (title, authors, year) on hover and keyboard focus,
//    taken from the reference list on the page, so it shows nothing the page does not.
(() => {
  const toc = document.querySelector("[data-toc]");
  if (toc) {
    const wide = window.matchMedia("(min-width: 1100px)");
    const sync = () => { if (wide.matches) toc.open = true; };
    sync();
    wide.addEventListener("change", sync);
    const links = new Map();
    toc.querySelectorAll("a[href^='#']").forEach((a) => {
      const target = document.getElementById(a.hash.slice(1));
      if (target) links.set(target.closest("section") || target, a);
    });
    if ("IntersectionObserver" in window && links.size) {
      const seen = new Set();
      const observer = new IntersectionObserver((entries) => {
        entries.forEach((e) => (e.isIntersecting ? seen.add(e.target) : seen.delete(e.target)));
        const first = [...links.keys()].find((s) => seen.has(s));
        if (!first) return;
        links.forEach((a) => a.removeAttribute("aria-current"));
        links.get(first).setAttribute("aria-current", "location");
      }, { rootMargin: "0px 0px -60% 0px" });
      links.forEach((_, section) => observer.observe(section));
    }
  }

  const tip = document.createElement("div");
  tip.className = "cite-preview";
  tip.id = "cite-preview";
  tip.setAttribute("role", "tooltip");
  tip.hidden = true;
  document.body.appendChild(tip);
  let current = null;
  const hide = () => {
    tip.hidden = true;
    if (current) current.removeAttribute("aria-describedby");
    current = null;
  };
  const show = (link) => {
    const entry = document.getElementById(link.hash.slice(1));
    if (!entry) return;
    const part = (name) => entry.querySelector(name)?.textContent.trim() || "";
    const title = part(".reference__title") || entry.textContent.replace("↩", "").trim();
    tip.replaceChildren();
    const strong = document.createElement("span");
    strong.className = "cite-preview__title";
    strong.textContent = title;
    tip.append(strong, [part(".reference__authors"), part(".reference__year")].filter(Boolean).join(" "));
    tip.hidden = false;
    const box = link.getBoundingClientRect();
    const left = Math.min(window.scrollX + box.left, window.scrollX + document.documentElement.clientWidth - tip.offsetWidth - 8);
    tip.style.left = `${Math.max(window.scrollX + 8, left)}px`;
    tip.style.top = `${window.scrollY + box.bottom + 6}px`;
    current = link;
    link.setAttribute("aria-describedby", tip.id);
  };
  const citeLink = (node) => node instanceof Element && node.closest("sup.cite a[href^='#']");
  document.addEventListener("mouseover", (e) => { const a = citeLink(e.target); if (a) show(a); else if (current && !tip.contains(e.target)) hide(); });
  document.addEventListener("focusin", (e) => { const a = citeLink(e.target); if (a) show(a); else hide(); });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") hide(); });
})();
