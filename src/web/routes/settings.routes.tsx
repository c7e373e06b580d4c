/**
 * `/mail/parametres`: the webmail's settings (issue 6 §1 signature, §5 away message and
 * forwarding). Thin: parse the form, call the settings service, render (errors at their field,
 * with the values typed).
 */
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { MailSettings, MailSettingsInput, SettingsField } from "../../mail/settings.service.js";
import type { Services } from "../../services.js";
import { type DomainError, isDomainError } from "../../shared/errors.js";
import type { ClientAssets } from "../assets.js";
import { type FormBody, field, formBody } from "../forms.js";
import { fr } from "../i18n/fr.js";
import { settingsFr as t } from "../i18n/settings.fr.js";
import { sendPage } from "../page.js";
import type { FieldErrors } from "../views/components.js";
import type { MailShell } from "../views/mail.view.js";
import { type SettingsForm, SettingsPage } from "../views/settings.view.js";
import { mailShell, webmailAccount } from "./mailbox.js";

export interface SettingsRouteOptions {
  readonly services: Services;
  readonly assets?: ClientAssets;
}

/** The form field of each field of the service. */
const FORM_FIELD: Readonly<Record<SettingsField, keyof SettingsForm>> = {
  signature: "signature",
  awayStart: "du",
  awayEnd: "au",
  awaySubject: "objet",
  awayText: "message",
  forwardAddress: "transfert",
  currentPassword: "motDePasse",
};

/** YYYY-MM-DD shown as JJ/MM/AAAA. */
function shownDay(day: string | null): string {
  const m = day ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(day) : null;
  return m ? `${m[3]}/${m[2]}/${m[1]}` : "";
}

function formOf(s: MailSettings): SettingsForm {
  return {
    signature: s.signature,
    absence: s.away.enabled,
    du: shownDay(s.away.start),
    au: shownDay(s.away.end),
    objet: s.away.subject,
    message: s.away.text,
    transfert: s.forward.address ?? "",
    copie: s.forward.keepCopy,
    motDePasse: "",
  };
}

function messageOf(error: DomainError): string {
  const reason = error.details.reason;
  switch (error.code) {
    case "INVALID_DATE":
      return t.errors.date;
    case "INVALID_EMAIL":
      return t.errors.forwardInvalid;
    case "HEADER_INJECTION":
      return t.errors.subjectLineBreak;
    case "REAUTH_REQUIRED":
      return t.errors.passwordRequired;
    case "INVALID_CREDENTIALS":
      return t.errors.passwordWrong;
    default:
      if (reason === "too_long") return t.errors.tooLong(Number(error.details.max));
      if (reason === "before_start") return t.errors.endBeforeStart;
      if (reason === "required") return t.errors.textRequired;
      if (reason === "own_address") return t.errors.forwardOwn;
      if (reason === "outside_without_copy") return t.errors.forwardOutsideWithoutCopy;
      return fr.codes[error.code];
  }
}

/** The field error of a domain error from the settings service, or null when it is not about a field. */
function fieldErrors(error: unknown): FieldErrors | null {
  if (!isDomainError(error)) return null;
  const name = FORM_FIELD[error.details.field as SettingsField];
  if (!name) return null;
  return { [name]: [messageOf(error)] };
}

export const settingsRoutes: FastifyPluginAsync<SettingsRouteOptions> = async (app, { services, assets }) => {
  const { settings } = services;

  const accountOf = webmailAccount;

  const shellOf = (req: FastifyRequest, accountId: number, notice?: MailShell["notice"]): Promise<MailShell> =>
    mailShell(services, assets, req, accountId, notice ? { notice } : {});

  app.get("/mail/parametres", async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const saved = Object.hasOwn(req.query as FormBody, "enregistre");
    const shell = await shellOf(req, accountId, saved ? { kind: "success", text: t.saved } : undefined);
    return sendPage(reply, <SettingsPage shell={shell} form={formOf(await settings.get(accountId))} />);
  });

  app.post("/mail/parametres", async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const body = formBody(req.body);
    const form: SettingsForm = {
      signature: field(body, "signature", 4000),
      absence: field(body, "absence", 5) !== "",
      du: field(body, "du", 40),
      au: field(body, "au", 40),
      objet: field(body, "objet", 400),
      message: field(body, "message", 10_000),
      transfert: field(body, "transfert", 320),
      copie: field(body, "copie", 5) !== "",
      motDePasse: "",
    };
    const currentPassword = field(body, "motDePasse");
    const input: MailSettingsInput = {
      signature: form.signature,
      awayEnabled: form.absence,
      awayStart: form.du,
      awayEnd: form.au,
      awaySubject: form.objet,
      awayText: form.message,
      forwardAddress: form.transfert,
      forwardKeepCopy: form.copie,
    };
    const session = req.session;
    if (!session) return reply;
    try {
      await settings.update(accountId, input, { session, currentPassword, ip: req.ip });
    } catch (error) {
      if (isDomainError(error, "THROTTLED")) throw error;
      const errors = fieldErrors(error);
      if (!errors) throw error;
      return sendPage(reply, <SettingsPage shell={await shellOf(req, accountId)} form={form} errors={errors} />, 400);
    }
    return reply.redirect("/mail/parametres?enregistre", 303);
  });
};
