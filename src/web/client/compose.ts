/**
 * The compose page's progressive enhancement (the form works without it): the upload progress of
 * the attachments (XMLHttpRequest, whose upload reports its progress), and the automatic draft
 * saving every 30 s while the message changes. French texts come from the page.
 */

const AUTOSAVE_MS = 30_000;
/** One timer per page, even when the form is shown again after an error. */
let autosaveTimer: number | undefined;

/** The text fields that make a draft (never the files, never the CSRF token). */
const DRAFT_FIELDS = ["a", "cc", "cci", "objet", "message", "html", "reponse-a", "transfert-joint", "brouillon"];

function draftData(form: HTMLFormElement): URLSearchParams {
  const data = new URLSearchParams();
  const all = new FormData(form);
  for (const name of DRAFT_FIELDS) {
    const value = all.get(name);
    if (typeof value === "string") data.set(name, value);
  }
  return data;
}

function autosave(form: HTMLFormElement, csrf: string): void {
  const url = form.dataset.autosaveUrl;
  const status = form.querySelector<HTMLElement>("[data-autosave-status]");
  const draftId = form.querySelector<HTMLInputElement>("[data-draft-id]");
  if (!url || !status || !draftId) return;
  let last = draftData(form).toString();
  let busy = false;
  const save = async () => {
    const data = draftData(form);
    const snapshot = data.toString();
    if (busy || snapshot === last) return;
    busy = true;
    try {
      data.set("_csrf", csrf);
      const res = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf },
        body: data,
      });
      const answer = (await res.json()) as { draftId?: number; message?: string; error?: string };
      if (res.ok && answer.draftId) {
        draftId.value = String(answer.draftId);
        last = draftData(form).toString();
        status.textContent = answer.message ?? "";
      } else {
        status.textContent = answer.error ?? status.dataset.failed ?? "";
      }
    } catch {
      status.textContent = status.dataset.failed ?? "";
    } finally {
      busy = false;
    }
  };
  window.clearInterval(autosaveTimer);
  autosaveTimer = window.setInterval(() => void save(), AUTOSAVE_MS);
}

/** Sends the form with its files through XMLHttpRequest to show the upload's progress. */
function uploadProgress(form: HTMLFormElement): void {
  const files = form.querySelector<HTMLInputElement>('input[type="file"]');
  const box = form.querySelector<HTMLElement>("[data-upload-progress]");
  const bar = box?.querySelector("progress");
  const text = box?.querySelector<HTMLElement>("[data-progress-text]");
  if (!files || !box || !bar || !text) return;
  const percent = new Intl.NumberFormat("fr-FR", { style: "percent", maximumFractionDigits: 0 });
  form.addEventListener("submit", (event) => {
    if (!files.files || files.files.length === 0) return;
    event.preventDefault();
    const submitter = event.submitter instanceof HTMLButtonElement ? event.submitter : null;
    const data = new FormData(form, submitter);
    const buttons = form.querySelectorAll<HTMLButtonElement>('button[type="submit"]');
    for (const b of buttons) b.disabled = true;
    box.hidden = false;
    bar.value = 0;
    text.textContent = (text.dataset.template ?? "").replace("{p}", percent.format(0));
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action") ?? window.location.pathname);
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      bar.value = Math.round((e.loaded / e.total) * 100);
      text.textContent = (text.dataset.template ?? "").replace("{p}", percent.format(e.loaded / e.total));
    });
    const failed = () => {
      for (const b of buttons) b.disabled = false;
      text.textContent = text.dataset.failed ?? "";
    };
    xhr.addEventListener("load", () => {
      const target = xhr.responseURL;
      // Sent or saved: the server redirected to a page of its own; load it as the browser would.
      if (xhr.status < 400 && target && new URL(target).pathname !== form.getAttribute("action")) {
        window.location.assign(target);
        return;
      }
      if (xhr.status < 500) {
        // The form came back with its errors: show that page (the files must be chosen again).
        const doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
        const main = doc.querySelector("main");
        const current = document.querySelector("main");
        if (main && current) {
          document.title = doc.title;
          current.replaceWith(document.adoptNode(main));
          initCompose();
          document.querySelector<HTMLElement>("[data-error-summary]")?.focus();
          return;
        }
      }
      failed();
    });
    xhr.addEventListener("error", failed);
    xhr.addEventListener("abort", failed);
    xhr.send(data);
  });
}

/**
 * The optional rich-text mode: a toggle shows an editable region with its toolbar; on every input
 * its HTML goes in the hidden `html` field (sanitized by the server) and its plain text in Message,
 * so the plain-text part is always sent. Turned off, the HTML is dropped and Message is shown again.
 */
function richText(form: HTMLFormElement): void {
  const root = form.querySelector<HTMLElement>("[data-rich]");
  const toggle = root?.querySelector<HTMLButtonElement>("[data-rich-toggle]");
  const editor = root?.querySelector<HTMLElement>("[data-rich-editor]");
  const area = root?.querySelector<HTMLElement>("[data-rich-area]");
  const html = root?.querySelector<HTMLInputElement>("[data-rich-html]");
  const textarea = form.querySelector<HTMLTextAreaElement>('textarea[name="message"]');
  const plainField = textarea?.closest<HTMLElement>(".compose-field");
  if (!root || !toggle || !editor || !area || !html || !textarea || !plainField) return;
  root.hidden = false;
  const tools = editor.querySelectorAll<HTMLButtonElement>("[data-command]");

  const sync = () => {
    html.value = area.innerHTML;
    // innerText, not textContent: the line breaks of <br>, paragraphs and list items are wanted.
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered line breaks are the point
    textarea.value = area.innerText.replace(/\n{3,}/g, "\n\n");
  };
  const states = () => {
    for (const b of tools) {
      if (b.hasAttribute("aria-pressed")) {
        b.setAttribute("aria-pressed", String(document.queryCommandState(b.dataset.command ?? "")));
      }
    }
  };
  /** The plain text as the editor's first content: one line each, never parsed as HTML. */
  const fill = (text: string) => {
    area.replaceChildren();
    text.split("\n").forEach((line, i) => {
      if (i > 0) area.append(document.createElement("br"));
      area.append(document.createTextNode(line));
    });
  };

  const show = (on: boolean) => {
    editor.hidden = !on;
    plainField.hidden = on;
    toggle.setAttribute("aria-pressed", String(on));
  };
  toggle.addEventListener("click", () => {
    const on = editor.hidden;
    show(on);
    if (on) {
      fill(textarea.value);
      sync();
      area.focus();
    } else {
      sync();
      html.value = "";
      textarea.focus();
    }
  });
  // The form came back (an error) or a draft is resumed with formatted text: the editor opens with
  // it. The server sanitized it to the editor's own formatting (bold, italic, lists, links).
  const initial = root.dataset.richInitial;
  if (initial) {
    show(true);
    area.innerHTML = initial;
    sync();
  }
  area.addEventListener("input", sync);
  area.addEventListener("keyup", states);
  area.addEventListener("mouseup", states);
  for (const b of tools) {
    // Keeps the selection in the editor when the button is pressed with the mouse.
    b.addEventListener("mousedown", (event) => event.preventDefault());
    b.addEventListener("click", () => {
      const command = b.dataset.command ?? "";
      area.focus();
      if (command === "createLink") {
        const url = window.prompt(b.dataset.prompt ?? "", "https://")?.trim();
        if (!url || !/^(https?:\/\/|mailto:)/i.test(url)) return;
        document.execCommand(command, false, url);
      } else {
        document.execCommand(command);
      }
      sync();
      states();
    });
  }
}

export function initCompose(): void {
  const form = document.querySelector<HTMLFormElement>("form[data-compose-form]");
  if (!form) return;
  const csrf = form.querySelector<HTMLInputElement>('input[name="_csrf"]')?.value ?? "";
  richText(form);
  uploadProgress(form);
  autosave(form, csrf);
}
