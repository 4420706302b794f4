// portcullis demo app: the account page's script. Served as a file, not
// inline, so a strict CSP (script-src 'self') allows it without a nonce.
// It only ever writes textContent: nothing it reads is parsed as HTML.
"use strict";

(function () {
  const headerCells = document.querySelectorAll("[data-header]");
  const cookieCells = document.querySelectorAll("[data-cookie]");
  const status = document.getElementById("echo-status");
  if (headerCells.length === 0 && cookieCells.length === 0) {
    return; // not the account page
  }

  function show(el, text, ok) {
    el.textContent = text;
    el.classList.remove("sent", "missing");
    el.classList.add(ok ? "sent" : "missing");
  }

  // What scripts can see: HttpOnly cookies are absent from document.cookie.
  const visible = new Set(
    document.cookie.split(";").map((c) => c.split("=")[0].trim()).filter(Boolean)
  );
  cookieCells.forEach((el) => {
    const name = el.dataset.cookie;
    if (visible.has(name)) {
      show(el, "visible to scripts", name !== "portcullis_session");
    } else {
      show(el, "hidden from scripts (HttpOnly)", true);
    }
  });

  fetch("/__demo/echo", { credentials: "same-origin", cache: "no-store" })
    .then((resp) => {
      headerCells.forEach((el) => {
        const value = resp.headers.get(el.dataset.header);
        show(el, value === null ? "not sent" : value, value !== null);
      });
      return resp.json();
    })
    .then((echo) => {
      if (status) {
        status.textContent =
          "The app received the fetch as " + echo.scheme + " from " + echo.client +
          " with cookies: " + (echo.cookies.join(", ") || "none") +
          ". document.cookie shows: " + ([...visible].join(", ") || "none") + ".";
      }
    })
    .catch((err) => {
      if (status) {
        status.textContent = "Fetching /__demo/echo failed: " + err;
      }
    });
})();
