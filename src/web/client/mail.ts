/**
 * The webmail's progressive enhancement (the pages work without it): keyboard shortcuts (j/k,
 * Entrée, r, f, Suppr, ?), which can be turned off (WCAG 2.1.4), "Tout sélectionner", in-place
 * read/follow/delete from the list, and drag-and-drop of messages onto a folder (posting the
 * list's own "Déplacer vers" form). French texts come from the page (src/web/i18n/fr.ts).
 */

const STORAGE_KEY = "sesame.raccourcis";

function shortcutsEnabled(): boolean {
  try {
    return window.localStorage.getItem(STORAGE_KEY) !== "non";
  } catch {
    return true;
  }
}

function setShortcutsEnabled(on: boolean): void {
  try {
    if (on) window.localStorage.removeItem(STORAGE_KEY);
    else window.localStorage.setItem(STORAGE_KEY, "non");
  } catch {
    // Private browsing without storage: the choice lasts for this page only.
  }
}

/** Typing in a field never triggers a shortcut (ticking a checkbox is not typing). */
function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !["checkbox", "radio", "button", "submit", "reset"].includes(target.type);
  }
  return false;
}

function announce(text: string | undefined): void {
  const live = document.querySelector<HTMLElement>("[data-live]");
  if (!live || !text) return;
  live.textContent = "";
  // A fresh text node after a tick, so that the same message twice is read twice.
  window.setTimeout(() => {
    live.textContent = text;
  }, 50);
}

function liveText(name: string): string | undefined {
  return document.querySelector<HTMLElement>("[data-live]")?.dataset[name];
}

async function postAction(form: HTMLFormElement, action: string, ids: string[]): Promise<boolean> {
  const data = new URLSearchParams();
  const csrf = form.querySelector<HTMLInputElement>('input[name="_csrf"]')?.value ?? "";
  data.set("_csrf", csrf);
  data.set("action", action);
  for (const id of ids) data.append("ids", id);
  try {
    // `form.action` would be the buttons named "action": read the attribute.
    const res = await fetch(form.getAttribute("action") ?? "/mail/actions", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf },
      body: data,
    });
    return res.ok;
  } catch {
    return false;
  }
}

/** The folder list's unread count, kept true after an in-place change. */
function adjustUnread(folderId: string | undefined, delta: number): void {
  if (!folderId) return;
  const nav = document.querySelector<HTMLElement>(".mail-nav");
  const link = nav?.querySelector<HTMLElement>(`a[data-folder-id="${folderId}"]`);
  if (!nav || !link) return;
  const n = Math.max(0, Number(link.dataset.unread ?? "0") + delta);
  link.dataset.unread = String(n);
  const count = link.querySelector<HTMLElement>(".folder-count");
  if (count) {
    count.textContent = String(n);
    count.hidden = n === 0;
  }
  // The name a screen reader says ("Boîte de réception, 3 non lus"), as the server writes it.
  const name = link.querySelector<HTMLElement>(".folder-name")?.textContent ?? "";
  if (n === 0) link.removeAttribute("aria-label");
  else {
    const suffix = n === 1 ? (nav.dataset.unreadOne ?? "") : (nav.dataset.unreadMany ?? "").replace("{n}", String(n));
    link.setAttribute("aria-label", `${name}${suffix}`);
  }
}

function messageList(): void {
  const form = document.querySelector<HTMLFormElement>("[data-message-form]");
  const list = form?.querySelector<HTMLElement>("[data-message-list]");
  if (!form || !list) return;
  const rows = () => [...list.querySelectorAll<HTMLLIElement>(":scope > li")];
  let current: HTMLLIElement | null = null;

  const setCurrent = (row: HTMLLIElement | null, focus = true) => {
    current?.classList.remove("is-current");
    current = row;
    if (!row) return;
    row.classList.add("is-current");
    if (focus) {
      row.querySelector<HTMLElement>("[data-message-link]")?.focus();
      row.scrollIntoView({ block: "nearest" });
    }
  };
  list.addEventListener("focusin", (e) => {
    const row = (e.target as HTMLElement).closest<HTMLLIElement>("li[data-message-id]");
    if (row && row !== current) setCurrent(row, false);
  });

  // "Tout sélectionner"
  const selectAll = form.querySelector<HTMLButtonElement>("[data-select-all]");
  if (selectAll) {
    selectAll.hidden = false;
    selectAll.addEventListener("click", () => {
      const boxes = [...list.querySelectorAll<HTMLInputElement>('input[name="ids"]')];
      const all = boxes.every((b) => b.checked);
      for (const b of boxes) b.checked = !all;
    });
  }

  /** Posts `action` for the row's message; false, and the failure announced, when it did not go through. */
  const postRow = async (row: HTMLLIElement, action: string): Promise<boolean> => {
    if (await postAction(form, action, [row.dataset.messageId ?? ""])) return true;
    announce(liveText("failed"));
    return false;
  };

  const toggleRead = async (row: HTMLLIElement) => {
    const seen = row.dataset.seen === "true";
    if (!(await postRow(row, seen ? "non-lu" : "lu"))) return;
    row.dataset.seen = String(!seen);
    row.classList.toggle("message--unread", seen);
    const tag = row.querySelector<HTMLElement>("[data-unread-tag]");
    if (tag) tag.hidden = !seen;
    adjustUnread(row.dataset.folderId, seen ? 1 : -1);
    announce(liveText(seen ? "unread" : "read"));
  };

  const toggleFlag = async (row: HTMLLIElement) => {
    const flagged = row.dataset.flagged === "true";
    if (!(await postRow(row, flagged ? "ne-plus-suivre" : "suivre"))) return;
    row.dataset.flagged = String(!flagged);
    row.classList.toggle("message--flagged", !flagged);
    const mark = row.querySelector<HTMLElement>("[data-flag-mark]");
    if (mark) mark.hidden = flagged;
    announce(liveText(flagged ? "unflagged" : "flagged"));
  };

  const remove = async (row: HTMLLIElement) => {
    if (!(await postRow(row, "supprimer"))) return;
    if (row.dataset.seen !== "true") adjustUnread(row.dataset.folderId, -1);
    const all = rows();
    const i = all.indexOf(row);
    const next = all[i + 1] ?? all[i - 1] ?? null;
    row.remove();
    setCurrent(next);
    if (!next) form.querySelector<HTMLElement>("button")?.focus();
    announce(liveText("removed"));
  };

  document.addEventListener("keydown", (e) => {
    if (!shortcutsEnabled() || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
    const all = rows();
    if (all.length === 0) return;
    const i = current ? all.indexOf(current) : -1;
    if (e.key === "j" || e.key === "k") {
      e.preventDefault();
      const next = e.key === "j" ? Math.min(i + 1, all.length - 1) : Math.max(i - 1, 0);
      setCurrent(all[i === -1 ? 0 : next] ?? null);
      return;
    }
    if (!current) return;
    const row = current;
    if (e.key === "Enter") {
      const active = document.activeElement;
      // Links and buttons already answer Entrée; from a row's checkbox (or nowhere), open the row.
      if (active instanceof HTMLAnchorElement || active instanceof HTMLButtonElement) return;
      if (active instanceof HTMLInputElement && !row.contains(active)) return;
      const href = row.querySelector<HTMLAnchorElement>("[data-message-link]")?.href;
      if (href) {
        e.preventDefault();
        window.location.assign(href);
      }
    } else if (e.key === "r") {
      e.preventDefault();
      void toggleRead(row);
    } else if (e.key === "f") {
      e.preventDefault();
      void toggleFlag(row);
    } else if (e.key === "Delete") {
      e.preventDefault();
      void remove(row);
    }
  });

  dragAndDrop(form, list);
}

/** Messages dragged onto a folder of the list: the "Déplacer vers" form, posted as if chosen. */
function dragAndDrop(form: HTMLFormElement, list: HTMLElement): void {
  const select = form.querySelector<HTMLSelectElement>("[data-move-select]");
  const button = form.querySelector<HTMLButtonElement>("[data-move-button]");
  if (!select || !button) return;
  const destinations = new Set([...select.options].map((o) => o.value).filter((v) => v !== ""));
  let dragged: HTMLLIElement | null = null;
  for (const row of list.querySelectorAll<HTMLLIElement>("li[data-message-id]")) row.draggable = true;
  list.addEventListener("dragstart", (e) => {
    dragged = (e.target as HTMLElement).closest<HTMLLIElement>("li[data-message-id]");
    if (!dragged || !e.dataTransfer) return;
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", dragged.dataset.messageId ?? "");
    dragged.classList.add("is-dragged");
  });
  list.addEventListener("dragend", () => {
    dragged?.classList.remove("is-dragged");
    dragged = null;
  });
  for (const link of document.querySelectorAll<HTMLAnchorElement>(".mail-nav a[data-folder-id]")) {
    const id = link.dataset.folderId ?? "";
    if (!destinations.has(id)) continue;
    link.addEventListener("dragover", (e) => {
      if (!dragged) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = "move";
      link.classList.add("is-drop-target");
    });
    link.addEventListener("dragleave", () => link.classList.remove("is-drop-target"));
    link.addEventListener("drop", (e) => {
      link.classList.remove("is-drop-target");
      if (!dragged) return;
      e.preventDefault();
      const box = dragged.querySelector<HTMLInputElement>('input[name="ids"]');
      // The dragged message, with the other checked ones when it is checked itself.
      if (box && !box.checked) {
        for (const other of list.querySelectorAll<HTMLInputElement>('input[name="ids"]')) other.checked = false;
        box.checked = true;
      }
      select.value = id;
      form.requestSubmit(button);
    });
  }
}

/** The open message: r, f and Suppr press the page's own buttons. */
function readingView(): void {
  const form = document.querySelector<HTMLFormElement>("[data-reading-form]");
  if (!form) return;
  document.addEventListener("keydown", (e) => {
    if (!shortcutsEnabled() || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
    const key = e.key === "Delete" ? "Delete" : e.key;
    if (key !== "r" && key !== "f" && key !== "Delete") return;
    const button = form.querySelector<HTMLButtonElement>(`button[data-shortcut="${key}"]`);
    if (!button) return;
    e.preventDefault();
    form.requestSubmit(button);
  });
}

/** "?" opens (or closes) the help, which also exists without JavaScript; the on/off switch. */
function shortcutsHelp(): void {
  const help = document.querySelector<HTMLDetailsElement>("details#raccourcis");
  if (!help) return;
  const announceLine = document.querySelector<HTMLElement>("[data-shortcuts-announce]");
  const toggleLine = help.querySelector<HTMLElement>("[data-shortcuts-toggle]");
  const toggle = help.querySelector<HTMLInputElement>("#raccourcis-actifs");
  if (toggleLine && toggle) {
    toggleLine.hidden = false;
    toggle.checked = shortcutsEnabled();
    toggle.addEventListener("change", () => setShortcutsEnabled(toggle.checked));
  }
  if (announceLine) announceLine.hidden = !shortcutsEnabled();
  document.addEventListener("keydown", (e) => {
    if (e.key !== "?" || !shortcutsEnabled() || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
    e.preventDefault();
    help.open = !help.open;
    const summary = help.querySelector<HTMLElement>("summary");
    summary?.focus();
    help.scrollIntoView({ block: "nearest" });
  });
}

export function initMail(): void {
  if (!document.querySelector("[data-mail-app]")) return;
  shortcutsHelp();
  messageList();
  readingView();
}
