/**
 * What every console route file shares: the page context, the signed-in console user (a 404 for
 * whoever has no console session or lacks the area's role), and the second factor typed again for
 * a sensitive action (valid 5 minutes in the session). One place, so that every area of the
 * console (`console.routes.tsx`, `console-*.routes.tsx`) answers alike.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ConsoleRole } from "../../console/console.types.js";
import type { Agent } from "../../console/helpdesk.types.js";
import type { Session } from "../../identity/session.service.js";
import type { Services } from "../../services.js";
import type { ClientAssets } from "../assets.js";
import { ERROR_ANSWERS, type FormErrors, NotFoundError } from "../errors.js";
import { consoleFr } from "../i18n/console.fr.js";
import { frenchTime } from "../i18n/fr.js";
import { pageContext } from "../page.js";
import type { ConsoleUser } from "../views/console.view.js";
import type { PageContext } from "../views/layout.js";

export interface ConsoleRouteOptions {
  readonly services: Services;
  readonly assets?: ClientAssets;
}

export interface SignedIn {
  readonly session: Session;
  readonly user: ConsoleUser;
}

const t = consoleFr;

/** A wrong second-factor code (at the code field) and a throttled one (at the top of the form). */
export const CODE_ERRORS: FormErrors = {
  INVALID_CODE: { field: "code", text: t.codeWrong, status: 400 },
  THROTTLED: { text: ({ retryAt }) => (retryAt ? t.throttled(frenchTime(retryAt)) : ERROR_ANSWERS.THROTTLED.text) },
};

/** The audit actor of a console user's actions. */
export function consoleActor(user: ConsoleUser): string {
  return `console:${user.username}`;
}

/** Who acts, for the audit of a helpdesk or security action: the console user, their account, their address. */
export function agentOf(req: FastifyRequest, signedIn: SignedIn): Agent {
  return { actor: consoleActor(signedIn.user), accountId: signedIn.session.accountId, ip: req.ip };
}

export function consoleAccess({ services, assets }: ConsoleRouteOptions) {
  const ctx = (req: FastifyRequest): PageContext => pageContext(services.config, req, assets, req.consoleSession);

  /**
   * The signed-in console user (with `role` when the page belongs to one); a 404 for anyone else —
   * but a browser that held a console session (its cookie sent) is sent back to the sign-in.
   */
  const userOf = async (req: FastifyRequest, reply: FastifyReply, role?: ConsoleRole): Promise<SignedIn | null> => {
    const session = req.consoleSession;
    if (session?.kind !== "console") {
      if (req.consoleToken) {
        reply.redirect("/console/connexion", 303);
        return null;
      }
      throw new NotFoundError("no console session");
    }
    const roles = await services.console.rolesOf(session.accountId);
    if (roles.length === 0 || (role && !roles.includes(role))) throw new NotFoundError("no such console role");
    const account = await services.directory.getAccountById(session.accountId);
    const name = `${account.holder.prenom} ${account.holder.nom}`;
    const hasSecurityKeys = await services.console.hasSecurityKeys(session.accountId);
    return { session, user: { name, username: account.username, roles, hasSecurityKeys } };
  };

  /** Whether a sensitive action's form must ask for the second factor again. */
  const reauthNeeded = (signedIn: SignedIn): boolean =>
    !services.consoleSessions.isRecentlyReauthenticated(signedIn.session);

  /**
   * The second factor typed again when the last time is more than 5 minutes old. Returns false
   * when the code is missing (the form says so at `code`); throws INVALID_CODE or THROTTLED (map
   * them with CODE_ERRORS) when it is wrong.
   */
  const reauthenticate = async (signedIn: SignedIn, code: string): Promise<boolean> => {
    if (!reauthNeeded(signedIn)) return true;
    if (code.trim() === "") return false;
    await services.console.reauthenticate(signedIn.session, code);
    return true;
  };

  return { ctx, userOf, reauthNeeded, reauthenticate };
}
