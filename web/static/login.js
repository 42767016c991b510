"use strict";
// Signs in with a session cookie (HttpOnly) and goes back to the page that asked.
document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.querySelector(".error");
  error.hidden = true;
  const response = await fetch("/api/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      username: document.getElementById("username").value,
      password: document.getElementById("password").value,
      cookie: true,
    }),
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    error.textContent = body.detail || "Sign-in failed.";
    error.hidden = false;
    return;
  }
  const { role } = await response.json();
  const next = new URLSearchParams(location.search).get("next") || "";
  // Only ever return to a page of this site; without one, each role starts on its own page.
  location.assign(/^\/[a-z]/.test(next) ? next : role === "editor" ? "/editor" : "/console");
});
