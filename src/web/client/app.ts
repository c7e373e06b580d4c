/**
 * Progressive enhancement for every page (the pages work without it): show/hide password,
 * focus on the error summary, the password strength meter, and the session-expiry warning
 * (RGAA 13.1: the user is warned and can extend). Bundled by esbuild when the server starts.
 */

import { initCompose } from "./compose.js";
import { initImportProgress } from "./console-admin.js";
import { initAddressSuggestions, initContacts } from "./contacts.js";
import { initMail } from "./mail.js";
import { initWebAuthn } from "./webauthn.js";

const csrf = document.body.dataset.csrf ?? "";

function post(url: string, data: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf },
    body: new URLSearchParams({ ...data, _csrf: csrf }),
  });
}

function passwordToggles(): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>("[data-password-toggle]")) {
    const input = document.getElementById(button.dataset.passwordToggle ?? "");
    if (!(input instanceof HTMLInputElement)) continue;
    button.hidden = false;
    button.addEventListener("click", () => {
      const show = input.type === "password";
      input.type = show ? "text" : "password";
      button.setAttribute("aria-pressed", String(show));
      button.textContent = (show ? button.dataset.labelHide : button.dataset.labelShow) ?? "";
      input.focus();
    });
  }
}

function focusErrors(): void {
  const summary = document.querySelector<HTMLElement>("[data-error-summary]");
  if (summary) summary.focus();
}

function strengthMeter(): void {
  const input = document.querySelector<HTMLInputElement>("input[data-strength]");
  const output = input ? document.getElementById(`${input.id}-robustesse`) : null;
  if (!input || !output) return;
  let timer: number | undefined;
  let seq = 0;
  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    if (input.value === "") {
      output.hidden = true;
      return;
    }
    timer = window.setTimeout(async () => {
      const mine = ++seq;
      try {
        const res = await post("/mot-de-passe/evaluer", { password: input.value });
        if (!res.ok || mine !== seq) return;
        const data = (await res.json()) as { score: number; label: string; problems: string[] };
        output.hidden = false;
        output.dataset.score = String(data.score);
        output.textContent = [data.label, ...data.problems].join(" ");
      } catch {
        // The meter is a help; the server checks the rules on submit anyway.
      }
    }, 400);
  });
}

function sessionWarning(): void {
  const remainingAttr = document.body.dataset.sessionRemaining;
  const dialog = document.getElementById("session-warning");
  const text = document.getElementById("session-warning-text");
  const extend = document.getElementById("session-extend");
  if (!remainingAttr || !dialog || !text || !extend) return;
  const WARN_BEFORE_MS = 2 * 60_000;
  let deadline = Date.now() + Number(remainingAttr);
  let lastFocus: Element | null = null;
  const tick = () => {
    const left = deadline - Date.now();
    if (left <= 0) {
      window.location.assign("/?expire");
      return;
    }
    if (left <= WARN_BEFORE_MS) {
      const mins = Math.max(1, Math.ceil(left / 60_000));
      // The French sentences come from the page (src/web/i18n/fr.ts).
      text.textContent = mins <= 1 ? (text.dataset.one ?? "") : (text.dataset.many ?? "").replace("{n}", String(mins));
      if (dialog.hidden) {
        lastFocus = document.activeElement;
        dialog.hidden = false;
        extend.focus();
      }
    }
  };
  extend.addEventListener("click", async () => {
    const res = await post("/session/prolonger", {});
    if (!res.ok) {
      window.location.assign("/?expire");
      return;
    }
    const data = (await res.json()) as { remainingMs: number };
    deadline = Date.now() + data.remainingMs;
    dialog.hidden = true;
    if (lastFocus instanceof HTMLElement) lastFocus.focus();
  });
  window.setInterval(tick, 5_000);
  tick();
}

passwordToggles();
focusErrors();
strengthMeter();
sessionWarning();
initMail();
initCompose();
initContacts();
initAddressSuggestions();
initImportProgress();
initWebAuthn();
