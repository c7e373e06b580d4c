/**
 * `/mail/parametres`: the webmail's settings (signature, away message and forwarding), and the
 * display preferences (« Affichage », a form of its own posted to `/mail/parametres/affichage`).
 * Thin: parse the form, call the settings service, render (errors at their field, with the values
 * typed).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import type {
  DisplayField,
  DisplayPreferences,
  MailSettings,
  MailSettingsInput,
  SettingsField,
} from "../../mail/settings.service.js";
import type { Services } from "../../services.js";
import type { DomainError } from "../../shared/errors.js";
import type { ClientAssets } from "../assets.js";
import { ERROR_ANSWERS, type FormErrors, formFailure } from "../errors.js";
import { settingsFr as t } from "../i18n/settings.fr.js";
import { mailClientSettings, sendAppleProfile } from "../mail-clients.js";
import { sendPage } from "../page.js";
import * as schemas from "../schemas/settings.schemas.js";
import { MAIL_CLIENT_PATHS } from "../urls.js";
import type { MailShell } from "../views/mail.view.js";
import { type DisplayForm, type SettingsForm, SettingsPage } from "../views/settings.view.js";
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

/** The « Affichage » form's field of each display preference. */
const DISPLAY_FIELD: Readonly<Record<DisplayField, keyof DisplayForm>> = {
  readingPane: "volet",
  density: "densite",
  groupByConversation: "conversations",
  showSize: "taille",
};

function displayFormOf(d: DisplayPreferences): DisplayForm {
  return { volet: d.readingPane, densite: d.density, conversations: d.groupByConversation, taille: d.showSize };
}

/** A refused display preference, at its field (its text by field). */
const DISPLAY_ERRORS: FormErrors = {
  VALIDATION_FAILED: {
    field: ({ field }) => {
      const names: Readonly<Partial<Record<string, keyof DisplayForm>>> = DISPLAY_FIELD;
      return field !== undefined && Object.hasOwn(names, field) ? names[field] : undefined;
    },
    text: ({ field }) =>
      field === "readingPane" ? t.errors.readingPane : field === "density" ? t.errors.density : t.errors.displayChoice,
  },
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

/** The form's field of a settings-service error; undefined when it names none of this form's. */
function formField({ field }: { readonly field?: string | undefined }): keyof SettingsForm | undefined {
  const names: Readonly<Partial<Record<string, keyof SettingsForm>>> = FORM_FIELD;
  return field !== undefined && Object.hasOwn(names, field) ? names[field] : undefined;
}

/** A refused value, worded by why. */
function validationText({ reason, max }: DomainError<"VALIDATION_FAILED">["details"]): string {
  if (reason === "too_long") return t.errors.tooLong(Number(max));
  if (reason === "before_start") return t.errors.endBeforeStart;
  if (reason === "required") return t.errors.textRequired;
  if (reason === "own_address") return t.errors.forwardOwn;
  if (reason === "outside_without_copy") return t.errors.forwardOutsideWithoutCopy;
  return ERROR_ANSWERS.VALIDATION_FAILED.text;
}

/** The settings service's errors, each at the field it names (the form is a 400 whatever the error). */
const SETTINGS_ERRORS: FormErrors = {
  INVALID_DATE: { field: formField, text: t.errors.date },
  INVALID_EMAIL: { field: formField, text: t.errors.forwardInvalid },
  HEADER_INJECTION: { field: formField, text: t.errors.subjectLineBreak },
  REAUTH_REQUIRED: { field: formField, text: t.errors.passwordRequired },
  INVALID_CREDENTIALS: { field: formField, text: t.errors.passwordWrong, status: 400 },
  VALIDATION_FAILED: { field: formField, text: validationText },
};

export const settingsRoutes: FastifyPluginAsyncTypebox<SettingsRouteOptions> = async (app, { services, assets }) => {
  const { settings } = services;
  const mailClients = mailClientSettings(services.config);
  /** The signed-in account's « Configurer un logiciel de messagerie ». */
  const clientsOf = async (accountId: number) => {
    const account = await services.directory.getAccountById(accountId);
    return { settings: mailClients, username: account.username, address: account.address };
  };

  const accountOf = webmailAccount;

  const shellOf = (req: FastifyRequest, accountId: number, notice?: MailShell["notice"]): Promise<MailShell> =>
    mailShell(services, assets, req, accountId, notice ? { notice } : {});

  app.get("/mail/parametres", { schema: schemas.ShowSettings }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const saved =
      req.query.affichage !== undefined ? t.displaySaved : req.query.enregistre !== undefined ? t.saved : undefined;
    const shell = await shellOf(req, accountId, saved ? { kind: "success", text: saved } : undefined);
    return sendPage(
      reply,
      <SettingsPage
        shell={shell}
        form={formOf(await settings.get(accountId))}
        display={displayFormOf(await settings.display(accountId))}
        mailClients={await clientsOf(accountId)}
      />,
    );
  });

  // The Apple profile, from the webmail (the Assistance's « Mon compte » has the same one).
  app.get(MAIL_CLIENT_PATHS.webmailAppleProfile, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    return sendAppleProfile(reply, services.config, mailClients, await services.directory.getAccountById(accountId));
  });

  app.post("/mail/parametres", { schema: schemas.SaveSettings }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const body = req.body;
    const form: SettingsForm = {
      signature: body.signature,
      absence: body.absence !== "",
      du: body.du,
      au: body.au,
      objet: body.objet,
      message: body.message,
      transfert: body.transfert,
      copie: body.copie !== "",
      motDePasse: "",
    };
    const currentPassword = body.motDePasse;
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
      // THROTTLED (too many wrong passwords) is not about a field: the error page says it.
      const failure = formFailure(error, SETTINGS_ERRORS);
      if (!failure) throw error;
      const { status, errors } = failure;
      return sendPage(
        reply,
        <SettingsPage
          shell={await shellOf(req, accountId)}
          form={form}
          display={displayFormOf(await settings.display(accountId))}
          errors={errors}
        />,
        status,
      );
    }
    return reply.redirect("/mail/parametres?enregistre", 303);
  });

  app.post("/mail/parametres/affichage", { schema: schemas.SaveDisplay }, async (req, reply) => {
    const accountId = accountOf(req, reply);
    if (accountId === null) return reply;
    const body = req.body;
    const display: DisplayForm = {
      volet: body.volet,
      densite: body.densite,
      conversations: body.conversations !== "",
      taille: body.taille !== "",
    };
    try {
      await settings.updateDisplay(accountId, {
        readingPane: display.volet,
        density: display.densite,
        groupByConversation: display.conversations,
        showSize: display.taille,
      });
    } catch (error) {
      const failure = formFailure(error, DISPLAY_ERRORS);
      if (!failure) throw error;
      return sendPage(
        reply,
        <SettingsPage
          shell={await shellOf(req, accountId)}
          form={formOf(await settings.get(accountId))}
          display={display}
          errors={failure.errors}
        />,
        failure.status,
      );
    }
    return reply.redirect("/mail/parametres?affichage", 303);
  });
};
