/**
 * The import's progress page (`/console/admin/import/:id`) kept up to date: while the import runs,
 * its state is asked every second and the progress bar moved; when the step is over the page is
 * loaded again to show its report. Without JavaScript the page has « Actualiser ».
 */

interface JobStatus {
  readonly state: string;
  readonly progress: number;
  readonly size: number;
}

const POLL_MS = 1_000;

export function initImportProgress(): void {
  const section = document.querySelector<HTMLElement>("[data-import-status]");
  const url = section?.dataset.importStatus;
  if (!section || !url) return;
  const bar = section.querySelector("progress");
  const text = section.querySelector<HTMLElement>("[data-import-percent]");
  const poll = async (): Promise<void> => {
    let status: JobStatus;
    try {
      const res = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!res.ok) {
        window.location.reload();
        return;
      }
      status = (await res.json()) as JobStatus;
    } catch {
      window.setTimeout(() => void poll(), POLL_MS * 5);
      return;
    }
    if (status.state !== "checking" && status.state !== "applying") {
      window.location.reload();
      return;
    }
    const percent = status.size > 0 ? Math.min(100, Math.floor((status.progress / status.size) * 100)) : 0;
    if (bar) {
      bar.value = percent;
      bar.textContent = `${percent} %`;
    }
    if (text?.dataset.template) text.textContent = text.dataset.template.replace("{n}", String(percent));
    window.setTimeout(() => void poll(), POLL_MS);
  };
  window.setTimeout(() => void poll(), POLL_MS);
}
