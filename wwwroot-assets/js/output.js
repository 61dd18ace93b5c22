// Live output panel: follow new lines unless the reader scrolled up; a button jumps back.
const slack = 24;

function atBottom(el) {
  return el.scrollHeight - el.scrollTop - el.clientHeight <= slack;
}

export function follow(el) {
  if (!el || el.dataset.follow !== undefined) return;
  el.dataset.follow = "true";
  const jump = el.parentElement?.querySelector(".portal-jump");
  el.addEventListener("scroll", () => {
    const following = atBottom(el);
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
