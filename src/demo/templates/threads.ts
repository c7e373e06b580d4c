/**
 * The demo threads: who writes each turn, and what. A thread uses the first 2 to `turns` turns of
 * its script, each one replying to the previous (quoted, with In-Reply-To and References).
 */
import { frDay, frHour, HOUR } from "../calendar.js";
import { CLASSES, DISCIPLINES, LESSON_TOPICS, LEVELS, OUTINGS, TRAININGS } from "../content.js";
import type { Actor, Thread } from "../demo-mail.types.js";
import { icsInvitation } from "../encoders/ics.js";
import { ICS, PDF, PNG, TXT } from "../encoders/media-types.js";
import { pdfDocument } from "../encoders/pdf.js";
import { de, g, ofDiscipline } from "../french.js";
import { screenshotPng } from "../pictures.js";
import type { DemoScene } from "../scene.js";

export interface ThreadScript {
  /** The most turns the script has (a thread uses 2 to this many). */
  readonly turns: number;
  readonly build: (scene: DemoScene, start: Date) => Thread;
}

const hello = (a: Actor): string => (a.first ? `Bonjour ${a.first},` : "Bonjour,");

/** The first demo person with the probability `often`, else a recipient (who may be them too). */
function mostlyMe(c: DemoScene, often: number): Actor {
  return c.rand.chance(often) ? c.me : c.recipient();
}

/** The demo side of a conversation (often the first person), and a colleague of theirs. */
function pair(c: DemoScene): { mine: Actor; colleague: Actor } {
  const mine = mostlyMe(c, 0.65);
  const other = c.rand.chance(0.85) ? c.otherPerson(mine) : undefined;
  return { mine, colleague: other ?? c.rand.pick(c.teachers) };
}

export const THREADS: readonly ThreadScript[] = [
  {
    turns: 6,
    build: (c, start) => {
      const { mine, colleague } = pair(c);
      const place = c.rand.pick(OUTINGS);
      const klass = c.rand.pick(CLASSES);
      const day = c.later(start, 15, 30, 8, 15);
      const list = `Sortie ${place} – ${klass}\n\n- pique-nique et bouteille d'eau\n- vêtements adaptés à la météo\n- carnet de correspondance\n- autorisation parentale signée\n`;
      return {
        participants: [colleague, mine, c.deputy],
        subject: `Sortie ${place} – ${klass}`,
        turns: [
          {
            by: 0,
            body: `${hello(mine)}\n\nJe prépare la sortie de la ${klass} ${place} le ${frDay(day)}. Pourrais-tu être accompagnateur ? Il nous faut trois adultes pour 28 élèves. Départ à 8 h 15 devant l'établissement, retour vers 16 h 30. Le car est réservé, il reste à faire voter le budget au conseil d'administration.\n\nMerci !`,
          },
          {
            by: 1,
            body: `${hello(colleague)}\n\nAvec plaisir : je n'ai que deux heures de cours ce jour-là, je demande à ${c.deputy.formal} de les faire reporter. Veux-tu que je m'occupe des autorisations parentales ?`,
          },
          {
            by: 0,
            body: `Super, merci ! Oui, si tu peux récupérer les autorisations signées une semaine avant. Je te joins la liste du matériel à transmettre aux familles.`,
            attachments: [{ filename: "Liste du matériel.txt", contentType: TXT, content: Buffer.from(list, "utf8") }],
          },
          {
            by: 1,
            body: `C'est noté. J'ai déjà ${c.rand.int(15, 24)} autorisations sur 28, je relance les retardataires par l'ENT. Pique-nique tiré du sac pour tout le monde ?`,
          },
          {
            by: 2,
            body: `Bonjour,\n\nJe valide la sortie : la convention avec le transporteur est signée et le budget a été voté hier. Pour les demi-pensionnaires, la cantine peut fournir des paniers-repas s'ils sont commandés à l'intendance avant lundi.\n\nBonne sortie,`,
          },
          { by: 0, body: "Parfait, merci beaucoup ! Je transmets l'information aux familles dès ce soir." },
        ],
      };
    },
  },
  {
    turns: 5,
    build: (c, start) => {
      const { mine, colleague } = pair(c);
      const klass = c.rand.pick(CLASSES);
      const day = c.later(start, 8, 15, 17, 30);
      const [s1, s2, s3] = [c.student(), c.student(), c.student()];
      return {
        participants: [colleague, mine, c.cpe],
        subject: `Conseil de classe de la ${klass} – ${frDay(day)}`,
        turns: [
          {
            by: 0,
            body: `Bonjour à tous,\n\nLe conseil de classe de la ${klass} aura lieu le ${frDay(day)} à ${frHour(day)}. Merci de saisir vos moyennes et appréciations dans Pronote au plus tard 48 heures avant. Points à évoquer : l'attitude de ${s1.first} ${s1.last} en classe, et des encouragements pour ${s2.first} ${s2.last}, qui a beaucoup progressé.\n\nMerci,`,
          },
          {
            by: 1,
            body: `Bonjour,\n\nMes appréciations sont saisies. Pour ${s1.first}, je confirme : bavardages constants et travail non fait depuis les vacances. Je proposerais un avertissement travail, mais j'aimerais l'avis de ${c.cpe.formal} sur son comportement en vie scolaire.`,
          },
          {
            by: 2,
            body: `Bonjour,\n\n${s1.first} a cumulé six retards et deux passages à l'infirmerie non justifiés ce trimestre. J'ai reçu la famille la semaine dernière, elle est très coopérative. Je suggère plutôt une fiche de suivi sur trois semaines avant tout avertissement.\n\nBien cordialement,`,
          },
          {
            by: 0,
            body: `Merci pour ces éléments. Je propose donc : fiche de suivi pour ${s1.first}, encouragements pour ${s2.first}, félicitations pour ${s3.first} ${s3.last} (17,4 de moyenne générale). On en reparle en conseil.`,
          },
          { by: 1, body: "D'accord avec toutes ces propositions. À jeudi !" },
        ],
      };
    },
  },
  {
    turns: 4,
    build: (c, start) => {
      const teacher = mostlyMe(c, 0.65);
      const mainTeacher = c.otherPerson(teacher) ?? c.rand.pick(c.teachers);
      const child = c.student();
      const parent = c.parentOf(child);
      const klass = c.rand.pick(CLASSES);
      const discipline = c.rand.pick(DISCIPLINES);
      const day = c.later(start, 6, 12, 17, 30);
      const dear = `${g(parent.sex, "Monsieur", "Madame")} ${parent.formal.replace(/^(Mme|M\.) /, "")}`;
      return {
        participants: [parent, teacher, mainTeacher],
        subject: `Rendez-vous au sujet ${de(child.first)} (${klass})`,
        turns: [
          {
            by: 0,
            body: `Madame, Monsieur,\n\nJe me permets de vous écrire au sujet de ${g(child.sex, "mon fils", "ma fille")} ${child.first}, en ${klass}. ${g(child.sex, "Il", "Elle")} a obtenu 6/20 au dernier contrôle ${ofDiscipline(discipline)} et semble très ${g(child.sex, "découragé", "découragée")}. Serait-il possible de vous rencontrer ?\n\nCordialement,\n${parent.name}`,
          },
          {
            by: 1,
            body: `Bonjour ${dear},\n\nMerci pour votre message. Je vous propose un rendez-vous le ${frDay(day)} à ${frHour(day)} (accueil, bâtiment A), ou un appel téléphonique si c'est plus simple pour vous. J'associe à notre échange ${mainTeacher.name}, professeur principal de la classe.\n\nBien cordialement,`,
          },
          {
            by: 0,
            body: `Bonjour,\n\nLe ${frDay(day)} me convient très bien, je viendrai avec ${g(parent.sex, "sa mère", "son père")}. Merci beaucoup pour votre réactivité.\n\nCordialement,\n${parent.name}`,
          },
          { by: 1, body: `Parfait, c'est noté. À ${frDay(day)}.\n\nBien cordialement,` },
        ],
      };
    },
  },
  {
    turns: 3,
    build: (c, start) => {
      const teacher = mostlyMe(c, 0.6);
      const absent = c.rand.pick(c.teachers);
      const klass = c.rand.pick(CLASSES);
      const until = c.later(start, 10, 20, 8);
      return {
        participants: [c.deputy, teacher],
        subject: `Heures supplémentaires en ${klass}`,
        turns: [
          {
            by: 0,
            body: `Bonjour,\n\n${absent.formal} est ${g(absent.sex, "absent", "absente")} jusqu'au ${frDay(until)}. Pourriez-vous assurer deux heures supplémentaires en ${klass}, le mardi de 10 h à 11 h et le jeudi de 14 h à 15 h ? Le cahier de textes est à jour.\n\nBien cordialement,`,
          },
          {
            by: 1,
            body: "Bonjour,\n\nJe peux prendre le créneau du mardi, mais le jeudi je suis en réunion d'équipe disciplinaire. Serait-il possible de le décaler au vendredi de 8 h à 9 h ?",
          },
          {
            by: 0,
            body: "Merci beaucoup. Je modifie l'emploi du temps : mardi 10 h – 11 h et vendredi 8 h – 9 h, en salle B12. La modification sera visible dans Pronote dès demain ; les heures seront déclarées en fin de mois.\n\nBien cordialement,",
          },
        ],
      };
    },
  },
  {
    turns: 4,
    build: (c, start) => {
      const teacher = mostlyMe(c, 0.6);
      const coordinator = c.otherPerson(teacher);
      const klass = c.rand.pick(CLASSES);
      const day = c.later(start, 14, 28, 10);
      const topic = c.rand.pick(LESSON_TOPICS);
      const inspector = c.inspector;
      const title = g(inspector.sex, "Monsieur l'Inspecteur", "Madame l'Inspectrice");
      const progression = pdfDocument(`Progression annuelle – ${klass}`, [
        `${teacher.name} – ${c.school}`,
        "",
        "Période 1 : reprise des fondamentaux, évaluation diagnostique.",
        "Période 2 : séquence en cours – travail en groupes et oral.",
        "Période 3 : projet interdisciplinaire.",
        "Période 4 : approfondissements et révisions.",
        "Période 5 : évaluations finales et bilan.",
      ]);
      return {
        participants: coordinator ? [inspector, teacher, coordinator] : [inspector, teacher],
        subject: "Rendez-vous de carrière – visite en classe",
        turns: [
          {
            by: 0,
            body: `Madame, Monsieur,\n\nDans le cadre de votre rendez-vous de carrière, je vous informe de ma visite le ${frDay(day)} à ${frHour(day)} dans votre classe de ${klass}, suivie d'un entretien. Merci de me transmettre auparavant votre progression annuelle.${coordinator ? ` Je mets en copie ${coordinator.name}, coordonnateur de l'équipe disciplinaire.` : ""}\n\nBien cordialement,`,
          },
          {
            by: 1,
            body: `${title},\n\nJe vous remercie pour votre message. Vous trouverez ci-joint ma progression annuelle pour la ${klass}. La séance que vous observerez portera sur ${topic}.\n\nRespectueusement,`,
            attachments: [{ filename: `Progression annuelle ${klass}.pdf`, contentType: PDF, content: progression }],
          },
          {
            by: 0,
            body: "Merci pour ce document très clair. Pourriez-vous prévoir également quelques cahiers d'élèves et le cahier de textes de la classe ?\n\nÀ bientôt,",
          },
          {
            by: 1,
            body: "C'est entendu, je tiendrai ces documents à votre disposition. La salle de réunion du 1er étage est réservée pour l'entretien.\n\nRespectueusement,",
          },
        ],
      };
    },
  },
  {
    turns: 4,
    build: (c, start) => {
      const { mine, colleague } = pair(c);
      const fellow = c.otherPerson(mine) ?? colleague;
      const title = c.rand.pick(TRAININGS);
      const day = c.later(start, 20, 40, 9);
      return {
        participants: [mine, c.trainer, fellow],
        subject: `Inscription tardive – « ${title} »`,
        turns: [
          {
            by: 0,
            body: `Bonjour,\n\nJe souhaiterais m'inscrire au module « ${title} » du plan académique de formation, mais la campagne d'inscription individuelle est close. Est-il encore possible de s'inscrire ? ${fellow.name}, à qui j'adresse aussi ce message, souhaiterait également y participer.\n\nMerci d'avance,`,
          },
          {
            by: 1,
            body: `Bonjour,\n\nLes inscriptions individuelles sont closes, mais il reste des places sur la session du ${frDay(day)}. Je peux vous inscrire en public désigné : pouvez-vous me confirmer votre établissement d'exercice et votre discipline ?\n\nCordialement,`,
          },
          { by: 0, body: `Merci beaucoup ! Nous exerçons à la ${c.school}.` },
          {
            by: 1,
            body: "C'est fait : vous recevrez votre convocation dans les prochains jours. Pensez à prévenir votre chef d'établissement.\n\nCordialement,",
          },
        ],
      };
    },
  },
  {
    turns: 4,
    build: (c) => {
      const { mine, colleague } = pair(c);
      const ticket = c.rand.int(100_000, 999_999);
      return {
        participants: [mine, colleague],
        subject: "Cahier de textes de l'ENT inaccessible",
        turns: [
          {
            by: 0,
            body: `${hello(colleague)}\n\nTu es notre référent numérique : depuis ce matin, impossible d'ouvrir le cahier de textes de l'ENT, la page affiche « Erreur 503 – service indisponible » (capture jointe). Cela concerne toutes mes classes. Tu as le même problème ?`,
            attachments: [{ filename: "Capture d'écran ENT.png", contentType: PNG, content: screenshotPng() }],
          },
          {
            by: 1,
            body: `Oui, c'est général. J'ai ouvert un ticket auprès de l'assistance académique (n° ${ticket}) : un incident est en cours sur le service.`,
          },
          { by: 0, body: "Merci. Sais-tu si les devoirs saisis hier soir sont perdus ?" },
          {
            by: 1,
            body: "Le service est rétabli depuis 11 h 40 et rien n'est perdu : les saisies faites avant l'incident sont bien enregistrées. 👍",
          },
        ],
      };
    },
  },
  {
    turns: 4,
    build: (c) => {
      const { mine, colleague } = pair(c);
      const klass = c.rand.pick(CLASSES);
      const s = c.student();
      return {
        participants: [colleague, mine],
        subject: `Appréciations manquantes – ${klass}`,
        turns: [
          {
            by: 0,
            body: `${hello(mine)}\n\nIl manque encore tes appréciations pour la ${klass} dans Pronote (${c.rand.int(5, 27)} élèves sans appréciation). Les bulletins partent à l'impression vendredi : tu peux t'en occuper d'ici jeudi soir ?`,
          },
          {
            by: 1,
            body: "Toutes mes excuses ! J'avais saisi les moyennes mais pas les appréciations. Je m'en occupe ce soir.",
          },
          {
            by: 0,
            body: `Merci ! Petite précision : pour ${s.first} ${s.last}, évite « ensemble moyen », la famille conteste les appréciations trop vagues 😅`,
          },
          { by: 1, body: `C'est fait, tout est saisi. J'ai détaillé pour ${s.first}.` },
        ],
      };
    },
  },
  {
    turns: 3,
    build: (c, start) => {
      const teacher = mostlyMe(c, 0.6);
      const other = c.otherPerson(teacher);
      const level = c.rand.pick(LEVELS);
      const day = c.later(start, 12, 25, 16, 30);
      const end = new Date(day.getTime() + 3.5 * HOUR);
      const attendees = other ? [teacher, other] : [teacher];
      return {
        participants: [c.principal, ...attendees],
        subject: `Rencontre parents-professeurs – ${level}`,
        turns: [
          {
            by: 0,
            body: `Bonjour,\n\nLa rencontre parents-professeurs des classes de ${level} aura lieu le ${frDay(day)} de 16 h 30 à 20 h. Vous trouverez l'invitation en pièce jointe. Merci de m'indiquer vos éventuelles indisponibilités.\n\nBien cordialement,`,
            attachments: [
              {
                filename: `Rencontre parents-professeurs ${level}.ics`,
                contentType: ICS,
                content: icsInvitation({
                  uid: `${day.getTime().toString(36)}-${c.rand.hex(8)}@${c.domain}`,
                  stamp: start,
                  start: day,
                  end,
                  summary: `Rencontre parents-professeurs – ${level}`,
                  location: `Salle polyvalente, ${c.school}`,
                  description: "Créneaux de dix minutes, réservés par les familles sur l'ENT.",
                  organizer: c.principal,
                  attendees,
                }),
              },
            ],
          },
          {
            by: 1,
            body: "Bonjour,\n\nJe serai là à partir de 17 h seulement (formation l'après-midi au rectorat). Est-il possible de commencer mes rendez-vous à 17 h 15 ?\n\nBien cordialement,",
          },
          {
            by: 0,
            body: "Bien sûr, je fais ajuster la grille. Les familles pourront réserver leurs créneaux sur l'ENT à partir de lundi.\n\nBien cordialement,",
          },
        ],
      };
    },
  },
  {
    turns: 4,
    build: (c, start) => {
      const mine = mostlyMe(c, 0.65);
      const day = c.later(start, 20, 35, 18);
      return {
        participants: [c.germanTeacher, mine],
        subject: "Échange franco-allemand avec le Goethe-Gymnasium 🇫🇷🇩🇪",
        turns: [
          {
            by: 0,
            body: `${hello(mine)}\n\nBonne nouvelle : nos correspondants du Goethe-Gymnasium de Leipzig arriveront le ${frDay(day)}. Leur professeure, Frau Schröder, nous écrit : „Wir freuen uns sehr auf die Begegnung – bis bald in Lyon!“\n\nIl nous manque encore quatre familles d'accueil. Pourrais-tu relayer l'information auprès de tes élèves ?\n\nDanke schön !`,
          },
          { by: 1, body: "Super nouvelle ! Je relaie demain en classe. Prévoit-on une soirée d'accueil ?" },
          { by: 0, body: "Oui : buffet partagé le vendredi soir au réfectoire 🥨🥐. Je prépare une affiche bilingue." },
          {
            by: 1,
            body: "J'ai trois familles volontaires : Müller-Rossi, Nguyễn et Åkesson 😊 Je te transmets leurs coordonnées par l'ENT.",
          },
        ],
      };
    },
  },
  {
    turns: 6,
    build: (c, start) => {
      const { mine, colleague } = pair(c);
      const retiree = c.rand.pick(c.teachers.filter((t) => t.address !== colleague.address));
      const busy = new Set([mine.address, colleague.address, retiree.address]);
      const others = c.people.filter((p) => !busy.has(p.address));
      const third =
        others.length > 0 ? c.rand.pick(others) : c.rand.pick(c.teachers.filter((t) => !busy.has(t.address)));
      const day = c.later(start, 9, 14, 17);
      const participants = [colleague, mine, third];
      return {
        participants,
        subject: `🎉 Pot de départ de ${retiree.formal} – ${frDay(day)} 🥂`,
        turns: [
          {
            by: 0,
            body: `Bonjour à toutes et à tous,\n\n${retiree.formal} part à la retraite après 32 ans de bons et loyaux services 👏 Nous organisons un pot le ${frDay(day)} à 17 h en salle des professeurs. Participation libre pour le cadeau (enveloppe dans mon casier). Chut, c'est une surprise ! 🤫`,
          },
          { by: 1, body: "Je serai là ! Je peux apporter un gâteau 🍰" },
          { by: 2, body: "Super idée. Je m'occupe du livre d'or ✍️" },
          { by: 0, body: "Merci à vous ! Déjà 240 € dans l'enveloppe 🎁" },
          {
            by: 1,
            body: `Pour le cadeau, un week-end à Annecy ? ${g(retiree.sex, "Il", "Elle")} parle du lac depuis des années 😄`,
          },
          { by: 0, body: "Validé ! 👍 Rendez-vous vendredi." },
        ],
      };
    },
  },
];
