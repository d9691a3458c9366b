// An image attached to the reply (issue 18 item 5): the file picker, or paste / drop on the
// reply box. The image is uploaded at once (POST /api/tickets/{id}/images; the workspace checks
// the bytes) and goes with the next reply as image_id. Channels that take no images (GET
// /api/reply-images) disable the button and say so before anything is sent.
"use strict";
window.CareAttach = (function () {
  const $ = (id) => document.getElementById(id);
  let api = null, policy = null, ticket = null, held = false, image = null, uploading = false;

  function status(text, error) {
    $("attach-status").textContent = text || "";
    $("attach-status").className = error ? "error" : "muted";
  }

  function clear() {
    image = null;
    const preview = $("attach-preview");
    if (preview.src.startsWith("blob:")) URL.revokeObjectURL(preview.src);
    preview.removeAttribute("src");
    preview.hidden = true;
    $("attach-clear").hidden = true;
    $("reply-file").value = "";
    status("");
  }

  function types() {
    return policy && ticket ? policy.channels[ticket.channel] || null : null;
  }

  function refusal() {  // why this conversation cannot get an image (null: it can)
    if (!ticket) return "Select a conversation first.";
    if (!held) return "Claim the conversation to attach an image.";
    if (policy && !types()) return "Images cannot be sent on " + ticket.channel + ": text only.";
    return null;
  }

  function render() {
    const why = refusal();
    $("attach").hidden = !ticket || ticket.status === "resolved";
    $("attach-btn").disabled = !!why || uploading;
    $("attach-btn").title = why || "Attach an image (or paste / drop one on the reply box)";
    if (why && policy && ticket && held && !types()) status(why, true);
  }

  async function take(file) {
    const why = refusal();
    if (why) return status(why, true);
    if (!file) return;
    if (policy && file.size > policy.max_bytes) {
      return status("The image is " + (file.size / 1048576).toFixed(1) + " MB; at most " +
        Math.round(policy.max_bytes / 1024) + " KB can be attached.", true);
    }
    const id = ticket.id;
    uploading = true; render(); status("Uploading " + (file.name || "the image") + "…");
    try {
      const done = await api.uploadImage(id, file);
      if (!ticket || ticket.id !== id) return;
      image = done.image.id;
      const preview = $("attach-preview");
      preview.src = URL.createObjectURL(file);
      preview.hidden = false;
      $("attach-clear").hidden = false;
      status((file.name || "image") + " · " + Math.round(done.image.bytes / 1024) + " KB, sent after the text");
    } catch (err) {
      image = null;
      status(err.message || String(err), true);
    } finally {
      uploading = false; render();
    }
  }

  function fromTransfer(items) {
    for (const item of items || []) {
      if (item.kind === "file") return item.getAsFile();
    }
    return null;
  }

  function init(deps) {
    api = deps.api;
    api.replyImages().then((p) => { policy = p; render(); }).catch(() => {});
    $("attach-btn").addEventListener("click", () => { if (!refusal()) $("reply-file").click(); });
    $("reply-file").addEventListener("change", () => take($("reply-file").files[0]));
    $("attach-clear").addEventListener("click", clear);
    const reply = $("reply");
    reply.addEventListener("paste", (e) => {
      const file = fromTransfer(e.clipboardData && e.clipboardData.items);
      if (file) { e.preventDefault(); take(file); }
    });
    reply.addEventListener("dragover", (e) => { e.preventDefault(); });
    reply.addEventListener("drop", (e) => {
      const file = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
      if (file) { e.preventDefault(); take(file); }
    });
    document.addEventListener("care:ticket", (e) => {
      const next = e.detail.ticket;
      if (!ticket || !next || ticket.id !== next.id) clear();
      ticket = next; held = e.detail.held;
      render();
    });
  }

  return { init, clear, imageId: () => image, busy: () => uploading, take };
})();
