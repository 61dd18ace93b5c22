// The report page's print button (a plain script: the page is static, and the CSP allows no inline handlers).
document.querySelectorAll("[data-print]").forEach(button => button.addEventListener("click", () => window.print()));
