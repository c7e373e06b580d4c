/**
 * Demo messages from outside the académie: parents, a publisher, the ENT's notifications and the
 * phishing attempt.
 */
import { frDay, paris } from "../calendar.js";
import { CLASSES, DISCIPLINES } from "../content.js";
import type { Actor, DatedDraft, Draft } from "../demo-mail.types.js";
import { de, escapeHtml, g, ofDiscipline } from "../french.js";
import type { DemoScene } from "../scene.js";

/** The phishing attempt: a look-alike domain, a link that shows another address than it goes to. */
export function phishing(c: DemoScene): DatedDraft {
  const label = c.domain.split(".")[0] ?? "academie";
  const from: Actor = {
    name: "Service informatique",
    address: `support@${label}-securite.com`,
    signature: [],
    first: null,
    formal: "Service informatique",
    sex: null,
  };
  const trap = `http://${label}-securite.com/owa/verification.php?u=${c.rand.hex(16)}`;
  const shown = `https://messagerie.${c.domain}/verification`;
  const body = [
    "Cher utilisateur,",
    "",
    "Nous avons détecté une activité inhabituelle sur votre compte de messagerie et votre boîte mail a dépassé sa limite de stockage (99,8 %).",
    "",
    "Votre boîte mail sera désactivée dans les 24 heures et tous vos messages seront définitivement supprimés.",
    "",
    "Pour éviter la désactivation, veuillez valider votre compte immédiatement en cliquant le lien ci-dessous et en entrant votre identifiant et votre mot de passe :",
    "",
    trap,
    "",
    "Merci de votre compréhension.",
    "",
    `Service informatique de l'${c.academie}`,
    `© ${paris(new Date(c.now)).year} Tous droits réservés.`,
  ].join("\n");
  const html = `<div style="font-family:Arial,sans-serif;font-size:14px;">
<p><b>Cher utilisateur,</b></p>
<p>Nous avons détecté une activité inhabituelle sur votre compte de messagerie et votre boîte mail a dépassé sa limite de stockage (<b style="color:#d00000;">99,8 %</b>).</p>
<p style="color:#d00000;"><b>Votre boîte mail sera désactivée dans les 24 heures</b> et tous vos messages seront définitivement supprimés.</p>
<p>Pour éviter la désactivation, veuillez valider votre compte immédiatement en cliquant le lien ci-dessous et en entrant votre identifiant et votre mot de passe :</p>
<p><a href="${trap}" style="display:inline-block;padding:10px 18px;background-color:#0078d4;color:#ffffff;text-decoration:none;">${shown}</a></p>
<p>Merci de votre compréhension.</p>
<p style="font-size:11px;color:#777777;">Service informatique de l'${escapeHtml(c.academie)}<br>© ${paris(new Date(c.now)).year} Tous droits réservés.</p>
</div>`;
  return {
    draft: {
      from,
      to: [c.me],
      subject: "URGENT : Votre boîte mail sera désactivée dans 24 heures",
      body,
      html,
      noSignature: true,
    },
    date: c.randomDate(0, 20),
  };
}

export function parentWithCommaName(c: DemoScene, date: Date): Draft {
  const to = c.recipient();
  const child = c.student();
  const parent = c.parentOf(child, "female");
  const klass = c.rand.pick(CLASSES);
  // An Outlook-style "Nom, Prénom" display name (quoted in the header) and a right-to-left closing.
  const from: Actor = { ...parent, name: `${child.last}, ${parent.first ?? ""}`.trim() };
  const back = c.later(date, 1, 3, 8);
  return {
    from,
    to: [to],
    subject: `Absence ${de(child.first)} ${child.last} (${klass})`,
    body: `Bonjour,\n\n${g(child.sex, "Mon fils", "Ma fille")} ${child.first}, en ${klass}, sera ${g(child.sex, "absent", "absente")} jusqu'au ${frDay(back)} inclus pour raison médicale ; le certificat sera remis à la vie scolaire à son retour. Pourriez-vous lui indiquer le travail à rattraper ?\n\nMerci d'avance et bonne journée.\n\nمع خالص التحيات\n${parent.name}`,
    noSignature: true,
  };
}

export function parentQuestion(c: DemoScene, date: Date): Draft {
  const to = c.recipient();
  const child = c.student();
  const parent = c.parentOf(child);
  const klass = c.rand.pick(CLASSES);
  const topics = [
    `${g(child.sex, "Mon fils", "Ma fille")} ne trouve pas l'énoncé du devoir à rendre pour ${frDay(c.later(date, 2, 5, 8))} dans le cahier de textes. Pourriez-vous me l'indiquer ?`,
    `${child.first} a oublié son manuel au collège et ne peut pas faire les exercices demandés. Est-il possible d'avoir les pages en version numérique ?`,
    `${child.first} me dit avoir été ${g(child.sex, "puni", "punie")} pour un oubli de matériel. Je souhaiterais comprendre ce qui s'est passé.`,
    `Nous partons en voyage familial pour un décès à l'étranger : ${child.first} sera ${g(child.sex, "absent", "absente")} une semaine. Que doit-${g(child.sex, "il", "elle")} rattraper ?`,
  ];
  return {
    from: parent,
    to: [to],
    subject: c.rand.pick([`${child.first} ${child.last} – ${klass}`, "Question devoir", `Demande ${de(parent.name)}`]),
    body: `Bonjour,\n\nJe suis ${g(parent.sex, "le père", "la mère")} ${de(child.first)} ${child.last}, en ${klass}. ${c.rand.pick(topics)}\n\nCordialement,`,
  };
}

export function publisherOffer(c: DemoScene, date: Date): Draft {
  const to = c.recipient();
  const discipline = c.rand.pick(DISCIPLINES);
  const link = `https://www.editions-du-preau.fr/specimens?discipline=${encodeURIComponent(discipline)}`;
  const body = `Bonjour,\n\nDécouvrez nos nouveaux manuels ${ofDiscipline(discipline)} pour la rentrée 2026, conformes aux programmes : version papier, manuel numérique enrichi et exercices interactifs.\n\nCommandez gratuitement votre spécimen avant le ${frDay(c.later(date, 20, 40, 12))} : ${link}\n\nL'équipe des Éditions du Préau\n\nVous recevez ce message car vous êtes enseignant. Se désinscrire : https://www.editions-du-preau.fr/desinscription`;
  const html = `<div style="font-family:Georgia,serif;max-width:560px;">
<h1 style="color:#b5471b;font-size:22px;">Nouveaux manuels ${escapeHtml(ofDiscipline(discipline))} 2026</h1>
<p>Conformes aux programmes : version papier, <strong>manuel numérique enrichi</strong> et exercices interactifs.</p>
<p><a href="${link}" style="background-color:#b5471b;color:#ffffff;padding:8px 14px;text-decoration:none;">Recevoir mon spécimen gratuit</a></p>
<p style="font-size:11px;color:#888888;">Vous recevez ce message car vous êtes enseignant. <a href="https://www.editions-du-preau.fr/desinscription">Se désinscrire</a></p>
</div>`;
  return {
    from: c.publisher,
    to: [to],
    subject: `Spécimens 2026 : vos nouveaux manuels ${ofDiscipline(discipline)}`,
    body,
    html,
    noSignature: true,
  };
}

export function entNotification(c: DemoScene, date: Date): Draft {
  const to = c.recipient();
  const klass = c.rand.pick(CLASSES);
  const count = c.rand.int(2, 27);
  const link = `https://ent.${c.domain}/cahier-de-textes/${c.rand.hex(8)}`;
  const subject = `[ENT] ${count} travaux rendus en ${klass}`;
  return {
    from: c.ent,
    to: [to],
    subject,
    body: `Bonjour,\n\n${count} élèves de la ${klass} ont rendu le travail « Exercices pour ${frDay(c.later(date, 1, 4, 8))} ».\n\nConsulter : ${link}\n\nCe message est envoyé automatiquement, merci de ne pas y répondre.`,
    html: `<table role="presentation" cellpadding="0" cellspacing="0" style="font-family:Arial,sans-serif;font-size:14px;border:1px solid #d0d0e0;">
<tr><td style="padding:10px 16px;background-color:#3a55b4;color:#ffffff;"><strong>ENT</strong> · Cahier de textes</td></tr>
<tr><td style="padding:16px;">${count} élèves de la <strong>${escapeHtml(klass)}</strong> ont rendu leur travail.<br><br><a href="${link}" style="color:#3a55b4;">Consulter les travaux rendus</a></td></tr>
<tr><td style="padding:8px 16px;font-size:11px;color:#777777;">Message automatique, merci de ne pas y répondre.</td></tr>
</table>`,
    noSignature: true,
  };
}
