/**
 * The French notices the console's helpdesk sends to a person's mailbox and recovery address: a
 * temporary password was set, the account was marked « compromis ». Never the password itself.
 */
import { assistanceUrl, type MessageContext, parisDateTime, signature } from "./messages.fr.js";

export interface HelpdeskNotice {
  readonly subject: string;
  readonly text: string;
}

export function temporaryPasswordNotice(
  ctx: MessageContext,
  p: { readonly username: string; readonly address: string; readonly at: Date; readonly until: Date },
): HelpdeskNotice {
  const text = [
    "Bonjour,",
    "",
    `À la suite d'un appel, l'assistance du rectorat a défini le ${parisDateTime(p.at)} un mot de passe temporaire pour votre compte ${p.username} (${p.address}).`,
    `Il est valable jusqu'au ${parisDateTime(p.until)} et devra être remplacé par un mot de passe de votre choix dès la première connexion.`,
    "",
    "Si vous n'avez pas appelé l'assistance, quelqu'un cherche peut-être à prendre votre compte :",
    "- choisissez sans attendre un nouveau mot de passe avec l'Assistance à l'identification :",
    `  ${assistanceUrl(ctx)}`,
    `- puis prévenez l'assistance du rectorat au ${ctx.rectoratPhone}.`,
    "",
    signature(ctx),
  ].join("\n");
  return { subject: "Un mot de passe temporaire a été défini pour votre compte", text };
}

export function compromisedNotice(
  ctx: MessageContext,
  p: { readonly username: string; readonly address: string; readonly at: Date },
): HelpdeskNotice {
  const text = [
    "Bonjour,",
    "",
    `L'assistance du rectorat a signalé le ${parisDateTime(p.at)} votre compte ${p.username} (${p.address}) comme compromis : quelqu'un d'autre que vous connaît peut-être votre mot de passe.`,
    "Par sécurité, toutes vos sessions ont été fermées et plus aucune connexion n'est acceptée avec l'ancien mot de passe (webmail, logiciel de messagerie, envoi).",
    "",
    "Pour retrouver l'accès, choisissez un nouveau mot de passe avec l'Assistance à l'identification :",
    `  ${assistanceUrl(ctx)}`,
    `ou appelez l'assistance du rectorat au ${ctx.rectoratPhone}.`,
    "",
    signature(ctx),
  ].join("\n");
  return { subject: "Votre compte a été protégé par l'assistance", text };
}
