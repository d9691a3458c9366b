// Sign-in: trade the agent token for an HttpOnly session cookie, then open the console.
"use strict";
(function () {
  const form = document.getElementById("login-form");
  const input = document.getElementById("login-token");
  const error = document.getElementById("login-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    let res;
    try {
      res = await fetch("/api/session", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ token: input.value.trim() }),
      });
    } catch (e) {
      error.textContent = "The workspace cannot be reached. Is carebot running?";
      error.hidden = false;
      return;
    }
    if (res.ok) {
      location.replace("/");
      return;
    }
    error.textContent = res.status === 401
      ? "That token is not valid. Check it, or ask your admin for a new one."
      : "Sign-in failed; try again.";
    error.hidden = false;
    input.select();
  });
})();
