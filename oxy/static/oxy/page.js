// Behaviour the Content-Security-Policy keeps out of the HTML (no inline
// handlers, and no htmx trigger filters, which need eval):
// - a field with data-autosubmit submits its form when changed;
// - a changed <select> fires "oxy-select-change" (it bubbles), so a form
//   reloads itself on a choice with hx-trigger="oxy-select-change".
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field.matches("[data-autosubmit]")) field.form.submit();
  if (field.tagName === "SELECT") field.dispatchEvent(new CustomEvent("oxy-select-change", { bubbles: true }));
});
