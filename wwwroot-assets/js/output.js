// Live output panel: follow new lines unless the reader scrolled up; a button jumps back.
const slack = 24;

function atBottom(el) {
  return el.scrollHeight - el.scrollTop - el.clientHeight <= slack;
}

export function follow(el) {
  if (!el || el.dataset.follow !== undefined) return;
  el.dataset.follow = "true";
  const jump = el.parentElement?.querySelector(".portal-jump");
  // Only a person pauses following. Scrolls the page causes itself (new lines, the bounded list letting its
  // oldest lines go, Virtualize resizing its spacers) must not, or a fast stream stops following on its own.
  let lastInput = -Infinity;
  let pointerDown = false;
  const input = () => { lastInput = performance.now(); };
  for (const type of ["wheel", "touchstart", "touchmove", "keydown"]) el.addEventListener(type, input, { passive: true });
  el.addEventListener("pointerdown", () => { pointerDown = true; input(); }, { passive: true });
  window.addEventListener("pointerup", () => { pointerDown = false; }, { passive: true });
  el.addEventListener("scroll", () => {
    const following = atBottom(el);
    const byPerson = pointerDown || performance.now() - lastInput < 1000;
    if (!following && !byPerson && el.dataset.follow === "true") {
      el.scrollTop = el.scrollHeight;
      return;
    }
    el.dataset.follow = following ? "true" : "false";
    if (jump) jump.hidden = following;
  }, { passive: true });
  jump?.addEventListener("click", () => {
    el.scrollTop = el.scrollHeight;
    el.dataset.follow = "true";
    jump.hidden = true;
  });
}

export function scrollIfFollowing(el) {
  if (el && el.dataset.follow !== "false") el.scrollTop = el.scrollHeight;
}

export async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Clipboard API needs a secure context; fall back to a hidden textarea.
    const area = document.createElement("textarea");
    area.value = text;
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
}
