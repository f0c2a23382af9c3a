// A canned reply chosen from the list is added to the reply being written.
document.addEventListener("change", (event) => {
  if (event.target.id !== "canned" || !event.target.value) return;
  const text = document.getElementById("reply-text");
  text.value = text.value ? text.value + "\n" + event.target.value : event.target.value;
  event.target.value = "";
  text.focus();
});
// Keep the newest message in view when the timeline reloads.
function scrollToNewest() {
  const list = document.getElementById("messages");
  if (list) list.scrollTop = list.scrollHeight;
}
document.addEventListener("DOMContentLoaded", scrollToNewest);
document.addEventListener("htmx:afterSettle", scrollToNewest);
