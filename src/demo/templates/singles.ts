/**
 * The single messages drawn at random after the fixed ones and the threads: each template with its
 * weight; those that take `attach` add their attachment one time in five.
 */
import type { Draft } from "../demo-mail.types.js";
import type { DemoScene } from "../scene.js";
import { outingChecklist, quickNote, resultsChart, teamReport } from "./colleagues.js";
import {
  attendance,
  councilCalendar,
  fireDrill,
  gradesDeadline,
  libraryNews,
  nurseNotice,
  orders,
  parentMeetingInvitation,
  pedagogicalCouncil,
  replacement,
  sportTournament,
  timetableChange,
} from "./establishment.js";
import { entNotification, parentQuestion, publisherOffer } from "./outside.js";
import { examDuty, maintenance, noteDeService, trainingSummons } from "./rectorat.js";

export type SingleMaker = (scene: DemoScene, date: Date, attach: boolean) => Draft;

export const SINGLES: readonly { readonly weight: number; readonly make: SingleMaker }[] = [
  { weight: 6, make: noteDeService },
  { weight: 6, make: trainingSummons },
  { weight: 5, make: councilCalendar },
  { weight: 4, make: parentMeetingInvitation },
  { weight: 6, make: timetableChange },
  { weight: 5, make: replacement },
  { weight: 4, make: gradesDeadline },
  { weight: 9, make: entNotification },
  { weight: 9, make: parentQuestion },
  { weight: 4, make: publisherOffer },
  { weight: 5, make: attendance },
  { weight: 3, make: nurseNotice },
  { weight: 4, make: libraryNews },
  { weight: 3, make: orders },
  { weight: 4, make: examDuty },
  { weight: 2, make: maintenance },
  { weight: 3, make: sportTournament },
  { weight: 9, make: quickNote },
  { weight: 4, make: pedagogicalCouncil },
  { weight: 3, make: resultsChart },
  { weight: 2, make: fireDrill },
  { weight: 2, make: teamReport },
  { weight: 2, make: outingChecklist },
];
