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
      const link = row.querySelector<HTMLAnchorElement>("[data-message-link]");
      if (link) {
        e.preventDefault();
        link.click();
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

/** Messages dragged onto a folder of the list: the « Déplacer vers » menu's button of that folder, pressed. */
function dragAndDrop(form: HTMLFormElement, list: HTMLElement): void {
  const destinationOf = (id: string) =>
    form.querySelector<HTMLButtonElement>(`[data-move-menu] button[name="vers"][value="${CSS.escape(id)}"]`);
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
    if (!destinationOf(id)) continue;
    link.addEventListener("dragover", (e) => {
      if (!dragged) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = "move";
      link.classList.add("is-drop-target");
    });
    link.addEventListener("dragleave", () => link.classList.remove("is-drop-target"));
    link.addEventListener("drop", (e) => {
      link.classList.remove("is-drop-target");
      const button = destinationOf(id);
      if (!dragged || !button) return;
      e.preventDefault();
      const box = dragged.querySelector<HTMLInputElement>('input[name="ids"]');
      // The dragged message, with the other checked ones when it is checked itself.
      if (box && !box.checked) {
        for (const other of list.querySelectorAll<HTMLInputElement>('input[name="ids"]')) other.checked = false;
        box.checked = true;
      }
      form.requestSubmit(button);
    });
  }
}

/** A message on a page of its own (no list): r, f and Suppr press the page's own buttons. */
function readingView(): void {
  if (document.querySelector("[data-message-list]")) return;
  document.addEventListener("keydown", (e) => {
    if (!shortcutsEnabled() || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
    const key = e.key === "Delete" ? "Delete" : e.key;
    if (key !== "r" && key !== "f" && key !== "Delete") return;
    const form = document.querySelector<HTMLFormElement>("[data-reading-form]");
    const button = form?.querySelector<HTMLButtonElement>(`button[data-shortcut="${key}"]`);
    if (!form || !button) return;
    e.preventDefault();
    form.requestSubmit(button);
  });
}

/**
 * The HTML body's frame takes its content's height (no inner scroll bar): its document is of this
 * origin (sandboxed, without scripts), so its height can be read here.
 */
function fitFrames(root: ParentNode): void {
  for (const frame of root.querySelectorAll<HTMLIFrameElement>("iframe[data-fit-frame]")) {
    const fit = () => {
      let doc: Document | null = null;
      try {
        doc = frame.contentDocument;
      } catch {
        return;
      }
      if (!doc?.documentElement) return;
      frame.style.height = "0px";
      const height = Math.max(doc.documentElement.scrollHeight, doc.body?.scrollHeight ?? 0);
      frame.style.height = `${Math.ceil(height) + 2}px`;
      frame.classList.add("is-fitted");
    };
    frame.addEventListener("load", () => {
      fit();
      // Images arriving late, a narrower window: sized again.
      const body = frame.contentDocument?.body;
      if (body && "ResizeObserver" in window) new ResizeObserver(() => fit()).observe(body);
    });
    if (frame.contentDocument?.readyState === "complete" && frame.contentDocument.body?.childNodes.length) fit();
  }
}

/** An open menu (« Déplacer vers », « Plus ») closes on Échap or a click elsewhere. */
function menus(): void {
  const open = () => [...document.querySelectorAll<HTMLDetailsElement>("details.menu[open]")];
  document.addEventListener("click", (e) => {
    for (const menu of open()) if (!menu.contains(e.target as Node)) menu.open = false;
  });
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    for (const menu of open()) {
      menu.open = false;
      menu.querySelector<HTMLElement>("summary")?.focus();
    }
  });
}

/** « Dossiers » on a phone: the folders over the page, closed by « Fermer », Échap or a folder. */
function folderMenu(): void {
  const toggle = document.querySelector<HTMLAnchorElement>("[data-nav-toggle]");
  const nav = document.getElementById("menu-dossiers");
  if (!toggle || !nav) return;
  toggle.setAttribute("aria-expanded", "false");
  const set = (open: boolean) => {
    nav.classList.toggle("is-open", open);
    toggle.setAttribute("aria-expanded", String(open));
    if (open) nav.querySelector<HTMLElement>("[data-nav-close]")?.focus();
    else toggle.focus();
  };
  toggle.addEventListener("click", (e) => {
    e.preventDefault();
    set(!nav.classList.contains("is-open"));
  });
  nav.querySelector("[data-nav-close]")?.addEventListener("click", (e) => {
    e.preventDefault();
    set(false);
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && nav.classList.contains("is-open")) set(false);
  });
}

/**
 * The reading pane: a message chosen in the list opens beside it without reloading the page (the
 * URL becomes the list's with `?lire=`, so Back and a reload work); on narrow screens it takes the
 * list's place and Back returns to the list where it was.
 */
function readingPane(): void {
  const box = document.querySelector<HTMLElement>("[data-list-and-pane].has-pane");
  const pane = box?.querySelector<HTMLElement>("[data-reading-pane]");
  const list = box?.querySelector<HTMLElement>("[data-message-list]");
  if (!box || !pane || !list) return;
  const listUrl = box.dataset.listUrl ?? "/mail";
  const emptyPane = () => {
    const p = document.createElement("p");
    p.className = "pane-empty";
    p.textContent = pane.dataset.empty ?? "";
    return p;
  };
  let listScroll = window.scrollY;
  let seq = 0;

  const idOf = (href: string) => new URL(href, window.location.href).searchParams.get("lire");

  /** The list's toolbar acts on the open message when nothing is checked, and comes back to it. */
  const form = document.querySelector<HTMLFormElement>("[data-message-form]");
  const toolbarOpen = (id: string | null) => {
    if (!form) return;
    let field = form.querySelector<HTMLInputElement>('input[type="hidden"][name="message"]');
    if (id && !field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "message";
      form.prepend(field);
    }
    if (field) {
      if (id) field.value = id;
      else field.remove();
    }
    const back = form.querySelector<HTMLInputElement>('input[name="retour"]');
    if (back) {
      const url = new URL(back.value, window.location.href);
      if (id) url.searchParams.set("lire", id);
      else url.searchParams.delete("lire");
      back.value = `${url.pathname}${url.search}`;
    }
  };

  const markOpen = (id: string | null) => {
    toolbarOpen(id);
    for (const row of list.querySelectorAll<HTMLLIElement>("li.is-open")) row.classList.remove("is-open");
    for (const link of list.querySelectorAll("[data-message-link][aria-current]")) link.removeAttribute("aria-current");
    const row = id ? list.querySelector<HTMLLIElement>(`li[data-message-id="${CSS.escape(id)}"]`) : null;
    if (!row) return;
    row.classList.add("is-open");
    row.querySelector("[data-message-link]")?.setAttribute("aria-current", "true");
    // Opened, so read.
    if (row.dataset.seen !== "true") {
      row.dataset.seen = "true";
      row.classList.remove("message--unread");
      const tag = row.querySelector<HTMLElement>("[data-unread-tag]");
      if (tag) tag.hidden = true;
      adjustUnread(row.dataset.folderId, -1);
    }
  };

  const close = () => {
    seq++;
    box.classList.remove("is-reading");
    pane.replaceChildren(emptyPane());
    markOpen(null);
    window.scrollTo(0, listScroll);
  };

  const open = async (id: string, push: string | null) => {
    const mine = ++seq;
    if (!box.classList.contains("is-reading")) listScroll = window.scrollY;
    const url = `/mail/messages/${encodeURIComponent(id)}/volet?retour=${encodeURIComponent(listUrl)}`;
    let html: string;
    try {
      const res = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!res.ok || res.redirected) throw new Error(String(res.status));
      html = await res.text();
    } catch {
      // The page itself, server-rendered, does the same.
      if (push) window.location.assign(push);
      return;
    }
    if (mine !== seq) return;
    if (push) window.history.pushState({ lire: id }, "", push);
    pane.innerHTML = html;
    box.classList.add("is-reading");
    markOpen(id);
    fitFrames(pane);
    const title = pane.querySelector<HTMLElement>(".message-title");
    const narrow = window.getComputedStyle(list).display === "none" || list.offsetParent === null;
    if (narrow) window.scrollTo(0, 0);
    else pane.scrollTop = 0;
    title?.focus({ preventScroll: !narrow });
    announce(liveText("opened"));
  };

  list.addEventListener("click", (e) => {
    const link = (e.target as HTMLElement).closest<HTMLAnchorElement>("a[data-message-link]");
    if (!link || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    const id = idOf(link.href);
    if (!id) return;
    e.preventDefault();
    void open(id, link.href);
  });
  pane.addEventListener("click", (e) => {
    const back = (e.target as HTMLElement).closest<HTMLAnchorElement>("a[data-pane-close]");
    if (back) {
      e.preventDefault();
      window.history.pushState({}, "", listUrl);
      close();
      return;
    }
    // A message of the conversation opens in the pane too.
    const other = (e.target as HTMLElement).closest<HTMLAnchorElement>(".thread a[href]");
    const id = other ? idOf(other.href) : null;
    if (other && id) {
      e.preventDefault();
      void open(id, other.href);
    }
  });
  window.addEventListener("popstate", () => {
    const id = idOf(window.location.href);
    if (id) void open(id, null);
    else close();
  });
  // A page served with the pane open (`?lire=`): Back from it returns to the list in place.
  const initial = idOf(window.location.href);
  if (initial) window.history.replaceState({ lire: initial }, "", window.location.href);
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
  readingPane();
  fitFrames(document);
  menus();
  folderMenu();
}
