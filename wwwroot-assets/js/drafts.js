// Unsaved runbook edits in this browser's localStorage: they survive a refresh, a lost
// connection or a closed tab, and never leave the browser until the editor saves them.
export function save(key, json) {
  try { localStorage.setItem(key, json); return true; } catch { return false; }
}

export function load(key) {
  try { return localStorage.getItem(key); } catch { return null; }
}

export function remove(key) {
  try { localStorage.removeItem(key); } catch { /* storage disabled: nothing to remove */ }
}
