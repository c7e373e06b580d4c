/**
 * Demo messages between teachers: a meeting report, grades, the cross-country, an outing, the π day,
 * quick notes, a chart of results.
 */
import { frDay, frHour, paris, parisAt, trimester } from "../calendar.js";
import { CLASSES, LEVELS, OUTINGS, ROOMS } from "../content.js";
import type { Draft } from "../demo-mail.types.js";
import { csvFile } from "../encoders/csv.js";
import { CSV, PDF, PNG, TXT } from "../encoders/media-types.js";
import { pdfDocument } from "../encoders/pdf.js";
import { chartPng, mapPng } from "../pictures.js";
import type { DemoScene } from "../scene.js";
import { attachedIf } from "./draft.js";

export function teamReport(c: DemoScene, date: Date): Draft {
  const to = c.recipient();
  const from = c.colleague(to);
  const level = c.rand.pick(LEVELS);
  let meeting = parisAt(date, -c.rand.int(1, 3), 12, 30);
  while ([0, 6].includes(paris(meeting).weekday)) meeting = parisAt(meeting, -1, 12, 30);
  const pdf = pdfDocument(`Compte-rendu de la réunion de l'équipe pédagogique de ${level}`, [
    `Réunion du ${frDay(meeting)} ${paris(meeting).year}, de 12 h 30 à 13 h 30, en salle ${c.rand.pick(ROOMS)}.`,
    `Présents : ${from.name}, ${to.name}, ${c.cpe.formal} (CPE), ${c.teachers
      .slice(0, 3)
      .map((t) => t.formal)
      .join(", ")}.`,
    "",
    "1. Bilan de la mi-trimestre",
    `Le niveau ${level} est globalement sérieux. Trois élèves sont signalés pour des absences répétées ; la CPE contactera les familles.`,
    "",
    "2. Projet interdisciplinaire",
    "Le projet « Lyon au fil de l'eau » (histoire-géographie, SVT, français) démarrera après les vacances. Chaque discipline propose une séance d'ici la fin du mois.",
    "",
    "3. Devoir commun",
    "Le devoir commun de mathématiques et de français aura lieu la semaine prochaine ; barème et grille de correction seront partagés sur l'ENT.",
    "",
    "4. Questions diverses",
    "Demande de réparation du vidéoprojecteur de la salle B24 (ticket déposé). Prochaine réunion dans quatre semaines.",
    "",
    `Compte-rendu rédigé par ${from.name}.`,
  ]);
  return {
    from,
    to: [to],
    cc: c.maybeCc([to], from),
    subject: `Compte-rendu de la réunion d'équipe du ${frDay(meeting)}`,
    body: `${to.first ? `Bonjour ${to.first},` : "Bonjour,"}\n\nTu trouveras ci-joint le compte-rendu de notre réunion d'équipe de ${level}. N'hésite pas à me dire si j'ai oublié quelque chose avant que je le transmette à la direction.\n\nBonne journée,`,
    attachments: [{ filename: "Compte-rendu réunion.pdf", contentType: PDF, content: pdf }],
  };
}

export function commonTestGrades(c: DemoScene, _date: Date): Draft {
  const to = c.recipient();
  const from = c.colleague(to);
  const klass = c.rand.pick(CLASSES);
  const rows: (string | number)[][] = [["Nom", "Prénom", "Classe", "Note /20", "Appréciation"]];
  for (let i = 0; i < 24; i++) {
    const s = c.student();
    if (c.rand.chance(0.06)) {
      rows.push([s.last.toUpperCase(), s.first, klass, "ABS", "Absence, devoir à rattraper"]);
      continue;
    }
    const grade = c.rand.grade(3, 20);
    const value = Number(grade.replace(",", "."));
    const remark =
      value >= 16
        ? "Très bon travail"
        : value >= 12
          ? c.rand.pick(["Bon travail", "Bonne méthode", "Des progrès"])
          : value >= 8
            ? c.rand.pick(["Ensemble fragile", "Travail trop rapide", "Des efforts à poursuivre"])
            : "Des difficultés : venir au soutien";
    rows.push([s.last.toUpperCase(), s.first, klass, grade, remark]);
  }
  return {
    from,
    to: [to],
    subject: `Devoir commun ${klass.split(" ")[0]} – notes de la ${klass}`,
    body: `Bonjour,\n\nVoici les notes du devoir commun pour la ${klass}, au format tableur (séparateur point-virgule). La moyenne de la classe est de ${c.rand.grade(9, 13)} ; on en discute à la prochaine réunion d'équipe pour harmoniser le barème.\n\nBonne soirée,`,
    attachments: [{ filename: `Notes devoir commun – ${klass}.csv`, contentType: CSV, content: csvFile(rows) }],
  };
}

export function crossCountry(c: DemoScene, date: Date): Draft {
  const to = c.some(c.recipient(), 3);
  const from = c.rand.pick(c.teachers);
  const day = c.later(date, 7, 15, 13, 30);
  return {
    from,
    to,
    subject: `Cross de l'établissement – ${frDay(day)}`,
    body: `Bonjour à toutes et à tous,\n\nLe cross aura lieu le ${frDay(day)} à partir de ${frHour(day)} au parc de Parilly. Nous avons besoin de collègues pour tenir les points de contrôle : le plan du parcours est en pièce jointe (point de rendez-vous marqué en rouge, près du gymnase).\n\nMerci de vous inscrire sur le tableau en salle des professeurs.\n\nSportivement,`,
    attachments: [{ filename: "Plan d'accès – parcours du cross.png", contentType: PNG, content: mapPng() }],
  };
}

export function outingChecklist(c: DemoScene, date: Date): Draft {
  const to = c.recipient();
  const from = c.colleague(to);
  const place = c.rand.pick(OUTINGS);
  const klass = c.rand.pick(CLASSES);
  const day = c.later(date, 8, 20, 8, 15);
  const list = [
    `Sortie ${place} – ${klass}`,
    `${frDay(day)}, départ à 8 h 15 devant l'établissement, retour vers 16 h 30`,
    "",
    "À prévoir :",
    "- un pique-nique tiré du sac et une bouteille d'eau (pas de verre) ;",
    "- des vêtements adaptés à la météo et de bonnes chaussures ;",
    "- le carnet de correspondance et un stylo ;",
    "- la carte Pass'Région (ou la carte de bus) ;",
    "- l'autorisation parentale signée, à rendre au plus tard une semaine avant.",
    "",
    "Téléphones portables : autorisés dans le car, rangés pendant les visites.",
    "",
    `Contact le jour de la sortie : ${from.name}, via le secrétariat.`,
    "",
  ].join("\n");
  return {
    from,
    to: [to],
    cc: c.maybeCc([to], from),
    subject: `Sortie ${place} : liste du matériel`,
    body: `Bonjour,\n\nComme convenu, voici la liste du matériel pour la sortie de la ${klass}. Peux-tu la coller dans le cahier de textes de l'ENT pour que les familles l'aient aussi ?\n\nMerci !`,
    attachments: [
      { filename: "Liste du matériel – sortie scolaire.txt", contentType: TXT, content: Buffer.from(list, "utf8") },
    ],
  };
}

export function piDay(c: DemoScene, _date: Date): Draft {
  const to = c.some(c.recipient(), 3);
  const from = c.rand.pick(c.teachers);
  // Narrow no-break spaces before the high punctuation, as French typography wants.
  const nb = "\u202f";
  return {
    from,
    to,
    subject: `Journée π${nb}: défis mathématiques 🥧 et « Castor informatique »`,
    body: `Bonjour à toutes et à tous${nb}!\n\nCette année encore, nous fêterons le 14 mars (3/14) la journée π${nb}: énigmes dans le hall, concours de décimales (le record de l'établissement est de 212 décimales — qui dit mieux${nb}?) et dégustation de tartes 🥧.\n\nLes formules du jour${nb}: π ≈ 3,14159… ; e^(iπ) + 1 = 0 ; ∑ 1/n² = π²/6.\n\nToutes les disciplines sont les bienvenues${nb}: un poème, une affiche, une expérience… 👩‍🏫👨‍🔬\n\nMerci de me dire avant vendredi si vous souhaitez participer${nb}!`,
  };
}

export function quickNote(c: DemoScene, date: Date): Draft {
  const to = c.recipient();
  const from = c.colleague(to);
  const notes = [
    [
      "Photocopieur du 1er étage",
      "Le photocopieur du 1er étage est encore en panne (bourrage papier) ; j'ai prévenu l'agent. En attendant, celui du CDI fonctionne.",
    ],
    [
      `Salle ${c.rand.pick(ROOMS)} libre jeudi ?`,
      "Est-ce que tu utilises ta salle jeudi en M3 ? J'aurais besoin du vidéoprojecteur pour un exposé.",
    ],
    [
      "Clé de la salle informatique",
      "Tu n'aurais pas gardé la clé de la salle informatique par hasard ? Elle n'est plus à la vie scolaire.",
    ],
    [
      "Valise de tablettes",
      `Je réserve la valise de tablettes pour ${frDay(c.later(date, 1, 6, 8))} matin, ça te va ?`,
    ],
    ["Copies oubliées", "Tu as oublié un paquet de copies en salle des professeurs, je l'ai mis dans ton casier."],
  ] as const;
  const [subject, text] = c.rand.pick(notes);
  return {
    from,
    to: [to],
    subject,
    body: `${to.first ? `Salut ${to.first},` : "Bonjour,"}\n\n${text}\n\nMerci !`,
  };
}

export function resultsChart(c: DemoScene, date: Date, attach: boolean): Draft {
  const to = c.some(c.recipient(), 3);
  const from = c.rand.pick(c.teachers);
  const heights = Array.from({ length: 5 }, () => c.rand.int(30, 62));
  return {
    from,
    to,
    subject: `Résultats du devoir commun de ${trimester(date)}`,
    body: `Bonjour,\n\nVoici la synthèse des moyennes par classe au devoir commun${attach ? " (graphique joint)" : ""}. Les écarts restent modérés ; on pourra affiner le barème de l'exercice 3 pour la prochaine fois.\n\nBonne journée,`,
    ...attachedIf(attach, () => ({
      filename: "Moyennes par classe.png",
      contentType: PNG,
      content: chartPng(heights),
    })),
  };
}
