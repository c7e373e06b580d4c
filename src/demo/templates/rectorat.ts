/**
 * Demo messages from the rectorat: the newsletter, notes de service, training summons, exams, the
 * IT department.
 */
import { DAY, frDay, frMonth, HOUR, paris, parisAt, schoolDayAt } from "../calendar.js";
import { AGENDA, NEWS, NOTES_DE_SERVICE, TRAINING_PLACES, TRAININGS } from "../content.js";
import type { DatedDraft, Draft } from "../demo-mail.types.js";
import { icsInvitation } from "../encoders/ics.js";
import { ICS, PDF, PNG } from "../encoders/media-types.js";
import { pdfDocument } from "../encoders/pdf.js";
import { escapeHtml } from "../french.js";
import { logoPng } from "../pictures.js";
import type { DemoScene } from "../scene.js";
import { attachedIf, notice } from "./draft.js";

/** The académie's newsletter: an HTML body with an inline logo (cid:) and a remote banner. */
export function newsletter(c: DemoScene, issue: number): DatedDraft {
  const r = c.rand;
  const daysAgo = [52, 31, 10][issue] ?? 10;
  const date = schoolDayAt(new Date(c.now - daysAgo * DAY), 0, 9, r.int(0, 45));
  const number = 40 + issue;
  const site = `https://www.${c.domain}`;
  const cid = `logo-academie-${number}@${c.domain}`;
  const news = r.sample(NEWS, 3);
  const agenda = r.sample(AGENDA, 3).map((title, i) => ({ title, date: c.later(date, 8 + i * 9, 12 + i * 9, 9) }));
  const subject = `Lettre d'information de l'${c.academie} – n° ${number} – ${frMonth(date)}`;
  const cell = "padding:8px 12px;border-bottom:1px solid #dddddd;font-size:14px;";
  const html = `<!DOCTYPE html>
<html lang="fr">
<head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body style="margin:0;padding:0;background-color:#f2f2f7;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background-color:#f2f2f7;">
<tr><td align="center" style="padding:24px 8px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="width:600px;max-width:100%;background-color:#ffffff;font-family:Marianne,Arial,Helvetica,sans-serif;color:#1e1e1e;">
<tr>
<td style="padding:16px 24px;border-bottom:4px solid #000091;"><img src="cid:${cid}" width="96" height="32" alt="Logo de l'${escapeHtml(c.academie)}" style="display:block;border:0;"></td>
<td align="right" style="padding:16px 24px;border-bottom:4px solid #000091;font-size:13px;color:#000091;"><strong>Lettre d'information</strong><br>n° ${number} – ${escapeHtml(frMonth(date))}</td>
</tr>
<tr><td colspan="2"><img src="${site}/sites/${c.siteSlug}/files/lettre-information/bandeau-${number}.jpg" width="600" alt="Bandeau de la lettre d'information" style="display:block;width:100%;height:auto;border:0;"></td></tr>
<tr><td colspan="2" style="padding:24px 24px 8px;"><h1 style="margin:0;font-size:22px;color:#000091;">À la une</h1></td></tr>
${news
  .map(
    (n) => `<tr><td colspan="2" style="padding:8px 24px 16px;">
<h2 style="margin:0 0 6px;font-size:17px;color:#161616;">${escapeHtml(n.title)}</h2>
<p style="margin:0 0 6px;font-size:14px;line-height:1.5;">${escapeHtml(n.text)}</p>
<a href="${site}/${n.path}" style="color:#000091;font-size:14px;">Lire la suite&nbsp;›</a>
</td></tr>`,
  )
  .join("\n")}
<tr><td colspan="2" style="padding:16px 24px 8px;"><h1 style="margin:0;font-size:20px;color:#000091;">Agenda</h1></td></tr>
<tr><td colspan="2" style="padding:0 24px 24px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse;border:1px solid #dddddd;">
<tr style="background-color:#e3e3fd;"><th align="left" style="${cell}">Date</th><th align="left" style="${cell}">Événement</th></tr>
${agenda.map((a) => `<tr><td style="${cell}white-space:nowrap;">${escapeHtml(frDay(a.date))}</td><td style="${cell}">${escapeHtml(a.title)}</td></tr>`).join("\n")}
</table>
</td></tr>
<tr><td colspan="2" style="padding:16px 24px;background-color:#000091;color:#ffffff;font-size:12px;line-height:1.5;">
Vous recevez cette lettre en tant que personnel de l'${escapeHtml(c.academie)}.<br>
<a href="${site}/lettre-information" style="color:#ffffff;">Consulter en ligne</a> · <a href="https://www.education.gouv.fr/" style="color:#ffffff;">education.gouv.fr</a> · <a href="${site}/lettre-information/desabonnement" style="color:#ffffff;">Se désabonner</a>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
  const body = [
    `LETTRE D'INFORMATION DE L'${c.academie.toUpperCase()} – n° ${number} – ${frMonth(date)}`,
    "",
    "À LA UNE",
    "",
    ...news.flatMap((n) => [n.title, n.text, `Lire la suite : ${site}/${n.path}`, ""]),
    "AGENDA",
    "",
    ...agenda.map((a) => `- ${frDay(a.date)} : ${a.title}`),
    "",
    `Vous recevez cette lettre en tant que personnel de l'${c.academie}.`,
    `Se désabonner : ${site}/lettre-information/desabonnement`,
  ].join("\n");
  return {
    draft: {
      from: c.communication,
      to: c.people.slice(0, 25),
      subject,
      body,
      html,
      noSignature: true,
      attachments: [{ filename: "logo-academie.png", contentType: PNG, content: logoPng(), cid }],
    },
    date,
  };
}

export const longSubject = notice({
  from: (c) => c.dec,
  readers: 3,
  day: [12, 20, 12],
  subject: () =>
    "Aménagements des épreuves (tiers-temps, secrétaire, salle isolée, matériel adapté) pour le DNB et les épreuves anticipées du baccalauréat : procédure et calendrier de la session 2026",
  body: (deadline) =>
    `Mesdames et Messieurs les professeurs principaux,\n\nLes demandes d'aménagement des épreuves pour la session 2026 doivent être saisies par les familles avant le ${frDay(deadline)}, après avis du médecin de l'Éducation nationale. Les élèves bénéficiant d'un PAP ou d'un PPS sont concernés en priorité.\n\nNous vous remercions de relayer cette information auprès des familles de vos classes.\n\nLa division des examens et concours`,
});

export function noteDeService(c: DemoScene, date: Date, attach: boolean): Draft {
  const to = c.some(c.recipient(), 4);
  const topic = c.rand.pick(NOTES_DE_SERVICE);
  const number = `${paris(date).year}-${String(c.rand.int(80, 240)).padStart(3, "0")}`;
  const deadline = c.later(date, 14, 30, 12);
  const body = `Mesdames et Messieurs les enseignants,\n\nVous trouverez ${attach ? "ci-joint" : "sur le site de l'académie"} la note de service n° ${number} relative à ${topic}.\n\nLes demandes sont à formuler dans l'application dédiée avant le ${frDay(deadline)}, 12 h, puis à transmettre par la voie hiérarchique. Aucune demande parvenue hors délai ne pourra être examinée.\n\nLa division des personnels enseignants`;
  return {
    from: c.dpe,
    to,
    subject: `Note de service n° ${number} – ${topic.charAt(0).toUpperCase()}${topic.slice(1)}`,
    body,
    ...attachedIf(attach, () => ({
      filename: `Note de service n° ${number}.pdf`,
      contentType: PDF,
      content: pdfDocument(`Note de service n° ${number}`, [
        `Rectorat de l'${c.academie} – Division des personnels enseignants`,
        "",
        `Objet : ${topic}.`,
        "",
        "La présente note a pour objet de préciser le calendrier et les modalités de la campagne pour l'année scolaire à venir.",
        `Date limite de dépôt des demandes : ${frDay(deadline)} à 12 h.`,
        "Les chefs d'établissement émettront un avis motivé sur chaque demande.",
        "",
        "Signé : le recteur de région académique, recteur de l'académie.",
      ]),
    })),
  };
}

export function trainingSummons(c: DemoScene, date: Date, attach: boolean): Draft {
  const to = c.recipient();
  const title = c.rand.pick(TRAININGS);
  const place = c.rand.pick(TRAINING_PLACES);
  const start = c.later(date, 9, 30, 9);
  const end = new Date(start.getTime() + 7 * HOUR);
  const module = `25A010${String(c.rand.int(1000, 9999))}`;
  return {
    from: c.trainer,
    to: [to],
    subject: `Convocation – formation « ${title} »`,
    body: `Madame, Monsieur,\n\nVous êtes convoqué(e) à la formation « ${title} » (module ${module} du plan académique de formation) le ${frDay(start)} de 9 h à 17 h.\n\nLieu : ${place}.\n\nVotre chef d'établissement en est informé. Les frais de déplacement seront remboursés sur présentation de vos justificatifs dans l'application DT-Chorus. En cas d'empêchement, merci de prévenir l'EAFC au plus tôt.\n\nCordialement,`,
    ...attachedIf(attach, () => ({
      filename: `Convocation formation ${module}.ics`,
      contentType: ICS,
      content: icsInvitation({
        uid: `${module}-${c.rand.hex(8)}@${c.domain}`,
        stamp: date,
        start,
        end,
        summary: `Formation « ${title} »`,
        location: place,
        description: `Module ${module} du plan académique de formation.`,
        organizer: c.trainer,
        attendees: [to],
      }),
    })),
  };
}

export function examDuty(c: DemoScene, date: Date, attach: boolean): Draft {
  const to = c.recipient();
  const day = c.later(date, 10, 25, 8);
  const exam = c.rand.pick(["du brevet blanc", "des épreuves communes", "de l'oral de français"]);
  return {
    from: c.dec,
    to: [to],
    subject: `Convocation – surveillance ${exam}`,
    body: `Madame, Monsieur,\n\nVous êtes convoqué(e) pour la surveillance ${exam} le ${frDay(day)} de 8 h à 12 h. ${attach ? "La convocation officielle est jointe." : ""} Merci de vous présenter 15 minutes avant le début de l'épreuve au secrétariat d'examen.\n\nLa division des examens et concours`,
    noSignature: true,
    ...attachedIf(attach, () => ({
      filename: "Convocation surveillance.pdf",
      contentType: PDF,
      content: pdfDocument("Convocation", [
        `Rectorat de l'${c.academie} – Division des examens et concours`,
        "",
        `${to.name} est convoqué(e) pour la surveillance ${exam}.`,
        `Date : ${frDay(day)} ${paris(day).year}, de 8 h à 12 h.`,
        `Lieu : ${c.school}.`,
        "",
        "Présentation obligatoire 15 minutes avant le début de l'épreuve.",
      ]),
    })),
  };
}

export function maintenance(c: DemoScene, date: Date): Draft {
  const to = c.recipient();
  const day = schoolDayAt(date, c.rand.int(3, 8), 20);
  const saturday = parisAt(day, (6 - paris(day).weekday + 7) % 7, 20);
  const body = `Bonjour,\n\nUne opération de maintenance de la messagerie aura lieu le ${frDay(saturday)} de 20 h à minuit. Le webmail pourra être indisponible pendant quelques minutes.\n\nRappel : l'assistance informatique ne vous demandera jamais votre mot de passe, ni par courriel ni par téléphone. En cas de doute sur un message, signalez-le à ${c.dsi.address}.\n\nL'assistance informatique`;
  return {
    from: c.dsi,
    to: [to],
    subject: `Maintenance programmée de la messagerie – ${frDay(saturday)}`,
    body,
    html: `<div style="font-family:Arial,sans-serif;font-size:14px;"><p>Bonjour,</p><p>Une opération de maintenance de la messagerie aura lieu le <strong>${escapeHtml(frDay(saturday))} de 20 h à minuit</strong>. Le webmail pourra être indisponible pendant quelques minutes.</p><p style="padding:8px 12px;border-left:4px solid #000091;background-color:#eeeeff;">Rappel : l'assistance informatique <strong>ne vous demandera jamais votre mot de passe</strong>, ni par courriel ni par téléphone.</p><p>L'assistance informatique</p></div>`,
    noSignature: true,
  };
}
