import type { FastifyReply, FastifyRequest } from "fastify";
import type { VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import type { Config } from "../config/config.js";
import type { Session } from "../identity/session.service.js";
import type { ClientAssets } from "./assets.js";
import type { PageContext } from "./views/layout.js";
import { renderPage } from "./views/layout.js";

/** What every page needs from the request: configured names, CSRF token, script, session timer. */
export function pageContext(
  config: Config,
  req: FastifyRequest,
  assets: ClientAssets | undefined,
  session: Session | null = req.session,
): PageContext {
  return {
    academie: config.academieName,
    mailDomain: config.mailDomain,
    csrfToken: req.csrfToken,
    ...(assets ? { scriptUrl: assets.app.url, challengeScriptUrl: assets.challenge.url } : {}),
    ...(session ? { sessionRemainingMs: session.remainingMs } : {}),
  };
}

export function sendPage(reply: FastifyReply, node: VNode, status = 200): FastifyReply {
  return reply.code(status).header("Cache-Control", "no-store").type("text/html; charset=utf-8").send(renderPage(node));
}

/** A part of a page (the reading pane's content), for the page's own script to put in place. */
export function sendFragment(reply: FastifyReply, node: VNode): FastifyReply {
  return reply.header("Cache-Control", "no-store").type("text/html; charset=utf-8").send(renderToString(node));
}

/** The ALTCHA challenge a form must carry (as the widget's JSON attribute), when `required`. */
export async function challengeFor(
  challenges: { createChallenge(): Promise<unknown> },
  required: boolean,
): Promise<{ challenge?: string }> {
  return required ? { challenge: JSON.stringify(await challenges.createChallenge()) } : {};
}
