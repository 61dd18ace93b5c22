// Per-browser UI preferences (dark mode) in a cookie, so the server renders the right theme on
// the first paint instead of flashing white.
export function read(key) {
  const found = document.cookie.split("; ").find(c => c.startsWith(key + "="));
  return found ? decodeURIComponent(found.substring(key.length + 1)) : null;
}

export function write(key, value) {
  document.cookie = `${key}=${encodeURIComponent(value)}; path=/; max-age=31536000; samesite=lax`;
}

export function prefersDark() {
  return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
}
