/**
 * Demo messages from the establishment: the head and deputy, the CPE, the nurse, the library, the
 * bursar and the sports association.
 */
import { frDay, frHour, HOUR, paris, parisAt, schoolDayAt, trimester } from "../calendar.js";
import { CLASSES, LEVELS, ROOMS } from "../content.js";
import type { Draft } from "../demo-mail.types.js";
import { csvFile } from "../encoders/csv.js";
import { icsInvitation } from "../encoders/ics.js";
import { CSV, ICS, PDF } from "../encoders/media-types.js";
import { pdfDocument } from "../encoders/pdf.js";
import { g } from "../french.js";
import type { DemoScene } from "../scene.js";
import { attachedIf, notice } from "./draft.js";

export function parentMeetingInvitation(c: DemoScene, date: Date, attach: boolean): Draft {
  const to = c.some(c.recipient(), 4);
  const level = c.rand.pick(LEVELS);
  const start = c.later(date, 10, 20, 16, 30);
  const end = new Date(start.getTime() + 3.5 * HOUR);
  const place = `Salle polyvalente, ${c.school}`;
  return {
    from: c.principal,
    to,
    subject: `Réunion parents-professeurs des classes de ${level} – ${frDay(start)}`,
    body: `Mesdames, Messieurs,\n\nLa rencontre parents-professeurs des classes de ${level} aura lieu le ${frDay(start)} de ${frHour(start)} à ${frHour(end)}, en salle polyvalente. Les familles réserveront leurs créneaux de dix minutes sur l'ENT à partir de lundi.\n\nMerci de signaler au secrétariat toute indisponibilité avant la fin de la semaine. ${attach ? "L'invitation est jointe pour votre agenda." : ""}\n\nBien cordialement,`,
    ...attachedIf(attach, () => ({
      filename: "Invitation réunion parents-professeurs.ics",
      contentType: ICS,
      content: icsInvitation({
        uid: `${start.getTime().toString(36)}-${c.rand.hex(8)}@${c.domain}`,
        stamp: date,
        start,
        end,
        summary: `Réunion parents-professeurs – ${level}`,
        location: place,
        description: `Rencontre parents-professeurs des classes de ${level}.\nCréneaux de dix minutes réservés par les familles sur l'ENT.`,
        organizer: c.principal,
        attendees: to,
      }),
    })),
  };
}

export function councilCalendar(c: DemoScene, date: Date, attach: boolean): Draft {
  const to = c.some(c.recipient(), 4);
  const first = c.later(date, 10, 20, 17);
  const rows: (string | number)[][] = [["Classe", "Date", "Heure", "Salle", "Professeur principal"]];
  CLASSES.forEach((klass, i) => {
    const day = schoolDayAt(first, Math.floor(i / 3), 17 + (i % 3), 0);
    rows.push([klass, frDay(day), frHour(day), c.rand.pick(ROOMS), c.rand.pick(c.teachers).name]);
  });
  return {
    from: c.deputy,
    to,
    subject: `Conseils de classe du ${trimester(date)} – calendrier`,
    body: `Bonjour à toutes et à tous,\n\nLes conseils de classe du ${trimester(date)} commenceront le ${frDay(first)}. ${attach ? "Le calendrier complet est en pièce jointe." : "Le calendrier complet est affiché en salle des professeurs."}\n\nLes moyennes et appréciations devront être saisies au plus tard 48 heures avant chaque conseil. Les délégués des élèves et des parents sont invités par le secrétariat.\n\nBien cordialement,`,
    ...attachedIf(attach, () => ({
      filename: "Calendrier des conseils de classe.csv",
      contentType: CSV,
      content: csvFile(rows),
    })),
  };
}

export function timetableChange(c: DemoScene, date: Date): Draft {
  const to = c.recipient();
  const weekday = paris(date).weekday;
  const monday = parisAt(date, ((8 - weekday) % 7 || 7) + (c.rand.chance(0.5) ? 7 : 0), 8);
  const klass = c.rand.pick(CLASSES);
  return {
    from: c.deputy,
    to: [to],
    cc: c.maybeCc([to], c.deputy),
    subject: `Modification d'emploi du temps – semaine du ${frDay(monday)}`,
    body: `Bonjour,\n\nEn raison des épreuves du brevet blanc, votre emploi du temps est modifié la semaine du ${frDay(monday)} :\n\n- mardi : cours de 10 h avec la ${klass} déplacé à 15 h, salle ${c.rand.pick(ROOMS)} ;\n- jeudi : surveillance de 8 h à 10 h en salle polyvalente.\n\nLa modification est visible dans Pronote. Merci de votre compréhension.\n\nBien cordialement,`,
  };
}

export function replacement(c: DemoScene, date: Date): Draft {
  const to = c.some(c.recipient(), 3);
  const absent = c.rand.pick(c.teachers);
  const until = c.later(date, 5, 20, 8);
  const substitute = c.staff(["Professeur contractuel", "Professeure contractuelle"]);
  return {
    from: c.rand.chance(0.5) ? c.deputy : c.secretariat,
    to,
    subject: `Absence de ${absent.formal} – remplacement`,
    body: `Bonjour,\n\n${absent.formal} est ${g(absent.sex, "absent", "absente")} jusqu'au ${frDay(until)}. ${g(absent.sex, "Il", "Elle")} sera ${g(absent.sex, "remplacé", "remplacée")} à compter de lundi par ${substitute.name}, ${g(substitute.sex, "professeur contractuel", "professeure contractuelle")}. Merci de lui réserver un bon accueil et de lui indiquer la progression de l'équipe.\n\nEn attendant, les élèves seront accueillis en permanence.\n\nBien cordialement,`,
  };
}

export const gradesDeadline = notice({
  from: (c) => c.deputy,
  readers: 4,
  day: [3, 9, 18],
  subject: (deadline, _c, date) => `Bulletins du ${trimester(date)} – clôture de la saisie le ${frDay(deadline)}`,
  body: (deadline, _c, date) =>
    `Bonjour,\n\nLa saisie des moyennes et des appréciations du ${trimester(date)} sera fermée le ${frDay(deadline)} à ${frHour(deadline)}. Les bulletins seront ensuite édités et mis en ligne sur l'ENT pour les familles.\n\nRappel : les appréciations doivent être personnalisées et porter sur le travail, les progrès et les conseils pour progresser.\n\nBien cordialement,`,
});

export function attendance(c: DemoScene, _date: Date, attach: boolean): Draft {
  const to = c.recipient();
  const klass = c.rand.pick(CLASSES);
  const rows: (string | number)[][] = [["Élève", "Absences (demi-journées)", "Retards", "Justifiées"]];
  for (let i = 0; i < 6; i++) {
    const s = c.student();
    rows.push([
      `${s.last.toUpperCase()} ${s.first}`,
      c.rand.int(1, 9),
      c.rand.int(0, 6),
      c.rand.pick(["oui", "non", "en partie"]),
    ]);
  }
  return {
    from: c.cpe,
    to: [to],
    subject: `Absences et retards – ${klass}`,
    body: `Bonjour,\n\nVoici le point sur l'assiduité de la ${klass} depuis la rentrée${attach ? " (tableau joint)" : ""}. Plusieurs élèves dépassent le seuil de quatre demi-journées non justifiées : je reçois les familles cette semaine. N'hésitez pas à me faire remonter vos observations avant le conseil de classe.\n\nBien cordialement,`,
    ...attachedIf(attach, () => ({
      filename: `Absences et retards – ${klass}.csv`,
      contentType: CSV,
      content: csvFile(rows),
    })),
  };
}

export function nurseNotice(c: DemoScene, date: Date): Draft {
  const to = c.some(c.recipient(), 3);
  const child = c.student();
  const klass = c.rand.pick(CLASSES);
  return {
    from: c.nurse,
    to,
    subject: `PAI – ${child.first} ${child.last.charAt(0)}. (${klass})`,
    body: `Bonjour,\n\nUn projet d'accueil individualisé (PAI) a été signé le ${frDay(date)} pour ${child.first} ${child.last.charAt(0)}., en ${klass} : allergie sévère à l'arachide. La trousse d'urgence (stylo d'adrénaline) est à l'infirmerie, un double au bureau de la vie scolaire.\n\nMerci d'en tenir compte lors des sorties et des goûters de classe. Le protocole est consultable à l'infirmerie ; ces informations sont confidentielles.\n\nBien cordialement,`,
  };
}

export const libraryNews = notice({
  from: (c) => c.librarian,
  readers: 4,
  day: [10, 25, 8],
  subject: (_start, c) =>
    c.rand.pick([
      "Semaine de la presse et des médias à l'école – inscriptions",
      "Nouveautés au CDI 📚",
      "Prix des lecteurs : les classes participantes",
    ]),
  body: (start) =>
    `Bonjour à toutes et à tous,\n\nLe CDI vous propose des séances d'éducation aux médias et à l'information à partir du ${frDay(start)} : vérification des sources, fabrication d'une une de journal, décryptage d'images. Inscrivez vos classes sur le planning partagé de l'ENT.\n\nLes nouveaux romans et bandes dessinées sont en prêt dès maintenant.\n\nAu plaisir de vous voir au CDI,`,
});

export const orders = notice({
  from: (c) => c.bursar,
  readers: 4,
  day: [7, 14, 12],
  subject: (deadline) => `Commandes de fournitures et de manuels – date limite le ${frDay(deadline)}`,
  body: (deadline) =>
    `Bonjour,\n\nLes commandes des équipes disciplinaires (fournitures, petit matériel, manuels) sont à déposer au service de gestion avant le ${frDay(deadline)}, midi, avec les devis. Au-delà, elles seront reportées sur le prochain exercice budgétaire.\n\nLes crédits pédagogiques restants par discipline sont affichés en salle des professeurs.\n\nBien cordialement,`,
});

export function sportTournament(c: DemoScene, date: Date): Draft {
  const to = c.some(c.recipient(), 4);
  const day = c.later(date, 5, 12, 13, 30);
  const sport = c.rand.pick([
    ["handball", "🤾"],
    ["basket", "🏀"],
    ["badminton", "🏸"],
    ["escalade", "🧗"],
  ] as const);
  return {
    from: c.sport,
    to,
    subject: `AS – tournoi de ${sport[0]} ${frDay(day)} ${sport[1]}`,
    body: `Bonjour à tous,\n\nL'association sportive organise un tournoi de ${sport[0]} le ${frDay(day)} à partir de ${frHour(day)} au gymnase. Les élèves inscrits seront libérés à 12 h 30 ; merci de ne pas leur donner de devoir surveillé ce jour-là ${sport[1]}\n\nVenez les encourager ! 💪`,
  };
}

export function pedagogicalCouncil(c: DemoScene, date: Date, attach: boolean): Draft {
  const to = c.some(c.recipient(), 5);
  const day = c.later(date, 5, 14, 17, 15);
  const points = [
    "Bilan des évaluations nationales de 6e et de 2de",
    "Projet d'établissement : axe « climat scolaire »",
    "Répartition de la dotation horaire (première lecture)",
    "Organisation du stage d'observation de 3e",
  ];
  return {
    from: c.principal,
    to,
    subject: `Conseil pédagogique du ${frDay(day)} – ordre du jour`,
    body: `Mesdames, Messieurs,\n\nLe conseil pédagogique se réunira le ${frDay(day)} à ${frHour(day)} en salle de réunion. Ordre du jour :\n\n${points.map((p, i) => `${i + 1}. ${p}`).join("\n")}\n\nBien cordialement,`,
    ...attachedIf(attach, () => ({
      filename: "Ordre du jour – conseil pédagogique.pdf",
      contentType: PDF,
      content: pdfDocument(`Conseil pédagogique du ${frDay(day)}`, [
        c.school,
        "",
        "Ordre du jour",
        ...points.map((p, i) => `${i + 1}. ${p}`),
      ]),
    })),
  };
}

export const fireDrill = notice({
  from: (c) => c.principal,
  readers: 5,
  day: [2, 9, 10, 15],
  subject: (day) => `Exercice PPMS « attentat-intrusion » – ${frDay(day)}`,
  body: (day) =>
    `Mesdames, Messieurs,\n\nUn exercice PPMS « attentat-intrusion » aura lieu le ${frDay(day)} dans la matinée (l'heure exacte ne sera pas communiquée). Merci de relire les consignes affichées dans chaque salle : s'enfermer, éteindre les lumières, s'éloigner des portes et des fenêtres, faire silence et mettre les téléphones en mode silencieux.\n\nUn retour d'expérience sera fait en conseil pédagogique.\n\nBien cordialement,`,
});
