/**
 * What every page behind the webmail's sign-in shares: the signed-in account (or the redirect a
 * person gets without one) and the frame around the page (account, folders, quota, notice).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Services } from "../../services.js";
import type { ClientAssets } from "../assets.js";
import { pageContext } from "../page.js";
import type { MailShell } from "../views/mail.view.js";

/**
 * The webmail account of the request, or null after redirecting: to the forced password change, to
 * the sign-in page (saying the session expired when there was one), never to a mailbox page.
 */
export function webmailAccount(req: FastifyRequest, reply: FastifyReply): number | null {
  if (req.session?.kind === "webmail") return req.session.accountId;
  if (req.session?.kind === "password_change") reply.redirect("/changer-mot-de-passe", 303);
  else reply.redirect(req.sessionToken ? "/?expire" : "/", 303);
  return null;
}

/** The frame of a mailbox page: one call to the mail service for the owner, folders and quota. */
export async function mailShell(
  services: Services,
  assets: ClientAssets | undefined,
  req: FastifyRequest,
  accountId: number,
  options: { currentFolderId?: number | null; notice?: MailShell["notice"] } = {},
): Promise<MailShell> {
  const [{ owner, folders, quota }, settings, display] = await Promise.all([
    services.mail.overview(accountId),
    services.settings.get(accountId),
    services.settings.display(accountId),
  ]);
  return {
    forwardingTo: settings.forward.address,
    display,
    ctx: pageContext(services.config, req, assets),
    account: owner,
    folders,
    quota,
    currentFolderId: options.currentFolderId ?? null,
    ...(options.notice ? { notice: options.notice } : {}),
  };
}
