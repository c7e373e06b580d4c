/**
 * Contacts page: with JavaScript, a .vcf file can be chosen instead of pasting its content; the
 * file is read in the browser into the same text field, which the form then sends (the page works
 * the same way without JavaScript, by pasting).
 */
const MAX_BYTES = 2 * 1024 * 1024;

export function initContacts(): void {
  const form = document.querySelector<HTMLFormElement>("form[data-vcard-import]");
  const picker = form?.querySelector<HTMLElement>("[data-vcard-file]");
  const input = picker?.querySelector<HTMLInputElement>("input[type=file]");
  const text = form?.querySelector<HTMLTextAreaElement>("textarea[name=vcard]");
  if (!form || !picker || !input || !text) return;
  picker.hidden = false;
  input.addEventListener("change", () => {
    const file = input.files?.[0];
    if (!file || file.size > MAX_BYTES) return;
    file.text().then(
      (content) => {
        text.value = content;
      },
      () => undefined,
    );
  });
}

/**
 * Compose page: suggestions for À, Cc and Cci from the address book and the directory, as the
 * browser's own list under the field (a `<datalist>`: native, keyboard- and screen-reader-usable).
 * Each suggestion is the whole field value with the word being typed completed, so that the
 * browser, which filters a datalist on the field's text, keeps it.
 * When the server refuses for a while (429: too many requests in a minute), the list is emptied,
 * typing goes on as usual, and the server's French sentence is read by screen readers through a
 * polite status region (visually hidden); the next answer that works clears it.
 */
export function initAddressSuggestions(): void {
  const form = document.querySelector<HTMLFormElement>("form[data-compose-form]");
  if (!form) return;
  // Created empty at start: a live region must exist before its text changes to be announced.
  const status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  status.dataset.suggestionsStatus = "";
  form.append(status);
  for (const name of ["a", "cc", "cci"]) {
    const input = form.querySelector<HTMLInputElement>(`input[name="${name}"]`);
    if (!input) continue;
    const list = document.createElement("datalist");
    list.id = `suggestions-${name}`;
    input.after(list);
    input.setAttribute("list", list.id);
    let timer: number | undefined;
    let asked = "";
    input.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        const value = input.value;
        const cut = Math.max(value.lastIndexOf(","), value.lastIndexOf(";")) + 1;
        const typed = value.slice(cut).trim();
        if (typed.length < 2 || typed.length > 100 || typed === asked) return;
        asked = typed;
        const head = value.slice(0, cut).trimEnd();
        fetch(`/mail/contacts/suggestions?q=${encodeURIComponent(typed)}`, { credentials: "same-origin" })
          .then(async (res) => {
            if (res.ok) return res.json();
            // Ask again for the same text later; a refusal (429) carries a sentence for the user.
            asked = "";
            const refused = res.status === 429 ? ((await res.json().catch(() => ({}))) as { message?: string }) : {};
            return { suggestions: [], message: typeof refused.message === "string" ? refused.message : "" };
          })
          .then((body: { suggestions?: { name: string; address: string }[]; message?: string }) => {
            const message = body.message ?? "";
            if (status.textContent !== message) status.textContent = message;
            list.replaceChildren(
              ...(body.suggestions ?? []).map((s) => {
                const option = document.createElement("option");
                const entry = s.name ? `${s.name} <${s.address}>` : s.address;
                option.value = `${head ? `${head} ` : ""}${entry}, `;
                option.label = entry;
                return option;
              }),
            );
          })
          .catch(() => undefined);
      }, 150);
    });
  }
}
