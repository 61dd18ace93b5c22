// Per-browser UI preferences (dark mode). localStorage may be unavailable (private mode): then
// the preference simply is not remembered.
export function read(key) {
  try { return window.localStorage.getItem(key); } catch { return null; }
}

export function write(key, value) {
  try { window.localStorage.setItem(key, value); } catch { /* not remembered */ }
}

export function prefersDark() {
  return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
}
